/*
 * Networks: bridges, address leases, NAT and published ports, and the
 * embedded DNS, for containers' network namespaces.
 */
#ifndef BERTHD_NETWORK_H
#define BERTHD_NETWORK_H

#include <msgpack.h>

#include "error.h"
#include "message.h"

struct daemon;
struct peer;

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
