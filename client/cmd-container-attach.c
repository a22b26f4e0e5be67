/*
 * berth attach, and attaching while starting (run in the foreground,
 * start -a): an Attach session (session.h) on its own connection, in
 * place before the container starts, so nothing it writes is missed.
 */
#include <sys/signalfd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "session.h"

static int cmd_attach_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_attach_flags[] = {
	{ "detach-keys", 0, "STRING", "Override the key sequence for "
	    "detaching a container" },
	{ "no-stdin", 0, NULL, "Do not attach STDIN" },
	{ "sig-proxy", 0, "BOOL", "Proxy all received signals to the process "
	    "(default true)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_attach_entry = {
	.name = "attach",
	.usage = "CONTAINER",
	.summary = "Attach local standard input, output, and error streams to "
	    "a running container",
	.flags = cmd_attach_flags,
	.args_min = 1,
	.args_max = 1,
	.exec = cmd_attach_exec,
};

const struct cmd_entry cmd_container_attach_entry =
    CMD_SAME_AS("container attach", cmd_attach_entry, NULL);

/* Signals a session proxies to the container (Docker's sig-proxy). */
static const int proxied[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1,
    SIGUSR2 };

struct attach {
	struct cmd_ctx		*ctx;
	const char		*id;
	bool			 proxy;
	/* Start once attached (run, start -a): its reply. */
	bool			 start;
	struct berth_reply	 start_reply;
	struct berth_error	 start_err;
};

static bool
attach_signal(int sig, void *arg)
{
	struct attach *a = arg;
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *p = NULL;
	char num[16];

	if (!a->proxy)
		return (false);	/* the client goes, the container stays */
	snprintf(num, sizeof(num), "%d", sig);
	p = container_params(a->id, "signal", json_string(num));
	if (p != NULL && cli_connect(a->ctx, &c, &err) == 0)
		(void)container_call(c, "io.berth.Container.Kill", p, &reply,
		    &err);
	return (true);
}

/* The session is in place: start the container now. */
static int
attach_ready(void *arg, struct berth_error *err)
{
	struct attach *a = arg;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *sp = NULL;

	if (!a->start)
		return (0);
	if ((sp = container_params(a->id, NULL, NULL)) == NULL)
		return (berth_error_sys(err, "start"));
	if (cli_connect(a->ctx, &c, &a->start_err) < 0 ||
	    container_call(c, "io.berth.Container.Start", sp, &a->start_reply,
	    &a->start_err) < 0)
		return (berth_error_set(err, CLI_E_START_FAILED, 0, "%s",
		    berth_error_message(&a->start_err)));
	return (0);
}

/* A signalfd for the proxied signals and SIGWINCH, blocked meanwhile. */
static int
session_signals(sigset_t *old)
{
	sigset_t mask;
	size_t i;

	sigemptyset(&mask);
	for (i = 0; i < sizeof(proxied) / sizeof(proxied[0]); i++)
		sigaddset(&mask, proxied[i]);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, old);
	return (signalfd(-1, &mask, SFD_CLOEXEC));
}

/* Attach to id on a new connection and run the session. */
static int
attach_session(struct attach *a, const struct attach_opts *ao,
    struct session_end *end, struct berth_error *err)
{
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *p = NULL;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	struct session_opts so;
	sigset_t old;
	int rc;

	p = json_pack("{s:s, s:b, s:b, s:b, s:s?}", "container", a->id,
	    "stdin", ao->in, "stdout", 1, "stderr", 1, "detach_keys",
	    ao->detach_keys);
	if (p == NULL)
		return (berth_error_sys(err, "attach"));
	if (cli_connect(a->ctx, &c, err) < 0 || container_send(c,
	    "io.berth.Container.Attach", p, BERTH_CALL_UPGRADE, err) < 0)
		return (-1);
	memset(&so, 0, sizeof(so));
	fflush(a->ctx->out);
	fflush(a->ctx->err);
	so.in = ao->in ? fileno(a->ctx->in) : -1;
	so.out = fileno(a->ctx->out);
	so.err = fileno(a->ctx->err);
	so.tty = ao->tty;
	so.sigfd = session_signals(&old);
	so.on_signal = attach_signal;
	so.on_ready = attach_ready;
	so.arg = a;
	rc = session_run(c, &so, end, &reply, err);
	if (so.sigfd >= 0)
		close(so.sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	session_raise(end);
	return (rc);
}

/* Wait's reply: the exit code, and the error the container stopped
 * with, if any. */
static int
wait_code(struct cmd_ctx *ctx, struct berth_client *cw)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	const msgpack_object *code, *werr;

	if (berth_recv(cw, &reply, &err) < 0) {
		(void)cli_fail_reply(ctx, &reply, &err);
		return (CLI_EXIT_ENGINE);
	}
	code = berth_map_get(reply.parameters, "exit_code");
	werr = berth_map_get(reply.parameters, "error");
	if (werr != NULL && werr->type == MSGPACK_OBJECT_STR &&
	    werr->via.str.size > 0)
		fprintf(ctx->err, "Error: %.*s\n", (int)werr->via.str.size,
		    werr->via.str.ptr);
	if (code != NULL && code->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return ((int)code->via.u64);
	return (CLI_EXIT_ENGINE);
}

int
container_attach_start(struct cmd_ctx *ctx, struct berth_client *cw,
    const char *id, bool auto_remove, const struct attach_opts *ao)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_json json_t *wp = NULL;
	struct attach a = { ctx, id, ao->sig_proxy, true, BERTH_REPLY_INIT,
	    BERTH_ERROR_INIT };
	struct session_end end;
	int rc;

	wp = json_pack("{s:s, s:s}", "container", id, "condition",
	    "next_exit");
	if (wp == NULL)
		return (CLI_EXIT_ENGINE);
	/* cw is a connection the daemon has served already, so it reads
	 * the Wait before the Start sent on a new one: a container that
	 * exits at once cannot beat it. */
	if (container_send(cw, "io.berth.Container.Wait", wp, 0, &err) < 0)
		return (cli_fail(ctx, &err));
	if (attach_session(&a, ao, &end, &err) < 0) {
		if (berth_error_is(&err, CLI_E_START_FAILED))
			rc = container_start_failed(ctx, id, auto_remove,
			    &a.start_reply, &a.start_err);
		else
			rc = cli_fail(ctx, &err);
		goto out;
	}
	/* Detached: the container runs on; Wait is dropped with cw. */
	rc = end.detached ? CLI_EXIT_OK : wait_code(ctx, cw);
out:
	berth_reply_release(&a.start_reply);
	berth_error_clear(&a.start_err);
	return (rc);
}

static int
cmd_attach_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *p = NULL, *doc = NULL;
	const char *proxy = args_get(args, "sig-proxy");
	struct attach a = { ctx, args->argv[0], true, false,
	    BERTH_REPLY_INIT, BERTH_ERROR_INIT };
	struct attach_opts ao;
	struct session_end end;
	json_t *cfg, *state;

	if (proxy != NULL && strcmp(proxy, "true") != 0 &&
	    strcmp(proxy, "false") != 0 && strcmp(proxy, "1") != 0 &&
	    strcmp(proxy, "0") != 0)
		return (cli_usage_error(ctx, ctx->entry, "invalid argument "
		    "\"%s\" for \"--sig-proxy\" flag: use true or false",
		    proxy));
	a.proxy = proxy == NULL || strcmp(proxy, "true") == 0 ||
	    strcmp(proxy, "1") == 0;
	if ((p = container_params(args->argv[0], NULL, NULL)) == NULL)
		return (CLI_EXIT_ENGINE);
	if (cli_connect(ctx, &c, &err) < 0 || container_call(c,
	    "io.berth.Container.Inspect", p, &reply, &err) < 0)
		return (cli_fail_reply(ctx, &reply, &err));
	if ((doc = jsonmp_from_msgpack(berth_map_get(reply.parameters,
	    "container"), &err)) == NULL)
		return (cli_fail(ctx, &err));
	cfg = json_object_get(doc, "Config");
	state = json_object_get(doc, "State");
	if (!json_is_true(json_object_get(state, "Running"))) {
		fprintf(ctx->err, "Error: You cannot attach to a stopped "
		    "container, start it first\n");
		return (CLI_EXIT_FAILURE);
	}
	if (json_is_true(json_object_get(state, "Paused"))) {
		fprintf(ctx->err, "Error: You cannot attach to a paused "
		    "container, unpause it first\n");
		return (CLI_EXIT_FAILURE);
	}
	memset(&ao, 0, sizeof(ao));
	ao.in = !args_has(args, "no-stdin") &&
	    json_is_true(json_object_get(cfg, "OpenStdin"));
	ao.tty = json_is_true(json_object_get(cfg, "Tty"));
	ao.detach_keys = args_get(args, "detach-keys");
	/* Docker proxies no signal to a container with a terminal. */
	a.proxy = a.proxy && !ao.tty;
	a.id = json_string_value(json_object_get(doc, "Id")) != NULL ?
	    json_string_value(json_object_get(doc, "Id")) : args->argv[0];
	if (attach_session(&a, &ao, &end, &err) < 0)
		return (berth_error_isset(&err) && strncmp(err.name,
		    "io.berth.Client.", 16) != 0 ? cli_fail_daemon(ctx, &err) :
		    cli_fail(ctx, &err));
	if (end.detached || !end.has_code)
		return (CLI_EXIT_OK);
	return (end.exit_code);
}
