/* A saved capture, frame by frame, with libpcap's offline reader: pcap and
 * pcapng alike, streamed (one frame in memory at a time). */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "ikeprobe/analysis.h"

static const uint8_t pcapng_magic[4] = { 0x0a, 0x0d, 0x0d, 0x0a };

static int
read_all(struct analysis *a, pcap_t *p)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	const char *name;
	uint32_t no = 0;
	int rc;

	a->link = pcap_datalink(p);
	name = pcap_datalink_val_to_name(a->link);
	snprintf(a->link_name, sizeof(a->link_name), "%s", name ? name : "unknown");
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		/* A time past what microseconds since 1970 hold (a lying
		 * pcapng) is taken as 0: the order of frames still stands. */
		usec_t ts = h->ts.tv_sec >= 0 && h->ts.tv_sec < (time_t)(INT64_MAX /
		    1000000 - 1) ? (usec_t)h->ts.tv_sec * 1000000 +
		    (usec_t)h->ts.tv_usec : 0;

		/* Wireshark's numbering: every record, IP or not. */
		analysis_frame(a, ++no, ts, a->link, data, h->caplen);
	}
	if (rc == PCAP_ERROR) {
		/* libpcap says "truncated dump file" (or "truncated pcapng
		 * file"): the frames before are good. Anything else (an
		 * interface of another link type, a block that lies) is a file
		 * ikeprobe cannot read on from. */
		const char *e = pcap_geterr(p);

		if (strstr(e, "truncated") == NULL && strstr(e, "cut short") == NULL) {
			snprintf(a->read_error, sizeof(a->read_error), "%.256s: save "
			    "one interface at a time (Wireshark: File, Export "
			    "Specified Packets)", e);
			return -1;
		}
		snprintf(a->read_error, sizeof(a->read_error), "%s", e);
		a->truncated = true;
	}
	return 0;
}

static void
not_a_capture(struct analysis *a, const char *err)
{
	snprintf(a->read_error, sizeof(a->read_error), "not a capture libpcap "
	    "reads (%.256s): save it as pcap or pcapng (Wireshark: File, Save As; "
	    "on Windows: pktmon etl2pcap)", err[0] ? err : "no reason given");
}

static void
format_of(struct analysis *a, const uint8_t *head, size_t n)
{
	snprintf(a->format, sizeof(a->format), "%s",
	    n >= 4 && memcmp(head, pcapng_magic, 4) == 0 ? "pcapng" : "pcap");
}

int
analysis_read(struct analysis *a, const char *path)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	uint8_t head[4];
	size_t n = 0;
	FILE *f;
	pcap_t *p;
	int rc;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(a->read_error, sizeof(a->read_error), "%s", strerror(errno));
		return -1;
	}
	n = fread(head, 1, sizeof(head), f);
	rewind(f);
	format_of(a, head, n);
	/* libpcap takes the FILE and closes it with the handle. */
	if ((p = pcap_fopen_offline_with_tstamp_precision(f,
	    PCAP_TSTAMP_PRECISION_MICRO, err)) == NULL) {
		fclose(f);
		not_a_capture(a, err);
		return -1;
	}
	rc = read_all(a, p);
	pcap_close(p);
	return rc;
}

int
analysis_read_mem(struct analysis *a, const uint8_t *buf, size_t len)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	FILE *f;
	pcap_t *p;
	int rc;

	if (len == 0 || (f = fmemopen((void *)(uintptr_t)buf, len, "rb")) == NULL) {
		snprintf(a->read_error, sizeof(a->read_error), "empty");
		return -1;
	}
	format_of(a, buf, len);
	if ((p = pcap_fopen_offline_with_tstamp_precision(f,
	    PCAP_TSTAMP_PRECISION_MICRO, err)) == NULL) {
		fclose(f);
		not_a_capture(a, err);
		return -1;
	}
	rc = read_all(a, p);
	pcap_close(p);
	return rc;
}
