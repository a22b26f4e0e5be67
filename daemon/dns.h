/*
 * The embedded DNS server of user-defined networks, as Docker's: each
 * container on such a network asks 127.0.0.11:53 inside its own network
 * namespace; berthd answers container names from its tables and forwards
 * everything else to the host's resolvers, all on its one loop (libevent's
 * evdns, server and client side).
 *
 * What is answered how:
 *   A, class IN, a container name (matched without case, with or without
 *   a trailing dot): its addresses, TTL DNS_TTL.
 *   AAAA of a container name: NOERROR with no answer (no IPv6 here).
 *   PTR of a d.c.b.a.in-addr.arpa name: reverse(), else forwarded; PTR of
 *   an ip6.arpa name (32 nibbles): forwarded.
 *   A, AAAA of other names: forwarded (searched in no domain list); the
 *   upstream's addresses, NXDOMAIN, NOERROR without data or REFUSED come
 *   back as they were, a timeout or other failure as SERVFAIL.
 *   Anything else (MX, TXT, SRV, ANY, other classes, PTR names of another
 *   form): NOTIMP, since evdns's client resolves only A, AAAA and PTR.
 *   Several questions in one request: each is answered as above; the
 *   reply is NOERROR when any of them was, else the first one's error.
 *
 * Limits: UDP only (libevent 2.1's evdns server has no TCP); so that no
 * client needs TCP, answers are cut to what fits in 512 bytes (fewer
 * addresses, no TC bit).  A forwarded CNAME chain comes back flattened
 * (the final addresses under the asked name).  At most DNS_MAX_FORWARDS
 * questions wait on upstreams per server and
 * DNS_MAX_FORWARDS_PER_LISTENER per listener; more get SERVFAIL.
 * Upstreams get DNS_UPSTREAM_TIMEOUT seconds and DNS_UPSTREAM_ATTEMPTS
 * tries, then SERVFAIL.
 */
#ifndef BERTHD_DNS_H
#define BERTHD_DNS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

#include "error.h"

#define DNS_PORT		53
#define DNS_ADDRESS		"127.0.0.11"
#define DNS_TTL			600	/* Docker's, for container names */
#define DNS_MAX_ADDRS		32	/* addresses of one name answered */
#define DNS_MAX_FORWARDS	256	/* questions out upstream, per server */
#define DNS_MAX_FORWARDS_PER_LISTENER 64	/* one container not all */
#define DNS_UPSTREAM_TIMEOUT	2	/* seconds per try */
#define DNS_UPSTREAM_ATTEMPTS	2

struct dns_server;
struct dns_listener;

/*
 * Name lookup for a request that came in on owner's listener: fill up
 * to max addresses, return how many (0: not a container name, forward
 * it upstream), -1 never.  name is lower-cased and has no trailing dot;
 * container names should be compared without case.  Called on the loop;
 * must not free the server or the listener.
 */
typedef int	(*dns_lookup_fn)(void *arg, void *owner, const char *name,
		    struct in_addr *addrs, int max);
/* Reverse lookup: 1 and name filled (NUL-terminated, without trailing
 * dot) when addr is a container's on one of owner's networks, 0
 * otherwise (forward). */
typedef int	(*dns_reverse_fn)(void *arg, void *owner, struct in_addr addr,
		    char *name, size_t len);

/*
 * A server on base.  resolv_conf is the upstream servers' file (berthd
 * passes /etc/resolv.conf or its --resolv-conf), read now; only its
 * nameserver lines count ("nameserver 10.0.0.1" or "nameserver
 * 127.0.0.1:5353").  A file without any, or NULL, means no forwarding:
 * names that are not containers' get SERVFAIL at once.  A file that
 * cannot be read is an error.  The upstreams' sockets are made now, in
 * the caller's network namespace, which must be the host's.
 */
int	dns_server_new(struct event_base *base, const char *resolv_conf,
	    dns_lookup_fn lookup, dns_reverse_fn reverse, void *arg,
	    struct dns_server **out, struct berth_error *err);
/* Frees every listener too and cancels pending forwards (their memory
 * goes when evdns reports the cancel on a later turn of the loop). */
void	dns_server_free(struct dns_server *s);

/* Add one more upstream ("ip" or "ip:port", made in the caller's
 * namespace). */
int	dns_server_add_upstream(struct dns_server *s, const char *addr,
	    struct berth_error *err);
/* How many upstreams requests can be forwarded to. */
int	dns_server_upstreams(const struct dns_server *s);

/* Listen on 127.0.0.11:53/udp inside the network namespace nsfd (-1:
 * the caller's own); owner is handed to lookup and reverse for every
 * request that comes in there.  The namespace's loopback must be up
 * (127.0.0.11 is one of its addresses); the socket keeps the namespace
 * alive until dns_unlisten. */
int	dns_listen(struct dns_server *s, int nsfd, void *owner,
	    struct dns_listener **out, struct berth_error *err);
/* The same on any address (tests: 127.0.0.1 and a free port). */
int	dns_listen_addr(struct dns_server *s, int nsfd,
	    const struct sockaddr_in *addr, void *owner,
	    struct dns_listener **out, struct berth_error *err);
/* Stop listening; requests waiting on upstreams are dropped unanswered
 * (their clients retry).  NULL is a no-op. */
void	dns_unlisten(struct dns_listener *l);

/* The port a listener got (after binding port 0). */
/* Forward what is not a container's name to these nameservers ("ip" or
 * "ip:port"), not the server's (a container's --dns).  Only before the
 * listener forwards anything. */
int	dns_listener_set_upstreams(struct dns_listener *l,
	    const char *const *addrs, size_t n, struct berth_error *err);
/* Local: answer container names only, never forward (REFUSED), for a
 * container whose networks are all internal. */
void	dns_listener_set_local(struct dns_listener *l, bool local);
int	dns_listener_port(const struct dns_listener *l);

#endif
