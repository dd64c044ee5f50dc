/* What the fuzz targets share: the libFuzzer entry point (so that replay.c
 * can call it without libFuzzer) and checks on what a parser hands back.
 *
 * The checks go beyond "no crash": every pointer a decoder returns must lie
 * inside the input, every count must respect its array, and every byte it
 * points at is read, so AddressSanitizer sees a range that lies. A failed
 * check aborts, which libFuzzer and the replay tests both report. */
#ifndef IKEPROBE_FUZZ_H
#define IKEPROBE_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikeprobe/ike.h"
#include "ikeprobe/ike_msg.h"
#include "ikeprobe/packet.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: %s: check failed: %s\n", __FILE__, \
		    __LINE__, __func__, #cond); \
		abort(); \
	} \
} while (0)

/* Read every byte of [p, p + n): an out-of-range span becomes an ASan
 * report here rather than a silent wrong answer somewhere later. */
static inline void
fz_touch(const uint8_t *p, size_t n)
{
	const volatile uint8_t *v = p;	/* volatile: no read is optimised out */

	for (size_t i = 0; i < n; i++)
		(void)v[i];
}

/* [p, p + n) lies within [buf, buf + len). Compared as integers: the
 * pointers may be wrong, which is exactly what is being checked. */
static inline bool
fz_within(const uint8_t *p, size_t n, const uint8_t *buf, size_t len)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)buf;

	return a >= lo && a - lo <= len && n <= len - (a - lo);
}

static inline void
fz_name(const char *s)
{
	FZ_CHECK(s != NULL);
	fz_touch((const uint8_t *)s, strlen(s) + 1);
}

/* What ike_parse promised about a message of len bytes. */
static inline void
fz_ike_reply(const struct ike_reply *r, size_t len)
{
	FZ_CHECK(memchr(r->problem, 0, sizeof(r->problem)) != NULL);
	FZ_CHECK((r->status == IKE_PARSE_OK) == (r->problem[0] == '\0'));
	if (r->status == IKE_PARSE_OK) {
		FZ_CHECK(len >= IKE_HDR_LEN && r->length == len);
		if (ike_reply_has_notify(r, IKE_N_COOKIE))
			FZ_CHECK(r->cookie_len >= 1);
	}
	FZ_CHECK(r->n_chosen >= 0 && r->n_chosen <= IKE_MAX_TRANSFORMS);
	FZ_CHECK(r->n_notifies >= 0 && r->n_notifies <= IKE_MAX_NOTIFIES);
	FZ_CHECK(r->n_notifies <= r->n_notifies_total);
	FZ_CHECK(r->n_vids >= 0 && r->n_vids <= IKE_MAX_VIDS);
	FZ_CHECK(r->n_vids <= r->n_vids_total);
	FZ_CHECK(r->cookie_len <= IKE_COOKIE_MAX);
	FZ_CHECK(r->ke_len <= len && r->nonce_len <= len);
	FZ_CHECK((size_t)r->n_payloads <= len / IKE_GENERIC_HDR_LEN);

	fz_name(ike_reply_kind_name(r->kind));
	FZ_CHECK(strcmp(ike_reply_kind_name(r->kind), "?") != 0);
	fz_name(ike_exchange_name(r->exchange));
	fz_name(ike_dh_name(r->ke_group));
	fz_name(ike_dh_name(r->invalid_ke_group));
	for (int i = 0; i < r->n_chosen; i++) {
		fz_name(ike_transform_type_name(r->chosen[i].type));
		fz_name(ike_transform_name(r->chosen[i].type, r->chosen[i].id));
	}
	for (int i = 0; i < r->n_notifies; i++) {
		const char *known = ike_notify_name_known(r->notifies[i]);

		fz_name(ike_notify_name(r->notifies[i]));
		if (known != NULL)
			FZ_CHECK(strcmp(known, ike_notify_name(r->notifies[i])) == 0);
	}
	fz_touch(r->cookie, r->cookie_len);
	for (int i = 0; i < r->n_vids; i++) {
		const struct ike_vid *v = &r->vids[i];
		const char *name;

		FZ_CHECK(v->len <= IKE_VID_MAX && v->len <= v->full_len);
		FZ_CHECK(v->full_len <= len);
		fz_touch(v->data, v->len);
		if ((name = ike_vid_name(v->data, v->len)) != NULL)
			fz_name(name);
	}
}

/* One reading of an IKE message: parsed, then checked as run.c checks
 * every reply matched to a probe. */
static inline void
fz_ike_message(const uint8_t *msg, size_t len)
{
	struct ike_reply r;

	ike_parse(msg, len, &r);
	fz_ike_reply(&r, len);
	ike_check_sa_init_response(&r);
	fz_ike_reply(&r, len);
}

/* An IKE message as it arrives in a UDP payload: on 500 it starts at once,
 * on 4500 after the four-zero non-ESP marker. Which port it came on does not
 * matter here; a parser must survive both readings. */
static inline void
fz_ike(const uint8_t *msg, size_t len)
{
	uint8_t spi[IKE_SPI_LEN];

	if (ike_peek_spi(msg, len, spi))
		FZ_CHECK(len >= IKE_SPI_LEN && memcmp(spi, msg, IKE_SPI_LEN) == 0);
	else
		FZ_CHECK(len < IKE_SPI_LEN);
	fz_ike_message(msg, len);
	if (len >= IKE_NONESP_MARKER_LEN &&
	    (msg[0] | msg[1] | msg[2] | msg[3]) == 0)
		fz_ike_message(msg + IKE_NONESP_MARKER_LEN,
		    len - IKE_NONESP_MARKER_LEN);
}

/* What pkt_decode_ip promised about the datagram buf[0..len) it decoded,
 * then the IKE parser on whatever IKE bytes it found. */
static inline void
fz_pkt(enum pkt_status st, const struct pkt *p, const uint8_t *buf, size_t len)
{
	char a[IP_ADDR_STRLEN];
	const struct pkt_quote *q = &p->quote;

	FZ_CHECK(memchr(p->problem, 0, sizeof(p->problem)) != NULL);
	if (st != PKT_OK)
		return;
	FZ_CHECK(p->ip == buf);
	FZ_CHECK(p->ip_len <= len);
	FZ_CHECK(fz_within(p->l4, p->l4_len, buf, p->ip_len));
	FZ_CHECK((size_t)(p->l4 - p->ip) + p->l4_len == p->ip_len);
	FZ_CHECK(!(p->is_udp && p->is_icmp));
	fz_touch(p->l4, p->l4_len);
	fz_name(ip_addr_str(&p->src, a, sizeof(a)));
	fz_name(ip_addr_str(&p->dst, a, sizeof(a)));

	if (p->is_udp) {
		FZ_CHECK(!pkt_is_fragment(p));
		FZ_CHECK(fz_within(p->udp_data, p->udp_len, p->l4, p->l4_len));
		fz_ike(p->udp_data, p->udp_len);
	}
	if (p->is_icmp) {
		FZ_CHECK(!pkt_is_fragment(p));
		fz_name(icmp_name(p->family, p->icmp_type, p->icmp_code));
		fz_name(icmp_meaning_key(p->icmp_meaning));
		FZ_CHECK(p->icmp_meaning == ICMP_TOO_BIG || p->icmp_mtu == 0 ||
		    p->icmp_meaning == ICMP_NONE);
	}
	if (q->valid) {
		FZ_CHECK(p->is_icmp);
		fz_name(ip_addr_str(&q->src, a, sizeof(a)));
		fz_name(ip_addr_str(&q->dst, a, sizeof(a)));
	}
	if (q->has_ports) {
		FZ_CHECK(q->valid);
		FZ_CHECK(fz_within(q->data, q->data_len, p->l4, p->l4_len));
		/* A quote is our own request cut short: still IKE bytes. */
		fz_ike(q->data, q->data_len);
	}
}

#endif
