/*
 * berth exec: run a command in a running container, as docker exec:
 * attached (an Exec session, session.h, whose last reply is the
 * command's exit code) or detached (-d).
 */
#include <sys/signalfd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "session.h"

static int cmd_exec_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_exec_flags[] = {
	{ "detach", 'd', NULL, "Detached mode: run command in the "
	    "background" },
	{ "detach-keys", 0, "STRING", "Override the key sequence for "
	    "detaching a container" },
	{ "env", 'e', "KEY=VALUE", "Set environment variables" },
	{ "env-file", 0, "FILE", "Read in a file of environment variables" },
	{ "interactive", 'i', NULL, "Keep STDIN open even if not attached" },
	{ "privileged", 0, NULL, "Give extended privileges to the command" },
	{ "tty", 't', NULL, "Allocate a pseudo-TTY" },
	{ "user", 'u', "USER", "Username or UID (format: "
	    "\"<name|uid>[:<group|gid>]\")" },
	{ "workdir", 'w', "DIR", "Working directory inside the container" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_exec_entry = {
	.name = "exec",
	.usage = "CONTAINER COMMAND [ARG...]",
	.summary = "Execute a command in a running container",
	.flags = cmd_exec_flags,
	.args_min = 2,
	.args_max = -1,
	.exec = cmd_exec_exec,
	.stop_at_positional = true,
};

const struct cmd_entry cmd_container_exec_entry =
    CMD_SAME_AS("container exec", cmd_exec_entry, NULL);

static json_t *
exec_params(struct cmd_ctx *ctx, const struct args *a, bool tty,
    struct berth_error *err)
{
	cleanup_json json_t *p = NULL;
	json_t *cmd, *env;
	unsigned rows, cols;
	int i;

	if ((p = json_pack("{s:s, s:[], s:b, s:b, s:b, s:b}", "container",
	    a->argv[0], "cmd", "tty", tty, "interactive",
	    args_has(a, "interactive"), "privileged",
	    args_has(a, "privileged"), "detach", args_has(a, "detach"))) ==
	    NULL) {
		berth_error_sys(err, "exec");
		return (NULL);
	}
	cmd = json_object_get(p, "cmd");
	for (i = 1; i < a->argc; i++)
		json_array_append_new(cmd, json_string(a->argv[i]));
	if ((env = container_env(a, getenv, err)) == NULL)
		return (NULL);
	json_object_set_new(p, "env", env);
	if (args_get(a, "user") != NULL)
		json_object_set_new(p, "user", json_string(args_get(a,
		    "user")));
	if (args_get(a, "workdir") != NULL)
		json_object_set_new(p, "working_dir", json_string(args_get(a,
		    "workdir")));
	if (args_get(a, "detach-keys") != NULL)
		json_object_set_new(p, "detach_keys", json_string(args_get(a,
		    "detach-keys")));
	if (tty && session_term_size(fileno(ctx->out), &rows, &cols)) {
		json_object_set_new(p, "rows", json_integer(rows));
		json_object_set_new(p, "cols", json_integer(cols));
	}
	return (json_incref(p));
}

static int
cmd_exec_exec(struct cmd_ctx *ctx, const struct args *a)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *p = NULL;
	struct session_opts so;
	struct session_end end;
	bool detach = args_has(a, "detach"), tty = args_has(a, "tty");
	bool in = args_has(a, "interactive");
	int rc;

	if (tty && in && !detach && !isatty(fileno(ctx->in))) {
		fprintf(ctx->err, "the input device is not a TTY\n");
		return (CLI_EXIT_FAILURE);
	}
	if ((p = exec_params(ctx, a, tty, &err)) == NULL)
		return (berth_error_is(&err, CLI_E_USAGE) ?
		    cli_usage_error(ctx, ctx->entry, "%s",
		    berth_error_message(&err)) : cli_fail(ctx, &err));
	if (cli_connect(ctx, &c, &err) < 0)
		return (cli_fail(ctx, &err));
	if (detach) {
		if (container_call(c, "io.berth.Container.Exec", p, &reply,
		    &err) < 0)
			return (container_exec_failed(ctx, &reply, &err));
		return (CLI_EXIT_OK);
	}
	if (container_send(c, "io.berth.Container.Exec", p,
	    BERTH_CALL_UPGRADE, &err) < 0)
		return (cli_fail(ctx, &err));
	memset(&so, 0, sizeof(so));
	fflush(ctx->out);
	fflush(ctx->err);
	so.in = in ? fileno(ctx->in) : -1;
	so.out = fileno(ctx->out);
	so.err = fileno(ctx->err);
	so.tty = tty;
	so.sigfd = -1;
	{
		sigset_t mask, old;

		/* SIGWINCH resizes; the others end the client (Docker's
		 * exec proxies none), once its terminal is restored. */
		sigemptyset(&mask);
		sigaddset(&mask, SIGWINCH);
		sigaddset(&mask, SIGINT);
		sigaddset(&mask, SIGTERM);
		sigaddset(&mask, SIGHUP);
		sigaddset(&mask, SIGQUIT);
		sigprocmask(SIG_BLOCK, &mask, &old);
		so.sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
		rc = session_run(c, &so, &end, &reply, &err);
		if (so.sigfd >= 0)
			close(so.sigfd);
		sigprocmask(SIG_SETMASK, &old, NULL);
		session_raise(&end);
	}
	if (rc < 0)
		return (container_exec_failed(ctx, &reply, &err));
	if (end.detached || !end.has_code)
		return (CLI_EXIT_OK);
	return (end.exit_code);
}
