/*
 * berth's NAT and forwarding rules for bridge networks and published
 * ports: one nftables table of its own, "ip berth", driven through
 * libnftables.  No other table is ever read or changed.
 *
 * The chains are fixed when the table is made (rt_nat_reset); a network
 * or a published port is only a set or map ELEMENT, so adding one never
 * rewrites a rule.  Adds are idempotent (adding what is there is
 * success); deletes are idempotent too (deleting what is not there is
 * success): nft 1.0.6 has no "destroy", so a delete is sent as "add
 * element; delete element" in one transaction, which removes the element
 * whether or not it was there.  A published port that is there with a
 * different target is a conflict for both add and delete
 * (RT_NAT_E_PORT_IN_USE), never silently replaced or removed.
 *
 * IPv4 only.  The table lives in the network namespace the caller was in
 * at rt_nat_open (libnftables binds its netlink socket then).
 *
 * What the caller does besides (the kernel knobs this table relies on):
 *  - net.ipv4.ip_forward=1, for containers to reach anything off their
 *    bridge;
 *  - net.ipv4.conf.<bridge>.route_localnet=1 on every non-internal
 *    bridge (rt_sysctl_write), for published ports to answer on the
 *    host's 127.0.0.1: without it the kernel refuses to route a packet
 *    with a 127.x source out of the bridge even once it is DNATed.
 *  - subnets of two networks must not overlap (the subnet set is an
 *    interval set and refuses an overlapping element).
 */
#ifndef BERTH_RUNTIME_NAT_H
#define BERTH_RUNTIME_NAT_H

#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define RT_NAT_TABLE		"berth"
/* A published port whose (host ip, proto, port) is taken by another
 * target.  Parameters: host_ip, host_port, protocol. */
#define RT_NAT_E_PORT_IN_USE	"io.berth.Network.PortInUse"

struct rt_nat;

/* A libnftables context in the caller's network namespace; the kernel
 * is not changed yet. */
int	rt_nat_open(struct rt_nat **out, struct berth_error *err);
void	rt_nat_close(struct rt_nat *nat);

/* (Re)make the table from nothing in one transaction: the old one (if
 * any) deleted, then the chains, sets and maps, all empty.  For berthd's
 * start, before it adds back what is live. */
int	rt_nat_reset(struct rt_nat *nat, struct berth_error *err);

/* rt_nat_reset only when the table is not there (e.g. after
 * rt_nat_destroy, before the next network). */
int	rt_nat_ensure(struct rt_nat *nat, struct berth_error *err);

/* Delete the table if it is there (no network needs it any more). */
int	rt_nat_destroy(struct rt_nat *nat, struct berth_error *err);

/* Drop what the host forwards between interfaces that are not berth
 * bridges (closed), or not.  For a host that did not forward before
 * berthd set ip_forward for its bridges. */
int	rt_nat_close_forwarding(struct rt_nat *nat, bool closed,
	    struct berth_error *err);

/* A bridge network.  Internal: no forwarding in or out of the bridge, no
 * masquerade, no published port reaches it. */
struct rt_nat_net {
	const char	*bridge;
	struct in_addr	 subnet;
	int		 prefixlen;
	bool		 internal;
};

int	rt_nat_network_add(struct rt_nat *nat, const struct rt_nat_net *net,
	    struct berth_error *err);
int	rt_nat_network_del(struct rt_nat *nat, const struct rt_nat_net *net,
	    struct berth_error *err);

/* A published port: proto IPPROTO_TCP or IPPROTO_UDP; host_ip INADDR_ANY
 * for every local address (127.0.0.1 included), else only that one;
 * addr:port is the container's.  Ports in host byte order, addresses in
 * network byte order (as struct in_addr has them). */
struct rt_nat_port {
	int		 proto;
	struct in_addr	 host_ip;
	uint16_t	 host_port;
	struct in_addr	 addr;
	uint16_t	 port;
};

int	rt_nat_port_add(struct rt_nat *nat, const struct rt_nat_port *p,
	    struct berth_error *err);
int	rt_nat_port_del(struct rt_nat *nat, const struct rt_nat_port *p,
	    struct berth_error *err);
/* n of them in one transaction (all or none): a container's ports. */
int	rt_nat_ports_add(struct rt_nat *nat, const struct rt_nat_port *v,
	    size_t n, struct berth_error *err);
int	rt_nat_ports_del(struct rt_nat *nat, const struct rt_nat_port *v,
	    size_t n, struct berth_error *err);

/* The table as `nft list table ip berth` prints it, for diagnostics and
 * tests; *text is the caller's to free. */
int	rt_nat_list(struct rt_nat *nat, char **text, struct berth_error *err);

#endif
