/* One poll loop for every session of a run: the sessions send what is
 * due, the capture is read in bounded batches, each frame goes to the
 * session whose signature it carries. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ikeprobe/io.h"

/* Captured packets handled per round of the poll loop: a flood must not
 * keep the loop from its timers. What is left is read in the next round. */
#define CAPTURE_BATCH	512

double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

usec_t
wall_usec_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (usec_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
io_init(struct io *io)
{
	memset(io, 0, sizeof(*io));
	io->raw[0] = io->raw[1] = -1;
	io->cap.fd = -1;
	io->rate = IO_RATE;
	io->burst = io->tokens = IO_BURST;
	ingest_init(&io->in);
}

enum net_err
io_open_raw(struct io *io, int family, const char *ifname, char *err,
    size_t errlen)
{
	int *fd = &io->raw[family == AF_INET6];

	if (*fd >= 0)
		return NET_OK;
	return rawsock_open(fd, family, ifname, err, errlen);
}

enum net_err
io_hold(struct io *io, const struct ip_addr *local, uint16_t port,
    uint16_t *got, int *why, char *err, size_t errlen)
{
	struct held_port *h;
	enum net_err e;

	for (int i = 0; i < io->n_held; i++)
		if (io->held[i].dport == port && ip_addr_eq(&io->held[i].local, local)) {
			*got = io->held[i].sport;
			*why = io->held[i].why;
			return NET_OK;
		}
	if (io->n_held == IO_MAX_HELD) {
		snprintf(err, errlen, "too many ports to hold: probe fewer");
		return NET_ERR_USAGE;
	}
	h = &io->held[io->n_held];
	/* Real initiators send from the port they send to. */
	if ((e = udp_hold(local, port, &h->why, &h->fd, &h->sport, err,
	    errlen)) != NET_OK)
		return e;
	h->local = *local;
	h->dport = port;
	*got = h->sport;
	*why = h->why;
	io->n_held++;
	ingest_local(&io->in, local);
	return NET_OK;
}

enum net_err
io_open_capture(struct io *io, const struct local_info *li, const char *filter,
    const char *pcap_path, char *err, size_t errlen)
{
	enum net_err e = capture_open(&io->cap, li, filter, pcap_path, err, errlen);

	io->cap_open = e == NET_OK;
	ingest_local(&io->in, &li->addr);
	return e;
}

bool
io_add(struct io *io, struct session *s)
{
	if (io->n_sessions == IO_MAX_SESSIONS)
		return false;
	io->sessions[io->n_sessions++] = s;
	return true;
}

void
io_remove(struct io *io, struct session *s)
{
	int n = 0;

	for (int i = 0; i < io->n_sessions; i++)
		if (io->sessions[i] != s)
			io->sessions[n++] = io->sessions[i];
	io->n_sessions = n;
}

bool
io_budget(struct io *io, int n, double now, double *due)
{
	double need = n > io->burst ? io->burst : n;

	if (io->refilled > 0)
		io->tokens += (now - io->refilled) * io->rate;
	if (io->tokens > io->burst)
		io->tokens = io->burst;
	io->refilled = now;
	if (io->tokens >= need) {
		io->tokens -= need;
		return true;
	}
	if (now + (need - io->tokens) / io->rate < *due)
		*due = now + (need - io->tokens) / io->rate;
	return false;
}

void
io_fault(struct io *io, const char *what, int err)
{
	if (io->faulted)
		return;
	io->faulted = true;
	io->fault_after = mono_now() - io->started;
	snprintf(io->fault, sizeof(io->fault), "%s: %s", what,
	    err ? strerror(err) : io->cap_open ? capture_error(&io->cap) :
	    "no capture");
}

bool
io_stopping(const struct io *io)
{
	return io->interrupted || io->faulted || (io->stop && *io->stop);
}

bool
session_stopping(const struct io *io, struct session *s, double now)
{
	if (s->deadline > 0 && now >= s->deadline)
		s->deadline_hit = true;
	return io_stopping(io) || s->deadline_hit;
}

int
io_send(struct io *io, const struct ip_addr *dst, const uint8_t *buf, size_t len)
{
	int fd = io->raw[dst->family == AF_INET6];

	if (fd < 0)
		return -EAFNOSUPPORT;
	return rawsock_send(fd, buf, len, dst);
}

static void
deliver(void *arg, enum frame_kind kind, const struct pkt *pk, usec_t ts)
{
	struct io *io = arg;
	int i = session_dispatch(io->sessions, io->n_sessions, kind, pk, ts);

	if (io->n_sessions == 0)
		return;
	/* What no session claims is the first one's to count: a run with
	 * one gateway counts everything it captured, as it always did. */
	if (i < 0)
		i = 0;
	/* A frame goes to the gateway's own capture once, whole, even
	 * when it completes a datagram of several. */
	if (io->sessions[i]->sink && io->frame && !io->frame_saved) {
		capture_sink_write(io->sessions[i]->sink, io->frame);
		io->frame_saved = true;
	}
	io->sessions[i]->ops->frame(io->sessions[i], io, kind, pk, ts);
}

/* Tell the caller of every session that has finished since last time. */
static void
tell_done(struct io *io)
{
	for (int i = 0; i < io->n_sessions; i++) {
		struct session *s = io->sessions[i];

		if (s->done && !s->told) {
			s->told = true;
			if (io->on_done)
				io->on_done(io->on_done_arg, s);
		}
	}
}

void
io_run(struct io *io)
{
	struct pollfd pfd[1 + IO_MAX_HELD + IO_MAX_SESSIONS];
	int owner[1 + IO_MAX_HELD + IO_MAX_SESSIONS];
	struct capture_pkt cp;
	double now, due, d;
	int i, npfd, alive, rc, timeout;

	io->started = mono_now();
	io->started_wall = wall_usec_now();
	if (io->n_sessions == 0)
		return;
	for (;;) {
		now = mono_now();
		if (io->stop && *io->stop) {
			io->interrupted = true;
			io->stop_signal = (int)*io->stop;
			break;
		}
		if (io->faulted)
			break;
		due = now + 60;
		alive = 0;
		for (i = 0; i < io->n_sessions; i++) {
			struct session *s = io->sessions[i];

			if (s->done)
				continue;
			d = s->ops->run(s, io, now);
			if (!s->done) {
				alive++;
				if (d < due)
					due = d;
			}
		}
		if (io->faulted)
			break;
		tell_done(io);
		if (alive == 0)
			break;

		npfd = 0;
		if (io->cap_open) {
			owner[npfd] = -1;
			pfd[npfd++] = (struct pollfd){ io->cap.fd, POLLIN, 0 };
		}
		for (i = 0; i < io->n_held; i++) {
			owner[npfd] = -1;
			pfd[npfd++] = (struct pollfd){ io->held[i].fd, POLLIN, 0 };
		}
		for (i = 0; i < io->n_sessions; i++) {
			struct session *s = io->sessions[i];
			short ev = 0;
			int fd;

			if (s->done || s->ops->fd == NULL || (fd = s->ops->fd(s, &ev)) < 0)
				continue;
			owner[npfd] = i;
			pfd[npfd++] = (struct pollfd){ fd, ev, 0 };
		}
		timeout = due <= now || io->again ? 0 : (int)((due - now) * 1000) + 1;
		io->again = false;
		rc = poll(pfd, (nfds_t)npfd, timeout);
		if (rc < 0 && errno != EINTR) {
			io_fault(io, "waiting for packets failed", errno);
			break;
		}
		if (io->cap_open) {
			for (i = 0; i < CAPTURE_BATCH &&
			    (rc = capture_next(&io->cap, &cp)) == 1; i++) {
				io->frame = &cp;
				io->frame_saved = false;
				ingest_frame(&io->in, io->cap.link, cp.data,
				    cp.caplen, cp.ts, deliver, io);
			}
			io->frame = NULL;
			if (rc < 0) {
				io_fault(io, "the capture failed", 0);
				break;
			}
		}
		for (i = 0; i < io->n_held; i++)
			udp_drain(io->held[i].fd);
		now = mono_now();
		for (i = 0; i < npfd; i++)
			if (owner[i] >= 0 && pfd[i].revents)
				io->sessions[owner[i]]->ops->ready(
				    io->sessions[owner[i]], io, pfd[i].revents, now);
	}
}

void
io_close(struct io *io)
{
	for (int i = 0; i < 2; i++)
		if (io->raw[i] >= 0)
			close(io->raw[i]);
	for (int i = 0; i < io->n_held; i++)
		close(io->held[i].fd);
	if (io->cap_open)
		capture_close(&io->cap);
	ingest_free(&io->in);
	io->raw[0] = io->raw[1] = -1;
	io->n_held = 0;
	io->cap_open = false;
}
