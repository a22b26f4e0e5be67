/*
 * The network options of run and create, as Docker's CLI reads them:
 * -p/--publish, -P, --expose, --network and its endpoint options
 * (--network-alias, --ip), --dns, --dns-search and --add-host, turned
 * into io.berth.Container.Config's fields (exposed_ports, networks) and
 * HostConfig's (network_mode, port_bindings, publish_all, dns,
 * dns_search, extra_hosts).  Also the PRIVATE_PORT[/PROTO] of
 * "berth port".  No daemon needed: every function is pure.
 *
 * Errors are usage errors (CLI_E_USAGE): run and create print them and
 * exit 125 before anything reaches the daemon.
 */
#ifndef BERTH_PUBLISH_H
#define BERTH_PUBLISH_H

#include <stdbool.h>

#include <jansson.h>

#include "args.h"
#include "error.h"

/* The most container ports one -p or --expose range may name: a typing
 * slip ("1-65535") must not turn into 65535 bindings.  A host range for
 * one container port is one binding and may be longer. */
#define PUBLISH_RANGE_MAX	1024

/*
 * -p [IP:][HOSTPORT:]CONTAINERPORT[/PROTO] (PROTO tcp or udp in any
 * case, empty or absent: tcp; each port may be a range
 * "A-B"; IP IPv4 or empty): PortBinding objects appended to bindings
 * ({container_port, protocol, host_ip?, host_port?, host_port_end?}),
 * and "PORT/PROTO" appended to exposed for each container port not in
 * it yet (a published port is exposed, as Docker's).  A container range
 * with a host range of the same length is published one to one
 * ("8000-8001:80-81"); one container port with a host range takes the
 * first free port of the range (host_port .. host_port_end).
 */
int	publish_parse(const char *spec, json_t *bindings, json_t *exposed,
	    struct berth_error *err);

/* --expose PORT[/PROTO] or START-END[/PROTO]: "PORT/PROTO" strings
 * appended to exposed (no duplicates). */
int	publish_parse_expose(const char *spec, json_t *exposed,
	    struct berth_error *err);

/* --add-host's stand-in for the host as the container reaches it. */
#define PUBLISH_HOST_GATEWAY	"host-gateway"

/* --add-host NAME:IP or NAME=IP (IP v4 or v6, or "host-gateway", which
 * the daemon replaces with the container's gateway address): "NAME:IP"
 * (to free).  NAME has no ':' and no white space (Docker's words:
 * "bad format for add-host"). */
char	*publish_parse_add_host(const char *spec, struct berth_error *err);

/* PRIVATE_PORT[/PROTO] of "berth port": the port and "tcp" or "udp"
 * (tcp when absent). */
int	publish_parse_port(const char *spec, int *port, const char **proto,
	    struct berth_error *err);

/* Whether s is a dotted IPv4 address. */
bool	publish_ipv4_valid(const char *s);

/* Docker's warning when -p or -P come with --network host: they are
 * left out of the Create call. */
#define PUBLISH_DISCARDED_WARNING	"Published ports are discarded when " \
	"using host network mode"

/* Whether a has -p or -P with --network host (they are dropped). */
bool	publish_discarded(const struct args *a);

/*
 * Every network option of run/create in a: the fields of cfg (the
 * Config object) and host (its HostConfig, set even when it ends up
 * empty) filled.  --network-alias and --ip need a user-defined network;
 * container:NAME refuses what a joined namespace cannot have (-p, -P,
 * --expose, --dns*, --add-host, --hostname), as Docker's daemon does.
 */
int	publish_network_options(const struct args *a, json_t *cfg,
	    json_t *host, struct berth_error *err);

#endif
