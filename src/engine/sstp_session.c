/* The SSTP check's session (sstp_session.h): one connection at a time,
 * each driven through its stages by the poll loop, never blocking it. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ikeprobe/clock.h"
#include "ikeprobe/net.h"
#include "ikeprobe/sstp_session.h"
#include "ikeprobe/trace.h"

#define SSTP_STAGE_KEY(e, key)	key,
static const char *const stage_keys[] = { SSTP_STAGE_LIST(SSTP_STAGE_KEY) };
#undef SSTP_STAGE_KEY

const char *
sstp_stage_name(enum sstp_stage s)
{
	return (unsigned)s < sizeof(stage_keys) / sizeof(stage_keys[0]) ?
	    stage_keys[s] : "?";
}

int
sstp_stage_of(const char *s)
{
	for (size_t i = 0; s && i < sizeof(stage_keys) / sizeof(stage_keys[0]); i++)
		if (strcmp(stage_keys[i], s) == 0)
			return (int)i;
	return -1;
}

static void
wire_init(struct sstp_wire *w)
{
	memset(w, 0, sizeof(*w));
	w->first_syn = w->synack = w->reset_at = w->icmp_at = USEC_NONE;
}

void
sstp_session_init(struct sstp_session *s, const struct ip_addr *target,
    const struct ip_addr *local, uint16_t port, const char *name)
{
	static const enum tls_profile profiles[SSTP_CONNS] = { TLS_CURRENT,
	    TLS_ONLY_1_1, TLS_ONLY_1_0 };
	uint8_t g[16];

	memset(s, 0, sizeof(*s));
	s->base.ops = &sstp_session_ops;
	s->base.local = *local;
	s->base.peer = *target;
	s->base.proto = IP_PROTO_TCP;
	s->port = port;
	snprintf(s->name, sizeof(s->name), "%s", name);
	/* SSTPCORRELATIONID: a GUID, as a client makes one per call; the
	 * server's logs name the call by it. */
	randombytes_buf(g, sizeof(g));
	snprintf(s->correlation, sizeof(s->correlation), "%02X%02X%02X%02X-"
	    "%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X", g[0], g[1],
	    g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9], g[10], g[11], g[12],
	    g[13], g[14], g[15]);
	for (int i = 0; i < SSTP_CONNS; i++) {
		s->conn[i].profile = profiles[i];
		s->conn[i].fd = -1;
		wire_init(&s->wire[i]);
	}
	s->cur = -1;
}

static void
trace_conn(struct sstp_session *s, const char *what, const char *detail)
{
	trace_event(s->trace, s->started, wall_usec_now(), what, detail);
}

/* A connection ends: at the stage it reached, with why if short of the
 * end. Its socket is closed at once: SSTP's own close of a call the
 * server has not connected is the TLS close and TCP's FIN (the server's
 * negotiation timer would end it too). */
static void
conn_end(struct sstp_session *s, struct sstp_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
conn_end(struct sstp_session *s, struct sstp_conn *c, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(c->error, sizeof(c->error), fmt, ap);
		va_end(ap);
	}
	if (c->tls.ssl)
		tls_client_free(&c->tls);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->finished = true;
	trace_conn(s, c->profile == TLS_CURRENT ? "SSTP connection closed" :
	    "SSTP legacy handshake closed", c->error[0] ? c->error :
	    sstp_stage_name(c->stage));
	s->cur = -1;
}

static void
conn_start(struct sstp_session *s, int i, double now)
{
	struct sstp_conn *c = &s->conn[i];
	struct sockaddr_storage ss, bound;
	socklen_t sl, bl = sizeof(bound);
	int fd;

	c->started = true;
	c->stage = SSTP_STAGE_CONNECT;
	c->deadline = now + SSTP_CONNECT_TIMEOUT;
	s->cur = i;
	if ((fd = socket(s->base.peer.family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) < 0) {
		c->connect_errno = errno;
		conn_end(s, c, "cannot open a TCP socket: %s", strerror(errno));
		return;
	}
	c->fd = fd;
	/* From the address the IKE probes leave from: the capture filter
	 * and the report name it. */
	sl = ip_addr_to_sockaddr(&s->base.local, 0, &ss);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		c->connect_errno = errno;
		conn_end(s, c, "cannot bind to this machine's address: %s",
		    strerror(errno));
		return;
	}
	sl = ip_addr_to_sockaddr(&s->base.peer, s->port, &ss);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		c->connect_errno = errno;
		conn_end(s, c, "%s", strerror(errno));
		return;
	}
	if (getsockname(fd, (struct sockaddr *)&bound, &bl) == 0)
		c->sport = bound.ss_family == AF_INET6 ?
		    ntohs(((struct sockaddr_in6 *)&bound)->sin6_port) :
		    ntohs(((struct sockaddr_in *)&bound)->sin_port);
}

/* The next step of the main connection once TLS is up: the HTTP request
 * of [MS-SSTP] 3.2.4.1. */
static void
http_start(struct sstp_session *s, struct sstp_conn *c, double now)
{
	char host[300];

	c->stage = SSTP_STAGE_HTTP;
	c->deadline = now + SSTP_STEP_TIMEOUT;
	/* Host: as a browser writes it: an IPv6 literal in brackets. */
	if (strchr(s->name, ':'))
		snprintf(host, sizeof(host), "[%s]", s->name);
	else
		snprintf(host, sizeof(host), "%s", s->name);
	c->n_out = sstp_http_request(c->out, sizeof(c->out), host, s->correlation);
	c->sent = 0;
	c->n_in = 0;
	if (c->n_out == 0)
		conn_end(s, c, "the name `%.100s' cannot go in an HTTP Host header",
		    s->name);
}

static void
tls_done(struct sstp_session *s, struct sstp_conn *c, double now)
{
	char what[120];

	snprintf(c->tls_version, sizeof(c->tls_version), "%s", tls_version(&c->tls));
	snprintf(c->tls_cipher, sizeof(c->tls_cipher), "%s", tls_cipher(&c->tls));
	snprintf(what, sizeof(what), "%s %s", c->tls_version, c->tls_cipher);
	trace_conn(s, "SSTP TLS handshake done", what);
	if (c->profile != TLS_CURRENT) {
		c->stage = SSTP_STAGE_DONE;
		conn_end(s, c, NULL);
		return;
	}
	s->ans.n_der = tls_peer_chain(&c->tls, s->ans.der, s->ans.der_len,
	    CERT_MAX_CHAIN, CERT_MAX_DER);
	http_start(s, c, now);
}

/* Send what is left of c->out; true when all of it has gone. */
static bool
flush(struct sstp_session *s, struct sstp_conn *c, bool *failed)
{
	size_t n;
	enum tls_want w;

	*failed = false;
	while (c->sent < c->n_out) {
		w = tls_write(&c->tls, c->out + c->sent, c->n_out - c->sent, &n,
		    c->error, sizeof(c->error));
		if (w == TLS_FAILED) {
			*failed = true;
			conn_end(s, c, NULL);
			return false;
		}
		/* A write may have to read first (and a read write): poll for
		 * what OpenSSL waits on, not what we wait for. */
		c->want_write = w == TLS_WRITE;
		c->want_read = w == TLS_READ;
		if (w != TLS_OK)
			return false;
		c->sent += n;
	}
	return true;
}

/* Read what has come. *ended: the server closed, or reading failed
 * (c->error says why); what came before is in c->in all the same, for
 * the caller to read first. */
static void
fill(struct sstp_conn *c, bool *ended)
{
	size_t got;
	enum tls_want w;

	*ended = false;
	while (c->n_in < sizeof(c->in)) {
		w = tls_read(&c->tls, c->in + c->n_in, sizeof(c->in) - c->n_in,
		    &got, c->error, sizeof(c->error));
		if (w == TLS_FAILED || (w == TLS_OK && got == 0)) {
			*ended = true;
			return;
		}
		c->want_write = w == TLS_WRITE;	/* a read that writes */
		if (w != TLS_OK)
			return;
		c->n_in += got;
	}
}

/* The connection ended while an answer was still awaited. */
static void
ended_early(struct sstp_session *s, struct sstp_conn *c, const char *what)
{
	if (c->error[0])
		conn_end(s, c, "%s: %.150s", what, c->error);
	else
		conn_end(s, c, "the server closed the connection %s", what);
}

static void
on_http(struct sstp_session *s, struct sstp_conn *c, double now)
{
	struct sstp_http_head *h = &s->ans.http;
	enum sstp_head_status st;
	bool failed, eof;
	char line[200];

	if (!flush(s, c, &failed))
		return;
	fill(c, &eof);
	st = sstp_http_parse(c->in, c->n_in, h);
	if (st == SSTP_HEAD_MORE) {
		if (eof)
			ended_early(s, c, c->n_in ? "in the middle of its HTTP "
			    "answer" : "without answering the HTTP request");
		return;
	}
	if (st != SSTP_HEAD_DONE) {
		conn_end(s, c, "the answer to the HTTP request is not HTTP: %s",
		    st == SSTP_HEAD_TOO_LONG ? "no end of its header in 8 KB" :
		    h->problem);
		return;
	}
	s->ans.has_http = true;
	snprintf(line, sizeof(line), "%d %s (%s)", h->status, h->reason,
	    h->server[0] ? h->server : "no Server header");
	trace_conn(s, "SSTP HTTP answer", line);
	/* An SSTP server answers 200 with the same length (3.2.4.1); then
	 * the client speaks first. Anything else is what it is. */
	if (h->status != 200) {
		c->stage = SSTP_STAGE_DONE;
		c->error[0] = '\0';	/* a reset after the answer is no matter */
		conn_end(s, c, NULL);
		return;
	}
	c->stage = SSTP_STAGE_CALL_CONNECT;
	c->deadline = now + SSTP_STEP_TIMEOUT;
	c->n_out = sstp_call_connect_request((uint8_t *)c->out, sizeof(c->out));
	c->sent = 0;
}

/* The Call Connect Request out, its answer in (it may have come with the
 * HTTP answer: it follows the head in c->in). */
static void
on_call_connect(struct sstp_session *s, struct sstp_conn *c)
{
	struct sstp_ctrl *k = &s->ans.ctrl;
	size_t off = s->ans.http.head_len;
	enum sstp_ctrl_status cs;
	bool failed, eof;

	if (!flush(s, c, &failed))
		return;
	fill(c, &eof);
	cs = sstp_ctrl_parse(c->in + off, c->n_in - off, k);
	if (cs == SSTP_CTRL_MORE) {
		if (eof)
			ended_early(s, c, "without answering the Call Connect "
			    "Request");
		else if (c->n_in == sizeof(c->in))
			conn_end(s, c, "the answer to the Call Connect Request "
			    "does not end");
		return;
	}
	if (cs == SSTP_CTRL_MALFORMED) {
		conn_end(s, c, "the answer to the Call Connect Request is not "
		    "SSTP: %s", k->problem);
		return;
	}
	s->ans.has_ctrl = true;
	trace_conn(s, "SSTP answer", sstp_msg_name(k->msg_type) ?
	    sstp_msg_name(k->msg_type) : "a message of an unknown type");
	c->stage = SSTP_STAGE_DONE;
	c->error[0] = '\0';
	conn_end(s, c, NULL);
}

static void
on_connect(struct sstp_session *s, struct sstp_conn *c, double now)
{
	int e = 0;
	socklen_t el = sizeof(e);

	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
		e = errno;
	/* No error yet is not a connection yet: only a peer says so. */
	if (e == 0 && getpeername(c->fd, (struct sockaddr *)&peer, &pl) < 0)
		e = errno == ENOTCONN ? EINPROGRESS : errno;
	if (e == EINPROGRESS || e == EALREADY)
		return;
	c->connect_errno = e;
	if (e != 0) {
		conn_end(s, c, "%s", strerror(e));
		return;
	}
	trace_conn(s, "SSTP TCP connected", tls_profile_version(c->profile));
	c->stage = SSTP_STAGE_TLS;
	c->deadline = now + SSTP_STEP_TIMEOUT;
	if (tls_client_init(&c->tls, c->profile, c->fd, s->name, c->error,
	    sizeof(c->error)) < 0)
		conn_end(s, c, NULL);
}

static void
on_tls(struct sstp_session *s, struct sstp_conn *c, double now)
{
	enum tls_want w = tls_handshake(&c->tls, c->error, sizeof(c->error));

	c->want_write = w == TLS_WRITE;
	switch (w) {
	case TLS_OK:
		tls_done(s, c, now);
		break;
	case TLS_FAILED:
		conn_end(s, c, NULL);
		break;
	case TLS_READ:
	case TLS_WRITE:
		break;
	}
}

/* Drive the connection in progress as far as it goes now. */
static void
step(struct sstp_session *s, double now)
{
	for (int guard = 0; guard < 8 && s->cur >= 0; guard++) {
		struct sstp_conn *c = &s->conn[s->cur];
		enum sstp_stage before = c->stage;

		switch (c->stage) {
		case SSTP_STAGE_CONNECT:
			on_connect(s, c, now);
			break;
		case SSTP_STAGE_TLS:
			on_tls(s, c, now);
			break;
		case SSTP_STAGE_HTTP:
			on_http(s, c, now);
			break;
		case SSTP_STAGE_CALL_CONNECT:
			on_call_connect(s, c);
			break;
		case SSTP_STAGE_DONE:
			conn_end(s, c, NULL);
			break;
		}
		if (s->cur >= 0 && c->stage == before)
			break;
	}
}

/* The legacy handshakes only where TCP reached the server: elsewhere
 * they would say nothing new. */
static int
next_conn(const struct sstp_session *s)
{
	for (int i = 0; i < SSTP_CONNS; i++)
		if (!s->conn[i].started)
			return i == 0 || s->conn[0].connect_errno == 0 ? i : -1;
	return -1;
}

/* Has the capture shown what the first connection's socket said: the
 * server's SYN-ACK for a connection made, the reset or ICMP error for one
 * refused? A silent port has nothing more to show. */
static bool
explained(const struct sstp_session *s)
{
	const struct sstp_conn *c = &s->conn[0];
	const struct sstp_wire *w = &s->wire[0];

	if (c->connect_errno == 0)
		return w->synack != USEC_NONE;
	if (c->connect_errno == ETIMEDOUT)
		return true;
	return w->reset || w->icmp;
}

static double
sstp_run(struct session *base, struct io *io, double now)
{
	struct sstp_session *s = (struct sstp_session *)base;
	int next;

	if (s->started == 0) {
		s->started = wall_usec_now();
		s->started_mono = now;
		s->trace = io->trace;
	}
	if (session_stopping(io, base, now)) {
		if (s->cur >= 0)
			conn_end(s, &s->conn[s->cur], "%s", SSTP_STOPPED);
		/* Stopped, whoever saw it first: what did not finish was not
		 * refused. */
		s->interrupted = true;
		base->done = true;
		return now + 60;
	}
	if (s->cur >= 0 && now >= s->conn[s->cur].deadline) {
		struct sstp_conn *c = &s->conn[s->cur];

		c->timed_out = true;
		if (c->stage == SSTP_STAGE_CONNECT)
			c->connect_errno = ETIMEDOUT;
		conn_end(s, c, "no answer in %.1f s (%s)", c->stage ==
		    SSTP_STAGE_CONNECT ? SSTP_CONNECT_TIMEOUT : SSTP_STEP_TIMEOUT,
		    c->stage == SSTP_STAGE_CONNECT ? "TCP connect" : c->stage ==
		    SSTP_STAGE_TLS ? "TLS handshake" : c->stage == SSTP_STAGE_HTTP ?
		    "HTTP answer" : "Call Connect answer");
	}
	if (s->cur < 0 && (next = next_conn(s)) >= 0) {
		conn_start(s, next, now);
		step(s, now);
	}
	if (s->cur >= 0)
		return s->conn[s->cur].deadline;
	if (next_conn(s) >= 0)
		return now;
	/* Every socket is closed: the capture gets a moment to show what
	 * ended the first connection, if it has not yet. */
	if (s->linger_until == 0)
		s->linger_until = now + SSTP_LINGER;
	if (now >= s->linger_until || explained(s)) {
		base->done = true;
		s->duration = now - s->started_mono;
	}
	return s->linger_until;
}

static int
sstp_fd(const struct session *base, short *events)
{
	const struct sstp_session *s = (const struct sstp_session *)base;
	const struct sstp_conn *c;

	if (s->cur < 0)
		return -1;
	c = &s->conn[s->cur];
	if (c->fd < 0)
		return -1;
	if (c->stage == SSTP_STAGE_CONNECT)
		*events = POLLOUT;
	else if (c->want_write)
		*events = POLLOUT;
	else if (c->want_read || c->sent >= c->n_out)
		*events = POLLIN;
	else
		*events = POLLIN | POLLOUT;
	return c->fd;
}

static void
sstp_ready(struct session *base, struct io *io, short revents, double now)
{
	(void)io;
	(void)revents;
	step((struct sstp_session *)base, now);
}

/* Which of our connections a segment or an ICMP error is about. */
static int
conn_of(const struct sstp_session *s, uint16_t sport)
{
	for (int i = 0; i < SSTP_CONNS; i++)
		if (s->conn[i].started && s->conn[i].sport == sport && sport)
			return i;
	return -1;
}

static void
sstp_frame(struct session *base, struct io *io, enum frame_kind kind,
    const struct pkt *pk, usec_t ts)
{
	struct sstp_session *s = (struct sstp_session *)base;
	struct sstp_wire *w;
	int i;

	(void)io;
	if (kind != FRAME_PACKET || pk == NULL)
		return;
	if (pk->is_icmp && pk->quote.valid && pk->quote.has_ports &&
	    pk->quote.dport == s->port &&
	    (i = conn_of(s, pk->quote.sport)) >= 0) {
		w = &s->wire[i];
		if (pk->icmp_meaning == ICMP_NONE || pk->icmp_meaning ==
		    ICMP_NOT_LOSS || w->icmp)
			return;
		w->icmp = true;
		w->icmp_at = ts;
		w->icmp_meaning = pk->icmp_meaning;
		w->icmp_type = pk->icmp_type;
		w->icmp_code = pk->icmp_code;
		w->icmp_from = pk->src;
		trace_tcp(s->trace, s->started, pk, ts, "ICMP error about the "
		    "SSTP connection");
		return;
	}
	if (!pk->is_tcp) {
		s->other++;
		return;
	}
	if (ip_addr_eq(&pk->src, &base->local) && pk->dport == s->port &&
	    (i = conn_of(s, pk->sport)) >= 0) {
		w = &s->wire[i];
		if ((pk->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
			if (w->syns++ == 0)
				w->first_syn = ts;
			trace_tcp(s->trace, s->started, pk, ts, ">SSTP SYN");
		}
		return;
	}
	if (ip_addr_eq(&pk->src, &base->peer) && pk->sport == s->port &&
	    (i = conn_of(s, pk->dport)) >= 0) {
		w = &s->wire[i];
		w->segments_in++;
		if ((pk->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) &&
		    w->synack == USEC_NONE) {
			w->synack = ts;
			if (w->syns == 1 && w->first_syn != USEC_NONE)
				peer_path_note(base->path, (double)(ts -
				    w->first_syn) / 1e6, "TCP", s->port);
			trace_tcp(s->trace, s->started, pk, ts, "SSTP SYN-ACK");
		} else if ((pk->tcp_flags & TCP_RST) && !w->reset) {
			w->reset = true;
			w->reset_at = ts;
			if (w->syns == 1 && w->first_syn != USEC_NONE &&
			    w->synack == USEC_NONE)
				peer_path_note(base->path, (double)(ts -
				    w->first_syn) / 1e6, "TCP", s->port);
			w->reset_from = pk->src;
			trace_tcp(s->trace, s->started, pk, ts, "SSTP reset");
		}
		return;
	}
	s->other++;
}

void
sstp_session_finish(struct sstp_session *s, const struct io *io)
{
	for (int i = 0; i < SSTP_CONNS; i++)
		if (s->conn[i].fd >= 0)
			conn_end(s, &s->conn[i], "%s", SSTP_STOPPED);
	if (!s->base.done || s->duration == 0)
		s->duration = mono_now() - (s->started_mono > 0 ?
		    s->started_mono : io->started);
	s->interrupted |= io->interrupted || io->faulted || s->base.deadline_hit;
	if (s->started == 0)
		s->started = io->started_wall;
}

void
sstp_session_free(struct sstp_session *s)
{
	for (int i = 0; i < s->ans.n_der; i++)
		free(s->ans.der[i]);
	s->ans.n_der = 0;
}

const struct session_ops sstp_session_ops = {
	.kind = "sstp",
	.run = sstp_run,
	.frame = sstp_frame,
	.fd = sstp_fd,
	.ready = sstp_ready,
};
