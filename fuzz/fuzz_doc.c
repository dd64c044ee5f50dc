/* The saved-report reader that `show' and `compare' run on files from
 * tickets and mail (and every live run on its own JSON), then what is
 * built from what it accepted: the text and Markdown renderings and a
 * comparison of the report with itself. */
#include "fuzz.h"
#include "ikeprobe/compare.h"
#include "ikeprobe/doc.h"
#include "ikeprobe/render.h"

/* A kept string is there, terminated, and free of control characters (a
 * report must not be able to drive the terminal it is shown on). */
static void
fz_doc_str(const struct doc_str *s)
{
	FZ_CHECK(s->st != DOC_SET || s->s != NULL);
	if (s->st == DOC_SET) {
		fz_name(s->s);
		for (const unsigned char *p = (const unsigned char *)s->s; *p;
		    p++)
			FZ_CHECK(*p >= 0x20 && *p != 0x7f);
	}
	fz_name(doc_s(s, "-"));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	static struct cmp_table t;
	char err[256];
	struct doc d;
	int rc;

	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		abort();
	rc = doc_read((const char *)data, size, &d, err, sizeof(err));
	/* Either a report or exactly one line saying why not. */
	FZ_CHECK(memchr(err, 0, sizeof(err)) != NULL);
	FZ_CHECK((rc == 0) == (err[0] == '\0'));
	FZ_CHECK(strchr(err, '\n') == NULL);
	if (rc == 0) {
		FZ_CHECK(d.n_ports >= 0 && d.n_probes >= 0 &&
		    d.n_findings >= 0 && d.n_others >= 0);
		fz_doc_str(&d.schema);
		fz_doc_str(&d.headline);
		fz_doc_str(&d.local.label);
		fz_doc_str(&d.target.name);
		doc_text(null, &d, COLOR_ALWAYS);
		doc_markdown(null, &d);
		memset(&t, 0, sizeof(t));
		if (cmp_add(&t, "a.json", &d) == 0 &&
		    cmp_add(&t, "b.json", &d) == 0) {
			cmp_build(&t);
			FZ_CHECK(t.n_rows >= 0 && t.n_rows <= CMP_MAX_ROWS);
			/* A report never differs from itself (its other
			 * addresses' columns may differ from each other). */
			if (d.n_others == 0)
				FZ_CHECK(t.n_differ == 0);
			cmp_text(null, &t, COLOR_ALWAYS);
			cmp_markdown(null, &t);
		}
	}
	doc_free(&d);
	return 0;
}
