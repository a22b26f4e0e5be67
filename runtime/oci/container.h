/*
 * The container lifecycle steps the commands share: create (config,
 * state, fifo, spawn, prestart and createRuntime hooks), start (open the
 * fifo, poststart hooks), destroy (kill, cgroup, poststop hooks, state),
 * waiting for a foreground process, and the options that feed the
 * spawner (console socket, preserved fds).
 */
#ifndef BERTH_OCI_CONTAINER_H
#define BERTH_OCI_CONTAINER_H

#include <poll.h>
#include <stdbool.h>

#include "config.h"
#include "oci.h"
#include "spawn.h"
#include "state.h"

#define OCI_PRESERVE_FDS_MAX	64

struct create_opts {
	const char	*id;
	const char	*bundle;
	const char	*pid_file;
	const char	*console_socket;
	int		 preserve_fds;
	/* berth-runtime keeps the pty master and relays it (run in the
	 * foreground with process.terminal and no console socket). */
	bool		 relay_tty;
};

/* An OCI create: on success c is locked and saved, out holds the
 * spawned init (waiting on the fifo), cfg the parsed config.  On
 * failure nothing stays behind. */
int	container_create(struct oci_ctx *ctx, const struct create_opts *o,
	    struct oci_container *c, struct oci_config *cfg,
	    struct rt_container *out, struct berth_error *err);
/* Let a created container's init exec. */
int	container_start(struct oci_ctx *ctx, struct oci_container *c,
	    struct berth_error *err);
/* Kill what is left, remove the cgroup and the state directory. */
int	container_destroy(struct oci_ctx *ctx, struct oci_container *c,
	    struct berth_error *err);
/* After the init ended: say so when the OOM killer ended it (the
 * cgroup's OOM kill count). */
void	container_report_oom(struct oci_ctx *ctx, struct oci_container *c);
/* Read the config the container was created with (exec). */
int	container_config(struct oci_container *c, struct oci_config *cfg,
	    struct berth_error *err);

/* Spawner options from the command line: console socket connected,
 * preserved fds 3..3+n-1 listed.  opts->console_socket is closed by
 * spawn_opts_release. */
int	spawn_opts_fill(struct rt_spawn_opts *opts, const char *console_socket,
	    int preserve_fds, int *fds, struct berth_error *err);
void	spawn_opts_release(struct rt_spawn_opts *opts);

/* Exit status of an error from the spawner: 127 for an executable not
 * found, 126 for one that cannot run, else 1. */
int	spawn_error_code(const struct berth_error *err);

struct tty_relay;

/* wait.c: wait for the process behind pidfd to exit, forwarding SIGTERM,
 * SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to it; with a
 * relay, copy the terminal both ways and turn SIGWINCH into a resize.
 * *code: its exit code, 128+signal when killed. */
int	oci_wait(struct oci_ctx *ctx, int pidfd, struct tty_relay *relay,
	    int *code, struct berth_error *err);

/* tty.c: the foreground terminal relay.  Begun before the process
 * starts (our tty raw, the pty sized: rows and cols from
 * process.consoleSize, then ours), ended after the wait. */
int	tty_relay_begin(int master, unsigned short rows, unsigned short cols,
	    struct tty_relay **out, struct berth_error *err);
/* Copy our window size to the pty (SIGWINCH). */
void	tty_relay_resize(struct tty_relay *r);
/* Add the relay's fds to pfd (at most 2); returns how many. */
int	tty_relay_pollfds(struct tty_relay *r, struct pollfd *pfd);
/* Copy what pfd says is ready. */
void	tty_relay_handle(struct tty_relay *r, const struct pollfd *pfd,
	    int n);
/* After the process exited: copy what it left in the pty. */
void	tty_relay_drain(struct tty_relay *r);
/* Restore our tty and free. */
void	tty_relay_end(struct tty_relay *r);

#endif
