/*
 * The ping benchmark: round trips of io.berth.Service.Ping against a running
 * berthd, side by side with the same client against an in-process server
 * that only echoes frames (the floor a UNIX-socket round trip sets), and
 * berthd's memory before and under the load.
 *
 *	ping [-s socket] [-p pid] [-d seconds | -n calls] [-c conns]
 *	    [-w window] [-W seconds] [-D docker-socket] [-E]
 *
 * Three phases, each bounded by a duration or a number of calls: one call
 * at a time on one connection, a window of calls in flight on one
 * connection, and one call at a time on each of many connections (one
 * poll loop: the host has two cores, one for the server).  Every reply is
 * checked: not an error, and carrying back the sequence number its call
 * sent, so replies come in order.  Plain blocking sockets and the
 * protocol/ codec, nothing of libberth's connection code, so the figures
 * are the server's and the kernel's.
 *
 * -W waits up to that long for the socket to accept a connection (and
 * gives up at once if the -p process is gone), so a script can start the
 * daemon and run this without a sleep.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "frame.h"
#include "message.h"

#define PING_METHOD		"io.berth.Service.Ping"
#define PING_REPLY_MAX		(64u << 10)	/* a reply larger is wrong */
#define PING_IO_TIMEOUT		10		/* seconds without a reply */
#define PING_MAX_CONNS		1024
#define PING_RSS_EVERY_NS	50000000ull	/* sample RSS every 50 ms */
#define PING_WARMUP_CALLS	2000
#define DOCKER_SOCKET		"/var/run/docker.sock"
#define DOCKER_PING		"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n"

/* How requests are written and replies recognised: berth frames or HTTP. */
struct proto {
	const char	*name;
	/* Append the request numbered seq to out. */
	int		(*build)(struct proto *, uint64_t, msgpack_sbuffer *,
			    struct berth_error *);
	/* 1 and *used: a good reply to seq at buf; 0: need more; -1: bad. */
	int		(*parse)(struct proto *, const char *, size_t,
			    uint64_t, size_t *, struct berth_error *);
	msgpack_sbuffer	 scratch;
	msgpack_packer	 pk;
};

struct conn {
	int		 fd;
	char		*in;
	size_t		 inlen;
	size_t		 incap;
	uint64_t	 next_send;	/* sequence of the next call */
	uint64_t	 next_recv;	/* sequence of the reply expected */
	uint64_t	*sent_at;	/* ring of window send times, ns */
};

struct phase {
	const char	*name;
	int		 nconns;
	int		 window;
};

struct result {
	bool		 done;
	uint64_t	 calls;
	double		 seconds;
	double		 p50_us;
	double		 p99_us;
	char		 error[256];
};

/* Memory of a process, in KiB. */
struct rss {
	long		 rss;
	long		 hwm;
};

struct bench {
	double		 seconds;	/* per phase, when count is 0 */
	uint64_t	 count;		/* calls per phase */
	int		 nconns;
	int		 window;
	pid_t		 sample_pid;	/* whose RSS to sample, or 0 */
	long		 peak_rss;	/* highest VmRSS sampled */
	uint64_t	*lat;		/* latencies of one phase, ns */
	size_t		 nlat;
	size_t		 latcap;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
}

static void
usage(void)
{
	fprintf(stderr, "usage: ping [-s socket] [-p pid] [-d seconds | "
	    "-n calls] [-c conns] [-w window] [-W seconds]\n"
	    "	    [-D docker-socket] [-E]\n");
	exit(2);
}

static int
read_rss(pid_t pid, struct rss *out)
{
	cleanup_fclose FILE *f = NULL;
	char path[64], line[256];

	out->rss = out->hwm = -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			out->rss = strtol(line + 6, NULL, 10);
		else if (strncmp(line, "VmHWM:", 6) == 0)
			out->hwm = strtol(line + 6, NULL, 10);
	}
	return (out->rss < 0 ? -1 : 0);
}

static void
sample_rss(struct bench *b)
{
	struct rss r;

	if (b->sample_pid > 0 && read_rss(b->sample_pid, &r) == 0 &&
	    r.rss > b->peak_rss)
		b->peak_rss = r.rss;
}

static int
connect_unix(const char *path, struct berth_error *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = PING_IO_TIMEOUT };
	cleanup_close int fd = -1;

	if (strlen(path) >= sizeof(sun.sun_path))
		return (berth_error_set(err, BERTH_E_CONNECT, 0,
		    "socket path too long: %s", path));
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return (berth_error_sys(err, "socket"));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return (berth_error_set(err, BERTH_E_CONNECT, errno,
		    "connect to %s", path));
	/* Bounded: a server that stops answering fails the phase. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return (steal_fd(&fd));
}

/* Retry connecting every 10 ms until path accepts or the time is up. */
static int
wait_for_socket(const char *path, double seconds, pid_t pid,
    struct berth_error *err)
{
	struct timespec tick = { .tv_nsec = 10000000 };
	uint64_t deadline;
	int fd;

	deadline = now_ns() + (uint64_t)(seconds * 1e9);
	for (;;) {
		if ((fd = connect_unix(path, err)) >= 0) {
			close(fd);
			berth_error_clear(err);
			return (0);
		}
		if (pid > 0 && kill(pid, 0) < 0 && errno == ESRCH)
			return (berth_error_set(err, BERTH_E_CONNECT, 0,
			    "process %ld exited before %s accepted a "
			    "connection", (long)pid, path));
		if (now_ns() >= deadline)
			return (berth_error_wrap(err, "waited %.1f s",
			    seconds));
		nanosleep(&tick, NULL);
	}
}

static int
write_all(int fd, const char *p, size_t len, struct berth_error *err)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return (berth_error_sys(err, "write"));
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

/* berth: a Ping call carrying its sequence number as the payload. */
static int
berth_build(struct proto *pr, uint64_t seq, msgpack_sbuffer *out,
    struct berth_error *err)
{
	char payload[24];

	snprintf(payload, sizeof(payload), "%" PRIu64, seq);
	msgpack_sbuffer_clear(&pr->scratch);
	frame_begin(&pr->scratch);
	call_pack_head(&pr->pk, PING_METHOD, 0);
	msgpack_pack_map(&pr->pk, 1);
	pack_kv_str(&pr->pk, "payload", payload);
	if (frame_finish(&pr->scratch, FRAME_MAX_DEFAULT, err) < 0)
		return (-1);
	msgpack_sbuffer_write(out, pr->scratch.data, pr->scratch.size);
	return (0);
}

static int
berth_parse(struct proto *pr, const char *buf, size_t len, uint64_t seq,
    size_t *used, struct berth_error *err)
{
	const msgpack_object *payload;
	char want[24], *copy;
	struct frame f;
	struct reply r;
	size_t total;
	int rc;

	(void)pr;
	if ((rc = frame_peek(buf, len, PING_REPLY_MAX, &total, err)) <= 0)
		return (rc);
	if ((copy = malloc(total - FRAME_HEADER_SIZE + 1)) == NULL)
		return (berth_error_sys(err, "allocate reply"));
	memcpy(copy, buf + FRAME_HEADER_SIZE, total - FRAME_HEADER_SIZE);
	frame_init(&f);
	if (frame_decode_payload(&f, copy, total - FRAME_HEADER_SIZE,
	    err) < 0) {
		frame_release(&f);
		return (-1);
	}
	if (reply_parse(f.root, &r, err) < 0) {
		frame_release(&f);
		return (berth_error_wrap(err, "reply %" PRIu64, seq));
	}
	snprintf(want, sizeof(want), "%" PRIu64, seq);
	payload = msgpack_map_get(r.parameters, "payload");
	if (payload == NULL || !msgpack_str_eq(payload, want) ||
	    r.continues) {
		frame_release(&f);
		return (berth_error_set(err, BERTH_E_PROTOCOL, 0,
		    "reply %" PRIu64 " does not carry its call's payload",
		    seq));
	}
	frame_release(&f);
	*used = total;
	return (1);
}

/* HTTP/1.1 keep-alive: GET /_ping, a 200 with a Content-Length body. */
static int
http_build(struct proto *pr, uint64_t seq, msgpack_sbuffer *out,
    struct berth_error *err)
{
	(void)pr;
	(void)seq;
	(void)err;
	msgpack_sbuffer_write(out, DOCKER_PING, sizeof(DOCKER_PING) - 1);
	return (0);
}

static int
http_parse(struct proto *pr, const char *buf, size_t len, uint64_t seq,
    size_t *used, struct berth_error *err)
{
	const char *end, *p;
	size_t hlen, body = 0;

	(void)pr;
	if ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
		if (len > PING_REPLY_MAX)
			return (berth_error_set(err, BERTH_E_PROTOCOL, 0,
			    "HTTP header too long"));
		return (0);
	}
	hlen = (size_t)(end - buf) + 4;
	if (len < 12 || memcmp(buf, "HTTP/1.1 200", 12) != 0)
		return (berth_error_set(err, BERTH_E_PROTOCOL, 0,
		    "reply %" PRIu64 ": not HTTP/1.1 200", seq));
	for (p = buf; p < end; p++) {
		if ((size_t)(end - p) > 16 &&
		    strncasecmp(p, "\r\nContent-Length:", 17) == 0) {
			body = strtoul(p + 17, NULL, 10);
			break;
		}
	}
	if (len < hlen + body)
		return (0);
	*used = hlen + body;
	return (1);
}

static void
lat_push(struct bench *b, uint64_t ns)
{
	uint64_t *g;
	size_t cap;

	if (b->nlat == b->latcap) {
		cap = b->latcap == 0 ? 65536 : b->latcap * 2;
		if ((g = realloc(b->lat, cap * sizeof(*g))) == NULL)
			return;		/* the figure loses a sample, no more */
		b->lat = g;
		b->latcap = cap;
	}
	b->lat[b->nlat++] = ns;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

static double
percentile_us(const uint64_t *sorted, size_t n, double pct)
{
	size_t i;

	if (n == 0)
		return (0);
	i = (size_t)(pct / 100.0 * (double)(n - 1) + 0.5);
	return ((double)sorted[i] / 1000.0);
}

static void
conns_close(struct conn *c, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (c[i].fd >= 0)
			close(c[i].fd);
		free(c[i].in);
		free(c[i].sent_at);
	}
	free(c);
}

/* Send calls on c until window are in flight or the phase stops. */
static int
conn_fill(struct bench *b, struct proto *pr, struct conn *c, int window,
    uint64_t *budget, bool stopping, msgpack_sbuffer *out,
    struct berth_error *err)
{
	uint64_t t;

	msgpack_sbuffer_clear(out);
	t = now_ns();
	while (!stopping && *budget > 0 &&
	    c->next_send - c->next_recv < (uint64_t)window) {
		if (pr->build(pr, c->next_send, out, err) < 0)
			return (-1);
		c->sent_at[c->next_send % (uint64_t)window] = t;
		c->next_send++;
		if (b->count > 0)
			(*budget)--;
	}
	if (out->size == 0)
		return (0);
	return (write_all(c->fd, out->data, out->size, err));
}

/* Read what c has and take every whole reply out of it. */
static int
conn_drain(struct bench *b, struct proto *pr, struct conn *c, int window,
    uint64_t *done, struct berth_error *err)
{
	size_t off = 0, used;
	uint64_t t;
	ssize_t n;
	char *g;
	int rc;

	if (c->inlen == c->incap) {
		if ((g = realloc(c->in, c->incap * 2)) == NULL)
			return (berth_error_sys(err, "grow read buffer"));
		c->in = g;
		c->incap *= 2;
	}
	n = read(c->fd, c->in + c->inlen, c->incap - c->inlen);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return (berth_error_set(err, BERTH_E_PROTOCOL, 0,
		    "no reply within %d seconds", PING_IO_TIMEOUT));
	if (n < 0)
		return (errno == EINTR ? 0 : berth_error_sys(err, "read"));
	if (n == 0)
		return (berth_error_set(err, BERTH_E_PROTOCOL, 0,
		    "connection closed by the server"));
	c->inlen += (size_t)n;
	t = now_ns();
	while (off < c->inlen) {
		if (c->next_recv == c->next_send)
			return (berth_error_set(err, BERTH_E_PROTOCOL, 0,
			    "a reply to no call"));
		rc = pr->parse(pr, c->in + off, c->inlen - off, c->next_recv,
		    &used, err);
		if (rc < 0)
			return (-1);
		if (rc == 0)
			break;
		lat_push(b, t - c->sent_at[c->next_recv % (uint64_t)window]);
		c->next_recv++;
		(*done)++;
		off += used;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	return (0);
}

/* One phase against one server; fills res (res->error on failure). */
static void
run_phase(struct bench *b, struct proto *pr, const char *path,
    const struct phase *ph, struct result *res)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct pollfd *pfd = NULL;
	struct conn *c;
	msgpack_sbuffer out;
	uint64_t start, deadline, budget, done = 0, last_sample;
	bool stopping = false;
	int i, inflight, rc = 0;

	memset(res, 0, sizeof(*res));
	msgpack_sbuffer_init(&out);
	if ((c = calloc((size_t)ph->nconns, sizeof(*c))) == NULL ||
	    (pfd = calloc((size_t)ph->nconns, sizeof(*pfd))) == NULL) {
		berth_error_sys(&err, "allocate connections");
		goto out;
	}
	for (i = 0; i < ph->nconns; i++)
		c[i].fd = -1;
	for (i = 0; i < ph->nconns; i++) {
		c[i].incap = 65536;
		c[i].in = malloc(c[i].incap);
		c[i].sent_at = calloc((size_t)ph->window, sizeof(uint64_t));
		if (c[i].in == NULL || c[i].sent_at == NULL) {
			berth_error_sys(&err, "allocate connection");
			goto out;
		}
		if ((c[i].fd = connect_unix(path, &err)) < 0)
			goto out;
		pfd[i].fd = c[i].fd;
		pfd[i].events = POLLIN;
	}
	b->nlat = 0;
	budget = b->count > 0 ? b->count : UINT64_MAX;
	start = last_sample = now_ns();
	deadline = start + (uint64_t)(b->seconds * 1e9);
	for (i = 0; i < ph->nconns && rc == 0; i++)
		rc = conn_fill(b, pr, &c[i], ph->window, &budget, false, &out,
		    &err);
	while (rc == 0) {
		inflight = 0;
		for (i = 0; i < ph->nconns; i++)
			inflight += c[i].next_send != c[i].next_recv;
		if (inflight == 0)
			break;
		if (ph->nconns > 1) {
			rc = poll(pfd, (nfds_t)ph->nconns,
			    PING_IO_TIMEOUT * 1000);
			if (rc < 0 && errno != EINTR) {
				rc = berth_error_sys(&err, "poll");
				break;
			}
			if (rc == 0) {
				rc = berth_error_set(&err, BERTH_E_PROTOCOL,
				    0, "no reply within %d seconds",
				    PING_IO_TIMEOUT);
				break;
			}
			rc = 0;
		} else
			pfd[0].revents = POLLIN;
		for (i = 0; i < ph->nconns && rc == 0; i++) {
			if (pfd[i].revents == 0)
				continue;
			rc = conn_drain(b, pr, &c[i], ph->window, &done, &err);
			if (rc == 0)
				rc = conn_fill(b, pr, &c[i], ph->window,
				    &budget, stopping, &out, &err);
		}
		if (b->count == 0 && !stopping && now_ns() >= deadline)
			stopping = true;
		if (b->count > 0 && budget == 0)
			stopping = true;
		if (now_ns() - last_sample >= PING_RSS_EVERY_NS) {
			sample_rss(b);
			last_sample = now_ns();
		}
	}
	if (rc < 0)
		goto out;
	res->seconds = (double)(now_ns() - start) / 1e9;
	res->calls = done;
	qsort(b->lat, b->nlat, sizeof(*b->lat), cmp_u64);
	res->p50_us = percentile_us(b->lat, b->nlat, 50);
	res->p99_us = percentile_us(b->lat, b->nlat, 99);
	res->done = true;
out:
	if (berth_error_isset(&err))
		snprintf(res->error, sizeof(res->error), "%s",
		    berth_error_message(&err));
	berth_error_clear(&err);
	sample_rss(b);
	if (c != NULL)
		conns_close(c, ph->nconns);
	free(pfd);
	msgpack_sbuffer_destroy(&out);
}

/* A few calls not counted, so the first phase doesn't pay for start-up. */
static void
warm_up(struct bench *b, struct proto *pr, const char *path)
{
	struct phase ph = { "warm-up", 1, 1 };
	struct bench w = *b;
	struct result res;

	w.seconds = 0;
	w.count = PING_WARMUP_CALLS;
	w.lat = NULL;
	w.nlat = w.latcap = 0;
	run_phase(&w, pr, path, &ph, &res);
	free(w.lat);
}

/*
 * The echo floor: a child that accepts on a UNIX socket and writes back
 * every whole frame it reads, unchanged, in one poll loop.
 */
static void
echo_serve(int lfd)
{
	struct pollfd pfd[PING_MAX_CONNS + 1];
	char *buf[PING_MAX_CONNS + 1];
	size_t len[PING_MAX_CONNS + 1], off, total;
	struct berth_error err = BERTH_ERROR_INIT;
	nfds_t n = 1, i;
	ssize_t r;
	int fd;

	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	for (;;) {
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if ((pfd[0].revents & POLLIN) && n <= PING_MAX_CONNS &&
		    (fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
			pfd[n].fd = fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			if ((buf[n] = malloc(PING_REPLY_MAX * 2)) == NULL)
				_exit(1);
			len[n++] = 0;
		}
		for (i = 1; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			r = read(pfd[i].fd, buf[i] + len[i],
			    PING_REPLY_MAX * 2 - len[i]);
			if (r <= 0) {
				close(pfd[i].fd);
				free(buf[i]);
				pfd[i] = pfd[n - 1];
				buf[i] = buf[n - 1];
				len[i] = len[n - 1];
				n--;
				i--;
				continue;
			}
			len[i] += (size_t)r;
			off = 0;
			while (frame_peek(buf[i] + off, len[i] - off,
			    PING_REPLY_MAX, &total, &err) == 1)
				off += total;
			if (berth_error_isset(&err))
				_exit(1);
			if (off > 0 && write_all(pfd[i].fd, buf[i], off,
			    &err) < 0)
				_exit(1);
			memmove(buf[i], buf[i] + off, len[i] - off);
			len[i] -= off;
		}
	}
}

static pid_t
echo_start(const char *path, struct berth_error *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int lfd;
	pid_t pid;

	if (strlen(path) >= sizeof(sun.sun_path))
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "socket path too long: %s", path));
	strcpy(sun.sun_path, path);
	if ((lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return (berth_error_sys(err, "socket"));
	if (bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(lfd, 128) < 0) {
		close(lfd);
		return (berth_error_sys(err, "listen on %s", path));
	}
	if ((pid = fork()) < 0) {
		close(lfd);
		return (berth_error_sys(err, "fork"));
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(0);
		echo_serve(lfd);
		_exit(0);
	}
	close(lfd);
	return (pid);
}

/* Whether dockerd answers GET /_ping on its socket. */
static bool
docker_answers(const char *path, char *why, size_t whysize)
{
	struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int fd = -1;
	char buf[512];
	ssize_t n;

	if (access(path, F_OK) != 0) {
		snprintf(why, whysize, "no dockerd");
		return (false);
	}
	if ((fd = connect_unix(path, &err)) < 0 ||
	    write_all(fd, DOCKER_PING, sizeof(DOCKER_PING) - 1, &err) < 0) {
		snprintf(why, whysize, "no dockerd: %s",
		    berth_error_message(&err));
		berth_error_clear(&err);
		return (false);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 12 || memcmp(buf, "HTTP/1.1 200", 12) != 0) {
		snprintf(why, whysize, "no dockerd: %s does not answer "
		    "/_ping", path);
		return (false);
	}
	return (true);
}

static void
print_cells(const struct result *r)
{
	if (!r->done) {
		printf("  %10s %9s %9s", "-", "-", "-");
		return;
	}
	printf("  %10.0f %9.1f %9.1f", (double)r->calls / r->seconds,
	    r->p50_us, r->p99_us);
}

static void
print_rss_row(const char *what, long rss, long hwm)
{
	if (rss < 0)
		printf("  %-26s %10s %10s\n", what, "-", "-");
	else
		printf("  %-26s %7ld KiB %6ld KiB\n", what, rss, hwm);
}

int
main(int argc, char **argv)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct bench b = { .seconds = 3, .nconns = 64, .window = 64 };
	struct proto berth = { "berth", berth_build, berth_parse, { 0 },
	    { 0 } };
	struct proto http = { "http", http_build, http_parse, { 0 }, { 0 } };
	struct phase phases[3];
	struct result rb[3], re[3], rd[3];
	struct rss idle = { -1, -1 }, after = { -1, -1 };
	char dir[] = "/tmp/berth-ping.XXXXXX", echo_path[64], why[256];
	const char *sock = NULL, *docker_sock = DOCKER_SOCKET;
	pid_t pid = 0, echo = 0;
	bool floor = true, docker;
	long peak = -1;
	double wait = 0;
	int ch, i, status = 0;

	while ((ch = getopt(argc, argv, "c:d:D:En:p:s:w:W:")) != -1) {
		switch (ch) {
		case 'c':
			b.nconns = atoi(optarg);
			break;
		case 'd':
			b.seconds = atof(optarg);
			break;
		case 'D':
			docker_sock = optarg;
			break;
		case 'E':
			floor = false;
			break;
		case 'n':
			b.count = strtoull(optarg, NULL, 10);
			break;
		case 'p':
			pid = (pid_t)atol(optarg);
			break;
		case 's':
			sock = optarg;
			break;
		case 'w':
			b.window = atoi(optarg);
			break;
		case 'W':
			wait = atof(optarg);
			break;
		default:
			usage();
		}
	}
	if (argc != optind || b.nconns < 1 || b.nconns > PING_MAX_CONNS ||
	    b.window < 1 || (b.count == 0 && !(b.seconds > 0)))
		usage();
	if (sock == NULL && !floor)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (sock != NULL && wait > 0 &&
	    wait_for_socket(sock, wait, pid, &err) < 0) {
		fprintf(stderr, "ping: %s\n", berth_error_message(&err));
		return (1);
	}
	msgpack_sbuffer_init(&berth.scratch);
	msgpack_packer_init(&berth.pk, &berth.scratch, msgpack_sbuffer_write);

	phases[0] = (struct phase){ "sequential", 1, 1 };
	phases[1] = (struct phase){ "pipelined", 1, b.window };
	phases[2] = (struct phase){ "connections", b.nconns, 1 };

	/* The echo child first: forked before the big buffers exist. */
	if (floor) {
		if (mkdtemp(dir) == NULL) {
			perror("mkdtemp");
			return (1);
		}
		snprintf(echo_path, sizeof(echo_path), "%s/echo.sock", dir);
		if ((echo = echo_start(echo_path, &err)) < 0) {
			fprintf(stderr, "ping: echo server: %s\n",
			    berth_error_message(&err));
			rmdir(dir);
			return (1);
		}
	}

	memset(rb, 0, sizeof(rb));
	memset(re, 0, sizeof(re));
	memset(rd, 0, sizeof(rd));
	if (sock != NULL) {
		if (pid > 0)
			read_rss(pid, &idle);
		b.sample_pid = pid;
		b.peak_rss = idle.rss;
		warm_up(&b, &berth, sock);
		for (i = 0; i < 3; i++) {
			run_phase(&b, &berth, sock, &phases[i], &rb[i]);
			if (!rb[i].done)
				status = 1;
		}
		peak = b.peak_rss;
		if (pid > 0)
			read_rss(pid, &after);
		b.sample_pid = 0;
	}
	if (floor) {
		warm_up(&b, &berth, echo_path);
		for (i = 0; i < 3; i++)
			run_phase(&b, &berth, echo_path, &phases[i], &re[i]);
		kill(echo, SIGTERM);
		waitpid(echo, NULL, 0);
		unlink(echo_path);
		rmdir(dir);
	}
	if ((docker = docker_answers(docker_sock, why, sizeof(why)))) {
		warm_up(&b, &http, docker_sock);
		for (i = 0; i < 3; i++)
			run_phase(&b, &http, docker_sock, &phases[i], &rd[i]);
	}

	if (b.count > 0)
		printf("berth ping: %" PRIu64 " calls per phase", b.count);
	else
		printf("berth ping: %.1f s per phase", b.seconds);
	printf(", %d in flight when pipelined, %d connections\n\n",
	    b.window, b.nconns);
	printf("  %-16s  %10s %9s %9s  %10s %9s %9s\n", "",
	    "berthd", "", "", "echo floor", "", "");
	printf("  %-16s  %10s %9s %9s  %10s %9s %9s\n", "phase",
	    "calls/s", "p50 us", "p99 us", "calls/s", "p50 us", "p99 us");
	for (i = 0; i < 3; i++) {
		if (i == 2)
			printf("  %-3d%-13s", b.nconns, " connections");
		else
			printf("  %-16s", phases[i].name);
		print_cells(&rb[i]);
		print_cells(&re[i]);
		printf("\n");
	}
	for (i = 0; i < 3; i++) {
		if (rb[i].error[0] != '\0')
			printf("  berthd %s: %s\n", phases[i].name,
			    rb[i].error);
		if (re[i].error[0] != '\0')
			printf("  echo floor %s: %s\n", phases[i].name,
			    re[i].error);
	}
	printf("\n  echo floor = this client against a forked server that "
	    "writes each frame\n  back unchanged: the kernel's UNIX-socket "
	    "round trip, no decoding, no dispatch.\n");
	if (docker) {
		printf("\n  docker /_ping over HTTP/1.1 keep-alive:\n");
		for (i = 0; i < 3; i++) {
			printf("  %-16s", phases[i].name);
			print_cells(&rd[i]);
			printf("\n");
			if (rd[i].error[0] != '\0')
				printf("  docker %s: %s\n", phases[i].name,
				    rd[i].error);
		}
	} else
		printf("  docker: not measured (%s)\n", why);

	if (sock != NULL && pid > 0) {
		printf("\n  %-26s %10s %10s\n", "berthd memory", "VmRSS",
		    "VmHWM");
		print_rss_row("idle, before the load", idle.rss, idle.hwm);
		print_rss_row("under load (peak sampled)", peak, after.hwm);
		print_rss_row("after the load", after.rss, after.hwm);
	}
	if (sock != NULL) {
		printf("\n  target > 50000 pings/s:");
		for (i = 0; i < 3; i++)
			printf("%s %s %s", i > 0 ? "," : "", phases[i].name,
			    rb[i].done && (double)rb[i].calls / rb[i].seconds >
			    50000 ? "met" : "NOT met");
		printf("\n");
		if (pid > 0 && idle.rss >= 0)
			printf("  target < 2 MiB idle RSS: %s (%ld KiB)\n",
			    idle.rss < 2048 ? "met" : "NOT met", idle.rss);
	}
	for (i = 0; i < 3; i++)
		if (floor && !re[i].done)
			status = 1;
	msgpack_sbuffer_destroy(&berth.scratch);
	free(b.lat);
	return (status);
}
