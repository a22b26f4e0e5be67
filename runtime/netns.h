/*
 * Network namespaces seen from a single-threaded process: make a new one,
 * and step into one for long enough to open a socket or a /proc/sys file
 * there (a socket stays in the namespace it was made in).
 */
#ifndef BERTH_RUNTIME_NETNS_H
#define BERTH_RUNTIME_NETNS_H

#include "error.h"

/* A new network namespace with its loopback up; *fd (O_CLOEXEC) holds
 * it.  The caller's own namespace is unchanged after. */
int	rt_netns_new(int *fd, struct berth_error *err);

/* Move the calling thread into nsfd (-1: stay); *saved is its own
 * namespace (or -1), for rt_netns_leave, which always goes back and
 * closes it.  Only for a process with one thread: others would not
 * follow. */
int	rt_netns_enter(int nsfd, int *saved, struct berth_error *err);
int	rt_netns_leave(int saved, struct berth_error *err);

/* Write value to /proc/sys/PATH (e.g. "net/ipv4/ip_forward") as nsfd's
 * namespace (-1: the caller's) has it. */
int	rt_sysctl_write(int nsfd, const char *path, const char *value,
	    struct berth_error *err);

/* Bring the loopback of the current namespace up. */
int	rt_netns_loopback_up(struct berth_error *err);

#endif
