/*
 * A container's output: "berth logs", and attaching to a container that
 * is being started ("run" in the foreground, "start -a"): Wait for its
 * next exit on one connection, Start on another, follow its Logs on a
 * third, proxy SIGINT and SIGTERM to it with Kill, exit with its code.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"

int
container_wait_readable(int fd, int sigfd, void (*on_signal)(int, void *),
    void *arg, struct berth_error *err)
{
	struct signalfd_siginfo si;
	struct pollfd p[2];
	int n;

	for (;;) {
		p[0].fd = fd;
		p[0].events = POLLIN;
		p[1].fd = sigfd;
		p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		n = poll(p, sigfd >= 0 ? 2 : 1, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (berth_error_sys(err, "poll"));
		}
		if (sigfd >= 0 && (p[1].revents & POLLIN) &&
		    read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si) &&
		    on_signal != NULL)
			on_signal((int)si.ssi_signo, arg);
		if (p[0].revents != 0)
			return (0);
	}
}

static void
write_record(const msgpack_object *params, FILE *out, FILE *errf,
    bool timestamps)
{
	const msgpack_object *stream = berth_map_get(params, "stream");
	const msgpack_object *data = berth_map_get(params, "data");
	const msgpack_object *t = berth_map_get(params, "time");
	const char *p = NULL;
	size_t len = 0;
	FILE *f = out;
	char ts[64];

	if (data == NULL)
		return;
	if (data->type == MSGPACK_OBJECT_BIN) {
		p = data->via.bin.ptr;
		len = data->via.bin.size;
	} else if (data->type == MSGPACK_OBJECT_STR) {
		p = data->via.str.ptr;
		len = data->via.str.size;
	} else
		return;
	if (stream != NULL && stream->type == MSGPACK_OBJECT_STR &&
	    stream->via.str.size == 6 &&
	    memcmp(stream->via.str.ptr, "stderr", 6) == 0)
		f = errf;
	if (timestamps && t != NULL && (t->type ==
	    MSGPACK_OBJECT_POSITIVE_INTEGER || t->type ==
	    MSGPACK_OBJECT_NEGATIVE_INTEGER)) {
		fmt_log_time(t->type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
		    (int64_t)t->via.u64 : t->via.i64, ts, sizeof(ts));
		fprintf(f, "%s ", ts);
	}
	fwrite(p, 1, len, f);
	fflush(f);
}

int
container_follow(struct berth_client *c, FILE *out, FILE *errf,
    bool timestamps, int sigfd, void (*on_signal)(int, void *), void *arg,
    struct berth_error *err)
{
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;

	for (;;) {
		if (container_wait_readable(berth_client_fd(c), sigfd,
		    on_signal, arg, err) < 0)
			return (-1);
		if (berth_recv(c, &reply, err) < 0)
			return (-1);
		write_record(reply.parameters, out, errf, timestamps);
		if (!reply.continues)
			return (0);
	}
}

/* logs */

static int cmd_logs_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_logs_flags[] = {
	{ "follow", 'f', NULL, "Follow log output" },
	{ "since", 0, "TIME", "Show logs since timestamp (e.g. "
	    "\"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 "
	    "minutes)" },
	{ "tail", 'n', "N", "Number of lines to show from the end of the logs "
	    "(default \"all\")" },
	{ "timestamps", 't', NULL, "Show timestamps" },
	{ "until", 0, "TIME", "Show logs before a timestamp (e.g. "
	    "\"2013-01-02T13:23:37Z\") or relative (e.g. \"42m\" for 42 "
	    "minutes)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.usage = "CONTAINER",
	.summary = "Fetch the logs of a container",
	.flags = cmd_logs_flags,
	.args_min = 1,
	.args_max = 1,
	.exec = cmd_logs_exec,
};

const struct cmd_entry cmd_container_logs_entry =
    CMD_SAME_AS("container logs", cmd_logs_entry, NULL);

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

static int
cmd_logs_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *p = NULL;
	const char *tail = args_get(args, "tail");
	const char *since = args_get(args, "since");
	const char *until = args_get(args, "until");
	int64_t now = now_ns();
	char *end;
	long long n;

	if ((p = container_params(args->argv[0], NULL, NULL)) == NULL)
		return (CLI_EXIT_ENGINE);
	json_object_set_new(p, "stdout", json_true());
	json_object_set_new(p, "stderr", json_true());
	if (args_has(args, "follow"))
		json_object_set_new(p, "follow", json_true());
	if (tail != NULL && strcmp(tail, "all") != 0) {
		errno = 0;
		n = strtoll(tail, &end, 10);
		if (end == tail || *end != '\0' || errno != 0)
			return (cli_usage_error(ctx, ctx->entry, "invalid "
			    "value for --tail: '%s' (a number or \"all\")",
			    tail));
		json_object_set_new(p, "tail", json_integer(n < 0 ? -1 : n));
	}
	if (time_param(ctx, p, "since", since, now) < 0 ||
	    time_param(ctx, p, "until", until, now) < 0)
		return (CLI_EXIT_ENGINE);
	if (cli_connect(ctx, &c, &err) < 0 || container_send(c,
	    "io.berth.Container.Logs", p, BERTH_CALL_MORE, &err) < 0)
		return (cli_fail(ctx, &err));
	if (container_follow(c, ctx->out, ctx->err, args_has(args,
	    "timestamps"), -1, NULL, NULL, &err) < 0)
		return (berth_error_isset(&err) && strncmp(err.name,
		    "io.berth.Client.", 16) != 0 ? cli_fail_daemon(ctx, &err) :
		    cli_fail(ctx, &err));
	return (CLI_EXIT_OK);
}

static int
start_failed(struct cmd_ctx *ctx, const struct berth_reply *reply,
    const struct berth_error *err)
{
	const msgpack_object *code;

	if (!reply->error)
		return (cli_fail(ctx, err));
	cli_fail_daemon(ctx, err);
	if (berth_error_is(err, CONTAINER_E_START)) {
		code = berth_map_get(reply->parameters, "exit_code");
		if (code != NULL && code->type ==
		    MSGPACK_OBJECT_POSITIVE_INTEGER && code->via.u64 > 0 &&
		    code->via.u64 < 256)
			return ((int)code->via.u64);
		return (126);
	}
	return (CLI_EXIT_ENGINE);
}

int
container_exec_failed(struct cmd_ctx *ctx, const struct berth_reply *reply,
    const struct berth_error *err)
{
	return (start_failed(ctx, reply, err));
}

int
container_start_failed(struct cmd_ctx *ctx, const char *id, bool auto_remove,
    const struct berth_reply *reply, const struct berth_error *err)
{
	cleanup_error struct berth_error e2 = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply r2 = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *rp = NULL;
	int rc = start_failed(ctx, reply, err);

	/* --rm: a container that did not start goes too (berthd removes
	 * one whose process failed; not one refused before that). */
	if (auto_remove && reply->error && (rp = json_pack("{s:s, s:b}",
	    "container", id, "force", 1)) != NULL &&
	    cli_connect(ctx, &c, &e2) == 0)
		(void)container_call(c, "io.berth.Container.Remove", rp, &r2,
		    &e2);
	return (rc);
}
