/* ikecrypto-tool: the IKE SA key derivation and SK payload of
 * src/crypto/ikecrypto.c on inputs given as lines "name HEX" on stdin, for
 * tests/unit/test_ikecrypto.py, which computes the same with Python's
 * hmac and cryptography and compares. Input:
 *	encr ID BITS / prf ID / integ ID	(decimal)
 *	ni, nr, gir, spi_i, spi_r, inner, iv	(hex)
 *	open HEX	a message sealed by the responder, to open
 * Output: "name HEX" lines: skeyseed, sk_d ... sk_pr, sealed (the
 * initiator's message, exchange IKE_AUTH, message ID 1), opened (the
 * inner payloads of `open'), or "error TEXT". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikeprobe/ikecrypto.h"

static size_t
unhex(const char *h, uint8_t *out, size_t max)
{
	size_t n = 0;
	unsigned v;

	while (h[0] && h[1] && n < max && sscanf(h, "%2x", &v) == 1) {
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

static void
put(const char *name, const uint8_t *b, size_t n)
{
	printf("%s ", name);
	for (size_t i = 0; i < n; i++)
		printf("%02x", b[i]);
	printf("\n");
}

int
main(void)
{
	static char line[200000];
	static uint8_t ni[256], nr[256], gir[1024], inner[65536], iv[16], open_[70000];
	uint8_t spi_i[8] = { 0 }, spi_r[8] = { 0 };
	size_t ni_len = 0, nr_len = 0, gir_len = 0, inner_len = 0, open_len = 0;
	struct ike_algs a;
	struct ike_keys k;
	struct ike_hdr h;
	struct wbuf w, plain;
	char err[160];

	memset(&a, 0, sizeof(a));
	while (fgets(line, sizeof(line), stdin)) {
		char *v = strchr(line, ' ');

		if (v == NULL)
			continue;
		*v++ = '\0';
		v[strcspn(v, "\n")] = '\0';
		if (strcmp(line, "encr") == 0)
			sscanf(v, "%hu %d", &a.encr, &a.encr_bits);
		else if (strcmp(line, "prf") == 0)
			sscanf(v, "%hu", &a.prf);
		else if (strcmp(line, "integ") == 0)
			sscanf(v, "%hu", &a.integ);
		else if (strcmp(line, "ni") == 0)
			ni_len = unhex(v, ni, sizeof(ni));
		else if (strcmp(line, "nr") == 0)
			nr_len = unhex(v, nr, sizeof(nr));
		else if (strcmp(line, "gir") == 0)
			gir_len = unhex(v, gir, sizeof(gir));
		else if (strcmp(line, "spi_i") == 0)
			unhex(v, spi_i, 8);
		else if (strcmp(line, "spi_r") == 0)
			unhex(v, spi_r, 8);
		else if (strcmp(line, "inner") == 0)
			inner_len = unhex(v, inner, sizeof(inner));
		else if (strcmp(line, "iv") == 0)
			unhex(v, iv, sizeof(iv));
		else if (strcmp(line, "open") == 0)
			open_len = unhex(v, open_, sizeof(open_));
	}
	if (ike_derive(&k, &a, ni, ni_len, nr, nr_len, gir, gir_len, spi_i,
	    spi_r) < 0) {
		printf("error derive\n");
		return 1;
	}
	put("skeyseed", k.skeyseed, k.prf_len);
	put("sk_d", k.sk_d, k.prf_len);
	put("sk_ai", k.sk_ai, k.integ_len);
	put("sk_ar", k.sk_ar, k.integ_len);
	put("sk_ei", k.sk_ei, k.encr_len);
	put("sk_er", k.sk_er, k.encr_len);
	put("sk_pi", k.sk_pi, k.prf_len);
	put("sk_pr", k.sk_pr, k.prf_len);
	memset(&h, 0, sizeof(h));
	memcpy(h.spi_i, spi_i, 8);
	memcpy(h.spi_r, spi_r, 8);
	h.exchange = IKE_EXCH_IKE_AUTH;
	h.flags = IKE_FLAG_INITIATOR;
	h.msgid = 1;
	wb_init(&w);
	if (ike_seal(&k, false, &h, IKE_PL_IDi, inner, inner_len, iv, &w) < 0) {
		printf("error seal\n");
		return 1;
	}
	put("sealed", w.buf, w.len);
	wb_free(&w);
	if (open_len) {
		wb_init(&plain);
		if (ike_open(&k, true, open_, open_len, IKE_HDR_LEN, false,
		    &plain, err, sizeof(err)) < 0)
			printf("error %s\n", err);
		else
			put("opened", plain.buf, plain.len);
		wb_free(&plain);
	}
	return 0;
}
