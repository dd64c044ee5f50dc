/* The proposal audit (--audit): which transforms a gateway accepts, and
 * whether the proposals common clients send get through, read without
 * leaving state on the gateway. A responder picks a proposal before it
 * looks at the KE payload (RFC 7296 1.2, 3.4): each offer carries a KE of
 * a group it does not offer, so the answer is INVALID_KE_PAYLOAD naming
 * the group of the proposal it would take, or NO_PROPOSAL_CHOSEN, and no
 * IKE SA is made either way.
 *
 * One table (audit_offers[], offers.c) names every offer: the control,
 * the client suites and the transforms, each transform with its RFC 8247
 * requirement level. The plan sends them (auditplan.c), the diagnosis
 * reads them back by the same index (diag/audit.c). */
#ifndef IKEPROBE_AUDIT_H
#define IKEPROBE_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "ikeprobe/ike_msg.h"

/* The KE group of every audit offer, and of no audit offer's proposals:
 * brainpoolP256r1 (RFC 6954), which no client suite or audited family
 * includes. Its value is real (kex.c), though never used. */
#define AUDIT_KE_GROUP		IKE_DH_ECP_256_BP
/* Offers in the table, at most (reports keep a result for each). */
#define AUDIT_MAX_OFFERS	48
/* The whole audit's requests, COOKIE echoes included. */
#define AUDIT_MAX_REQUESTS	60
/* Audit probes unanswered at a time, at most. */
#define AUDIT_WINDOW		8
/* A family is given up after this many of its offers went unanswered in a
 * row (the gateway stopped answering, or drops what it dislikes). */
#define AUDIT_FAMILY_STOP	3
/* The whole audit is given up after this many in a row, of any family:
 * the gateway stopped answering. */
#define AUDIT_STOP		4

/* RFC 8247's requirement levels (section 1.2: MUST- may become SHOULD or
 * lower, SHOULD+ may become MUST), and what its tables do not list. */
#define RFC8247_LEVEL_LIST(X) \
	X(MUST, "MUST") \
	X(MUST_MINUS, "MUST-") \
	X(SHOULD_PLUS, "SHOULD+") \
	X(SHOULD, "SHOULD") \
	X(MAY, "MAY") \
	X(SHOULD_NOT, "SHOULD NOT") \
	X(MUST_NOT, "MUST NOT") \
	X(UNLISTED, "not listed")

#define RFC8247_X_ENUM(n, s)	RFC8247_##n,
enum rfc8247_level { RFC8247_LEVEL_LIST(RFC8247_X_ENUM) };
#undef RFC8247_X_ENUM

const char	*rfc8247_name(enum rfc8247_level);
/* MUST NOT or SHOULD NOT: what weak-proposal-accepted names. */
bool		 rfc8247_weak(enum rfc8247_level);

enum audit_role {
	AUDIT_CONTROL,		/* an offer no gateway accepts */
	AUDIT_CLIENT,		/* what a client sends, as it sends it */
	AUDIT_TRANSFORM,	/* one transform varied, the rest open */
};

/* The groups of offers that stop together when unanswered. */
enum audit_family {
	AUDIT_FAM_CONTROL,
	AUDIT_FAM_CLIENT,
	AUDIT_FAM_ENCR,
	AUDIT_FAM_PRF,
	AUDIT_FAM_INTEG,
	AUDIT_FAM_DH,
};

struct audit_client_prop {
	const struct ike_xform *x;
	int		 n;
};

struct audit_offer_def {
	const char	*name;		/* stable, in reports: "ENCR_3DES",
					 * "windows-default" */
	enum audit_role	 role;
	enum audit_family family;
	/* AUDIT_TRANSFORM: the transform */
	struct ike_xform x;
	enum rfc8247_level level;
	/* AUDIT_CLIENT: who sends it, its proposals, and where that is
	 * written down */
	const char	*label;
	const struct audit_client_prop *props;
	int		 n_props;
	const char	*source;
};

extern const struct audit_offer_def audit_offers[];
extern const int audit_n_offers;

/* The offer's index by name, -1 if none. */
int	 audit_offer_index(const char *name);
/* The proposals of offer i: 0, or -1 if there is no such offer. */
int	 audit_offer_build(int i, struct ike_offer *);

#endif
