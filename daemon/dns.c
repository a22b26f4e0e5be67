/*
 * The embedded DNS server: evdns server ports, one per network namespace
 * that asks, answering from berthd's tables through lookup and reverse
 * and forwarding the rest through one evdns client base.  See dns.h for
 * what is answered how.
 *
 * Lifetimes: a client's request that needs upstreams is held in a
 * dns_query on its listener until every forwarded question is back.  A
 * forwarded question is a dns_forward; evdns calls it back exactly once,
 * always on a later turn of the loop, also after evdns_cancel_request.
 * So when a listener (or the server) goes first, its forwards are
 * cancelled and orphaned (query NULL): the callback then only frees the
 * forward, touching nothing else.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/dns_struct.h>

#include "dns.h"
#include "log.h"
#include "netns.h"

/* Reply codes (RFC 1035 4.1.1). */
#define RCODE_NOERROR	0
#define RCODE_FORMERR	1
#define RCODE_SERVFAIL	2
#define RCODE_NXDOMAIN	3
#define RCODE_NOTIMP	4
#define RCODE_REFUSED	5

#define NAME_MAX_LEN	256
#define DNS_UDP_SIZE	512	/* what a reply without EDNS may hold */
#define DNS_HEADER_SIZE	12
#define RR_FIXED	(2 + 10)	/* compressed name, type to length */

/* What a forwarded question asks evdns's client. */
enum dns_ask {
	DNS_ASK_A,
	DNS_ASK_AAAA,
	DNS_ASK_PTR4,		/* of an in_addr */
	DNS_ASK_PTR6,		/* of an in6_addr */
};

struct dns_forward;
struct dns_query;

struct dns_listener {
	struct dns_server		*server;
	struct evdns_server_port	*port;	/* owns the socket */
	void				*owner;
	int				 portnum;
	int				 nforwards;
	bool				 queued;	/* evdns kept a reply */
	bool				 local;		/* never forward */
	struct evdns_base		*upstream;	/* a set's, or NULL:
							 * the server's */
	bool				 gone;		/* unlistened */
	LIST_HEAD(, dns_query)		 queries;	/* on upstreams */
	LIST_ENTRY(dns_listener)	 entry;
};

/*
 * A resolver for one list of nameservers (containers' --dns), shared by
 * the listeners that name the same list and kept until the server goes:
 * freeing an evdns_base while the loop runs can leave evdns's own
 * nameserver probes calling back into it (libevent issues 602, 1506).
 */
struct dns_upstream_set {
	char				*key;		/* "a,b,c" */
	struct evdns_base		*base;
	LIST_ENTRY(dns_upstream_set)	 entry;
};

struct dns_server {
	struct event_base		*base;
	LIST_HEAD(, dns_upstream_set)	 sets;
	struct evdns_base		*upstream;
	dns_lookup_fn			 lookup;
	dns_reverse_fn			 reverse;
	void				*arg;
	int				 nforwards;	/* not orphaned */
	LIST_HEAD(, dns_listener)	 listeners;
};

/* A client's request held until its forwarded questions are back. */
struct dns_query {
	struct dns_listener		*listener;
	struct evdns_server_request	*req;
	int				 waiting;	/* forwards out */
	int				 answered;	/* questions NOERROR */
	int				 error;		/* first failure's */
	int				 room;		/* bytes left in 512 */
	LIST_HEAD(, dns_forward)	 forwards;
	LIST_ENTRY(dns_query)		 entry;
};

struct dns_forward {
	struct dns_query		*query;		/* NULL: orphan */
	struct evdns_request		*handle;
	int				 question;
	LIST_ENTRY(dns_forward)		 entry;
};

/* Names and addresses. */

/* name lower-cased, without trailing dots, into buf; false when too
 * long or empty. */
static bool
dns_name_normal(const char *name, char *buf, size_t size)
{
	size_t len = strlen(name), i;

	while (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= size)
		return (false);
	for (i = 0; i < len; i++)
		buf[i] = tolower((unsigned char)name[i]);
	buf[len] = '\0';
	return (true);
}

/* The part of name (normalised) before suffix, which starts with a dot,
 * into buf; false when name does not end so. */
static bool
dns_name_strip(const char *name, const char *suffix, char *buf, size_t size)
{
	char norm[NAME_MAX_LEN];
	size_t len, slen = strlen(suffix);

	if (!dns_name_normal(name, norm, sizeof(norm)))
		return (false);
	len = strlen(norm);
	if (len <= slen || strcmp(norm + len - slen, suffix) != 0 ||
	    len - slen >= size)
		return (false);
	memcpy(buf, norm, len - slen);
	buf[len - slen] = '\0';
	return (true);
}

/* "d.c.b.a.in-addr.arpa" into a.b.c.d. */
static bool
dns_parse_in_addr_arpa(const char *name, struct in_addr *addr)
{
	char labels[NAME_MAX_LEN], *p = labels, *end;
	uint32_t a = 0;
	int i;

	if (!dns_name_strip(name, ".in-addr.arpa", labels, sizeof(labels)))
		return (false);
	for (i = 0; i < 4; i++) {
		unsigned long v;

		if (!isdigit((unsigned char)*p))
			return (false);
		v = strtoul(p, &end, 10);
		if (v > 255 || end - p > 3)
			return (false);
		a |= (uint32_t)v << (8 * i);
		if (i < 3 && *end != '.')
			return (false);
		p = end + (i < 3);
	}
	if (*end != '\0')
		return (false);
	addr->s_addr = htonl(a);
	return (true);
}

/* The 32 nibbles of an ip6.arpa name, lowest first, into addr. */
static bool
dns_parse_ip6_arpa(const char *name, struct in6_addr *addr)
{
	char labels[NAME_MAX_LEN];
	int i;

	if (!dns_name_strip(name, ".ip6.arpa", labels, sizeof(labels)) ||
	    strlen(labels) != 63)
		return (false);
	memset(addr, 0, sizeof(*addr));
	for (i = 0; i < 32; i++) {
		char c = labels[2 * i];
		int v;

		if (i < 31 && labels[2 * i + 1] != '.')
			return (false);
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return (false);
		addr->s6_addr[15 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
	}
	return (true);
}

/* Queries. */

static void
dns_query_note(struct dns_query *q, int rcode)
{
	if (rcode == RCODE_NOERROR)
		q->answered++;
	else if (q->error == RCODE_NOERROR)
		q->error = rcode;
}

/* Send req's reply on l; the request is gone after. */
static void
dns_respond(struct dns_listener *l, struct evdns_server_request *req,
    int rcode)
{
	/* EVDNS_FLAGS_RD is in fact the RA bit: recursion is available. */
	evdns_server_request_set_flags(req, EVDNS_FLAGS_RD);
	switch (evdns_server_request_respond(req, rcode)) {
	case 0:
		break;
	case 1:
		/* Kept to write later: the port may outlive dns_unlisten
		 * then, and still read requests. */
		l->queued = true;
		break;
	default:
		/* Not sent and left to us. */
		evdns_server_request_drop(req);
		break;
	}
}

/* Send q's reply and free it. */
static void
dns_query_finish(struct dns_query *q)
{
	dns_respond(q->listener, q->req,
	    q->answered > 0 ? RCODE_NOERROR : q->error);
	free(q);
}

/*
 * Answers, one record per address: evdns's add_a_reply with n > 1 makes
 * a single record of n * 4 bytes, which resolvers reject.  Only as many
 * as fit in 512 bytes: evdns would cut the rest off mid-record and set
 * TC, and the client's retry over TCP finds nobody.  A record's name is
 * the question's, which evdns compresses to 2 bytes.
 */
static int
dns_add_addrs(struct dns_query *q, const char *name, int type,
    const void *addrs, int size, int n, int ttl)
{
	int i;

	for (i = 0; i < n && q->room >= RR_FIXED + size; i++) {
		if (evdns_server_request_add_reply(q->req,
		    EVDNS_ANSWER_SECTION, name, type, EVDNS_CLASS_INET, ttl,
		    size, 0, (const char *)addrs + i * size) < 0)
			return (-1);
		q->room -= RR_FIXED + size;
	}
	return (0);
}

static int
dns_add_ptr(struct dns_query *q, const char *name, const char *host, int ttl)
{
	int size = RR_FIXED + (int)strlen(host) + 2;

	if (q->room < size)
		return (0);
	if (evdns_server_request_add_ptr_reply(q->req, NULL, name, host,
	    ttl) < 0)
		return (-1);
	q->room -= size;
	return (0);
}

static int
dns_rcode_of(int result)
{
	switch (result) {
	case DNS_ERR_NONE:
	case DNS_ERR_NODATA:
		return (RCODE_NOERROR);
	case DNS_ERR_NOTEXIST:
		return (RCODE_NXDOMAIN);
	case DNS_ERR_REFUSED:
		return (RCODE_REFUSED);
	default:
		return (RCODE_SERVFAIL);
	}
}

/* evdns's answer to one forwarded question. */
static void
dns_forward_done(int result, char type, int count, int ttl, void *addrs,
    void *arg)
{
	struct dns_forward *f = arg;
	struct dns_query *q = f->query;
	struct evdns_server_question *question;
	int rcode = dns_rcode_of(result);

	if (q == NULL) {
		free(f);
		return;
	}
	LIST_REMOVE(f, entry);
	q->listener->nforwards--;
	q->listener->server->nforwards--;
	question = q->req->questions[f->question];
	free(f);

	if (result == DNS_ERR_NONE && count > 0) {
		int rc = 0;

		if (type == DNS_IPv4_A)
			rc = dns_add_addrs(q, question->name, EVDNS_TYPE_A,
			    addrs, 4, count, ttl);
		else if (type == DNS_IPv6_AAAA)
			rc = dns_add_addrs(q, question->name,
			    EVDNS_TYPE_AAAA, addrs, 16, count, ttl);
		else if (type == DNS_PTR)
			rc = dns_add_ptr(q, question->name, *(char **)addrs,
			    ttl);
		if (rc < 0)
			rcode = RCODE_SERVFAIL;
	}
	dns_query_note(q, rcode);
	if (--q->waiting == 0) {
		LIST_REMOVE(q, entry);
		dns_query_finish(q);
	}
}

/* Send question i of q upstream: its name, or for a PTR the address
 * in. */
static void
dns_forward(struct dns_query *q, int i, enum dns_ask ask, const void *in)
{
	struct dns_listener *l = q->listener;
	struct dns_server *s = l->server;
	struct evdns_base *up = l->upstream != NULL ? l->upstream :
	    s->upstream;
	const char *name = q->req->questions[i]->name;
	struct dns_forward *f;

	/* Only names of its own for a container with no way out: a
	 * lookup forwarded for it would be a way out (CVE-2024-29018). */
	if (l->local) {
		dns_query_note(q, RCODE_REFUSED);
		return;
	}
	/* Without a nameserver evdns would queue it for ever. */
	if (s->nforwards >= DNS_MAX_FORWARDS ||
	    l->nforwards >= DNS_MAX_FORWARDS_PER_LISTENER ||
	    evdns_base_count_nameservers(up) == 0 ||
	    (f = calloc(1, sizeof(*f))) == NULL) {
		dns_query_note(q, RCODE_SERVFAIL);
		return;
	}
	f->query = q;
	f->question = i;
	switch (ask) {
	case DNS_ASK_A:
		f->handle = evdns_base_resolve_ipv4(up, name,
		    DNS_QUERY_NO_SEARCH, dns_forward_done, f);
		break;
	case DNS_ASK_AAAA:
		f->handle = evdns_base_resolve_ipv6(up, name,
		    DNS_QUERY_NO_SEARCH, dns_forward_done, f);
		break;
	case DNS_ASK_PTR4:
		f->handle = evdns_base_resolve_reverse(up, in,
		    DNS_QUERY_NO_SEARCH, dns_forward_done, f);
		break;
	case DNS_ASK_PTR6:
		f->handle = evdns_base_resolve_reverse_ipv6(up, in,
		    DNS_QUERY_NO_SEARCH, dns_forward_done, f);
		break;
	}
	/* NULL: refused at once (a name evdns cannot encode), and then it
	 * never calls back. */
	if (f->handle == NULL) {
		free(f);
		dns_query_note(q, RCODE_SERVFAIL);
		return;
	}
	LIST_INSERT_HEAD(&q->forwards, f, entry);
	s->nforwards++;
	l->nforwards++;
	q->waiting++;
}

static void
dns_answer_address(struct dns_query *q, int i)
{
	struct dns_listener *l = q->listener;
	struct dns_server *s = l->server;
	struct evdns_server_question *question = q->req->questions[i];
	struct in_addr addrs[DNS_MAX_ADDRS];
	char name[NAME_MAX_LEN];
	int n = 0;

	if (dns_name_normal(question->name, name, sizeof(name)))
		n = s->lookup(s->arg, l->owner, name, addrs, DNS_MAX_ADDRS);
	if (n <= 0) {
		dns_forward(q, i, question->type == EVDNS_TYPE_A ?
		    DNS_ASK_A : DNS_ASK_AAAA, NULL);
		return;
	}
	if (n > DNS_MAX_ADDRS)
		n = DNS_MAX_ADDRS;
	/* A container name has no IPv6 address: NOERROR, nothing. */
	if (question->type == EVDNS_TYPE_A &&
	    dns_add_addrs(q, question->name, EVDNS_TYPE_A, addrs, 4, n,
	    DNS_TTL) < 0) {
		dns_query_note(q, RCODE_SERVFAIL);
		return;
	}
	dns_query_note(q, RCODE_NOERROR);
}

static void
dns_answer_pointer(struct dns_query *q, int i)
{
	struct dns_listener *l = q->listener;
	struct dns_server *s = l->server;
	struct evdns_server_question *question = q->req->questions[i];
	struct in6_addr addr6;
	struct in_addr addr;
	char name[NAME_MAX_LEN];

	if (dns_parse_ip6_arpa(question->name, &addr6)) {
		dns_forward(q, i, DNS_ASK_PTR6, &addr6);
		return;
	}
	if (!dns_parse_in_addr_arpa(question->name, &addr)) {
		dns_query_note(q, RCODE_NOTIMP);
		return;
	}
	memset(name, 0, sizeof(name));
	if (s->reverse(s->arg, l->owner, addr, name, sizeof(name) - 1) <= 0 ||
	    name[0] == '\0') {
		dns_forward(q, i, DNS_ASK_PTR4, &addr);
		return;
	}
	if (dns_add_ptr(q, question->name, name, DNS_TTL) < 0)
		dns_query_note(q, RCODE_SERVFAIL);
	else
		dns_query_note(q, RCODE_NOERROR);
}

/* A client's request on listener arg. */
static void
dns_request(struct evdns_server_request *req, void *arg)
{
	struct dns_listener *l = arg;
	struct dns_query *q;
	int i;

	if (l->gone) {
		evdns_server_request_drop(req);
		return;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		dns_respond(l, req, RCODE_SERVFAIL);
		return;
	}
	q->listener = l;
	q->req = req;
	LIST_INIT(&q->forwards);
	q->room = DNS_UDP_SIZE - DNS_HEADER_SIZE;
	for (i = 0; i < req->nquestions; i++)
		q->room -= (int)strlen(req->questions[i]->name) + 2 + 4;
	if (req->nquestions == 0)
		q->error = RCODE_FORMERR;
	for (i = 0; i < req->nquestions; i++) {
		struct evdns_server_question *question = req->questions[i];

		if (question->dns_question_class != EVDNS_CLASS_INET)
			dns_query_note(q, RCODE_NOTIMP);
		else if (question->type == EVDNS_TYPE_A ||
		    question->type == EVDNS_TYPE_AAAA)
			dns_answer_address(q, i);
		else if (question->type == EVDNS_TYPE_PTR)
			dns_answer_pointer(q, i);
		else
			dns_query_note(q, RCODE_NOTIMP);
	}
	if (q->waiting == 0)
		dns_query_finish(q);
	else
		LIST_INSERT_HEAD(&l->queries, q, entry);
}

/* Drop q unanswered, orphaning its forwards. */
static void
dns_query_abandon(struct dns_query *q)
{
	struct dns_server *s = q->listener->server;
	struct dns_forward *f;

	while ((f = LIST_FIRST(&q->forwards)) != NULL) {
		LIST_REMOVE(f, entry);
		f->query = NULL;
		s->nforwards--;
		q->listener->nforwards--;
		/* evdns still calls back, with DNS_ERR_CANCEL, later; if
		 * its answer is already queued, this is a no-op and that
		 * callback frees the orphan. */
		evdns_cancel_request(q->listener->upstream != NULL ?
		    q->listener->upstream : s->upstream, f->handle);
	}
	LIST_REMOVE(q, entry);
	evdns_server_request_drop(q->req);
	free(q);
}

/* The server. */

/* evdns's own messages (an upstream down, a bad nameserver line) in
 * berthd's log rather than libevent's bare stderr lines; its chatter
 * below warnings only when debugging. */
static void
dns_log(int is_warn, const char *msg)
{
	if (is_warn)
		log_warn("dns", "%s", msg);
	else
		log_debug("dns", "%s", msg);
}

/* A resolver for forwards: no defaults of its own, idle without work
 * (it does not keep the loop running), berth's timeout and attempts. */
static struct evdns_base *
dns_resolver_new(struct event_base *base, struct berth_error *err)
{
	struct evdns_base *r;
	char num[16];
	int rc;

	if ((r = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE)) ==
	    NULL) {
		berth_error_set(err, BERTH_E_SYSTEM, ENOMEM, "dns: new "
		    "resolver");
		return (NULL);
	}
	snprintf(num, sizeof(num), "%d", DNS_UPSTREAM_TIMEOUT);
	rc = evdns_base_set_option(r, "timeout:", num);
	snprintf(num, sizeof(num), "%d", DNS_UPSTREAM_ATTEMPTS);
	if (rc == 0)
		rc = evdns_base_set_option(r, "attempts:", num);
	if (rc < 0) {
		evdns_base_free(r, 0);
		berth_error_set(err, BERTH_E_INTERNAL, 0, "dns: set resolver "
		    "options");
		return (NULL);
	}
	return (r);
}

int
dns_server_new(struct event_base *base, const char *resolv_conf,
    dns_lookup_fn lookup, dns_reverse_fn reverse, void *arg,
    struct dns_server **out, struct berth_error *err)
{
	static const char *const reasons[] = {
		[1] = "cannot open it", [2] = "cannot stat it",
		[3] = "too large", [4] = "out of memory", [5] = "short read",
	};
	struct dns_server *s;
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (berth_error_sys(err, "dns server"));
	s->base = base;
	s->lookup = lookup;
	s->reverse = reverse;
	s->arg = arg;
	LIST_INIT(&s->listeners);
	LIST_INIT(&s->sets);
	evdns_set_log_fn(dns_log);
	/* Not initialised from /etc/resolv.conf: from resolv_conf. */
	if ((s->upstream = dns_resolver_new(base, err)) == NULL) {
		free(s);
		return (-1);
	}
	if (resolv_conf != NULL) {
		/* No 127.0.0.1 in place of a missing nameserver line:
		 * that would be the host's, or nothing. */
		rc = evdns_base_resolv_conf_parse(s->upstream,
		    DNS_OPTION_NAMESERVERS | DNS_OPTION_NAMESERVERS_NO_DEFAULT,
		    resolv_conf);
		if (rc != 0 && rc != 6) {
			dns_server_free(s);
			return (berth_error_set(err, BERTH_E_SYSTEM, 0,
			    "dns: read %s: %s", resolv_conf,
			    rc > 0 && rc <= 5 ? reasons[rc] : "failed"));
		}
	}
	*out = s;
	return (0);
}

int
dns_server_add_upstream(struct dns_server *s, const char *addr,
    struct berth_error *err)
{
	if (evdns_base_nameserver_ip_add(s->upstream, addr) != 0)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "dns: bad upstream '%s'", addr));
	return (0);
}

int
dns_server_upstreams(const struct dns_server *s)
{
	return (evdns_base_count_nameservers(s->upstream));
}

void
dns_server_free(struct dns_server *s)
{
	struct dns_upstream_set *set;
	struct dns_listener *l;

	if (s == NULL)
		return;
	while ((l = LIST_FIRST(&s->listeners)) != NULL)
		dns_unlisten(l);
	/* Every forward was cancelled with its listener: nothing is left
	 * in the base for a free without callbacks to lose. */
	while ((set = LIST_FIRST(&s->sets)) != NULL) {
		LIST_REMOVE(set, entry);
		evdns_base_free(set->base, 0);
		free(set->key);
		free(set);
	}
	if (s->upstream != NULL)
		evdns_base_free(s->upstream, 0);
	free(s);
}

/* Listeners. */

int
dns_listen_addr(struct dns_server *s, int nsfd, const struct sockaddr_in *addr,
    void *owner, struct dns_listener **out, struct berth_error *err)
{
	struct dns_listener *l;
	struct sockaddr_in bound;
	socklen_t len = sizeof(bound);
	char where[INET_ADDRSTRLEN];
	int saved, fd, e;

	*out = NULL;
	inet_ntop(AF_INET, &addr->sin_addr, where, sizeof(where));
	if (rt_netns_enter(nsfd, &saved, err) < 0)
		return (berth_error_wrap(err, "dns: listen on %s", where));
	/* The socket stays in the namespace it is made in. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	e = errno;
	if (rt_netns_leave(saved, err) < 0) {
		if (fd >= 0)
			close(fd);
		return (berth_error_wrap(err, "dns: listen on %s", where));
	}
	if (fd < 0) {
		errno = e;
		return (berth_error_sys(err, "dns: socket"));
	}
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&bound, &len) < 0) {
		berth_error_sys(err, "dns: bind %s:%d", where,
		    ntohs(addr->sin_port));
		close(fd);
		return (-1);
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		close(fd);
		return (berth_error_sys(err, "dns: listener"));
	}
	l->server = s;
	l->owner = owner;
	l->portnum = ntohs(bound.sin_port);
	LIST_INIT(&l->queries);
	if ((l->port = evdns_add_server_port_with_base(s->base, fd, 0,
	    dns_request, l)) == NULL) {
		close(fd);
		free(l);
		return (berth_error_set(err, BERTH_E_SYSTEM, ENOMEM,
		    "dns: server port on %s", where));
	}
	LIST_INSERT_HEAD(&s->listeners, l, entry);
	*out = l;
	return (0);
}

int
dns_listen(struct dns_server *s, int nsfd, void *owner,
    struct dns_listener **out, struct berth_error *err)
{
	struct sockaddr_in addr;

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons(DNS_PORT);
	inet_pton(AF_INET, DNS_ADDRESS, &addr.sin_addr);
	return (dns_listen_addr(s, nsfd, &addr, owner, out, err));
}

void
dns_unlisten(struct dns_listener *l)
{
	struct dns_query *q;

	if (l == NULL)
		return;
	while ((q = LIST_FIRST(&l->queries)) != NULL)
		dns_query_abandon(q);
	l->upstream = NULL;	/* the server's set keeps it */
	/* With no request held, this frees the port and closes its
	 * socket now, unless a reply is still queued for writing: then
	 * when that is written, and until then the port may still call
	 * back with new requests, so l stays (gone, and leaked: that
	 * takes a send error on the socket first). */
	evdns_close_server_port(l->port);
	LIST_REMOVE(l, entry);
	if (l->queued) {
		l->gone = true;
		l->server = NULL;
		return;
	}
	free(l);
}

int
dns_listener_set_upstreams(struct dns_listener *l, const char *const *addrs,
    size_t n, struct berth_error *err)
{
	struct dns_server *s = l->server;
	struct dns_upstream_set *set;
	char key[1024] = "";
	size_t i;

	if (n == 0 || l->queries.lh_first != NULL)
		return (0);	/* the server's, or not while forwarding */
	for (i = 0; i < n; i++)
		if (strlen(key) + strlen(addrs[i]) + 2 > sizeof(key))
			return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "dns: too many nameservers"));
		else
			snprintf(key + strlen(key), sizeof(key) - strlen(key),
			    "%s%s", i > 0 ? "," : "", addrs[i]);
	LIST_FOREACH(set, &s->sets, entry)
		if (strcmp(set->key, key) == 0) {
			l->upstream = set->base;
			return (0);
		}
	if ((set = calloc(1, sizeof(*set))) == NULL ||
	    (set->key = strdup(key)) == NULL) {
		free(set);
		return (berth_error_sys(err, "dns"));
	}
	if ((set->base = dns_resolver_new(s->base, err)) == NULL)
		goto fail;
	for (i = 0; i < n; i++)
		if (evdns_base_nameserver_ip_add(set->base, addrs[i]) != 0) {
			berth_error_set(err, BERTH_E_INVALID_PARAM, 0, "dns: "
			    "bad nameserver '%s'", addrs[i]);
			goto fail;
		}
	LIST_INSERT_HEAD(&s->sets, set, entry);
	l->upstream = set->base;
	return (0);
fail:
	if (set->base != NULL)
		evdns_base_free(set->base, 0);
	free(set->key);
	free(set);
	return (-1);
}

void
dns_listener_set_local(struct dns_listener *l, bool local)
{
	l->local = local;
}

int
dns_listener_port(const struct dns_listener *l)
{
	return (l->portnum);
}
