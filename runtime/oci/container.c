/*
 * The lifecycle steps create, run, start, delete and exec share: making a
 * container from a bundle (config, state directory, exec fifo, spawn,
 * state.json, hooks, pid file), starting it through its fifo, destroying
 * it, each with the OCI hooks of that point (hooks.c), and the spawner
 * options taken from the command line.
 */
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "cleanup.h"
#include "container.h"

/* The parent of berth-runtime's default cgroups (config.c). */
#define OCI_CGROUP_PARENT	"berth-runtime"
#define OCI_KILL_WAIT_MS	10000

static int
console_connect(const char *path, struct berth_error *err)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "console socket path too long: %s", path));
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return (berth_error_sys(err, "console socket"));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		berth_error_sys(err, "connect to console socket %s", path);
		close(fd);
		return (-1);
	}
	return (fd);
}

int
spawn_opts_fill(struct rt_spawn_opts *opts, const char *console_socket,
    int preserve_fds, int *fds, struct berth_error *err)
{
	int i;

	rt_spawn_opts_init(opts);
	if (preserve_fds < 0 || preserve_fds > OCI_PRESERVE_FDS_MAX)
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "--preserve-fds: %d is outside 0..%d", preserve_fds,
		    OCI_PRESERVE_FDS_MAX));
	for (i = 0; i < preserve_fds; i++) {
		if (fcntl(3 + i, F_GETFD) < 0)
			return (berth_error_sys(err, "--preserve-fds: fd %d",
			    3 + i));
		fds[i] = 3 + i;
	}
	opts->pass_fds = preserve_fds > 0 ? fds : NULL;
	opts->npass_fds = preserve_fds;
	if (console_socket != NULL && (opts->console_socket =
	    console_connect(console_socket, err)) < 0)
		return (-1);
	return (0);
}

void
spawn_opts_release(struct rt_spawn_opts *opts)
{
	if (opts->console_socket >= 0)
		close(opts->console_socket);
	opts->console_socket = -1;
}

int
spawn_error_code(const struct berth_error *err)
{
	if (berth_error_is(err, RT_E_NOT_FOUND))
		return (127);
	if (berth_error_is(err, RT_E_NOT_EXECUTABLE))
		return (126);
	return (OCI_EXIT_FAILURE);
}

/* runc's checks of the terminal options. */
static int
create_check(const struct create_opts *o, const struct oci_config *cfg,
    struct berth_error *err)
{
	bool terminal = cfg->spec.process.terminal;

	if (terminal && o->console_socket == NULL && !o->relay_tty)
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "cannot allocate tty if %s will detach without setting "
		    "console socket", OCI_NAME));
	if (!terminal && o->console_socket != NULL)
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "cannot use console socket if %s will not detach or "
		    "allocate tty", OCI_NAME));
	return (0);
}

/* Wait (bounded) for a process we may not be the parent of to exit. */
static void
pidfd_wait_exit(int pidfd, int timeout_ms)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	siginfo_t si;

	while (poll(&pfd, 1, timeout_ms) < 0 && errno == EINTR)
		;
	/* Reap it when it is ours (run, exec); else init does. */
	memset(&si, 0, sizeof(si));
	(void)waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG);
}

static void
spawned_undo(struct rt_container *rc)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (rc->pidfd >= 0) {
		(void)pidfd_send_signal(rc->pidfd, SIGKILL, NULL, 0);
		pidfd_wait_exit(rc->pidfd, OCI_KILL_WAIT_MS);
	}
	if (rc->cgroup != NULL)
		(void)cgroup_destroy(rc->cgroup, &err);
	berth_error_clear(&err);
	rt_container_release(rc);
}

/* Run one kind of hooks with the container's state (status st). */
static int
hooks_run(const struct oci_hooks *hooks, const struct oci_container *c,
    enum oci_hook_kind kind, enum oci_status st, struct berth_error *err)
{
	cleanup_json json_t *state = NULL;

	if (hooks->n[kind] == 0)
		return (0);
	if ((state = state_to_json(c, st)) == NULL)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "state of %s", c->st.id));
	return (oci_hooks_run(hooks, kind, state, err));
}

/* The hooks of the config the container was created with. */
static int
hooks_saved(const struct oci_container *c, struct oci_hooks *hooks,
    struct berth_error *err)
{
	cleanup_free char *path = NULL, *text = NULL;
	size_t len;

	memset(hooks, 0, sizeof(*hooks));
	if (asprintf(&path, "%s/%s", c->dir, STATE_CONFIG) < 0) {
		path = NULL;
		return (berth_error_sys(err, "config"));
	}
	if (oci_read_file(path, CFG_FILE_MAX, &text, &len, err) < 0)
		return (-1);
	if (oci_hooks_from_config(text, len, hooks, err) < 0)
		return (berth_error_wrap(err, "%s", path));
	return (0);
}

/* Hooks whose failure the spec makes a warning (poststart, poststop). */
static void
hooks_run_warn(struct oci_ctx *ctx, const struct oci_hooks *hooks,
    const struct oci_container *c, enum oci_hook_kind kind,
    enum oci_status st)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (hooks_run(hooks, c, kind, st, &err) < 0)
		oci_warn(ctx, "container %s: %s", c->st.id,
		    berth_error_message(&err));
	berth_error_clear(&err);
}

/* prestart then createRuntime (runc's order), in our namespaces, once
 * the container exists: a failure stops it, runs poststop (the spec's
 * lifecycle goes on with delete) and fails the create. */
/* What the spawner's before-pivot call needs to run the create hooks. */
struct create_hook_ctx {
	struct oci_container	*c;
	struct oci_config	*cfg;
	bool			 ran;		/* a hook was started */
};

/* The state the hooks read, filled as soon as the process exists. */
static int
state_fill(struct oci_container *c, struct oci_config *cfg, pid_t pid,
    struct berth_error *err)
{
	char created[48];

	c->st.pid = pid;
	if (proc_start_time(pid, &c->st.start_time, NULL) < 0)
		return (berth_error_sys(err, "read /proc/%d/stat", (int)pid));
	state_now_rfc3339(created, sizeof(created));
	if ((c->st.bundle = strdup(cfg->bundle)) == NULL ||
	    (c->st.rootfs = strdup(cfg->spec.root_path)) == NULL ||
	    (c->st.created = strdup(created)) == NULL ||
	    (c->st.cgroup_path = strdup(cfg->spec.cgroup_path)) == NULL)
		return (berth_error_sys(err, "state"));
	c->st.annotations = json_incref(cfg->annotations);
	return (state_save(c, err));
}

/*
 * prestart and createRuntime: after the namespaces and mounts exist,
 * before pivot_root, as the OCI runtime spec orders them (a hook may act
 * on the root as the host sees it).  The spawner calls this while the
 * container's set-up waits.
 */
static int
create_hooks(void *arg, pid_t pid, struct berth_error *err)
{
	struct create_hook_ctx *h = arg;

	if (state_fill(h->c, h->cfg, pid, err) < 0)
		return (-1);
	h->ran = h->cfg->hooks.n[OCI_HOOK_PRESTART] > 0 ||
	    h->cfg->hooks.n[OCI_HOOK_CREATE_RUNTIME] > 0;
	if (hooks_run(&h->cfg->hooks, h->c, OCI_HOOK_PRESTART,
	    OCI_STATUS_CREATED, err) < 0 || hooks_run(&h->cfg->hooks, h->c,
	    OCI_HOOK_CREATE_RUNTIME, OCI_STATUS_CREATED, err) < 0)
		return (-1);
	return (0);
}

/* Say which ambient capabilities the config asked but cannot have. */
static void
warn_ambient(struct oci_ctx *ctx, uint64_t dropped)
{
	int cap;

	for (cap = 0; cap < 64; cap++)
		if (dropped & (1ULL << cap))
			oci_warn(ctx, "ambient %s ignored: not in both the "
			    "permitted and inheritable sets", caps_name(cap));
}

static int
create_steps(struct oci_ctx *ctx, const struct create_opts *o,
    struct oci_container *c, struct oci_config *cfg,
    struct rt_container *out, struct berth_error *err)
{
	cleanup_free char *path = NULL, *text = NULL, *fifo = NULL;
	int fds[OCI_PRESERVE_FDS_MAX];
	struct create_hook_ctx hook_ctx = { 0 };
	struct rt_spawn_opts opts;
	size_t len;
	int rc;

	if (asprintf(&path, "%s/config.json", o->bundle) < 0) {
		path = NULL;
		return (berth_error_sys(err, "config.json"));
	}
	if (oci_read_file(path, CFG_FILE_MAX, &text, &len, err) < 0)
		return (-1);
	if (oci_config_parse(text, len, o->bundle, o->id, cfg, err) < 0)
		return (berth_error_wrap(err, "%s", path));
	warn_ambient(ctx, cfg->ambient_dropped);
	if (cfg->ignored[0] != '\0')
		oci_warn(ctx, "ignoring properties the OCI spec does not "
		    "define: %s", cfg->ignored);
	if (create_check(o, cfg, err) < 0)
		return (-1);
	if (state_write_file(c, STATE_CONFIG, text, len, err) < 0)
		return (-1);
	if (asprintf(&fifo, "%s/%s", c->dir, STATE_FIFO) < 0) {
		fifo = NULL;
		return (berth_error_sys(err, "exec fifo"));
	}
	/* 0622 whatever our umask: the init opens it for writing after it
	 * became the container's user (runc does the same). */
	if (mkfifo(fifo, 0622) < 0)
		return (berth_error_sys(err, "make %s", fifo));
	if (chmod(fifo, 0622) < 0)
		return (berth_error_sys(err, "chmod %s", fifo));
	if (spawn_opts_fill(&opts, o->console_socket, o->preserve_fds, fds,
	    err) < 0)
		return (-1);
	opts.exec_fifo = fifo;
	opts.console_rows = cfg->console_height;
	opts.console_cols = cfg->console_width;
	hook_ctx.c = c;
	hook_ctx.cfg = cfg;
	opts.before_pivot = create_hooks;
	opts.before_pivot_arg = &hook_ctx;
	oci_debug(ctx, "spawning %s from %s", o->id, cfg->bundle);
	rc = rt_spawn(&cfg->spec, &opts, out, err);
	spawn_opts_release(&opts);
	if (rc < 0) {
		/* The spawner killed the process and removed its cgroup. */
		if (hook_ctx.ran)
			hooks_run_warn(ctx, &cfg->hooks, c, OCI_HOOK_POSTSTOP,
			    OCI_STATUS_STOPPED);
		return (berth_error_wrap(err, "create container %s",
		    o->id));
	}
	/* Last: a caller that sees the pid file may act on the container
	 * (runc writes it after the hooks too). */
	if (o->pid_file != NULL && oci_write_pid_file(o->pid_file, out->pid,
	    err) < 0) {
		spawned_undo(out);
		return (-1);
	}
	oci_debug(ctx, "created %s: pid %d", o->id, (int)out->pid);
	return (0);
}

int
container_create(struct oci_ctx *ctx, const struct create_opts *o,
    struct oci_container *c, struct oci_config *cfg,
    struct rt_container *out, struct berth_error *err)
{
	struct berth_error derr = BERTH_ERROR_INIT;

	memset(out, 0, sizeof(*out));
	out->pidfd = out->console_fd = -1;
	memset(cfg, 0, sizeof(*cfg));
	if (state_create(ctx->root, o->id, c, err) < 0)
		return (-1);
	if (create_steps(ctx, o, c, cfg, out, err) == 0)
		return (0);
	/* Nothing stays behind: the spawner undid its part. */
	(void)state_remove(c, &derr);
	berth_error_clear(&derr);
	oci_config_free(cfg);
	return (-1);
}

int
container_start(struct oci_ctx *ctx, struct oci_container *c,
    struct berth_error *err)
{
	cleanup_free char *fifo = NULL;
	struct oci_hooks hooks;
	enum oci_status st;

	if (state_status(c, &st, err) < 0)
		return (-1);
	if (st == OCI_STATUS_STOPPED)
		return (berth_error_set(err, OCI_E_STATE, 0,
		    "cannot start a container that has stopped"));
	if (st != OCI_STATUS_CREATED)
		return (berth_error_set(err, OCI_E_STATE, 0,
		    "cannot start an already running container"));
	if (asprintf(&fifo, "%s/%s", c->dir, STATE_FIFO) < 0) {
		fifo = NULL;
		return (berth_error_sys(err, "exec fifo"));
	}
	if (rt_start_fifo(fifo, err) < 0)
		return (berth_error_wrap(err, "start container %s", c->st.id));
	if (unlinkat(c->dirfd, STATE_FIFO, 0) < 0)
		return (berth_error_sys(err, "remove %s", fifo));
	c->st.started = true;
	oci_debug(ctx, "started %s", c->st.id);
	if (state_save(c, err) < 0)
		return (-1);
	if (hooks_saved(c, &hooks, err) < 0)
		return (-1);
	hooks_run_warn(ctx, &hooks, c, OCI_HOOK_POSTSTART,
	    OCI_STATUS_RUNNING);
	oci_hooks_free(&hooks);
	return (0);
}

int
container_destroy(struct oci_ctx *ctx, struct oci_container *c,
    struct berth_error *err)
{
	struct rt_cgroup *cg = NULL;
	struct berth_error derr = BERTH_ERROR_INIT;
	struct oci_hooks hooks;
	int pidfd = -1, rc;

	if (state_pidfd(c, &pidfd, &derr) == 0) {
		(void)pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
		pidfd_wait_exit(pidfd, OCI_KILL_WAIT_MS);
		close(pidfd);
	}
	berth_error_clear(&derr);
	/* A paused container's processes cannot die while frozen. */
	if (cgroup_open(c->st.cgroup_path, &cg, &derr) == 0) {
		(void)cgroup_freeze(cg, false, &derr);
		berth_error_clear(&derr);
		rc = cgroup_destroy(cg, err);
		cgroup_free(cg);
		if (rc < 0)
			return (berth_error_wrap(err, "delete container %s",
			    c->st.id));
		if (strncmp(c->st.cgroup_path, OCI_CGROUP_PARENT "/",
		    strlen(OCI_CGROUP_PARENT) + 1) == 0)
			(void)cgroup_remove_parent(OCI_CGROUP_PARENT, &derr);
	}
	berth_error_clear(&derr);
	oci_debug(ctx, "destroyed %s", c->st.id);
	/* poststop: after the container is gone, before delete returns. */
	if (hooks_saved(c, &hooks, &derr) == 0)
		hooks_run_warn(ctx, &hooks, c, OCI_HOOK_POSTSTOP,
		    OCI_STATUS_STOPPED);
	else
		oci_warn(ctx, "container %s: poststop hooks: %s", c->st.id,
		    berth_error_message(&derr));
	berth_error_clear(&derr);
	oci_hooks_free(&hooks);
	return (state_remove(c, err));
}

void
container_report_oom(struct oci_ctx *ctx, struct oci_container *c)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct cgroup_stats stats;
	struct rt_cgroup *cg = NULL;

	memset(&stats, 0, sizeof(stats));
	if (cgroup_open(c->st.cgroup_path, &cg, &err) == 0 &&
	    cgroup_stats(cg, &stats, &err) == 0 && stats.oom_kills > 0)
		oci_warn(ctx, "container %s: the OOM killer killed a process "
		    "(out of memory: limit %llu bytes)", c->st.id,
		    (unsigned long long)stats.memory_limit);
	if (berth_error_isset(&err))
		oci_debug(ctx, "OOM check: %s", berth_error_message(&err));
	berth_error_clear(&err);
	if (cg != NULL)
		cgroup_free(cg);
}

int
container_config(struct oci_container *c, struct oci_config *cfg,
    struct berth_error *err)
{
	cleanup_free char *path = NULL, *text = NULL;
	size_t len;

	if (asprintf(&path, "%s/%s", c->dir, STATE_CONFIG) < 0) {
		path = NULL;
		return (berth_error_sys(err, "config"));
	}
	if (oci_read_file(path, CFG_FILE_MAX, &text, &len, err) < 0)
		return (-1);
	if (oci_config_parse(text, len, c->st.bundle, c->st.id, cfg, err) < 0)
		return (berth_error_wrap(err, "%s", path));
	return (0);
}
