#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ikeprobe/net.h"

/* Append to buf; false once it does not fit. */
static bool __attribute__((format(printf, 4, 5)))
app(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*used >= len)
		return false;
	va_start(ap, fmt);
	r = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= len - *used) {
		*used = len;
		return false;
	}
	*used += (size_t)r;
	return true;
}

bool
capture_filter(char *buf, size_t len, const struct ip_addr *targets, int n,
    const struct ip_addr *locals, int n_locals, uint16_t tcp_port)
{
	char t[IP_ADDR_STRLEN], l[IP_ADDR_STRLEN], tcp[32] = "";
	size_t used = 0;
	int parts = 0;

	if (len)
		buf[0] = '\0';
	if (tcp_port)
		snprintf(tcp, sizeof(tcp), " or tcp port %u", tcp_port);
	for (int k = 0; k < n_locals; k++) {
		const struct ip_addr *local = &locals[k];
		bool v6 = local->family == AF_INET6, any = false;

		for (int i = 0; i < n; i++)
			any |= targets[i].family == local->family;
		if (!any)
			continue;
		ip_addr_str(local, l, sizeof(l));
		/* Non-first fragments carry no UDP header, so match on the
		 * fragment offset (IPv4) or a Fragment header (IPv6) as well
		 * as on UDP. ICMP errors may come from any router. IKE from
		 * another address (a gateway answering from the wrong one)
		 * is captured too, so that the report can say so. */
		app(buf, len, &used, "%s(%s and host %s and (", parts++ ? " or " : "",
		    v6 ? "ip6" : "ip", l);
		for (int i = 0, m = 0; i < n; i++)
			if (targets[i].family == local->family)
				app(buf, len, &used, "%shost %s", m++ ? " or " : "",
				    ip_addr_str(&targets[i], t, sizeof(t)));
		app(buf, len, &used, ") and (udp or %s%s)) or (%s and dst host %s) "
		    "or (%s and udp and dst host %s and (src port 500 or src "
		    "port 4500))", v6 ? "ip6[6] == 44" : "(ip[6:2] & 0x1fff) != 0",
		    tcp, v6 ? "icmp6" : "icmp", l, v6 ? "ip6" : "ip", l);
	}
	return parts > 0 && used < len;
}

/* Bytes kept of each packet. In immediate mode libpcap uses TPACKET_V2,
 * whose ring has one slot of this size per packet (with GRO on, as on
 * every Linux interface by default), so 65535 would leave ~64 slots in the
 * 4 MB buffer: a burst of small replies (a gateway answering one request
 * hundreds of times) would overrun it and hide the one answer that counts.
 * Nothing we read is longer than the interface MTU (fragments are not
 * merged by GRO), so that plus room for link headers is enough. */
static int
capture_snaplen(int mtu)
{
	if (mtu <= 0 || mtu > 65535 - 128)
		return 65535;
	return mtu + 128 < 2048 ? 2048 : mtu + 128;
}

/* Under sudo the capture file is written by root: give it to whoever owns
 * its directory (the user who asked for it, as --output does). */
static void
give_to_dir_owner(const char *path)
{
	char dir[4096];
	struct stat st;
	char *slash;

	if (geteuid() != 0)
		return;
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) == 0 && st.st_uid != 0)
		(void)!chown(path, st.st_uid, st.st_gid);
}

enum net_err
capture_open(struct capture *c, const struct local_info *li,
    const char *filter, const char *pcap_path, char *err, size_t errlen)
{
	const char *ifname = li->ifname;
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	pcap_t *p;
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if ((p = pcap_create(ifname, ebuf)) == NULL) {
		snprintf(err, errlen, "cannot capture on `%s': %s", ifname, ebuf);
		return NET_ERR_ENV;
	}
	pcap_set_snaplen(p, capture_snaplen(li->mtu));
	pcap_set_immediate_mode(p, 1);
	pcap_set_buffer_size(p, 4 << 20);
	if ((rc = pcap_activate(p)) < 0) {
		enum net_err e = NET_ERR_ENV;

		if (rc == PCAP_ERROR_PERM_DENIED) {
			snprintf(err, errlen, "capturing needs CAP_NET_RAW: run "
			    "with sudo, or once: sudo setcap " NET_SETCAP_CAPS
			    " %s", self_path());
			e = NET_ERR_PRIV;
		} else
			snprintf(err, errlen, "cannot capture on `%s': %s",
			    ifname, pcap_geterr(p));
		pcap_close(p);
		return e;
	}
	if (pcap_setnonblock(p, 1, ebuf) < 0 ||
	    pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "cannot set up the capture: %s", pcap_geterr(p));
		pcap_close(p);
		return NET_ERR_ENV;
	}
	rc = pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
	if (rc < 0) {
		snprintf(err, errlen, "cannot set the capture filter: %s",
		    pcap_geterr(p));
		pcap_close(p);
		return NET_ERR_ENV;
	}
	c->link = pcap_datalink(p);
	c->fd = pcap_get_selectable_fd(p);
	if (pcap_path) {
		if ((c->dumper = pcap_dump_open(p, pcap_path)) == NULL) {
			snprintf(err, errlen, "cannot write `%s': %s", pcap_path,
			    pcap_geterr(p));
			pcap_close(p);
			return NET_ERR_USAGE;
		}
		give_to_dir_owner(pcap_path);
	}
	c->pcap = p;
	return NET_OK;
}

enum net_err
capture_open_file(struct capture *c, const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if ((p = pcap_open_offline(path, ebuf)) == NULL) {
		snprintf(err, errlen, "%s: not a readable capture: %s", path, ebuf);
		return NET_ERR_USAGE;
	}
	c->pcap = p;
	c->link = pcap_datalink(p);
	return NET_OK;
}

enum net_err
capture_set_filter(struct capture *c, const char *filter, char *err,
    size_t errlen)
{
	struct bpf_program prog;
	int rc;

	if (pcap_compile(c->pcap, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "cannot compile the capture filter: %s",
		    pcap_geterr(c->pcap));
		return NET_ERR_ENV;
	}
	rc = pcap_setfilter(c->pcap, &prog);
	pcap_freecode(&prog);
	if (rc < 0) {
		snprintf(err, errlen, "cannot set the capture filter: %s",
		    pcap_geterr(c->pcap));
		return NET_ERR_ENV;
	}
	return NET_OK;
}

enum net_err
capture_dump_to(struct capture *c, FILE *f, char *err, size_t errlen)
{
	if ((c->dumper = pcap_dump_fopen(c->pcap, f)) == NULL) {
		snprintf(err, errlen, "cannot write the capture: %s",
		    pcap_geterr(c->pcap));
		fclose(f);
		return NET_ERR_ENV;
	}
	return NET_OK;
}

void *
capture_sink_open(struct capture *c, FILE *f, char *err, size_t errlen)
{
	pcap_dumper_t *d = pcap_dump_fopen(c->pcap, f);

	if (d == NULL) {
		snprintf(err, errlen, "cannot write the capture: %s",
		    pcap_geterr(c->pcap));
		fclose(f);
	}
	return d;
}

void
capture_sink_write(void *sink, const struct capture_pkt *cp)
{
	struct pcap_pkthdr h;

	memset(&h, 0, sizeof(h));
	h.ts.tv_sec = (time_t)(cp->ts / 1000000);
	h.ts.tv_usec = (suseconds_t)(cp->ts % 1000000);
	h.caplen = (bpf_u_int32)cp->caplen;
	h.len = (bpf_u_int32)cp->wirelen;
	pcap_dump(sink, &h, cp->data);
	pcap_dump_flush(sink);
}

void
capture_sink_close(void *sink)
{
	if (sink)
		pcap_dump_close(sink);
}

int
capture_next(struct capture *c, struct capture_pkt *cp)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	rc = pcap_next_ex(c->pcap, &h, &data);
	if (rc == 0 || rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc < 0)
		return -1;
	c->packets++;
	if (c->dumper) {
		pcap_dump(c->dumper, h, data);
		/* Flush each packet: an interrupted run keeps its evidence. */
		pcap_dump_flush(c->dumper);
	}
	cp->data = data;
	cp->caplen = h->caplen;
	cp->wirelen = h->len;
	cp->ts = (usec_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec;
	return 1;
}

const char *
capture_error(struct capture *c)
{
	return c->pcap ? pcap_geterr(c->pcap) : "no capture";
}

long
capture_dropped(struct capture *c)
{
	struct pcap_stat st;

	if (c->pcap == NULL || pcap_stats(c->pcap, &st) < 0)
		return -1;
	return (long)st.ps_drop + (long)st.ps_ifdrop;
}

void
capture_close(struct capture *c)
{
	if (c->dumper)
		pcap_dump_close(c->dumper);
	if (c->pcap)
		pcap_close(c->pcap);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}
