/*
 * The rtnetlink layer against the real kernel, in a network namespace of
 * the test's own (and a second one for the veth peer): a bridge with an
 * address, a veth pair across the two namespaces on it, a default route,
 * what the dumps report, a UDP datagram each way through it all, and the
 * errors (names taken, too long, missing).  Needs CAP_NET_ADMIN; the
 * namespaces, and so everything made in them, go when the test exits.
 */
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netlink.h"
#include "netns.h"
#include "unit.h"

#define BRIDGE		"br-test0"
#define VETH		"vtest0"
#define PEER		"eth0"
#define TOO_LONG	"abcdefghijklmnop"	/* IFNAMSIZ characters */
#define UDP_PORT	4789
#define MANY		100	/* veth pairs: dozens of KiB of dump */

static int ns2 = -1;			/* the peer's namespace */
static struct rt_nl *nl, *nl2;		/* sockets here and in ns2 */
static const unsigned char mac_here[6] = { 0x02, 0x42, 0xac, 0x11, 0, 7 };
static const unsigned char mac_peer[6] = { 0x02, 0x42, 0xac, 0x11, 0, 8 };

static bool
have_net_admin(void)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t caps;

	if ((caps = cap_get_proc()) == NULL)
		return (false);
	if (cap_get_flag(caps, CAP_NET_ADMIN, CAP_EFFECTIVE, &v) < 0)
		v = CAP_CLEAR;
	cap_free(caps);
	return (v == CAP_SET);
}

static struct in_addr
ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		a.s_addr = 0;
	return (a);
}

static bool
message_has(const struct berth_error *err, const char *part)
{
	const char *m = berth_error_message(err);

	if (m == NULL || strstr(m, part) == NULL) {
		fprintf(stderr, "# message '%s' lacks '%s'\n",
		    m ? m : "(null)", part);
		return (false);
	}
	return (true);
}

static bool
has_name(char **names, const char *name)
{
	for (; names != NULL && *names != NULL; names++)
		if (strcmp(*names, name) == 0)
			return (true);
	return (false);
}

static int
count_names(char **names)
{
	int n = 0;

	for (; names != NULL && *names != NULL; names++)
		n++;
	return (n);
}

static bool
has_net(const struct rt_nl_net *nets, size_t n, const char *dst, int len)
{
	struct in_addr a = ip(dst);
	size_t i;

	for (i = 0; i < n; i++)
		if (nets[i].dst.s_addr == a.s_addr && nets[i].prefixlen == len)
			return (true);
	return (false);
}

/* The hardware address of name in nsfd (-1: here), by ioctl. */
static int
mac_of(int nsfd, const char *name, unsigned char mac[6])
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct ifreq ifr;
	int saved, s, rc;

	if (rt_netns_enter(nsfd, &saved, &err) < 0)
		return (-1);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	rt_netns_leave(saved, &err);
	berth_error_clear(&err);
	if (s < 0)
		return (-1);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if ((rc = ioctl(s, SIOCGIFHWADDR, &ifr)) == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
	return (rc);
}

/* A UDP socket made in nsfd (-1: here), bound to addr:port. */
static int
udp_socket(int nsfd, const char *addr, int port)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct timeval tv = { .tv_sec = 5 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int saved, s;

	if (rt_netns_enter(nsfd, &saved, &err) < 0)
		return (-1);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	rt_netns_leave(saved, &err);
	berth_error_clear(&err);
	if (s < 0)
		return (-1);
	sin.sin_addr = ip(addr);
	sin.sin_port = htons(port);
	if (setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(s);
		return (-1);
	}
	return (s);
}

/* Send one datagram from (from_ns, from) to (to_ns, to) and check that it
 * arrives whole, from the expected address. */
static void
check_datagram(int from_ns, const char *from, int to_ns, const char *to)
{
	struct sockaddr_in dst = { .sin_family = AF_INET }, src;
	socklen_t srclen = sizeof(src);
	char msg[64], got[64];
	int rx, tx;
	ssize_t n;

	snprintf(msg, sizeof(msg), "from %s to %s", from, to);
	rx = udp_socket(to_ns, to, UDP_PORT);
	tx = udp_socket(from_ns, from, 0);
	CHECK(rx >= 0);
	CHECK(tx >= 0);
	if (rx >= 0 && tx >= 0) {
		dst.sin_addr = ip(to);
		dst.sin_port = htons(UDP_PORT);
		CHECK(sendto(tx, msg, strlen(msg), 0,
		    (struct sockaddr *)&dst, sizeof(dst)) ==
		    (ssize_t)strlen(msg));
		n = recvfrom(rx, got, sizeof(got) - 1, 0,
		    (struct sockaddr *)&src, &srclen);
		CHECK(n == (ssize_t)strlen(msg));
		if (n >= 0) {
			got[n] = '\0';
			CHECK_STR(got, msg);
			CHECK(src.sin_addr.s_addr == ip(from).s_addr);
		} else
			fprintf(stderr, "# recv %s: %s\n", msg,
			    strerror(errno));
	}
	if (rx >= 0)
		close(rx);
	if (tx >= 0)
		close(tx);
}

static void
test_bridge_add_is_idempotent(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	int index = 0, again = 0;

	CHECK(rt_nl_link_exists(nl, BRIDGE, &index, &err) == 0);
	CHECK(rt_nl_bridge_add(nl, BRIDGE, &err) == 0);
	CHECK(rt_nl_link_exists(nl, BRIDGE, &index, &err) == 1);
	CHECK(index > 0);
	CHECK(rt_nl_bridge_add(nl, BRIDGE, &err) == 0);
	CHECK(rt_nl_link_exists(nl, BRIDGE, &again, &err) == 1);
	CHECK(again == index);
	CHECK(rt_nl_link_up(nl, BRIDGE, &err) == 0);
	CHECK(rt_nl_addr_add(nl, BRIDGE, ip("10.99.0.1"), 24, &err) == 0);
	/* The same address again is not an error. */
	CHECK(rt_nl_addr_add(nl, BRIDGE, ip("10.99.0.1"), 24, &err) == 0);
	if (berth_error_isset(&err))
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	berth_error_clear(&err);
}

static void
test_veth_pair_across_namespaces(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	unsigned char mac[6];
	int index;

	CHECK(rt_nl_veth_add(nl, VETH, PEER, ns2, &err) == 0);
	CHECK(rt_nl_link_exists(nl, VETH, &index, &err) == 1);
	/* The peer was born in ns2, not here. */
	CHECK(rt_nl_link_exists(nl, PEER, NULL, &err) == 0);
	CHECK(rt_nl_link_exists(nl2, PEER, &index, &err) == 1);
	CHECK(rt_nl_link_exists(nl2, VETH, NULL, &err) == 0);

	CHECK(rt_nl_link_set_mac(nl, VETH, mac_here, &err) == 0);
	CHECK(rt_nl_link_set_master(nl, VETH, BRIDGE, &err) == 0);
	CHECK(rt_nl_link_up(nl, VETH, &err) == 0);
	CHECK(mac_of(-1, VETH, mac) == 0 &&
	    memcmp(mac, mac_here, 6) == 0);

	CHECK(rt_nl_link_set_mac(nl2, PEER, mac_peer, &err) == 0);
	CHECK(rt_nl_addr_add(nl2, PEER, ip("10.99.0.2"), 24, &err) == 0);
	CHECK(rt_nl_link_up(nl2, PEER, &err) == 0);
	CHECK(rt_nl_route_add_default(nl2, ip("10.99.0.1"), PEER, &err) == 0);
	CHECK(mac_of(ns2, PEER, mac) == 0 && memcmp(mac, mac_peer, 6) == 0);
	if (berth_error_isset(&err))
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	berth_error_clear(&err);
}

static void
test_links_by_prefix(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char **names = NULL;

	CHECK(rt_nl_links(nl, "vtest", &names, &err) == 0);
	CHECK(count_names(names) == 1);
	CHECK(has_name(names, VETH));
	strv_free(names);

	CHECK(rt_nl_links(nl, "", &names, &err) == 0);
	CHECK(has_name(names, "lo"));
	CHECK(has_name(names, BRIDGE));
	CHECK(has_name(names, VETH));
	CHECK(!has_name(names, PEER));
	strv_free(names);

	/* Nothing matching is an empty list, not NULL. */
	names = NULL;
	CHECK(rt_nl_links(nl, "nomatch", &names, &err) == 0);
	CHECK(names != NULL && names[0] == NULL);
	strv_free(names);

	CHECK(rt_nl_links(nl2, "", &names, &err) == 0);
	CHECK(count_names(names) == 2);
	CHECK(has_name(names, "lo") && has_name(names, PEER));
	strv_free(names);
	berth_error_clear(&err);
}

static void
test_ipv4_nets_in_use(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_nl_net *nets = NULL;
	size_t n = 0, i, j;

	CHECK(rt_nl_ipv4_nets(nl, &nets, &n, &err) == 0);
	CHECK(has_net(nets, n, "10.99.0.0", 24));
	CHECK(has_net(nets, n, "127.0.0.0", 8));
	/* Table local's host and broadcast routes are left out. */
	CHECK(!has_net(nets, n, "10.99.0.1", 32));
	CHECK(!has_net(nets, n, "10.99.0.255", 32));
	/* Each network once, though both a route and an address give it. */
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			CHECK(nets[i].dst.s_addr != nets[j].dst.s_addr ||
			    nets[i].prefixlen != nets[j].prefixlen);
	free(nets);

	nets = NULL;
	CHECK(rt_nl_ipv4_nets(nl2, &nets, &n, &err) == 0);
	CHECK(has_net(nets, n, "10.99.0.0", 24));
	/* The default route collides with everything: not reported. */
	CHECK(!has_net(nets, n, "0.0.0.0", 0));
	free(nets);
	berth_error_clear(&err);
}

static void
test_datagram_through_bridge_and_veth(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	check_datagram(-1, "10.99.0.1", ns2, "10.99.0.2");
	check_datagram(ns2, "10.99.0.2", -1, "10.99.0.1");
	/* Off the subnet, only the default route leads back here. */
	CHECK(rt_nl_addr_add(nl, "lo", ip("192.0.2.1"), 32, &err) == 0);
	check_datagram(ns2, "10.99.0.2", -1, "192.0.2.1");
	berth_error_clear(&err);
}

static void
test_duplicate_veth_names_the_link(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	CHECK(rt_nl_veth_add(nl, VETH, "eth9", ns2, &err) == -1);
	CHECK(err.errnum == EEXIST);
	CHECK(message_has(&err, "veth add " VETH ": File exists"));
	CHECK(rt_nl_link_exists(nl2, "eth9", NULL, &err) == 0);

	/* Our side free but the peer's name taken in ns2: said so, and
	 * nothing left behind. */
	CHECK(rt_nl_veth_add(nl, "vtest1", PEER, ns2, &err) == -1);
	CHECK(err.errnum == EEXIST);
	CHECK(message_has(&err, "peer " PEER));
	CHECK(rt_nl_link_exists(nl, "vtest1", NULL, &err) == 0);
	berth_error_clear(&err);
}

static void
test_bridge_over_other_link_fails(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	CHECK(rt_nl_bridge_add(nl, VETH, &err) == -1);
	CHECK(err.errnum == EEXIST);
	CHECK(message_has(&err, "bridge add " VETH));
	CHECK(message_has(&err, "veth"));
	berth_error_clear(&err);
}

static void
test_bad_names_refused(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char **names = NULL;

	CHECK(rt_nl_bridge_add(nl, TOO_LONG, &err) == -1);
	CHECK(err.errnum == EINVAL);
	CHECK(message_has(&err, TOO_LONG));
	CHECK(rt_nl_veth_add(nl, "vtest2", TOO_LONG, -1, &err) == -1);
	CHECK(err.errnum == EINVAL);
	CHECK(rt_nl_link_exists(nl, TOO_LONG, NULL, &err) == -1);
	CHECK(err.errnum == EINVAL);
	CHECK(rt_nl_link_del(nl, TOO_LONG, &err) == -1);
	CHECK(rt_nl_bridge_add(nl, "", &err) == -1);
	CHECK(rt_nl_bridge_add(nl, "a/b", &err) == -1);
	CHECK(err.errnum == EINVAL);
	/* Fifteen characters is the most, and fine. */
	CHECK(rt_nl_bridge_add(nl, "abcdefghijklmno", &err) == 0);
	CHECK(rt_nl_link_del(nl, "abcdefghijklmno", &err) == 0);
	/* Nothing of the refused ones was made. */
	CHECK(rt_nl_links(nl, "vtest2", &names, &err) == 0);
	CHECK(count_names(names) == 0);
	strv_free(names);
	CHECK(rt_nl_links(nl, "abcdefghijklm", &names, &err) == 0);
	CHECK(count_names(names) == 0);
	strv_free(names);
	berth_error_clear(&err);
}

static void
test_missing_links(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	CHECK(rt_nl_link_del(nl, "nosuch0", &err) == 0);
	CHECK(rt_nl_link_up(nl, "nosuch0", &err) == -1);
	CHECK(err.errnum == ENODEV);
	CHECK(message_has(&err, "link nosuch0"));
	CHECK(rt_nl_link_set_master(nl, VETH, "nosuch1", &err) == -1);
	CHECK(err.errnum == ENODEV);
	CHECK(message_has(&err, "nosuch1"));
	CHECK(rt_nl_addr_add(nl, "nosuch2", ip("10.98.0.1"), 24, &err) == -1);
	CHECK(err.errnum == ENODEV);
	CHECK(message_has(&err, "nosuch2"));
	CHECK(rt_nl_addr_add(nl, BRIDGE, ip("10.98.0.1"), 33, &err) == -1);
	CHECK(err.errnum == EINVAL);
	/* A second default route is refused: it may not be the same. */
	CHECK(rt_nl_route_add_default(nl2, ip("10.99.0.1"), PEER, &err) == -1);
	CHECK(err.errnum == EEXIST);
	CHECK(message_has(&err, "default route via 10.99.0.1 dev " PEER));
	berth_error_clear(&err);
}

static void
test_delete_takes_the_peer_too(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	CHECK(rt_nl_link_del(nl, VETH, &err) == 0);
	CHECK(rt_nl_link_exists(nl, VETH, NULL, &err) == 0);
	CHECK(rt_nl_link_exists(nl2, PEER, NULL, &err) == 0);
	CHECK(rt_nl_link_del(nl, VETH, &err) == 0);
	CHECK(rt_nl_link_del(nl, BRIDGE, &err) == 0);
	CHECK(rt_nl_link_exists(nl, BRIDGE, NULL, &err) == 0);
	berth_error_clear(&err);
}

/* Enough links that the dump takes several reads; peers made here. */
static void
test_many_links_dump(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char name[32], peer[32], **names = NULL;
	int i, made = 0;

	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "vmany%da", i);
		snprintf(peer, sizeof(peer), "vmany%db", i);
		if (rt_nl_veth_add(nl, name, peer, -1, &err) == 0)
			made++;
	}
	CHECK(made == MANY);
	CHECK(rt_nl_links(nl, "vmany", &names, &err) == 0);
	CHECK(count_names(names) == 2 * MANY);
	CHECK(has_name(names, "vmany0a") && has_name(names, "vmany0b"));
	strv_free(names);
	for (i = 0; i < MANY; i++) {
		snprintf(name, sizeof(name), "vmany%da", i);
		CHECK(rt_nl_link_del(nl, name, &err) == 0);
	}
	names = NULL;
	CHECK(rt_nl_links(nl, "vmany", &names, &err) == 0);
	CHECK(count_names(names) == 0);
	strv_free(names);
	if (berth_error_isset(&err))
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	berth_error_clear(&err);
}

static void
test_open_in_bad_namespace_fails(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_nl *bad = NULL;

	CHECK(rt_nl_open(1000000, &bad, &err) == -1);
	CHECK(bad == NULL);
	CHECK(err.errnum == EBADF);
	berth_error_clear(&err);
}

int
main(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (geteuid() != 0) {
		printf("ok - netlink tests # SKIP not root\n");
		return (0);
	}
	if (!have_net_admin()) {
		printf("ok - netlink tests # SKIP no CAP_NET_ADMIN\n");
		return (0);
	}
	/* Everything from here on lives in namespaces of our own. */
	if (unshare(CLONE_NEWNET) < 0) {
		printf("ok - netlink tests # SKIP no network namespace: %s\n",
		    strerror(errno));
		return (0);
	}
	if (rt_netns_loopback_up(&err) < 0 || rt_netns_new(&ns2, &err) < 0 ||
	    rt_nl_open(-1, &nl, &err) < 0 || rt_nl_open(ns2, &nl2, &err) < 0) {
		printf("not ok - setup: %s\n", berth_error_message(&err));
		return (1);
	}
	RUN(test_bridge_add_is_idempotent);
	RUN(test_veth_pair_across_namespaces);
	RUN(test_links_by_prefix);
	RUN(test_ipv4_nets_in_use);
	RUN(test_datagram_through_bridge_and_veth);
	RUN(test_duplicate_veth_names_the_link);
	RUN(test_bridge_over_other_link_fails);
	RUN(test_bad_names_refused);
	RUN(test_missing_links);
	RUN(test_delete_takes_the_peer_too);
	RUN(test_many_links_dump);
	RUN(test_open_in_bad_namespace_fails);
	rt_nl_close(nl2);
	rt_nl_close(nl);
	close(ns2);
	UNIT_EXIT();
}
