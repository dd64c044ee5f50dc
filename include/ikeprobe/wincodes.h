/* The Windows VPN error codes a helpdesk meets (RasClient numbers, IKE
 * errors, certificate HRESULTs): Microsoft's name and text for each, what
 * it means on Always On VPN, and which ikeprobe check confirms or rules
 * out each usual cause. One table (wincodes.c), read by `ikeprobe
 * explain` and named by the findings that lead to a code. */
#ifndef IKEPROBE_WINCODES_H
#define IKEPROBE_WINCODES_H

#include <stdbool.h>
#include <stdint.h>

#define WINCODE_MAX_CAUSES	6

struct win_cause {
	const char	*cause;		/* what is wrong */
	const char	*findings;	/* the finding codes that say so, space
					 * separated; NULL: ikeprobe cannot see it */
	const char	*check;		/* how the check tells, in words */
	const char	*command;	/* what to run; NULL: nothing to run */
};

struct win_code {
	uint32_t	 code;		/* as Windows keeps it: 809, 0x800B0101 */
	const char	*symbol;	/* ERROR_VPN_TIMEOUT, CERT_E_EXPIRED */
	const char	*header;	/* the SDK header that defines it */
	const char	*message;	/* Microsoft's message text */
	const char	*meaning;	/* what it means for Always On VPN */
	struct win_cause causes[WINCODE_MAX_CAUSES];
};

extern const struct win_code wincodes[];
extern const int n_wincodes;

/* A code as a user types it: decimal (negative for an HRESULT, as event
 * logs print -2146762495), hexadecimal with 0x, or a symbol
 * (CERT_E_EXPIRED). 0, or -1 if it is none of those. */
int	 wincode_parse(const char *, uint32_t *);
/* The table's entry for a code or a symbol; NULL if not in it. */
const struct win_code *wincode_find(uint32_t);
const struct win_code *wincode_by_symbol(const char *);

#endif
