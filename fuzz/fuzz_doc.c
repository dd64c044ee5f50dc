/* The saved-report reader that `show' and `compare' run on files from
 * tickets and mail (and every live run on its own JSON), then what is
 * built from what it accepted: the text and Markdown renderings, and a
 * comparison of two reports (or of one with itself) in text, Markdown and
 * JSON, under file names taken from the input. */
#include <json-c/json.h>

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

static void
fz_doc_icmp(const struct doc_icmp *i)
{
	fz_doc_str(&i->from);
	fz_doc_str(&i->name);
}

static void
fz_doc_named(const struct doc_named *n)
{
	fz_doc_str(&n->type);
	fz_doc_str(&n->name);
	fz_doc_str(&n->hex);
}

/* Every string the reader kept, and every count within its limit; the
 * reports of other addresses the same way, one level deep. */
static void
fz_doc(const struct doc *d, int depth)
{
	const struct doc_str *top[] = {
		&d->schema, &d->tool_name, &d->tool_version, &d->started,
		&d->headline, &d->target.name, &d->target.address,
		&d->target.family, &d->local.address, &d->local.interface,
		&d->local.gateway, &d->local.network, &d->local.label,
		&d->local.hostname, &d->local.os, &d->local.kernel,
		&d->nat.evidence, &d->responder.reply, &d->verdict.reason,
		&d->fragments.outbound, &d->fragments.inbound,
		&d->fragments.evidence, &d->path_mtu.source, &d->path_mtu.icmp,
		&d->path_mtu.router, &d->path_mtu.evidence,
	};
	const struct doc_responder *r = &d->responder;

	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		fz_doc_str(top[i]);
	FZ_CHECK(d->n_ports >= 0 && d->n_ports <= DOC_MAX_PORTS);
	for (int i = 0; i < d->n_ports; i++) {
		fz_doc_str(&d->ports[i].state);
		fz_doc_str(&d->ports[i].reply);
		fz_doc_str(&d->ports[i].meaning);
		fz_doc_icmp(&d->ports[i].icmp);
	}
	FZ_CHECK(d->n_probes >= 0 && d->n_probes <= DOC_MAX_PROBES);
	for (int i = 0; i < d->n_probes; i++) {
		const struct doc_probe *p = &d->probes[i];

		fz_doc_str(&p->kind);
		fz_doc_str(&p->purpose);
		fz_doc_str(&p->result);
		fz_doc_str(&p->reply);
		fz_doc_str(&p->problem);
		fz_doc_str(&p->send_error);
		fz_doc_icmp(&p->icmp);
	}
	FZ_CHECK(d->n_findings >= 0 && d->n_findings <= DOC_MAX_FINDINGS);
	for (int i = 0; i < d->n_findings; i++) {
		fz_doc_str(&d->findings[i].code);
		fz_doc_str(&d->findings[i].severity);
		fz_doc_str(&d->findings[i].summary);
		fz_doc_str(&d->findings[i].advice);
	}
	FZ_CHECK(d->target.n_addresses <= DOC_MAX_LIST);
	for (int i = 0; i < d->target.n_addresses; i++)
		fz_doc_str(&d->target.addresses[i]);
	FZ_CHECK(r->n_vendor_ids <= DOC_MAX_LIST && r->n_notifies <=
	    DOC_MAX_LIST && r->n_chosen <= DOC_MAX_LIST);
	for (int i = 0; i < r->n_vendor_ids; i++)
		fz_doc_named(&r->vendor_ids[i]);
	for (int i = 0; i < r->n_notifies; i++)
		fz_doc_str(&r->notifies[i]);
	for (int i = 0; i < r->n_chosen; i++)
		fz_doc_named(&r->chosen[i]);
	fz_doc_named(&r->ke_group);
	fz_doc_named(&r->invalid_ke_group);
	FZ_CHECK(d->fragments.n_ports >= 0 &&
	    d->fragments.n_ports <= DOC_MAX_PORTS);
	for (int i = 0; i < d->fragments.n_ports; i++)
		fz_doc_str(&d->fragments.ports[i].outbound);
	FZ_CHECK(d->n_others >= 0 && d->n_others <= DOC_MAX_OTHERS);
	FZ_CHECK(depth == 0 || d->n_others == 0);
	for (int i = 0; i < d->n_others; i++)
		fz_doc(&d->others[i], depth + 1);
}

/* The next piece of the input, up to a NUL (which no JSON text holds
 * outside a string, and inside one only escaped). */
static const uint8_t *
piece(const uint8_t **at, const uint8_t *end, size_t *len)
{
	const uint8_t *p = *at, *nul;

	if (p == NULL)
		return NULL;
	nul = memchr(p, 0, (size_t)(end - p));
	*len = (size_t)((nul ? nul : end) - p);
	*at = nul ? nul + 1 : NULL;
	return p;
}

/* A file name as a user might give it, kept to what the caller holds. */
static const char *
name_of(const uint8_t *p, size_t n, char *buf, size_t len, const char *dflt)
{
	if (p == NULL || n == 0)
		return dflt;
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

static int
read_one(const uint8_t *p, size_t n, struct doc *d)
{
	char err[256];
	int rc;

	rc = doc_read((const char *)p, n, d, err, sizeof(err));
	/* Either a report or exactly one line saying why not. */
	FZ_CHECK(memchr(err, 0, sizeof(err)) != NULL);
	FZ_CHECK((rc == 0) == (err[0] == '\0'));
	FZ_CHECK(strchr(err, '\n') == NULL);
	return rc;
}

/* What compare prints, as JSON: well-formed, and the count of differences
 * is the check rows marked. */
static void
fz_cmp_json(const struct cmp_table *t)
{
	struct json_object *j = cmp_json(t), *back, *v;
	const char *s;
	int marked = 0;

	FZ_CHECK(j != NULL);
	s = json_object_to_json_string_ext(j, RENDER_JSON_FLAGS);
	FZ_CHECK(s != NULL);
	back = json_tokener_parse(s);
	FZ_CHECK(back != NULL);
	FZ_CHECK(json_object_object_get_ex(back, "rows", &v) &&
	    (int)json_object_array_length(v) == t->n_rows);
	for (int r = 0; r < t->n_rows; r++)
		marked += t->rows[r].differs && t->rows[r].kind == CMP_CHECK;
	FZ_CHECK(marked == t->n_differ);
	json_object_put(back);
	json_object_put(j);
}

/* Input: one report, or pieces split at NUL bytes: report A, report B,
 * A's file name, B's file name. One report is compared with itself. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	static struct cmp_table t;
	const uint8_t *at = data, *end = data + size, *pa, *pb, *na, *nb;
	size_t la = 0, lb = 0, lna = 0, lnb = 0;
	char fa[64], fb[64];
	struct doc a, b;
	bool two;
	int ra, rb = -1;

	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		abort();
	pa = piece(&at, end, &la);
	pb = piece(&at, end, &lb);
	na = piece(&at, end, &lna);
	nb = piece(&at, end, &lnb);
	two = pb != NULL;
	ra = read_one(pa, la, &a);
	if (two)
		rb = read_one(pb, lb, &b);
	if (ra == 0) {
		fz_doc(&a, 0);
		doc_text(null, &a, COLOR_ALWAYS, TEXT_WIDTH_MIN);
		doc_markdown(null, &a);
	}
	if (rb == 0) {
		fz_doc(&b, 0);
		doc_text(null, &b, COLOR_NEVER, TEXT_WIDTH);
	}
	if (ra == 0 && (!two || rb == 0)) {
		const struct doc *second = two ? &b : &a;
		bool same = !two || (la == lb && memcmp(pa, pb, la) == 0);

		memset(&t, 0, sizeof(t));
		if (cmp_add(&t, name_of(na, lna, fa, sizeof(fa), "a.json"), &a) == 0 &&
		    cmp_add(&t, name_of(nb, lnb, fb, sizeof(fb), "b.json"), second) == 0) {
			cmp_build(&t);
			FZ_CHECK(t.n_rows >= 0 && t.n_rows <= CMP_MAX_ROWS);
			FZ_CHECK(t.n_cols >= 2 && t.n_cols <= CMP_MAX_COLS);
			for (int c = 0; c < t.n_cols; c++)
				FZ_CHECK(memchr(t.cols[c].title, 0,
				    sizeof(t.cols[c].title)) != NULL);
			/* A report never differs from itself (its other
			 * addresses' columns may differ from each other). */
			if (same && a.n_others == 0)
				FZ_CHECK(t.n_differ == 0);
			cmp_text(null, &t, COLOR_ALWAYS);
			cmp_markdown(null, &t);
			fz_cmp_json(&t);
		}
	}
	doc_free(&a);
	if (two)
		doc_free(&b);
	return 0;
}
