/*
 * The spawner: a container description in, an isolated process out
 * (clone3 with CLONE_PIDFD), and exec of another process into a running
 * container through its pidfd.
 */
#ifndef BERTH_RUNTIME_SPAWN_H
#define BERTH_RUNTIME_SPAWN_H

#include <sys/types.h>
#include <stdbool.h>

#include "cgroup.h"
#include "error.h"
#include "spec.h"

struct rt_spawn_opts {
	/* stdin, stdout, stderr of the process when it has no terminal;
	 * -1 keeps the caller's own 0, 1, 2. */
	int		 stdio[3];
	/* With a terminal: the pty master is sent over this UNIX socket
	 * (OCI --console-socket), or returned in console_fd when -1. */
	int		 console_socket;
	/* When set, the process is created but blocks before exec until
	 * this fifo is opened for reading (rt_start_fifo): OCI's create and
	 * start.  NULL: it execs as soon as setup is done. */
	const char	*exec_fifo;
	/* Extra fds passed to the process as 3, 4, ... (LISTEN_FDS). */
	const int	*pass_fds;
	int		 npass_fds;
	/* The terminal's size (process.consoleSize), set before the master
	 * goes to the caller or the console socket; 0 leaves it. */
	unsigned short	 console_rows;
	unsigned short	 console_cols;
	/* Called once the container's namespaces and mounts exist and
	 * before pivot_root, while the child waits (OCI prestart and
	 * createRuntime hooks); a failure aborts the spawn. */
	int		(*before_pivot)(void *arg, pid_t pid,
			    struct berth_error *err);
	void		*before_pivot_arg;
	/* The RLIMIT_NOFILE the process starts with when the spec has none
	 * (berthd raised its own); 0 keeps the caller's. */
	unsigned long	 nofile_soft;
};

struct rt_container {
	pid_t		 pid;		/* in the caller's pid namespace */
	int		 pidfd;
	int		 console_fd;	/* pty master, or -1 */
	struct rt_cgroup *cgroup;
};

void	rt_spawn_opts_init(struct rt_spawn_opts *opts);

/*
 * Create the container.  On success the process runs (or waits on
 * exec_fifo) and out holds its pid, pidfd and cgroup.  On failure the
 * error names the step, the path and the errno; nothing stays behind
 * (process, cgroup, mounts).  An executable that is not found is
 * RT_E_NOT_FOUND (exit code 127), one that cannot run RT_E_NOT_EXECUTABLE
 * (126).
 */
int	rt_spawn(const struct rt_spec *spec, const struct rt_spawn_opts *opts,
	    struct rt_container *out, struct berth_error *err);

/*
 * The same in two steps, for a caller with a loop: rt_spawn_start does
 * the parent's part (cgroup, clone, id maps) and returns while the child
 * sets itself up; when rt_spawn_pending_fd is readable, rt_spawn_step
 * reads its reports: 1 not done yet, 0 done (out filled, as rt_spawn's),
 * -1 failed (err as rt_spawn's).  rt_spawn_pending_free after either,
 * or to abandon it (the child is killed and reaped, its cgroup
 * removed).  opts is copied: its fds must stay open until done.
 */
struct rt_spawn_pending;

int	rt_spawn_start(const struct rt_spec *spec,
	    const struct rt_spawn_opts *opts, struct rt_spawn_pending **out,
	    struct berth_error *err);
int	rt_spawn_pending_fd(const struct rt_spawn_pending *sp);
int	rt_spawn_step(struct rt_spawn_pending *sp, struct rt_container *out,
	    struct berth_error *err);
void	rt_spawn_pending_free(struct rt_spawn_pending *sp);

/* Let a created container exec: open its fifo for reading.  Fails with
 * ENXIO-like errors when the process is gone. */
int	rt_start_fifo(const char *fifo, struct berth_error *err);

/*
 * Run process in a running container: join its namespaces through pidfd,
 * its cgroup, its root, with the security settings in process and the
 * seccomp profile and user mappings of spec.
 */
int	rt_exec(const struct rt_spec *spec, int container_pidfd,
	    struct rt_cgroup *cg, const struct rt_process *process,
	    const struct rt_spawn_opts *opts, struct rt_container *out,
	    struct berth_error *err);

/* Close the fds and free the cgroup handle (the cgroup stays). */
void	rt_container_release(struct rt_container *c);

/* Exit status of a process as a shell reports it: code, or 128+signal. */
int	rt_exit_code(int wstatus_code, int si_code);

#endif
