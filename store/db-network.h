/*
 * Networks and their address leases in the metadata database.
 *
 * A network row is a bridge network's definition; an endpoint row is a
 * running container's address on it, inserted before the container
 * starts and deleted when it stops.  UNIQUE (network, address) is what
 * keeps two containers from one address, even across a crash.
 */
#ifndef BERTH_STORE_DB_NETWORK_H
#define BERTH_STORE_DB_NETWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define NET_E_NOT_FOUND		"io.berth.Network.NotFound"
#define NET_E_AMBIGUOUS		"io.berth.Network.AmbiguousId"
#define NET_E_NAME_IN_USE	"io.berth.Network.NameInUse"
#define NET_E_BUILTIN		"io.berth.Network.Builtin"
#define NET_E_IN_USE		"io.berth.Network.InUse"
#define NET_E_CONFIG		"io.berth.Network.InvalidConfig"
#define NET_E_OVERLAP		"io.berth.Network.PoolOverlap"
#define NET_E_ADDRESS		"io.berth.Network.AddressUnavailable"
#define NET_E_PORT		"io.berth.Network.PortInUse"
#define NET_E_CONNECTED		"io.berth.Network.AlreadyConnected"
#define NET_E_NOT_CONNECTED	"io.berth.Network.NotConnected"

struct store_db;

struct db_network {
	char		*id;
	char		*name;
	char		*driver;
	char		*bridge;
	char		*subnet;	/* "172.18.0.0/16" */
	char		*gateway;	/* "172.18.0.1" */
	bool		 internal;
	char		*labels;	/* a JSON object */
	int64_t		 created;	/* seconds */
};

struct db_endpoint {
	char		*network;	/* id */
	char		*container;	/* id */
	char		*address;
	char		*ifname;
};

int	db_network_add(struct store_db *db, const struct db_network *n,
	    struct berth_error *err);
int	db_network_remove(struct store_db *db, const char *id,
	    struct berth_error *err);
int	db_network_list(struct store_db *db, struct db_network **out,
	    size_t *n, struct berth_error *err);
void	db_network_list_free(struct db_network *v, size_t n);

/* NET_E_ADDRESS when the address is taken on that network. */
int	db_endpoint_add(struct store_db *db, const struct db_endpoint *e,
	    struct berth_error *err);
/* network NULL: every endpoint of the container. */
int	db_endpoint_remove(struct store_db *db, const char *network,
	    const char *container, struct berth_error *err);
/* Endpoints of a network (network NULL: all). */
int	db_endpoint_list(struct store_db *db, const char *network,
	    struct db_endpoint **out, size_t *n, struct berth_error *err);
void	db_endpoint_list_free(struct db_endpoint *v, size_t n);

#endif
