/* The proposal audit read back (--audit): what each offer got, whether the
 * answers can be read at all, and what that means for clients. Answers are
 * believed only when both controls held on this gateway: the broad offer
 * of reachability got INVALID_KE_PAYLOAD (it picks a proposal and then
 * wants another KE) and the offer no gateway can accept got
 * NO_PROPOSAL_CHOSEN (it looks at the proposals before the KE). */
#include <stdio.h>
#include <string.h>

#include "ikeprobe/audit.h"
#include "ikeprobe/plan.h"
#include "ikeprobe/report.h"

/* Where ikeprobe's lab showed that order (tests/lab/audit_scenarios.py),
 * by the name of the Vendor ID the gateway sends (ike_vid_name()). */
static const struct {
	const char	*vid;
	const char	*family;
} verified[] = {
	{ "strongSwan", "strongSwan" },
	{ "libreswan", "libreswan" },
	{ "libreswan/Openswan", "libreswan" },
};

const char *
audit_answer_name(enum audit_answer a)
{
	switch (a) {
	case AUDIT_NOT_ASKED:	return "not_asked";
	case AUDIT_ACCEPTED:	return "accepted";
	case AUDIT_REFUSED:	return "refused";
	case AUDIT_UNANSWERED:	return "unanswered";
	case AUDIT_ODD:		return "other";
	}
	return "?";
}

static bool
offers_group(const struct ike_offer *o, uint16_t g)
{
	for (int p = 0; p < o->n; p++)
		for (int i = 0; i < o->prop[p].n; i++)
			if (o->prop[p].x[i].type == IKE_TT_DH && o->prop[p].x[i].id == g)
				return true;
	return false;
}

/* Is every transform the gateway chose one of a single proposal of the
 * offer's? The chosen DH transform into *group. */
static bool
offers_chosen(const struct ike_offer *o, const struct ike_reply *r,
    uint16_t *group)
{
	for (int p = 0; p < o->n; p++) {
		bool all = r->n_chosen > 0;

		for (int c = 0; c < r->n_chosen && all; c++) {
			bool found = false;

			for (int i = 0; i < o->prop[p].n && !found; i++)
				found = o->prop[p].x[i].type == r->chosen[c].type &&
				    o->prop[p].x[i].id == r->chosen[c].id &&
				    (r->chosen[c].key_length < 0 ? o->prop[p].x[i].keylen == 0 :
				    o->prop[p].x[i].keylen == r->chosen[c].key_length);
			all = found;
		}
		if (all) {
			for (int c = 0; c < r->n_chosen; c++)
				if (r->chosen[c].type == IKE_TT_DH)
					*group = r->chosen[c].id;
			return true;
		}
	}
	return false;
}

/* What the last probe carrying the offer got (a COOKIE echo's answer over
 * the COOKIE). */
static void
judge(const struct probe *p, int offer, struct audit_result *r)
{
	struct ike_offer o;

	/* The last probe of an offer decides: nothing of an earlier one
	 * (its COOKIE) stays. */
	memset(r, 0, sizeof(*r));
	r->probe = p->id;
	if (p->result == PROBE_PENDING || p->result == PROBE_LOST ||
	    p->result == PROBE_ICMP) {
		r->answer = AUDIT_UNANSWERED;
		if (p->result == PROBE_ICMP)
			snprintf(r->note, sizeof(r->note), "ICMP %s", icmp_meaning_key(p->icmp.meaning));
		return;
	}
	if (p->result == PROBE_SEND_FAILED) {
		r->answer = AUDIT_ODD;
		snprintf(r->note, sizeof(r->note), "not sent: %.100s", p->problem);
		return;
	}
	if (p->reply.status != IKE_PARSE_OK) {
		r->answer = AUDIT_ODD;
		snprintf(r->note, sizeof(r->note), "malformed answer: %.100s", p->reply.problem);
		return;
	}
	audit_offer_build(offer, &o);
	switch (p->reply.kind) {
	case IKE_REPLY_NO_PROPOSAL:
		r->answer = AUDIT_REFUSED;
		return;
	case IKE_REPLY_INVALID_KE:
		/* The group it wants must be one of the offer's: else it did
		 * not answer this offer. */
		if (offers_group(&o, p->reply.invalid_ke_group)) {
			r->answer = AUDIT_ACCEPTED;
			r->group = p->reply.invalid_ke_group;
		} else {
			r->answer = AUDIT_ODD;
			snprintf(r->note, sizeof(r->note), "INVALID_KE_PAYLOAD for %s, "
			    "a group not offered", ike_dh_name(p->reply.invalid_ke_group));
		}
		return;
	case IKE_REPLY_SA:
		/* A gateway that takes a KE of a group it was not offered: a
		 * half-open SA made (counted in the report), and believed as
		 * an acceptance only if what it chose was offered. */
		if (offers_chosen(&o, &p->reply, &r->group)) {
			r->answer = AUDIT_ACCEPTED;
			snprintf(r->note, sizeof(r->note), "a full SA answer, though "
			    "the KE group was not offered");
		} else {
			r->answer = AUDIT_ODD;
			snprintf(r->note, sizeof(r->note), "a full SA answer with "
			    "transforms that were not offered");
		}
		return;
	case IKE_REPLY_COOKIE:
		r->answer = AUDIT_UNANSWERED;
		snprintf(r->note, sizeof(r->note), "COOKIE, echoed without an answer");
		return;
	case IKE_REPLY_NONE:
	case IKE_REPLY_ERROR:
	case IKE_REPLY_OTHER:
		r->answer = AUDIT_ODD;
		snprintf(r->note, sizeof(r->note), "%s", p->reply.n_notifies ?
		    ike_notify_name(p->reply.notifies[0]) : ike_reply_kind_name(p->reply.kind));
		return;
	}
}

static bool
any_accepted(const struct audit_report *a)
{
	for (int i = 1; i < audit_n_offers && i < AUDIT_MAX_OFFERS; i++)
		if (a->r[i].answer == AUDIT_ACCEPTED)
			return true;
	return false;
}

static const char *
vendor_family(const struct report *rep)
{
	const struct ike_reply *r = rep->responder;

	for (int i = 0; r && i < r->n_vids; i++) {
		const char *n = ike_vid_name(r->vids[i].data, r->vids[i].len);

		for (size_t k = 0; n && k < sizeof(verified) / sizeof(verified[0]); k++)
			if (strcmp(n, verified[k].vid) == 0)
				return verified[k].family;
	}
	return NULL;
}

static bool
pick_weak(const struct audit_offer_def *d)
{
	return d->role == AUDIT_TRANSFORM && rfc8247_weak(d->level);
}

/* Accepted and allowed, but on their way out: 3DES (64-bit blocks) and
 * SHA-1 (MUST-, RFC 8247 1.2), which the Windows defaults rest on. */
static bool
pick_legacy(const struct audit_offer_def *d)
{
	return d->role == AUDIT_TRANSFORM && (d->level == RFC8247_MUST_MINUS ||
	    (d->x.type == IKE_TT_ENCR && d->x.id == IKE_ENCR_3DES));
}

static bool
pick_client(const struct audit_offer_def *d)
{
	return d->role == AUDIT_CLIENT;
}

/* The accepted offers that pick() takes, in table order, into buf:
 * transforms by name and RFC 8247 level (probe: and the probe), clients
 * by label. How many. */
static int
accepted_list(const struct audit_report *a, bool (*pick)(const struct audit_offer_def *),
    bool probe, char *buf, size_t len)
{
	size_t at = 0;
	int n = 0;

	buf[0] = '\0';
	for (int i = 0; i < audit_n_offers && i < AUDIT_MAX_OFFERS; i++) {
		const struct audit_offer_def *d = &audit_offers[i];
		int w;

		if (a->r[i].answer != AUDIT_ACCEPTED || !pick(d) || at >= len)
			continue;
		if (d->role == AUDIT_CLIENT)
			w = snprintf(buf + at, len - at, "%s%s", n ? "; " : "", d->label);
		else if (probe)
			w = snprintf(buf + at, len - at, "%s%s (%s, probe #%d)", n ? ", " : "",
			    d->name, rfc8247_name(d->level), a->r[i].probe);
		else
			w = snprintf(buf + at, len - at, "%s%s (%s)", n ? ", " : "",
			    d->name, rfc8247_name(d->level));
		at += w > 0 ? (size_t)w : 0;
		n++;
	}
	return n;
}

static const char fix_weak[] =
    "Take them out of the gateway's policy, and give clients the matching "
    "suite first (a Windows client whose profile still sends the defaults "
    "then fails with error 13868). RRAS (Richard Hicks' baseline): "
    "Set-VpnServerConfiguration -CustomPolicy "
    "-AuthenticationTransformConstants SHA256128 -CipherTransformConstants "
    "AES128 -DHGroup Group14 -EncryptionMethod AES128 -IntegrityCheckMethod "
    "SHA256 -PFSgroup PFS2048 -SALifeTimeSeconds 28800 -MMSALifeTimeSeconds "
    "86400 -SADataSizeForRenegotiationKilobytes 1024000, and in each "
    "client's VPN profile (ProfileXML or Intune) the same <CryptographySuite>: "
    "AuthenticationTransformConstants SHA256128, CipherTransformConstants "
    "AES128, EncryptionMethod AES128, IntegrityCheckMethod SHA256, DHGroup "
    "Group14, PfsGroup PFS2048; strongSwan: proposals = "
    "aes256gcm16-prfsha384-ecp384, aes128-sha256-modp2048 in the connection"
    " (the second for those Windows profiles).";

static const char fix_windows[] =
    "Give every Windows client a VPN profile whose cryptographySuite matches "
    "the gateway (ProfileXML or Intune: EncryptionMethod, "
    "IntegrityCheckMethod, DHGroup; e.g. AES128, SHA256, Group14), or set "
    "NegotiateDH2048_AES256 = 2 under HKLM\\SYSTEM\\CurrentControlSet\\"
    "Services\\RasMan\\Parameters on clients (AES-256-CBC with DH group "
    "14) and allow that on the gateway; or accept the Windows defaults on "
    "the gateway again (not recommended: DH group 2).";

static void
findings(struct report *rep)
{
	struct audit_report *a = &rep->audit;
	char weak[900], ok[600];
	int wd = audit_offer_index("windows-default"), n;
	int w11 = audit_offer_index("windows11-default");

	if (!a->conclusive) {
		add_finding(rep, SEV_WARNING, "audit-inconclusive", "Run the audit "
		    "again from a network where the gateway answers on UDP 500; "
		    "a gateway that does not pick a proposal before it reads the "
		    "KE payload cannot be audited without making IKE SAs on it.",
		    "The proposal audit is inconclusive: %s", a->reason);
		return;
	}
	if ((n = accepted_list(a, pick_weak, true, weak, sizeof(weak))) > 0) {
		bool legacy = accepted_list(a, pick_legacy, false, ok, sizeof(ok)) > 0;

		add_finding(rep, SEV_WARNING, "weak-proposal-accepted", fix_weak,
		    "The gateway accepts %s RFC 8247 says must not or should not "
		    "be used: %s.%s%s%s", n > 1 ? "transforms" : "a transform",
		    weak, legacy ? " Also legacy: " : "", ok, legacy ? "." : "");
	}
	if (a->windows_default == AUDIT_REFUSED) {
		n = accepted_list(a, pick_client, false, ok, sizeof(ok));
		add_finding(rep, SEV_WARNING, "windows-default-refused", fix_windows,
		    "Windows clients with default IKEv2 settings cannot connect%s: "
		    "the gateway refused all their proposals (3DES or AES-CBC "
		    "with SHA-1, SHA-256 or SHA-384, DH group 2; probe #%d, "
		    "NO_PROPOSAL_CHOSEN). They fail with error 13868 (policy "
		    "match). %s%s.", w11 >= 0 && a->r[w11].answer == AUDIT_ACCEPTED ?
		    " (Windows 11 ones excepted: the gateway takes their AES-GCM "
		    "proposal)" : "", a->r[wd].probe, n ? "Accepted: " :
		    "None of the client suites ikeprobe knows was accepted", ok);
	}
}

void
diagnose_audit(struct report *rep)
{
	struct audit_report *a = &rep->audit;
	const struct probe_set *set = &rep->set;
	const struct probe *base = plan_audit_base(set), *ctl = NULL;
	usec_t first = USEC_NONE, last = USEC_NONE;

	memset(a, 0, sizeof(*a));
	a->tested = rep->sess->cfg.audit;
	a->base_probe = a->control_probe = -1;
	if (!a->tested)
		return;
	for (int i = 0; i < AUDIT_MAX_OFFERS; i++)
		a->r[i].probe = -1;
	for (int i = 0; i < set->n; i++) {
		const struct probe *p = &set->p[i];
		usec_t t = probe_sent_at(p);

		if (p->purpose != PURPOSE_AUDIT || p->offer < 0 ||
		    p->offer >= audit_n_offers || p->offer >= AUDIT_MAX_OFFERS)
			continue;
		a->requests++;
		a->port = p->dport;
		a->full_sa_answers += p->result == PROBE_ANSWERED &&
		    p->reply.kind == IKE_REPLY_SA;
		if (t != USEC_NONE && (first == USEC_NONE || t < first))
			first = t;
		if (p->ended != USEC_NONE && (last == USEC_NONE || p->ended > last))
			last = p->ended;
		/* Probes are in the order sent: the last one of an offer
		 * (its COOKIE echo) is what it got. */
		judge(p, p->offer, &a->r[p->offer]);
		if (p->offer == 0)
			ctl = p;
		else
			a->ran = true;
	}
	if (first != USEC_NONE && last != USEC_NONE && last > first)
		a->duration_ms = (double)(last - first) / 1000.0;
	a->verified_order = vendor_family(rep);
	/* The positive control: the broad offer of reachability chosen,
	 * else the first audit offer accepted. */
	if (plan_audit_chose(base))
		a->base_probe = base->id;
	for (int i = 1; i < audit_n_offers && a->base_probe < 0; i++)
		if (a->r[i].answer == AUDIT_ACCEPTED)
			a->base_probe = a->r[i].probe;
	if (ctl)
		a->control_probe = ctl->id;

	if (base == NULL)
		snprintf(a->reason, sizeof(a->reason), "no port answered, so no "
		    "offer was sent.");
	else if (ctl == NULL)
		snprintf(a->reason, sizeof(a->reason), "the run ended before the "
		    "audit began.");
	else if (a->r[0].answer == AUDIT_ACCEPTED)
		snprintf(a->reason, sizeof(a->reason), "the gateway answered "
		    "probe #%d, a proposal no gateway can accept, with "
		    "INVALID_KE_PAYLOAD: it does not choose a proposal before it "
		    "looks at the key exchange, so its answers do not tell what "
		    "it accepts.", ctl->id);
	else if (ctl->result == PROBE_SEND_FAILED)
		snprintf(a->reason, sizeof(a->reason), "the control, probe #%d, "
		    "could not be sent (%s).", ctl->id, ctl->problem);
	else if (a->r[0].answer != AUDIT_REFUSED)
		snprintf(a->reason, sizeof(a->reason), "the control, probe #%d "
		    "(a proposal no gateway can accept), got %s%s%s, not "
		    "NO_PROPOSAL_CHOSEN.", ctl->id,
		    a->r[0].answer == AUDIT_UNANSWERED ? "no answer" : "another answer",
		    a->r[0].note[0] ? ": " : "", a->r[0].note);
	else if (a->base_probe < 0)
		snprintf(a->reason, sizeof(a->reason), "the gateway refused every "
		    "offer, the broad one of probe #%d too: it has no "
		    "configuration this client matches (its address, port or "
		    "identity), or it accepts nothing audited.", base->id);
	else if (a->full_sa_answers > 0)
		snprintf(a->reason, sizeof(a->reason), "the gateway answered an "
		    "audit offer with a full SA (it takes a KE of a group it was "
		    "not offered), so the audit stopped there: each further offer "
		    "would have left a half-open SA on it; %d offer(s) went out.",
		    a->requests);
	else {
		int unanswered = 0, not_asked = 0, refused = 0;

		for (int i = 1; i < audit_n_offers; i++) {
			unanswered += a->r[i].answer == AUDIT_UNANSWERED;
			not_asked += a->r[i].answer == AUDIT_NOT_ASKED;
			refused += a->r[i].answer == AUDIT_REFUSED;
		}
		if ((unanswered + not_asked) * 2 > audit_n_offers - 1)
			/* Most offers lost: the gateway stopped answering (or a
			 * limit on its side); what is missing cannot be read. */
			snprintf(a->reason, sizeof(a->reason), "of %d offers, %d got "
			    "no answer and %d were not sent after that: the gateway "
			    "stopped answering (a limit on its side, or on the "
			    "path).", audit_n_offers - 1, unanswered, not_asked);
		else if (!any_accepted(a) && refused > 0)
			/* The transform offers together hold the broad offer
			 * it chose: a gateway that refuses them all does not
			 * read them as a responder should. */
			snprintf(a->reason, sizeof(a->reason), "the gateway refused "
			    "every audit offer it answered, though it chose a "
			    "proposal from probe #%d, which the audit's offers "
			    "cover: it may refuse the audit's key-exchange group "
			    "(%s) before it looks at the proposals.", base->id,
			    ike_dh_name(AUDIT_KE_GROUP));
		else if (!any_accepted(a))
			snprintf(a->reason, sizeof(a->reason), "no audit offer got an "
			    "answer that can be read (see each offer's note).");
		else
			a->conclusive = true;
	}
	if (a->conclusive) {
		int wd = audit_offer_index("windows-default");

		if (wd >= 0 && (a->r[wd].answer == AUDIT_ACCEPTED ||
		    a->r[wd].answer == AUDIT_REFUSED))
			a->windows_default = a->r[wd].answer;
	}
	findings(rep);
}
