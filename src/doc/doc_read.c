/* Reading a JSON report back (doc.h). The file may come from anywhere: a
 * ticket, a mail, a colleague's laptop. So json-c parses with a depth limit
 * and UTF-8 checking, every value is checked for its type and range before
 * it is kept, arrays and strings are bounded, and strings are cleaned of
 * control characters. The first problem ends the read with one line that
 * names the key, e.g. "`ports.500.state' is a number, not a string". */
#include <arpa/inet.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikeprobe/doc.h"
#include "ikeprobe/utf8.h"

#define SCHEMA_V1	"ikeprobe.report/1"
#define SCHEMA_PREFIX	"ikeprobe.report/"
#define JSON_DEPTH	24	/* a report nests 6 deep, 8 in others */
#define BLOCK_MIN	(64u << 10)

struct doc_block {
	struct doc_block *next;
	size_t		 used, cap;
	max_align_t	 data[];
};

/* What one read carries: the doc being filled, where in the document we
 * are (for the error line), and the first error. */
struct rd {
	struct doc	*root;		/* owns the memory */
	struct doc	*d;		/* being filled: root, or one of others */
	char		 path[160];
	size_t		 plen;
	char		*err;
	size_t		 errlen;
	bool		 failed;
	size_t		 budget;	/* bytes the doc may still allocate */
};

enum { OPT = 0, REQ = 1, NUL = 2 };	/* a key may be absent; must be
					 * there; may be null */

/* Reads one element of an array or port map into its struct. */
typedef void rd_elem_fn(struct rd *, json_object *, void *);

static void __attribute__((format(printf, 2, 3)))
fail(struct rd *rd, const char *fmt, ...)
{
	va_list ap;

	if (rd->failed)
		return;
	rd->failed = true;
	va_start(ap, fmt);
	vsnprintf(rd->err, rd->errlen, fmt, ap);
	va_end(ap);
}

static void *
alloc(struct rd *rd, size_t n)
{
	struct doc_block *b = rd->root->mem;
	size_t cap;
	void *p;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (n > rd->budget) {
		fail(rd, "too large: more than ikeprobe ever writes");
		return NULL;
	}
	if (b == NULL || b->cap - b->used < n) {
		cap = n > BLOCK_MIN ? n : BLOCK_MIN;
		if ((b = calloc(1, sizeof(*b) + cap)) == NULL) {
			fail(rd, "out of memory");
			return NULL;
		}
		b->cap = cap;
		b->next = rd->root->mem;
		rd->root->mem = b;
	}
	p = (char *)b->data + b->used;
	b->used += n;
	rd->budget -= n;
	return p;
}

/* Path segments for the error line: push returns the length to pop to. */
static size_t
push(struct rd *rd, const char *seg)
{
	size_t old = rd->plen;
	int n = snprintf(rd->path + old, sizeof(rd->path) - old, "%s%s",
	    old ? "." : "", seg);

	if (n > 0)
		rd->plen = old + (size_t)n < sizeof(rd->path) ?
		    old + (size_t)n : sizeof(rd->path) - 1;
	return old;
}

static size_t
push_index(struct rd *rd, size_t i)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%zu", i);
	return push(rd, buf);
}

static void
pop(struct rd *rd, size_t to)
{
	rd->plen = to;
	rd->path[to] = '\0';
}

/* "broken report: `path.key' <what>": what is wrong with a member. */
static void __attribute__((format(printf, 3, 4)))
fail_key(struct rd *rd, const char *key, const char *fmt, ...)
{
	char what[256];
	va_list ap;
	size_t at;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	at = push(rd, key);
	fail(rd, "broken report: `%s' %s", rd->path, what);
	pop(rd, at);
}

static const char *
type_words(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:	return "null";
	case json_type_boolean:	return "true or false";
	case json_type_double:
	case json_type_int:	return "a number";
	case json_type_object:	return "an object";
	case json_type_array:	return "an array";
	case json_type_string:	return "a string";
	}
	return "of an unknown type";
}

/* The value of key in obj, after checking that it is there (REQ) and of
 * the given type or null (NUL). NULL: absent or null; *st says which. */
static json_object *
member(struct rd *rd, json_object *obj, const char *key, enum json_type t,
    int flags, enum doc_state *st, const char *want)
{
	json_object *v = NULL;

	*st = DOC_ABSENT;
	if (rd->failed || obj == NULL)
		return NULL;
	if (!json_object_object_get_ex(obj, key, &v)) {
		if (flags & REQ) {
			if (rd->plen)
				fail(rd, "broken report: `%s' has no `%s'",
				    rd->path, key);
			else
				fail(rd, "broken report: no `%s'", key);
		}
		return NULL;
	}
	if (v == NULL) {
		*st = DOC_NULL;
		if (!(flags & NUL)) {
			fail_key(rd, key, "is null, not %s", want);
		}
		return NULL;
	}
	if (json_object_get_type(v) != t && !(t == json_type_double &&
	    json_object_get_type(v) == json_type_int)) {
		fail_key(rd, key, "is %s, not %s", type_words(v), want);
		return NULL;
	}
	*st = DOC_SET;
	return v;
}

static const char *
clean(struct rd *rd, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	char *o = alloc(rd, n + 1);
	size_t i = 0, j = 0, len;
	uint32_t cp;

	if (o == NULL)
		return NULL;
	while (i < n) {
		if ((len = utf8_char(u + i, n - i, &cp)) == 0) {
			o[j++] = '?';
			i++;
			continue;
		}
		if (cp == '\n' || cp == '\r' || cp == '\t')
			o[j++] = ' ';
		else if (utf8_unsafe(cp))
			o[j++] = '?';
		else {
			memcpy(o + j, s + i, len);
			j += len;
		}
		i += len;
	}
	o[j] = '\0';
	return o;
}

static void
rd_str(struct rd *rd, json_object *obj, const char *key, struct doc_str *out,
    int flags)
{
	json_object *v = member(rd, obj, key, json_type_string, flags,
	    &out->st, "a string");
	size_t n;

	out->s = NULL;
	if (v == NULL)
		return;
	n = (size_t)json_object_get_string_len(v);
	if (n > DOC_MAX_STRING) {
		fail_key(rd, key, "is %zu bytes long, more than ikeprobe "
		    "writes (%u)", n, DOC_MAX_STRING);
		return;
	}
	out->s = clean(rd, json_object_get_string(v), n);
}

static void
rd_int(struct rd *rd, json_object *obj, const char *key, struct doc_int *out,
    long long lo, long long hi, int flags)
{
	json_object *v = member(rd, obj, key, json_type_int, flags, &out->st,
	    "a whole number");

	out->v = 0;
	if (v == NULL)
		return;
	/* json-c keeps what does not fit an int64 as a uint64. */
	out->v = json_object_get_int64(v);
	if (out->v < lo || out->v > hi || (out->v == INT64_MAX &&
	    json_object_get_uint64(v) > INT64_MAX)) {
		fail_key(rd, key, "is %s, not from %lld to %lld",
		    json_object_get_string(v), lo, hi);
		out->st = DOC_ABSENT;
	}
}

static void
rd_real(struct rd *rd, json_object *obj, const char *key,
    struct doc_real *out, int flags)
{
	json_object *v = member(rd, obj, key, json_type_double, flags,
	    &out->st, "a number");

	out->v = 0;
	if (v == NULL)
		return;
	out->v = json_object_get_double(v);
	if (!isfinite(out->v) || out->v < 0 || out->v > 1e9) {
		fail_key(rd, key, "is %s, not a time in ms",
		    json_object_get_string(v));
		out->st = DOC_ABSENT;
	}
}

static void
rd_bool(struct rd *rd, json_object *obj, const char *key,
    struct doc_bool *out, int flags)
{
	json_object *v = member(rd, obj, key, json_type_boolean, flags,
	    &out->st, "true or false");

	out->v = v ? json_object_get_boolean(v) : false;
}

static json_object *
rd_obj(struct rd *rd, json_object *obj, const char *key, int flags,
    enum doc_state *st)
{
	enum doc_state dummy;

	return member(rd, obj, key, json_type_object, flags, st ? st : &dummy,
	    "an object");
}

/* An array of at most max items: its length, or -1 if absent or null. */
static int
rd_array(struct rd *rd, json_object *obj, const char *key, int flags,
    size_t max, json_object **out)
{
	enum doc_state st;
	size_t n;

	*out = member(rd, obj, key, json_type_array, flags, &st, "an array");
	if (*out == NULL)
		return -1;
	n = json_object_array_length(*out);
	if (n > max) {
		fail_key(rd, key, "has %zu entries, more than ikeprobe "
		    "writes (%zu)", n, max);
		*out = NULL;
		return -1;
	}
	return (int)n;
}

/* An array of at most max numbers from lo to hi (whole ones if whole):
 * their count, with the numbers in *out; -1 if absent or null. */
static int
rd_numbers(struct rd *rd, json_object *obj, const char *key, size_t max,
    double lo, double hi, bool whole, double **out)
{
	json_object *a;
	int n = rd_array(rd, obj, key, NUL, max, &a);
	size_t at;

	*out = NULL;
	if (n <= 0 || (*out = alloc(rd, (size_t)n * sizeof(**out))) == NULL)
		return n;
	at = push(rd, key);
	for (int i = 0; i < n && !rd->failed; i++) {
		json_object *e = json_object_array_get_idx(a, (size_t)i);
		enum json_type t = json_object_get_type(e);
		double v = t == json_type_int || t == json_type_double ?
		    json_object_get_double(e) : (double)NAN;

		if (!isfinite(v) || v < lo || v > hi || (whole &&
		    (t != json_type_int || v != floor(v)))) {
			size_t at2 = push_index(rd, (size_t)i);

			fail(rd, "broken report: `%s' is %s, not a %s from %g "
			    "to %g", rd->path, type_words(e), whole ?
			    "whole number" : "number", lo, hi);
			pop(rd, at2);
			break;
		}
		(*out)[i] = v;
	}
	pop(rd, at);
	return n;
}

/* An array of at most max strings of at most maxlen bytes: their count,
 * with the strings in *out; -1 if absent or null. */
static int
rd_strings(struct rd *rd, json_object *obj, const char *key, int flags,
    size_t max, size_t maxlen, struct doc_str **out)
{
	json_object *a;
	int n = rd_array(rd, obj, key, flags, max, &a);
	size_t at;

	*out = NULL;
	if (n <= 0 || (*out = alloc(rd, (size_t)n * sizeof(**out))) == NULL)
		return n;
	at = push(rd, key);
	for (int i = 0; i < n && !rd->failed; i++) {
		json_object *e = json_object_array_get_idx(a, (size_t)i);

		if (json_object_get_type(e) != json_type_string ||
		    (size_t)json_object_get_string_len(e) > maxlen) {
			size_t at2 = push_index(rd, (size_t)i);

			fail(rd, "broken report: `%s' is %s, not a string of at "
			    "most %zu bytes", rd->path, type_words(e), maxlen);
			pop(rd, at2);
			break;
		}
		(*out)[i].st = DOC_SET;
		(*out)[i].s = clean(rd, json_object_get_string(e),
		    (size_t)json_object_get_string_len(e));
	}
	pop(rd, at);
	return n;
}

/* Element i of an array, which must be an object. */
static json_object *
element_obj(struct rd *rd, json_object *a, size_t i)
{
	json_object *v = json_object_array_get_idx(a, i);
	size_t at;

	if (json_object_get_type(v) == json_type_object)
		return v;
	at = push_index(rd, i);
	fail(rd, "broken report: `%s' is %s, not an object", rd->path,
	    type_words(v));
	pop(rd, at);
	return NULL;
}

static void
rd_icmp(struct rd *rd, json_object *obj, const char *key, struct doc_icmp *ic)
{
	json_object *o = rd_obj(rd, obj, key, NUL, &ic->st);
	size_t at;

	if (o == NULL)
		return;
	at = push(rd, key);
	rd_int(rd, o, "type", &ic->type, 0, 255, REQ);
	rd_int(rd, o, "code", &ic->code, 0, 255, REQ);
	rd_int(rd, o, "mtu", &ic->mtu, 0, 65535, OPT);
	rd_str(rd, o, "from", &ic->from, REQ);
	rd_str(rd, o, "name", &ic->name, OPT);
	pop(rd, at);
}

/* A port number as an object key: "500", no sign, no leading zero. */
static long long
port_key(const char *k)
{
	long long v = 0;

	if (k[0] < '1' || k[0] > '9' || strlen(k) > 5)
		return -1;
	for (const char *c = k; *c; c++) {
		if (*c < '0' || *c > '9')
			return -1;
		v = v * 10 + (*c - '0');
	}
	return v <= 65535 ? v : -1;
}

static bool
bad_port_key(struct rd *rd, const char *what, const char *k, long long *port)
{
	const char *show = clean(rd, k, strnlen(k, 40));

	if ((*port = port_key(k)) > 0)
		return false;
	fail(rd, "broken report: `%s' has the key `%s', not a port number",
	    what, show ? show : "?");
	return true;
}

/* An object keyed by port number ("500": {...}), each value read by fn
 * into one element of size bytes whose port number is at port_off: the
 * elements, with their count in *count. At least min entries. */
static void *
rd_port_map(struct rd *rd, json_object *o, const char *what, int min,
    size_t size, size_t port_off, int *count, rd_elem_fn *fn)
{
	size_t n = (size_t)json_object_object_length(o), at;
	char *items;
	int i = 0;

	if (n < (size_t)min || n > DOC_MAX_PORTS) {
		fail(rd, "broken report: `%s' has %zu entries, not %d to %d",
		    what, n, min, DOC_MAX_PORTS);
		return NULL;
	}
	if (n == 0 || (items = alloc(rd, n * size)) == NULL)
		return NULL;
	at = push(rd, "ports");
	json_object_object_foreach(o, k, v) {
		char *e = items + (size_t)i * size;
		size_t at2;

		if (rd->failed || bad_port_key(rd, what, k,
		    (long long *)(void *)(e + port_off)))
			break;
		at2 = push(rd, k);
		if (json_object_get_type(v) != json_type_object) {
			fail(rd, "broken report: `%s' is %s, not an object",
			    rd->path, type_words(v));
			break;
		}
		fn(rd, v, e);
		pop(rd, at2);
		i++;
	}
	pop(rd, at);
	*count = i;
	return items;
}

static void
rd_port(struct rd *rd, json_object *v, void *elem)
{
	struct doc_port *p = elem;

	rd_str(rd, v, "state", &p->state, REQ);
	rd_str(rd, v, "reply", &p->reply, NUL);
	rd_str(rd, v, "meaning", &p->meaning, OPT);
	rd_icmp(rd, v, "icmp", &p->icmp);
	rd_real(rd, v, "rtt_ms", &p->rtt_ms, NUL);
	rd_int(rd, v, "source_port", &p->source_port, 0, 65535, OPT);
	rd_str(rd, v, "source_port_error", &p->source_port_error, NUL);
	rd_int(rd, v, "attempts", &p->attempts, 0, 1000000, OPT);
}

static void
rd_ports(struct rd *rd, json_object *root)
{
	json_object *o = rd_obj(rd, root, "ports", REQ, NULL);

	if (o != NULL)
		rd->d->ports = rd_port_map(rd, o, "ports", 1,
		    sizeof(*rd->d->ports), offsetof(struct doc_port, port),
		    &rd->d->n_ports, rd_port);
}

/* An array of objects under key, each read by fn into one element of size
 * bytes: the elements, with their count in *count (0 when absent). */
static void *
rd_objects(struct rd *rd, json_object *parent, const char *key, int flags,
    int max, size_t size, int *count, rd_elem_fn *fn)
{
	json_object *a, *o;
	size_t at;
	char *items;
	int n = rd_array(rd, parent, key, flags, max, &a);

	if (n <= 0 || (items = alloc(rd, (size_t)n * size)) == NULL)
		return NULL;
	at = push(rd, key);
	for (int i = 0; i < n && !rd->failed; i++) {
		size_t at2;

		if ((o = element_obj(rd, a, (size_t)i)) == NULL)
			break;
		at2 = push_index(rd, (size_t)i);
		fn(rd, o, items + (size_t)i * size);
		pop(rd, at2);
	}
	pop(rd, at);
	*count = n;
	return items;
}

static void
rd_named(struct rd *rd, json_object *o, struct doc_named *t)
{
	rd_str(rd, o, "type", &t->type, OPT);
	rd_str(rd, o, "name", &t->name, NUL);
	rd_str(rd, o, "hex", &t->hex, OPT);
	rd_int(rd, o, "id", &t->id, 0, 65535, OPT);
	rd_int(rd, o, "key_length", &t->key_length, 0, 65535, NUL);
}

static void
rd_named_elem(struct rd *rd, json_object *o, void *elem)
{
	rd_named(rd, o, elem);
}

static void
rd_responder(struct rd *rd, json_object *root)
{
	struct doc_responder *r = &rd->d->responder;
	json_object *o = rd_obj(rd, root, "responder", OPT, &r->st), *t;
	size_t at;
	int n;

	if (o == NULL)
		return;
	at = push(rd, "responder");
	rd_bool(rd, o, "fragmentation_supported", &r->fragmentation_supported, NUL);
	r->vendor_ids = rd_objects(rd, o, "vendor_ids", NUL, DOC_MAX_LIST,
	    sizeof(*r->vendor_ids), &r->n_vendor_ids, rd_named_elem);
	/* chosen: null when the gateway chose nothing, absent in old
	 * reports. */
	r->chosen_st = !json_object_object_get_ex(o, "chosen", &t) ?
	    DOC_ABSENT : t == NULL ? DOC_NULL : DOC_SET;
	r->chosen = rd_objects(rd, o, "chosen", NUL, DOC_MAX_LIST,
	    sizeof(*r->chosen), &r->n_chosen, rd_named_elem);
	n = rd_strings(rd, o, "notifies", OPT, DOC_MAX_LIST, 64, &r->notifies);
	r->n_notifies = n > 0 ? n : 0;
	if ((t = rd_obj(rd, o, "ke_group", NUL, &r->ke_group_st)) != NULL) {
		size_t at2 = push(rd, "ke_group");

		rd_named(rd, t, &r->ke_group);
		pop(rd, at2);
	}
	if ((t = rd_obj(rd, o, "invalid_ke_group", NUL,
	    &r->invalid_ke_group_st)) != NULL) {
		size_t at2 = push(rd, "invalid_ke_group");

		rd_named(rd, t, &r->invalid_ke_group);
		pop(rd, at2);
	}
	rd_int(rd, o, "nonce_length", &r->nonce_length, 0, 65535, NUL);
	rd_int(rd, o, "certreq", &r->certreq, 0, 65535, OPT);
	rd_str(rd, o, "reply", &r->reply, NUL);
	pop(rd, at);
}

/* What an IKE_AUTH or closing probe adds (0.3 on). */
static void
rd_protected(struct rd *rd, json_object *o, struct doc_probe *p)
{
	json_object *k;
	size_t at;

	rd_bool(rd, o, "no_fragmentation", &p->no_fragmentation, OPT);
	rd_int(rd, o, "sa", &p->sa, 0, 1000000, OPT);
	rd_str(rd, o, "spi_r", &p->spi_r, OPT);
	rd_str(rd, o, "exchange", &p->exchange, OPT);
	rd_int(rd, o, "message_id", &p->message_id, 0, 4294967295LL, OPT);
	rd_str(rd, o, "answer", &p->answer, OPT);
	rd_int(rd, o, "ike_fragments", &p->ike_fragments, 0, 1000, NUL);
	rd_int(rd, o, "ip_fragments", &p->ip_fragments, 0, 1000, NUL);
	rd_int(rd, o, "reply_bytes", &p->reply_bytes, 0, 1 << 24, NUL);
	if ((k = rd_obj(rd, o, "incomplete_answer", OPT, &p->incomplete.st))) {
		at = push(rd, "incomplete_answer");
		rd_int(rd, k, "first_fragments", &p->incomplete.first_fragments, 0, 1000000, REQ);
		rd_int(rd, k, "completed", &p->incomplete.completed, 0, 1000000, OPT);
		rd_int(rd, k, "later_fragments", &p->incomplete.later_fragments, 0, 1000000, REQ);
		rd_int(rd, k, "size", &p->incomplete.size, 0, 65535, REQ);
		pop(rd, at);
	}
	if ((k = rd_obj(rd, o, "keys", OPT, &p->keys.st)) == NULL)
		return;
	at = push(rd, "keys");
	rd_str(rd, k, "transforms", &p->keys.transforms, OPT);
	rd_int(rd, k, "encr", &p->keys.encr, 0, 65535, REQ);
	rd_int(rd, k, "encr_bits", &p->keys.encr_bits, 0, 1024, REQ);
	rd_int(rd, k, "integ", &p->keys.integ, 0, 65535, REQ);
	rd_int(rd, k, "prf", &p->keys.prf, 0, 65535, REQ);
	rd_int(rd, k, "dh", &p->keys.dh, 0, 65535, OPT);
	rd_str(rd, k, "sk_ei", &p->keys.sk_ei, REQ);
	rd_str(rd, k, "sk_er", &p->keys.sk_er, REQ);
	rd_str(rd, k, "sk_ai", &p->keys.sk_ai, REQ);
	rd_str(rd, k, "sk_ar", &p->keys.sk_ar, REQ);
	rd_str(rd, k, "sk_pr", &p->keys.sk_pr, REQ);
	pop(rd, at);
}

static void
rd_probe(struct rd *rd, json_object *o, void *elem)
{
	struct doc_probe *p = elem;

	rd_int(rd, o, "id", &p->id, 0, 1000000, OPT);
	rd_int(rd, o, "port", &p->port, 1, 65535, REQ);
	rd_int(rd, o, "size", &p->size, 0, 65535, OPT);
	rd_int(rd, o, "fragments", &p->fragments, 0, 1000, OPT);
	rd_int(rd, o, "fragment_size", &p->fragment_size, 0, 65535, NUL);
	rd_int(rd, o, "attempts", &p->attempts, 0, 1000, OPT);
	rd_int(rd, o, "follows", &p->follows, 0, 1000000, OPT);
	rd_str(rd, o, "kind", &p->kind, OPT);
	rd_str(rd, o, "purpose", &p->purpose, OPT);
	rd_str(rd, o, "result", &p->result, REQ);
	rd_str(rd, o, "reply", &p->reply, NUL);
	rd_str(rd, o, "problem", &p->problem, OPT);
	rd_str(rd, o, "send_error", &p->send_error, OPT);
	rd_bool(rd, o, "df", &p->df, OPT);
	rd_bool(rd, o, "repeat", &p->repeat, OPT);
	rd_real(rd, o, "rtt_ms", &p->rtt_ms, NUL);
	rd_icmp(rd, o, "icmp", &p->icmp);
	rd_int(rd, o, "ke_group", &p->ke_group, 0, 65535, OPT);
	rd_int(rd, o, "ip_id", &p->ip_id, 0, 4294967295LL, OPT);
	rd_str(rd, o, "spi_i", &p->spi_i, OPT);
	rd_str(rd, o, "send_errno", &p->send_errno, NUL);
	rd_real(rd, o, "ended_ms", &p->ended_ms, NUL);
	p->n_sent_ms = rd_numbers(rd, o, "sent_ms", DOC_MAX_ATTEMPTS, 0, 1e9,
	    false, &p->sent_ms);
	rd_str(rd, o, "offer", &p->offer, OPT);
	rd_protected(rd, o, p);
}

static void
rd_finding(struct rd *rd, json_object *o, void *elem)
{
	struct doc_finding *f = elem;

	rd_str(rd, o, "code", &f->code, REQ);
	rd_str(rd, o, "severity", &f->severity, REQ);
	rd_str(rd, o, "summary", &f->summary, REQ);
	rd_str(rd, o, "advice", &f->advice, OPT);
}

/* target.resolved (0.3 on): per address, its family and whether it was
 * probed, kept beside target.addresses in its order. */
static void
rd_resolved(struct rd *rd, json_object *target)
{
	struct doc_target *t = &rd->d->target;
	json_object *a, *e, *v;
	int n = rd_array(rd, target, "resolved", OPT, DOC_MAX_LIST, &a);
	size_t at;

	if (t->n_addresses <= 0)
		return;
	t->families = alloc(rd, (size_t)t->n_addresses * sizeof(*t->families));
	t->probed = alloc(rd, (size_t)t->n_addresses * sizeof(*t->probed));
	t->reasons = alloc(rd, (size_t)t->n_addresses * sizeof(*t->reasons));
	if (n <= 0 || t->families == NULL || t->probed == NULL || t->reasons == NULL)
		return;
	at = push(rd, "resolved");
	for (int i = 0; i < n && !rd->failed; i++) {
		struct doc_str addr, fam, reason;
		struct doc_bool probed;
		size_t at2;

		if ((e = element_obj(rd, a, (size_t)i)) == NULL)
			break;
		at2 = push_index(rd, (size_t)i);
		rd_str(rd, e, "address", &addr, REQ);
		rd_str(rd, e, "family", &fam, REQ);
		rd_bool(rd, e, "probed", &probed, REQ);
		rd_str(rd, e, "reason", &reason, NUL);
		if (!rd->failed && !doc_is(&fam, "ipv4") && !doc_is(&fam, "ipv6"))
			fail(rd, "broken report: `%s.family' is not ipv4 or ipv6",
			    rd->path);
		for (int k = 0; !rd->failed && k < t->n_addresses; k++)
			if (strcmp(t->addresses[k].s, addr.s) == 0) {
				t->families[k] = doc_is(&fam, "ipv6") ? "ipv6" : "ipv4";
				t->probed[k] = probed.v;
				t->reasons[k] = reason.st == DOC_SET ? reason.s : NULL;
			}
		pop(rd, at2);
	}
	pop(rd, at);
	(void)v;
}

static void
rd_target_local(struct rd *rd, json_object *root)
{
	struct doc *d = rd->d;
	json_object *o;
	size_t at;

	o = rd_obj(rd, root, "target", REQ, NULL);
	at = push(rd, "target");
	rd_str(rd, o, "name", &d->target.name, REQ);
	rd_str(rd, o, "address", &d->target.address, REQ);
	rd_str(rd, o, "family", &d->target.family, OPT);
	rd_bool(rd, o, "cluster", &d->target.cluster, OPT);
	d->target.n_addresses = rd_strings(rd, o, "addresses", OPT,
	    DOC_MAX_LIST, 64, &d->target.addresses);
	rd_resolved(rd, o);
	pop(rd, at);

	o = rd_obj(rd, root, "local", REQ, NULL);
	at = push(rd, "local");
	rd_str(rd, o, "address", &d->local.address, REQ);
	rd_str(rd, o, "interface", &d->local.interface, REQ);
	rd_int(rd, o, "mtu", &d->local.mtu, 0, 1 << 20, NUL);
	rd_int(rd, o, "source_port", &d->local.source_port, 0, 65535, OPT);
	rd_str(rd, o, "gateway", &d->local.gateway, NUL);
	rd_str(rd, o, "network", &d->local.network, NUL);
	rd_str(rd, o, "label", &d->local.label, NUL);
	rd_str(rd, o, "hostname", &d->local.hostname, NUL);
	rd_str(rd, o, "os", &d->local.os, NUL);
	rd_str(rd, o, "kernel", &d->local.kernel, NUL);
	pop(rd, at);
}

/* fragments.ports: the outcome per port, keyed like `ports'. */
static void
rd_frag_port(struct rd *rd, json_object *v, void *elem)
{
	struct doc_frag_port *fp = elem;
	json_object *in;

	rd_str(rd, v, "outbound", &fp->outbound, OPT);
	rd_int(rd, v, "largest_answered", &fp->largest_answered, 0, 65535,
	    NUL);
	rd_int(rd, v, "smallest_lost", &fp->smallest_lost, 0, 65535, NUL);
	if ((in = rd_obj(rd, v, "inbound", NUL, &fp->inbound.st)) != NULL) {
		size_t at = push(rd, "inbound");

		rd_int(rd, in, "answered", &fp->inbound.answered, 0, 1000, REQ);
		rd_int(rd, in, "lost", &fp->inbound.lost, 0, 1000, REQ);
		rd_int(rd, in, "largest_bytes", &fp->inbound.largest_bytes, 0, 1 << 24, NUL);
		rd_int(rd, in, "largest_ip_fragments", &fp->inbound.largest_ip_fragments, 0, 1000, NUL);
		rd_int(rd, in, "largest_ike_fragments", &fp->inbound.largest_ike_fragments, 0, 1000, NUL);
		rd_int(rd, in, "first_fragments_only", &fp->inbound.first_fragments_only, 0, 1000000, OPT);
		pop(rd, at);
	}
}

static void
rd_sizes(struct rd *rd, json_object *root)
{
	struct doc_verdict *v = &rd->d->verdict;
	struct doc_fragments *f = &rd->d->fragments;
	struct doc_path_mtu *m = &rd->d->path_mtu;
	json_object *o, *ports;
	size_t at;

	if ((o = rd_obj(rd, root, "verdict", OPT, &v->st)) != NULL) {
		at = push(rd, "verdict");
		rd_bool(rd, o, "ikev2_fragmentation_needed", &v->needed, NUL);
		rd_str(rd, o, "reason", &v->reason, OPT);
		rd_bool(rd, o, "in_headline", &v->in_headline, OPT);
		pop(rd, at);
	}
	if ((o = rd_obj(rd, root, "fragments", OPT, &f->st)) != NULL) {
		at = push(rd, "fragments");
		rd_str(rd, o, "outbound", &f->outbound, OPT);
		rd_str(rd, o, "inbound", &f->inbound, OPT);
		rd_str(rd, o, "inbound_evidence", &f->inbound_evidence, OPT);
		rd_int(rd, o, "inbound_probe", &f->inbound_probe, 0, 1000000, NUL);
		rd_str(rd, o, "evidence", &f->evidence, OPT);
		rd_int(rd, o, "largest_answered", &f->largest_answered, 0, 65535,
		    NUL);
		rd_int(rd, o, "smallest_lost", &f->smallest_lost, 0, 65535, NUL);
		rd_int(rd, o, "fragment_size", &f->fragment_size, 0, 65535, NUL);
		rd_bool(rd, o, "tested", &f->tested_key, OPT);
		if ((ports = rd_obj(rd, o, "ports", OPT, NULL)) != NULL)
			f->ports = rd_port_map(rd, ports, "fragments.ports", 0,
			    sizeof(*f->ports), offsetof(struct doc_frag_port,
			    port), &f->n_ports, rd_frag_port);
		pop(rd, at);
	}
	if ((o = rd_obj(rd, root, "path_mtu", OPT, &m->st)) != NULL) {
		at = push(rd, "path_mtu");
		rd_int(rd, o, "value", &m->value, 0, 65535, NUL);
		rd_int(rd, o, "router_mtu", &m->router_mtu, 0, 65535, NUL);
		rd_int(rd, o, "largest_answered", &m->largest_answered, 0, 65535,
		    NUL);
		rd_int(rd, o, "smallest_failed", &m->smallest_failed, 0, 65535,
		    NUL);
		rd_int(rd, o, "port", &m->port, 0, 65535, NUL);
		rd_str(rd, o, "source", &m->source, NUL);
		rd_str(rd, o, "icmp", &m->icmp, NUL);
		rd_bool(rd, o, "tested", &m->tested_key, OPT);
		rd_str(rd, o, "router", &m->router, NUL);
		rd_str(rd, o, "evidence", &m->evidence, OPT);
		rd_bool(rd, o, "black_hole", &m->black_hole, OPT);
		pop(rd, at);
	}
}

static void
rd_auth_exchange(struct rd *rd, json_object *o, void *elem)
{
	struct doc_auth_exchange *e = elem;

	rd_int(rd, o, "probe", &e->probe, 0, 1000000, REQ);
	rd_int(rd, o, "port", &e->port, 1, 65535, REQ);
	rd_bool(rd, o, "ikev2_fragmentation", &e->ikev2_fragmentation, OPT);
	rd_str(rd, o, "answer", &e->answer, REQ);
	rd_str(rd, o, "error", &e->error, NUL);
	rd_str(rd, o, "eap", &e->eap, NUL);
	rd_int(rd, o, "reply_bytes", &e->reply_bytes, 0, 1 << 24, NUL);
	rd_int(rd, o, "ike_fragments", &e->ike_fragments, 0, 1000, OPT);
	rd_int(rd, o, "ip_fragments", &e->ip_fragments, 0, 1000, OPT);
	rd_int(rd, o, "first_fragments_only", &e->first_fragments_only, 0, 1000000, OPT);
	rd_bool(rd, o, "deleted", &e->deleted, NUL);
	rd_str(rd, o, "closed_by", &e->closed_by, NUL);
	rd_int(rd, o, "close_probe", &e->close_probe, 0, 1000000, NUL);
}

/* A server's certificate as judged (the IKE gateway's, the SSTP
 * server's): the same object in both places. */
static void
rd_certificate(struct rd *rd, json_object *parent, struct doc_certificate *c)
{
	json_object *o;
	size_t at;
	int n;

	if ((o = rd_obj(rd, parent, "certificate", NUL, &c->st)) == NULL)
		return;
	at = push(rd, "certificate");
	rd_int(rd, o, "probe", &c->probe, 0, 1000000, NUL);
	rd_bool(rd, o, "parsed", &c->parsed, REQ);
	rd_str(rd, o, "problem", &c->problem, NUL);
	rd_str(rd, o, "subject", &c->subject, OPT);
	rd_str(rd, o, "issuer", &c->issuer, OPT);
	rd_str(rd, o, "serial", &c->serial, OPT);
	rd_str(rd, o, "not_before", &c->not_before, NUL);
	rd_str(rd, o, "not_after", &c->not_after, NUL);
	rd_int(rd, o, "days_left", &c->days_left, -10000000, 10000000, OPT);
	rd_bool(rd, o, "expired", &c->expired, OPT);
	rd_bool(rd, o, "not_yet_valid", &c->not_yet_valid, OPT);
	n = rd_strings(rd, o, "san", OPT, DOC_MAX_LIST, 512, &c->san);
	c->n_san = n > 0 ? n : 0;
	rd_str(rd, o, "name_checked", &c->name_checked, NUL);
	rd_bool(rd, o, "name_matches", &c->name_matches, OPT);
	n = rd_strings(rd, o, "eku", OPT, DOC_MAX_LIST, 128, &c->eku);
	c->n_eku = n > 0 ? n : 0;
	rd_bool(rd, o, "server_auth", &c->server_auth, OPT);
	rd_str(rd, o, "key", &c->key, OPT);
	rd_bool(rd, o, "weak_key", &c->weak_key, OPT);
	rd_str(rd, o, "signature", &c->signature, OPT);
	rd_bool(rd, o, "sha1", &c->sha1, OPT);
	n = rd_strings(rd, o, "chain", OPT, DOC_MAX_LIST, 512, &c->chain);
	c->n_chain = n > 0 ? n : 0;
	rd_bool(rd, o, "intermediates_sent", &c->intermediates_sent, OPT);
	rd_bool(rd, o, "self_signed", &c->self_signed, OPT);
	rd_bool(rd, o, "trusted", &c->trusted, NUL);
	rd_str(rd, o, "trust_error", &c->trust_error, NUL);
	rd_str(rd, o, "trust_store", &c->trust_store, OPT);
	rd_bool(rd, o, "chain_incomplete", &c->chain_incomplete, OPT);
	rd_bool(rd, o, "auth_verified", &c->auth_verified, NUL);
	rd_str(rd, o, "auth_error", &c->auth_error, NUL);
	pop(rd, at);
}

static void
rd_sstp_legacy(struct rd *rd, json_object *o, void *elem)
{
	struct doc_sstp_legacy *l = elem;

	rd_str(rd, o, "version", &l->version, REQ);
	rd_bool(rd, o, "accepted", &l->accepted, NUL);
	rd_int(rd, o, "source_port", &l->source_port, 0, 65535, NUL);
	rd_str(rd, o, "connect_error", &l->connect_error, NUL);
	rd_bool(rd, o, "timed_out", &l->timed_out, OPT);
	rd_str(rd, o, "error", &l->error, NUL);
	rd_str(rd, o, "cipher", &l->cipher, NUL);
}

/* The SSTP check (0.5 on). */
static void
rd_sstp(struct rd *rd, json_object *root)
{
	struct doc_sstp *t = &rd->d->sstp;
	json_object *o, *x;
	size_t at, at2;
	int n;

	if ((o = rd_obj(rd, root, "sstp", NUL, &t->st)) == NULL)
		return;
	at = push(rd, "sstp");
	rd_int(rd, o, "port", &t->port, 1, 65535, REQ);
	rd_str(rd, o, "state", &t->state, REQ);
	rd_str(rd, o, "meaning", &t->meaning, OPT);
	rd_real(rd, o, "connect_ms", &t->connect_ms, NUL);
	rd_int(rd, o, "source_port", &t->source_port, 0, 65535, NUL);
	rd_int(rd, o, "syns", &t->syns, 0, 1000, OPT);
	rd_str(rd, o, "reset_from", &t->reset_from, NUL);
	rd_icmp(rd, o, "icmp", &t->icmp);
	rd_str(rd, o, "reached", &t->reached, OPT);
	rd_str(rd, o, "connect_error", &t->connect_error, NUL);
	rd_bool(rd, o, "timed_out", &t->timed_out, OPT);
	rd_str(rd, o, "error", &t->error, NUL);
	if ((x = rd_obj(rd, o, "tls", NUL, &t->tls_st)) != NULL) {
		at2 = push(rd, "tls");
		rd_str(rd, x, "version", &t->tls_version, NUL);
		rd_str(rd, x, "cipher", &t->tls_cipher, NUL);
		n = rd_strings(rd, x, "legacy_versions_accepted", OPT, 4, 16,
		    &t->legacy_accepted);
		t->n_legacy_accepted = n > 0 ? n : 0;
		t->legacy = rd_objects(rd, x, "legacy", OPT, 4,
		    sizeof(*t->legacy), &t->n_legacy, rd_sstp_legacy);
		pop(rd, at2);
	}
	if ((x = rd_obj(rd, o, "http", NUL, &t->http_st)) != NULL) {
		at2 = push(rd, "http");
		rd_int(rd, x, "status", &t->http_status, 0, 999, REQ);
		rd_str(rd, x, "reason", &t->http_reason, OPT);
		rd_str(rd, x, "server", &t->http_server, NUL);
		rd_str(rd, x, "content_length", &t->http_content_length, NUL);
		rd_bool(rd, x, "sstp_length", &t->http_sstp_length, OPT);
		pop(rd, at2);
	}
	rd_bool(rd, o, "listener", &t->listener, NUL);
	rd_str(rd, o, "call_connect", &t->call_connect, NUL);
	if ((x = rd_obj(rd, o, "call_connect_answer", NUL, &t->answer_st)) != NULL) {
		at2 = push(rd, "call_connect_answer");
		rd_int(rd, x, "message_type", &t->answer_type, 0, 65535, REQ);
		rd_str(rd, x, "message", &t->answer_message, NUL);
		rd_int(rd, x, "hash_protocols", &t->answer_hash, 0, 255, NUL);
		rd_int(rd, x, "status", &t->answer_status, 0, UINT32_MAX, NUL);
		rd_int(rd, x, "status_attribute", &t->answer_status_attr, 0, 255, NUL);
		pop(rd, at2);
	}
	rd_certificate(rd, o, &t->certificate);
	/* Base64 of at most CERT_MAX_DER (64 KB) bytes each. */
	n = rd_strings(rd, o, "chain_der", OPT, 8, 90000, &t->chain_der);
	t->n_chain_der = n > 0 ? n : 0;
	rd_real(rd, o, "duration_ms", &t->duration_ms, NUL);
	pop(rd, at);
}

/* auth and certificate (0.3 on): the IKE_AUTH probe and what it found. */
static void
rd_auth(struct rd *rd, json_object *root)
{
	struct doc_auth *a = &rd->d->auth;
	struct doc_certificate *c = &rd->d->certificate;
	json_object *o;
	size_t at;

	if ((o = rd_obj(rd, root, "auth", OPT, &a->st)) != NULL) {
		at = push(rd, "auth");
		rd_bool(rd, o, "tested", &a->tested, REQ);
		rd_str(rd, o, "what", &a->what, OPT);
		rd_int(rd, o, "port", &a->port, 1, 65535, NUL);
		rd_str(rd, o, "proposal", &a->proposal, NUL);
		rd_str(rd, o, "answer", &a->answer, NUL);
		rd_bool(rd, o, "deleted", &a->deleted, NUL);
		rd_bool(rd, o, "certificate_auth_only", &a->certificate_auth_only, OPT);
		rd_bool(rd, o, "load_balancer_no_affinity", &a->load_balancer_no_affinity, OPT);
		rd_str(rd, o, "load_balancer_evidence", &a->load_balancer_evidence, NUL);
		a->exchanges = rd_objects(rd, o, "exchanges", OPT, 8,
		    sizeof(*a->exchanges), &a->n_exchanges, rd_auth_exchange);
		pop(rd, at);
	}
	rd_certificate(rd, root, c);
}

static void
rd_counts(struct rd *rd, json_object *root)
{
	struct doc_nat *n = &rd->d->nat;
	struct doc_capture *c = &rd->d->capture;
	struct doc_traffic *t = &rd->d->traffic;
	/* Counts far above any run, low enough that renderers may add a
	 * few without overflow. */
	const long long big = 1LL << 50;
	json_object *o;
	size_t at;

	if ((o = rd_obj(rd, root, "nat", OPT, &n->st)) != NULL) {
		at = push(rd, "nat");
		rd_bool(rd, o, "detected", &n->detected, NUL);
		rd_bool(rd, o, "client_side", &n->client_side, NUL);
		rd_bool(rd, o, "gateway_side", &n->gateway_side, NUL);
		rd_int(rd, o, "probe", &n->probe, 0, 1000000, NUL);
		rd_str(rd, o, "evidence", &n->evidence, OPT);
		rd_str(rd, o, "consequence", &n->consequence, NUL);
		pop(rd, at);
	}
	if ((o = rd_obj(rd, root, "capture", OPT, &c->st)) != NULL) {
		at = push(rd, "capture");
		rd_int(rd, o, "packets", &c->packets, 0, big, OPT);
		rd_int(rd, o, "sent_seen", &c->sent_seen, 0, big, OPT);
		rd_int(rd, o, "replies", &c->replies, 0, big, OPT);
		rd_int(rd, o, "duplicates", &c->duplicates, 0, big, OPT);
		rd_int(rd, o, "unmatched_ike", &c->unmatched_ike, 0, big, OPT);
		rd_int(rd, o, "unmatched_icmp", &c->unmatched_icmp, 0, big, OPT);
		rd_int(rd, o, "malformed", &c->malformed, 0, big, OPT);
		rd_int(rd, o, "other", &c->other, 0, big, OPT);
		rd_int(rd, o, "dropped", &c->dropped, 0, big, NUL);
		rd_int(rd, o, "reasm_expired", &c->reasm_expired, 0, big, OPT);
		rd_int(rd, o, "unrelated", &c->unrelated, 0, big, OPT);
		pop(rd, at);
	}
	if ((o = rd_obj(rd, root, "traffic", OPT, &t->st)) != NULL) {
		at = push(rd, "traffic");
		rd_int(rd, o, "probes", &t->probes, 0, big, OPT);
		rd_int(rd, o, "packets_sent", &t->packets_sent, 0, big, OPT);
		rd_int(rd, o, "bytes_sent", &t->bytes_sent, 0, big, OPT);
		rd_int(rd, o, "full_sa_replies", &t->full_sa_replies, 0, big, OPT);
		pop(rd, at);
	}
}

/* The schema key decides whether this is a report at all. */
static void
rd_identity(struct rd *rd, json_object *root)
{
	struct doc *d = rd->d;
	json_object *tool;
	const char *s;
	size_t at;

	rd_str(rd, root, "schema", &d->schema, rd->plen ? REQ : OPT);
	if (rd->failed)
		return;
	if (d->schema.st == DOC_ABSENT) {
		fail(rd, "not an ikeprobe report: no `schema' key");
		return;
	}
	s = d->schema.s;
	if (strncmp(s, SCHEMA_PREFIX, strlen(SCHEMA_PREFIX)) != 0) {
		fail(rd, "not an ikeprobe report: schema `%.60s', not %s", s,
		    SCHEMA_V1);
		return;
	}
	if (strcmp(s, SCHEMA_V1) != 0) {
		fail(rd, "a report in a newer format (%.60s): this ikeprobe "
		    "reads %s; use a newer ikeprobe", s, SCHEMA_V1);
		return;
	}
	tool = rd_obj(rd, root, "tool", REQ, NULL);
	at = push(rd, "tool");
	rd_str(rd, tool, "name", &d->tool_name, REQ);
	rd_str(rd, tool, "version", &d->tool_version, OPT);
	pop(rd, at);
	if (!rd->failed && strcmp(d->tool_name.s, "ikeprobe") != 0)
		fail(rd, "not an ikeprobe report: written by `%.60s'",
		    d->tool_name.s);
}

/* How the run was asked to go, and how it ended (0.3 on). */
static void
rd_run(struct rd *rd, json_object *root)
{
	struct doc_options *op = &rd->d->options;
	struct doc_stopped *sp = &rd->d->stopped;
	json_object *o;
	size_t at;

	if ((o = rd_obj(rd, root, "options", OPT, &op->st)) != NULL) {
		at = push(rd, "options");
		op->n_ports = rd_numbers(rd, o, "ports", DOC_MAX_PORTS, 1, 65535,
		    true, &op->ports);
		op->n_sizes = rd_numbers(rd, o, "sizes", DOC_MAX_LIST, 0, 65535,
		    true, &op->sizes);
		rd_bool(rd, o, "quick", &op->quick, OPT);
		rd_bool(rd, o, "stateful", &op->stateful, OPT);
		rd_bool(rd, o, "all_addresses", &op->all_addresses, OPT);
		rd_bool(rd, o, "auth", &op->auth, OPT);
		rd_bool(rd, o, "audit", &op->audit, OPT);
		rd_bool(rd, o, "sstp", &op->sstp, OPT);
		rd_int(rd, o, "sstp_port", &op->sstp_port, 1, 65535, NUL);
		rd_str(rd, o, "ca", &op->ca, NUL);
		rd_int(rd, o, "attempts", &op->attempts, 1, DOC_MAX_ATTEMPTS, OPT);
		rd_int(rd, o, "fragment_size", &op->fragment_size, 0, 65535, NUL);
		rd_real(rd, o, "rto_ms", &op->rto_ms, OPT);
		pop(rd, at);
	}
	if ((o = rd_obj(rd, root, "stopped", NUL, &sp->st)) != NULL) {
		at = push(rd, "stopped");
		rd_str(rd, o, "reason", &sp->reason, REQ);
		rd_str(rd, o, "error", &sp->error, NUL);
		rd_real(rd, o, "after_ms", &sp->after_ms, NUL);
		rd_int(rd, o, "signal", &sp->signal, 1, 64, NUL);
		pop(rd, at);
	}
}

static void
rd_audit_entry(struct rd *rd, json_object *o, void *elem)
{
	struct doc_audit_entry *e = elem;

	rd_str(rd, o, "offer", &e->offer, REQ);
	rd_str(rd, o, "type", &e->type, OPT);
	rd_int(rd, o, "id", &e->id, 0, 65535, OPT);
	rd_int(rd, o, "key_length", &e->key_length, 0, 65535, NUL);
	rd_str(rd, o, "rfc8247", &e->rfc8247, OPT);
	rd_bool(rd, o, "weak", &e->weak, OPT);
	rd_str(rd, o, "label", &e->label, OPT);
	rd_str(rd, o, "source", &e->source, OPT);
	rd_str(rd, o, "answer", &e->answer, REQ);
	rd_int(rd, o, "probe", &e->probe, 0, 1000000, NUL);
	rd_str(rd, o, "group", &e->group, NUL);
	rd_str(rd, o, "note", &e->note, NUL);
}

/* audit (0.4 on): the proposal audit, null without --audit. */
static void
rd_audit(struct rd *rd, json_object *root)
{
	struct doc_audit *a = &rd->d->audit;
	json_object *o, *c;
	size_t at;

	if ((o = rd_obj(rd, root, "audit", NUL, &a->st)) == NULL)
		return;
	at = push(rd, "audit");
	rd_int(rd, o, "port", &a->port, 1, 65535, NUL);
	rd_int(rd, o, "requests", &a->requests, 0, 1000, REQ);
	rd_int(rd, o, "full_sa_answers", &a->full_sa_answers, 0, 1000, OPT);
	rd_real(rd, o, "duration_ms", &a->duration_ms, NUL);
	rd_bool(rd, o, "conclusive", &a->conclusive, REQ);
	rd_str(rd, o, "reason", &a->reason, NUL);
	rd_str(rd, o, "verified_order", &a->verified_order, NUL);
	rd_str(rd, o, "windows_default", &a->windows_default, NUL);
	if ((c = rd_obj(rd, o, "controls", OPT, NULL)) != NULL) {
		size_t at2 = push(rd, "controls");

		rd_int(rd, c, "positive_probe", &a->positive_probe, 0, 1000000, NUL);
		rd_int(rd, c, "negative_probe", &a->negative_probe, 0, 1000000, NUL);
		rd_str(rd, c, "negative_answer", &a->negative_answer, NUL);
		pop(rd, at2);
	}
	a->accepted = rd_objects(rd, o, "accepted", REQ, DOC_MAX_LIST,
	    sizeof(*a->accepted), &a->n_accepted, rd_audit_entry);
	a->refused = rd_objects(rd, o, "refused", REQ, DOC_MAX_LIST,
	    sizeof(*a->refused), &a->n_refused, rd_audit_entry);
	a->unanswered = rd_objects(rd, o, "unanswered", REQ, DOC_MAX_LIST,
	    sizeof(*a->unanswered), &a->n_unanswered, rd_audit_entry);
	a->clients = rd_objects(rd, o, "clients", OPT, DOC_MAX_LIST,
	    sizeof(*a->clients), &a->n_clients, rd_audit_entry);
	pop(rd, at);
}

static void
rd_report(struct rd *rd, json_object *root, bool top)
{
	struct doc *d = rd->d;
	json_object *a, *o;
	size_t at;
	int n;

	rd_identity(rd, root);
	rd_str(rd, root, "started", &d->started, REQ);
	rd_str(rd, root, "headline", &d->headline, REQ);
	rd_int(rd, root, "duration_ms", &d->duration_ms, 0, INT64_MAX, OPT);
	rd_bool(rd, root, "complete", &d->complete, OPT);
	rd_str(rd, root, "status", &d->status, OPT);
	rd_int(rd, root, "exit_status", &d->exit_status, 0, 255, OPT);
	rd_str(rd, root, "worst_severity", &d->worst_severity, OPT);
	rd_int(rd, root, "started_us", &d->started_us, 0, INT64_MAX, OPT);
	rd_run(rd, root);
	rd_target_local(rd, root);
	rd_ports(rd, root);
	rd_responder(rd, root);
	rd_sizes(rd, root);
	rd_auth(rd, root);
	rd_audit(rd, root);
	rd_sstp(rd, root);
	rd->d->probes = rd_objects(rd, root, "probes", REQ, DOC_MAX_PROBES,
	    sizeof(*rd->d->probes), &rd->d->n_probes, rd_probe);
	rd->d->findings = rd_objects(rd, root, "findings", REQ,
	    DOC_MAX_FINDINGS, sizeof(*rd->d->findings), &rd->d->n_findings,
	    rd_finding);
	rd_counts(rd, root);
	/* Reports of the other addresses: one level, as ikeprobe writes. */
	if (!top || (n = rd_array(rd, root, "others", OPT, DOC_MAX_OTHERS,
	    &a)) <= 0)
		return;
	if ((d->others = alloc(rd, (size_t)n * sizeof(*d->others))) == NULL)
		return;
	at = push(rd, "others");
	for (int i = 0; i < n && !rd->failed; i++) {
		struct doc *sub = &d->others[i];
		size_t at2;

		if ((o = element_obj(rd, a, (size_t)i)) == NULL)
			break;
		at2 = push_index(rd, (size_t)i);
		rd->d = sub;
		rd_report(rd, o, false);
		rd->d = d;
		d->n_others = i + 1;
		pop(rd, at2);
	}
	pop(rd, at);
}

static json_object *
parse(struct rd *rd, const char *buf, size_t len)
{
	struct json_tokener *tok;
	json_object *root;
	enum json_tokener_error e;
	size_t off;

	if (len == 0) {
		fail(rd, "empty, not a report");
		return NULL;
	}
	if (len > DOC_MAX_BYTES || len > INT32_MAX) {
		fail(rd, "%zu bytes, more than any report (%u)", len,
		    DOC_MAX_BYTES);
		return NULL;
	}
	if ((tok = json_tokener_new_ex(JSON_DEPTH)) == NULL) {
		fail(rd, "out of memory");
		return NULL;
	}
	/* Trailing data is ours to judge: it gets its own message. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_ALLOW_TRAILING_CHARS | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	e = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (e == json_tokener_continue) {
		fail(rd, "truncated: the JSON ends after %zu bytes, before "
		    "the report is complete", len);
		return NULL;
	}
	if (e != json_tokener_success) {
		fail(rd, "not an ikeprobe report (not JSON: %s at byte %zu)",
		    json_tokener_error_desc(e), off);
		json_object_put(root);
		return NULL;
	}
	/* Only white space may follow the document. */
	for (; off < len; off++)
		if (!strchr(" \t\r\n", buf[off])) {
			fail(rd, "not an ikeprobe report (not JSON: more data after "
			    "the document, at byte %zu)", off);
			json_object_put(root);
			return NULL;
		}
	if (json_object_get_type(root) != json_type_object) {
		fail(rd, "not an ikeprobe report: the document is %s, not an "
		    "object", type_words(root));
		json_object_put(root);
		return NULL;
	}
	return root;
}

/* Was this address probed by the run the document is from: the target of
 * one of its reports? */
static bool
probed_by(const struct doc *top, const char *addr)
{
	if (top->target.address.st == DOC_SET && strcmp(top->target.address.s, addr) == 0)
		return true;
	for (int i = 0; i < top->n_others; i++)
		if (top->others[i].target.address.st == DOC_SET &&
		    strcmp(top->others[i].target.address.s, addr) == 0)
			return true;
	return false;
}

/* The presentation model's decisions, made once for every renderer: from
 * the report's own keys, or, for a report from before they were written
 * (0.3), from what it says instead. */
static void
derive(const struct doc *top, struct doc *d)
{
	struct doc_fragments *f = &d->fragments;
	struct doc_path_mtu *m = &d->path_mtu;
	struct doc_verdict *v = &d->verdict;
	struct doc_capture *c = &d->capture;
	uint8_t buf[16];

	/* Before 0.3: a fragment size only when fragments were sent; ICMP
	 * seen or not only when DF probes ran. */
	f->tested = f->tested_key.st == DOC_SET ? f->tested_key.v :
	    f->fragment_size.st == DOC_SET;
	m->tested = m->tested_key.st == DOC_SET ? m->tested_key.v :
	    m->icmp.st == DOC_SET;
	if (v->in_headline.st != DOC_SET)
		v->in_headline.v = v->reason.st == DOC_SET &&
		    d->headline.st == DOC_SET &&
		    strcmp(v->reason.s, d->headline.s) == 0;
	/* The reason explains what a short headline only states (0.3 on):
	 * shown unless the headline is that very sentence. */
	v->show = v->st == DOC_SET && v->reason.st == DOC_SET &&
	    (f->tested || m->tested) && !(d->headline.st == DOC_SET &&
	    strcmp(v->reason.s, d->headline.s) == 0);
	if (c->st == DOC_SET && c->unrelated.st != DOC_SET) {
		c->unrelated.st = DOC_SET;
		c->unrelated.v = c->unmatched_ike.v + c->unmatched_icmp.v +
		    c->other.v;
	}
	if (d->nat.consequence.st == DOC_ABSENT && d->nat.detected.st == DOC_SET &&
	    d->nat.detected.v) {
		d->nat.consequence.st = DOC_SET;
		d->nat.consequence.s = "UDP 4500 is needed";
	}
	for (int i = 0; d->target.families && i < d->target.n_addresses; i++) {
		const char *a = d->target.addresses[i].s;

		if (d->target.families[i] != NULL)
			continue;
		d->target.families[i] = inet_pton(AF_INET6, a, buf) == 1 ?
		    "ipv6" : "ipv4";
		d->target.probed[i] = probed_by(top, a);
	}
}

int
doc_read(const char *buf, size_t len, struct doc *d, char *err, size_t errlen)
{
	struct rd rd;
	json_object *root;

	memset(d, 0, sizeof(*d));
	memset(&rd, 0, sizeof(rd));
	rd.root = rd.d = d;
	rd.err = err;
	rd.errlen = errlen;
	rd.budget = 8 * (size_t)DOC_MAX_BYTES;
	if (errlen)
		err[0] = '\0';
	if ((root = parse(&rd, buf, len)) == NULL)
		return -1;
	rd_report(&rd, root, true);
	json_object_put(root);
	if (rd.failed)
		return -1;
	derive(d, d);
	for (int i = 0; i < d->n_others; i++)
		derive(d, &d->others[i]);
	return 0;
}

void
doc_free(struct doc *d)
{
	struct doc_block *b, *next;

	for (b = d->mem; b; b = next) {
		next = b->next;
		free(b);
	}
	memset(d, 0, sizeof(*d));
}

const char *
doc_s(const struct doc_str *s, const char *if_null)
{
	if (s->st == DOC_ABSENT)
		return DOC_NOT_IN_REPORT;
	return s->st == DOC_SET ? s->s : if_null;
}

bool
doc_is(const struct doc_str *s, const char *v)
{
	return s->st == DOC_SET && strcmp(s->s, v) == 0;
}

const char *
doc_family_name(const char *key)
{
	return key && strcmp(key, "ipv6") == 0 ? "IPv6" : "IPv4";
}

const char *
doc_nat_word(const struct doc_nat *n)
{
	if (n->detected.st != DOC_SET)
		return "unknown";
	return n->detected.v ? "detected" : "none";
}
