/* Dual stack: a gateway's name with IPv4 and IPv6 addresses is probed on
 * both, one report each, and what a client meets depends on which family
 * it uses. Windows, like every RFC 6724 resolver, tries the IPv6 address
 * first where the machine has IPv6: a gateway that works over IPv4 but not
 * over IPv6 from a site is the "fails from some places" ticket. */
#include <stdio.h>
#include <string.h>

#include "ikeprobe/report.h"

static const char family_advice[] =
    "Fix the family that fails (its findings say what blocks it), or, "
    "until then, remove the gateway name's record of that family so that "
    "clients use the other (an AAAA record for IPv6).";

static const char *
fam(const struct report *r)
{
	return ip_family_name(r->target.family);
}

/* The first report of each family. */
static const struct report *
first_of(struct report *const *reps, int n, int family)
{
	for (int i = 0; i < n; i++)
		if (reps[i]->target.family == family)
			return reps[i];
	return NULL;
}

static void
mismatch(struct report *const *reps, int n, const struct report *bad,
    const struct report *good)
{
	char b[IP_ADDR_STRLEN], g[IP_ADDR_STRLEN];
	bool v6 = bad->target.family == AF_INET6;
	/* Windows tries IPv6 first: it failing is every client's problem. */
	enum severity sev = v6 ? SEV_ERROR : SEV_WARNING;

	ip_addr_str(&bad->target, b, sizeof(b));
	ip_addr_str(&good->target, g, sizeof(g));
	for (int i = 0; i < n; i++) {
		struct report *rep = reps[i];
		int k = 0;

		/* Nothing needs attention no longer holds. */
		for (int j = 0; j < rep->n_findings; j++)
			if (strcmp(rep->findings[j].code, "ike-reachable") != 0)
				rep->findings[k++] = rep->findings[j];
		rep->n_findings = k;
		add_finding(rep, sev, "family-mismatch",
		    family_advice, "Over %s (%s) the VPN cannot connect from this "
		    "network, over %s (%s) it can: %s", fam(bad), b, fam(good), g,
		    v6 ? "a Windows client tries the IPv6 address first, since "
		    "this machine has IPv6 and the name has both, and fails or "
		    "waits for its timeout before IPv4 (error 809)." : "clients "
		    "on networks without IPv6 fail (error 809); here clients with "
		    "IPv6 connect.");
		rep->exit_status = 1;
		sort_findings(rep);
		/* The document's own headline says it, for the family it
		 * is about. */
		if (i == 0)
			snprintf(rep->headline, sizeof(rep->headline), "Over %s the VPN "
			    "cannot connect from this network, over %s it can: %s",
			    fam(bad), fam(good), v6 ? "Windows tries IPv6 first "
			    "(error 809)." : "clients without IPv6 fail (error 809).");
	}
}

/* A family of the name the run left out, and why: in the top report. */
static void
not_probed(struct report *rep)
{
	char a[IP_ADDR_STRLEN];

	for (int i = 0; i < rep->n_addrs; i++) {
		if (rep->probed[i] || rep->why_not[i] == NULL ||
		    rep->why_not[i][0] == '\0')
			continue;
		/* One finding per family: its first address. */
		for (int k = 0; k < i; k++)
			if (rep->addrs[k].family == rep->addrs[i].family &&
			    rep->why_not[k] && rep->why_not[k][0])
				goto next;
		add_finding(rep, SEV_INFO, "family-not-probed", "", "The gateway's "
		    "name also has the %s address %s, not probed: %s.",
		    ip_family_name(rep->addrs[i].family), ip_addr_str(&rep->addrs[i],
		    a, sizeof(a)), rep->why_not[i]);
next:		;
	}
	sort_findings(rep);
}

void
diagnose_families(struct report *const *reps, int n)
{
	const struct report *v4, *v6;

	if (n == 0)
		return;
	not_probed(reps[0]);
	v4 = first_of(reps, n, AF_INET);
	v6 = first_of(reps, n, AF_INET6);
	if (v4 == NULL || v6 == NULL)
		return;
	if (ike_connects(v4) && !ike_connects(v6) && v6->complete)
		mismatch(reps, n, v6, v4);
	else if (ike_connects(v6) && !ike_connects(v4) && v4->complete)
		mismatch(reps, n, v4, v6);
}
