/*
 * What the spawner's parent and child share: the context the child is
 * cloned with, the messages on their sync socket, and the child's steps
 * (rootfs.c, process.c).  Internal to runtime/.
 *
 * The sync socket (SOCK_SEQPACKET, close-on-exec in the child):
 *   parent -> child	SYNC_GO once the parent has done its part (v1
 *			cgroup membership, uid/gid maps), and again after
 *			before_pivot
 *   child -> parent	SYNC_BEFORE_PIVOT when the mounts are done and the
 *			caller asked to act before pivot_root (it waits),
 *			SYNC_CONSOLE with the pty master (SCM_RIGHTS),
 *			SYNC_READY when set up and waiting on the exec fifo,
 *			SYNC_ERROR with a struct child_error, then exit;
 *   end of file	the exec succeeded (the socket closed with it).
 */
#ifndef BERTH_RUNTIME_CHILD_H
#define BERTH_RUNTIME_CHILD_H

#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>

#include <seccomp.h>

#include "spawn.h"
#include "spec.h"

enum sync_msg {
	SYNC_GO = 1,
	SYNC_CONSOLE,
	SYNC_READY,
	SYNC_ERROR,
	SYNC_BEFORE_PIVOT,	/* child waits for GO (before_pivot) */
};

/* The step that failed, for the message the caller sees. */
struct child_error {
	int		type;		/* SYNC_ERROR */
	int		errnum;
	int		exit_code;	/* 127, 126 or 1 */
	char		name[BERTH_ERROR_NAME_MAX];	/* RT_E_* */
	char		message[1024];
};

struct child_ctx {
	const struct rt_spec		*spec;
	const struct rt_process		*process;
	const struct rt_spawn_opts	*opts;
	int				 sync_fd;
	int				 ns_fds[RT_NS_COUNT];	/* to join */
	int				 exec_fifo_fd;	/* O_PATH, or -1 */
	int				 container_pidfd; /* exec: -1 spawn */
	scmp_filter_ctx			 seccomp;	/* NULL: none */
	int				 console_slave;	/* -1: no terminal */
	/* Past the exec fifo: the creator may be gone, so a failure is
	 * also written to the process's own stderr, where a shell would. */
	bool				 started;
};

/* Report a failure to the parent and exit; never returns. */
void	child_fail(struct child_ctx *c, const char *name, int errnum,
	    int exit_code, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6), noreturn));
/* Report a berth_error (from a library step) and exit. */
void	child_fail_error(struct child_ctx *c, const struct berth_error *err)
	    __attribute__((noreturn));
/* Send a message, optionally with an fd (SCM_RIGHTS; -1 for none). */
int	send_with_fd(int sock, const void *data, size_t len, int pass_fd);
int	sync_send(int fd, int type, int pass_fd);

/* rootfs.c: mount namespace set-up up to and including pivot_root, the
 * masked and read-only paths, and the terminal. */
void	rootfs_setup(struct child_ctx *c);
/* Open a new pty in the container's devpts (after rootfs_setup or after
 * joining the container's mount namespace): sends the master to the
 * parent, keeps the slave for stdio.  in_root: paths are already inside
 * the container's root. */
void	console_setup(struct child_ctx *c, bool bind_console);

/* spawn.c, shared with exec.c. */
pid_t	spawn_clone3(uint64_t flags, int cgroup_fd, int *pidfd);
/* parent: the pid the child must see as its parent, 0 when the parent is
 * outside the child's pid namespace. */
void	spawn_child_start(struct child_ctx *c, pid_t parent);
int	spawn_read_child(int sock, pid_t pid, const struct rt_spawn_opts *opts,
	    struct rt_container *out, bool block, struct berth_error *err);
int	spawn_wait_child(int sock, pid_t pid, const struct rt_spawn_opts *opts,
	    struct rt_container *out, struct berth_error *err);
void	spawn_abort_child(int pidfd);
void	spawn_abort(int pidfd, struct rt_container *out);

/* process.c: everything after the filesystem, ending in exec. */
void	process_exec(struct child_ctx *c) __attribute__((noreturn));

#endif
