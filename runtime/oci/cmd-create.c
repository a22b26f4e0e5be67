/*
 * create, start and run: a container from a bundle, started through its
 * exec fifo; run does both and, in the foreground, waits for it (relaying
 * its terminal, forwarding signals), exits with its code and deletes it.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "container.h"

static int cmd_create_exec(struct oci_ctx *, const struct args *);
static int cmd_run_exec(struct oci_ctx *, const struct args *);
static int cmd_start_exec(struct oci_ctx *, const struct args *);

#define CREATE_FLAGS							\
	{ "bundle", 'b', "DIR", "path to the root of the bundle "	\
	    "directory, defaults to the current directory" },		\
	{ "console-socket", 0, "PATH", "path to an AF_UNIX socket "	\
	    "which will receive the master end of the console's "	\
	    "pseudoterminal" },						\
	{ "pid-file", 0, "FILE", "specify the file to write the "	\
	    "process id to" },						\
	{ "preserve-fds", 0, "N", "pass N additional file descriptors "	\
	    "to the container (3 .. 3+N-1)" },				\
	{ "no-pivot", 0, NULL, "not supported: the root is always "	\
	    "entered with pivot_root" },				\
	{ "no-new-keyring", 0, NULL, "do not create a session keyring "	\
	    "(berth-runtime never creates one)" }

static const struct args_flag cmd_create_flags[] = {
	CREATE_FLAGS,
	{ NULL, 0, NULL, NULL }
};

static const struct args_flag cmd_run_flags[] = {
	CREATE_FLAGS,
	{ "detach", 'd', NULL, "detach from the container's process" },
	{ "keep", 0, NULL, "do not delete the container after it exits" },
	{ "no-subreaper", 0, NULL, "accepted: berth-runtime is never a "
	    "subreaper" },
	{ NULL, 0, NULL, NULL }
};

const struct oci_cmd cmd_create_entry = {
	.name = "create",
	.usage = "<container-id>",
	.summary = "create a container",
	.flags = cmd_create_flags,
	.args_min = 1,
	.args_max = 1,
	.exec = cmd_create_exec,
};

const struct oci_cmd cmd_run_entry = {
	.name = "run",
	.usage = "<container-id>",
	.summary = "create and run a container",
	.flags = cmd_run_flags,
	.args_min = 1,
	.args_max = 1,
	.exec = cmd_run_exec,
};

const struct oci_cmd cmd_start_entry = {
	.name = "start",
	.usage = "<container-id>",
	.summary = "executes the user defined process in a created container",
	.flags = (const struct args_flag[]){ { NULL, 0, NULL, NULL } },
	.args_min = 1,
	.args_max = 1,
	.exec = cmd_start_exec,
};

/* The create options from the command line. */
static int
create_opts_get(struct oci_ctx *ctx, const struct args *args,
    struct create_opts *o)
{
	const char *v;
	char *end;
	long n;

	memset(o, 0, sizeof(*o));
	if ((o->id = oci_arg_id(ctx, args)) == NULL)
		return (-1);
	o->bundle = args_get(args, "bundle") != NULL ?
	    args_get(args, "bundle") : ".";
	o->pid_file = args_get(args, "pid-file");
	o->console_socket = args_get(args, "console-socket");
	if ((v = args_get(args, "preserve-fds")) != NULL) {
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || n < 0 ||
		    n > OCI_PRESERVE_FDS_MAX) {
			oci_failf(ctx, "--preserve-fds: invalid count %s", v);
			return (-1);
		}
		o->preserve_fds = (int)n;
	}
	if (args_has(args, "no-pivot")) {
		oci_failf(ctx, "--no-pivot is not supported: berth-runtime "
		    "always enters the root with pivot_root");
		return (-1);
	}
	return (0);
}

static int
cmd_create_exec(struct oci_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct oci_container c = OCI_CONTAINER_INIT;
	struct rt_container rc;
	struct oci_config cfg;
	struct create_opts o;

	if (create_opts_get(ctx, args, &o) < 0)
		return (OCI_EXIT_FAILURE);
	if (container_create(ctx, &o, &c, &cfg, &rc, &err) < 0) {
		state_close(&c);
		oci_fail(ctx, &err);
		return (spawn_error_code(&err));
	}
	/* The init stays, waiting on the fifo; it is init's child now. */
	rt_container_release(&rc);
	oci_config_free(&cfg);
	state_close(&c);
	return (OCI_EXIT_OK);
}

static int
cmd_start_exec(struct oci_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct oci_container c = OCI_CONTAINER_INIT;
	const char *id;
	int rc;

	if ((id = oci_arg_id(ctx, args)) == NULL)
		return (OCI_EXIT_FAILURE);
	rc = state_open(ctx->root, id, false, &c, &err) < 0 ||
	    container_start(ctx, &c, &err) < 0 ? -1 : 0;
	state_close(&c);
	return (rc < 0 ? oci_fail(ctx, &err) : OCI_EXIT_OK);
}

/* run in the foreground, once created: start, wait, delete. */
static int
run_foreground(struct oci_ctx *ctx, struct oci_container *c,
    struct oci_config *cfg, struct rt_container *rc, bool keep,
    struct berth_error *err)
{
	struct tty_relay *relay = NULL;
	int code = OCI_EXIT_FAILURE;

	if (rc->console_fd >= 0 && tty_relay_begin(rc->console_fd,
	    cfg->console_height, cfg->console_width, &relay, err) < 0)
		return (-1);
	if (container_start(ctx, c, err) < 0 || state_unlock(c, err) < 0 ||
	    oci_wait(ctx, rc->pidfd, relay, &code, err) < 0) {
		tty_relay_end(relay);
		return (-1);
	}
	tty_relay_end(relay);
	oci_debug(ctx, "%s exited with %d", c->st.id, code);
	if (code == 128 + SIGKILL)
		container_report_oom(ctx, c);
	if (!keep && (state_relock(c, err) < 0 ||
	    container_destroy(ctx, c, err) < 0))
		return (-1);
	return (code);
}

static int
cmd_run_exec(struct oci_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct berth_error derr = BERTH_ERROR_INIT;
	struct oci_container c = OCI_CONTAINER_INIT;
	struct rt_container rc;
	struct oci_config cfg;
	struct create_opts o;
	bool detach;
	int code;

	if (create_opts_get(ctx, args, &o) < 0)
		return (OCI_EXIT_FAILURE);
	detach = args_has(args, "detach");
	o.relay_tty = !detach && o.console_socket == NULL;
	if (container_create(ctx, &o, &c, &cfg, &rc, &err) < 0) {
		state_close(&c);
		oci_fail(ctx, &err);
		return (spawn_error_code(&err));
	}
	if (detach)
		code = container_start(ctx, &c, &err) < 0 ? -1 : OCI_EXIT_OK;
	else
		code = run_foreground(ctx, &c, &cfg, &rc, args_has(args,
		    "keep"), &err);
	if (code < 0) {
		/* As runc: a run that failed leaves no container. */
		if (state_relock(&c, &derr) == 0)
			(void)container_destroy(ctx, &c, &derr);
		berth_error_clear(&derr);
		code = oci_fail(ctx, &err);
	}
	rt_container_release(&rc);
	oci_config_free(&cfg);
	state_close(&c);
	return (code);
}
