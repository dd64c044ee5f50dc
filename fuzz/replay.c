/* Run a fuzz target over files without libFuzzer, so that the corpora and
 * the crash fixtures are plain tests under any compiler and sanitizer:
 *
 *	replay_ike FILE|DIR...
 *
 * Each file is read into a buffer of exactly its size (so ASan catches a
 * read one past the end) and handed to LLVMFuzzerTestOneInput. A directory
 * means every regular file in it, in name order, so runs are repeatable.
 * A crash or a failed check aborts; otherwise the exit status is non-zero
 * only if a path could not be read or nothing was run at all. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
replay_file(const char *path)
{
	FILE *f;
	uint8_t *buf;
	long end;
	size_t len;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: %s: cannot size: %s\n", path,
		    strerror(errno));
		fclose(f);
		return -1;
	}
	len = (size_t)end;
	/* Never NULL, even when empty: libFuzzer passes a real pointer too. */
	if ((buf = malloc(len ? len : 1)) == NULL ||
	    fread(buf, 1, len, f) != len) {
		fprintf(stderr, "replay: %s: cannot read %zu bytes\n", path, len);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the number of files run, or -1. */
static int
replay_dir(const char *dir)
{
	DIR *d;
	struct dirent *e;
	char **names = NULL, **nn, path[4096];
	size_t n = 0, cap = 0;
	struct stat st;
	int ran = 0, rc = 0;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')	/* ., .., and hidden notes */
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nn = realloc(names, cap * sizeof(*names))) == NULL) {
				rc = -1;
				break;
			}
			names = nn;
		}
		if ((names[n] = strdup(e->d_name)) == NULL) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]) >= sizeof(path)) {
			fprintf(stderr, "replay: %s/%s: path too long\n", dir,
			    names[i]);
			rc = -1;
		} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) < 0)
				rc = -1;
			else
				ran++;
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc < 0 ? -1 : ran;
}

int
main(int argc, char **argv)
{
	struct stat st;
	int total = 0, failed = 0, n;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			failed++;
			continue;
		}
		n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) :
		    replay_file(argv[i]) == 0 ? 1 : -1;
		if (n < 0)
			failed++;
		else
			total += n;
		printf("%s: %d input%s\n", argv[i], n < 0 ? 0 : n,
		    n == 1 ? "" : "s");
	}
	printf("%d inputs replayed without a crash\n", total);
	return failed || total == 0 ? 1 : 0;
}
