/* Wireshark's IKEv2 decryption table (its "ikev2_decryption_table" UAT
 * file) from a report: one line per IKE SA that ikeprobe made, with the
 * keys the report gives, so Wireshark shows the IKE_AUTH answers of the
 * run's capture decrypted. The names are Wireshark's own (ike.h); an SA
 * with a transform it has no name for is left out. */
#include <stdio.h>
#include <string.h>

#include "ikeprobe/ike.h"
#include "ikeprobe/render.h"

/* Only hex reaches the file: a field with a quote or comma would end
 * the line's record early. */
static bool
hex(const struct doc_str *s)
{
	if (s->st != DOC_SET)
		return false;
	for (const char *c = s->s; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return false;
	return true;
}

static void
one_doc(FILE *out, const struct doc *d, int *n)
{
	for (int i = 0; i < d->n_probes; i++) {
		const struct doc_probe *p = &d->probes[i];
		const struct doc_keys *k = &p->keys;
		const char *e, *a;
		bool dup = false;

		/* Every probe of an SA carries its keys: the first will do. */
		for (int j = 0; j < i && !dup; j++)
			dup = d->probes[j].keys.st == DOC_SET &&
			    doc_is(&d->probes[j].spi_i, p->spi_i.s) &&
			    doc_is(&d->probes[j].spi_r, p->spi_r.s);
		if (dup || k->st != DOC_SET || !hex(&p->spi_i) || !hex(&p->spi_r) ||
		    !hex(&k->sk_ei) || !hex(&k->sk_er) || !hex(&k->sk_ai) ||
		    !hex(&k->sk_ar) || (e = ike_wireshark_encr((unsigned)k->encr.v,
		    (int)k->encr_bits.v)) == NULL ||
		    (a = ike_wireshark_integ((unsigned)k->integ.v)) == NULL)
			continue;
		/* Byte fields bare, names quoted, as Wireshark saves it. */
		fprintf(out, "%s,%s,%s,%s,\"%s\",%s,%s,\"%s\"\n",
		    p->spi_i.s, p->spi_r.s, k->sk_ei.s, k->sk_er.s, e, k->sk_ai.s,
		    k->sk_ar.s, a);
		(*n)++;
	}
}

int
doc_wireshark_keys(FILE *out, const struct doc *d)
{
	int n = 0;

	fprintf(out, "# Wireshark IKEv2 decryption table of this run's own "
	    "throw-away IKE SAs\n# (no credentials: the gateway forgot them at "
	    "once). Copy to\n# ~/.config/wireshark/ikev2_decryption_table, or "
	    "Preferences, Protocols,\n# ISAKMP, IKEv2 Decryption Table.\n");
	one_doc(out, d, &n);
	for (int i = 0; i < d->n_others; i++)
		one_doc(out, &d->others[i], &n);
	return n;
}

/* One report's SSTP chain: the report's base64 DER, cut in PEM's lines. */
static int
chain_pem(FILE *out, const struct doc *d)
{
	const struct doc_sstp *t = &d->sstp;

	if (t->st != DOC_SET || t->n_chain_der == 0)
		return 0;
	fprintf(out, "# %s (%s), TCP %lld: as the server sent it, its own "
	    "first\n", doc_s(&d->target.name, "?"), doc_s(&d->target.address,
	    "?"), t->port.v);
	for (int i = 0; i < t->n_chain_der; i++) {
		const char *b = doc_s(&t->chain_der[i], "");
		size_t n = strlen(b);

		fprintf(out, "-----BEGIN CERTIFICATE-----\n");
		for (size_t k = 0; k < n; k += 64)
			fprintf(out, "%.*s\n", (int)(n - k < 64 ? n - k : 64), b + k);
		fprintf(out, "-----END CERTIFICATE-----\n");
	}
	return t->n_chain_der;
}

int
doc_sstp_chain_pem(FILE *out, const struct doc *d)
{
	int n;

	fprintf(out, "# The SSTP server's certificate chain from this run's TLS "
	    "handshake\n# (openssl x509 -text -noout < this file shows the "
	    "first).\n");
	n = chain_pem(out, d);
	for (int i = 0; i < d->n_others; i++)
		n += chain_pem(out, &d->others[i]);
	if (n == 0)
		fprintf(out, "# none: the SSTP check did not run, or got no "
		    "certificate\n");
	return n;
}
