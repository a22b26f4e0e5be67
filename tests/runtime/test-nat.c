/*
 * berth's nftables table: made, filled and emptied element by element,
 * deletes idempotent, another table untouched, errors that say what
 * libnftables said; then real packets between namespaces joined by veth
 * pairs and bridges: published TCP and UDP ports answering on 127.0.0.1
 * and on the host's addresses, a host-address-only binding, hairpin,
 * outbound masquerade, isolation of two bridges (but for a published
 * port) and of an internal one.
 *
 * Everything happens in a network namespace of the test's own (unshare
 * at start), so nothing reaches the host; the namespaces die with their
 * last fd.  Needs root (CAP_NET_ADMIN); skips otherwise.  The test reads
 * the table back with the nft command and builds the topology with ip.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nat.h"
#include "netns.h"
#include "unit.h"

#define WAIT_MS		3000	/* for what must arrive */
#define NEG_MS		300	/* for what must not */

/* Run a shell command; 0 when it exited 0. */
static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "# '%s': status %d\n", cmd, rc);
	return (rc == 0 ? 0 : -1);
}

/* What a command prints, or NULL. */
static char *
capture(const char *cmd)
{
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];
	FILE *p, *m;

	if ((p = popen(cmd, "r")) == NULL)
		return (NULL);
	if ((m = open_memstream(&buf, &len)) == NULL) {
		pclose(p);
		return (NULL);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(m);
	pclose(p);
	return (buf);
}

/* Whether `nft list SET` prints needle. */
static bool
nft_has(const char *what, const char *needle)
{
	char cmd[256], *text;
	bool found;

	snprintf(cmd, sizeof(cmd), "nft list %s 2>/dev/null", what);
	if ((text = capture(cmd)) == NULL)
		return (false);
	found = strstr(text, needle) != NULL;
	free(text);
	return (found);
}

static bool
table_exists(const char *family_name)
{
	char needle[128];

	snprintf(needle, sizeof(needle), "table %s\n", family_name);
	return (nft_has("tables", needle));
}

static struct in_addr
ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return (a);
}

static struct rt_nat *
open_reset(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_nat *nat = NULL;

	CHECK(rt_nat_open(&nat, &err) == 0);
	if (nat != NULL && rt_nat_reset(nat, &err) < 0) {
		fprintf(stderr, "# reset: %s\n", berth_error_message(&err));
		CHECK(!"reset");
	}
	berth_error_clear(&err);
	return (nat);
}

/* The networks of the tests: brtest0 and brtest2, and brtest1
 * internal. */
static void
fill_nets(struct rt_nat_net *a, struct rt_nat_net *c, struct rt_nat_net *b)
{
	*a = (struct rt_nat_net){ "brtest0", ip4("10.98.0.0"), 24, false };
	*c = (struct rt_nat_net){ "brtest1", ip4("10.96.0.0"), 24, true };
	*b = (struct rt_nat_net){ "brtest2", ip4("10.95.0.0"), 24, false };
}

/* Reset and destroy leave a table of someone else's alone. */
static void
test_reset_and_destroy_spare_other_tables(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_nat *nat;

	CHECK(sh("nft add table ip other && "
	    "nft add chain ip other c '{ type filter hook forward "
	    "priority 0; }'") == 0);
	if ((nat = open_reset()) == NULL)
		return;
	CHECK(table_exists("ip berth"));
	CHECK(table_exists("ip other"));
	CHECK(nft_has("chain ip berth forward", "oifname @bridges drop"));
	/* Twice: a reset over an existing table replaces it. */
	CHECK(rt_nat_reset(nat, &err) == 0);
	CHECK(rt_nat_destroy(nat, &err) == 0);
	CHECK(!table_exists("ip berth"));
	CHECK(table_exists("ip other"));
	CHECK(nft_has("chain ip other c", "hook forward"));
	/* Destroying what is gone is fine; ensure makes it again, once. */
	CHECK(rt_nat_destroy(nat, &err) == 0);
	CHECK(rt_nat_ensure(nat, &err) == 0);
	CHECK(table_exists("ip berth"));
	CHECK(sh("nft add element ip berth bridges '{ \"keep0\" }'") == 0);
	CHECK(rt_nat_ensure(nat, &err) == 0);
	CHECK(nft_has("set ip berth bridges", "\"keep0\""));
	CHECK(rt_nat_reset(nat, &err) == 0);
	CHECK(!nft_has("set ip berth bridges", "\"keep0\""));
	if (berth_error_isset(&err))
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	CHECK(sh("nft delete table ip other") == 0);
	berth_error_clear(&err);
	rt_nat_close(nat);
}

/* Networks and ports become elements, and deleting them (twice) leaves
 * every set empty. */
static void
test_elements_add_and_delete(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_nat_net a, c, b;
	struct rt_nat_port any = { IPPROTO_TCP, { 0 }, 18080, { 0 }, 80 };
	struct rt_nat_port one = { IPPROTO_UDP, { 0 }, 18081, { 0 }, 53 };
	struct rt_nat *nat;
	int i;

	fill_nets(&a, &c, &b);
	any.addr = ip4("10.98.0.2");
	one.host_ip = ip4("10.98.0.1");
	one.addr = ip4("10.98.0.3");
	if ((nat = open_reset()) == NULL)
		return;
	/* Host bits in the subnet are cleared. */
	a.subnet = ip4("10.98.0.77");
	CHECK(rt_nat_network_add(nat, &a, &err) == 0);
	CHECK(rt_nat_network_add(nat, &a, &err) == 0);	/* idempotent */
	CHECK(rt_nat_network_add(nat, &c, &err) == 0);
	CHECK(rt_nat_port_add(nat, &any, &err) == 0);
	CHECK(rt_nat_port_add(nat, &one, &err) == 0);
	CHECK(rt_nat_port_add(nat, &one, &err) == 0);	/* idempotent */
	if (berth_error_isset(&err))
		fprintf(stderr, "# %s\n", berth_error_message(&err));

	CHECK(nft_has("set ip berth bridges", "\"brtest0\""));
	CHECK(nft_has("set ip berth bridges", "\"brtest1\""));
	CHECK(nft_has("set ip berth internal", "\"brtest1\""));
	CHECK(!nft_has("set ip berth internal", "\"brtest0\""));
	CHECK(nft_has("set ip berth nets", "10.98.0.0/24"));
	CHECK(!nft_has("set ip berth nets", "10.96.0.0/24"));
	CHECK(nft_has("set ip berth netifs", "\"brtest0\" . 10.98.0.0/24"));
	CHECK(nft_has("set ip berth samebr", "\"brtest0\" . \"brtest0\""));
	CHECK(nft_has("set ip berth samebr", "\"brtest1\" . \"brtest1\""));
	CHECK(nft_has("map ip berth ports", "tcp . 18080 : 10.98.0.2 . 80"));
	CHECK(nft_has("map ip berth hostports",
	    "10.98.0.1 . udp . 18081 : 10.98.0.3 . 53"));

	for (i = 0; i < 2; i++) {
		CHECK(rt_nat_port_del(nat, &any, &err) == 0);
		CHECK(rt_nat_port_del(nat, &one, &err) == 0);
		CHECK(rt_nat_network_del(nat, &a, &err) == 0);
		CHECK(rt_nat_network_del(nat, &c, &err) == 0);
		if (berth_error_isset(&err))
			fprintf(stderr, "# %s\n", berth_error_message(&err));
		CHECK(!nft_has("table ip berth", "brtest"));
		CHECK(!nft_has("table ip berth", "10.98.0."));
		CHECK(!nft_has("table ip berth", "elements"));
	}
	/* A network deleted with the wrong internal flag still goes. */
	CHECK(rt_nat_network_add(nat, &c, &err) == 0);
	c.internal = false;
	CHECK(rt_nat_network_del(nat, &c, &err) == 0);
	CHECK(!nft_has("table ip berth", "elements"));
	berth_error_clear(&err);
	rt_nat_destroy(nat, &err);
	rt_nat_close(nat);
}

/* A port published to one target refuses another, for add and for
 * delete, with PortInUse and its parameters. */
static void
test_port_conflict(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_nat_port p = { IPPROTO_TCP, { 0 }, 18090, { 0 }, 80 };
	struct rt_nat_port q;
	struct rt_nat *nat;

	p.addr = ip4("10.98.0.2");
	q = p;
	q.addr = ip4("10.98.0.9");
	if ((nat = open_reset()) == NULL)
		return;
	CHECK(rt_nat_port_add(nat, &p, &err) == 0);
	CHECK(rt_nat_port_add(nat, &q, &err) < 0);
	CHECK(berth_error_is(&err, RT_NAT_E_PORT_IN_USE));
	CHECK(strstr(berth_error_message(&err), "0.0.0.0:18090") != NULL);
	CHECK(err.nparams == 3);
	berth_error_clear(&err);
	CHECK(rt_nat_port_del(nat, &q, &err) < 0);
	CHECK(berth_error_is(&err, RT_NAT_E_PORT_IN_USE));
	berth_error_clear(&err);
	CHECK(nft_has("map ip berth ports", "tcp . 18090 : 10.98.0.2 . 80"));
	CHECK(rt_nat_port_del(nat, &p, &err) == 0);
	CHECK(!nft_has("map ip berth ports", "18090"));
	berth_error_clear(&err);
	rt_nat_destroy(nat, &err);
	rt_nat_close(nat);
}

/* Bad input is refused before nftables sees it; nftables' own refusals
 * come back with its words; nothing is left behind. */
static void
test_errors(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_nat_net n, a, c, b;
	struct rt_nat_port p = { IPPROTO_ICMP, { 0 }, 1, { 0 }, 1 };
	struct rt_nat *nat;

	fill_nets(&a, &c, &b);
	CHECK(rt_nat_open(&nat, &err) == 0);
	if (nat == NULL)
		return;
	/* No table yet: libnftables' error, with the operation. */
	rt_nat_destroy(nat, &err);
	CHECK(rt_nat_network_add(nat, &a, &err) < 0);
	CHECK(berth_error_is(&err, BERTH_E_SYSTEM));
	CHECK(strstr(berth_error_message(&err),
	    "add network brtest0 10.98.0.0/24: nftables: ") != NULL);
	CHECK(strstr(berth_error_message(&err), "No such file") != NULL);
	CHECK(strchr(berth_error_message(&err), '\n') == NULL);
	berth_error_clear(&err);

	CHECK(rt_nat_reset(nat, &err) == 0);
	n = a;
	n.bridge = "br\"; flush ruleset; \"";
	CHECK(rt_nat_network_add(nat, &n, &err) < 0);
	CHECK(berth_error_is(&err, BERTH_E_INVALID_PARAM));
	berth_error_clear(&err);
	n.bridge = "a-name-far-too-long";
	CHECK(rt_nat_network_add(nat, &n, &err) < 0);
	berth_error_clear(&err);
	n = a;
	n.prefixlen = 33;
	CHECK(rt_nat_network_add(nat, &n, &err) < 0);
	CHECK(berth_error_is(&err, BERTH_E_INVALID_PARAM));
	berth_error_clear(&err);
	CHECK(rt_nat_port_add(nat, &p, &err) < 0);
	CHECK(berth_error_is(&err, BERTH_E_INVALID_PARAM));
	berth_error_clear(&err);
	p.proto = IPPROTO_TCP;
	p.host_port = 0;
	CHECK(rt_nat_port_add(nat, &p, &err) < 0);
	berth_error_clear(&err);

	/* An overlapping subnet: refused whole, so the bridge is not
	 * half-added either. */
	CHECK(rt_nat_network_add(nat, &a, &err) == 0);
	n = (struct rt_nat_net){ "brover", ip4("10.98.0.128"), 25, false };
	CHECK(rt_nat_network_add(nat, &n, &err) < 0);
	CHECK(strstr(berth_error_message(&err), "overlaps") != NULL);
	berth_error_clear(&err);
	CHECK(!nft_has("table ip berth", "brover"));
	CHECK(!nft_has("table ip berth", "flush"));
	CHECK(table_exists("ip berth"));
	CHECK(rt_nat_destroy(nat, &err) == 0);
	berth_error_clear(&err);
	rt_nat_close(nat);
}

/* --- real traffic --- */

struct topo {
	int	a, a2, b, c, out;	/* namespace fds */
};

/* A "container": a new namespace with eth0 ADDR/24 on bridge BR (its
 * host end HOSTIF), default route via GW. */
static int
container(int *ns, const char *br, const char *hostif, const char *addr,
    const char *gw)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char path[64];

	if (rt_netns_new(ns, &err) < 0) {
		fprintf(stderr, "# %s\n", berth_error_message(&err));
		berth_error_clear(&err);
		return (-1);
	}
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)getpid(), *ns);
	if (sh("ip link add %s type veth peer name eth0 netns %s", hostif,
	    path) < 0)
		return (-1);
	if (br != NULL && sh("ip link set %s master %s", hostif, br) < 0)
		return (-1);
	if (sh("ip link set %s up", hostif) < 0)
		return (-1);
	if (sh("nsenter --net=%s sh -c 'ip addr add %s/24 dev eth0 && "
	    "ip link set eth0 up%s%s'", path, addr,
	    gw != NULL ? " && ip route add default via " : "",
	    gw != NULL ? gw : "") < 0)
		return (-1);
	return (0);
}

static int
bridge(const char *name, const char *addr)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char key[128];

	if (sh("ip link add %s type bridge && ip addr add %s/24 dev %s && "
	    "ip link set %s up", name, addr, name, name) < 0)
		return (-1);
	snprintf(key, sizeof(key), "net/ipv4/conf/%s/route_localnet", name);
	if (rt_sysctl_write(-1, key, "1", &err) < 0) {
		fprintf(stderr, "# %s\n", berth_error_message(&err));
		berth_error_clear(&err);
		return (-1);
	}
	return (0);
}

/* A socket made in namespace ns (-1: here), bound to port when not 0. */
static int
ns_socket(int ns, int type, uint16_t port)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int saved, s, one = 1;

	if (rt_netns_enter(ns, &saved, &err) < 0) {
		berth_error_clear(&err);
		return (-1);
	}
	s = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	rt_netns_leave(saved, &err);
	berth_error_clear(&err);
	if (s < 0)
		return (-1);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin.sin_port = htons(port);
	if (port != 0 && (bind(s, (struct sockaddr *)&sin,
	    sizeof(sin)) < 0 || (type == SOCK_STREAM && listen(s, 8) < 0))) {
		close(s);
		return (-1);
	}
	return (s);
}

static bool
wait_fd(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	return (poll(&p, 1, ms) == 1 && (p.revents & events));
}

/*
 * Connect from namespace ns to dst:port and exchange a line each way
 * with the listener lfd; *peer is the source the listener saw.  Returns
 * 0, or the errno the connection failed with (ETIMEDOUT when nothing
 * answered).
 */
static int
tcp_exchange(int ns, const char *dst, uint16_t port, int lfd,
    struct in_addr *peer)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sin);
	char buf[16];
	int c, a = -1, e = 0, rc = ETIMEDOUT;

	if ((c = ns_socket(ns, SOCK_STREAM, 0)) < 0)
		return (errno);
	sin.sin_port = htons(port);
	sin.sin_addr = ip4(dst);
	if (connect(c, (struct sockaddr *)&sin, sizeof(sin)) < 0 &&
	    errno != EINPROGRESS) {
		rc = errno;
		goto out;
	}
	if (!wait_fd(c, POLLOUT, WAIT_MS))
		goto out;
	getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &sl);
	if (e != 0) {
		rc = e;
		goto out;
	}
	if (!wait_fd(lfd, POLLIN, WAIT_MS))
		goto out;
	sl = sizeof(sin);
	if ((a = accept4(lfd, (struct sockaddr *)&sin, &sl,
	    SOCK_CLOEXEC)) < 0) {
		rc = errno;
		goto out;
	}
	*peer = sin.sin_addr;
	if (write(c, "ping", 4) != 4 || !wait_fd(a, POLLIN, WAIT_MS) ||
	    read(a, buf, sizeof(buf)) != 4 || memcmp(buf, "ping", 4) != 0)
		goto out;
	if (write(a, "pong", 4) != 4 || !wait_fd(c, POLLIN, WAIT_MS) ||
	    read(c, buf, sizeof(buf)) != 4 || memcmp(buf, "pong", 4) != 0)
		goto out;
	rc = 0;
out:
	if (a >= 0)
		close(a);
	close(c);
	return (rc);
}

/*
 * Send a datagram from namespace ns to dst:port, where the socket sfd is
 * bound; when it arrives, answer it.  0 when both ways worked, with the
 * source sfd saw in *peer; ETIMEDOUT when the first never arrived within
 * ms.
 */
static int
udp_exchange(int ns, const char *dst, uint16_t port, int sfd,
    struct in_addr *peer, int ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET }, from;
	socklen_t fl = sizeof(from);
	char buf[16];
	int c, rc = ETIMEDOUT;

	if ((c = ns_socket(ns, SOCK_DGRAM, 0)) < 0)
		return (errno);
	sin.sin_port = htons(port);
	sin.sin_addr = ip4(dst);
	if (sendto(c, "ping", 4, 0, (struct sockaddr *)&sin,
	    sizeof(sin)) != 4) {
		rc = errno;
		goto out;
	}
	if (!wait_fd(sfd, POLLIN, ms) || recvfrom(sfd, buf, sizeof(buf), 0,
	    (struct sockaddr *)&from, &fl) != 4)
		goto out;
	*peer = from.sin_addr;
	if (sendto(sfd, "pong", 4, 0, (struct sockaddr *)&from, fl) != 4 ||
	    !wait_fd(c, POLLIN, WAIT_MS) || recv(c, buf, sizeof(buf), 0) != 4 ||
	    memcmp(buf, "pong", 4) != 0) {
		rc = EPROTO;
		goto out;
	}
	rc = 0;
out:
	close(c);
	return (rc);
}

static void
closeall(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static bool
is(struct in_addr a, const char *s)
{
	char got[INET_ADDRSTRLEN];

	if (a.s_addr == ip4(s).s_addr)
		return (true);
	inet_ntop(AF_INET, &a, got, sizeof(got));
	fprintf(stderr, "# peer %s, expected %s\n", got, s);
	return (false);
}

static void
test_traffic(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_nat_net na, nc, nb;
	struct rt_nat_port any = { IPPROTO_TCP, { 0 }, 18080, { 0 }, 80 };
	struct rt_nat_port uany = { IPPROTO_UDP, { 0 }, 18080, { 0 }, 80 };
	struct rt_nat_port one = { IPPROTO_TCP, { 0 }, 18081, { 0 }, 80 };
	struct rt_nat_port inner = { IPPROTO_UDP, { 0 }, 18082, { 0 }, 80 };
	struct topo t = { -1, -1, -1, -1, -1 };
	struct in_addr peer;
	struct rt_nat *nat = NULL;
	int la = -1, ua = -1, ub = -1, uc = -1, uo = -1, ua9 = -1, lo = -1;

	fill_nets(&na, &nc, &nb);
	any.addr = uany.addr = one.addr = ip4("10.98.0.2");
	one.host_ip = ip4("10.98.0.1");
	inner.addr = ip4("10.96.0.2");

	CHECK(rt_sysctl_write(-1, "net/ipv4/ip_forward", "1", &err) == 0);
	if (bridge("brtest0", "10.98.0.1") < 0 ||
	    bridge("brtest1", "10.96.0.1") < 0 ||
	    bridge("brtest2", "10.95.0.1") < 0 ||
	    container(&t.a, "brtest0", "vtha", "10.98.0.2", "10.98.0.1") < 0 ||
	    container(&t.a2, "brtest0", "vtha2", "10.98.0.3", "10.98.0.1") < 0 ||
	    container(&t.c, "brtest1", "vthc", "10.96.0.2", "10.96.0.1") < 0 ||
	    container(&t.b, "brtest2", "vthb", "10.95.0.2", "10.95.0.1") < 0 ||
	    container(&t.out, NULL, "vtho", "10.97.0.2", NULL) < 0 ||
	    sh("ip addr add 10.97.0.1/24 dev vtho") < 0) {
		CHECK(!"topology");
		goto out;
	}
	if ((nat = open_reset()) == NULL)
		goto out;
	CHECK(rt_nat_network_add(nat, &na, &err) == 0);
	CHECK(rt_nat_network_add(nat, &nc, &err) == 0);
	CHECK(rt_nat_network_add(nat, &nb, &err) == 0);
	CHECK(rt_nat_port_add(nat, &any, &err) == 0);
	CHECK(rt_nat_port_add(nat, &uany, &err) == 0);
	CHECK(rt_nat_port_add(nat, &one, &err) == 0);
	CHECK(rt_nat_port_add(nat, &inner, &err) == 0);
	if (berth_error_isset(&err))
		fprintf(stderr, "# %s\n", berth_error_message(&err));

	la = ns_socket(t.a, SOCK_STREAM, 80);
	ua = ns_socket(t.a, SOCK_DGRAM, 80);
	ua9 = ns_socket(t.a, SOCK_DGRAM, 9999);
	ub = ns_socket(t.b, SOCK_DGRAM, 9999);
	uc = ns_socket(t.c, SOCK_DGRAM, 80);
	uo = ns_socket(t.out, SOCK_DGRAM, 9999);
	lo = ns_socket(t.out, SOCK_STREAM, 9999);
	CHECK(la >= 0 && ua >= 0 && ua9 >= 0 && ub >= 0 && uc >= 0 &&
	    uo >= 0 && lo >= 0);
	if (la < 0 || ua < 0 || ua9 < 0 || ub < 0 || uc < 0 || uo < 0 ||
	    lo < 0)
		goto out;

	/* The host on its loopback (output DNAT, 127.0.0.1 masqueraded
	 * out of the bridge) and on the bridge's address. */
	CHECK(tcp_exchange(-1, "127.0.0.1", 18080, la, &peer) == 0);
	CHECK(is(peer, "10.98.0.1"));
	CHECK(tcp_exchange(-1, "10.98.0.1", 18080, la, &peer) == 0);
	CHECK(tcp_exchange(-1, "10.97.0.1", 18080, la, &peer) == 0);
	CHECK(udp_exchange(-1, "127.0.0.1", 18080, ua, &peer, WAIT_MS) == 0);
	CHECK(udp_exchange(-1, "10.98.0.1", 18080, ua, &peer, WAIT_MS) == 0);
	/* From outside (prerouting DNAT, forwarded): the source is kept. */
	CHECK(tcp_exchange(t.out, "10.97.0.1", 18080, la, &peer) == 0);
	CHECK(is(peer, "10.97.0.2"));
	CHECK(udp_exchange(t.out, "10.97.0.1", 18080, ua, &peer,
	    WAIT_MS) == 0);
	/* Bound to one host address: that address only. */
	CHECK(tcp_exchange(-1, "10.98.0.1", 18081, la, &peer) == 0);
	CHECK(tcp_exchange(-1, "127.0.0.1", 18081, la, &peer) ==
	    ECONNREFUSED);
	CHECK(tcp_exchange(t.out, "10.97.0.1", 18081, la, &peer) ==
	    ECONNREFUSED);
	/* Hairpin: the neighbour on the same bridge, through the host's
	 * address, masqueraded so the reply comes back the same way. */
	CHECK(tcp_exchange(t.a2, "10.98.0.1", 18080, la, &peer) == 0);
	CHECK(is(peer, "10.98.0.1"));
	CHECK(udp_exchange(t.a2, "10.97.0.1", 18080, ua, &peer,
	    WAIT_MS) == 0);
	CHECK(is(peer, "10.98.0.1"));

	/* Outbound: masqueraded to the host's address on the way out. */
	CHECK(udp_exchange(t.a, "10.97.0.2", 9999, uo, &peer, WAIT_MS) == 0);
	CHECK(is(peer, "10.97.0.1"));
	CHECK(tcp_exchange(t.b, "10.97.0.2", 9999, lo, &peer) == 0);
	CHECK(is(peer, "10.97.0.1"));
	/* Another network reaches a published port through its own
	 * gateway address (masqueraded: it is not from brtest0's subnet). */
	CHECK(tcp_exchange(t.b, "10.95.0.1", 18080, la, &peer) == 0);
	CHECK(is(peer, "10.98.0.1"));
	/* ...but two bridges do not reach each other directly, either
	 * way. */
	CHECK(udp_exchange(t.a, "10.95.0.2", 9999, ub, &peer,
	    NEG_MS) == ETIMEDOUT);
	CHECK(udp_exchange(t.b, "10.98.0.2", 9999, ua9, &peer,
	    NEG_MS) == ETIMEDOUT);
	/* Nobody outside reaches a container directly. */
	CHECK(sh("nsenter --net=/proc/%d/fd/%d ip route add 10.98.0.0/24 "
	    "via 10.97.0.1", (int)getpid(), t.out) == 0);
	CHECK(udp_exchange(t.out, "10.98.0.2", 9999, ua9, &peer,
	    NEG_MS) == ETIMEDOUT);
	/* Internal: no way out, no way in, even through a published port
	 * (which berthd would not make, but the table holds anyway). */
	CHECK(udp_exchange(t.c, "10.97.0.2", 9999, uo, &peer,
	    NEG_MS) == ETIMEDOUT);
	CHECK(udp_exchange(t.a, "10.96.0.2", 80, uc, &peer,
	    NEG_MS) == ETIMEDOUT);
	CHECK(udp_exchange(t.out, "10.97.0.1", 18082, uc, &peer,
	    NEG_MS) == ETIMEDOUT);
	/* (the host's own packet dropped: sendto says EPERM) */
	CHECK(udp_exchange(-1, "127.0.0.1", 18082, uc, &peer, NEG_MS) ==
	    EPERM);
	CHECK(udp_exchange(-1, "10.98.0.1", 18082, uc, &peer, NEG_MS) ==
	    EPERM);
	/* ...while the host still reaches it by address, as Docker's. */
	CHECK(udp_exchange(-1, "10.96.0.2", 80, uc, &peer, WAIT_MS) == 0);

	/* Unpublished: gone at once. */
	CHECK(rt_nat_port_del(nat, &any, &err) == 0);
	CHECK(tcp_exchange(-1, "127.0.0.1", 18080, la, &peer) ==
	    ECONNREFUSED);
	CHECK(tcp_exchange(-1, "10.98.0.1", 18081, la, &peer) == 0);
	/* Network removed: no masquerade any more (the outside has a
	 * route back now, so the packet arrives with its own source). */
	CHECK(rt_nat_network_del(nat, &na, &err) == 0);
	CHECK(udp_exchange(t.a, "10.97.0.2", 9999, uo, &peer, WAIT_MS) == 0);
	CHECK(is(peer, "10.98.0.2"));
	if (berth_error_isset(&err))
		fprintf(stderr, "# %s\n", berth_error_message(&err));
out:
	if (nat != NULL) {
		rt_nat_destroy(nat, &err);
		rt_nat_close(nat);
	}
	berth_error_clear(&err);
	closeall((int []){ la, ua, ua9, ub, uc, uo, lo, t.a, t.a2, t.b, t.c,
	    t.out }, 12);
	sh("for l in vtha vtha2 vthb vthc vtho brtest0 brtest1 brtest2; do "
	    "ip link del $l 2>/dev/null; done; true");
}

int
main(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (unshare(CLONE_NEWNET) < 0) {
		printf("ok - nat tests need CAP_NET_ADMIN # SKIP\n");
		return (0);
	}
	if (rt_netns_loopback_up(&err) < 0) {
		fprintf(stderr, "# %s\n", berth_error_message(&err));
		return (1);
	}
	/* The checks read the table back with nft: without it, those that
	 * look for an absence would pass for nothing. */
	if (system("nft --version >/dev/null 2>&1") != 0) {
		fprintf(stderr, "# the nft command (Debian's nftables) is "
		    "missing: make deps installs it\n");
		return (1);
	}
	RUN(test_reset_and_destroy_spare_other_tables);
	RUN(test_elements_add_and_delete);
	RUN(test_port_conflict);
	RUN(test_errors);
	RUN(test_traffic);
	UNIT_EXIT();
}
