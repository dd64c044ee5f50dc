/* The TLS reader of ikeprobe analyze (wire/tlsrec.c) on a hostile byte
 * stream, fed whole and in pieces cut where the first byte says: what it
 * decodes must lie inside its buffers, and the same stream must read the
 * same however it is cut. */
#include "fuzz.h"
#include "ikeprobe/tlsrec.h"

static struct tls_side whole, cut;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t step = size ? (size_t)data[0] % 97 + 1 : 1;

	tls_side_init(&whole);
	tls_side_init(&cut);
	tls_side_feed(&whole, data, size, 1);
	for (size_t o = 0; o < size; o += step)
		tls_side_feed(&cut, data + o, size - o < step ? size - o : step,
		    (uint32_t)(o + 1));
	FZ_CHECK(whole.n_hs <= TLS_HS_MAX && whole.hs_done <= whole.n_hs);
	FZ_CHECK(whole.n_rec <= TLS_REC_MAX);
	FZ_CHECK(whole.n_certs <= TLS_MAX_CERTS);
	for (int i = 0; i < whole.n_certs; i++) {
		volatile unsigned sum = 0;

		FZ_CHECK(whole.cert_off[i] + whole.cert_len[i] <= whole.n_hs);
		/* Touch every byte: ASan sees a range that lies. */
		for (size_t k = 0; k < whole.cert_len[i]; k++)
			sum += whole.hs[whole.cert_off[i] + k];
		(void)sum;
	}
	FZ_CHECK(strlen(whole.sni) < TLS_SNI_MAX);
	FZ_CHECK(whole.broken == cut.broken && whole.records == cut.records &&
	    whole.n_certs == cut.n_certs && whole.cipher == cut.cipher &&
	    strcmp(whole.sni, cut.sni) == 0);
	return 0;
}
