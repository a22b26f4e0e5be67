/*
 * rtnetlink over libmnl: links (bridge, veth), addresses, routes, and the
 * dumps that let berthd reconcile after a crash and choose a free subnet.
 *
 * One request at a time per socket: it gets the next sequence number, is
 * sent, and the answers are read until the kernel's ack (changes and
 * single gets, all sent with NLM_F_ACK) or NLMSG_DONE (dumps).  Anything
 * left unread after a failure is drained before the next request, and an
 * answer with another sequence number is dropped, so a late answer is
 * never taken for the next one's.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>

#include <ctype.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "netlink.h"
#include "netns.h"

/* Big enough for any one message of a dump: the kernel fills up to what
 * the reader's buffer held last time, 32 KiB at most. */
#define NL_RECV_SIZE	32768
/* A dump that the kernel saw change under it is tried again this often. */
#define NL_DUMP_TRIES	5

struct rt_nl {
	struct mnl_socket	*sock;
	unsigned int		 portid;
	unsigned int		 seq;
	bool			 stale;		/* answers may be queued */
	alignas(struct nlmsghdr) char buf[NL_RECV_SIZE];
};

/* One request's answer: the data callback and what the kernel said. */
struct nl_exchange {
	mnl_cb_t	 cb;
	void		*data;
	bool		 finished;	/* the ack or NLMSG_DONE was read */
	char		 ext[256];	/* the extended ack's text, if any */
};

static void
nl_closep(struct rt_nl **nl)
{
	rt_nl_close(*nl);
}
#define cleanup_nl	__attribute__((cleanup(nl_closep)))

/* What dev_valid_name() in the kernel accepts, checked here so that a bad
 * name is a clear error before any syscall; op says what it was for. */
static int
nl_check_name(const char *op, const char *name, struct berth_error *err)
{
	const char *p;

	if (name == NULL || *name == '\0')
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, EINVAL,
		    "%s: empty link name", op));
	if (strlen(name) > IFNAMSIZ - 1)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, EINVAL,
		    "%s: link name %s: longer than %d characters", op, name,
		    IFNAMSIZ - 1));
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, EINVAL,
		    "%s: link name %s", op, name));
	for (p = name; *p != '\0'; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			return (berth_error_set(err, BERTH_E_INVALID_PARAM,
			    EINVAL, "%s: link name %s: no '/', ':' or space "
			    "allowed", op, name));
	return (0);
}

/* A failed exchange as an error: what was asked, the kernel's own text
 * when it gave one, and errno. */
static int
nl_fail(struct berth_error *err, const struct nl_exchange *ex,
    const char *fmt, ...)
{
	cleanup_free char *what = NULL;
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	if (ex != NULL && ex->ext[0] != '\0')
		return (berth_error_set(err, BERTH_E_SYSTEM, e, "%s: %s",
		    what ? what : "netlink", ex->ext));
	return (berth_error_set(err, BERTH_E_SYSTEM, e, "%s",
	    what ? what : "netlink"));
}

static int
nl_ext_attr(const struct nlattr *attr, void *data)
{
	struct nl_exchange *ex = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(ex->ext, sizeof(ex->ext), "%s",
		    mnl_attr_get_str(attr));
	return (MNL_CB_OK);
}

/* NLMSG_ERROR: an ack (error 0) ends the exchange, anything else fails it
 * with errno, after keeping the extended ack's message. */
static int
nl_error_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_exchange *ex = data;
	const struct nlmsgerr *e;
	size_t off;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
		errno = EBADMSG;
		return (MNL_CB_ERROR);
	}
	e = mnl_nlmsg_get_payload(nlh);
	ex->finished = true;
	if (e->error == 0)
		return (MNL_CB_STOP);
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* The attributes follow our request's header, or all of it
		 * when the kernel did not cap the echo. */
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
		    e->msg.nlmsg_len > sizeof(struct nlmsghdr))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		off = MNL_ALIGN(off);
		if (off < mnl_nlmsg_get_payload_len(nlh))
			mnl_attr_parse(nlh, off, nl_ext_attr, ex);
	}
	errno = e->error < 0 ? -e->error : e->error;
	return (MNL_CB_ERROR);
}

/* NLMSG_DONE ends a dump; it carries the dump's own error, if any. */
static int
nl_done_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_exchange *ex = data;
	int e;

	ex->finished = true;
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
		if (e < 0) {
			errno = -e;
			return (MNL_CB_ERROR);
		}
	}
	return (MNL_CB_STOP);
}

static int
nl_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_exchange *ex = data;

	return (ex->cb != NULL ? ex->cb(nlh, ex->data) : MNL_CB_OK);
}

/* Throw away what an earlier, failed exchange left in the socket. */
static void
nl_drain(struct rt_nl *nl)
{
	int fd = mnl_socket_get_fd(nl->sock);

	if (!nl->stale)
		return;
	while (recv(fd, nl->buf, sizeof(nl->buf), MSG_DONTWAIT) >= 0 ||
	    errno == EINTR)
		;
	nl->stale = false;
}

/* Send nlh and read its answers; 0, or -1 with errno (ETIMEDOUT when the
 * kernel did not answer in time). */
static int
nl_exchange(struct rt_nl *nl, struct nlmsghdr *nlh, struct nl_exchange *ex)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = nl_error_cb,
		[NLMSG_DONE] = nl_done_cb,
	};
	int ret = MNL_CB_OK;
	ssize_t n;

	nl_drain(nl);
	if (++nl->seq == 0)		/* 0 would turn the check off */
		nl->seq = 1;
	nlh->nlmsg_seq = nl->seq;
	ex->finished = false;
	ex->ext[0] = '\0';
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return (-1);
	nl->stale = true;
	do {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			return (-1);
		}
		/* The kernel answers each request in datagrams of its own:
		 * one for an earlier request, answered after it timed out,
		 * is dropped whole. */
		if (n >= (ssize_t)sizeof(struct nlmsghdr) &&
		    ((struct nlmsghdr *)nl->buf)->nlmsg_seq != 0 &&
		    ((struct nlmsghdr *)nl->buf)->nlmsg_seq != nl->seq)
			continue;
		ret = mnl_cb_run2(nl->buf, n, nl->seq, nl->portid,
		    nl_data_cb, ex, ctl, NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	if (ex->finished)
		nl->stale = false;
	return (ret < 0 ? -1 : 0);
}

/* A dump, tried again when the kernel flags it as interrupted by a change
 * (NLM_F_DUMP_INTR, EINTR from libmnl); reset empties what a partial
 * dump collected. */
static int
nl_dump(struct rt_nl *nl, struct nlmsghdr *nlh, struct nl_exchange *ex,
    void (*reset)(void *))
{
	int i, rc = -1;

	for (i = 0; i < NL_DUMP_TRIES; i++) {
		if ((rc = nl_exchange(nl, nlh, ex)) == 0 || errno != EINTR)
			break;
		reset(ex->data);
	}
	return (rc);
}

static struct nlmsghdr *
nl_request(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return (nlh);
}

/* A link request naming its link (ifi_index 0: the kernel looks the name
 * up, or gives it to a new link). */
static struct nlmsghdr *
nl_link_request(char *buf, uint16_t type, uint16_t flags, const char *name,
    struct ifinfomsg **ifip)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	nlh = nl_request(buf, type, flags | NLM_F_ACK);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (ifip != NULL)
		*ifip = ifi;
	return (nlh);
}

int
rt_nl_open(int nsfd, struct rt_nl **out, struct berth_error *err)
{
	struct timeval tv = { .tv_sec = RT_NL_TIMEOUT_SEC };
	cleanup_nl struct rt_nl *nl = NULL;
	int saved, e, one = 1;

	*out = NULL;
	if ((nl = calloc(1, sizeof(*nl))) == NULL)
		return (berth_error_sys(err, "netlink socket"));
	if (rt_netns_enter(nsfd, &saved, err) < 0)
		return (berth_error_wrap(err, "netlink socket"));
	/* A netlink socket talks to the namespace it was made in. */
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	e = errno;
	if (rt_netns_leave(saved, err) < 0)
		return (-1);
	errno = e;
	if (nl->sock == NULL)
		return (berth_error_sys(err, "netlink socket"));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return (berth_error_sys(err, "bind netlink socket"));
	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO,
	    &tv, sizeof(tv)) < 0)
		return (berth_error_sys(err, "netlink socket receive timeout"));
	/* The kernel's reason in words, and no echo of our request in its
	 * errors; both optional, older kernels simply lack them. */
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one,
	    sizeof(one));
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one,
	    sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	*out = steal_pointer(&nl);
	return (0);
}

void
rt_nl_close(struct rt_nl *nl)
{
	if (nl == NULL)
		return;
	if (nl->sock != NULL)
		mnl_socket_close(nl->sock);
	free(nl);
}

/* What one link is: its index and kind ("" for a link without one, such
 * as a physical device). */
struct nl_link {
	int	index;
	char	kind[32];
};

static int
nl_linkinfo_attr(const struct nlattr *attr, void *data)
{
	struct nl_link *link = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_STRING) == 0)
		snprintf(link->kind, sizeof(link->kind), "%.*s",
		    (int)strnlen(mnl_attr_get_payload(attr),
		    mnl_attr_get_payload_len(attr)),
		    (const char *)mnl_attr_get_payload(attr));
	return (MNL_CB_OK);
}

static int
nl_link_attr(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == IFLA_LINKINFO &&
	    mnl_attr_validate(attr, MNL_TYPE_NESTED) == 0)
		mnl_attr_parse_nested(attr, nl_linkinfo_attr, data);
	return (MNL_CB_OK);
}

static int
nl_link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_link *link = data;
	const struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return (MNL_CB_OK);
	ifi = mnl_nlmsg_get_payload(nlh);
	link->index = ifi->ifi_index;
	mnl_attr_parse(nlh, sizeof(*ifi), nl_link_attr, link);
	return (MNL_CB_OK);
}

/* 1 and *link when name exists, 0 when not, -1 with errno. */
static int
nl_link_get(struct rt_nl *nl, const char *name, struct nl_link *link,
    struct nl_exchange *ex)
{
	alignas(struct nlmsghdr) char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	memset(link, 0, sizeof(*link));
	nlh = nl_link_request(buf, RTM_GETLINK, 0, name, NULL);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	ex->cb = nl_link_cb;
	ex->data = link;
	if (nl_exchange(nl, nlh, ex) < 0)
		return (errno == ENODEV ? 0 : -1);
	if (link->index <= 0) {
		errno = EBADMSG;
		return (-1);
	}
	return (1);
}

int
rt_nl_link_exists(struct rt_nl *nl, const char *name, int *ifindex,
    struct berth_error *err)
{
	struct nl_exchange ex = { 0 };
	struct nl_link link;
	int rc;

	if (ifindex != NULL)
		*ifindex = 0;
	if (nl_check_name("link get", name, err) < 0)
		return (-1);
	if ((rc = nl_link_get(nl, name, &link, &ex)) < 0)
		return (nl_fail(err, &ex, "link get %s", name));
	if (rc == 1 && ifindex != NULL)
		*ifindex = link.index;
	return (rc);
}

/* The index of a link that must exist, for requests that take one. */
static int
nl_index(struct rt_nl *nl, const char *name, int *ifindex,
    struct berth_error *err)
{
	int rc;

	if ((rc = rt_nl_link_exists(nl, name, ifindex, err)) < 0)
		return (-1);
	if (rc == 0) {
		errno = ENODEV;
		return (berth_error_sys(err, "link %s", name));
	}
	return (0);
}

int
rt_nl_bridge_add(struct rt_nl *nl, const char *name, struct berth_error *err)
{
	alignas(struct nlmsghdr) char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_exchange ex = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *info;
	struct nl_link link;
	int rc;

	if (nl_check_name("bridge add", name, err) < 0)
		return (-1);
	nlh = nl_link_request(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
	    name, NULL);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	if (nl_exchange(nl, nlh, &ex) == 0)
		return (0);
	if (errno != EEXIST)
		return (nl_fail(err, &ex, "bridge add %s", name));
	/* Taken: fine if by a bridge, ours from an earlier start. */
	if ((rc = nl_link_get(nl, name, &link, &ex)) < 0)
		return (nl_fail(err, &ex, "bridge add %s: link get", name));
	if (rc == 1 && strcmp(link.kind, "bridge") == 0)
		return (0);
	errno = EEXIST;
	return (berth_error_sys(err, "bridge add %s: a %s%slink has that name",
	    name, link.kind, link.kind[0] != '\0' ? " " : ""));
}

int
rt_nl_veth_add(struct rt_nl *nl, const char *name, const char *peer,
    int peer_nsfd, struct berth_error *err)
{
	alignas(struct nlmsghdr) char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_exchange ex = { 0 };
	struct nlattr *info, *data, *peerinfo;
	struct nlmsghdr *nlh;
	struct nl_link link;
	bool peer_taken;

	if (nl_check_name("veth add", name, err) < 0 ||
	    nl_check_name("veth add", peer, err) < 0)
		return (-1);
	nlh = nl_link_request(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
	    name, NULL);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* The peer is described like a link of its own: an ifinfomsg, then
	 * its attributes, the namespace it is born in among them. */
	peerinfo = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (peer_nsfd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_nsfd);
	mnl_attr_nest_end(nlh, peerinfo);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	if (nl_exchange(nl, nlh, &ex) == 0)
		return (0);
	if (errno != EEXIST)
		return (nl_fail(err, &ex, "veth add %s", name));
	/* Our side free means the peer's name was the taken one. */
	peer_taken = nl_link_get(nl, name, &link,
	    &(struct nl_exchange){ 0 }) == 0;
	errno = EEXIST;
	if (peer_taken)
		return (nl_fail(err, &ex, "veth add %s: peer %s", name, peer));
	return (nl_fail(err, &ex, "veth add %s", name));
}

int
rt_nl_link_del(struct rt_nl *nl, const char *name, struct berth_error *err)
{
	alignas(struct nlmsghdr) char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_exchange ex = { 0 };
	struct nlmsghdr *nlh;

	if (nl_check_name("link del", name, err) < 0)
		return (-1);
	nlh = nl_link_request(buf, RTM_DELLINK, 0, name, NULL);
	if (nl_exchange(nl, nlh, &ex) < 0 && errno != ENODEV)
		return (nl_fail(err, &ex, "link del %s", name));
	return (0);
}

/* RTM_SETLINK on a link found by name; fill adds what changes. */
static int
nl_link_set(struct rt_nl *nl, const char *name,
    void (*fill)(struct nlmsghdr *, struct ifinfomsg *, const void *),
    const void *arg, const char *what, struct berth_error *err)
{
	alignas(struct nlmsghdr) char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_exchange ex = { 0 };
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;

	nlh = nl_link_request(buf, RTM_SETLINK, 0, name, &ifi);
	fill(nlh, ifi, arg);
	if (nl_exchange(nl, nlh, &ex) < 0)
		return (nl_fail(err, &ex, "link %s: %s", name, what));
	return (0);
}

static void
nl_fill_up(struct nlmsghdr *nlh, struct ifinfomsg *ifi, const void *arg)
{
	(void)nlh;
	(void)arg;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
}

static void
nl_fill_master(struct nlmsghdr *nlh, struct ifinfomsg *ifi, const void *arg)
{
	(void)ifi;
	mnl_attr_put_u32(nlh, IFLA_MASTER, *(const uint32_t *)arg);
}

static void
nl_fill_mac(struct nlmsghdr *nlh, struct ifinfomsg *ifi, const void *arg)
{
	(void)ifi;
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, arg);
}

int
rt_nl_link_up(struct rt_nl *nl, const char *name, struct berth_error *err)
{
	if (nl_check_name("link up", name, err) < 0)
		return (-1);
	return (nl_link_set(nl, name, nl_fill_up, NULL, "up", err));
}

int
rt_nl_link_set_master(struct rt_nl *nl, const char *name, const char *master,
    struct berth_error *err)
{
	char what[IFNAMSIZ + 16];
	uint32_t index;
	int ifindex;

	if (nl_check_name("link set master", name, err) < 0 ||
	    nl_check_name("link set master", master, err) < 0)
		return (-1);
	if (nl_index(nl, master, &ifindex, err) < 0)
		return (berth_error_wrap(err, "link %s: set master %s", name,
		    master));
	index = (uint32_t)ifindex;
	snprintf(what, sizeof(what), "set master %s", master);
	return (nl_link_set(nl, name, nl_fill_master, &index, what, err));
}

int
rt_nl_link_set_mac(struct rt_nl *nl, const char *name,
    const unsigned char mac[6], struct berth_error *err)
{
	char what[48];

	if (nl_check_name("link set mac", name, err) < 0)
		return (-1);
	snprintf(what, sizeof(what), "set mac %02x:%02x:%02x:%02x:%02x:%02x",
	    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return (nl_link_set(nl, name, nl_fill_mac, mac, what, err));
}

int
rt_nl_addr_add(struct rt_nl *nl, const char *name, struct in_addr addr,
    int prefixlen, struct berth_error *err)
{
	alignas(struct nlmsghdr) char buf[MNL_SOCKET_BUFFER_SIZE];
	char a[INET_ADDRSTRLEN];
	struct nl_exchange ex = { 0 };
	struct ifaddrmsg *ifa;
	struct nlmsghdr *nlh;
	int ifindex;

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	if (nl_check_name("address add", name, err) < 0)
		return (-1);
	if (prefixlen < 0 || prefixlen > 32)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, EINVAL,
		    "address add %s/%d on %s: bad prefix length", a,
		    prefixlen, name));
	if (nl_index(nl, name, &ifindex, err) < 0)
		return (berth_error_wrap(err, "address add %s/%d", a,
		    prefixlen));
	nlh = nl_request(buf, RTM_NEWADDR,
	    NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
	if (nl_exchange(nl, nlh, &ex) < 0 && errno != EEXIST)
		return (nl_fail(err, &ex, "address add %s/%d on %s", a,
		    prefixlen, name));
	return (0);
}

int
rt_nl_route_add_default(struct rt_nl *nl, struct in_addr gw, const char *dev,
    struct berth_error *err)
{
	alignas(struct nlmsghdr) char buf[MNL_SOCKET_BUFFER_SIZE];
	char a[INET_ADDRSTRLEN];
	struct nl_exchange ex = { 0 };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int ifindex;

	inet_ntop(AF_INET, &gw, a, sizeof(a));
	if (nl_check_name("default route", dev, err) < 0)
		return (-1);
	if (nl_index(nl, dev, &ifindex, err) < 0)
		return (berth_error_wrap(err, "default route via %s", a));
	nlh = nl_request(buf, RTM_NEWROUTE,
	    NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_TABLE, RT_TABLE_MAIN);
	mnl_attr_put(nlh, RTA_GATEWAY, sizeof(gw), &gw);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	if (nl_exchange(nl, nlh, &ex) < 0)
		return (nl_fail(err, &ex, "default route via %s dev %s", a,
		    dev));
	return (0);
}

/* Names collected by a link dump. */
struct nl_names {
	const char	*prefix;
	char		**v;		/* NULL-terminated when cap > 0 */
	size_t		 n, cap;
};

static void
nl_names_reset(void *data)
{
	struct nl_names *names = data;
	size_t i;

	for (i = 0; i < names->n; i++)
		free(names->v[i]);
	names->n = 0;
	if (names->v != NULL)
		names->v[0] = NULL;
}

static int
nl_names_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_names *names = data;
	const struct nlattr *attr;
	const char *name = NULL;
	char **v;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg))
		return (MNL_CB_OK);
	mnl_attr_for_each(attr, nlh, sizeof(struct ifinfomsg))
		if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			name = mnl_attr_get_str(attr);
	if (name == NULL ||
	    strncmp(name, names->prefix, strlen(names->prefix)) != 0)
		return (MNL_CB_OK);
	if (names->n + 2 > names->cap) {
		size_t cap = names->cap ? names->cap * 2 : 16;

		if ((v = reallocarray(names->v, cap, sizeof(*v))) == NULL)
			return (MNL_CB_ERROR);
		names->v = v;
		names->cap = cap;
	}
	if ((names->v[names->n] = strdup(name)) == NULL)
		return (MNL_CB_ERROR);
	names->v[++names->n] = NULL;
	return (MNL_CB_OK);
}

int
rt_nl_links(struct rt_nl *nl, const char *prefix, char ***out,
    struct berth_error *err)
{
	alignas(struct nlmsghdr) char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_names names = { .prefix = prefix ? prefix : "" };
	struct nl_exchange ex = { .cb = nl_names_cb, .data = &names };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	*out = NULL;
	nlh = nl_request(buf, RTM_GETLINK, NLM_F_DUMP);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (nl_dump(nl, nlh, &ex, nl_names_reset) < 0) {
		nl_fail(err, &ex, "link dump");
		nl_names_reset(&names);
		free(names.v);
		return (-1);
	}
	if (names.v == NULL &&
	    (names.v = calloc(1, sizeof(*names.v))) == NULL)
		return (berth_error_sys(err, "link dump"));
	*out = names.v;
	return (0);
}

/* Networks collected by the route and address dumps, each once. */
struct nl_nets {
	struct rt_nl_net	*v;
	size_t			 n, cap;
};

/* An interrupted dump's networks are kept when it is tried again: one
 * that went away meanwhile is only avoided for nothing, and each is
 * stored once. */
static void
nl_nets_keep(void *data)
{
	(void)data;
}

static int
nl_nets_add(struct nl_nets *nets, const void *addr, int prefixlen)
{
	struct rt_nl_net net, *v;
	uint32_t a;
	size_t i;

	memcpy(&a, addr, sizeof(a));
	if (prefixlen < 32)
		a &= htonl(prefixlen == 0 ? 0 : ~0U << (32 - prefixlen));
	net.dst.s_addr = a;
	net.prefixlen = prefixlen;
	for (i = 0; i < nets->n; i++)
		if (nets->v[i].dst.s_addr == a &&
		    nets->v[i].prefixlen == prefixlen)
			return (MNL_CB_OK);
	if (nets->n == nets->cap) {
		size_t cap = nets->cap ? nets->cap * 2 : 16;

		if ((v = reallocarray(nets->v, cap, sizeof(*v))) == NULL)
			return (MNL_CB_ERROR);
		nets->v = v;
		nets->cap = cap;
	}
	nets->v[nets->n++] = net;
	return (MNL_CB_OK);
}

static int
nl_route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm;
	const struct nlattr *attr;
	const void *dst = NULL;
	uint32_t table;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return (MNL_CB_OK);
	rtm = mnl_nlmsg_get_payload(nlh);
	table = rtm->rtm_table;
	if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len == 0 ||
	    rtm->rtm_dst_len > 32)
		return (MNL_CB_OK);
	mnl_attr_for_each(attr, nlh, sizeof(*rtm)) {
		if (mnl_attr_get_type(attr) == RTA_TABLE &&
		    mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
			table = mnl_attr_get_u32(attr);
		else if (mnl_attr_get_type(attr) == RTA_DST &&
		    mnl_attr_get_payload_len(attr) == 4)
			dst = mnl_attr_get_payload(attr);
	}
	if (table == RT_TABLE_LOCAL || dst == NULL)
		return (MNL_CB_OK);
	return (nl_nets_add(data, dst, rtm->rtm_dst_len));
}

static int
nl_addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa;
	const struct nlattr *attr;
	int rc = MNL_CB_OK;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return (MNL_CB_OK);
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET || ifa->ifa_prefixlen > 32)
		return (MNL_CB_OK);
	/* IFA_LOCAL is the address; IFA_ADDRESS the peer's on a
	 * point-to-point link, else the same. */
	mnl_attr_for_each(attr, nlh, sizeof(*ifa))
		if ((mnl_attr_get_type(attr) == IFA_LOCAL ||
		    mnl_attr_get_type(attr) == IFA_ADDRESS) &&
		    mnl_attr_get_payload_len(attr) == 4 && rc == MNL_CB_OK)
			rc = nl_nets_add(data, mnl_attr_get_payload(attr),
			    ifa->ifa_prefixlen);
	return (rc);
}

int
rt_nl_ipv4_nets(struct rt_nl *nl, struct rt_nl_net **out, size_t *n,
    struct berth_error *err)
{
	alignas(struct nlmsghdr) char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nl_nets nets = { 0 };
	struct nl_exchange ex = { .data = &nets };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	struct rtmsg *rtm;

	*out = NULL;
	*n = 0;
	nlh = nl_request(buf, RTM_GETROUTE, NLM_F_DUMP);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	ex.cb = nl_route_cb;
	if (nl_dump(nl, nlh, &ex, nl_nets_keep) < 0) {
		nl_fail(err, &ex, "route dump");
		goto fail;
	}
	nlh = nl_request(buf, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ex.cb = nl_addr_cb;
	if (nl_dump(nl, nlh, &ex, nl_nets_keep) < 0) {
		nl_fail(err, &ex, "address dump");
		goto fail;
	}
	*out = nets.v;
	*n = nets.n;
	return (0);
fail:
	free(nets.v);
	return (-1);
}
