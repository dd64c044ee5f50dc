/* Key exchange: the private half is kept, and the shared secret it gives
 * is what the peer's side gives (RFC 7748's X25519 vector; both ends of
 * the ECP and MODP groups), with the lengths RFC 7296 2.14 and RFC 5903
 * fix. A public value that is not in the group is refused. */
#include <string.h>

#include "check.h"
#include "ikeprobe/ike.h"
#include "ikeprobe/kex.h"

static void
unhex(const char *h, uint8_t *out)
{
	for (size_t i = 0; h[2 * i]; i++) {
		unsigned v;

		sscanf(h + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

static void
x25519_vector(void)
{
	uint8_t a[32], b[32], apub[32], bpub[32], want[32], got[KEX_SHARED_MAX];
	struct kex_value ka, kb;
	size_t n = 0;

	/* RFC 7748 6.1 */
	unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", a);
	unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", apub);
	unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", b);
	unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", bpub);
	unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", want);
	CHECK(kex_x25519_from(a, &ka) == 0);
	CHECK(kex_x25519_from(b, &kb) == 0);
	CHECK(memcmp(ka.pub, apub, 32) == 0);
	CHECK(memcmp(kb.pub, bpub, 32) == 0);
	CHECK(kex_shared(&ka, bpub, 32, got, &n) == 0);
	CHECK(n == 32 && memcmp(got, want, 32) == 0);
	CHECK(kex_shared(&kb, apub, 32, got, &n) == 0);
	CHECK(n == 32 && memcmp(got, want, 32) == 0);
	/* A low-order point gives all zeros: refused. */
	memset(bpub, 0, sizeof(bpub));
	CHECK(kex_shared(&ka, bpub, 32, got, &n) < 0);
	CHECK(kex_shared(&ka, apub, 31, got, &n) < 0);
	kex_free(&ka);
	kex_free(&kb);
}

static void
both_ends(void)
{
	static const struct { uint16_t group; size_t len; } groups[] = {
		{ IKE_DH_CURVE25519, 32 }, { IKE_DH_ECP_256, 32 },
		{ IKE_DH_ECP_384, 48 }, { IKE_DH_ECP_521, 66 },
		{ IKE_DH_MODP_1024, 128 }, { IKE_DH_MODP_2048, 256 },
		{ IKE_DH_MODP_2048_256, 256 },
		/* the proposal audit's KE group (audit.h) */
		{ IKE_DH_ECP_256_BP, 32 },
	};
	uint8_t s1[KEX_SHARED_MAX], s2[KEX_SHARED_MAX], bad[IKE_KE_MAX];
	struct kex_value a, b;
	size_t n1 = 0, n2 = 0;

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		fprintf(stderr, "group %s\n", ike_dh_name(groups[i].group));
		CHECK(kex_generate(groups[i].group, &a) == 0);
		CHECK(kex_generate(groups[i].group, &b) == 0);
		CHECK(kex_shared(&a, b.pub, b.len, s1, &n1) == 0);
		CHECK(kex_shared(&b, a.pub, a.len, s2, &n2) == 0);
		CHECK_EQ(n1, groups[i].len);
		CHECK(n1 == n2 && memcmp(s1, s2, n1) == 0);
		/* Not in the group: a point off the curve, y = 1 (or p - 1)
		 * for MODP, which a small-subgroup attack would use. */
		memset(bad, 0, sizeof(bad));
		bad[a.len - 1] = 1;
		if (groups[i].group != IKE_DH_CURVE25519)
			CHECK(kex_shared(&a, bad, a.len, s1, &n1) < 0);
		kex_free(&a);
		kex_free(&b);
	}
}

int
main(void)
{
	CHECK(crypto_init() == 0);
	x25519_vector();
	both_ends();
	return check_done();
}
