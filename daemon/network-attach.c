/*
 * A container's side of its networks.  Before the spawn berthd makes
 * the container's network namespace itself (rt_netns_new) and hands it
 * to the runtime as a path to join, so that the veths, addresses,
 * routes, published ports and the DNS listener are all in place before
 * the process runs, and nothing waits on the child.
 *
 * What it made is recorded in c->net_state (saved with the container):
 *
 *	{"mode": "bridge",
 *	 "endpoints": {NETWORK-ID: {"network", "address", "prefixlen",
 *	     "gateway", "mac", "ifname", "veth", "aliases": [...]}},
 *	 "ports": [{"container_port", "protocol", "host_ip", "host_port",
 *	     "address"}]}
 *
 * so that teardown, adoption after a crash and inspect work from it.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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
#include "spec.h"
#include "store.h"

#define PORT_AUTO_FIRST	32768	/* Docker's ephemeral range */
#define PORT_AUTO_LAST	60999

static json_t *
host_setting(struct container *c, const char *key)
{
	return (json_object_get(json_object_get(c->config, "host"), key));
}

const char *
network_mode_of(struct container *c)
{
	json_t *v = host_setting(c, "network_mode");

	return (json_string_length(v) > 0 ? json_string_value(v) :
	    NET_DEFAULT);
}

static json_t *
endpoints_of(struct container *c)
{
	return (json_object_get(c->net_state, "endpoints"));
}

/* ---- /etc/hosts, /etc/resolv.conf, /etc/hostname --------------------- */

static int
write_file(struct container *c, const char *name, const char *text,
    char *path, size_t size, struct berth_error *err)
{
	char tmp[4096 + sizeof(".tmp")];
	size_t len = strlen(text);
	int fd;

	snprintf(path, size, "%s/containers/%s/%s", c->d->cfg.root, c->id,
	    name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644)) < 0)
		return (berth_error_sys(err, "%s", tmp));
	if (write(fd, text, len) != (ssize_t)len) {
		berth_error_sys(err, "write %s", tmp);
		close(fd);
		unlink(tmp);
		return (-1);
	}
	close(fd);
	if (rename(tmp, path) < 0) {
		berth_error_sys(err, "rename %s", tmp);
		unlink(tmp);
		return (-1);
	}
	return (0);
}

static char *
read_text(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL)
		return (strdup(""));
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return (buf);
}

static bool
user_mounts(const struct rt_spec *spec, const char *dst)
{
	size_t i;

	for (i = 0; i < spec->nmounts; i++)
		if (strcmp(spec->mounts[i].destination, dst) == 0)
			return (true);
	return (false);
}

static int
bind_file(struct rt_spec *spec, const char *dst, const char *src,
    struct berth_error *err)
{
	const char *opts[] = { "rbind", "rprivate" };
	struct rt_mount m;

	/* The user's own -v /x:/etc/hosts wins, as in Docker. */
	if (user_mounts(spec, dst))
		return (0);
	if (spec_add_mount(spec, dst, "bind", src, opts, 2, err) < 0)
		return (-1);
	/* Ours go first, so that a user's mount below them stays on top. */
	m = spec->mounts[spec->nmounts - 1];
	memmove(spec->mounts + 1, spec->mounts, (spec->nmounts - 1) *
	    sizeof(*spec->mounts));
	spec->mounts[0] = m;
	return (0);
}

/* A FILE * on a growing string (open_memstream). */
struct text {
	char	*buf;
	size_t	 len;
	FILE	*f;
};

static int
text_open(struct text *t, struct berth_error *err)
{
	t->buf = NULL;
	t->len = 0;
	if ((t->f = open_memstream(&t->buf, &t->len)) == NULL)
		return (berth_error_sys(err, "memstream"));
	return (0);
}

static void
text_close(struct text *t)
{
	if (t->f != NULL)
		fclose(t->f);
	t->f = NULL;
}

static void
text_free(struct text *t)
{
	text_close(t);
	free(t->buf);
	t->buf = NULL;
}

/* The end of every file bound over /etc/NAME: close t, write it as the
 * container's NAME, bind that over /etc/NAME; t is freed either way. */
static int
text_install(struct container *c, struct rt_spec *spec, struct text *t,
    const char *name, struct berth_error *err)
{
	char path[4096], dst[64];
	int rc = -1;

	text_close(t);
	if (t->buf == NULL) {
		berth_error_sys(err, "%s", name);
		goto out;
	}
	snprintf(dst, sizeof(dst), "/etc/%s", name);
	if (write_file(c, name, t->buf, path, sizeof(path), err) < 0 ||
	    bind_file(spec, dst, path, err) < 0)
		goto out;
	rc = 0;
out:
	text_free(t);
	return (rc);
}

/*
 * NAME:IP or NAME=IP (--add-host): "IP\tNAME".  host-gateway is an
 * address of the host's the container reaches: its first network's
 * gateway (the host's end of that bridge, there while it runs), or
 * 127.0.0.1 with the host's network.  Docker's is docker0's address,
 * which berth's default bridge only has while something uses it.
 */
static int
extra_hosts(struct container *c, FILE *f, const char *host_gw,
    struct berth_error *err)
{
	struct in6_addr a6;
	const char *ip;
	json_t *v;
	size_t i, len;

	json_array_foreach(host_setting(c, "extra_hosts"), i, v) {
		const char *s = json_string_value(v), *sep;

		if (s == NULL || ((sep = strchr(s, '=')) == NULL &&
		    (sep = strchr(s, ':')) == NULL))
			goto bad;
		len = (size_t)(sep - s);
		ip = sep + 1;
		if (strcmp(ip, "host-gateway") == 0)
			ip = host_gw;
		if (len == 0 || strcspn(s, " \t\r\n") < len ||
		    (inet_pton(AF_INET, ip, &a6) != 1 &&
		    inet_pton(AF_INET6, ip, &a6) != 1))
			goto bad;
		fprintf(f, "%s\t%.*s\n", ip, (int)len, s);
		continue;
bad:
		berth_error_set(err, CTR_E_CONFIG, 0, "invalid IP address in "
		    "add-host: \"%s\"", s != NULL ? s : "");
		return (berth_error_param_str(err, "field", "extra_hosts"));
	}
	return (0);
}

/* What host-gateway means for c (see extra_hosts). */
static const char *
host_gateway(struct container *c, bool host_mode, char *buf, size_t size)
{
	struct network *n;
	const char *key;
	json_t *ep;

	if (host_mode)
		return ("127.0.0.1");
	json_object_foreach(endpoints_of(c), key, ep)
		if (json_is_true(json_object_get(ep, "route")) ||
		    json_object_size(endpoints_of(c)) == 1)
			return (json_string_value(json_object_get(ep,
			    "gateway")));
	/* None: nothing is reachable; what Docker writes. */
	if (network_find(c->d, NET_DEFAULT, &n, NULL) == 0)
		return (inet_ntop(AF_INET, &n->gateway, buf, size));
	return ("172.17.0.1");
}

static int
hosts_file(struct container *c, struct rt_spec *spec, const char *addr,
    bool host_mode, struct berth_error *err)
{
	char gw[INET_ADDRSTRLEN];
	struct text t;

	if (text_open(&t, err) < 0)
		return (-1);
	if (host_mode) {
		cleanup_free char *h = read_text("/etc/hosts");

		fputs(h != NULL ? h : "", t.f);
	} else
		fputs("127.0.0.1\tlocalhost\n"
		    "::1\tlocalhost ip6-localhost ip6-loopback\n"
		    "fe00::0\tip6-localnet\n"
		    "ff00::0\tip6-mcastprefix\n"
		    "ff02::1\tip6-allnodes\n"
		    "ff02::2\tip6-allrouters\n", t.f);
	if (extra_hosts(c, t.f, host_gateway(c, host_mode, gw, sizeof(gw)),
	    err) < 0)
		goto out;
	if (addr != NULL)
		fprintf(t.f, "%s\t%s\n", addr, spec->hostname);
	return (text_install(c, spec, &t, "hosts", err));
out:
	text_free(&t);
	return (-1);
}

static bool
loopback_server(const char *line)
{
	char addr[64];

	return (sscanf(line, "nameserver %63s", addr) == 1 &&
	    (strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0));
}

/* Only loopback nameservers (systemd-resolved's 127.0.0.53): what the
 * stub forwards to is in resolved's own file, as Docker reads it. */
static char *
host_resolvers(const char *path)
{
	char *text = read_text(path), *copy, *line, *save = NULL;
	bool any = false, remote = false;

	if (text == NULL || (copy = strdup(text)) == NULL)
		return (text);
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "nameserver", 10) == 0) {
			any = true;
			remote |= !loopback_server(line);
		}
	free(copy);
	if (any && !remote && access("/run/systemd/resolve/resolv.conf",
	    R_OK) == 0) {
		free(text);
		text = read_text("/run/systemd/resolve/resolv.conf");
	}
	return (text);
}

/*
 * Docker's rules: on a user-defined network the embedded server; else
 * --dns and --dns-search, else the host's file without loopback
 * servers (unreachable from a namespace of its own), and Google's if
 * none is left.  With the host's network, the host's file as it is.
 */
static int
resolv_file(struct container *c, struct rt_spec *spec, bool embedded,
    bool host_mode, struct berth_error *err)
{
	cleanup_free char *host = host_mode ? read_text(c->d->cfg.resolv_conf) :
	    host_resolvers(c->d->cfg.resolv_conf);
	json_t *dns = host_setting(c, "dns"), *search =
	    host_setting(c, "dns_search"), *v;
	char *line, *save = NULL;
	int servers = 0;
	struct text t;
	size_t i;

	if (text_open(&t, err) < 0)
		return (-1);
	if (embedded) {
		fputs("# berthd's embedded DNS server: containers by name, "
		    "others forwarded", t.f);
		json_array_foreach(dns, i, v)
			fprintf(t.f, "%s%s", i == 0 ? " to " : ", ",
			    json_string_value(v));
		fputs("\nnameserver " DNS_ADDRESS "\n", t.f);
	}
	else
		json_array_foreach(dns, i, v) {
			fprintf(t.f, "nameserver %s\n", json_string_value(v));
			servers++;
		}
	if (json_array_size(search) > 0) {
		fputs("search", t.f);
		json_array_foreach(search, i, v)
			fprintf(t.f, " %s", json_string_value(v));
		fputs("\n", t.f);
	}
	for (line = strtok_r(host, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		bool ns = strncmp(line, "nameserver", 10) == 0 &&
		    isspace((unsigned char)line[10]);

		if (ns && (embedded || json_array_size(dns) > 0 ||
		    (!host_mode && loopback_server(line))))
			continue;
		if ((strncmp(line, "search", 6) == 0 ||
		    strncmp(line, "domain", 6) == 0) &&
		    json_array_size(search) > 0)
			continue;
		if (embedded && strncmp(line, "options", 7) == 0)
			continue;
		fprintf(t.f, "%s\n", line);
		servers += ns;
	}
	if (embedded)
		fputs("options ndots:0\n", t.f);
	else if (servers == 0 && !host_mode)
		fputs("nameserver 8.8.8.8\nnameserver 8.8.4.4\n", t.f);
	return (text_install(c, spec, &t, "resolv.conf", err));
}

/*
 * Docker's init layer: the files bound over /etc/hosts, /etc/hostname
 * and /etc/resolv.conf exist in a layer of the container's own just
 * above the image's, so the bind targets are never created in its upper
 * directory (diff and commit stay free of them).
 */
static int
init_layer(struct container *c, struct rt_spec *spec, struct berth_error *err)
{
	const char *files[] = { "hosts", "hostname", "resolv.conf" };
	char dir[4096], path[4200], **lower;
	size_t i, n;
	int fd;

	if (spec->overlay_lower == NULL)
		return (0);
	snprintf(dir, sizeof(dir), "%s/containers/%s/init", c->d->cfg.root,
	    c->id);
	snprintf(path, sizeof(path), "%s/etc", dir);
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(path, 0755) < 0 && errno != EEXIST))
		return (berth_error_sys(err, "init layer %s", path));
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/etc/%s", dir, files[i]);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
		    O_NOFOLLOW, 0644)) < 0)
			return (berth_error_sys(err, "init layer %s", path));
		close(fd);
	}
	for (n = 0; spec->overlay_lower[n] != NULL; n++)
		;
	if ((lower = calloc(n + 2, sizeof(*lower))) == NULL ||
	    (lower[0] = strdup(dir)) == NULL) {
		free(lower);
		return (berth_error_sys(err, "init layer"));
	}
	memcpy(lower + 1, spec->overlay_lower, n * sizeof(*lower));
	free(spec->overlay_lower);
	spec->overlay_lower = lower;
	return (0);
}

static int
hostname_file(struct container *c, struct rt_spec *spec,
    struct berth_error *err)
{
	struct text t;

	if (text_open(&t, err) < 0)
		return (-1);
	fprintf(t.f, "%s\n", spec->hostname);
	return (text_install(c, spec, &t, "hostname", err));
}

/* ---- endpoints ------------------------------------------------------ */

/* An endpoint's id (random, as Docker's) and its host veth's name from
 * it: two containers never share one. */
static void
endpoint_id(char id[65], char veth[16])
{
	network_random_hex(id, 32);
	snprintf(veth, 16, NET_VETH_PREFIX "%.11s", id);
}

/* Docker's: 02:42 and the address. */
static void
mac_of(struct in_addr a, unsigned char mac[6], char *text, size_t len)
{
	const unsigned char *b = (const unsigned char *)&a.s_addr;

	mac[0] = 0x02;
	mac[1] = 0x42;
	memcpy(mac + 2, b, 4);
	snprintf(text, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
	    mac[2], mac[3], mac[4], mac[5]);
}

/* eth0, eth1, ...: the first name no endpoint has. */
static void
next_ifname(struct container *c, char out[16])
{
	const char *key;
	json_t *ep;
	int i;

	for (i = 0;; i++) {
		bool used = false;

		snprintf(out, 16, "eth%d", i);
		json_object_foreach(endpoints_of(c), key, ep)
			if (strcmp(json_string_value(json_object_get(ep,
			    "ifname")), out) == 0)
				used = true;
		if (!used)
			return;
	}
}

static int
endpoint_up(struct container *c, struct rt_nl *inside, struct network *n,
    json_t *epconf, bool route, struct berth_error *err)
{
	struct netmgr *m = c->d->net;
	json_t *aliases = json_object_get(epconf, "aliases");
	const char *want = json_string_value(json_object_get(epconf,
	    "ipv4_address"));
	char veth[16], ifname[16], addr[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	char mactext[18], epid[65];
	unsigned char mac[6];
	struct in_addr a;
	json_t *ep;

	if (n->bridge[0] == '\0') {
		berth_error_set(err, NET_E_CONFIG, 0, "container cannot be "
		    "connected to network %s with other networks: it is the "
		    "%s mode", n->name, n->name);
		return (berth_error_param_str(err, "field", "networks"));
	}
	if (json_object_get(endpoints_of(c), n->id) != NULL) {
		berth_error_set(err, NET_E_CONNECTED, 0, "endpoint with name "
		    "%s already exists in network %s", c->name, n->name);
		berth_error_param_str(err, "network", n->name);
		return (berth_error_param_str(err, "container", c->name));
	}
	if (!network_user_defined(n) && (want != NULL ||
	    json_array_size(aliases) > 0)) {
		berth_error_set(err, NET_E_CONFIG, 0, want != NULL ? "user "
		    "specified IP address is supported on user defined "
		    "networks only" : "network-scoped alias is supported "
		    "only for containers in user defined networks");
		return (berth_error_param_str(err, "field", want != NULL ?
		    "ipv4_address" : "aliases"));
	}
	next_ifname(c, ifname);
	endpoint_id(epid, veth);
	if (network_use(c->d, n, err) < 0)
		return (-1);
	if (network_lease(c->d, n, c->id, want, ifname, &a, err) < 0) {
		network_unuse(c->d, n);
		return (-1);
	}
	inet_ntop(AF_INET, &a, addr, sizeof(addr));
	inet_ntop(AF_INET, &n->gateway, gw, sizeof(gw));
	mac_of(a, mac, mactext, sizeof(mactext));
	/* Recorded before the links exist: teardown undoes what is
	 * there of it. */
	ep = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:o, s:b, "
	    "s:b}", "id", epid,
	    "network", n->name, "address", addr, "prefixlen", n->prefixlen,
	    "gateway", gw, "mac", mactext, "ifname", ifname, "veth", veth,
	    "aliases", json_is_array(aliases) ? json_incref(aliases) :
	    json_array(), "up", true, "route", route && !n->internal);
	if (ep == NULL || json_object_set_new(endpoints_of(c), n->id,
	    ep) < 0) {
		network_release(c->d, n, c->id);
		network_unuse(c->d, n);
		return (berth_error_sys(err, "endpoint"));
	}
	if (rt_nl_veth_add(m->nl, veth, ifname, c->netns_fd, err) < 0 ||
	    rt_nl_link_set_master(m->nl, veth, n->bridge, err) < 0 ||
	    rt_nl_link_up(m->nl, veth, err) < 0 ||
	    rt_nl_link_set_mac(inside, ifname, mac, err) < 0 ||
	    rt_nl_addr_add(inside, ifname, a, n->prefixlen, err) < 0 ||
	    rt_nl_link_up(inside, ifname, err) < 0 ||
	    (route && !n->internal && rt_nl_route_add_default(inside,
	    n->gateway, ifname, err) < 0))
		return (berth_error_wrap(err, "network %s", n->name));
	return (0);
}

static void unpublish(struct container *c, const char *address);

/*
 * An endpoint goes.  Deleting a veth blocks in the kernel for an RCU
 * grace period (10-20 ms here); when the container's namespace is going
 * anyway (its process is gone, berthd's fds on it closed next), the
 * kernel deletes the pair itself, off berthd's thread.  unlink: the
 * namespace stays (disconnect), so the host side is deleted now.
 */
static void
endpoint_down(struct container *c, const char *netid, json_t *ep,
    bool unlink)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct netmgr *m = c->d->net;
	struct network *n = network_by_id(c->d, netid);
	const char *veth = json_string_value(json_object_get(ep, "veth"));

	/* Its published ports go with its address, which the next
	 * container on the network may get. */
	unpublish(c, json_string_value(json_object_get(ep, "address")));
	if (unlink && veth != NULL && rt_nl_link_del(m->nl, veth, &err) < 0)
		log_warn("network", "%.12s: %s: %s", c->id, veth,
		    berth_error_message(&err));
	network_release(c->d, n, c->id);
	if (n != NULL && json_is_true(json_object_get(ep, "up")))
		network_unuse(c->d, n);
	json_object_set_new(ep, "up", json_false());
}

/* ---- published ports ------------------------------------------------ */

static int
proto_of(const char *s)
{
	return (s != NULL && strcmp(s, "udp") == 0 ? IPPROTO_UDP :
	    IPPROTO_TCP);
}

/*
 * How many bindings hold each host port, by protocol: picking a port
 * then looks at the containers' bindings only for a port some binding
 * holds, not for every candidate.
 */
static void
port_count(struct daemon *d, int proto, int port, int delta)
{
	uint16_t **v = &d->net->port_users[proto == IPPROTO_UDP];

	if (*v == NULL && (*v = calloc(65536, sizeof(**v))) == NULL)
		return;
	if (delta > 0 || (*v)[port] > 0)
		(*v)[port] += delta;
}

/* 1 taken by another binding or a process of the host's, 0 free, -1
 * ip is no address of the host's. */
static int
port_taken(struct daemon *d, int proto, struct in_addr ip, int port)
{
	uint16_t *users = d->net->port_users[proto == IPPROTO_UDP];
	struct sockaddr_in sa;
	struct container *o;
	json_t *p;
	size_t i;
	int s, one = 1, rc = 0;

	if (users != NULL && users[port] > 0)
		TAILQ_FOREACH(o, &d->containers, entry)
			json_array_foreach(json_object_get(o->net_state,
			    "ports"), i, p) {
				struct in_addr oip;

				if (proto_of(json_string_value(json_object_get(
				    p, "protocol"))) != proto ||
				    json_integer_value(json_object_get(p,
				    "host_port")) != port)
					continue;
				if (inet_pton(AF_INET, json_string_value(
				    json_object_get(p, "host_ip")), &oip) != 1 ||
				    oip.s_addr == INADDR_ANY ||
				    ip.s_addr == INADDR_ANY ||
				    oip.s_addr == ip.s_addr)
					return (1);
			}
	/* Nothing holds it, as Docker's proxy would: a process of the
	 * host's bound there would be shadowed by the DNAT. */
	if ((s = socket(AF_INET, (proto == IPPROTO_UDP ? SOCK_DGRAM :
	    SOCK_STREAM) | SOCK_CLOEXEC, 0)) < 0)
		return (0);
	(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr = ip;
	sa.sin_port = htons((uint16_t)port);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		rc = errno == EADDRINUSE ? 1 : errno == EADDRNOTAVAIL ? -1 : 0;
	close(s);
	return (rc);
}

/* 0 and *out, or -1: none free (errno EADDRINUSE), or ip is not the
 * host's (EADDRNOTAVAIL). */
static int
port_pick(struct daemon *d, int proto, struct in_addr ip, int first,
    int last, int *out)
{
	struct netmgr *m = d->net;
	int i, n, p, t;

	if (first == 0) {
		first = PORT_AUTO_FIRST;
		last = PORT_AUTO_LAST;
		if (m->next_port < PORT_AUTO_FIRST || m->next_port >
		    PORT_AUTO_LAST)
			m->next_port = PORT_AUTO_FIRST;
		p = m->next_port;
	} else
		p = first;
	n = last - first + 1;
	for (i = 0; i < n; i++, p = p == last ? first : p + 1) {
		if ((t = port_taken(d, proto, ip, p)) < 0) {
			errno = EADDRNOTAVAIL;
			return (-1);
		}
		if (t == 0) {
			if (first == PORT_AUTO_FIRST && last == PORT_AUTO_LAST)
				m->next_port = p == last ? first : p + 1;
			*out = p;
			return (0);
		}
	}
	errno = EADDRINUSE;
	return (-1);
}

static int
publish_one(struct container *c, struct in_addr to, int cport,
    const char *protocol, const char *host_ip, int first, int last,
    struct berth_error *err)
{
	struct in_addr ip = { .s_addr = INADDR_ANY };
	char ipt[INET_ADDRSTRLEN], tot[INET_ADDRSTRLEN];
	int proto = proto_of(protocol), hport;

	if (host_ip != NULL && host_ip[0] != '\0' &&
	    inet_pton(AF_INET, host_ip, &ip) != 1) {
		berth_error_set(err, CTR_E_CONFIG, 0, "invalid host IP %s of "
		    "a published port (IPv4 only)", host_ip);
		return (berth_error_param_str(err, "field", "port_bindings"));
	}
	if (cport < 1 || cport > 65535 || first < 0 || first > 65535 ||
	    last < first || last > 65535) {
		berth_error_set(err, CTR_E_CONFIG, 0, "invalid port binding "
		    "%d-%d:%d", first, last, cport);
		return (berth_error_param_str(err, "field", "port_bindings"));
	}
	if (port_pick(c->d, proto, ip, first, last, &hport) < 0) {
		inet_ntop(AF_INET, &ip, ipt, sizeof(ipt));
		if (errno == EADDRNOTAVAIL)
			berth_error_set(err, NET_E_PORT, 0, "driver failed "
			    "programming external connectivity: listen %s "
			    "%s:%d: bind: cannot assign requested address",
			    protocol, ipt, first);
		else if (first == 0)
			berth_error_set(err, NET_E_PORT, 0, "no free host "
			    "port left for %d/%s", cport, protocol);
		else
			berth_error_set(err, NET_E_PORT, 0, "driver failed "
			    "programming external connectivity: Bind for "
			    "%s:%d failed: port is already allocated", ipt,
			    first);
		berth_error_param_str(err, "host_ip", ipt);
		berth_error_param_int(err, "host_port", first);
		return (berth_error_param_str(err, "protocol", protocol));
	}
	/* Recorded (and counted) now; the rules come for all of them at
	 * once (publish). */
	port_count(c->d, proto, hport, 1);
	inet_ntop(AF_INET, &ip, ipt, sizeof(ipt));
	inet_ntop(AF_INET, &to, tot, sizeof(tot));
	json_array_append_new(json_object_get(c->net_state, "ports"),
	    json_pack("{s:i, s:s, s:s, s:i, s:s}", "container_port", cport,
	    "protocol", proto == IPPROTO_UDP ? "udp" : "tcp", "host_ip", ipt,
	    "host_port", hport, "address", tot));
	return (0);
}

/* The rules of the recorded ports published to address (NULL: all),
 * for one transaction; *n of them in *out (the caller frees it). */
static int
nat_ports_of(struct container *c, const char *address,
    struct rt_nat_port **out, size_t *n)
{
	json_t *ports = json_object_get(c->net_state, "ports"), *p;
	struct rt_nat_port *v;
	size_t i;

	*n = 0;
	if ((*out = v = calloc(json_array_size(ports) + 1,
	    sizeof(*v))) == NULL)
		return (-1);
	json_array_foreach(ports, i, p) {
		if (address != NULL && strcmp(address, json_string_value(
		    json_object_get(p, "address"))) != 0)
			continue;
		v[*n].proto = proto_of(json_string_value(json_object_get(p,
		    "protocol")));
		v[*n].host_port = (uint16_t)json_integer_value(json_object_get(
		    p, "host_port"));
		v[*n].port = (uint16_t)json_integer_value(json_object_get(p,
		    "container_port"));
		if (inet_pton(AF_INET, json_string_value(json_object_get(p,
		    "host_ip")), &v[*n].host_ip) == 1 && inet_pton(AF_INET,
		    json_string_value(json_object_get(p, "address")),
		    &v[*n].addr) == 1)
			(*n)++;
	}
	return (0);
}

/* The ports published to address (NULL: all of them) go. */
static void
unpublish(struct container *c, const char *address)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	json_t *ports = json_object_get(c->net_state, "ports"), *p;
	cleanup_free struct rt_nat_port *v = NULL;
	size_t i, n;

	if (nat_ports_of(c, address, &v, &n) == 0 && n > 0 &&
	    c->d->net->nat_up && rt_nat_ports_del(c->d->net->nat, v, n,
	    &err) < 0)
		log_warn("network", "%.12s: ports: %s", c->id,
		    berth_error_message(&err));
	for (i = 0; i < json_array_size(ports);) {
		p = json_array_get(ports, i);
		if (address != NULL && strcmp(address, json_string_value(
		    json_object_get(p, "address"))) != 0) {
			i++;
			continue;
		}
		port_count(c->d, proto_of(json_string_value(json_object_get(p,
		    "protocol"))), (int)json_integer_value(json_object_get(p,
		    "host_port")), -1);
		json_array_remove(ports, i);
	}
}

/* "80/tcp" -> 80, "tcp"; false when it is not one. */
static bool
exposed_parse(const char *s, int *port, char proto[4])
{
	char *end;
	long p;

	p = strtol(s, &end, 10);
	if (end == s || p < 1 || p > 65535)
		return (false);
	*port = (int)p;
	snprintf(proto, 4, "%s", *end == '/' && strcmp(end + 1, "udp") == 0 ?
	    "udp" : "tcp");
	return (*end == '\0' || *end == '/');
}

static bool
bound(json_t *bindings, int port, const char *proto)
{
	json_t *b;
	size_t i;

	json_array_foreach(bindings, i, b)
		if (json_integer_value(json_object_get(b, "container_port")) ==
		    port && strcmp(json_string_length(json_object_get(b,
		    "protocol")) > 0 ? json_string_value(json_object_get(b,
		    "protocol")) : "tcp", proto) == 0)
			return (true);
	return (false);
}

static int
pick_ports(struct container *c, struct in_addr to, struct berth_error *err)
{
	json_t *bindings = host_setting(c, "port_bindings"), *b, *v;
	const char *key;
	char proto[4];
	size_t i;
	int port;

	json_array_foreach(bindings, i, b) {
		int first = (int)json_integer_value(json_object_get(b,
		    "host_port"));
		int last = json_is_integer(json_object_get(b,
		    "host_port_end")) ? (int)json_integer_value(
		    json_object_get(b, "host_port_end")) : first;
		const char *pr = json_string_value(json_object_get(b,
		    "protocol"));

		if (publish_one(c, to, (int)json_integer_value(
		    json_object_get(b, "container_port")), pr != NULL ? pr :
		    "tcp", json_string_value(json_object_get(b, "host_ip")),
		    first, last, err) < 0)
			return (-1);
	}
	if (!json_is_true(host_setting(c, "publish_all")))
		return (0);
	/* -P: every exposed port not bound already, on a free port. */
	json_object_foreach(json_object_get(c->image_config, "ExposedPorts"),
	    key, v)
		if (exposed_parse(key, &port, proto) &&
		    !bound(bindings, port, proto) && publish_one(c, to, port,
		    proto, NULL, 0, 0, err) < 0)
			return (-1);
	json_array_foreach(json_object_get(c->config, "exposed_ports"), i, v)
		if (exposed_parse(json_string_value(v), &port, proto) &&
		    !bound(bindings, port, proto) &&
		    (json_object_get(json_object_get(c->image_config,
		    "ExposedPorts"), json_string_value(v)) == NULL) &&
		    publish_one(c, to, port, proto, NULL, 0, 0, err) < 0)
			return (-1);
	return (0);
}

/* Its ports picked and recorded, then their rules in one transaction. */
static int
publish(struct container *c, struct in_addr to, struct berth_error *err)
{
	cleanup_free struct rt_nat_port *v = NULL;
	size_t n;

	if (pick_ports(c, to, err) < 0)
		return (-1);
	if (nat_ports_of(c, NULL, &v, &n) < 0)
		return (berth_error_sys(err, "ports"));
	return (rt_nat_ports_add(c->d->net->nat, v, n, err));
}

/* ---- set-up and teardown -------------------------------------------- */

json_t *
network_container_networks(struct container *c)
{
	json_t *names = json_array(), *nets = json_object_get(c->config,
	    "networks"), *v;
	const char *mode = network_mode_of(c), *key;

	json_array_append_new(names, json_string(mode));
	json_object_foreach(nets, key, v)
		if (strcmp(key, mode) != 0)
			json_array_append_new(names, json_string(key));
	return (names);
}

static int
join_container(struct container *c, struct rt_spec *spec, const char *name,
    struct berth_error *err)
{
	struct container *o;
	char path[64];
	const char *files[] = { "hosts", "resolv.conf", "hostname" };
	const char *dsts[] = { "/etc/hosts", "/etc/resolv.conf",
	    "/etc/hostname" };
	size_t i;

	if (container_find(c->d, name, &o, err) < 0)
		return (-1);
	if (o == c || o->state != CTR_RUNNING || o->pidfd < 0) {
		berth_error_set(err, CTR_E_CONFIG, 0, "cannot join network "
		    "namespace of a non running container: %s", name);
		return (berth_error_param_str(err, "field", "network_mode"));
	}
	snprintf(path, sizeof(path), "/proc/%ld/ns/net", (long)o->pid);
	if ((c->netns_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (berth_error_sys(err, "network of %s", name));
	/* Still the same process once the file is open? */
	if (syscall(SYS_pidfd_send_signal, o->pidfd, 0, NULL, 0) < 0) {
		berth_error_set(err, CTR_E_CONFIG, 0, "cannot join network "
		    "namespace of a non running container: %s", name);
		return (berth_error_param_str(err, "field", "network_mode"));
	}
	for (i = 0; i < 3; i++) {
		char src[4096];
		struct stat st;

		snprintf(src, sizeof(src), "%s/containers/%s/%s",
		    c->d->cfg.root, o->id, files[i]);
		if (stat(src, &st) == 0 && bind_file(spec, dsts[i], src,
		    err) < 0)
			return (-1);
	}
	free(spec->hostname);
	if ((spec->hostname = strdup(json_string_length(json_object_get(
	    o->config, "hostname")) > 0 ? json_string_value(json_object_get(
	    o->config, "hostname")) : o->id)) == NULL)
		return (berth_error_sys(err, "hostname"));
	if (strlen(spec->hostname) > 12 && strcmp(spec->hostname, o->id) == 0)
		spec->hostname[12] = '\0';
	json_object_set_new(c->net_state, "mode", json_pack("s+", "container:",
	    o->id));
	return (0);
}

/*
 * The DNS listener follows the endpoints: there while one is on a
 * user-defined network, and forwarding only when one has a way out.
 */
static int
dns_refresh(struct container *c, struct berth_error *err)
{
	bool user = false, out = false;
	struct network *n;
	const char *key;
	json_t *ep;

	json_object_foreach(endpoints_of(c), key, ep)
		if ((n = network_by_id(c->d, key)) != NULL) {
			user |= network_user_defined(n);
			out |= !n->internal;
		}
	if (!user) {
		dns_unlisten(c->dns);
		c->dns = NULL;
		return (0);
	}
	if (c->dns == NULL) {
		json_t *servers = host_setting(c, "dns"), *v;
		const char *addrs[16];
		size_t i, n = 0;

		if (dns_listen(c->d->net->dns, c->netns_fd, c, &c->dns,
		    err) < 0)
			return (-1);
		/* --dns: what its names are not goes there (Docker's
		 * ExtServers), not to the host's resolvers. */
		json_array_foreach(servers, i, v)
			if (json_is_string(v) && n < 16)
				addrs[n++] = json_string_value(v);
		if (dns_listener_set_upstreams(c->dns, addrs, n, err) < 0)
			return (-1);
	}
	dns_listener_set_local(c->dns, !out);
	return (0);
}

static int
set_netns(struct container *c, struct rt_spec *spec, struct berth_error *err)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", c->netns_fd);
	free(spec->namespaces[RT_NS_NET].path);
	spec->namespaces[RT_NS_NET].enabled = true;
	if ((spec->namespaces[RT_NS_NET].path = strdup(path)) == NULL)
		return (berth_error_sys(err, "network namespace"));
	return (0);
}

static int
setup(struct container *c, struct rt_spec *spec, struct berth_error *err)
{
	const char *mode = network_mode_of(c), *first_addr = NULL;
	cleanup_json json_t *names = NULL;
	struct rt_nl *inside = NULL;
	bool embedded = false;
	struct network *n, *first = NULL;
	json_t *v;
	size_t i;
	int rc = -1;

	if (strcmp(mode, "host") == 0) {
		json_object_set_new(c->net_state, "mode", json_string("host"));
		return (hosts_file(c, spec, NULL, true, err) < 0 ||
		    resolv_file(c, spec, false, true, err) < 0 ||
		    hostname_file(c, spec, err) < 0 ? -1 : 0);
	}
	if (strncmp(mode, "container:", 10) == 0)
		return (join_container(c, spec, mode + 10, err) < 0 ||
		    set_netns(c, spec, err) < 0 ? -1 : 0);
	json_object_set_new(c->net_state, "mode", json_string(mode));
	if (rt_netns_new(&c->netns_fd, err) < 0 ||
	    set_netns(c, spec, err) < 0)
		return (-1);
	if (strcmp(mode, "none") == 0)
		return (hosts_file(c, spec, NULL, false, err) < 0 ||
		    resolv_file(c, spec, false, false, err) < 0 ||
		    hostname_file(c, spec, err) < 0 ? -1 : 0);
	if (rt_nl_open(c->netns_fd, &inside, err) < 0)
		return (-1);
	names = network_container_networks(c);
	json_array_foreach(names, i, v) {
		if (network_find(c->d, json_string_value(v), &n, err) < 0)
			goto out;
		if (endpoint_up(c, inside, n, json_object_get(
		    json_object_get(c->config, "networks"),
		    json_string_value(v)), first == NULL, err) < 0)
			goto out;
		if (first == NULL)
			first = n;
		embedded |= network_user_defined(n);
	}
	first_addr = json_string_value(json_object_get(json_object_get(
	    endpoints_of(c), first->id), "address"));
	if (first->internal) {
		if (json_array_size(host_setting(c, "port_bindings")) > 0)
			log_info("network", "%.12s: ports not published: %s "
			    "is internal", c->id, first->name);
	} else {
		struct in_addr to;

		if (inet_pton(AF_INET, first_addr, &to) != 1 ||
		    publish(c, to, err) < 0)
			goto out;
	}
	if (dns_refresh(c, err) < 0)
		goto out;
	if (hosts_file(c, spec, first_addr, false, err) < 0 ||
	    resolv_file(c, spec, embedded, false, err) < 0 ||
	    hostname_file(c, spec, err) < 0)
		goto out;
	rc = 0;
out:
	if (inside != NULL)
		rt_nl_close(inside);
	return (rc);
}

static json_t *
state_new(void)
{
	return (json_pack("{s:s, s:o, s:o}", "mode", "", "endpoints",
	    json_object(), "ports", json_array()));
}

int
network_container_setup(struct container *c, struct rt_spec *spec,
    struct berth_error *err)
{
	network_container_teardown(c);
	json_decref(c->net_state);
	if ((c->net_state = state_new()) == NULL)
		return (berth_error_sys(err, "network state"));
	if (init_layer(c, spec, err) < 0 || setup(c, spec, err) < 0) {
		network_container_teardown(c);
		return (-1);
	}
	return (0);
}

/* Does a container that joined c's namespace (container:c) still hold
 * it?  Then c's interfaces do not go with it by themselves. */
static bool
netns_shared(struct container *c)
{
	struct container *o;
	char mode[CTR_ID_LEN + 16];

	snprintf(mode, sizeof(mode), "container:%s", c->id);
	TAILQ_FOREACH(o, &c->d->containers, entry)
		if (o != c && (o->state == CTR_RUNNING || o->start != NULL) &&
		    strcmp(json_string_value(json_object_get(o->net_state,
		    "mode")) != NULL ? json_string_value(json_object_get(
		    o->net_state, "mode")) : "", mode) == 0)
			return (true);
	return (false);
}

void
network_container_teardown(struct container *c)
{
	const char *key;
	json_t *ep;
	void *tmp;

	if (c->d->net == NULL) {
		/* Before networks_init (a container found dead at start):
		 * its leases go in networks_resume; the kernel took the
		 * rest with its namespace. */
		if (c->net_state != NULL) {
			json_object_clear(endpoints_of(c));
			json_array_clear(json_object_get(c->net_state,
			    "ports"));
		}
		return;
	}
	if (c->dns != NULL) {
		dns_unlisten(c->dns);
		c->dns = NULL;
	}
	if (c->net_state != NULL) {
		bool shared = netns_shared(c);

		unpublish(c, NULL);
		json_object_foreach_safe(endpoints_of(c), tmp, key, ep) {
			endpoint_down(c, key, ep, shared);
			json_object_del(endpoints_of(c), key);
		}
	}
	if (c->netns_fd >= 0) {
		close(c->netns_fd);
		c->netns_fd = -1;
	}
}

/*
 * After a crash: the adopted container's namespace again (from its
 * pid, checked by its pidfd), its leases counted, its host veths put
 * back on the bridges rebuilt, its ports and DNS listener again.
 */
int
network_container_adopt(struct container *c, struct berth_error *err)
{
	struct netmgr *m = c->d->net;
	struct network *n;
	const char *key;
	json_t *ep, *p;
	char path[64];
	size_t i;

	if (c->net_state == NULL || json_object_size(endpoints_of(c)) == 0)
		return (0);
	/* Nothing counted yet: teardown after a failure below releases
	 * only what was. */
	json_object_foreach(endpoints_of(c), key, ep)
		json_object_set_new(ep, "up", json_false());
	json_array_foreach(json_object_get(c->net_state, "ports"), i, p)
		port_count(c->d, proto_of(json_string_value(json_object_get(p,
		    "protocol"))), (int)json_integer_value(json_object_get(p,
		    "host_port")), 1);
	snprintf(path, sizeof(path), "/proc/%ld/ns/net", (long)c->pid);
	if ((c->netns_fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (berth_error_sys(err, "adopt network of %.12s", c->id));
	json_object_foreach(endpoints_of(c), key, ep) {
		const char *veth = json_string_value(json_object_get(ep,
		    "veth"));

		if ((n = network_by_id(c->d, key)) == NULL)
			continue;
		if (network_use(c->d, n, err) < 0)
			return (-1);
		json_object_set_new(ep, "up", json_true());
		if (rt_nl_link_set_master(m->nl, veth, n->bridge, err) < 0 ||
		    rt_nl_link_up(m->nl, veth, err) < 0)
			return (-1);
	}
	{
		cleanup_free struct rt_nat_port *v = NULL;
		size_t n;

		if (nat_ports_of(c, NULL, &v, &n) < 0)
			return (berth_error_sys(err, "ports"));
		if (rt_nat_ports_add(m->nat, v, n, err) < 0)
			return (-1);
	}
	return (dns_refresh(c, err));
}

int
network_container_connect(struct container *c, struct network *n,
    json_t *epconf, struct berth_error *err)
{
	const char *mode = network_mode_of(c);
	struct rt_nl *inside = NULL;
	int rc;

	if (c->netns_fd < 0 || strncmp(mode, "container:", 10) == 0 ||
	    strcmp(mode, "host") == 0 || strcmp(mode, "none") == 0) {
		berth_error_set(err, NET_E_CONFIG, 0, "container sharing "
		    "network namespace with another container or host cannot "
		    "be connected to any other network");
		return (berth_error_param_str(err, "field", "network_mode"));
	}
	if (rt_nl_open(c->netns_fd, &inside, err) < 0)
		return (-1);
	rc = endpoint_up(c, inside, n, epconf, false, err);
	rt_nl_close(inside);
	if (rc < 0) {
		json_t *ep = json_object_get(endpoints_of(c), n->id);

		if (ep != NULL &&
		    !berth_error_is(err, NET_E_CONNECTED)) {
			endpoint_down(c, n->id, ep, true);
			json_object_del(endpoints_of(c), n->id);
		}
		return (-1);
	}
	if (dns_refresh(c, err) < 0) {
		json_t *ep = json_object_get(endpoints_of(c), n->id);

		endpoint_down(c, n->id, ep, true);
		json_object_del(endpoints_of(c), n->id);
		return (-1);
	}
	return (0);
}

int
network_container_disconnect(struct container *c, struct network *n,
    struct berth_error *err)
{
	json_t *ep = json_object_get(endpoints_of(c), n->id), *o;
	struct rt_nl *inside = NULL;
	struct network *on;
	struct in_addr gw;
	const char *key;
	bool route;
	int rc = 0;

	if (ep == NULL)
		return (0);
	route = json_is_true(json_object_get(ep, "route"));
	endpoint_down(c, n->id, ep, true);
	json_object_del(endpoints_of(c), n->id);
	/* Its default route went with it: another network with a way out
	 * gives the next (Docker elects a new gateway). */
	json_object_foreach(endpoints_of(c), key, o) {
		if (!route || (on = network_by_id(c->d, key)) == NULL ||
		    on->internal)
			continue;
		if (inet_pton(AF_INET, json_string_value(json_object_get(o,
		    "gateway")), &gw) != 1)
			continue;
		if (rt_nl_open(c->netns_fd, &inside, err) < 0 ||
		    rt_nl_route_add_default(inside, gw, json_string_value(
		    json_object_get(o, "ifname")), err) < 0)
			rc = -1;
		else {
			struct in_addr to;

			json_object_set_new(o, "route", json_true());
			/* Its published ports follow the way out (Docker
			 * maps them onto the new gateway endpoint). */
			if (inet_pton(AF_INET, json_string_value(
			    json_object_get(o, "address")), &to) == 1 &&
			    publish(c, to, err) < 0)
				rc = -1;
		}
		rt_nl_close(inside);
		break;
	}
	if (rc == 0 && dns_refresh(c, err) < 0)
		rc = -1;
	return (rc);
}

/* ---- the embedded DNS ----------------------------------------------- */

static bool
name_is(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	return (la == lb && strncasecmp(a, b, la) == 0);
}

static bool
answers_to(struct container *o, json_t *ep, const char *name)
{
	json_t *v;
	size_t i;

	if (name_is(name, o->name))
		return (true);
	if (strlen(name) >= 12 && strlen(name) <= 13 && strncasecmp(name,
	    o->id, 12) == 0 && (name[12] == '\0' || name[12] == '.'))
		return (true);
	json_array_foreach(json_object_get(ep, "aliases"), i, v)
		if (name_is(name, json_string_value(v)))
			return (true);
	return (false);
}

/* Names of containers sharing a user-defined network with the asker. */
int
network_dns_lookup(void *arg, void *owner, const char *name,
    struct in_addr *addrs, int max)
{
	struct daemon *d = arg;
	struct container *asker = owner, *o;
	const char *key;
	json_t *mine, *ep;
	int n = 0;

	json_object_foreach(endpoints_of(asker), key, mine) {
		struct network *net = network_by_id(d, key);

		if (net == NULL || !network_user_defined(net))
			continue;
		TAILQ_FOREACH(o, &d->containers, entry) {
			if (o->state != CTR_RUNNING || (ep = json_object_get(
			    endpoints_of(o), key)) == NULL ||
			    !answers_to(o, ep, name) || n >= max)
				continue;
			if (inet_pton(AF_INET, json_string_value(
			    json_object_get(ep, "address")), &addrs[n]) == 1)
				n++;
		}
	}
	return (n);
}

int
network_dns_reverse(void *arg, void *owner, struct in_addr addr, char *name,
    size_t len)
{
	struct daemon *d = arg;
	struct container *asker = owner, *o;
	char text[INET_ADDRSTRLEN];
	const char *key;
	json_t *mine, *ep;

	inet_ntop(AF_INET, &addr, text, sizeof(text));
	json_object_foreach(endpoints_of(asker), key, mine) {
		struct network *net = network_by_id(d, key);

		if (net == NULL || !network_user_defined(net))
			continue;
		TAILQ_FOREACH(o, &d->containers, entry)
			if (o->state == CTR_RUNNING && (ep = json_object_get(
			    endpoints_of(o), key)) != NULL &&
			    strcmp(json_string_value(json_object_get(ep,
			    "address")), text) == 0) {
				snprintf(name, len, "%s.%s", o->name,
				    net->name);
				return (1);
			}
	}
	return (0);
}

/* ---- what inspect and ps show --------------------------------------- */

json_t *
network_settings_doc(struct container *c)
{
	json_t *doc, *nets, *ports, *ep, *p, *first = NULL;
	const char *key;
	char k[32];
	size_t i;
	bool running = c->state == CTR_RUNNING;

	doc = json_object();
	nets = json_object();
	ports = json_object();
	if (running)
		json_object_foreach(endpoints_of(c), key, ep) {
			struct network *n = network_by_id(c->d, key);
			json_t *names = json_null(), *e;

			/* Names it answers to, on user-defined networks. */
			if (n != NULL && network_user_defined(n)) {
				names = json_pack("[s, s#]", c->name, c->id,
				    12);
				json_array_extend(names, json_object_get(ep,
				    "aliases"));
			}
			e = json_pack("{s:n, s:O, s:s, s:O, s:O, s:O, s:O, "
			    "s:O, s:o}", "IPAMConfig", "Aliases",
			    json_object_get(ep, "aliases"), "NetworkID", key,
			    "EndpointID", json_object_get(ep, "id"),
			    "Gateway", json_object_get(ep, "gateway"),
			    "IPAddress", json_object_get(ep, "address"),
			    "IPPrefixLen", json_object_get(ep, "prefixlen"),
			    "MacAddress", json_object_get(ep, "mac"),
			    "DNSNames", names);
			if (e == NULL)
				continue;
			json_object_set_new(nets, json_string_value(
			    json_object_get(ep, "network")), e);
			if (first == NULL)
				first = e;
		}
	else if (strncmp(network_mode_of(c), "container:", 10) != 0) {
		/* Not running: the networks it will join, no addresses. */
		cleanup_json json_t *names = network_container_networks(c);
		struct network *n;
		json_t *v;

		json_array_foreach(names, i, v)
			if (network_find(c->d, json_string_value(v), &n,
			    NULL) == 0)
				json_object_set_new(nets, n->name, json_pack(
				    "{s:n, s:n, s:s, s:s, s:s, s:s, s:i, s:s, "
				    "s:n}", "IPAMConfig", "Aliases", "NetworkID",
				    n->id, "EndpointID", "", "Gateway", "",
				    "IPAddress", "", "IPPrefixLen", 0,
				    "MacAddress", "", "DNSNames"));
	}
	/* Ports: every exposed or bound port, null when not published. */
	json_array_foreach(host_setting(c, "port_bindings"), i, p) {
		const char *pr = json_string_value(json_object_get(p,
		    "protocol"));

		snprintf(k, sizeof(k), "%d/%s", (int)json_integer_value(
		    json_object_get(p, "container_port")), pr != NULL ? pr :
		    "tcp");
		json_object_set_new(ports, k, json_null());
	}
	json_object_foreach(json_object_get(c->image_config, "ExposedPorts"),
	    key, p)
		if (json_object_get(ports, key) == NULL)
			json_object_set_new(ports, key, json_null());
	if (running)
		json_array_foreach(json_object_get(c->net_state, "ports"), i,
		    p) {
			json_t *list;
			char hp[8];

			snprintf(k, sizeof(k), "%d/%s", (int)
			    json_integer_value(json_object_get(p,
			    "container_port")), json_string_value(
			    json_object_get(p, "protocol")));
			snprintf(hp, sizeof(hp), "%d", (int)json_integer_value(
			    json_object_get(p, "host_port")));
			if (!json_is_array(list = json_object_get(ports, k))) {
				list = json_array();
				json_object_set_new(ports, k, list);
			}
			json_array_append_new(list, json_pack("{s:O, s:s}",
			    "HostIp", json_object_get(p, "host_ip"),
			    "HostPort", hp));
		}
	json_object_set_new(doc, "Bridge", json_string(""));
	json_object_set_new(doc, "SandboxKey", json_string(""));
	json_object_set_new(doc, "Ports", ports);
	json_object_set_new(doc, "Gateway", json_string(first != NULL ?
	    json_string_value(json_object_get(first, "Gateway")) : ""));
	json_object_set_new(doc, "IPAddress", json_string(first != NULL ?
	    json_string_value(json_object_get(first, "IPAddress")) : ""));
	json_object_set_new(doc, "IPPrefixLen", json_integer(first != NULL ?
	    json_integer_value(json_object_get(first, "IPPrefixLen")) : 0));
	json_object_set_new(doc, "MacAddress", json_string(first != NULL ?
	    json_string_value(json_object_get(first, "MacAddress")) : ""));
	json_object_set_new(doc, "Networks", nets);
	return (doc);
}

char *
network_names_text(struct container *c)
{
	cleanup_json json_t *names = NULL;
	const char *mode = network_mode_of(c);
	struct text t;
	json_t *v;
	size_t i;
	struct berth_error err = BERTH_ERROR_INIT;

	if (strncmp(mode, "container:", 10) == 0)
		return (strdup(mode));
	if (text_open(&t, &err) < 0) {
		berth_error_clear(&err);
		return (strdup(""));
	}
	names = network_container_networks(c);
	json_array_foreach(names, i, v)
		fprintf(t.f, "%s%s", i > 0 ? "," : "", json_string_value(v));
	text_close(&t);
	return (t.buf != NULL ? t.buf : strdup(""));
}

char *
network_ports_text(struct container *c)
{
	struct text t;
	json_t *p;
	size_t i;
	struct berth_error err = BERTH_ERROR_INIT;

	if (text_open(&t, &err) < 0) {
		berth_error_clear(&err);
		return (strdup(""));
	}
	if (c->state == CTR_RUNNING)
		json_array_foreach(json_object_get(c->net_state, "ports"), i,
		    p)
			fprintf(t.f, "%s%s:%d->%d/%s", i > 0 ? ", " : "",
			    json_string_value(json_object_get(p, "host_ip")),
			    (int)json_integer_value(json_object_get(p,
			    "host_port")), (int)json_integer_value(
			    json_object_get(p, "container_port")),
			    json_string_value(json_object_get(p, "protocol")));
	text_close(&t);
	return (t.buf != NULL ? t.buf : strdup(""));
}
