/* The report bundle of --output DIR (bundle.h): temporary files created
 * while privileged, a keeper process that renames them into place. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ikeprobe/bundle.h"
#include "ikeprobe/kex.h"
#include "ikeprobe/render.h"

enum { CMD_COMMIT = 'C', CMD_ABORT = 'A' };

/* What the keeper answers: its state and, on failure, errno and the file. */
struct keeper_reply {
	int		 err;
	int		 file;
};

static const char *const names[BUNDLE_N] = {
	[BUNDLE_JSON] = "report.json",
	[BUNDLE_MARKDOWN] = "report.md",
	[BUNDLE_TEXT] = "report.txt",
	[BUNDLE_KEYS] = "ikev2_decryption_table",
	[BUNDLE_SSTP_CHAIN] = "sstp-chain.pem",
	[BUNDLE_PCAP] = "capture.pcap",
};

/* `.report.json.XXXXXX': hidden, and named after the file it becomes. */
static int
create_tmp(int dirfd, const char *final, char *name, size_t len)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	uint8_t rnd[6];
	int fd;

	for (int tries = 0; tries < 100; tries++) {
		random_bytes(rnd, sizeof(rnd));
		snprintf(name, len, ".%s.%c%c%c%c%c%c", final,
		    chars[rnd[0] % 62], chars[rnd[1] % 62], chars[rnd[2] % 62],
		    chars[rnd[3] % 62], chars[rnd[4] % 62], chars[rnd[5] % 62]);
		/* O_EXCL and O_NOFOLLOW: never another's file or a link. */
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

/* The keeper keeps nothing but the directory and its socket. */
static void
close_others(int a, int b)
{
	unsigned lo = (unsigned)(a < b ? a : b), hi = (unsigned)(a < b ? b : a);

	if (lo > 0)
		close_range(0, lo - 1, 0);
	if (hi - lo > 1)
		close_range(lo + 1, hi - 1, 0);
	close_range(hi + 1, ~0u, 0);
}

/* Become the least that can still rename in the directory: its owner, with
 * no capability, when started as root; else ourselves, with none. */
static int
keeper_drop(int dirfd)
{
	struct stat st;
	bool to_owner;

	if (fstat(dirfd, &st) < 0)
		return -1;
	to_owner = st.st_uid != 0 && (st.st_mode & S_IWUSR);
	if (privdrop_to(to_owner ? st.st_uid : getuid(), to_owner ? st.st_gid :
	    getgid()) < 0)
		return -1;
	/* Can we, as we are now, rename in it? Then say so. */
	return faccessat(dirfd, ".", W_OK | X_OK, AT_EACCESS);
}

static void
unlink_from(int dirfd, char tmp[][BUNDLE_TMP_LEN], int from)
{
	for (int i = from; i < BUNDLE_N; i++)
		unlinkat(dirfd, tmp[i], 0);
}

static void __attribute__((noreturn))
keeper(int dirfd, int sock, char tmp[][BUNDLE_TMP_LEN])
{
	struct keeper_reply rep = { 0, -1 };
	ssize_t n;
	char cmd = 0;

	/* Ctrl-C reaches the whole process group: the main process decides
	 * what becomes of the files, and tells us. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	close_others(dirfd, sock);
	if (keeper_drop(dirfd) < 0)
		rep.err = errno ? errno : EPERM;
	if (send(sock, &rep, sizeof(rep), MSG_NOSIGNAL) != (ssize_t)sizeof(rep) ||
	    rep.err) {
		unlink_from(dirfd, tmp, 0);
		_exit(1);
	}
	do
		n = read(sock, &cmd, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1 && cmd == CMD_COMMIT) {
		for (int i = 0; i < BUNDLE_N; i++)
			if (renameat(dirfd, tmp[i], dirfd, names[i]) < 0) {
				rep.err = errno;
				rep.file = i;
				unlink_from(dirfd, tmp, i);
				break;
			}
		if (rep.err == 0)
			fsync(dirfd);
	} else
		/* Abort, or the main process is gone (EOF): leave nothing. */
		unlink_from(dirfd, tmp, 0);
	if (n == 1)
		(void)!send(sock, &rep, sizeof(rep), MSG_NOSIGNAL);
	_exit(0);
}

static int
open_dir(const char *dir, char *err, size_t errlen, enum net_err *e)
{
	struct stat st, parent;
	char *copy;
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
		return fd;
	if (errno == ENOTDIR || (errno != ENOENT && stat(dir, &st) == 0 &&
	    !S_ISDIR(st.st_mode))) {
		snprintf(err, errlen, "--output `%s' is not a directory: give a "
		    "directory for the report files", dir);
		*e = NET_ERR_USAGE;
		return -1;
	}
	if (errno != ENOENT || mkdir(dir, 0755) < 0 ||
	    (fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot %s --output directory `%s': %s: "
		    "give a directory you can write", errno == ENOENT ?
		    "create the" : "use the", dir, strerror(errno));
		*e = NET_ERR_ENV;
		return -1;
	}
	/* Made by root for `sudo ikeprobe -o ~/x': give it to whoever owns
	 * the directory it is in, as the files will be. */
	if (geteuid() == 0 && (copy = strdup(dir)) != NULL) {
		if (stat(dirname(copy), &parent) == 0 && parent.st_uid != 0)
			(void)!fchown(fd, parent.st_uid, parent.st_gid);
		free(copy);
	}
	return fd;
}

void
bundle_init(struct bundle *b)
{
	memset(b, 0, sizeof(*b));
	b->dirfd = -1;
	b->sock = -1;
	b->keeper = -1;
	for (int i = 0; i < BUNDLE_N; i++)
		b->fd[i] = -1;
}

enum net_err
bundle_open(struct bundle *b, const char *dir, char *err, size_t errlen)
{
	struct keeper_reply rep;
	enum net_err e = NET_ERR_ENV;
	struct stat st;
	int sv[2], i;
	pid_t pid;

	bundle_init(b);
	b->dir = dir;
	if ((b->dirfd = open_dir(dir, err, errlen, &e)) < 0)
		return e;
	if (fstat(b->dirfd, &st) < 0) {
		snprintf(err, errlen, "cannot use the --output directory `%s': "
		    "%s: give a directory you can write", dir, strerror(errno));
		goto fail;
	}
	for (i = 0; i < BUNDLE_N; i++) {
		if ((b->fd[i] = create_tmp(b->dirfd, names[i], b->tmp[i],
		    sizeof(b->tmp[i]))) < 0) {
			snprintf(err, errlen, "cannot write in --output "
			    "directory `%s': %s: give a directory you can "
			    "write", dir, strerror(errno));
			goto fail;
		}
		/* Root writes them for the directory's owner. */
		if (geteuid() == 0)
			(void)!fchown(b->fd[i], st.st_uid, st.st_gid);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err, errlen, "cannot start the report writer: %s",
		    strerror(errno));
		goto fail;
	}
	fflush(NULL);
	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "cannot start the report writer: %s",
		    strerror(errno));
		close(sv[0]);
		close(sv[1]);
		goto fail;
	}
	if (pid == 0)
		keeper(b->dirfd, sv[1], b->tmp);
	close(sv[1]);
	b->sock = sv[0];
	b->keeper = pid;
	if (read(b->sock, &rep, sizeof(rep)) != (ssize_t)sizeof(rep))
		rep.err = EIO;
	if (rep.err) {
		/* The keeper could not rename here, so it cannot clean up
		 * either: we still can. */
		snprintf(err, errlen, "cannot write in --output directory "
		    "`%s': %s: give a directory you can write", dir,
		    strerror(rep.err));
		close(b->sock);
		while (waitpid(b->keeper, NULL, 0) < 0 && errno == EINTR)
			;
		goto fail;
	}
	return NET_OK;
fail:
	for (i = 0; i < BUNDLE_N; i++)
		if (b->fd[i] >= 0) {
			close(b->fd[i]);
			unlinkat(b->dirfd, b->tmp[i], 0);
		}
	close(b->dirfd);
	bundle_init(b);
	return NET_ERR_ENV;
}

FILE *
bundle_pcap_stream(struct bundle *b)
{
	int fd = dup(b->fd[BUNDLE_PCAP]);
	FILE *f;

	if (fd < 0)
		return NULL;
	if ((f = fdopen(fd, "wb")) == NULL)
		close(fd);
	return f;
}

/* Write a whole file, flush it to disk and close it: 0 or -errno. */
static int
write_file(struct bundle *b, enum bundle_file which, const void *buf,
    size_t len)
{
	const char *p = buf;
	int fd = b->fd[which], rc = 0;
	ssize_t n;

	if (fd < 0)
		return -EBADF;
	while (len > 0 && rc == 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno != EINTR)
				rc = -errno;
			continue;
		}
		p += n;
		len -= (size_t)n;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	b->fd[which] = -1;
	return rc;
}

static int
tell_keeper(struct bundle *b, char cmd, struct keeper_reply *rep)
{
	int rc = -1;

	rep->err = EIO;
	rep->file = -1;
	if (b->sock >= 0 && send(b->sock, &cmd, 1, MSG_NOSIGNAL) == 1 &&
	    read(b->sock, rep, sizeof(*rep)) == (ssize_t)sizeof(*rep))
		rc = 0;
	if (b->sock >= 0)
		close(b->sock);
	b->sock = -1;
	if (b->keeper > 0)
		while (waitpid(b->keeper, NULL, 0) < 0 && errno == EINTR)
			;
	b->keeper = -1;
	return rc;
}

static int
bundle_commit(struct bundle *b, char *err, size_t errlen)
{
	struct keeper_reply rep;
	int rc = 0;

	/* The capture's stream was closed by libpcap; the data must be on
	 * disk before its name is. */
	if (b->fd[BUNDLE_PCAP] >= 0) {
		if (fsync(b->fd[BUNDLE_PCAP]) < 0)
			rc = -errno;
		close(b->fd[BUNDLE_PCAP]);
		b->fd[BUNDLE_PCAP] = -1;
	}
	for (int i = 0; i < BUNDLE_N; i++)
		if (b->fd[i] >= 0) {
			close(b->fd[i]);
			b->fd[i] = -1;
			rc = rc ? rc : -EIO;
		}
	if (rc < 0) {
		snprintf(err, errlen, "cannot write the report files in `%s': "
		    "%s: free space there, or give another --output directory",
		    b->dir, strerror(-rc));
		bundle_abort(b);
		return -1;
	}
	rc = tell_keeper(b, CMD_COMMIT, &rep);
	close(b->dirfd);
	b->dirfd = -1;
	if (rc < 0 || rep.err) {
		snprintf(err, errlen, "cannot put %s in place in `%s': %s: "
		    "give another --output directory",
		    rep.file >= 0 ? names[rep.file] : "the report files",
		    b->dir, strerror(rep.err ? rep.err : EIO));
		return -1;
	}
	return 0;
}

void
bundle_abort(struct bundle *b)
{
	struct keeper_reply rep;

	for (int i = 0; i < BUNDLE_N; i++)
		if (b->fd[i] >= 0) {
			close(b->fd[i]);
			b->fd[i] = -1;
		}
	if (b->keeper > 0)
		tell_keeper(b, CMD_ABORT, &rep);
	if (b->dirfd >= 0)
		close(b->dirfd);
	b->dirfd = -1;
}

int
bundle_write_report(struct bundle *b, const char *json, const struct doc *d,
    char *err, size_t errlen)
{
	for (int f = BUNDLE_JSON; f <= BUNDLE_SSTP_CHAIN; f++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		int rc = -ENOMEM;

		if (m != NULL) {
			if (f == BUNDLE_JSON)
				fprintf(m, "%s\n", json);
			else if (f == BUNDLE_MARKDOWN)
				doc_markdown(m, d);
			else if (f == BUNDLE_KEYS)
				doc_wireshark_keys(m, d);
			else if (f == BUNDLE_SSTP_CHAIN)
				doc_sstp_chain_pem(m, d);
			else	/* for reading anywhere: no colour */
				doc_text(m, d, COLOR_NEVER, TEXT_WIDTH);
			if (fclose(m) == 0)
				rc = write_file(b, (enum bundle_file)f, buf, len);
		}
		free(buf);
		if (rc < 0) {
			snprintf(err, errlen, "cannot write %s in `%s': %s: free "
			    "space there, or give another --output directory",
			    names[f], b->dir, strerror(-rc));
			bundle_abort(b);
			return -1;
		}
	}
	return bundle_commit(b, err, errlen);
}
