/*
 * The rtnetlink calls container networking needs (bridges, veth pairs,
 * addresses, routes), over libmnl, without the `ip` command.
 *
 * Every change is sent with NLM_F_ACK and the kernel's answer turned into
 * a berth_error naming the link ("veth add vethab12cd3: File exists").
 * Sockets are blocking with a receive timeout, so no call waits forever.
 * Link names longer than IFNAMSIZ - 1 are refused with EINVAL before any
 * syscall.
 */
#ifndef BERTH_RUNTIME_NETLINK_H
#define BERTH_RUNTIME_NETLINK_H

#include <netinet/in.h>

#include <stddef.h>

#include "error.h"
#include "strv.h"

/* How long one answer from the kernel may take before EAGAIN. */
#define RT_NL_TIMEOUT_SEC	5

/* One NETLINK_ROUTE socket, bound in one network namespace. */
struct rt_nl;

/* Open a socket in the namespace nsfd (-1: the caller's). */
int	rt_nl_open(int nsfd, struct rt_nl **out, struct berth_error *err);
void	rt_nl_close(struct rt_nl *nl);

/* A bridge named name, not brought up.  A bridge of that name already
 * there is success; another kind of link by that name is EEXIST. */
int	rt_nl_bridge_add(struct rt_nl *nl, const char *name,
	    struct berth_error *err);

/* A veth pair: name here, its peer named peer made directly in the
 * namespace peer_nsfd (-1: here).  Either name taken is EEXIST. */
int	rt_nl_veth_add(struct rt_nl *nl, const char *name, const char *peer,
	    int peer_nsfd, struct berth_error *err);

/* Delete a link (for a veth, its peer goes too); one already gone is
 * success. */
int	rt_nl_link_del(struct rt_nl *nl, const char *name,
	    struct berth_error *err);
int	rt_nl_link_up(struct rt_nl *nl, const char *name,
	    struct berth_error *err);
int	rt_nl_link_set_master(struct rt_nl *nl, const char *name,
	    const char *master, struct berth_error *err);
int	rt_nl_link_set_mac(struct rt_nl *nl, const char *name,
	    const unsigned char mac[6], struct berth_error *err);

/* 1 with *ifindex (when ifindex is not NULL) when the link exists, 0
 * when not, -1 on error. */
int	rt_nl_link_exists(struct rt_nl *nl, const char *name, int *ifindex,
	    struct berth_error *err);

/* The IPv4 address addr/prefixlen on link name; the same address with the
 * same prefix already there is success. */
int	rt_nl_addr_add(struct rt_nl *nl, const char *name, struct in_addr addr,
	    int prefixlen, struct berth_error *err);

/* A default route via gw on link dev in the main table.  dev must be up
 * with an address on gw's network first, or the kernel finds gw
 * unreachable (ENETUNREACH).  A default route already there is EEXIST:
 * it may not be this one. */
int	rt_nl_route_add_default(struct rt_nl *nl, struct in_addr gw,
	    const char *dev, struct berth_error *err);

/* The names of every link whose name starts with prefix ("" for all), for
 * reconciling after a crash.  *names is NULL-terminated; free it with
 * strv_free (strv.h). */
int	rt_nl_links(struct rt_nl *nl, const char *prefix, char ***names,
	    struct berth_error *err);

/* The IPv4 networks in use: the destination of every route in every
 * table but local (default routes, /0, left out: they collide with
 * everything), and the network of every address on every link, each once,
 * host bits cleared.  Free *nets with free(); NULL when *n is 0. */
struct rt_nl_net {
	struct in_addr	dst;
	int		prefixlen;
};
int	rt_nl_ipv4_nets(struct rt_nl *nl, struct rt_nl_net **nets, size_t *n,
	    struct berth_error *err);

#endif
