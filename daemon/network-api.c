/*
 * io.berth.Network: networks' calls.  (Being written: every call fails
 * until the network module lands.)
 */
#include "daemon.h"
#include "dispatch.h"
#include "network.h"

static int
not_yet(struct berth_error *err)
{
	return (berth_error_set(err, BERTH_E_INTERNAL, 0, "networks are not "
	    "there yet"));
}

#define NOT_YET(fn) \
int \
fn(struct daemon *d, struct peer *p, const struct call *call, \
    msgpack_packer *pk, struct berth_error *err) \
{ \
	(void)d; (void)p; (void)call; (void)pk; \
	return (not_yet(err)); \
}

NOT_YET(network_api_create)
NOT_YET(network_api_list)
NOT_YET(network_api_inspect)
NOT_YET(network_api_remove)
NOT_YET(network_api_connect)
NOT_YET(network_api_disconnect)
NOT_YET(network_api_prune)
NOT_YET(container_api_port)
