/*
 * The network registry: networks from the database, their subnets and
 * address leases, and the host's side of them (the bridge, the nftables
 * table and its elements), which exists only while something uses it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "dns.h"
#include "events.h"
#include "json-util.h"
#include "log.h"
#include "nat.h"
#include "netlink.h"
#include "netns.h"
#include "network.h"
#include "store.h"

/* ---- addresses ------------------------------------------------------ */

static uint32_t
mask_of(int prefixlen)
{
	return (prefixlen == 0 ? 0 : htonl(~0u << (32 - prefixlen)));
}

bool
in_subnet(struct in_addr a, struct in_addr net, int prefixlen)
{
	return ((a.s_addr & mask_of(prefixlen)) == net.s_addr);
}

static bool
overlaps(struct in_addr a, int alen, struct in_addr b, int blen)
{
	int len = alen < blen ? alen : blen;

	return ((a.s_addr & mask_of(len)) == (b.s_addr & mask_of(len)));
}

int
cidr_parse(const char *s, struct in_addr *addr, int *prefixlen,
    struct berth_error *err)
{
	char buf[INET_ADDRSTRLEN + 4], *slash, *end, net[INET_ADDRSTRLEN];
	struct in_addr base;
	long len;

	if (strlen(s) >= sizeof(buf) || (slash = strchr(s, '/')) == NULL)
		goto bad;
	memcpy(buf, s, strlen(s) + 1);
	slash = buf + (slash - s);
	*slash++ = '\0';
	errno = 0;
	len = strtol(slash, &end, 10);
	if (*slash == '\0' || *end != '\0' || len < 8 || len > 30 ||
	    inet_pton(AF_INET, buf, addr) != 1)
		goto bad;
	*prefixlen = (int)len;
	base.s_addr = addr->s_addr & mask_of(*prefixlen);
	if (base.s_addr != addr->s_addr) {
		inet_ntop(AF_INET, &base, net, sizeof(net));
		berth_error_set(err, NET_E_CONFIG, 0, "invalid subnet %s: it "
		    "should be %s/%d", s, net, *prefixlen);
		return (berth_error_param_str(err, "field", "subnet"));
	}
	return (0);
bad:
	berth_error_set(err, NET_E_CONFIG, 0, "invalid subnet %s: an IPv4 "
	    "CIDR from /8 to /30, e.g. 172.20.0.0/16", s);
	return (berth_error_param_str(err, "field", "subnet"));
}

/* ---- the registry --------------------------------------------------- */

static void
network_free(struct network *n)
{
	if (n->linger != NULL)
		event_free(n->linger);
	free(n->id);
	free(n->name);
	free(n->driver);
	free(n->bridge);
	json_decref(n->labels);
	free(n);
}

static struct network *
network_new(const char *id, const char *name, const char *driver,
    const char *bridge)
{
	struct network *n;

	if ((n = calloc(1, sizeof(*n))) == NULL)
		return (NULL);
	n->id = strdup(id);
	n->name = strdup(name);
	n->driver = strdup(driver);
	n->bridge = strdup(bridge);
	n->labels = json_object();
	if (n->id == NULL || n->name == NULL || n->driver == NULL ||
	    n->bridge == NULL || n->labels == NULL) {
		network_free(n);
		return (NULL);
	}
	return (n);
}

static int
network_from_row(struct daemon *d, const struct db_network *r,
    struct berth_error *err)
{
	struct network *n;
	json_error_t jerr;

	if ((n = network_new(r->id, r->name, r->driver, r->bridge)) == NULL)
		return (berth_error_sys(err, "network %s", r->name));
	if (cidr_parse(r->subnet, &n->subnet, &n->prefixlen, err) < 0 ||
	    inet_pton(AF_INET, r->gateway, &n->gateway) != 1) {
		network_free(n);
		berth_error_clear(err);
		return (berth_error_set(err, STORE_E_DATABASE, 0, "network "
		    "%s: bad subnet or gateway", r->name));
	}
	n->internal = r->internal;
	n->created = r->created;
	n->d = d;
	n->builtin = strcmp(r->name, NET_DEFAULT) == 0;
	json_decref(n->labels);
	if ((n->labels = json_loads(r->labels, 0, &jerr)) == NULL)
		n->labels = json_object();
	TAILQ_INSERT_TAIL(&d->net->nets, n, entry);
	return (0);
}

/* "host" and "none" are modes, listed as networks as Docker does; their
 * ids are fixed digests of their names. */
static int
add_mode(struct daemon *d, const char *name, const char *driver,
    const char *id, struct berth_error *err)
{
	struct network *n;

	if ((n = network_new(id, name, driver, "")) == NULL)
		return (berth_error_sys(err, "network %s", name));
	n->builtin = true;
	n->created = d->started;
	TAILQ_INSERT_TAIL(&d->net->nets, n, entry);
	return (0);
}

bool
network_user_defined(const struct network *n)
{
	return (!n->builtin);
}

struct network *
network_by_id(struct daemon *d, const char *id)
{
	struct network *n;

	TAILQ_FOREACH(n, &d->net->nets, entry)
		if (strcmp(n->id, id) == 0)
			return (n);
	return (NULL);
}

/* Docker's order: a full id, a name, then a unique id prefix.  err may
 * be NULL. */
int
network_find(struct daemon *d, const char *name, struct network **out,
    struct berth_error *err)
{
	struct network *n, *found = NULL;
	size_t len = strlen(name);
	int matches = 0;

	TAILQ_FOREACH(n, &d->net->nets, entry)
		if (strcmp(n->id, name) == 0) {
			*out = n;
			return (0);
		}
	TAILQ_FOREACH(n, &d->net->nets, entry)
		if (strcmp(n->name, name) == 0) {
			*out = n;
			return (0);
		}
	TAILQ_FOREACH(n, &d->net->nets, entry)
		if (len > 0 && strncmp(n->id, name, len) == 0) {
			found = n;
			matches++;
		}
	if (matches == 1) {
		*out = found;
		return (0);
	}
	if (err == NULL)
		return (-1);
	if (matches > 1)
		berth_error_set(err, NET_E_AMBIGUOUS, 0, "network %s is "
		    "ambiguous (%d matches found based on ID prefix)", name,
		    matches);
	else
		berth_error_set(err, NET_E_NOT_FOUND, 0, "network %s not "
		    "found", name);
	return (berth_error_param_str(err, "network", name));
}

/* ---- subnets -------------------------------------------------------- */

/* Every IPv4 network the host routes or has an address on, and every
 * network of ours. */
static bool
subnet_free(struct daemon *d, const struct rt_nl_net *host, size_t nhost,
    struct in_addr net, int len)
{
	struct network *n;
	size_t i;

	for (i = 0; i < nhost; i++)
		/* A default route overlaps everything and says nothing. */
		if (host[i].prefixlen > 0 && overlaps(host[i].dst,
		    host[i].prefixlen, net, len))
			return (false);
	TAILQ_FOREACH(n, &d->net->nets, entry)
		if (n->bridge[0] != '\0' && overlaps(n->subnet, n->prefixlen,
		    net, len))
			return (false);
	return (true);
}

/* Docker's default pools: 172.17-31.0.0/16, then 192.168.0.0/16 in
 * /20s. */
static int
subnet_pick(struct daemon *d, struct in_addr *net, int *len,
    struct berth_error *err)
{
	struct rt_nl_net *host = NULL;
	size_t nhost = 0;
	int i, rc = -1;

	if (rt_nl_ipv4_nets(d->net->nl, &host, &nhost, err) < 0)
		return (-1);
	for (i = 17; i <= 31; i++) {
		net->s_addr = htonl((172u << 24) | ((unsigned)i << 16));
		*len = 16;
		if (subnet_free(d, host, nhost, *net, *len)) {
			rc = 0;
			goto out;
		}
	}
	for (i = 0; i < 256; i += 16) {
		net->s_addr = htonl((192u << 24) | (168u << 16) |
		    ((unsigned)i << 8));
		*len = 20;
		if (subnet_free(d, host, nhost, *net, *len)) {
			rc = 0;
			goto out;
		}
	}
	berth_error_set(err, NET_E_OVERLAP, 0, "could not find an available, "
	    "non-overlapping IPv4 address pool among the defaults to assign "
	    "to the network");
	berth_error_param_str(err, "subnet", "");
out:
	free(host);
	return (rc);
}

void
network_random_hex(char *out, size_t nbytes)
{
	unsigned char b[32];
	size_t i;

	if (RAND_bytes(b, (int)nbytes) != 1)
		for (i = 0; i < nbytes; i++)
			b[i] = (unsigned char)random();
	for (i = 0; i < nbytes; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

int
network_create(struct daemon *d, const char *name, const char *subnet,
    const char *gateway, bool internal, json_t *labels,
    struct network **out, struct berth_error *err)
{
	struct db_network row;
	struct network *n;
	struct in_addr net, gw;
	struct rt_nl_net *host = NULL;
	size_t nhost = 0;
	char id[65], bridge[16], sub[INET_ADDRSTRLEN + 4];
	char gws[INET_ADDRSTRLEN];
	cleanup_free char *labels_text = NULL;
	cleanup_json json_t *empty = json_object();
	int len;

	if (subnet != NULL) {
		if (cidr_parse(subnet, &net, &len, err) < 0)
			return (-1);
		if (rt_nl_ipv4_nets(d->net->nl, &host, &nhost, err) < 0)
			return (-1);
		if (!subnet_free(d, host, nhost, net, len)) {
			free(host);
			berth_error_set(err, NET_E_OVERLAP, 0, "invalid pool "
			    "request: Pool overlaps with other one on this "
			    "address space (%s)", subnet);
			return (berth_error_param_str(err, "subnet", subnet));
		}
		free(host);
	} else if (gateway != NULL) {
		berth_error_set(err, NET_E_CONFIG, 0, "a gateway needs a "
		    "subnet (--subnet)");
		return (berth_error_param_str(err, "field", "gateway"));
	} else if (subnet_pick(d, &net, &len, err) < 0)
		return (-1);
	if (gateway != NULL) {
		if (inet_pton(AF_INET, gateway, &gw) != 1 ||
		    !in_subnet(gw, net, len) || gw.s_addr == net.s_addr ||
		    gw.s_addr == (net.s_addr | ~mask_of(len))) {
			berth_error_set(err, NET_E_CONFIG, 0, "invalid gateway "
			    "%s: not a host address in the subnet", gateway);
			return (berth_error_param_str(err, "field",
			    "gateway"));
		}
	} else
		gw.s_addr = htonl(ntohl(net.s_addr) + 1);
	network_random_hex(id, 32);
	if (strcmp(name, NET_DEFAULT) == 0)
		snprintf(bridge, sizeof(bridge), "%s", NET_DEFAULT_BRIDGE);
	else
		snprintf(bridge, sizeof(bridge), "br-%.12s", id);
	inet_ntop(AF_INET, &net, sub, INET_ADDRSTRLEN);
	snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), "/%d", len);
	inet_ntop(AF_INET, &gw, gws, sizeof(gws));
	if ((labels_text = json_dumps(labels != NULL ? labels : empty,
	    JSON_COMPACT)) == NULL)
		return (berth_error_sys(err, "network labels"));
	memset(&row, 0, sizeof(row));
	row.id = id;
	row.name = (char *)name;
	row.driver = "bridge";
	row.bridge = bridge;
	row.subnet = sub;
	row.gateway = gws;
	row.internal = internal;
	row.labels = labels_text;
	row.created = time(NULL);
	if (db_network_add(store_db(d->store), &row, err) < 0 ||
	    network_from_row(d, &row, err) < 0)
		return (-1);
	n = TAILQ_LAST(&d->net->nets, network_list);
	log_info("network", "%s (%.12s) created: %s on %s, gateway %s%s",
	    name, id, bridge, sub, gws, internal ? ", internal" : "");
	/* The default network is berthd's own, made at its first start. */
	if (!n->builtin)
		event_emit(d, "network", "create", n->id, json_pack("{s:s, "
		    "s:s}", "name", n->name, "type", "bridge"));
	if (out != NULL)
		*out = n;
	return (0);
}

static void bridge_down(struct daemon *d, struct network *n);

int
network_remove(struct daemon *d, struct network *n, struct berth_error *err)
{
	if (n->builtin) {
		berth_error_set(err, NET_E_BUILTIN, 0, "%s is a pre-defined "
		    "network and cannot be removed", n->name);
		return (berth_error_param_str(err, "network", n->name));
	}
	if (n->users > 0) {
		char who[512] = "";
		struct container *c;

		TAILQ_FOREACH(c, &d->containers, entry)
			if (c->net_state != NULL && json_object_get(
			    json_object_get(c->net_state, "endpoints"),
			    n->id) != NULL && strlen(who) + strlen(c->name) + 3 <
			    sizeof(who))
				snprintf(who + strlen(who), sizeof(who) -
				    strlen(who), "%s%s", who[0] != '\0' ? ", " :
				    "", c->name);
		berth_error_set(err, NET_E_IN_USE, 0, "error while removing "
		    "network: network %s id %s has active endpoints (%s)",
		    n->name, n->id, who);
		berth_error_param_str(err, "network", n->name);
		return (berth_error_param_str(err, "containers", who));
	}
	if (db_network_remove(store_db(d->store), n->id, err) < 0)
		return (-1);
	if (n->up)
		bridge_down(d, n);
	log_info("network", "%s (%.12s) removed", n->name, n->id);
	event_emit(d, "network", "destroy", n->id, json_pack("{s:s, s:s}",
	    "name", n->name, "type", "bridge"));
	TAILQ_REMOVE(&d->net->nets, n, entry);
	network_free(n);
	return (0);
}

/* ---- leases --------------------------------------------------------- */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

/* The first host address from h to last that is neither in used
 * (sorted) nor the gateway; last + 1 if none. */
static uint32_t
free_after(const uint32_t *used, size_t nused, uint32_t h, uint32_t last,
    struct in_addr gw)
{
	size_t i = 0;

	for (; h <= last; h++) {
		while (i < nused && used[i] < h)
			i++;
		if (htonl(h) != gw.s_addr && (i == nused || used[i] != h))
			return (h);
	}
	return (last + 1);
}

int
network_lease(struct daemon *d, struct network *n, const char *container,
    const char *want, const char *ifname, struct in_addr *out,
    struct berth_error *err)
{
	struct store_db *db = store_db(d->store);
	struct db_endpoint *eps = NULL, e;
	struct in_addr a;
	char text[INET_ADDRSTRLEN];
	uint32_t first, last, h, *used = NULL;
	size_t neps = 0, nused = 0, i;
	int rc = -1;

	first = ntohl(n->subnet.s_addr) + 1;
	last = (ntohl(n->subnet.s_addr) | ~ntohl(mask_of(n->prefixlen))) - 1;
	if (want != NULL) {
		if (inet_pton(AF_INET, want, &a) != 1 ||
		    !in_subnet(a, n->subnet, n->prefixlen) ||
		    ntohl(a.s_addr) < first || ntohl(a.s_addr) > last ||
		    a.s_addr == n->gateway.s_addr) {
			berth_error_set(err, NET_E_ADDRESS, 0, "no available "
			    "IPv4 address %s on network %s: not a host "
			    "address of %s/%d", want, n->name,
			    inet_ntop(AF_INET, &n->subnet, text, sizeof(text)),
			    n->prefixlen);
			berth_error_param_str(err, "network", n->name);
			return (berth_error_param_str(err, "address", want));
		}
	} else {
		if (db_endpoint_list(db, n->id, &eps, &neps, err) < 0)
			return (-1);
		/* The first address no endpoint has: the taken ones sorted,
		 * walked beside the candidates. */
		if ((used = calloc(neps + 1, sizeof(*used))) == NULL) {
			berth_error_sys(err, "lease");
			goto out;
		}
		for (i = 0; i < neps; i++)
			if (inet_pton(AF_INET, eps[i].address, &a) == 1)
				used[nused++] = ntohl(a.s_addr);
		qsort(used, nused, sizeof(*used), cmp_u32);
		/* The next free one after the last given, as Docker's: an
		 * address (and its MAC) just released is not handed out at
		 * once, while its old veth may still be on the bridge. */
		if (n->next_host < first || n->next_host > last)
			n->next_host = first;
		h = free_after(used, nused, n->next_host, last, n->gateway);
		if (h > last)
			h = free_after(used, nused, first, last, n->gateway);
		if (h <= last)
			n->next_host = h + 1;
		a.s_addr = htonl(h);
		if (h > last) {
			berth_error_set(err, NET_E_ADDRESS, 0, "no available "
			    "IPv4 addresses on network %s", n->name);
			berth_error_param_str(err, "network", n->name);
			berth_error_param_str(err, "address", "");
			goto out;
		}
	}
	inet_ntop(AF_INET, &a, text, sizeof(text));
	e.network = n->id;
	e.container = (char *)container;
	e.address = text;
	e.ifname = (char *)ifname;
	if (db_endpoint_add(db, &e, err) < 0) {
		if (berth_error_is(err, NET_E_ADDRESS)) {
			berth_error_clear(err);
			berth_error_set(err, NET_E_ADDRESS, 0, "Address "
			    "already in use: %s on network %s", text,
			    n->name);
			berth_error_param_str(err, "network", n->name);
			berth_error_param_str(err, "address", text);
		}
		goto out;
	}
	*out = a;
	rc = 0;
out:
	free(used);
	db_endpoint_list_free(eps, neps);
	return (rc);
}

void
network_release(struct daemon *d, struct network *n, const char *container)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;

	if (db_endpoint_remove(store_db(d->store), n != NULL ? n->id : NULL,
	    container, &err) < 0)
		log_warn("network", "%.12s: release address: %s", container,
		    berth_error_message(&err));
}

/* ---- the host's side ------------------------------------------------ */

static void
nat_net(const struct network *n, struct rt_nat_net *out)
{
	out->bridge = n->bridge;
	out->subnet = n->subnet;
	out->prefixlen = n->prefixlen;
	out->internal = n->internal;
}

/*
 * Containers reach past their bridge only with ip_forward on.  A host
 * that did not forward before must not become a router for anything
 * else: then berth's table drops what is forwarded between interfaces
 * that are not its bridges (m->guard).  A file in the run root says
 * berthd turned it on, for the berthd after a crash (the run root goes
 * with a reboot, as the setting does).
 */
static int
forwarding_on(struct daemon *d, struct berth_error *err)
{
	char mark[4096], value[4] = "";
	int fd;
	ssize_t n;

	snprintf(mark, sizeof(mark), "%s/ip_forward.berth", d->cfg.run_root);
	if ((fd = open("/proc/sys/net/ipv4/ip_forward", O_RDONLY |
	    O_CLOEXEC)) < 0)
		return (berth_error_sys(err, "ip_forward"));
	n = read(fd, value, sizeof(value) - 1);
	close(fd);
	if (n > 0 && value[0] == '1') {
		d->net->guard = access(mark, F_OK) == 0;
		return (0);
	}
	if ((fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return (berth_error_sys(err, "%s", mark));
	close(fd);
	d->net->guard = true;
	log_info("network", "ip_forward turned on for berth's bridges; "
	    "other forwarding stays closed");
	return (rt_sysctl_write(-1, "net/ipv4/ip_forward", "1", err));
}

/* No bridge left: forwarding back off, if berthd turned it on. */
static void
forwarding_off(struct daemon *d)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	char mark[4096];

	snprintf(mark, sizeof(mark), "%s/ip_forward.berth", d->cfg.run_root);
	if (access(mark, F_OK) < 0)
		return;		/* the host's own setting: left as it is */
	if (rt_sysctl_write(-1, "net/ipv4/ip_forward", "0", &err) < 0) {
		log_warn("network", "%s", berth_error_message(&err));
		return;
	}
	(void)unlink(mark);
	d->net->forwarding = false;
	d->net->guard = false;
	log_info("network", "ip_forward turned off again");
}

static int
bridge_up(struct daemon *d, struct network *n, struct berth_error *err)
{
	struct netmgr *m = d->net;
	struct rt_nat_net nn;
	char path[64];

	if (rt_nl_bridge_add(m->nl, n->bridge, err) < 0 ||
	    rt_nl_addr_add(m->nl, n->bridge, n->gateway, n->prefixlen,
	    err) < 0 ||
	    rt_nl_link_up(m->nl, n->bridge, err) < 0)
		return (-1);
	/* Published ports answer on 127.0.0.1 too: DNAT to the bridge
	 * needs loopback sources routable there. */
	snprintf(path, sizeof(path), "net/ipv4/conf/%s/route_localnet",
	    n->bridge);
	if (!n->internal && rt_sysctl_write(-1, path, "1", err) < 0)
		return (-1);
	if (!m->forwarding) {
		if (forwarding_on(d, err) < 0)
			return (-1);
		m->forwarding = true;
	}
	if (!m->nat_up) {
		if (rt_nat_reset(m->nat, err) < 0)
			return (-1);
		m->nat_up = true;
		if (m->guard && rt_nat_close_forwarding(m->nat, true, err) < 0)
			return (-1);
	}
	nat_net(n, &nn);
	return (rt_nat_network_add(m->nat, &nn, err));
}

static void
bridge_down(struct daemon *d, struct network *n)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct netmgr *m = d->net;
	struct rt_nat_net nn;

	if (n->linger != NULL)
		evtimer_del(n->linger);
	nat_net(n, &nn);
	if (m->nat_up && rt_nat_network_del(m->nat, &nn, &err) < 0) {
		log_warn("network", "%s: rules: %s", n->name,
		    berth_error_message(&err));
		berth_error_clear(&err);
	}
	if (rt_nl_link_del(m->nl, n->bridge, &err) < 0) {
		log_warn("network", "%s: bridge %s: %s", n->name, n->bridge,
		    berth_error_message(&err));
		berth_error_clear(&err);
	}
	if (n->up) {
		n->up = false;
		m->nup--;
	}
	if (m->nup > 0)
		return;
	if (m->nat_up) {
		if (rt_nat_destroy(m->nat, &err) < 0)
			log_warn("network", "nftables table: %s",
			    berth_error_message(&err));
		m->nat_up = false;
	}
	forwarding_off(d);
}

static void
linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct network *n = arg;

	(void)fd;
	(void)what;
	if (n->users == 0 && n->up)
		bridge_down(n->d, n);
}

int
network_use(struct daemon *d, struct network *n, struct berth_error *err)
{
	if (n->bridge[0] == '\0')
		return (0);
	if (!n->up) {
		/* Counted up first: bridge_down undoes a half-made one. */
		n->up = true;
		d->net->nup++;
		if (bridge_up(d, n, err) < 0) {
			bridge_down(d, n);
			return (berth_error_wrap(err, "network %s", n->name));
		}
	}
	if (n->linger != NULL)
		evtimer_del(n->linger);
	n->users++;
	d->net->users++;
	return (0);
}

void
network_unuse(struct daemon *d, struct network *n)
{
	struct timeval tv = { .tv_sec = d->cfg.network_linger };

	if (n->bridge[0] == '\0' || n->users == 0)
		return;
	n->users--;
	d->net->users--;
	if (n->users > 0)
		return;
	if (n->linger == NULL)
		n->linger = evtimer_new(d->base, linger_cb, n);
	if (d->cfg.network_linger <= 0 || d->draining || n->linger == NULL ||
	    evtimer_add(n->linger, &tv) < 0)
		bridge_down(d, n);
}

/* ---- lifetime ------------------------------------------------------- */

static int
ensure_default(struct daemon *d, struct berth_error *err)
{
	struct network *n;

	TAILQ_FOREACH(n, &d->net->nets, entry)
		if (strcmp(n->name, NET_DEFAULT) == 0)
			return (0);
	return (network_create(d, NET_DEFAULT, NULL, NULL, false, NULL, NULL,
	    err));
}

int
networks_init(struct daemon *d, struct berth_error *err)
{
	struct db_network *rows = NULL;
	struct netmgr *m;
	size_t n = 0, i;
	int rc = -1;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return (berth_error_sys(err, "networks"));
	m->d = d;
	TAILQ_INIT(&m->nets);
	d->net = m;
	if (rt_nl_open(-1, &m->nl, err) < 0 || rt_nat_open(&m->nat, err) < 0)
		return (berth_error_wrap(err, "networks"));
	/* No resolvers: containers' names still resolve, others fail. */
	if (access(d->cfg.resolv_conf, R_OK) < 0)
		log_warn("network", "%s: %s: the embedded DNS server will "
		    "forward nothing", d->cfg.resolv_conf, strerror(errno));
	if (dns_server_new(d->base, access(d->cfg.resolv_conf, R_OK) == 0 ?
	    d->cfg.resolv_conf : NULL, network_dns_lookup,
	    network_dns_reverse, d, &m->dns, err) < 0)
		return (berth_error_wrap(err, "embedded DNS"));
	if (add_mode(d, "host", "host", "6ab9d4e1c3cfb2b1f2d2e8bb09f8a5d8"
	    "0c0c5a0bd1bcf9f4cd1a1f3b0e0a4e11", err) < 0 ||
	    add_mode(d, "none", "null", "3d2f1e6b5a9c8d7e0f1a2b3c4d5e6f70"
	    "8192a3b4c5d6e7f8091a2b3c4d5e6f70", err) < 0)
		return (-1);
	if (db_network_list(store_db(d->store), &rows, &n, err) < 0)
		return (-1);
	for (i = 0; i < n; i++)
		if (network_from_row(d, &rows[i], err) < 0)
			goto out;
	rc = ensure_default(d, err);
out:
	db_network_list_free(rows, n);
	return (rc);
}

/*
 * After adoption: leases of containers that no longer run go; the
 * table and the bridges are rebuilt for those that do; bridges of ours
 * that nothing uses (a crash) go.
 */
void
networks_resume(struct daemon *d)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store_db *db = store_db(d->store);
	struct db_endpoint *eps = NULL;
	struct container *c;
	struct network *n;
	size_t neps = 0, i;
	int exists;

	if (db_endpoint_list(db, NULL, &eps, &neps, &err) < 0) {
		log_error("network", "%s", berth_error_message(&err));
		return;
	}
	for (i = 0; i < neps; i++) {
		if (container_find(d, eps[i].container, &c, &err) == 0 &&
		    c->state == CTR_RUNNING && c->pidfd >= 0)
			continue;
		berth_error_clear(&err);
		log_info("network", "%.12s: address %s released (it no longer "
		    "runs)", eps[i].container, eps[i].address);
		network_release(d, network_by_id(d, eps[i].network),
		    eps[i].container);
	}
	db_endpoint_list_free(eps, neps);
	/* A table left by a killed berthd goes, whatever it held. */
	if (rt_nat_destroy(d->net->nat, &err) < 0) {
		log_warn("network", "nftables table: %s",
		    berth_error_message(&err));
		berth_error_clear(&err);
	}
	TAILQ_FOREACH(n, &d->net->nets, entry) {
		if (n->bridge[0] == '\0')
			continue;
		if ((exists = rt_nl_link_exists(d->net->nl, n->bridge, NULL,
		    &err)) > 0 && rt_nl_link_del(d->net->nl, n->bridge,
		    &err) == 0)
			log_info("network", "%s: bridge %s left by a previous "
			    "berthd removed", n->name, n->bridge);
		berth_error_clear(&err);
	}
	TAILQ_FOREACH(c, &d->containers, entry)
		if (c->state == CTR_RUNNING && c->pidfd >= 0 &&
		    network_container_adopt(c, &err) < 0) {
			log_warn("network", "%.12s: %s", c->id,
			    berth_error_message(&err));
			berth_error_clear(&err);
		}
	if (d->net->users == 0)
		forwarding_off(d);
}

void
networks_free(struct daemon *d)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct netmgr *m = d->net;
	struct network *n;

	if (m == NULL)
		return;
	/* Lingering bridges go now; then the table with the last. */
	TAILQ_FOREACH(n, &m->nets, entry)
		if (n->up && n->users == 0)
			bridge_down(d, n);
	while ((n = TAILQ_FIRST(&m->nets)) != NULL) {
		TAILQ_REMOVE(&m->nets, n, entry);
		network_free(n);
	}
	if (m->dns != NULL)
		dns_server_free(m->dns);
	free(m->port_users[0]);
	free(m->port_users[1]);
	if (m->nat != NULL)
		rt_nat_close(m->nat);
	if (m->nl != NULL)
		rt_nl_close(m->nl);
	free(m);
	d->net = NULL;
}
