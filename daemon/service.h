/*
 * io.berth.Service: who the daemon is, what it speaks, Ping, its status.
 */
#ifndef BERTHD_SERVICE_H
#define BERTHD_SERVICE_H

#include "dispatch.h"

int	service_get_info(struct daemon *, struct peer *, const struct call *,
	    msgpack_packer *, struct berth_error *);
int	service_get_interface_description(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	service_ping(struct daemon *, struct peer *, const struct call *,
	    msgpack_packer *, struct berth_error *);
int	service_get_status(struct daemon *, struct peer *, const struct call *,
	    msgpack_packer *, struct berth_error *);

#endif
