/*
 * Network namespaces: made with unshare() and kept by an fd, entered with
 * setns() for the moment it takes to open something inside.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "netns.h"

int
rt_netns_enter(int nsfd, int *saved, struct berth_error *err)
{
	*saved = -1;
	if (nsfd < 0)
		return (0);
	if ((*saved = open("/proc/thread-self/ns/net",
	    O_RDONLY | O_CLOEXEC)) < 0)
		return (berth_error_sys(err, "open own network namespace"));
	if (setns(nsfd, CLONE_NEWNET) < 0) {
		int e = errno;

		close(*saved);
		*saved = -1;
		errno = e;
		return (berth_error_sys(err, "enter network namespace"));
	}
	return (0);
}

int
rt_netns_leave(int saved, struct berth_error *err)
{
	int rc = 0;

	if (saved < 0)
		return (0);
	if (setns(saved, CLONE_NEWNET) < 0)
		rc = berth_error_sys(err, "return to own network namespace");
	close(saved);
	return (rc);
}

int
rt_netns_loopback_up(struct berth_error *err)
{
	struct ifreq ifr;
	int s, rc = 0;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return (berth_error_sys(err, "socket"));
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		rc = berth_error_sys(err, "lo: get flags");
	else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			rc = berth_error_sys(err, "lo: up");
	}
	close(s);
	return (rc);
}

int
rt_netns_new(int *fd, struct berth_error *err)
{
	int saved, rc = -1;

	*fd = -1;
	if ((saved = open("/proc/thread-self/ns/net",
	    O_RDONLY | O_CLOEXEC)) < 0)
		return (berth_error_sys(err, "open own network namespace"));
	if (unshare(CLONE_NEWNET) < 0) {
		berth_error_sys(err, "new network namespace");
		goto out;
	}
	if ((*fd = open("/proc/thread-self/ns/net",
	    O_RDONLY | O_CLOEXEC)) < 0) {
		berth_error_sys(err, "open new network namespace");
		goto back;
	}
	rc = rt_netns_loopback_up(err);
back:
	if (setns(saved, CLONE_NEWNET) < 0 && rc == 0)
		rc = berth_error_sys(err, "return to own network namespace");
	if (rc < 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
out:
	close(saved);
	return (rc);
}

int
rt_sysctl_write(int nsfd, const char *path, const char *value,
    struct berth_error *err)
{
	char full[PATH_MAX];
	size_t len = strlen(value);
	int saved, fd, rc = -1;

	if (snprintf(full, sizeof(full), "/proc/sys/%s", path) >=
	    (int)sizeof(full))
		return (berth_error_set(err, BERTH_E_SYSTEM, ENAMETOOLONG,
		    "sysctl %s", path));
	if (rt_netns_enter(nsfd, &saved, err) < 0)
		return (-1);
	/* /proc/sys/net is the namespace of whoever opens it. */
	fd = open(full, O_WRONLY | O_CLOEXEC);
	if (rt_netns_leave(saved, err) < 0) {
		if (fd >= 0)
			close(fd);
		return (-1);
	}
	if (fd < 0)
		return (berth_error_sys(err, "open %s", full));
	if (write(fd, value, len) != (ssize_t)len)
		berth_error_sys(err, "write %s to %s", value, full);
	else
		rc = 0;
	close(fd);
	return (rc);
}
