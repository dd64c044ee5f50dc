/* The report reader (doc_read) on hostile input: every truncation of a real
 * report, every byte of it changed, deep nesting, huge and hostile strings.
 * It must answer each with a report or one line of error, never crash, and
 * never let a control character through. Run under ASan+UBSan in CI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ikeprobe/compare.h"
#include "ikeprobe/doc.h"
#include "ikeprobe/render.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0) {
		if (f)
			fclose(f);
		return NULL;
	}
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static bool
clean_string(const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return false;
	return true;
}

/* Render into nowhere: what matters is that nothing crashes. */
static void
render_all(const struct doc *d)
{
	FILE *null = fopen("/dev/null", "w");

	if (null == NULL)
		return;
	doc_text(null, d, COLOR_ALWAYS, TEXT_WIDTH);
	doc_markdown(null, d);
	fclose(null);
}

static void
test_good(const char *buf, size_t len)
{
	struct doc d;
	char err[300];

	CHECK(doc_read(buf, len, &d, err, sizeof(err)) == 0);
	CHECK(doc_is(&d.schema, "ikeprobe.report/1"));
	CHECK(d.n_ports == 2 && d.ports[0].port == 500 && d.ports[1].port == 4500);
	CHECK(doc_is(&d.ports[0].state, "open"));
	CHECK(d.n_probes > 5);
	CHECK(d.nat.st == DOC_SET && d.nat.detected.st == DOC_SET &&
	    !d.nat.detected.v);
	CHECK(doc_is(&d.local.label, "HQ office"));
	CHECK(d.verdict.st == DOC_SET && d.verdict.needed.st == DOC_SET);
	CHECK_EQ(d.target.n_addresses, 1);
	CHECK_EQ(d.n_others, 0);
	render_all(&d);
	doc_free(&d);
}

/* Every prefix is refused (a report is one object: no prefix of it is
 * one), and says so in one line. */
static void
test_truncations(const char *buf, size_t len)
{
	struct doc d;
	char err[300];
	int refused = 0, truncated = 0;

	for (size_t n = 0; n < len - 1; n++) {
		if (doc_read(buf, n, &d, err, sizeof(err)) < 0) {
			refused++;
			truncated += strncmp(err, "truncated", 9) == 0;
			CHECK(err[0] && strchr(err, '\n') == NULL);
		}
		doc_free(&d);
	}
	CHECK_EQ(refused, (long long)len - 1);
	/* All but the empty prefix and the ones cut at white space before
	 * the first brace say "truncated". */
	CHECK(truncated >= (int)len - 3);
}

/* Each byte replaced by a few values: a report or an error, never a crash;
 * what is read has no control characters. */
static void
test_mutations(const char *buf, size_t len)
{
	static const char subst[] = { '"', '{', '}', '[', ',', '0', '\\', 'x',
	    (char)0xff, '\0', '\x1b' };
	char *m = malloc(len);
	struct doc d;
	char err[300];
	int ok = 0, bad = 0;
	bool all_clean = true;

	if (m == NULL)
		return;
	for (size_t i = 0; i < len; i += 3)
		for (size_t k = 0; k < sizeof(subst); k++) {
			memcpy(m, buf, len);
			m[i] = subst[k];
			if (doc_read(m, len, &d, err, sizeof(err)) == 0) {
				ok++;
				all_clean &= clean_string(d.headline.s) &&
				    clean_string(d.target.name.s);
				for (int f = 0; f < d.n_findings; f++)
					all_clean &= clean_string(d.findings[f].summary.s);
				render_all(&d);
			} else {
				bad++;
				all_clean &= clean_string(err);
			}
			doc_free(&d);
		}
	free(m);
	CHECK(ok > 0 && bad > 0);
	CHECK(all_clean);
}

static int
read_str(const char *json, struct doc *d, char *err, size_t errlen)
{
	return doc_read(json, strlen(json), d, err, errlen);
}

static void
test_hostile(const char *buf, size_t len)
{
	struct doc d;
	char err[300], want[64], *big, *p;
	size_t n;

	/* Deep nesting stops at the depth limit, not the stack's. */
	n = 200000;
	big = malloc(2 * n + 1);
	memset(big, '[', n);
	memset(big + n, ']', n);
	big[2 * n] = '\0';
	CHECK(read_str(big, &d, err, sizeof(err)) < 0);
	CHECK(strstr(err, "too deep") != NULL);
	doc_free(&d);
	free(big);

	/* A headline longer than any ikeprobe writes. */
	n = len + DOC_MAX_STRING + 100;
	big = malloc(n + 1);
	p = strstr(buf, "\"headline\": \"");
	CHECK(p != NULL);	/* the fixture has what the case edits */
	if (big && p) {
		size_t head = (size_t)(p - buf) + 13;

		memcpy(big, buf, head);
		memset(big + head, 'a', DOC_MAX_STRING + 1);
		strcpy(big + head + DOC_MAX_STRING + 1, strchr(p + 13, '"'));
		CHECK(read_str(big, &d, err, sizeof(err)) < 0);
		snprintf(want, sizeof(want), "`headline' is %u bytes long",
		    DOC_MAX_STRING + 1);
		CHECK(strstr(err, want) != NULL);
		doc_free(&d);
	}
	free(big);

	/* Escapes for a terminal and a bidirectional override become '?';
	 * a NUL in the middle does not cut the string short. */
	big = malloc(len + 64);
	p = strstr(buf, "\"HQ office\"");
	CHECK(p != NULL);
	if (big && p) {
		size_t at = (size_t)(p - buf);

		memcpy(big, buf, at);
		strcpy(big + at, "\"a\\u001b[31mb\\u202ec\\u0000d\\nd\"");
		strcat(big, p + 11);
		CHECK(read_str(big, &d, err, sizeof(err)) == 0);
		CHECK(doc_is(&d.local.label, "a?[31mb?c?d d"));
		doc_free(&d);
	}
	free(big);

	/* Numbers out of range and of the wrong kind. */
	CHECK(read_str("{\"schema\": \"ikeprobe.report/1\", \"tool\": {\"name\": "
	    "\"ikeprobe\"}, \"started\": \"x\", \"headline\": \"h\", "
	    "\"target\": {\"name\": \"n\", \"address\": \"a\"}, \"local\": "
	    "{\"address\": \"a\", \"interface\": \"i\", \"mtu\": "
	    "99999999999999999999}, \"ports\": {\"500\": {\"state\": \"open\"}}, "
	    "\"probes\": [], \"findings\": []}", &d, err, sizeof(err)) < 0);
	CHECK(strstr(err, "local.mtu") != NULL);
	doc_free(&d);
	/* Counters a renderer adds up cannot be made to overflow. */
	big = malloc(len + 64);
	p = strstr(buf, "\"unmatched_ike\": 0");
	CHECK(p != NULL);
	if (big && p) {
		size_t at = (size_t)(p - buf);

		memcpy(big, buf, at);
		strcpy(big + at, "\"unmatched_ike\": 9223372036854775807");
		strcat(big, p + 18);
		CHECK(read_str(big, &d, err, sizeof(err)) < 0);
		CHECK(strstr(err, "capture.unmatched_ike") != NULL);
		doc_free(&d);
	}
	free(big);

	/* The smallest report of all: the keys every version has. */
	CHECK(read_str("{\"schema\": \"ikeprobe.report/1\", \"tool\": {\"name\": "
	    "\"ikeprobe\"}, \"started\": \"x\", \"headline\": \"h\", "
	    "\"target\": {\"name\": \"n\", \"address\": \"a\"}, \"local\": "
	    "{\"address\": \"a\", \"interface\": \"i\"}, \"ports\": {\"500\": "
	    "{\"state\": \"open\"}}, \"probes\": [], \"findings\": []}", &d, err,
	    sizeof(err)) == 0);
	CHECK(d.nat.st == DOC_ABSENT && d.verdict.st == DOC_ABSENT);
	CHECK(strcmp(doc_s(&d.local.label, "none"), DOC_NOT_IN_REPORT) == 0);
	render_all(&d);
	doc_free(&d);
}

/* compare on a report and its mutations: the table stays in bounds. */
static void
test_compare(const char *buf, size_t len)
{
	struct cmp_table *t = calloc(1, sizeof(*t));
	struct doc d[2];
	char err[300];

	if (t == NULL)
		return;
	CHECK(doc_read(buf, len, &d[0], err, sizeof(err)) == 0);
	CHECK(doc_read(buf, len, &d[1], err, sizeof(err)) == 0);
	CHECK(cmp_add(t, "a.json", &d[0]) == 0);
	CHECK(cmp_add(t, "b.json", &d[1]) == 0);
	cmp_build(t);
	CHECK_EQ(t->n_differ, 0);
	CHECK(t->n_rows > 10);
	for (int i = 0; i < CMP_MAX_COLS - 2; i++)
		CHECK(cmp_add(t, "more.json", &d[0]) == 0);
	CHECK(cmp_add(t, "one too many.json", &d[0]) < 0);
	doc_free(&d[0]);
	doc_free(&d[1]);
	free(t);
}

int
main(void)
{
	size_t len = 0;
	char *buf = slurp("reports/hq.json", &len);

	CHECK(buf != NULL);
	if (buf == NULL)
		return check_done();
	test_good(buf, len);
	test_truncations(buf, len);
	test_mutations(buf, len);
	test_hostile(buf, len);
	test_compare(buf, len);
	free(buf);
	return check_done();
}
