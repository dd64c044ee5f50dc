/* Blocks of a report as label/value lines: the words are chosen here, once,
 * and every renderer lays them out its own way (text aligns them, Markdown
 * makes a table). Drawn from the report as read back (doc.h). */
#ifndef IKEPROBE_LINES_H
#define IKEPROBE_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "ikeprobe/doc.h"

#define DOC_MAX_LINES	16

struct doc_line {
	const char	*label;
	char		 value[1400];
	bool		 bad;		/* what a client fails on: emphasise */
};

struct doc_lines {
	struct doc_line	 line[DOC_MAX_LINES];
	int		 n;
};

/* The gateway's certificate (none when the report has none). */
void	 doc_cert_lines(const struct doc *, struct doc_lines *);
/* The SSTP check (none when the report has none), and the SSTP server's
 * certificate. */
void	 doc_sstp_lines(const struct doc *, struct doc_lines *);
void	 doc_sstp_cert_lines(const struct doc *, struct doc_lines *);
/* The IKE_AUTH probe: what went, each exchange, what was left behind. */
void	 doc_auth_lines(const struct doc *, struct doc_lines *);
/* The proposal audit: what went, whether it can be read, what was
 * accepted (RFC 8247 levels), and what each client suite gets. */
void	 doc_audit_lines(const struct doc *, struct doc_lines *);
/* An IKE_AUTH or closing probe's answer for the evidence table: "eap,
 * 3340 bytes in 3 IKEv2 fragments"; empty for any other probe. */
void	 doc_probe_answer(const struct doc_probe *, char *buf, size_t len);

#endif
