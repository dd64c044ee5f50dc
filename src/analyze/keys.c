/* The IKE SA keys of a capture (ikeprobe analyze --keys FILE), in
 * Wireshark's IKEv2 decryption table: one SA a line,
 *   SPIi,SPIr,SK_ei,SK_er,"encryption",SK_ai,SK_ar,"integrity"
 * (hex byte fields, the transform names Wireshark's; ike.h has them),
 * as Wireshark saves it and ikeprobe's bundle writes it. A hostile file
 * gets a line number and the reason; every length is checked against
 * what the transforms need. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikeprobe/analysis.h"

#define KEYS_MAX_FILE	(1u << 20)
#define FIELDS		8

struct field {
	const char	*s;
	size_t		 n;
};

/* Hex into out: its byte count, or -1 (odd, not hex, too long). */
static int
unhex(const struct field *f, uint8_t *out, size_t max)
{
	const char *s = f->s;
	size_t n = f->n, k = 0;

	while (n > 0 && (*s == ' ' || *s == '"')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '"' || s[n - 1] == '\r'))
		n--;
	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		int v = 0;

		for (int j = 0; j < 2; j++) {
			char c = s[i + (size_t)j];

			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= c - '0';
			else if (c >= 'a' && c <= 'f')
				v |= c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				v |= c - 'A' + 10;
			else
				return -1;
		}
		out[k++] = (uint8_t)v;
	}
	return (int)k;
}

/* Commas split the fields; a quoted name holds none (Wireshark's names
 * have none either). */
static int
split(const char *line, size_t len, struct field *f)
{
	int n = 0;
	size_t start = 0;
	bool quoted = false;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] == '"')
			quoted = !quoted;
		if (i == len || (line[i] == ',' && !quoted)) {
			if (n == FIELDS)
				return -1;
			f[n].s = line + start;
			f[n].n = i - start;
			n++;
			start = i + 1;
		}
	}
	return n;
}

static int
one_line(struct analysis *a, const char *line, size_t len, char *err,
    size_t errlen)
{
	struct field f[FIELDS];
	struct ike_algs algs = { .prf = IKE_PRF_HMAC_SHA2_256 };
	struct an_key *k;
	int n;

	if (split(line, len, f) != FIELDS) {
		snprintf(err, errlen, "not 8 fields (SPIi, SPIr, SK_ei, SK_er, "
		    "encryption, SK_ai, SK_ar, integrity)");
		return -1;
	}
	if (a->n_keys == AN_KEYS) {
		a->keys_left_out++;	/* said in the report */
		return 0;
	}
	if (ike_wireshark_encr_of(f[4].s, f[4].n, &algs.encr, &algs.encr_bits) < 0) {
		snprintf(err, errlen, "encryption `%.*s' is not one ikeprobe "
		    "decrypts (AES-CBC, AES-GCM with a 16-octet ICV)",
		    (int)(f[4].n > 60 ? 60 : f[4].n), f[4].s);
		return -1;
	}
	if (ike_wireshark_integ_of(f[7].s, f[7].n, &algs.integ) < 0) {
		snprintf(err, errlen, "integrity `%.*s' is not one ikeprobe knows",
		    (int)(f[7].n > 60 ? 60 : f[7].n), f[7].s);
		return -1;
	}
	k = &a->keys[a->n_keys];
	memset(k, 0, sizeof(*k));
	if (ike_keys_init(&k->keys, &algs) < 0 ||
	    (k->keys.aead != (algs.integ == IKE_INTEG_NONE))) {
		snprintf(err, errlen, "the encryption and integrity do not go "
		    "together");
		return -1;
	}
	if (unhex(&f[0], k->spi_i, IKE_SPI_LEN) != IKE_SPI_LEN ||
	    unhex(&f[1], k->spi_r, IKE_SPI_LEN) != IKE_SPI_LEN) {
		snprintf(err, errlen, "an SPI is not 16 hex digits");
		return -1;
	}
	n = unhex(&f[2], k->keys.sk_ei, sizeof(k->keys.sk_ei));
	if (n < 0 || (size_t)n != k->keys.encr_len ||
	    (n = unhex(&f[3], k->keys.sk_er, sizeof(k->keys.sk_er))) < 0 ||
	    (size_t)n != k->keys.encr_len) {
		snprintf(err, errlen, "SK_ei and SK_er must be %zu bytes of hex for "
		    "this encryption", k->keys.encr_len);
		return -1;
	}
	if ((n = unhex(&f[5], k->keys.sk_ai, sizeof(k->keys.sk_ai))) < 0 ||
	    (size_t)n != k->keys.integ_len ||
	    (n = unhex(&f[6], k->keys.sk_ar, sizeof(k->keys.sk_ar))) < 0 ||
	    (size_t)n != k->keys.integ_len) {
		snprintf(err, errlen, "SK_ai and SK_ar must be %zu bytes of hex "
		    "for this integrity", k->keys.integ_len);
		return -1;
	}
	a->n_keys++;
	return 0;
}

int
analysis_keys_mem(struct analysis *a, const char *text, size_t len, char *err,
    size_t errlen)
{
	char why[200];
	size_t start = 0;
	int no = 0;

	for (size_t i = 0; i <= len; i++) {
		const char *line;
		size_t n, k = 0;

		if (i < len && text[i] != '\n')
			continue;
		line = text + start;
		n = i - start;
		start = i + 1;
		no++;
		while (k < n && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
			k++;
		if (k == n || line[k] == '#')
			continue;
		if (memchr(line, '\0', n) != NULL) {
			snprintf(err, errlen, "line %d: a NUL byte", no);
			return -1;
		}
		if (one_line(a, line, n, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "line %d: %s", no, why);
			return -1;
		}
	}
	if (a->n_keys == 0) {
		snprintf(err, errlen, "no IKE SA in it (Wireshark's IKEv2 decryption "
		    "table: SPIi,SPIr,SK_ei,SK_er,\"encryption\",SK_ai,SK_ar,"
		    "\"integrity\")");
		return -1;
	}
	return 0;
}

int
analysis_keys(struct analysis *a, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	int rc;

	if (f == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if ((buf = malloc(KEYS_MAX_FILE + 1)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n = fread(buf, 1, KEYS_MAX_FILE + 1, f);
	fclose(f);
	if (n > KEYS_MAX_FILE) {
		free(buf);
		snprintf(err, errlen, "larger than 1 MB: not a key table");
		return -1;
	}
	snprintf(a->keys_file, sizeof(a->keys_file), "%s", path);
	rc = analysis_keys_mem(a, buf, n, err, errlen);
	free(buf);
	return rc;
}
