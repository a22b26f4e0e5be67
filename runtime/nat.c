/*
 * berth's nftables table, "ip berth", through libnftables: Docker's
 * bridge NAT and isolation, with every network and published port an
 * element of a set or map, so the rules are written once (rt_nat_reset)
 * and never rewritten.
 *
 * The table (NAT_TABLE_TEXT below is the source of truth):
 *
 *   sets/maps
 *     nets       interval set of non-internal subnets
 *     netifs     interval set of (bridge . its subnet), non-internal only
 *     bridges    every berth bridge
 *     samebr     (bridge . bridge) for every bridge
 *     internal   the bridges of internal networks
 *     ports      (proto . port) : (container ip . port), any host address
 *     hostports  (host ip . proto . port) : (container ip . port)
 *
 *   prerouting  nat, priority dstnat (-100)
 *     fib daddr type local jump published   packets to a local address
 *   output      nat, priority -100 ("dstnat" is refused for output)
 *     fib daddr type local jump published   the host's own, 127.0.0.1 too
 *   published   (regular chain)
 *     dnat via hostports (the exact host ip first), then via ports
 *   postrouting nat, priority srcnat (100)
 *     from a subnet, out of any interface but its own bridge: masquerade
 *     DNATed from a subnet (hairpin, back out of its own bridge): masquerade
 *     from 127/8 out of a berth bridge (host's loopback to a published
 *       port; needs route_localnet on the bridge): masquerade
 *     fwdoff     0.0.0.0/0 while the host's own forwarding is closed
 *                (rt_nat_close_forwarding)
 *
 *   rawpre      filter, priority raw (-300)
 *     from a bridge to 127/8: drop          route_localnet lets the host
 *       route 127.x from a bridge; only a container's crafted packets
 *       match here (replies to the host's own are still masqueraded),
 *       so containers never reach the host's loopback services
 *       (CVE-2020-8558)
 *   forward     filter, priority filter (0), policy accept
 *     in and out of the same bridge: accept  first: with br_netfilter
 *       loaded (Docker loads it, and bridge-nf-call-iptables is on in
 *       every new namespace) frames between two containers of one
 *       bridge pass this hook too, internal networks' included
 *     in or out of an internal bridge: drop
 *     established, related: accept          replies
 *     DNATed to a berth bridge: accept      published ports, from
 *       anywhere, other berth networks too (Docker counts a published
 *       port unreachable from another network as a bug: moby#38784)
 *     between two berth bridges: drop       isolation
 *     anything else to a berth bridge: drop (no direct routing in)
 *     neither end a berth bridge, with fwdoff set: drop  (the host did
 *       not forward before berthd turned ip_forward on for its bridges:
 *       it must not become a router for everything else)
 *   guard       filter on postrouting, priority filter (0), policy accept
 *     DNATed packets out of an internal bridge: drop (the host's own
 *       never pass forward, and on the output hook oifname is still the
 *       device before the DNAT: lo for 127.0.0.1)
 *
 * Our forward accepts never override another table's drop: a host
 * firewall with a drop policy on forward still needs its own accept.
 */
#include <sys/socket.h>

#include <linux/netlink.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <nftables/libnftables.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "nat.h"

struct rt_nat {
	struct nft_ctx	*ctx;
};

#define T	"ip " RT_NAT_TABLE

/* The whole table; "add table; delete table" first makes the delete
 * succeed whether or not it was there, in the same transaction. */
static const char NAT_TABLE_TEXT[] =
	"add table " T "\n"
	"delete table " T "\n"
	"table " T " {\n"
	"	set nets { type ipv4_addr; flags interval; }\n"
	"	set netifs { type ifname . ipv4_addr; flags interval; }\n"
	"	set bridges { type ifname; }\n"
	"	set samebr { type ifname . ifname; }\n"
	"	set internal { type ifname; }\n"
	"	set fwdoff { type ipv4_addr; flags interval; }\n"
	"	map ports { type inet_proto . inet_service :"
	" ipv4_addr . inet_service; }\n"
	"	map hostports { type ipv4_addr . inet_proto . inet_service :"
	" ipv4_addr . inet_service; }\n"
	"	chain rawpre {\n"
	"		type filter hook prerouting priority raw; policy accept;\n"
	"		iifname @bridges ip daddr 127.0.0.0/8 drop\n"
	"	}\n"
	"	chain prerouting {\n"
	"		type nat hook prerouting priority dstnat; policy accept;\n"
	"		fib daddr type local jump published\n"
	"	}\n"
	"	chain output {\n"
	"		type nat hook output priority -100; policy accept;\n"
	"		fib daddr type local jump published\n"
	"	}\n"
	"	chain published {\n"
	"		dnat to ip daddr . meta l4proto . th dport map @hostports\n"
	"		dnat to meta l4proto . th dport map @ports\n"
	"	}\n"
	"	chain postrouting {\n"
	"		type nat hook postrouting priority srcnat; policy accept;\n"
	"		ip saddr @nets oifname . ip saddr != @netifs masquerade\n"
	"		ct status dnat ip saddr @nets masquerade\n"
	"		ip saddr 127.0.0.0/8 oifname @bridges masquerade\n"
	"	}\n"
	"	chain forward {\n"
	"		type filter hook forward priority filter; policy accept;\n"
	"		iifname . oifname @samebr accept\n"
	"		iifname @internal drop\n"
	"		oifname @internal drop\n"
	"		ct state established,related accept\n"
	"		ct status dnat oifname @bridges accept\n"
	"		iifname @bridges oifname @bridges drop\n"
	"		oifname @bridges drop\n"
	"		iifname != @bridges oifname != @bridges ip daddr @fwdoff"
	" drop\n"
	"	}\n"
	"	chain guard {\n"
	"		type filter hook postrouting priority filter; policy accept;\n"
	"		oifname @internal ct status dnat drop\n"
	"	}\n"
	"}\n";

int
rt_nat_open(struct rt_nat **out, struct berth_error *err)
{
	cleanup_free struct rt_nat *nat = NULL;
	int s;

	*out = NULL;
	/* libnftables exits the process when it cannot open its netlink
	 * socket (no nf_tables, no fd left): find out first. */
	if ((s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_NETFILTER)) < 0)
		return (berth_error_sys(err, "nftables: netlink socket"));
	close(s);
	if ((nat = calloc(1, sizeof(*nat))) == NULL)
		return (berth_error_sys(err, "nftables"));
	if ((nat->ctx = nft_ctx_new(NFT_CTX_DEFAULT)) == NULL)
		return (berth_error_set(err, BERTH_E_SYSTEM, ENOMEM,
		    "nftables: new context"));
	if (nft_ctx_buffer_output(nat->ctx) != 0 ||
	    nft_ctx_buffer_error(nat->ctx) != 0) {
		nft_ctx_free(nat->ctx);
		return (berth_error_set(err, BERTH_E_SYSTEM, ENOMEM,
		    "nftables: output buffers"));
	}
	*out = steal_pointer(&nat);
	return (0);
}

void
rt_nat_close(struct rt_nat *nat)
{
	if (nat == NULL)
		return;
	nft_ctx_free(nat->ctx);
	free(nat);
}

/*
 * Run cmds as one transaction.  On failure, the first line of what
 * libnftables reported ("Error: Could not process rule: File exists")
 * goes into err after what; *conflict (when not NULL) tells whether the
 * kernel said EEXIST, and *missing whether it said ENOENT.
 */
static int
nat_run(struct rt_nat *nat, const char *cmds, const char *what,
    bool *conflict, bool *missing, struct berth_error *err)
{
	const char *text, *nl;
	size_t len;

	if (conflict != NULL)
		*conflict = false;
	if (missing != NULL)
		*missing = false;
	/* Reading a buffer rewinds it: start both empty. */
	(void)nft_ctx_get_output_buffer(nat->ctx);
	(void)nft_ctx_get_error_buffer(nat->ctx);
	if (nft_run_cmd_from_buffer(nat->ctx, cmds) == 0)
		return (0);
	text = nft_ctx_get_error_buffer(nat->ctx);
	if (conflict != NULL)
		*conflict = strstr(text, strerror(EEXIST)) != NULL;
	if (missing != NULL)
		*missing = strstr(text, strerror(ENOENT)) != NULL;
	while (*text == '\n')
		text++;
	len = (nl = strchr(text, '\n')) != NULL ? (size_t)(nl - text) :
	    strlen(text);
	if (len == 0) {
		text = "failed";
		len = strlen(text);
	}
	return (berth_error_set(err, BERTH_E_SYSTEM, 0, "%s: nftables: %.*s",
	    what, (int)len, text));
}

int
rt_nat_reset(struct rt_nat *nat, struct berth_error *err)
{
	return (nat_run(nat, NAT_TABLE_TEXT, "reset table " T, NULL, NULL,
	    err));
}

int
rt_nat_ensure(struct rt_nat *nat, struct berth_error *err)
{
	struct berth_error probe = BERTH_ERROR_INIT;
	bool missing;
	int rc;

	/* The smallest thing to list that only the complete table has. */
	rc = nat_run(nat, "list chain " T " forward", "check table " T,
	    NULL, &missing, &probe);
	if (rc == 0 || !missing) {
		if (rc < 0)
			berth_error_move(err, &probe);
		return (rc);
	}
	berth_error_clear(&probe);
	return (rt_nat_reset(nat, err));
}

int
rt_nat_destroy(struct rt_nat *nat, struct berth_error *err)
{
	return (nat_run(nat, "add table " T "\ndelete table " T "\n",
	    "delete table " T, NULL, NULL, err));
}

int
rt_nat_list(struct rt_nat *nat, char **text, struct berth_error *err)
{
	*text = NULL;
	if (nat_run(nat, "list table " T, "list table " T, NULL, NULL,
	    err) < 0)
		return (-1);
	if ((*text = strdup(nft_ctx_get_output_buffer(nat->ctx))) == NULL)
		return (berth_error_sys(err, "list table " T));
	return (0);
}

/*
 * Commands are text, so a bridge name goes in quoted and must be a plain
 * interface name: letters, digits, '_', '-', '.', at most IFNAMSIZ - 1.
 */
static int
check_bridge(const char *name, struct berth_error *err)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";
	size_t len = name != NULL ? strlen(name) : 0;

	if (len > 0 && len < IFNAMSIZ && strspn(name, ok) == len)
		return (0);
	return (berth_error_set(err, BERTH_E_INVALID_PARAM, EINVAL,
	    "nat: bad bridge name \"%s\"", name != NULL ? name : ""));
}

/* "a.b.c.d/n" of the network part of net's subnet into buf. */
static int
net_cidr(const struct rt_nat_net *net, char *buf, size_t size,
    struct berth_error *err)
{
	struct in_addr a;
	char ip[INET_ADDRSTRLEN];
	uint32_t mask;

	if (net->prefixlen < 1 || net->prefixlen > 32)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, EINVAL,
		    "nat: %s: bad prefix length %d", net->bridge,
		    net->prefixlen));
	mask = net->prefixlen == 32 ? 0xffffffffu :
	    ~(0xffffffffu >> net->prefixlen);
	a.s_addr = net->subnet.s_addr & htonl(mask);
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	snprintf(buf, size, "%s/%d", ip, net->prefixlen);
	return (0);
}

/*
 * Append "add element" of one element to f and, to delete, "delete
 * element" after it: nft 1.0.6 has no "destroy", and a delete alone of
 * what is not there fails the whole transaction; after the add it always
 * has something to remove, so a delete is idempotent and still atomic.
 * (For a map, the add fails with EEXIST when the key is there with other
 * data, so a delete never removes someone else's mapping.)
 */
static void
put_elem(FILE *f, bool del, const char *set, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
put_elem(FILE *f, bool del, const char *set, const char *fmt, ...)
{
	va_list ap;
	int i;

	for (i = 0; i < (del ? 2 : 1); i++) {
		fprintf(f, "%s element " T " %s { ", i == 0 ? "add" : "delete",
		    set);
		va_start(ap, fmt);
		vfprintf(f, fmt, ap);
		va_end(ap);
		fputs(" }\n", f);
	}
}

static int
network_change(struct rt_nat *nat, const struct rt_nat_net *net, bool del,
    struct berth_error *err)
{
	cleanup_free char *cmds = NULL;
	char cidr[INET_ADDRSTRLEN + 4], what[64];
	const char *br;
	size_t len = 0;
	FILE *f;
	int rc;

	if (check_bridge(net->bridge, err) < 0 ||
	    net_cidr(net, cidr, sizeof(cidr), err) < 0)
		return (-1);
	br = net->bridge;
	if ((f = open_memstream(&cmds, &len)) == NULL)
		return (berth_error_sys(err, "nat"));
	put_elem(f, del, "bridges", "\"%s\"", br);
	/* A delete clears every set, whatever internal says, so that a
	 * network recorded wrongly still leaves nothing behind. */
	put_elem(f, del, "samebr", "\"%s\" . \"%s\"", br, br);
	if (net->internal || del)
		put_elem(f, del, "internal", "\"%s\"", br);
	if (!net->internal || del) {
		put_elem(f, del, "nets", "%s", cidr);
		put_elem(f, del, "netifs", "\"%s\" . %s", br, cidr);
	}
	rc = ferror(f);
	if (fclose(f) != 0 || rc != 0)
		return (berth_error_sys(err, "nat"));
	snprintf(what, sizeof(what), "%s network %s %s", del ? "remove" :
	    "add", br, cidr);
	return (nat_run(nat, cmds, what, NULL, NULL, err));
}

int
rt_nat_close_forwarding(struct rt_nat *nat, bool closed,
    struct berth_error *err)
{
	static const char on[] = "add element " T " fwdoff { 0.0.0.0/0 }\n";
	static const char off[] = "add element " T " fwdoff { 0.0.0.0/0 }\n"
	    "delete element " T " fwdoff { 0.0.0.0/0 }\n";

	return (nat_run(nat, closed ? on : off, closed ? "close forwarding" :
	    "open forwarding", NULL, NULL, err));
}

int
rt_nat_network_add(struct rt_nat *nat, const struct rt_nat_net *net,
    struct berth_error *err)
{
	return (network_change(nat, net, false, err));
}

int
rt_nat_network_del(struct rt_nat *nat, const struct rt_nat_net *net,
    struct berth_error *err)
{
	return (network_change(nat, net, true, err));
}

static const char *
proto_name(int proto)
{
	return (proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" :
	    NULL);
}

/* n published ports in one transaction: all or none. */
static int
ports_change(struct rt_nat *nat, const struct rt_nat_port *v, size_t n,
    bool del, struct berth_error *err)
{
	cleanup_free char *cmds = NULL;
	char host[INET_ADDRSTRLEN], to[INET_ADDRSTRLEN], what[160];
	const struct rt_nat_port *p;
	size_t len = 0, i;
	bool conflict;
	FILE *f;
	int rc;

	if (n == 0)
		return (0);
	for (i = 0; i < n; i++) {
		if (proto_name(v[i].proto) == NULL)
			return (berth_error_set(err, BERTH_E_INVALID_PARAM,
			    EINVAL, "nat: protocol %d: only tcp and udp",
			    v[i].proto));
		if (v[i].host_port == 0 || v[i].port == 0)
			return (berth_error_set(err, BERTH_E_INVALID_PARAM,
			    EINVAL, "nat: port 0"));
	}
	if ((f = open_memstream(&cmds, &len)) == NULL)
		return (berth_error_sys(err, "nat"));
	for (i = 0; i < n; i++) {
		p = &v[i];
		inet_ntop(AF_INET, &p->host_ip, host, sizeof(host));
		inet_ntop(AF_INET, &p->addr, to, sizeof(to));
		if (p->host_ip.s_addr == htonl(INADDR_ANY))
			put_elem(f, del, "ports", "%s . %u : %s . %u",
			    proto_name(p->proto), p->host_port, to, p->port);
		else
			put_elem(f, del, "hostports", "%s . %s . %u : %s . %u",
			    host, proto_name(p->proto), p->host_port, to,
			    p->port);
	}
	rc = ferror(f);
	if (fclose(f) != 0 || rc != 0)
		return (berth_error_sys(err, "nat"));
	p = &v[0];
	inet_ntop(AF_INET, &p->host_ip, host, sizeof(host));
	inet_ntop(AF_INET, &p->addr, to, sizeof(to));
	snprintf(what, sizeof(what), "%s %s %s:%u -> %s:%u%s",
	    del ? "unpublish" : "publish", proto_name(p->proto), host,
	    p->host_port, to, p->port, n > 1 ? " and others" : "");
	if (nat_run(nat, cmds, what, &conflict, NULL, err) == 0)
		return (0);
	if (conflict) {
		/* A key is there with another target. */
		berth_error_set(err, RT_NAT_E_PORT_IN_USE, 0,
		    "%s: a port is published to another address", what);
		berth_error_param_str(err, "host_ip", host);
		berth_error_param_int(err, "host_port", p->host_port);
		berth_error_param_str(err, "protocol", proto_name(p->proto));
	}
	return (-1);
}


int
rt_nat_ports_add(struct rt_nat *nat, const struct rt_nat_port *v, size_t n,
    struct berth_error *err)
{
	return (ports_change(nat, v, n, false, err));
}

int
rt_nat_ports_del(struct rt_nat *nat, const struct rt_nat_port *v, size_t n,
    struct berth_error *err)
{
	return (ports_change(nat, v, n, true, err));
}

int
rt_nat_port_add(struct rt_nat *nat, const struct rt_nat_port *p,
    struct berth_error *err)
{
	return (ports_change(nat, p, 1, false, err));
}

int
rt_nat_port_del(struct rt_nat *nat, const struct rt_nat_port *p,
    struct berth_error *err)
{
	return (ports_change(nat, p, 1, true, err));
}
