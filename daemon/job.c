/*
 * Helper processes: see job.h.  The loop side moves bytes between
 * evbuffers and the child's pipes with plain events (pipes are not
 * sockets), reads report frames with the frame codec, and finishes a job
 * once the pidfd said the child exited and all it wrote was taken.
 */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "child.h"		/* spawn_clone3 */
#include "cleanup.h"
#include "daemon.h"
#include "frame.h"
#include "job.h"
#include "log.h"
#include "loop-util.h"
#include "message.h"

#define JOB_REPORT_MAX		(1u << 20)
#define JOB_READ_CHUNK		65536
#define JOB_OUTPUT_HIGH		(1u << 20)
/* A child reports progress at most this often (messages always). */
#define JOB_PROGRESS_NS		100000000LL

struct job {
	TAILQ_ENTRY(job)	 entry;
	struct daemon		*d;
	char			 name[32];
	pid_t			 pid;
	int			 pidfd;
	int			 in_fd, out_fd, rep_fd;	/* our ends, or -1 */
	struct event		*exit_ev, *in_ev, *out_ev, *rep_ev;
	struct evbuffer		*in_buf, *out_buf, *rep_buf;
	const struct job_ops	*ops;		/* NULL once cancelled */
	void			*arg;
	struct frame		 result;
	bool			 have_result;
	bool			 input_closing;
	bool			 input_was_full;
	bool			 output_held;
	bool			 exited;
	siginfo_t		 status;
	struct berth_error	 fault;		/* a bad report */
};

struct job_child {
	int		 report_fd;
	long long	 last_ns;
};

static void job_maybe_finish(struct job *j);

static void
job_free(struct job *j)
{
	event_close_fd(&j->exit_ev, NULL);
	event_close_fd(&j->in_ev, NULL);
	event_close_fd(&j->out_ev, NULL);
	event_close_fd(&j->rep_ev, NULL);
	event_close_fd(NULL, &j->in_fd);
	event_close_fd(NULL, &j->out_fd);
	event_close_fd(NULL, &j->rep_fd);
	event_close_fd(NULL, &j->pidfd);
	if (j->in_buf != NULL)
		evbuffer_free(j->in_buf);
	if (j->out_buf != NULL)
		evbuffer_free(j->out_buf);
	if (j->rep_buf != NULL)
		evbuffer_free(j->rep_buf);
	frame_release(&j->result);
	berth_error_clear(&j->fault);
	free(j);
}

/* ---- the child ---------------------------------------------------- */

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

int
job_child_progress(struct job_child *c, const char *action, const char *id,
    uint64_t current, uint64_t total, const char *message)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct berth_error err = BERTH_ERROR_INIT;
	long long now = now_ns();
	int rc = -1;

	if (message == NULL && (total == 0 || current < total) &&
	    now - c->last_ns < JOB_PROGRESS_NS)
		return (0);
	c->last_ns = now;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	frame_begin(&sb);
	msgpack_pack_map(&pk, 1);
	pack_str(&pk, "progress");
	msgpack_pack_map(&pk, 2 + (id != NULL) + (total > 0) +
	    (message != NULL));
	pack_kv_str(&pk, "action", action);
	if (id != NULL)
		pack_kv_str(&pk, "id", id);
	pack_str(&pk, "current");
	msgpack_pack_uint64(&pk, current);
	if (total > 0) {
		pack_str(&pk, "total");
		msgpack_pack_uint64(&pk, total);
	}
	if (message != NULL)
		pack_kv_str(&pk, "message", message);
	if (frame_finish(&sb, JOB_REPORT_MAX, &err) == 0)
		rc = write_all(c->report_fd, sb.data, sb.size);
	berth_error_clear(&err);
	msgpack_sbuffer_destroy(&sb);
	return (rc);
}

/* Put fd on target, or /dev/null when fd is -1. */
static int
place_fd(int fd, int target, int null_flags)
{
	if (fd < 0 && (fd = open("/dev/null", null_flags | O_CLOEXEC)) < 0)
		return (-1);
	if (fd == target)
		return (fcntl(fd, F_SETFD, 0));
	return (dup2(fd, target) < 0 ? -1 : 0);
}

/* In the clone: the fds into place, then exec berthd --helper. */
static void __attribute__((noreturn))
child_exec(const char *name, pid_t parent, int self_fd, int fds_in[5])
{
	static const int null_flags[5] = { O_RDONLY, O_WRONLY, 0, O_WRONLY,
	    O_RDONLY };
	char *argv[] = { "berthd", "--helper", (char *)name, NULL };
	extern char **environ;
	sigset_t none;
	int fds[6], i, sig;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	    getppid() != parent)
		_exit(1);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	/* Out of the way of 0 to 5 first, then into place. */
	for (i = 0; i < 5; i++)
		fds[i] = fds_in[i];
	fds[5] = self_fd;
	for (i = 0; i < 6; i++)
		if (i != 2 && fds[i] >= 0 && (fds[i] = fcntl(fds[i],
		    F_DUPFD_CLOEXEC, 10)) < 0)
			_exit(1);
	for (i = 0; i < 5; i++)
		if (i != 2 && place_fd(fds[i], i, null_flags[i]) < 0)
			_exit(1);
	if (dup3(fds[5], 5, O_CLOEXEC) < 0 ||
	    syscall(SYS_close_range, 6, ~0U, 0) < 0)
		_exit(1);
	syscall(SYS_execveat, 5, "", argv, environ, AT_EMPTY_PATH);
	_exit(127);
}

/* Read the argument frame from fd 4. */
static int
read_args(struct frame *f, struct berth_error *err)
{
	struct evbuffer *buf = evbuffer_new();
	int n, rc = -1;

	if (buf == NULL)
		return (berth_error_sys(err, "helper arguments"));
	while ((n = evbuffer_read(buf, 4, JOB_READ_CHUNK)) > 0)
		if (evbuffer_get_length(buf) > JOB_ARGS_MAX + FRAME_HEADER_SIZE)
			break;
	if (n < 0)
		berth_error_sys(err, "helper arguments");
	else if ((rc = frame_read_evbuffer(buf, JOB_ARGS_MAX +
	    FRAME_HEADER_SIZE, f, err)) == 0)
		rc = berth_error_set(err, BERTH_E_INTERNAL, 0, "helper "
		    "arguments: truncated");
	else if (rc > 0)
		rc = 0;
	evbuffer_free(buf);
	return (rc);
}

int
job_helper_main(const char *name)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct job_child c = { .report_fd = 3 };
	const struct job_kind *k;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct frame args;
	int rc = -1, status;

	(void)signal(SIGPIPE, SIG_IGN);	/* EPIPE is an error like others */
	(void)prctl(PR_SET_NAME, name, 0, 0, 0);
	frame_init(&args);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	frame_begin(&sb);
	reply_pack_head(&pk, false);
	for (k = job_kinds; k->name != NULL; k++)
		if (strcmp(k->name, name) == 0)
			break;
	if (k->name == NULL)
		berth_error_set(&err, BERTH_E_INTERNAL, 0, "no helper %s",
		    name);
	else if (read_args(&args, &err) == 0 &&
	    (rc = k->fn(args.root, &c, &pk, &err)) == 0 &&
	    frame_finish(&sb, JOB_REPORT_MAX, &err) < 0)
		rc = -1;
	if (rc < 0) {
		msgpack_sbuffer_clear(&sb);
		frame_begin(&sb);
		reply_pack_error(&pk, &err);
		if (frame_finish(&sb, JOB_REPORT_MAX, &err) < 0)
			sb.size = 0;
	}
	status = sb.size > 0 && write_all(3, sb.data, sb.size) == 0 ?
	    (rc == 0 ? 0 : 1) : 2;
	msgpack_sbuffer_destroy(&sb);
	frame_release(&args);
	berth_error_clear(&err);
	return (status);
}

/* ---- the loop ----------------------------------------------------- */

static void
input_cb(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	int n;

	(void)fd;
	(void)what;
	n = evbuffer_write(j->in_buf, j->in_fd);
	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		/* The child stopped reading (it failed, or is done): its
		 * result says why, the rest of the input is dropped. */
		evbuffer_drain(j->in_buf, evbuffer_get_length(j->in_buf));
		j->input_closing = true;
	}
	if (evbuffer_get_length(j->in_buf) == 0) {
		event_del(j->in_ev);
		if (j->input_closing)
			event_close_fd(NULL, &j->in_fd);
	}
	if (j->input_was_full &&
	    evbuffer_get_length(j->in_buf) <= JOB_INPUT_LOW) {
		j->input_was_full = false;
		if (j->ops != NULL && j->ops->input_drained != NULL)
			j->ops->input_drained(j->arg);
	}
}

int
job_write(struct job *j, const void *buf, size_t len)
{
	if (j->in_fd < 0 || j->input_closing)
		return (0);	/* the child is gone or done with input */
	if (evbuffer_add(j->in_buf, buf, len) < 0)
		return (-1);
	if (evbuffer_get_length(j->in_buf) >= JOB_INPUT_HIGH)
		j->input_was_full = true;
	return (event_add(j->in_ev, NULL));
}

bool
job_input_full(struct job *j)
{
	return (j->in_fd >= 0 && evbuffer_get_length(j->in_buf) >=
	    JOB_INPUT_HIGH);
}

void
job_close_input(struct job *j)
{
	j->input_closing = true;
	if (j->in_fd >= 0 && evbuffer_get_length(j->in_buf) == 0)
		event_close_fd(NULL, &j->in_fd);
}

/* Read what fd has into buf: 1 more may come, 0 EOF, -1 error. */
static int
pull(int fd, struct evbuffer *buf)
{
	int n = evbuffer_read(buf, fd, JOB_READ_CHUNK);

	if (n > 0)
		return (1);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return (1);
	return (n == 0 ? 0 : -1);
}

static void
deliver_output(struct job *j)
{
	if (j->ops != NULL && j->ops->output != NULL && !j->output_held &&
	    evbuffer_get_length(j->out_buf) > 0)
		j->ops->output(j->arg, j->out_buf);
	if (j->out_ev == NULL)
		return;
	/* Read more only while the consumer keeps up. */
	if (j->output_held || evbuffer_get_length(j->out_buf) >=
	    JOB_OUTPUT_HIGH)
		event_del(j->out_ev);
	else
		event_add(j->out_ev, NULL);
}

static void
output_cb(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	(void)fd;
	(void)what;
	if (pull(j->out_fd, j->out_buf) <= 0) {
		event_close_fd(&j->out_ev, &j->out_fd);
	}
	deliver_output(j);
	job_maybe_finish(j);
}

void
job_hold_output(struct job *j, bool hold)
{
	j->output_held = hold;
	deliver_output(j);
	if (!hold)
		job_maybe_finish(j);
}

/* Take every whole report frame out of rep_buf. */
static void
take_reports(struct job *j)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const msgpack_object *progress;
	struct frame f;
	int rc;

	frame_init(&f);
	while ((rc = frame_read_evbuffer(j->rep_buf, JOB_REPORT_MAX, &f,
	    &err)) != 0) {
		if (rc < 0 || j->have_result) {
			if (!berth_error_isset(&j->fault))
				berth_error_set(&j->fault, BERTH_E_INTERNAL, 0,
				    "helper %s: bad report", j->name);
			(void)syscall(SYS_pidfd_send_signal, j->pidfd, SIGKILL,
			    NULL, 0);
			evbuffer_drain(j->rep_buf,
			    evbuffer_get_length(j->rep_buf));
			break;
		}
		progress = msgpack_map_get(f.root, "progress");
		if (progress != NULL) {
			if (j->ops != NULL && j->ops->progress != NULL)
				j->ops->progress(j->arg, progress);
			frame_release(&f);
			continue;
		}
		/* The job keeps the result; root points into the struct. */
		j->result = f;
		j->result.root = &j->result.unpacked.data;
		frame_init(&f);
		j->have_result = true;
	}
	frame_release(&f);
	berth_error_clear(&err);
}

static void
report_cb(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;

	(void)fd;
	(void)what;
	if (pull(j->rep_fd, j->rep_buf) <= 0) {
		event_close_fd(&j->rep_ev, &j->rep_fd);
	}
	take_reports(j);
}

static void
describe_exit(struct job *j, struct berth_error *err)
{
	if (j->status.si_code == CLD_EXITED)
		berth_error_set(err, BERTH_E_SYSTEM, 0, "helper %s exited "
		    "with status %d", j->name,
		    j->status.si_status);
	else
		berth_error_set(err, BERTH_E_SYSTEM, 0, "helper %s killed by "
		    "signal %d", j->name, j->status.si_status);
}

static void
job_maybe_finish(struct job *j)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const struct job_ops *ops = j->ops;
	struct reply r;

	/* Its output is delivered before it is done; a cancelled job's
	 * has no one to go to. */
	if (!j->exited || (ops != NULL && evbuffer_get_length(j->out_buf) >
	    0))
		return;
	TAILQ_REMOVE(&j->d->jobs, j, entry);
	j->d->njobs--;
	if (ops != NULL) {
		if (berth_error_isset(&j->fault))
			ops->done(j->arg, NULL, &j->fault);
		else if (!j->have_result) {
			describe_exit(j, &err);
			ops->done(j->arg, NULL, &err);
		} else if (reply_parse(j->result.root, &r, &err) < 0)
			ops->done(j->arg, NULL, &err);
		else if (j->status.si_code != CLD_EXITED ||
		    j->status.si_status != 0) {
			/* A result, then a failure (a sanitizer's exit
			 * code): not a success. */
			describe_exit(j, &err);
			ops->done(j->arg, NULL, &err);
		} else
			ops->done(j->arg, r.parameters, NULL);
	}
	berth_error_clear(&err);
	daemon_idle_check(j->d);
	job_free(j);
}

static void
exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	int rc;

	(void)fd;
	(void)what;
	memset(&j->status, 0, sizeof(j->status));
	if (waitid(P_PIDFD, (id_t)j->pidfd, &j->status, WEXITED) < 0) {
		if (errno == EINTR)
			return;
		log_error("job", "wait for helper %s: %s", j->name,
		    strerror(errno));
		j->status.si_code = CLD_KILLED;
	}
	event_close_fd(&j->exit_ev, NULL);
	log_debug("job", "helper %s (pid %ld) ended: code %d status %d",
	    j->name, (long)j->pid, j->status.si_code, j->status.si_status);
	/* Whatever the child wrote before it exited is in the pipes now;
	 * a grandchild could keep a write end open, so stop at EAGAIN. */
	while (j->rep_fd >= 0 && (rc = evbuffer_read(j->rep_buf, j->rep_fd,
	    JOB_READ_CHUNK)) > 0)
		;
	take_reports(j);
	while (j->out_fd >= 0 && (rc = evbuffer_read(j->out_buf, j->out_fd,
	    JOB_READ_CHUNK)) > 0)
		;
	event_close_fd(&j->out_ev, &j->out_fd);
	event_close_fd(&j->in_ev, &j->in_fd);
	j->exited = true;
	deliver_output(j);
	job_maybe_finish(j);
}

static int
make_pipe(int fds[2], int our_end, struct berth_error *err)
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return (berth_error_sys(err, "pipe"));
	if (fcntl(fds[our_end], F_SETFL, O_NONBLOCK) < 0)
		return (berth_error_sys(err, "pipe"));
	return (0);
}

int
job_start(struct daemon *d, const char *name, unsigned flags,
    const void *args, size_t args_len, const struct job_ops *ops,
    void *ops_arg, struct job **out, struct berth_error *err)
{
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, rep[2] = { -1, -1 };
	int arg[2] = { -1, -1 }, child_fds[5];
	pid_t parent = getpid();
	unsigned char hdr[FRAME_HEADER_SIZE];
	struct job *j;
	int rc = -1;

	if (args_len > JOB_ARGS_MAX)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, E2BIG,
		    "helper %s: arguments over %u bytes", name,
		    JOB_ARGS_MAX));
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return (berth_error_sys(err, "helper %s", name));
	j->d = d;
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->pidfd = j->in_fd = j->out_fd = j->rep_fd = -1;
	j->ops = ops;
	j->arg = ops_arg;
	frame_init(&j->result);
	if ((j->in_buf = evbuffer_new()) == NULL ||
	    (j->out_buf = evbuffer_new()) == NULL ||
	    (j->rep_buf = evbuffer_new()) == NULL) {
		berth_error_sys(err, "helper %s", name);
		goto out;
	}
	if (((flags & JOB_INPUT) && make_pipe(in, 1, err) < 0) ||
	    ((flags & JOB_OUTPUT) && make_pipe(outp, 0, err) < 0) ||
	    make_pipe(rep, 0, err) < 0 || make_pipe(arg, 1, err) < 0)
		goto out;
	/* The arguments fit in the pipe: written whole before the child
	 * runs, so the loop never waits on it. */
	hdr[0] = (unsigned char)(args_len >> 24);
	hdr[1] = (unsigned char)(args_len >> 16);
	hdr[2] = (unsigned char)(args_len >> 8);
	hdr[3] = (unsigned char)args_len;
	if (write_all(arg[1], hdr, sizeof(hdr)) < 0 ||
	    write_all(arg[1], args, args_len) < 0) {
		berth_error_sys(err, "helper %s: arguments", name);
		goto out;
	}
	event_close_fd(NULL, &arg[1]);
	child_fds[0] = in[0];
	child_fds[1] = outp[1];
	child_fds[2] = -1;
	child_fds[3] = rep[1];
	child_fds[4] = arg[0];
	j->pid = spawn_clone3(0, -1, &j->pidfd);
	if (j->pid < 0) {
		berth_error_sys(err, "start helper %s", name);
		goto out;
	}
	if (j->pid == 0)
		child_exec(j->name, parent, d->self_fd, child_fds);
	j->in_fd = in[1];
	j->out_fd = outp[0];
	j->rep_fd = rep[0];
	in[1] = outp[0] = rep[0] = -1;
	j->exit_ev = event_new(d->base, j->pidfd, EV_READ, exit_cb, j);
	j->rep_ev = event_new(d->base, j->rep_fd, EV_READ | EV_PERSIST,
	    report_cb, j);
	if (j->in_fd >= 0)
		j->in_ev = event_new(d->base, j->in_fd, EV_WRITE | EV_PERSIST,
		    input_cb, j);
	if (j->out_fd >= 0)
		j->out_ev = event_new(d->base, j->out_fd,
		    EV_READ | EV_PERSIST, output_cb, j);
	/* From here the child runs: it is reaped whatever else fails. */
	TAILQ_INSERT_TAIL(&d->jobs, j, entry);
	d->njobs++;
	daemon_idle_check(d);
	if (j->exit_ev == NULL || j->rep_ev == NULL ||
	    (j->in_fd >= 0 && j->in_ev == NULL) ||
	    (j->out_fd >= 0 && j->out_ev == NULL) ||
	    event_add(j->exit_ev, NULL) < 0 || event_add(j->rep_ev, NULL) < 0 ||
	    (j->out_ev != NULL && event_add(j->out_ev, NULL) < 0)) {
		berth_error_set(err, BERTH_E_SYSTEM, ENOMEM, "helper %s: "
		    "events", name);
		job_cancel(j);
		if (j->exit_ev == NULL || event_add(j->exit_ev, NULL) < 0) {
			/* Nothing will tell us it exited: wait now. */
			siginfo_t si;

			(void)waitid(P_PIDFD, (id_t)j->pidfd, &si, WEXITED);
			TAILQ_REMOVE(&d->jobs, j, entry);
			d->njobs--;
			job_free(j);
		}
		j = NULL;
		goto out;
	}
	log_debug("job", "helper %s: pid %ld", name, (long)j->pid);
	*out = j;
	j = NULL;
	rc = 0;
out:
	event_close_fd(NULL, &in[0]);
	event_close_fd(NULL, &in[1]);
	event_close_fd(NULL, &outp[0]);
	event_close_fd(NULL, &outp[1]);
	event_close_fd(NULL, &rep[0]);
	event_close_fd(NULL, &rep[1]);
	event_close_fd(NULL, &arg[0]);
	event_close_fd(NULL, &arg[1]);
	if (j != NULL)
		job_free(j);
	return (rc);
}

static void
finish_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	job_maybe_finish(arg);
}

void
job_cancel(struct job *j)
{
	struct timeval now = { 0, 0 };

	j->ops = NULL;
	evbuffer_drain(j->out_buf, evbuffer_get_length(j->out_buf));
	/* Nothing more is read for no one (and no read can finish it
	 * before the turn below does). */
	event_close_fd(&j->out_ev, &j->out_fd);
	if (!j->exited)
		(void)syscall(SYS_pidfd_send_signal, j->pidfd, SIGKILL, NULL,
		    0);
	else if (event_base_once(j->d->base, -1, EV_TIMEOUT, finish_cb, j,
	    &now) < 0)
		log_warn("job", "helper %s: cannot finish", j->name);
	/* Exited already, it waited for its output to be taken: it goes
	 * on the next turn (the caller may still hold it now). */
}

void
jobs_kill_all(struct daemon *d)
{
	struct job *j;
	siginfo_t si;

	while ((j = TAILQ_FIRST(&d->jobs)) != NULL) {
		TAILQ_REMOVE(&d->jobs, j, entry);
		if (j->ops != NULL && j->ops->abandoned != NULL)
			j->ops->abandoned(j->arg);
		job_cancel(j);
		if (!j->exited)
			(void)waitid(P_PIDFD, (id_t)j->pidfd, &si, WEXITED);
		job_free(j);
	}
	d->njobs = 0;
}

/* A tree-remove's caller, shared by its helpers (one per chunk of
 * names: a helper's arguments are bounded). */
struct tree_job {
	const char		*module;	/* static */
	job_tree_removed_fn	 done;		/* or NULL */
	void			*arg;
	int			 refs;		/* helpers, and the starter */
	uint64_t		 freed;
};

/* Names a helper takes: 128 of at most 255 bytes fit JOB_ARGS_MAX. */
#define TREE_NAMES_PER_JOB	128

static void
tree_job_put(struct tree_job *tj, uint64_t freed)
{
	tj->freed += freed;
	if (--tj->refs > 0)
		return;
	if (tj->done != NULL)
		tj->done(tj->arg, tj->freed);
	free(tj);
}

static void
tree_remove_done(void *arg, const msgpack_object *result,
    const struct berth_error *err)
{
	struct tree_job *tj = arg;
	const msgpack_object *f = msgpack_map_get(result, "freed");
	const msgpack_object *e = msgpack_map_get(result, "error");
	char msg[512];

	if (err != NULL)
		log_warn(tj->module, "remove files: %s (the next start "
		    "sweeps them)", berth_error_message(err));
	else if (msgpack_str_copy(e, msg, sizeof(msg)))
		log_warn(tj->module, "remove files: %s (the next start "
		    "sweeps them)", msg);
	tree_job_put(tj, f != NULL && f->type ==
	    MSGPACK_OBJECT_POSITIVE_INTEGER ? f->via.u64 : 0);
}

static void
tree_remove_abandoned(void *arg)
{
	tree_job_put(arg, 0);
}

static const struct job_ops tree_remove_ops = {
	.done = tree_remove_done,
	.abandoned = tree_remove_abandoned,
};

/* Start one helper for names[0..n) on tj's behalf. */
static int
tree_job_start(struct daemon *d, struct tree_job *tj, const char *dir,
    const char *const *names, size_t n, struct berth_error *err)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct job *j;
	size_t i;
	int rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 2);
	pack_kv_str(&pk, "dir", dir);
	pack_str(&pk, "names");
	msgpack_pack_array(&pk, n);
	for (i = 0; i < n; i++)
		pack_str(&pk, names[i]);
	if ((rc = job_start(d, "tree-remove", 0, sb.data, sb.size,
	    &tree_remove_ops, tj, &j, err)) == 0)
		tj->refs++;
	msgpack_sbuffer_destroy(&sb);
	return (rc);
}

int
job_tree_remove_all(struct daemon *d, const char *module, const char *dir,
    const char *const *names, size_t n, job_tree_removed_fn done, void *arg,
    struct berth_error *err)
{
	struct tree_job *tj;
	size_t i, k;

	if (n == 0)	/* no helper would ever call done() */
		return (berth_error_set(err, BERTH_E_INTERNAL, EINVAL,
		    "remove files: no names"));
	if ((tj = calloc(1, sizeof(*tj))) == NULL)
		return (berth_error_sys(err, "remove files"));
	tj->module = module;
	tj->done = done;
	tj->arg = arg;
	tj->refs = 1;		/* ours, until every helper is started */
	for (i = 0; i < n; i += k) {
		cleanup_error struct berth_error e = BERTH_ERROR_INIT;

		k = n - i < TREE_NAMES_PER_JOB ? n - i : TREE_NAMES_PER_JOB;
		if (tree_job_start(d, tj, dir, names + i, k, &e) == 0)
			continue;
		if (tj->refs == 1 && i + k >= n) {
			/* Nothing started: the caller hears it. */
			free(tj);
			berth_error_move(err, &e);
			return (-1);
		}
		log_warn(module, "remove files: %s (the next start sweeps "
		    "them)", berth_error_message(&e));
	}
	/* done() comes on a later turn, from the last helper. */
	tree_job_put(tj, 0);
	return (0);
}

void
job_tree_remove(struct daemon *d, const char *module, const char *dir,
    const char *name)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;

	if (job_tree_remove_all(d, module, dir, &name, 1, NULL, NULL,
	    &err) < 0)
		log_warn(module, "remove %s/%s: %s", dir, name,
		    berth_error_message(&err));
}
