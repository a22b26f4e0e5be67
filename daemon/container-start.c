/*
 * Starting a container without holding the loop: the spec, its stdio,
 * then the runtime's spawn in two steps (spawn.h): the parent's part now
 * (cgroup, clone, the go), the child's set-up (mounts, pivot_root,
 * security, exec) reported on its sync socket, which the loop watches.
 * Meanwhile other calls are served; Start calls wait for the outcome.
 *
 * stdout and stderr are FIFOs in the container's directory that the
 * container holds open read-write (container-recover.c says why), stdin
 * a pipe when it stays open, else /dev/null; with a terminal, the pty
 * master is all three.
 */
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "events.h"
#include "job.h"
#include "log.h"
#include "network.h"
#include "message.h"
#include "peer.h"
#include "snapshot.h"
#include "spawn.h"
#include "spec.h"
#include "volume.h"

/* A Start call waiting for the outcome. */
struct start_wait {
	TAILQ_ENTRY(start_wait)	 entry;
	struct ctr_start	*s;	/* NULL once answered */
	struct peer		*p;
};

TAILQ_HEAD(start_wait_list, start_wait);

struct ctr_start {
	struct container	*c;
	struct rt_spawn_pending	*sp;
	struct event		*ev;
	bool			 tty;
	int			 out[2], errp[2], in[2];
	struct start_wait_list	 waits;
	struct job		*prep;		/* copy-up before the spawn */
};

static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* ---- Start calls waiting -------------------------------------------- */

static void
wait_gone(void *arg, struct peer *p)
{
	struct start_wait *w = arg;

	(void)p;
	if (w->s != NULL)
		TAILQ_REMOVE(&w->s->waits, w, entry);
	free(w);
}

static const struct peer_session_ops wait_ops = {
	.drained = NULL,
	.gone = wait_gone,
};

/* Answer every waiter of a list taken off its start: {} or err. */
static void
answer(struct start_wait_list *l, const struct berth_error *err)
{
	struct start_wait *w;
	struct peer *p;

	while ((w = TAILQ_FIRST(l)) != NULL) {
		TAILQ_REMOVE(l, w, entry);
		p = w->p;
		if (err != NULL)
			peer_send_error(p, err, false);
		else
			peer_reply(p, false, peer_pack_empty, NULL);
		peer_session_end(p);	/* the session lets go of w */
		free(w);
	}
}

int
container_start_wait(struct container *c, struct peer *p,
    struct berth_error *err)
{
	struct start_wait *w;

	if (c->start == NULL)
		return (0);	/* done already: the caller answers */
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (berth_error_sys(err, "start"));
	w->s = c->start;
	w->p = p;
	TAILQ_INSERT_TAIL(&c->start->waits, w, entry);
	peer_session_begin(p, &wait_ops, w, false);
	return (DISPATCH_DEFERRED);
}

/* ---- the start's own state ------------------------------------------ */

/* Free the start (its spawn abandoned if still pending: the child is
 * killed, its cgroup removed); its waiters move to l. */
static void
start_free(struct ctr_start *s, struct start_wait_list *l)
{
	struct start_wait *w;
	int i;

	while ((w = TAILQ_FIRST(&s->waits)) != NULL) {
		TAILQ_REMOVE(&s->waits, w, entry);
		w->s = NULL;
		TAILQ_INSERT_TAIL(l, w, entry);
	}
	if (s->prep != NULL)
		job_cancel(s->prep);
	if (s->ev != NULL)
		event_free(s->ev);
	rt_spawn_pending_free(s->sp);
	for (i = 0; i < 2; i++) {
		close_fd(&s->out[i]);
		close_fd(&s->errp[i]);
		close_fd(&s->in[i]);
	}
	if (s->c != NULL) {
		s->c->start = NULL;
		s->c->policy_start = false;
	}
	free(s);
}

void
container_start_cancel(struct container *c, const char *why)
{
	struct start_wait_list l = TAILQ_HEAD_INITIALIZER(l);
	struct berth_error err = BERTH_ERROR_INIT;

	if (c->start == NULL)
		return;
	log_info("container", "%.12s: start abandoned: %s", c->id, why);
	start_free(c->start, &l);
	network_container_teardown(c);
	container_mounts_stopped(c);
	berth_error_set(&err, CTR_E_STATE, 0, "container %s was not started: "
	    "%s", c->name, why);
	berth_error_param_str(&err, "container", c->name);
	berth_error_param_str(&err, "state", container_state_name(c->state));
	answer(&l, &err);
	berth_error_clear(&err);
}

/*
 * The spawn failed: the container exited with Docker's code for why
 * (and may be gone after, with auto-remove); err says so by name.
 */
static void
spawn_failed(struct container *c, struct berth_error *err)
{
	char msg[1024];
	int code = 125;

	if (berth_error_is(err, RT_E_NOT_FOUND))
		code = 127;
	else if (berth_error_is(err, RT_E_NOT_EXECUTABLE))
		code = 126;
	snprintf(msg, sizeof(msg), "%s", berth_error_message(err));
	berth_error_clear(err);
	berth_error_set(err, CTR_E_START, 0, "%s", msg);
	berth_error_param_int(err, "exit_code", code);
	/* What cannot start is not restarted (as Docker): the policy is
	 * for a process that ran. */
	c->spawn_failed = true;
	container_exited(c, code, msg);
}

/*
 * A stream of the container's output: a FIFO in its directory, opened
 * read-write for the container (so it never meets a reader-less FIFO:
 * while berthd is away, what it writes waits there and a full FIFO
 * blocks it, rather than SIGPIPE killing it) and read-only for the pump.
 * fds[0] is berthd's end, fds[1] the container's.
 */
static int
output_fifo(struct container *c, const char *name, int fds[2],
    struct berth_error *err)
{
	struct stat st;

	if (mkfifoat(c->log_dirfd, name, 0600) < 0 && (errno != EEXIST ||
	    fstatat(c->log_dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISFIFO(st.st_mode)))
		return (berth_error_sys(err, "start %.12s: fifo %s", c->id,
		    name));
	fds[1] = openat(c->log_dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	fds[0] = openat(c->log_dirfd, name, O_RDONLY | O_NONBLOCK |
	    O_CLOEXEC | O_NOFOLLOW);
	if (fds[0] < 0 || fds[1] < 0)
		return (berth_error_sys(err, "start %.12s: open fifo %s",
		    c->id, name));
	return (0);
}

/*
 * The child exec'd: the container runs, with out (and errfd, in) its
 * ends of the stdio.  -1 when it cannot be watched: it is killed then,
 * and recorded exited (c may be gone after, with auto-remove).
 */
static int
start_done(struct container *c, bool tty, int out, int errfd, int in,
    struct rt_container *rc, struct berth_error *err)
{
	if (tty) {
		/* The pty master: read for output, written for input. */
		out = rc->console_fd;
		errfd = -1;
		rc->console_fd = -1;
		if ((in = fcntl(out, F_DUPFD_CLOEXEC, 0)) < 0)
			log_warn("container", "%.12s: terminal input: %s",
			    c->id, strerror(errno));
	}
	if (in >= 0 && container_input_open(c, in, err) < 0) {
		log_warn("container", "%.12s: %s", c->id,
		    berth_error_message(err));
		berth_error_clear(err);
	}
	c->pid = rc->pid;
	c->pidfd = rc->pidfd;
	c->cgroup = rc->cgroup;
	rc->pidfd = -1;
	rc->cgroup = NULL;
	c->pid_start = proc_start_time(c->pid);
	if (container_watch(c, err) < 0) {
		close(out);
		if (errfd >= 0)
			close(errfd);
		goto unwatched;
	}
	/* The pumps own the read ends from here, failing or not. */
	if (container_pumps_start(c, out, errfd, err) < 0)
		goto unwatched;
	c->state = CTR_RUNNING;
	c->started_ns = now_ns();
	c->exit_code = 0;
	c->oom_killed = false;
	free(c->error);
	c->error = NULL;
	if (container_save(c, err) < 0) {
		/* Not recorded as running: not left running. */
		(void)container_signal(c, SIGKILL, NULL);
		return (-1);
	}
	log_info("container", "%.12s (%s) started, pid %ld", c->id, c->name,
	    (long)c->pid);
	event_container(c, "start", NULL);
	return (0);
unwatched:
	{
		siginfo_t si;

		(void)syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL,
		    0);
		(void)waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED);
		container_exited(c, 137, "berthd could not watch it");
		return (-1);
	}
}

static void
start_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctr_start *s = arg;
	struct container *c = s->c;
	struct daemon *d = c->d;
	struct start_wait_list l = TAILQ_HEAD_INITIALIZER(l);
	struct rt_container rc = { .pidfd = -1, .console_fd = -1 };
	struct berth_error err = BERTH_ERROR_INIT;
	bool tty = s->tty;
	int r, out, errfd, in;

	(void)fd;
	(void)what;
	if ((r = rt_spawn_step(s->sp, &rc, &err)) == 1)
		return;		/* more to come */
	/* Over either way: the start lets go of the container before
	 * anything below may free it (auto-remove). */
	out = s->out[0];
	errfd = s->errp[0];
	in = s->in[1];
	s->out[0] = s->errp[0] = s->in[1] = -1;
	start_free(s, &l);
	if (r < 0) {
		if (out >= 0)
			close(out);
		if (errfd >= 0)
			close(errfd);
		if (in >= 0)
			close(in);
		spawn_failed(c, &err);
	} else
		(void)start_done(c, tty, out, errfd, in, &rc, &err);
	rt_container_release(&rc);
	answer(&l, berth_error_isset(&err) ? &err : NULL);
	berth_error_clear(&err);
	daemon_idle_check(d);
}

/* The spec, the stdio, the parent's half of the spawn: *s on success. */
static int
start_begin(struct container *c, struct ctr_start *s, struct berth_error *err)
{
	struct rt_spawn_opts opts;
	struct rt_spec spec;
	struct snapshot snap;
	bool have_snap = false, open_stdin;
	int rc = -1;

	memset(&spec, 0, sizeof(spec));
	if (spec_init_default(&spec, err) < 0)
		return (-1);
	if (container_snapshot(c, false, &snap, err) < 0)
		goto out;
	have_snap = true;
	if (container_spec(c, &snap, &spec, err) < 0)
		goto out;
	s->tty = json_is_true(json_object_get(c->config, "tty"));
	open_stdin = json_is_true(json_object_get(c->config, "open_stdin"));
	spec.process.terminal = s->tty;
	if (container_logs_open(c, err) < 0 ||
	    network_container_setup(c, &spec, err) < 0)
		goto out;
	if (!s->tty && (output_fifo(c, CTR_STDOUT_FIFO, s->out, err) < 0 ||
	    output_fifo(c, CTR_STDERR_FIFO, s->errp, err) < 0))
		goto out;
	if (!s->tty && (open_stdin ? pipe2(s->in, O_CLOEXEC) : (s->in[0] =
	    open("/dev/null", O_RDONLY | O_CLOEXEC))) < 0) {
		berth_error_sys(err, "start %.12s: stdin", c->id);
		goto out;
	}
	rt_spawn_opts_init(&opts);
	opts.stdio[0] = s->in[0];
	opts.stdio[1] = s->out[1];
	opts.stdio[2] = s->errp[1];
	opts.nofile_soft = 1048576;
	opts.console_rows = c->rows;
	opts.console_cols = c->cols;
	if (rt_spawn_start(&spec, &opts, &s->sp, err) < 0) {
		rc = -2;	/* the spawn itself failed */
		goto out;
	}
	if ((s->ev = event_new(c->d->base, rt_spawn_pending_fd(s->sp),
	    EV_READ | EV_PERSIST, start_cb, s)) == NULL ||
	    event_add(s->ev, NULL) < 0) {
		berth_error_set(err, BERTH_E_SYSTEM, ENOMEM, "start %.12s: "
		    "events", c->id);
		goto out;
	}
	rc = 0;
out:
	if (have_snap)
		snapshot_free(&snap);
	spec_free(&spec);
	return (rc);
}

int
container_start(struct container *c, struct berth_error *err)
{
	struct start_wait_list l = TAILQ_HEAD_INITIALIZER(l);
	struct ctr_start *s;
	int rc;

	if (c->state == CTR_RUNNING || c->start != NULL) {
		berth_error_set(err, CTR_E_STATE, 0, "container %s is already "
		    "%s", c->name, c->start != NULL ? "starting" : "running");
		berth_error_param_str(err, "container", c->name);
		return (berth_error_param_str(err, "state", "running"));
	}
	if (c->removing) {
		berth_error_set(err, CTR_E_STATE, 0, "container %s is being "
		    "removed", c->name);
		berth_error_param_str(err, "container", c->name);
		return (berth_error_param_str(err, "state", "removing"));
	}
	container_cancel_restart(c);
	c->spawn_failed = false;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (berth_error_sys(err, "start"));
	s->out[0] = s->out[1] = s->errp[0] = s->errp[1] = -1;
	s->in[0] = s->in[1] = -1;
	TAILQ_INIT(&s->waits);
	s->c = c;
	c->start = s;
	/* The volumes first: a copy-up runs in a helper, and the spawn
	 * waits for it (container_start_continue). */
	if ((rc = container_mounts_prepare(c, &s->prep, err)) == 0)
		rc = start_begin(c, s, err);
	if (rc < 0) {
		start_free(s, &l);
		/* The runtime refused before any child ran: an exit with
		 * Docker's code, as a failed exec (c may be gone after,
		 * with auto-remove). */
		if (rc == -2)
			spawn_failed(c, err);
		else {
			network_container_teardown(c);
			container_mounts_stopped(c);
		}
		return (-1);
	}
	return (0);
}

void
container_start_continue(struct container *c, struct berth_error *err)
{
	struct start_wait_list l = TAILQ_HEAD_INITIALIZER(l);
	struct ctr_start *s = c->start;
	struct daemon *d = c->d;
	int rc = -1;

	if (s == NULL)
		return;
	s->prep = NULL;		/* over: nothing to cancel */
	if (!berth_error_isset(err) && (rc = start_begin(c, s, err)) == 0)
		return;
	start_free(s, &l);
	if (rc == -2)
		spawn_failed(c, err);	/* c may be gone after */
	else {
		network_container_teardown(c);
		container_mounts_stopped(c);
	}
	answer(&l, err);
	daemon_idle_check(d);
}
