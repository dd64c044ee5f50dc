/* Probe records and the names the report uses for them. */
#include <string.h>

#include "ikeprobe/probe.h"

#define STRAY_KEY(e, key, code)		[e] = key,
#define STRAY_CODE(e, key, code)	[e] = code,
static const char *const stray_keys[STRAY_N] = { STRAY_TABLE(STRAY_KEY) };
static const char *const stray_codes[STRAY_N] = { STRAY_TABLE(STRAY_CODE) };

const char *
stray_key(enum stray_why w)
{
	return (unsigned)w < STRAY_N ? stray_keys[w] : "?";
}

const char *
stray_code(enum stray_why w)
{
	return (unsigned)w < STRAY_N ? stray_codes[w] : "?";
}

void
probe_init(struct probe *p, int id, const struct probe_spec *s)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->parent = s->parent;
	p->kind = s->kind;
	p->purpose = s->purpose;
	p->confirm = s->confirm;
	p->frag_size = s->frag_size;
	p->dport = s->dport;
	p->sport = s->sport;
	p->size = s->size;
	p->df = s->df;
	p->ke_group = s->ke_group;
	p->with_cookie = s->cookie_len > 0;
	p->max_attempts = s->max_attempts < PROBE_MAX_ATTEMPTS ?
	    s->max_attempts : PROBE_MAX_ATTEMPTS;
	p->rto = s->rto;
	p->backoff = s->backoff;
	p->no_fragmentation = s->no_fragmentation;
	p->close_by_delete = s->close_by_delete;
	p->sa = s->sa;
	p->offer = s->offer;
	p->first_wire = p->last_wire = USEC_NONE;
	p->ended = USEC_NONE;
	p->rtt_ms = -1;
	p->fragments = 1;
}

void
probe_free(struct probe *p)
{
	exchange_free(&p->ex);
}

usec_t
probe_sent_at(const struct probe *p)
{
	if (p->first_wire != USEC_NONE)
		return p->first_wire;
	return p->attempts > 0 ? p->sent[0] : USEC_NONE;
}

bool
probe_sent_by(const struct probe *p, usec_t ts)
{
	usec_t t = probe_sent_at(p);

	return t != USEC_NONE && t <= ts;
}

const struct probe *
probe_set_get(const struct probe_set *s, int id)
{
	return id >= 0 && id < s->n ? &s->p[id] : NULL;
}

uint16_t
probe_set_sport(const struct probe_set *s, uint16_t dport)
{
	for (int i = 0; i < s->n_ports; i++)
		if (s->ports[i].dport == dport)
			return s->ports[i].sport;
	return 0;
}

enum auth_answer
probe_auth_answer(const struct probe *p)
{
	const struct ike_inner *in = &p->ex.inner;

	if ((p->kind != PROBE_AUTH && p->kind != PROBE_CLOSE) ||
	    p->result != PROBE_ANSWERED)
		return AUTH_ANSWER_NONE;
	if (in->n_payloads == 0)
		return AUTH_ANSWER_EMPTY;
	if (ike_inner_has_notify(in, IKE_N_AUTHENTICATION_FAILED))
		return AUTH_ANSWER_FAILED;
	for (int i = 0; i < in->n_notifies; i++)
		if (in->notifies[i] <= IKE_NOTIFY_ERROR_MAX)
			return AUTH_ANSWER_ERROR;
	if (in->has_eap && in->eap_code == IKE_EAP_REQUEST)
		return AUTH_ANSWER_EAP;
	return AUTH_ANSWER_OTHER;
}

const char *
auth_answer_name(enum auth_answer a)
{
	switch (a) {
	case AUTH_ANSWER_NONE:		return "none";
	case AUTH_ANSWER_EAP:		return "eap";
	case AUTH_ANSWER_FAILED:	return "authentication_failed";
	case AUTH_ANSWER_ERROR:		return "error";
	case AUTH_ANSWER_OTHER:		return "other";
	case AUTH_ANSWER_EMPTY:		return "empty";
	}
	return "?";
}

const char *
probe_result_name(enum probe_result r)
{
	switch (r) {
	case PROBE_PENDING:	return "pending";
	case PROBE_ANSWERED:	return "answered";
	case PROBE_ICMP:	return "icmp";
	case PROBE_LOST:	return "lost";
	case PROBE_SEND_FAILED:	return "send_failed";
	}
	return "?";
}

const char *
probe_purpose_name(enum probe_purpose p)
{
	switch (p) {
	case PURPOSE_REACH:	return "reachability";
	case PURPOSE_FOLLOW_UP:	return "follow-up";
	case PURPOSE_PMTU:	return "path-mtu";
	case PURPOSE_FRAG:	return "fragments";
	case PURPOSE_CONTROL:	return "control";
	case PURPOSE_AUTH_SA:	return "auth-sa";
	case PURPOSE_AUTH:	return "auth";
	case PURPOSE_CLOSE:	return "close";
	case PURPOSE_AUDIT:	return "audit";
	}
	return "?";
}

const char *
probe_kind_name(enum probe_kind k)
{
	switch (k) {
	case PROBE_SA:		return "sa";
	case PROBE_STATELESS:	return "stateless";
	case PROBE_AUTH:	return "auth";
	case PROBE_CLOSE:	return "close";
	}
	return "?";
}
