/*
 * Exec: another process in a running container (the runtime joins its
 * namespaces and cgroup through its pidfd), watched through its own
 * pidfd.  Upgraded, the connection carries its output and input as an
 * Attach session does, the last reply its exit code; detached, its
 * output goes nowhere and the reply comes once it runs.
 *
 * An exec's output is not logged (as Docker): the pumps read it only
 * while the peer keeps up, so a slow client holds the process back,
 * never berthd's memory.
 */
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <event2/event.h>

#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "db.h"
#include "events.h"
#include "log.h"
#include "loop-util.h"
#include "message.h"
#include "peer.h"
#include "snapshot.h"
#include "spawn.h"
#include "spec.h"
#include "stdio-input.h"

#define EXEC_CHUNK	65536

struct ctr_exec {
	TAILQ_ENTRY(ctr_exec)	 entry;
	struct container	*c;	/* NULL once the container stopped */
	struct peer		*p;	/* NULL: detached */
	pid_t			 pid;
	int			 pidfd;
	struct event		*exit_ev;
	int			 out_fd, err_fd;
	struct event		*out_ev, *err_ev;
	struct stdio_input	*input;
	struct detach_keys	 keys;
	bool			 tty;
	bool			 held;	/* the peer's input waits */
};

static void
exec_free(struct ctr_exec *x)
{
	if (x->c != NULL)
		TAILQ_REMOVE(&x->c->execs, x, entry);
	event_close_fd(&x->out_ev, &x->out_fd);
	event_close_fd(&x->err_ev, &x->err_fd);
	event_close_fd(&x->exit_ev, &x->pidfd);
	stdio_input_free(x->input);
	free(x);
}

static void
exec_pause(struct ctr_exec *x, bool pause)
{
	if (x->out_ev != NULL)
		pause ? event_del(x->out_ev) : event_add(x->out_ev, NULL);
	if (x->err_ev != NULL)
		pause ? event_del(x->err_ev) : event_add(x->err_ev, NULL);
}

/* The session is over for the peer: its last reply.  A process that
 * still runs (detached, or its client gone) keeps its terminal or pipes:
 * closing them would hang it up or kill it with SIGPIPE; what it writes
 * is read and dropped until it exits. */
static void
exec_end(struct ctr_exec *x, const struct peer_kv *last)
{
	struct peer *p = x->p;

	x->p = NULL;
	exec_pause(x, false);
	if (p != NULL) {
		peer_reply(p, false, last == NULL ? peer_pack_empty :
		    strcmp(last->key, "detached") == 0 ? peer_pack_true :
		    peer_pack_int, last);
		peer_session_end(p);
	}
	if (x->exit_ev == NULL)
		exec_free(x);
}

/* Read a chunk for the peer: 1 more may come, 0 EOF or error. */
static int
exec_pump(struct ctr_exec *x, int fd)
{
	char buf[EXEC_CHUNK];
	struct peer_kv r = { fd == x->err_fd ? "stderr" : "stdout", buf,
	    0, 0 };
	ssize_t n;

	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return (errno == EAGAIN || errno == EINTR ? 1 : 0);
	if (n == 0)
		return (0);
	r.len = (size_t)n;
	if (x->p != NULL)
		peer_reply(x->p, true, peer_pack_bin, &r);
	return (1);
}


static void
exec_out_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctr_exec *x = arg;

	(void)what;
	if (exec_pump(x, fd) == 0) {
		if (fd == x->out_fd)
			event_close_fd(&x->out_ev, &x->out_fd);
		else
			event_close_fd(&x->err_ev, &x->err_fd);
	}
	if (x->p != NULL && peer_output_full(x->p))
		exec_pause(x, true);
}

/* The process exited (its pidfd is readable, or it was killed): its
 * status, the rest of its output, the last reply. */
static void
exec_reap(struct ctr_exec *x)
{
	struct peer_kv last = { "exit_code", NULL, 0, 0 };
	siginfo_t si;
	int i, rc;

	memset(&si, 0, sizeof(si));
	while ((rc = waitid(P_PIDFD, (id_t)x->pidfd, &si, WEXITED)) < 0 &&
	    errno == EINTR)
		;
	if (rc < 0) {
		si.si_code = CLD_KILLED;
		si.si_status = SIGKILL;
	}
	last.num = rt_exit_code(si.si_status, si.si_code);
	event_close_fd(&x->exit_ev, &x->pidfd);
	if (x->c != NULL) {
		char num[16];

		log_info("container", "%.12s: exec %ld exited with %d",
		    x->c->id, (long)x->pid, (int)last.num);
		snprintf(num, sizeof(num), "%d", (int)last.num);
		event_container(x->c, "exec_die", json_pack("{s:s}",
		    "exitCode", num));
	}
	/* What it wrote before it exited; bounded, as a child it left
	 * behind may write on. */
	for (i = 0; i < 64 && x->out_fd >= 0 && exec_pump(x, x->out_fd) > 0;
	    i++)
		;
	for (i = 0; i < 64 && x->err_fd >= 0 && exec_pump(x, x->err_fd) > 0;
	    i++)
		;
	exec_end(x, &last);
}

static void
exec_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	exec_reap(arg);
}

/* ---- the session --------------------------------------------------- */

static void
exec_input_drained(void *arg)
{
	struct ctr_exec *x = arg;

	if (x->held && x->p != NULL) {
		x->held = false;
		peer_hold_input(x->p, false);
	}
}

static void
exec_frame(void *arg, struct peer *p, const msgpack_object *root)
{
	struct ctr_exec *x = arg;
	struct peer_kv detached = { "detached", NULL, 0, 0 };
	const msgpack_object *v;
	struct berth_error err = BERTH_ERROR_INIT;

	if (root == NULL || msgpack_map_get(root, "eof") != NULL) {
		if (x->input != NULL && !x->tty)
			stdio_input_eof(x->input);
		return;
	}
	if ((v = msgpack_map_get(root, "stdin")) != NULL &&
	    (v->type == MSGPACK_OBJECT_BIN || v->type == MSGPACK_OBJECT_STR)) {
		if (x->input == NULL)
			return;
		if (!x->tty)
			stdio_input_write(x->input, v->via.bin.ptr,
			    v->via.bin.size);
		else if (detach_keys_scan(&x->keys, (const unsigned char *)
		    v->via.bin.ptr, v->via.bin.size, x->input)) {
			exec_end(x, &detached);
			return;
		}
		if (stdio_input_full(x->input) && !x->held) {
			x->held = true;
			peer_hold_input(p, true);
		}
		return;
	}
	if ((v = msgpack_map_get(root, "resize")) != NULL) {
		const msgpack_object *r = msgpack_map_get(v, "rows");
		const msgpack_object *k = msgpack_map_get(v, "cols");

		struct winsize ws;

		if (x->tty && x->out_fd >= 0 && r != NULL && k != NULL &&
		    r->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
		    k->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
			memset(&ws, 0, sizeof(ws));
			ws.ws_row = (unsigned short)r->via.u64;
			ws.ws_col = (unsigned short)k->via.u64;
			(void)ioctl(x->out_fd, TIOCSWINSZ, &ws);
		}
		return;
	}
	if (msgpack_map_get(root, "detach") != NULL) {
		exec_end(x, &detached);
		return;
	}
	berth_error_set(&err, BERTH_E_INVALID_CALL, 0, "an exec stream frame "
	    "has stdin, eof, resize or detach");
	berth_error_param_str(&err, "reason", "bad stream frame");
	x->p = NULL;
	peer_send_error(p, &err, false);
	berth_error_clear(&err);
	peer_session_end(p);
	exec_end(x, NULL);
}

static void
exec_drained(void *arg, struct peer *p)
{
	(void)p;
	exec_pause(arg, false);
}

static void
exec_gone(void *arg, struct peer *p)
{
	struct ctr_exec *x = arg;

	(void)p;
	x->p = NULL;
	exec_end(x, NULL);
}

static const struct peer_session_ops exec_ops = {
	.frame = exec_frame,
	.drained = exec_drained,
	.gone = exec_gone,
};

/* ---- the call ------------------------------------------------------ */

static bool
param_bool(const struct call *call, const char *key)
{
	const msgpack_object *v = msgpack_map_get(call->parameters, key);

	return (v != NULL && v->type == MSGPACK_OBJECT_BOOLEAN &&
	    v->via.boolean);
}

static int
param_strv(const struct call *call, const char *key, char ***out,
    size_t *n, struct berth_error *err)
{
	const msgpack_object *v = msgpack_map_get(call->parameters, key);
	char **strv;
	uint32_t i;

	*out = NULL;
	*n = 0;
	if (v == NULL || v->type != MSGPACK_OBJECT_ARRAY)
		return (0);
	if ((strv = calloc(v->via.array.size + 1, sizeof(*strv))) == NULL)
		return (berth_error_sys(err, "exec"));
	for (i = 0; i < v->via.array.size; i++) {
		const msgpack_object *s = &v->via.array.ptr[i];

		if (s->type != MSGPACK_OBJECT_STR || memchr(s->via.str.ptr,
		    '\0', s->via.str.size) != NULL ||
		    (strv[i] = strndup(s->via.str.ptr, s->via.str.size)) ==
		    NULL) {
			db_strv_free(strv, i + 1);
			berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "parameter '%s': bad string", key);
			return (berth_error_param_str(err, "parameter", key));
		}
	}
	*out = strv;
	*n = v->via.array.size;
	return (0);
}

/* The exec's KEY=VALUE entries over the container's. */
static int
merge_env(struct rt_process *proc, char **add, struct berth_error *err)
{
	size_t n = 0, m = 0, i, j, klen;
	char **v;

	while (proc->env != NULL && proc->env[n] != NULL)
		n++;
	while (add != NULL && add[m] != NULL)
		m++;
	if ((v = realloc(proc->env, (n + m + 1) * sizeof(*v))) == NULL)
		return (berth_error_sys(err, "exec env"));
	proc->env = v;
	for (i = 0; i < m; i++) {
		klen = strcspn(add[i], "=");
		for (j = 0; j < n; j++)
			if (strncmp(v[j], add[i], klen) == 0 &&
			    (v[j][klen] == '=' || v[j][klen] == '\0'))
				break;
		if (j < n)
			free(v[j]);
		else
			j = n++;
		v[j] = add[i];
		add[i] = NULL;
	}
	v[n] = NULL;
	return (0);
}

/* The process to run: the container's settings, then the call's. */
static int
exec_spec(struct container *c, const struct call *call, struct rt_spec *spec,
    struct berth_error *err)
{
	struct snapshot snap;
	char **cmd = NULL, **env = NULL, buf[4096];
	const msgpack_object *v;
	size_t ncmd = 0, nenv = 0, i;
	int rc = -1;

	if (spec_init_default(spec, err) < 0)
		return (-1);
	if (container_snapshot(c, false, &snap, err) < 0)
		return (-1);
	rc = container_spec(c, &snap, spec, err);
	snapshot_free(&snap);
	if (rc < 0 || param_strv(call, "cmd", &cmd, &ncmd, err) < 0 ||
	    param_strv(call, "env", &env, &nenv, err) < 0)
		goto out;
	rc = -1;
	if (cmd == NULL || cmd[0] == NULL) {
		berth_error_set(err, CTR_E_CONFIG, 0, "no command given");
		berth_error_param_str(err, "field", "cmd");
		goto out;
	}
	for (i = 0; spec->process.args != NULL && spec->process.args[i] !=
	    NULL; i++)
		free(spec->process.args[i]);
	free(spec->process.args);
	spec->process.args = cmd;
	cmd = NULL;
	if (merge_env(&spec->process, env, err) < 0)
		goto out;
	if ((v = msgpack_map_get(call->parameters, "user")) != NULL &&
	    msgpack_str_copy(v, buf, sizeof(buf)) && buf[0] != '\0') {
		free(spec->process.user);
		if ((spec->process.user = strdup(buf)) == NULL) {
			berth_error_sys(err, "exec");
			goto out;
		}
	}
	if ((v = msgpack_map_get(call->parameters, "working_dir")) != NULL &&
	    msgpack_str_copy(v, buf, sizeof(buf)) && buf[0] != '\0') {
		if (buf[0] != '/') {
			berth_error_set(err, CTR_E_CONFIG, 0, "the working "
			    "directory %s is not absolute", buf);
			berth_error_param_str(err, "field", "working_dir");
			goto out;
		}
		free(spec->process.cwd);
		if ((spec->process.cwd = strdup(buf)) == NULL) {
			berth_error_sys(err, "exec");
			goto out;
		}
	}
	spec->process.terminal = param_bool(call, "tty");
	if (param_bool(call, "privileged")) {
		/* Every capability berth holds, and no seccomp filter. */
		spec->privileged = true;
		spec->process.caps.bounding = spec->process.caps.effective =
		    spec->process.caps.permitted = ~(uint64_t)0;
	}
	rc = 0;
out:
	if (cmd != NULL)
		db_strv_free(cmd, ncmd);
	if (env != NULL)
		db_strv_free(env, nenv);	/* what merge_env left */
	return (rc);
}

static int
exec_watch(struct ctr_exec *x, struct berth_error *err)
{
	struct event_base *base = x->c->d->base;

	if ((x->exit_ev = event_new(base, x->pidfd, EV_READ, exec_exit_cb,
	    x)) == NULL || event_add(x->exit_ev, NULL) < 0)
		return (berth_error_set(err, BERTH_E_SYSTEM, ENOMEM, "exec"));
	if (x->out_fd >= 0 && ((x->out_ev = event_new(base, x->out_fd,
	    EV_READ | EV_PERSIST, exec_out_cb, x)) == NULL ||
	    event_add(x->out_ev, NULL) < 0))
		return (berth_error_set(err, BERTH_E_SYSTEM, ENOMEM, "exec"));
	if (x->err_fd >= 0 && ((x->err_ev = event_new(base, x->err_fd,
	    EV_READ | EV_PERSIST, exec_out_cb, x)) == NULL ||
	    event_add(x->err_ev, NULL) < 0))
		return (berth_error_set(err, BERTH_E_SYSTEM, ENOMEM, "exec"));
	return (0);
}

/* Start the process: its stdio pipes (or terminal) end up in x. */
static int
exec_spawn(struct ctr_exec *x, struct rt_spec *spec, bool interactive,
    bool detach, const struct call *call, struct berth_error *err)
{
	struct container *c = x->c;
	struct rt_spawn_opts opts;
	struct rt_container rc = { .pidfd = -1, .console_fd = -1 };
	const msgpack_object *r = msgpack_map_get(call->parameters, "rows");
	const msgpack_object *k = msgpack_map_get(call->parameters, "cols");
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int null = -1, rcode = -1, input = -1;

	rt_spawn_opts_init(&opts);
	if (detach || !x->tty) {
		if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
			berth_error_sys(err, "open /dev/null");
			goto out;
		}
		opts.stdio[0] = opts.stdio[1] = opts.stdio[2] = null;
	}
	if (!detach && !x->tty) {
		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
		    (interactive && pipe2(in, O_CLOEXEC) < 0)) {
			berth_error_sys(err, "exec: pipes");
			goto out;
		}
		opts.stdio[0] = interactive ? in[0] : null;
		opts.stdio[1] = out[1];
		opts.stdio[2] = errp[1];
	}
	if (r != NULL && r->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    k != NULL && k->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		opts.console_rows = (unsigned short)r->via.u64;
		opts.console_cols = (unsigned short)k->via.u64;
	}
	if (rt_exec(spec, c->pidfd, c->cgroup, &spec->process, &opts, &rc,
	    err) < 0)
		goto out;
	x->pid = rc.pid;
	x->pidfd = rc.pidfd;
	rc.pidfd = -1;
	if (x->tty) {
		/* Detached too: closing the master would hang it up. */
		x->out_fd = rc.console_fd;
		rc.console_fd = -1;
		if (interactive && !detach && (input = fcntl(x->out_fd,
		    F_DUPFD_CLOEXEC, 0)) < 0) {
			berth_error_sys(err, "exec: terminal");
			goto out;
		}
	} else if (!detach) {
		x->out_fd = out[0];
		x->err_fd = errp[0];
		out[0] = errp[0] = -1;
		input = in[1];
		in[1] = -1;
	}
	if (x->out_fd >= 0 && fcntl(x->out_fd, F_SETFL, O_NONBLOCK) < 0) {
		berth_error_sys(err, "exec: output");
		goto out;
	}
	if (x->err_fd >= 0 && fcntl(x->err_fd, F_SETFL, O_NONBLOCK) < 0) {
		berth_error_sys(err, "exec: output");
		goto out;
	}
	if (input >= 0) {
		rcode = stdio_input_new(c->d->base, input, exec_input_drained,
		    x, &x->input, err);
		input = -1;
		if (rcode < 0)
			goto out;
	}
	rcode = 0;
out:
	rt_container_release(&rc);
	if (null >= 0)
		close(null);
	if (input >= 0)
		close(input);
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	return (rcode);
}

/* Docker's "exec_start: CMD ARGS" action. */
static void
exec_event_start(struct container *c, char *const *args)
{
	char action[256];
	size_t i, n;

	n = (size_t)snprintf(action, sizeof(action), "exec_start:");
	for (i = 0; args[i] != NULL && n < sizeof(action); i++)
		n += (size_t)snprintf(action + n, sizeof(action) - n, " %s",
		    args[i]);
	event_container(c, action, NULL);
}

int
container_api_exec(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	struct rt_spec spec;
	struct ctr_exec *x = NULL;
	struct container *c;
	char name[256], kspec[DETACH_KEYS_SPEC_MAX];
	bool detach = param_bool(call, "detach");
	bool interactive = param_bool(call, "interactive");
	struct peer_kv started = { "pid", NULL, 0, 0 };
	int rc = -1;

	memset(&spec, 0, sizeof(spec));
	if (!detach && !(call->flags & CALL_UPGRADE)) {
		berth_error_set(err, BERTH_E_INVALID_CALL, 0, "%s takes over "
		    "the connection unless detached: call it with "
		    "\"upgrade\": true", call->method);
		return (berth_error_param_str(err, "reason",
		    "upgrade required"));
	}
	if (!msgpack_str_copy(msgpack_map_get(call->parameters, "container"),
	    name, sizeof(name)))
		name[0] = '\0';
	if (detach_keys_param(call, kspec, sizeof(kspec), err) < 0 ||
	    container_find(d, name, &c, err) < 0)
		return (-1);
	if (c->state != CTR_RUNNING || c->pidfd < 0 || c->paused) {
		berth_error_set(err, CTR_E_STATE, 0, c->paused ? "container "
		    "%s is paused, unpause the container before exec" :
		    "container %s is not running", c->name);
		berth_error_param_str(err, "container", c->name);
		return (berth_error_param_str(err, "state", c->paused ?
		    "paused" : container_state_name(c->state)));
	}
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return (berth_error_sys(err, "exec"));
	x->c = c;
	x->pidfd = x->out_fd = x->err_fd = -1;
	x->tty = param_bool(call, "tty");
	TAILQ_INSERT_TAIL(&c->execs, x, entry);
	if (detach_keys_parse(kspec, &x->keys, err) < 0 ||
	    exec_spec(c, call, &spec, err) < 0)
		goto out;
	if (exec_spawn(x, &spec, interactive, detach, call, err) < 0) {
		if (x->pidfd >= 0) {
			/* It runs, but could not be set up: not left so. */
			siginfo_t si;

			(void)syscall(SYS_pidfd_send_signal, x->pidfd, SIGKILL,
			    NULL, 0);
			(void)waitid(P_PIDFD, (id_t)x->pidfd, &si, WEXITED);
		}
		if (berth_error_is(err, RT_E_NOT_FOUND) ||
		    berth_error_is(err, RT_E_NOT_EXECUTABLE)) {
			char msg[1024];
			int code = berth_error_is(err, RT_E_NOT_FOUND) ? 127 :
			    126;

			snprintf(msg, sizeof(msg), "%s",
			    berth_error_message(err));
			berth_error_clear(err);
			berth_error_set(err, CTR_E_START, 0, "%s", msg);
			berth_error_param_int(err, "exit_code", code);
		}
		goto out;
	}
	if (exec_watch(x, err) < 0) {
		siginfo_t si;

		(void)syscall(SYS_pidfd_send_signal, x->pidfd, SIGKILL, NULL,
		    0);
		(void)waitid(P_PIDFD, (id_t)x->pidfd, &si, WEXITED);
		goto out;
	}
	log_info("container", "%.12s: exec %ld: %s", c->id, (long)x->pid,
	    spec.process.args[0]);
	exec_event_start(c, spec.process.args);
	if (detach) {
		msgpack_pack_map(pk, 1);
		pack_str(pk, "pid");
		msgpack_pack_int64(pk, x->pid);
		x = NULL;
		rc = 0;
		goto out;
	}
	x->p = p;
	peer_session_begin(p, &exec_ops, x, true);
	started.key = "pid";
	started.num = x->pid;
	peer_reply(p, true, peer_pack_int, &started);
	x = NULL;
	rc = DISPATCH_DEFERRED;
out:
	if (x != NULL)
		exec_free(x);
	spec_free(&spec);
	return (rc);
}

void
container_execs_release(struct container *c, bool wait)
{
	struct ctr_exec *x;

	/* The container's init exited: the kernel kills what is left in
	 * its pid namespace, these with it.  Each is reaped when its pidfd
	 * says so, its session answered then; with wait (berthd exits, or
	 * the init's own exit waits for them), now. */
	while ((x = TAILQ_FIRST(&c->execs)) != NULL) {
		TAILQ_REMOVE(&c->execs, x, entry);
		x->c = NULL;
		if (x->pidfd < 0) {
			exec_free(x);
			continue;
		}
		(void)syscall(SYS_pidfd_send_signal, x->pidfd, SIGKILL, NULL,
		    0);
		if (wait || x->exit_ev == NULL)
			exec_reap(x);
	}
}
