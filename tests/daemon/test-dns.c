/*
 * The embedded DNS server on a loop of the test's own: container names
 * from a fake table, everything else forwarded to a fake upstream (an
 * evdns server port of the test's on another 127.0.0.1 port, named in a
 * temporary resolv.conf), queried with raw DNS packets so that reply
 * codes and answer counts are seen as a container's resolver sees them.
 * One test listens on 127.0.0.11:53 inside a network namespace.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>

#include "dns.h"
#include "netns.h"
#include "unit.h"

#define RCODE_NOERROR	0
#define RCODE_SERVFAIL	2
#define RCODE_NXDOMAIN	3
#define RCODE_NOTIMP	4
#define TYPE_MX		15
#define MAX_HELD	512
/* 2001:db8::7 */
#define V6_PTR		"7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0." \
			"0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"

/* The fake networks handed to dns_listen as owners. */
static int	net_a, net_b;

static struct {
	struct event_base		*base;
	/* The fake upstream. */
	struct evdns_server_port	*up_port;
	int				 up_portnum;
	int				 up_queries;
	struct evdns_server_request	*held[MAX_HELD];
	int				 nheld;
	char				 resolv[64];	/* names the upstream */
	/* A server forwarding there, listening on port for net_a. */
	struct dns_server		*s;
	struct dns_listener		*l;
	int				 port;
	/* What lookup saw last. */
	char				 last_name[256];
	void				*last_owner;
} C;

struct answer {
	bool		 got;
	int		 rcode;
	int		 flags;
	int		 ancount;
	int		 na;
	struct in_addr	 a[DNS_MAX_ADDRS];
	int		 naaaa;
	char		 ptr[256];
	uint32_t	 ttl;		/* the first answer's */
};

/* The fake container tables. */

static int
fake_lookup(void *arg, void *owner, const char *name, struct in_addr *addrs,
    int max)
{
	(void)arg;
	snprintf(C.last_name, sizeof(C.last_name), "%s", name);
	C.last_owner = owner;
	if (owner != &net_a || max < 2)
		return (0);
	if (strcasecmp(name, "web") == 0) {
		inet_pton(AF_INET, "172.18.0.5", &addrs[0]);
		inet_pton(AF_INET, "172.18.0.6", &addrs[1]);
		return (2);
	}
	if (strcasecmp(name, "many") == 0 || strncasecmp(name, "many.", 5)
	    == 0) {
		int i;

		for (i = 0; i < max; i++)
			addrs[i].s_addr = htonl(0x0a000001 + i);
		return (max);
	}
	if (strcasecmp(name, "db") == 0) {
		inet_pton(AF_INET, "172.18.0.7", &addrs[0]);
		return (1);
	}
	return (0);
}

static int
fake_reverse(void *arg, void *owner, struct in_addr addr, char *name,
    size_t len)
{
	struct in_addr web;

	(void)arg;
	inet_pton(AF_INET, "172.18.0.5", &web);
	if (owner != &net_a || addr.s_addr != web.s_addr)
		return (0);
	snprintf(name, len, "web");
	return (1);
}

/* The fake upstream: example.test and its reverse, nodata.test without
 * addresses, slow.test held unanswered, NXDOMAIN for the rest. */
static void
upstream_request(struct evdns_server_request *req, void *arg)
{
	struct evdns_server_question *q;
	int rcode = RCODE_NXDOMAIN;

	(void)arg;
	C.up_queries++;
	if (req->nquestions != 1) {
		evdns_server_request_respond(req, RCODE_SERVFAIL);
		return;
	}
	q = req->questions[0];
	/* evdns's client randomises the case of what it asks. */
	if (strcasecmp(q->name, "slow.test") == 0 && C.nheld < MAX_HELD) {
		C.held[C.nheld++] = req;
		return;
	}
	if (strcasecmp(q->name, "example.test") == 0) {
		struct in_addr a;
		struct in6_addr a6;

		rcode = RCODE_NOERROR;
		inet_pton(AF_INET, "192.0.2.7", &a);
		inet_pton(AF_INET6, "2001:db8::7", &a6);
		if (q->type == EVDNS_TYPE_A)
			evdns_server_request_add_a_reply(req, q->name, 1, &a,
			    300);
		else if (q->type == EVDNS_TYPE_AAAA)
			evdns_server_request_add_aaaa_reply(req, q->name, 1,
			    &a6, 300);
	} else if (strcasecmp(q->name, "7.2.0.192.in-addr.arpa") == 0) {
		rcode = RCODE_NOERROR;
		evdns_server_request_add_ptr_reply(req, NULL, q->name,
		    "example.test", 300);
	} else if (strcasecmp(q->name, V6_PTR) == 0) {
		rcode = RCODE_NOERROR;
		evdns_server_request_add_ptr_reply(req, NULL, q->name,
		    "v6.example.test", 300);
	} else if (strcasecmp(q->name, "nodata.test") == 0)
		rcode = RCODE_NOERROR;
	evdns_server_request_respond(req, rcode);
}

static void
upstream_release(void)
{
	while (C.nheld > 0)
		evdns_server_request_respond(C.held[--C.nheld],
		    RCODE_NXDOMAIN);
}

/* Sockets and packets. */

static int
udp_socket(int nsfd, struct sockaddr_in *bound)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct sockaddr_in any;
	socklen_t len = sizeof(any);
	int saved, fd;

	if (rt_netns_enter(nsfd, &saved, &err) < 0) {
		berth_error_clear(&err);
		return (-1);
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (rt_netns_leave(saved, &err) < 0)
		abort();
	memset(&any, 0, sizeof(any));
	any.sin_family = AF_INET;
	any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && (bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&any, &len) < 0)) {
		close(fd);
		return (-1);
	}
	if (bound != NULL)
		*bound = any;
	return (fd);
}

static struct sockaddr_in
loopback(int port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	return (sin);
}

static size_t
put16(uint8_t *p, size_t off, unsigned v)
{
	p[off] = v >> 8;
	p[off + 1] = v & 0xff;
	return (off + 2);
}

/* A query with id and n questions; names are encoded as a resolver
 * does, so "WEB." and "WEB" are the same labels. */
static size_t
query_build(uint8_t *buf, unsigned id, int n, const char *const *names,
    const int *types)
{
	size_t off = 0;
	int i;

	off = put16(buf, off, id);
	off = put16(buf, off, 0x0100);		/* RD */
	off = put16(buf, off, n);
	off = put16(buf, off, 0);
	off = put16(buf, off, 0);
	off = put16(buf, off, 0);
	for (i = 0; i < n; i++) {
		const char *p = names[i];

		while (*p != '\0') {
			size_t len = strcspn(p, ".");

			buf[off++] = len;
			memcpy(buf + off, p, len);
			off += len;
			p += len;
			if (*p == '.')
				p++;
		}
		buf[off++] = 0;
		off = put16(buf, off, types[i]);
		off = put16(buf, off, 1);	/* IN */
	}
	return (off);
}

static unsigned
get16(const uint8_t *p)
{
	return ((p[0] << 8) | p[1]);
}

/* A (maybe compressed) name at *off into out; -1 when malformed. */
static int
name_read(const uint8_t *buf, size_t len, size_t *off, char *out, size_t size)
{
	size_t pos = *off, used = 0;
	int jumps = 0;
	bool jumped = false;

	out[0] = '\0';
	for (;;) {
		unsigned l;

		if (pos >= len)
			return (-1);
		l = buf[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++jumps > 16)
				return (-1);
			if (!jumped)
				*off = pos + 2;
			jumped = true;
			pos = ((l & 0x3f) << 8) | buf[pos + 1];
			continue;
		}
		pos++;
		if (l == 0)
			break;
		if (pos + l > len || used + l + 2 > size)
			return (-1);
		if (used > 0)
			out[used++] = '.';
		memcpy(out + used, buf + pos, l);
		used += l;
		out[used] = '\0';
		pos += l;
	}
	if (!jumped)
		*off = pos;
	return (0);
}

static int
answer_parse(const uint8_t *buf, size_t len, struct answer *a)
{
	char name[256];
	size_t off = 12;
	unsigned qd, i;

	if (len < 12)
		return (-1);
	a->flags = get16(buf + 2);
	a->rcode = a->flags & 0xf;
	qd = get16(buf + 4);
	a->ancount = get16(buf + 6);
	for (i = 0; i < qd; i++) {
		if (name_read(buf, len, &off, name, sizeof(name)) < 0)
			return (-1);
		off += 4;
	}
	for (i = 0; i < (unsigned)a->ancount; i++) {
		unsigned type, rdlen;
		size_t rd;

		if (name_read(buf, len, &off, name, sizeof(name)) < 0 ||
		    off + 10 > len)
			return (-1);
		type = get16(buf + off);
		if (i == 0)
			a->ttl = ((uint32_t)get16(buf + off + 4) << 16) |
			    get16(buf + off + 6);
		rdlen = get16(buf + off + 8);
		off += 10;
		if (off + rdlen > len)
			return (-1);
		rd = off;
		if (type == EVDNS_TYPE_A && rdlen == 4 && a->na < DNS_MAX_ADDRS)
			memcpy(&a->a[a->na++], buf + off, 4);
		else if (type == EVDNS_TYPE_AAAA)
			a->naaaa++;
		else if (type == EVDNS_TYPE_PTR &&
		    name_read(buf, len, &rd, a->ptr, sizeof(a->ptr)) < 0)
			return (-1);
		off += rdlen;
	}
	return (0);
}

/* Run the loop until *flag or timeout_ms pass. */
static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(bool *)arg = true;
}

static void
loop_until(const int *counter, int target, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	bool expired = false;
	struct event *timer = evtimer_new(C.base, on_timer, &expired);

	evtimer_add(timer, &tv);
	while (*counter < target && !expired)
		event_base_loop(C.base, EVLOOP_ONCE);
	event_free(timer);
}

/* Let callbacks already due run (e.g. evdns's deferred ones). */
static void
loop_drain(void)
{
	int i;

	for (i = 0; i < 10; i++)
		event_base_loop(C.base, EVLOOP_NONBLOCK);
}

struct wait {
	int		 fd;
	unsigned	 id;
	int		 done;
	struct answer	*out;
};

static void
on_reply(evutil_socket_t fd, short what, void *arg)
{
	struct wait *w = arg;
	uint8_t buf[2048];
	ssize_t n;

	(void)what;
	while ((n = recv(fd, buf, sizeof(buf), 0)) >= 0) {
		if (n < 12 || get16(buf) != w->id)
			continue;
		if (answer_parse(buf, n, w->out) == 0)
			w->out->got = true;
		w->done = 1;
		return;
	}
}

/* Ask the server at to (from fd) and wait for the reply. */
static void
ask_from(int fd, const struct sockaddr_in *to, int n,
    const char *const *names, const int *types, struct answer *out,
    int timeout_ms)
{
	static unsigned next_id = 1000;
	uint8_t buf[1024];
	struct wait w = { .fd = fd, .id = ++next_id, .out = out };
	struct event *ev;
	size_t len;

	memset(out, 0, sizeof(*out));
	out->rcode = -1;
	len = query_build(buf, w.id, n, names, types);
	if (sendto(fd, buf, len, 0, (const struct sockaddr *)to,
	    sizeof(*to)) != (ssize_t)len) {
		fprintf(stderr, "# sendto: %s\n", strerror(errno));
		return;
	}
	ev = event_new(C.base, fd, EV_READ | EV_PERSIST, on_reply, &w);
	event_add(ev, NULL);
	loop_until(&w.done, 1, timeout_ms);
	event_free(ev);
}

static void
ask(int port, const char *name, int type, struct answer *out)
{
	struct sockaddr_in to = loopback(port);
	int fd = udp_socket(-1, NULL);

	ask_from(fd, &to, 1, &name, &type, out, 8000);
	close(fd);
}

static bool
has_addr(const struct answer *a, const char *addr)
{
	struct in_addr in;
	int i;

	inet_pton(AF_INET, addr, &in);
	for (i = 0; i < a->na; i++)
		if (a->a[i].s_addr == in.s_addr)
			return (true);
	return (false);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* A server with the fake upstream (or resolv) and one listener on a
 * free 127.0.0.1 port for owner. */
static struct dns_server *
server_up(const char *resolv, void *owner, struct dns_listener **l)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct sockaddr_in any = loopback(0);
	struct dns_server *s = NULL;

	*l = NULL;
	if (dns_server_new(C.base, resolv, fake_lookup, fake_reverse, NULL,
	    &s, &err) < 0 ||
	    dns_listen_addr(s, -1, &any, owner, l, &err) < 0) {
		fprintf(stderr, "# %s\n", berth_error_message(&err));
		dns_server_free(s);
		s = NULL;
	}
	berth_error_clear(&err);
	return (s);
}

static int
write_resolv(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return (-1);
	n = write(fd, text, strlen(text));
	close(fd);
	return (n == (ssize_t)strlen(text) ? 0 : -1);
}

/* The tests. */

static void
test_container_name_answers_its_addresses(void)
{
	struct answer a;
	int before = C.up_queries;

	ask(C.port, "web", EVDNS_TYPE_A, &a);
	CHECK(a.got);
	CHECK(a.rcode == RCODE_NOERROR);
	CHECK(a.na == 2);
	CHECK(has_addr(&a, "172.18.0.5"));
	CHECK(has_addr(&a, "172.18.0.6"));
	CHECK(a.ttl == DNS_TTL);
	CHECK(a.flags & 0x0080);		/* recursion available */
	CHECK(C.last_owner == &net_a);
	CHECK_STR(C.last_name, "web");
	CHECK(C.up_queries == before);		/* not forwarded */
}

static void
test_name_matches_without_case_and_trailing_dot(void)
{
	struct answer a;

	ask(C.port, "WeB.", EVDNS_TYPE_A, &a);
	CHECK(a.got && a.rcode == RCODE_NOERROR && a.na == 2);
	CHECK_STR(C.last_name, "web");
	ask(C.port, "DB", EVDNS_TYPE_A, &a);
	CHECK(a.got && a.rcode == RCODE_NOERROR && a.na == 1);
	CHECK(has_addr(&a, "172.18.0.7"));
}

static void
test_aaaa_of_container_name_is_empty_noerror(void)
{
	struct answer a;
	int before = C.up_queries;

	ask(C.port, "web", EVDNS_TYPE_AAAA, &a);
	CHECK(a.got);
	CHECK(a.rcode == RCODE_NOERROR);
	CHECK(a.ancount == 0);
	CHECK(C.up_queries == before);
}

static void
test_unknown_name_is_forwarded(void)
{
	struct answer a;
	int before = C.up_queries;

	CHECK(dns_server_upstreams(C.s) == 1);
	ask(C.port, "example.test", EVDNS_TYPE_A, &a);
	CHECK(a.got);
	CHECK(a.rcode == RCODE_NOERROR);
	CHECK(a.na == 1 && has_addr(&a, "192.0.2.7"));
	CHECK(C.up_queries == before + 1);
	ask(C.port, "Example.Test", EVDNS_TYPE_AAAA, &a);
	CHECK(a.got && a.rcode == RCODE_NOERROR && a.naaaa == 1);
	/* The upstream's "exists, no such record" stays NOERROR. */
	ask(C.port, "nodata.test", EVDNS_TYPE_A, &a);
	CHECK(a.got && a.rcode == RCODE_NOERROR && a.ancount == 0);
}

static void
test_nxdomain_is_relayed(void)
{
	struct answer a;

	ask(C.port, "nowhere.test", EVDNS_TYPE_A, &a);
	CHECK(a.got);
	CHECK(a.rcode == RCODE_NXDOMAIN);
	CHECK(a.ancount == 0);
}

static void
test_big_answers_fit_in_512_bytes(void)
{
	char name[256];
	struct answer a;
	int i;

	/* 512 - 12 - (6 + 4) bytes hold 30 records of 16. */
	ask(C.port, "many", EVDNS_TYPE_A, &a);
	CHECK(a.got && a.rcode == RCODE_NOERROR);
	CHECK(a.na == 30 && a.ancount == 30);
	CHECK((a.flags & 0x0200) == 0);		/* not truncated */
	/* A long name leaves room for fewer. */
	strcpy(name, "many");
	for (i = 0; i < 3; i++)
		strcat(name, ".abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstu"
		    "vwxyzabcdefghij");
	ask(C.port, name, EVDNS_TYPE_A, &a);
	CHECK(a.got && a.rcode == RCODE_NOERROR);
	CHECK(a.na == a.ancount && a.na > 10 && a.na < 30);
	CHECK((a.flags & 0x0200) == 0);
}

static void
test_names_are_per_owner(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct sockaddr_in any = loopback(0);
	struct dns_listener *lb = NULL;
	struct answer a;

	CHECK(dns_listen_addr(C.s, -1, &any, &net_b, &lb, &err) == 0);
	ask(dns_listener_port(lb), "web", EVDNS_TYPE_A, &a);
	CHECK(C.last_owner == &net_b);
	/* Not a container of net_b's networks: the upstream says no. */
	CHECK(a.got && a.rcode == RCODE_NXDOMAIN);
	ask(C.port, "web", EVDNS_TYPE_A, &a);
	CHECK(a.got && a.rcode == RCODE_NOERROR && a.na == 2);
	dns_unlisten(lb);
	loop_drain();
}

static void
test_ptr_known_and_forwarded(void)
{
	struct answer a;
	int before = C.up_queries;

	ask(C.port, "5.0.18.172.in-addr.arpa", EVDNS_TYPE_PTR, &a);
	CHECK(a.got && a.rcode == RCODE_NOERROR && a.ancount == 1);
	CHECK_STR(a.ptr, "web");
	CHECK(C.up_queries == before);
	ask(C.port, "7.2.0.192.IN-ADDR.ARPA.", EVDNS_TYPE_PTR, &a);
	CHECK(a.got && a.rcode == RCODE_NOERROR && a.ancount == 1);
	CHECK_STR(a.ptr, "example.test");
	CHECK(C.up_queries == before + 1);
	/* Unknown address: forwarded, NXDOMAIN relayed. */
	ask(C.port, "9.0.18.172.in-addr.arpa", EVDNS_TYPE_PTR, &a);
	CHECK(a.got && a.rcode == RCODE_NXDOMAIN);
	/* IPv6: forwarded, the address read back from the name. */
	ask(C.port, V6_PTR, EVDNS_TYPE_PTR, &a);
	CHECK(a.got && a.rcode == RCODE_NOERROR && a.ancount == 1);
	CHECK_STR(a.ptr, "v6.example.test");
	/* Not an address: nothing evdns could ask. */
	ask(C.port, "0.18.172.in-addr.arpa", EVDNS_TYPE_PTR, &a);
	CHECK(a.got && a.rcode == RCODE_NOTIMP);
}

static void
test_other_types_get_notimp(void)
{
	struct answer a;
	int before = C.up_queries;

	ask(C.port, "web", TYPE_MX, &a);
	CHECK(a.got && a.rcode == RCODE_NOTIMP && a.ancount == 0);
	ask(C.port, "example.test", TYPE_MX, &a);
	CHECK(a.got && a.rcode == RCODE_NOTIMP);
	CHECK(C.up_queries == before);
}

static void
test_several_questions_answered_each(void)
{
	static const char *const names[] = { "web", "example.test", "db" };
	static const int types[] = { EVDNS_TYPE_A, EVDNS_TYPE_A, TYPE_MX };
	struct sockaddr_in to;
	struct answer a;
	int fd;

	to = loopback(C.port);
	fd = udp_socket(-1, NULL);
	ask_from(fd, &to, 3, names, types, &a, 8000);
	close(fd);
	CHECK(a.got && a.rcode == RCODE_NOERROR);
	CHECK(a.na == 3);
	CHECK(has_addr(&a, "172.18.0.5") && has_addr(&a, "192.0.2.7"));
}

static void
test_no_nameserver_means_servfail_at_once(void)
{
	char path[64];
	struct dns_listener *l;
	struct dns_server *s;
	struct answer a;
	double t0;

	snprintf(path, sizeof(path), "/tmp/berth-test-dns-%d.none",
	    (int)getpid());
	CHECK(write_resolv(path, "search example.org\noptions ndots:2\n")
	    == 0);
	s = server_up(path, &net_a, &l);
	unlink(path);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	/* No 127.0.0.1 slipped in by evdns. */
	CHECK(dns_server_upstreams(s) == 0);
	t0 = now();
	ask(dns_listener_port(l), "example.test", EVDNS_TYPE_A, &a);
	CHECK(a.got && a.rcode == RCODE_SERVFAIL);
	CHECK(now() - t0 < 1.0);
	ask(dns_listener_port(l), "web", EVDNS_TYPE_A, &a);
	CHECK(a.got && a.rcode == RCODE_NOERROR && a.na == 2);
	dns_server_free(s);

	/* NULL: the same. */
	s = server_up(NULL, &net_a, &l);
	CHECK(s != NULL && dns_server_upstreams(s) == 0);
	if (s != NULL) {
		ask(dns_listener_port(l), "example.test", EVDNS_TYPE_A, &a);
		CHECK(a.got && a.rcode == RCODE_SERVFAIL);
	}
	dns_server_free(s);
}

static void
test_bad_resolv_conf_and_upstream_are_errors(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct dns_server *s = NULL;

	CHECK(dns_server_new(C.base, "/nonexistent/resolv.conf", fake_lookup,
	    fake_reverse, NULL, &s, &err) == -1);
	CHECK(s == NULL);
	CHECK(strstr(berth_error_message(&err), "/nonexistent/resolv.conf")
	    != NULL);
	berth_error_clear(&err);

	CHECK(dns_server_new(C.base, NULL, fake_lookup, fake_reverse, NULL,
	    &s, &err) == 0);
	CHECK(dns_server_add_upstream(s, "not-an-address", &err) == -1);
	CHECK(strstr(berth_error_message(&err), "not-an-address") != NULL);
	berth_error_clear(&err);
	CHECK(dns_server_upstreams(s) == 0);
	CHECK(dns_server_add_upstream(s, "127.0.0.1:5399", &err) == 0);
	CHECK(dns_server_upstreams(s) == 1);
	dns_server_free(s);
}

static void
test_listen_on_a_taken_port_fails(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct dns_listener *l, *l2 = NULL;
	struct dns_server *s = server_up(NULL, &net_a, &l);
	struct sockaddr_in same;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	same = loopback(dns_listener_port(l));
	CHECK(dns_listen_addr(s, -1, &same, &net_a, &l2, &err) == -1);
	CHECK(l2 == NULL);
	CHECK(strstr(berth_error_message(&err), "bind 127.0.0.1") != NULL);
	berth_error_clear(&err);
	dns_server_free(s);
}

static void
test_upstream_down_gives_servfail_in_time(void)
{
	struct sockaddr_in hole;
	char path[64], text[64];
	struct dns_listener *l;
	struct dns_server *s;
	struct answer a;
	double t0, took;
	/* Bound and never read: a resolver that does not answer. */
	int fd = udp_socket(-1, &hole);

	CHECK(fd >= 0);
	snprintf(path, sizeof(path), "/tmp/berth-test-dns-%d.down",
	    (int)getpid());
	snprintf(text, sizeof(text), "nameserver 127.0.0.1:%d\n",
	    ntohs(hole.sin_port));
	CHECK(write_resolv(path, text) == 0);
	s = server_up(path, &net_a, &l);
	unlink(path);
	CHECK(s != NULL);
	if (s != NULL) {
		t0 = now();
		ask(dns_listener_port(l), "example.test", EVDNS_TYPE_A, &a);
		took = now() - t0;
		CHECK(a.got && a.rcode == RCODE_SERVFAIL);
		fprintf(stderr, "# SERVFAIL after %.1f s\n", took);
		CHECK(took < DNS_UPSTREAM_TIMEOUT * DNS_UPSTREAM_ATTEMPTS +
		    1.5);
	}
	dns_server_free(s);
	loop_drain();
	close(fd);
}

/* Send one query from fd to the listener on port without waiting. */
static bool
send_query(int fd, int port, unsigned id, const char *name, int type)
{
	struct sockaddr_in to = loopback(port);
	uint8_t buf[512];
	size_t len = query_build(buf, id, 1, &name, &type);

	return (sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) ==
	    (ssize_t)len);
}

/* evdns's deferred cancels run, the upstream answers what it held (too
 * late for anyone), and that is read and ignored. */
static void
settle(void)
{
	loop_drain();
	upstream_release();
	loop_drain();
}

static void
test_unlisten_with_a_forward_pending(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct sockaddr_in any = loopback(0);
	struct dns_listener *l;
	struct dns_server *s = server_up(C.resolv, &net_a, &l);
	struct answer a;
	uint8_t buf[512];
	int fd = udp_socket(-1, NULL);

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK(send_query(fd, dns_listener_port(l), 7, "slow.test",
	    EVDNS_TYPE_A));
	loop_until(&C.nheld, 1, 5000);
	CHECK(C.nheld == 1);
	/* The forward is out; its listener goes; evdns's cancel comes
	 * later and must find nothing freed under it. */
	dns_unlisten(l);
	settle();
	CHECK(recv(fd, buf, sizeof(buf), 0) == -1 && errno == EAGAIN);
	/* The server still works with a new listener. */
	CHECK(dns_listen_addr(s, -1, &any, &net_a, &l, &err) == 0);
	ask(dns_listener_port(l), "example.test", EVDNS_TYPE_A, &a);
	CHECK(a.got && a.rcode == RCODE_NOERROR && a.na == 1);
	close(fd);
	dns_server_free(s);
	loop_drain();
}

/* Send n slow.test queries from fd to port, one at a time so that no
 * socket buffer overflows; how many came back SERVFAIL (-1: another
 * reply came). */
static int
send_slow(int fd, int port, int n)
{
	static unsigned id;
	uint8_t buf[512];
	int i, servfail = 0;

	for (i = 0; i < n; i++) {
		CHECK(send_query(fd, port, ++id, "slow.test", EVDNS_TYPE_A));
		event_base_loop(C.base, EVLOOP_NONBLOCK);
	}
	loop_drain();
	while (recv(fd, buf, sizeof(buf), 0) >= 12) {
		if ((get16(buf + 2) & 0xf) != RCODE_SERVFAIL)
			return (-1);
		servfail++;
	}
	return (servfail);
}

static void
test_forwards_are_capped_and_freed_with_server(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct sockaddr_in any = loopback(0);
	struct dns_listener *l[5];
	struct dns_server *s = server_up(C.resolv, &net_a, &l[0]);
	int fd = udp_socket(-1, NULL), i;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	for (i = 1; i < 5; i++)
		CHECK(dns_listen_addr(s, -1, &any, &net_a, &l[i], &err) == 0);
	/* One listener gets its share, the rest SERVFAIL... */
	CHECK(send_slow(fd, dns_listener_port(l[0]),
	    DNS_MAX_FORWARDS_PER_LISTENER + 3) == 3);
	/* ...others theirs until the server's cap... */
	for (i = 1; i < DNS_MAX_FORWARDS / DNS_MAX_FORWARDS_PER_LISTENER;
	    i++)
		CHECK(send_slow(fd, dns_listener_port(l[i]),
		    DNS_MAX_FORWARDS_PER_LISTENER) == 0);
	/* ...after which nobody gets one. */
	CHECK(send_slow(fd, dns_listener_port(l[4]), 2) == 2);
	/* evdns sends some and queues the rest; all cancelled here. */
	CHECK(C.nheld > 0);
	dns_server_free(s);
	settle();
	close(fd);
}

static void
test_server_free_with_a_forward_pending(void)
{
	struct dns_listener *l;
	struct dns_server *s = server_up(C.resolv, &net_a, &l);
	int fd = udp_socket(-1, NULL);

	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK(send_query(fd, dns_listener_port(l), 9, "slow.test",
	    EVDNS_TYPE_AAAA));
	loop_until(&C.nheld, 1, 5000);
	CHECK(C.nheld == 1);
	dns_server_free(s);
	settle();
	close(fd);
}

static void
test_listens_in_a_network_namespace(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct dns_listener *l = NULL;
	struct dns_server *s = NULL;
	struct sockaddr_in to;
	struct answer a;
	const char *name;
	int type = EVDNS_TYPE_A, nsfd, fd;

	if (rt_netns_new(&nsfd, &err) < 0) {
		printf("# no network namespace (%s): skipped\n",
		    berth_error_message(&err));
		berth_error_clear(&err);
		return;
	}
	CHECK(dns_server_new(C.base, C.resolv, fake_lookup, fake_reverse,
	    NULL, &s, &err) == 0);
	CHECK(dns_listen(s, nsfd, &net_a, &l, &err) == 0);
	if (l == NULL)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	CHECK(dns_listener_port(l) == DNS_PORT);
	/* The container's side: a socket inside the namespace. */
	fd = udp_socket(nsfd, NULL);
	CHECK(fd >= 0);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(DNS_PORT);
	inet_pton(AF_INET, DNS_ADDRESS, &to.sin_addr);
	name = "web";
	ask_from(fd, &to, 1, &name, &type, &a, 8000);
	CHECK(a.got && a.rcode == RCODE_NOERROR && a.na == 2);
	/* Forwarded from the test's own namespace, where the upstream
	 * is: the namespace's loopback has none. */
	name = "example.test";
	ask_from(fd, &to, 1, &name, &type, &a, 8000);
	CHECK(a.got && a.rcode == RCODE_NOERROR && has_addr(&a, "192.0.2.7"));
	close(fd);
	dns_server_free(s);
	loop_drain();
	close(nsfd);
	berth_error_clear(&err);
}

/* The fake upstream on a free port, and a resolv.conf naming it. */
static int
upstream_start(void)
{
	struct sockaddr_in sin;
	char text[64];
	int fd = udp_socket(-1, &sin);

	if (fd < 0)
		return (-1);
	C.up_portnum = ntohs(sin.sin_port);
	if ((C.up_port = evdns_add_server_port_with_base(C.base, fd, 0,
	    upstream_request, NULL)) == NULL) {
		close(fd);
		return (-1);
	}
	snprintf(C.resolv, sizeof(C.resolv), "/tmp/berth-test-dns-%d.conf",
	    (int)getpid());
	/* evdns's parser takes a port after the address. */
	snprintf(text, sizeof(text), "# test\nsearch example.org\n"
	    "nameserver 127.0.0.1:%d\n", C.up_portnum);
	return (write_resolv(C.resolv, text));
}

int
main(void)
{
	if ((C.base = event_base_new()) == NULL || upstream_start() < 0) {
		fprintf(stderr, "# set-up failed\n");
		return (1);
	}
	if ((C.s = server_up(C.resolv, &net_a, &C.l)) == NULL)
		return (1);
	C.port = dns_listener_port(C.l);
	RUN(test_container_name_answers_its_addresses);
	RUN(test_name_matches_without_case_and_trailing_dot);
	RUN(test_aaaa_of_container_name_is_empty_noerror);
	RUN(test_unknown_name_is_forwarded);
	RUN(test_nxdomain_is_relayed);
	RUN(test_big_answers_fit_in_512_bytes);
	RUN(test_names_are_per_owner);
	RUN(test_ptr_known_and_forwarded);
	RUN(test_other_types_get_notimp);
	RUN(test_several_questions_answered_each);
	RUN(test_no_nameserver_means_servfail_at_once);
	RUN(test_bad_resolv_conf_and_upstream_are_errors);
	RUN(test_listen_on_a_taken_port_fails);
	RUN(test_unlisten_with_a_forward_pending);
	RUN(test_forwards_are_capped_and_freed_with_server);
	RUN(test_server_free_with_a_forward_pending);
	RUN(test_listens_in_a_network_namespace);
	RUN(test_upstream_down_gives_servfail_in_time);
	dns_server_free(C.s);
	settle();
	evdns_close_server_port(C.up_port);
	unlink(C.resolv);
	loop_drain();
	event_base_free(C.base);
	UNIT_EXIT();
}
