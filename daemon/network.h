/*
 * Networks: bridges, address leases, NAT and published ports, and the
 * embedded DNS, for containers' network namespaces.
 *
 *	network.c		the registry, subnets and addresses, the
 *				host's side (bridges, the nftables table)
 *	network-attach.c	a container's side: its namespace, veths,
 *				ports, /etc/hosts and resolv.conf, DNS
 *	network-api.c		io.berth.Network's handlers, Container.Port
 *
 * Host state follows use: a network's bridge, its NAT elements and the
 * nftables table exist while a running container has an endpoint on
 * it, and go a moment after the last one (berthd --network-linger, so
 * that a run after a run does not make them again).  At start-up berthd rebuilds them from
 * the containers it adopted, so a crash leaves nothing behind.
 */
#ifndef BERTHD_NETWORK_H
#define BERTHD_NETWORK_H

#include <sys/queue.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <msgpack.h>

#include "db-network.h"
#include "error.h"
#include "message.h"

struct container;
struct daemon;
struct event;
struct peer;
struct rt_spec;

#define NET_DEFAULT		"bridge"	/* the default network */
#define NET_DEFAULT_BRIDGE	"berth0"
#define NET_VETH_PREFIX		"bth"

struct network {
	TAILQ_ENTRY(network)	 entry;
	char			*id;
	char			*name;
	char			*driver;	/* bridge, host, null */
	char			*bridge;	/* device, "" if none */
	struct in_addr		 subnet;
	int			 prefixlen;
	struct in_addr		 gateway;
	bool			 internal;
	bool			 builtin;	/* bridge, host, none */
	json_t			*labels;
	int64_t			 created;
	int			 users;		/* live endpoints */
	bool			 up;		/* bridge and rules there */
	uint32_t		 next_host;	/* where leases go on from */
	struct event		*linger;	/* down once unused */
	struct daemon		*d;
};

TAILQ_HEAD(network_list, network);

struct netmgr {
	struct daemon		*d;
	struct network_list	 nets;
	struct rt_nl		*nl;		/* berthd's own namespace */
	struct rt_nat		*nat;
	bool			 nat_up;	/* the table exists */
	bool			 forwarding;	/* ip_forward set */
	struct dns_server	*dns;
	int			 users;		/* live endpoints, all */
	int			 nup;		/* networks up */
	uint16_t		 next_port;	/* for free host ports */
	uint16_t		*port_users[2];	/* bindings per port: tcp,
						 * udp */
	bool			 guard;		/* forwarding was off */
};

/* network.c */
int	networks_init(struct daemon *d, struct berth_error *err);
/* After adoption: leases, bridges and rules rebuilt for what runs. */
void	networks_resume(struct daemon *d);
void	networks_free(struct daemon *d);
int	network_find(struct daemon *d, const char *name, struct network **out,
	    struct berth_error *err);
struct network *network_by_id(struct daemon *d, const char *id);
bool	network_user_defined(const struct network *n);
/* An endpoint begins or ends: the bridge and rules come and go. */
int	network_use(struct daemon *d, struct network *n,
	    struct berth_error *err);
void	network_unuse(struct daemon *d, struct network *n);
/* A free address of n, or the one asked for (NET_E_ADDRESS, CONFIG). */
int	network_lease(struct daemon *d, struct network *n,
	    const char *container, const char *want, const char *ifname,
	    struct in_addr *out, struct berth_error *err);
void	network_release(struct daemon *d, struct network *n,
	    const char *container);
int	network_create(struct daemon *d, const char *name, const char *subnet,
	    const char *gateway, bool internal, json_t *labels,
	    struct network **out, struct berth_error *err);
int	network_remove(struct daemon *d, struct network *n,
	    struct berth_error *err);
/* "a.b.c.d/n", with Docker's complaint about host bits. */
int	cidr_parse(const char *s, struct in_addr *addr, int *prefixlen,
	    struct berth_error *err);
bool	in_subnet(struct in_addr a, struct in_addr net, int prefixlen);
/* nbytes random bytes as hex (2 * nbytes + 1 chars): ids. */
void	network_random_hex(char *out, size_t nbytes);

/* network-attach.c: called by the container lifecycle. */
/* Before the spawn: the namespace (or the host's, or another
 * container's) and its interfaces, ports and files; spec gets the
 * namespace path and the file mounts.  Undone by itself on failure. */
int	network_container_setup(struct container *c, struct rt_spec *spec,
	    struct berth_error *err);
/* The container stopped, or its start was given up: everything of its
 * network goes.  Safe to call twice. */
void	network_container_teardown(struct container *c);
/* An adopted container: its namespace, leases and rules again. */
int	network_container_adopt(struct container *c, struct berth_error *err);
/* Connect or disconnect a running container now. */
int	network_container_connect(struct container *c, struct network *n,
	    json_t *endpoint_config, struct berth_error *err);
int	network_container_disconnect(struct container *c, struct network *n,
	    struct berth_error *err);
/* Docker's NetworkSettings for inspect (a new reference). */
json_t	*network_settings_doc(struct container *c);
/* "0.0.0.0:8080->80/tcp, ..." for ps. */
char	*network_ports_text(struct container *c);
/* Its HostConfig network_mode: "bridge" when not set. */
const char *network_mode_of(struct container *c);
/* "bridge", "front,back": its networks, as ps shows them. */
char	*network_names_text(struct container *c);
/* The network names a container's config names (mode first). */
json_t	*network_container_networks(struct container *c);
/* The DNS server's callbacks. */
int	network_dns_lookup(void *arg, void *owner, const char *name,
	    struct in_addr *addrs, int max);
int	network_dns_reverse(void *arg, void *owner, struct in_addr addr,
	    char *name, size_t len);

/* network-api.c */
int	network_api_create(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	network_api_list(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	network_api_inspect(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	network_api_remove(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	network_api_connect(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	network_api_disconnect(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	network_api_prune(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_port(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);

#endif
