/* A certificate as cert_check() judged it, as JSON: the fields the live
 * report's certificates (output/json.c) and ikeprobe analyze's
 * (output/analysis_json.c) share, in one place. */
#include <json-c/json.h>

#include "ikeprobe/cert.h"
#include "ikeprobe/report.h"

static json_object *
j_strs(const char (*v)[CERT_STR], int n)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static json_object *
j_time(int64_t t)
{
	char ts[32];

	rfc3339((double)t, ts, sizeof(ts));
	return json_object_new_string(ts);
}

/* What a certificate is, as cert_check() judged it: the fields the live
 * report's certificates and ikeprobe analyze's share. */
void
report_json_cert(json_object *o, const struct cert_info *c)
{
	json_object *e;

	json_object_object_add(o, "subject", json_object_new_string(c->subject));
	json_object_object_add(o, "issuer", json_object_new_string(c->issuer));
	json_object_object_add(o, "serial", json_object_new_string(c->serial));
	json_object_object_add(o, "not_before", j_time(c->not_before));
	json_object_object_add(o, "not_after", j_time(c->not_after));
	json_object_object_add(o, "days_left", json_object_new_int64(c->days_left));
	json_object_object_add(o, "expired", json_object_new_boolean(c->expired));
	json_object_object_add(o, "not_yet_valid", json_object_new_boolean(c->not_yet_valid));
	json_object_object_add(o, "san", j_strs(c->san, c->n_san));
	json_object_object_add(o, "name_checked", c->name_checked ?
	    json_object_new_string(c->name) : NULL);
	json_object_object_add(o, "name_matches", c->name_checked ?
	    json_object_new_boolean(c->name_matches) : NULL);
	e = json_object_new_array();
	for (int i = 0; i < c->n_eku; i++)
		json_object_array_add(e, json_object_new_string(c->eku[i]));
	json_object_object_add(o, "eku", e);
	json_object_object_add(o, "server_auth", json_object_new_boolean(c->server_auth));
	json_object_object_add(o, "key", json_object_new_string(c->key));
	json_object_object_add(o, "weak_key", json_object_new_boolean(c->weak_key));
	json_object_object_add(o, "signature", json_object_new_string(c->signature));
	json_object_object_add(o, "sha1", json_object_new_boolean(c->sha1));
	json_object_object_add(o, "chain", j_strs(c->chain, c->n_chain));
	json_object_object_add(o, "intermediates_sent", json_object_new_boolean(c->intermediates_sent));
	json_object_object_add(o, "self_signed", json_object_new_boolean(c->self_signed));
}
