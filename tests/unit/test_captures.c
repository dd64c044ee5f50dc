/* The parsers on real captures from the lab (captures/README.md): each
 * reply decodes to what strongSwan sent, and every truncation and byte
 * flip of it is reported without a crash. */
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ikeprobe/ike.h"
#include "ikeprobe/ike_msg.h"
#include "ikeprobe/packet.h"

struct tally {
	int		 kinds[IKE_REPLY_OTHER + 1];
	int		 requests;
	int		 icmp[16];	/* by code, type 3 */
	char		 icmp_from[IP_ADDR_STRLEN];
	bool		 frag_supported;
	bool		 strongswan_vid;
	uint16_t	 sa_group;
	uint16_t	 invalid_ke_group;
	bool		 quotes_ok;
};

static const char *dir;

static void
mutate(const uint8_t *msg, size_t len)
{
	uint8_t *m = malloc(len);
	struct ike_reply r;
	unsigned seed = 1;

	if (m == NULL)
		return;
	for (size_t cut = 0; cut < len; cut++) {
		ike_parse(msg, cut, &r);
		CHECK(r.status != IKE_PARSE_OK);
	}
	for (int i = 0; i < 2000; i++) {
		memcpy(m, msg, len);
		for (int k = 0; k < 3; k++) {
			seed = seed * 1103515245 + 12345;
			m[(seed >> 8) % len] ^= (uint8_t)(seed >> 20 | 1);
		}
		ike_parse(m, len, &r);	/* must not crash; ASan checks reads */
		check_pass++;
	}
	free(m);
}

static void
tally_file(const char *name, struct tally *t)
{
	char path[512], ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct ip_addr gw, me;
	pcap_t *p;
	struct pkt pk;

	memset(t, 0, sizeof(*t));
	t->quotes_ok = true;
	ip_addr_parse("198.51.100.10", &gw);
	ip_addr_parse("192.0.2.10", &me);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((p = pcap_open_offline(path, ebuf)) == NULL) {
		fprintf(stderr, "%s\n", ebuf);
		CHECK(p != NULL);	/* the capture opens */
		return;
	}
	while (pcap_next_ex(p, &h, &data) == 1) {
		if (pkt_decode_frame(pcap_datalink(p), data, h->caplen, &pk) != PKT_OK)
			continue;
		if (pk.is_icmp && pk.icmp_type == 3) {
			t->icmp[pk.icmp_code & 15]++;
			ip_addr_str(&pk.src, t->icmp_from, sizeof(t->icmp_from));
			t->quotes_ok &= pk.quote.valid && pk.quote.has_ports &&
			    ip_addr_eq(&pk.quote.src, &me) &&
			    ip_addr_eq(&pk.quote.dst, &gw) &&
			    pk.quote.dport == pk.quote.sport;
			continue;
		}
		if (!pk.is_udp)
			continue;
		const uint8_t *msg = pk.udp_data;
		size_t len = pk.udp_len;
		struct ike_reply r;

		if (pk.sport == 4500 || pk.dport == 4500) {
			CHECK(len >= 4 && (msg[0] | msg[1] | msg[2] | msg[3]) == 0);
			msg += 4;
			len -= 4;
		}
		ike_parse(msg, len, &r);
		CHECK_EQ(r.status, IKE_PARSE_OK);
		if (!(r.flags & IKE_FLAG_RESPONSE)) {
			t->requests++;
			CHECK(r.has_sa && r.has_ke && r.has_nonce);
			CHECK(ike_reply_has_notify(&r, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED));
			continue;
		}
		t->kinds[r.kind]++;
		if (r.kind == IKE_REPLY_SA) {
			t->frag_supported = r.frag_supported;
			t->sa_group = r.ke_group;
			CHECK_EQ(r.n_proposals, 1);
			CHECK(r.n_chosen >= 3);
			CHECK_EQ(r.nonce_len, 32);
			for (int i = 0; i < r.n_vids; i++)
				if (ike_vid_name(r.vids[i].data, r.vids[i].len) &&
				    strcmp(ike_vid_name(r.vids[i].data, r.vids[i].len), "strongSwan") == 0)
					t->strongswan_vid = true;
		}
		if (r.kind == IKE_REPLY_INVALID_KE)
			t->invalid_ke_group = r.invalid_ke_group;
		mutate(msg, len);
	}
	pcap_close(p);
}

int
main(int argc, char **argv)
{
	struct tally t;

	dir = argc > 1 ? argv[1] : "../../captures";

	tally_file("strongswan-x25519-sa.pcap", &t);
	CHECK_EQ(t.requests, 2);
	CHECK_EQ(t.kinds[IKE_REPLY_SA], 1);
	CHECK_EQ(t.kinds[IKE_REPLY_INVALID_KE], 1);
	CHECK_EQ(t.sa_group, IKE_DH_CURVE25519);
	CHECK_EQ(t.invalid_ke_group, IKE_DH_ECP_256);
	CHECK(t.frag_supported);
	CHECK(t.strongswan_vid);

	tally_file("strongswan-invalid-ke-then-modp2048.pcap", &t);
	CHECK_EQ(t.requests, 3);
	CHECK_EQ(t.kinds[IKE_REPLY_INVALID_KE], 2);
	CHECK_EQ(t.kinds[IKE_REPLY_SA], 1);
	CHECK_EQ(t.invalid_ke_group, IKE_DH_MODP_2048);
	CHECK_EQ(t.sa_group, IKE_DH_MODP_2048);

	tally_file("strongswan-cookie-then-retry.pcap", &t);
	CHECK_EQ(t.kinds[IKE_REPLY_COOKIE], 2);
	CHECK_EQ(t.kinds[IKE_REPLY_SA], 1);

	tally_file("strongswan-no-fragmentation.pcap", &t);
	CHECK_EQ(t.kinds[IKE_REPLY_SA], 1);
	CHECK(!t.frag_supported);

	tally_file("strongswan-no-proposal-chosen.pcap", &t);
	CHECK_EQ(t.kinds[IKE_REPLY_NO_PROPOSAL], 2);

	tally_file("icmp-port-unreachable.pcap", &t);
	CHECK_EQ(t.icmp[3], 2);
	CHECK(strcmp(t.icmp_from, "198.51.100.10") == 0);
	CHECK(t.quotes_ok);

	tally_file("icmp-admin-prohibited.pcap", &t);
	CHECK_EQ(t.icmp[13], 1);
	CHECK(strcmp(t.icmp_from, "192.0.2.1") == 0);
	CHECK(t.quotes_ok);
	CHECK_EQ(t.requests, 5);

	return check_done();
}
