/* The certificate summary: cert_check() on a chain as a gateway sends it
 * in CERT payloads, and cert_verify_auth() on an AUTH payload against the
 * first. The input is up to CERT_MAX_CHAIN + 1 pieces, each behind a
 * 2-byte length: the certificates (DER, end entity first), then the AUTH
 * method byte and signature; the signed octets are fixed. Judged against
 * no trust store, so nothing outside the input decides.
 *
 * Checked: every string of the summary is terminated, every count within
 * its array, and the two answers within their ranges. */
#include "fuzz.h"
#include "ikeprobe/cert.h"

static void
check(const struct cert_info *c)
{
	FZ_CHECK(c->n_san >= 0 && c->n_san <= CERT_MAX_SAN);
	FZ_CHECK(c->n_eku >= 0 && c->n_eku <= CERT_MAX_EKU);
	FZ_CHECK(c->n_chain >= 0 && c->n_chain <= CERT_MAX_CHAIN);
	fz_name(c->subject);
	fz_name(c->issuer);
	fz_name(c->serial);
	fz_name(c->key);
	fz_name(c->signature);
	fz_name(c->trust_error);
	fz_name(c->problem);
	fz_name(c->name);
	for (int i = 0; i < c->n_san; i++)
		fz_name(c->san[i]);
	for (int i = 0; i < c->n_eku; i++)
		fz_name(c->eku[i]);
	for (int i = 0; i < c->n_chain; i++)
		fz_name(c->chain[i]);
	FZ_CHECK(c->trusted == CERT_TRUST_UNKNOWN);	/* no store given */
	if (!c->parsed)
		FZ_CHECK(c->problem[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t octets[] = "the octets a gateway signs";
	const uint8_t *der[CERT_MAX_CHAIN + 1];
	size_t len[CERT_MAX_CHAIN + 1];
	struct cert_info ci;
	char err[160];
	int n = 0, rc;

	while (size >= 2 && n < CERT_MAX_CHAIN + 1) {
		size_t l = (size_t)data[0] << 8 | data[1];

		data += 2, size -= 2;
		if (l > size)
			l = size;
		der[n] = data;
		len[n++] = l;
		data += l, size -= l;
	}
	if (n == 0)
		return 0;
	memset(&ci, 0, sizeof(ci));
	cert_check(der, len, n > 1 ? n - 1 : 1, "gateway.example.net", NULL,
	    1700000000, &ci);
	check(&ci);
	memset(&ci, 0, sizeof(ci));
	cert_check(der, len, n > 1 ? n - 1 : 1, "192.0.2.1", NULL, 0, &ci);
	check(&ci);
	if (n > 1 && len[n - 1] >= 1) {
		rc = cert_verify_auth(der[0], len[0], der[n - 1][0], der[n - 1] + 1,
		    len[n - 1] - 1, octets, sizeof(octets) - 1, err, sizeof(err));
		FZ_CHECK(rc >= -1 && rc <= 1);
		fz_name(err);
	}
	return 0;
}
