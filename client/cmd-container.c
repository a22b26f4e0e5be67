/*
 * The "container" command group, and the container commands that are a
 * call per container: start, stop, kill, restart, rm, wait, inspect
 * (and the generic inspect), container prune.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "container.h"
#include "image.h"
#include "objects.h"

static const struct args_flag cmd_no_flags[] = {
	{ NULL, 0, NULL, NULL }
};

/* One call for each container named: name printed on success, the
 * daemon's error otherwise; exit 1 when any failed. */
typedef json_t *(*params_fn)(const struct args *, const char *name);

static int
each_container(struct cmd_ctx *ctx, const struct args *args,
    const char *method, params_fn fn, const char *ok_error)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	int i, failed = 0;

	if (cli_connect(ctx, &c, &err) < 0)
		return (cli_fail(ctx, &err));
	for (i = 0; i < args->argc; i++) {
		cleanup_json json_t *p = fn(args, args->argv[i]);

		if (p == NULL)
			return (CLI_EXIT_ENGINE);
		if (container_call(c, method, p, &reply, &err) < 0 &&
		    !(ok_error != NULL && berth_error_is(&err, ok_error))) {
			if (!reply.error)
				return (cli_fail(ctx, &err));
			cli_fail_daemon(ctx, &err);
			failed++;
			continue;
		}
		fprintf(ctx->out, "%s\n", args->argv[i]);
		fflush(ctx->out);
	}
	return (failed > 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK);
}

static json_t *
name_params(const struct args *args, const char *name)
{
	(void)args;
	return (container_params(name, NULL, NULL));
}

/* A --time/-t value; -1 with a usage error printed when not a number. */
static int
timeout_arg(struct cmd_ctx *ctx, const struct args *args, int64_t *out)
{
	const char *s = args_get(args, "time");
	char *end;

	if (args_get(args, "timeout") != NULL)
		s = args_get(args, "timeout");
	*out = -1;
	if (s == NULL)
		return (0);
	*out = strtoll(s, &end, 10);
	if (end == s || *end != '\0') {
		cli_usage_error(ctx, ctx->entry, "invalid argument \"%s\" for "
		    "\"-t, --time\" flag: not an integer", s);
		return (-1);
	}
	return (0);
}

/* start */

static bool
map_true(const msgpack_object *map, const char *key)
{
	const msgpack_object *v = berth_map_get(map, key);

	return (v != NULL && v->type == MSGPACK_OBJECT_BOOLEAN &&
	    v->via.boolean);
}

static int cmd_start_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_start_flags[] = {
	{ "attach", 'a', NULL, "Attach STDOUT/STDERR and forward signals" },
	{ "detach-keys", 0, "STRING", "Override the key sequence for "
	    "detaching a container" },
	{ "interactive", 'i', NULL, "Attach container's STDIN" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_start_entry = {
	.name = "start",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Start one or more stopped containers",
	.flags = cmd_start_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_start_exec,
};

const struct cmd_entry cmd_container_start_entry =
    CMD_SAME_AS("container start", cmd_start_entry, NULL);

static int
cmd_start_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *p = NULL;
	const msgpack_object *doc, *cfg, *id;
	struct attach_opts ao;

	if (!args_has(args, "attach") && !args_has(args, "interactive"))
		return (each_container(ctx, args, "io.berth.Container.Start",
		    name_params, NULL));
	if (args->argc > 1)
		return (cli_usage_error(ctx, ctx->entry, "you cannot start and "
		    "attach multiple containers at once"));
	/* Its config says whether it has a terminal and an open stdin;
	 * the connection, served once, then carries the Wait. */
	if ((p = container_params(args->argv[0], NULL, NULL)) == NULL)
		return (CLI_EXIT_ENGINE);
	if (cli_connect(ctx, &c, &err) < 0 || container_call(c,
	    "io.berth.Container.Inspect", p, &reply, &err) < 0)
		return (cli_fail_reply(ctx, &reply, &err));
	doc = berth_map_get(reply.parameters, "container");
	cfg = berth_map_get(doc, "Config");
	id = berth_map_get(doc, "Id");
	memset(&ao, 0, sizeof(ao));
	ao.tty = map_true(cfg, "Tty");
	ao.in = args_has(args, "interactive") && map_true(cfg, "OpenStdin");
	ao.sig_proxy = !ao.tty;
	ao.detach_keys = args_get(args, "detach-keys");
	if (id == NULL || id->type != MSGPACK_OBJECT_STR)
		return (CLI_EXIT_ENGINE);
	{
		char hex[72];

		snprintf(hex, sizeof(hex), "%.*s", (int)id->via.str.size,
		    id->via.str.ptr);
		return (container_attach_start(ctx, c, hex, false, &ao));
	}
}

/* stop, restart */

static int cmd_stop_exec(struct cmd_ctx *, const struct args *);
static int cmd_restart_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_stop_flags[] = {
	{ "signal", 's', "SIGNAL", "Signal to send to the container" },
	{ "time", 't', "SECONDS", "Seconds to wait before killing the "
	    "container" },
	{ "timeout", 0, "SECONDS", "The same as --time" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Stop one or more running containers",
	.flags = cmd_stop_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_stop_exec,
};

const struct cmd_entry cmd_container_stop_entry =
    CMD_SAME_AS("container stop", cmd_stop_entry, NULL);

const struct cmd_entry cmd_restart_entry = {
	.name = "restart",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Restart one or more containers",
	.flags = cmd_stop_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_restart_exec,
};

const struct cmd_entry cmd_container_restart_entry =
    CMD_SAME_AS("container restart", cmd_restart_entry, NULL);

static json_t *
stop_params(const struct args *args, const char *name)
{
	json_t *p = container_params(name, NULL, NULL);
	const char *s = args_get(args, "time");

	if (args_get(args, "timeout") != NULL)
		s = args_get(args, "timeout");
	if (p != NULL && s != NULL)
		json_object_set_new(p, "timeout", json_integer(strtoll(s, NULL,
		    10)));
	if (p != NULL && args_get(args, "signal") != NULL)
		json_object_set_new(p, "signal", json_string(args_get(args,
		    "signal")));
	return (p);
}

static int
cmd_stop_exec(struct cmd_ctx *ctx, const struct args *args)
{
	int64_t t;

	if (timeout_arg(ctx, args, &t) < 0)
		return (CLI_EXIT_ENGINE);
	/* Stopping a stopped container is fine, as in Docker. */
	return (each_container(ctx, args, "io.berth.Container.Stop",
	    stop_params, "io.berth.Container.InvalidState"));
}

static int
cmd_restart_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	int64_t t;
	int i, failed = 0;

	if (timeout_arg(ctx, args, &t) < 0)
		return (CLI_EXIT_ENGINE);
	if (cli_connect(ctx, &c, &err) < 0)
		return (cli_fail(ctx, &err));
	for (i = 0; i < args->argc; i++) {
		cleanup_json json_t *sp = stop_params(args, args->argv[i]);
		cleanup_json json_t *p = name_params(args, args->argv[i]);

		if (sp == NULL || p == NULL)
			return (CLI_EXIT_ENGINE);
		if ((container_call(c, "io.berth.Container.Stop", sp, &reply,
		    &err) < 0 && !berth_error_is(&err,
		    "io.berth.Container.InvalidState")) ||
		    container_call(c, "io.berth.Container.Start", p, &reply,
		    &err) < 0) {
			if (!reply.error)
				return (cli_fail(ctx, &err));
			cli_fail_daemon(ctx, &err);
			failed++;
			continue;
		}
		fprintf(ctx->out, "%s\n", args->argv[i]);
		fflush(ctx->out);
	}
	return (failed > 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK);
}

/* kill */

static int cmd_kill_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_kill_flags[] = {
	{ "signal", 's', "SIGNAL", "Signal to send to the container (default "
	    "KILL)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_kill_entry = {
	.name = "kill",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Kill one or more running containers",
	.flags = cmd_kill_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_kill_exec,
};

const struct cmd_entry cmd_container_kill_entry =
    CMD_SAME_AS("container kill", cmd_kill_entry, NULL);

static json_t *
kill_params(const struct args *args, const char *name)
{
	const char *s = args_get(args, "signal");

	return (container_params(name, s != NULL ? "signal" : NULL,
	    s != NULL ? json_string(s) : NULL));
}

static int
cmd_kill_exec(struct cmd_ctx *ctx, const struct args *args)
{
	const char *s = args_get(args, "signal");

	if (s != NULL && !signal_valid(s)) {
		/* Docker's daemon refuses it: its words and exit code. */
		struct berth_error err = BERTH_ERROR_INIT;
		int rc;

		berth_error_set(&err, "io.berth.Container.InvalidSignal", 0,
		    "Invalid signal: %s", s);
		rc = cli_fail_daemon(ctx, &err);
		berth_error_clear(&err);
		return (rc);
	}
	return (each_container(ctx, args, "io.berth.Container.Kill",
	    kill_params, NULL));
}

/* pause, unpause */

static int cmd_pause_exec(struct cmd_ctx *, const struct args *);
static int cmd_unpause_exec(struct cmd_ctx *, const struct args *);

const struct cmd_entry cmd_pause_entry = {
	.name = "pause",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Pause all processes within one or more containers",
	.flags = cmd_no_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_pause_exec,
};

const struct cmd_entry cmd_container_pause_entry =
    CMD_SAME_AS("container pause", cmd_pause_entry, NULL);

const struct cmd_entry cmd_unpause_entry = {
	.name = "unpause",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Unpause all processes within one or more containers",
	.flags = cmd_no_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_unpause_exec,
};

const struct cmd_entry cmd_container_unpause_entry =
    CMD_SAME_AS("container unpause", cmd_unpause_entry, NULL);

static int
cmd_pause_exec(struct cmd_ctx *ctx, const struct args *args)
{
	return (each_container(ctx, args, "io.berth.Container.Pause",
	    name_params, NULL));
}

static int
cmd_unpause_exec(struct cmd_ctx *ctx, const struct args *args)
{
	return (each_container(ctx, args, "io.berth.Container.Unpause",
	    name_params, NULL));
}

/* rm */

static int cmd_rm_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_rm_flags[] = {
	{ "force", 'f', NULL, "Force the removal of a running container "
	    "(uses SIGKILL)" },
	{ "volumes", 'v', NULL, "Remove anonymous volumes associated with "
	    "the container" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_rm_entry = {
	.name = "rm",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Remove one or more containers",
	.flags = cmd_rm_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_rm_exec,
};

const struct cmd_entry cmd_container_rm_entry =
    CMD_SAME_AS("container rm", cmd_rm_entry, "remove");

static json_t *
rm_params(const struct args *args, const char *name)
{
	json_t *p = container_params(name, args_has(args, "force") ?
	    "force" : NULL, args_has(args, "force") ? json_true() : NULL);

	if (p != NULL && args_has(args, "volumes") &&
	    json_object_set_new(p, "volumes", json_true()) < 0) {
		json_decref(p);
		return (NULL);
	}
	return (p);
}

static int
cmd_rm_exec(struct cmd_ctx *ctx, const struct args *args)
{
	return (each_container(ctx, args, "io.berth.Container.Remove",
	    rm_params, NULL));
}

/* wait */

static int cmd_wait_exec(struct cmd_ctx *, const struct args *);

const struct cmd_entry cmd_wait_entry = {
	.name = "wait",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Block until one or more containers stop, then print "
	    "their exit codes",
	.flags = cmd_no_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_wait_exec,
};

const struct cmd_entry cmd_container_wait_entry =
    CMD_SAME_AS("container wait", cmd_wait_entry, NULL);

static int
cmd_wait_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	int i, failed = 0;

	if (cli_connect(ctx, &c, &err) < 0)
		return (cli_fail(ctx, &err));
	for (i = 0; i < args->argc; i++) {
		cleanup_json json_t *p = name_params(args, args->argv[i]);

		if (p == NULL)
			return (CLI_EXIT_ENGINE);
		if (container_call(c, "io.berth.Container.Wait", p, &reply,
		    &err) < 0) {
			if (!reply.error)
				return (cli_fail(ctx, &err));
			cli_fail_daemon(ctx, &err);
			failed++;
			continue;
		}
		fprintf(ctx->out, "%" PRId64 "\n", image_int(reply.parameters,
		    "exit_code", -1));
		fflush(ctx->out);
	}
	return (failed > 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK);
}

/* inspect */


static const struct args_flag cmd_container_inspect_flags[] = {
	{ "format", 'f', "FORMAT", "Format output using a Go template subset "
	    "({{.State.Status}}, {{json .Config}})" },
	{ "size", 's', NULL, "Display total file sizes (not measured yet)" },
	{ NULL, 0, NULL, NULL }
};

static const struct args_flag cmd_inspect_flags[] = {
	{ "format", 'f', "FORMAT", "Format output using a Go template subset "
	    "({{.State.Status}}, {{json .Config}})" },
	{ "size", 's', NULL, "Display total file sizes (not measured yet)" },
	{ "type", 0, "TYPE", "Return JSON for specified type (container, "
	    "image)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_inspect_entry = {
	.name = "inspect",
	.usage = "NAME|ID [NAME|ID...]",
	.summary = "Return low-level information on berth objects",
	.flags = cmd_inspect_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_inspect_exec,
};

const struct cmd_entry cmd_container_inspect_entry = {
	.name = "container inspect",
	.usage = "CONTAINER [CONTAINER...]",
	.summary = "Display detailed information on one or more containers",
	.flags = cmd_container_inspect_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_inspect_exec,
};

/* The document of name: a container's (when containers), else an
 * image's (when images); NULL after printing why (*fatal for a local
 * failure). */
static json_t *
inspect_one(struct cmd_ctx *ctx, struct berth_client *c, const char *name,
    bool containers, bool images, bool *fatal)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_json json_t *p = NULL;
	json_t *doc;

	*fatal = false;
	if (containers) {
		if ((p = container_params(name, NULL, NULL)) == NULL)
			goto fatal;
		if (container_call(c, "io.berth.Container.Inspect", p, &reply,
		    &err) == 0) {
			doc = jsonmp_from_msgpack(berth_map_get(
			    reply.parameters, "container"), &err);
			if (doc == NULL)
				goto fatal;
			return (doc);
		}
		if (!reply.error)
			goto fatal;
		if (!berth_error_is(&err, CONTAINER_E_NOT_FOUND)) {
			cli_fail_daemon(ctx, &err);
			return (NULL);
		}
	}
	if (images) {
		json_decref(p);
		if ((p = json_pack("{s:s}", "image", name)) == NULL)
			goto fatal;
		if (container_call(c, "io.berth.Image.Inspect", p, &reply,
		    &err) == 0) {
			doc = jsonmp_from_msgpack(berth_map_get(
			    reply.parameters, "image"), &err);
			if (doc == NULL)
				goto fatal;
			return (doc);
		}
		if (!reply.error)
			goto fatal;
		if (!berth_error_is(&err, "io.berth.Image.NotFound")) {
			cli_fail_daemon(ctx, &err);
			return (NULL);
		}
	}
	fprintf(ctx->err, "Error: No such %s: %s\n", containers && images ?
	    "object" : containers ? "container" : "image", name);
	return (NULL);
fatal:
	*fatal = true;
	cli_fail(ctx, &err);
	return (NULL);
}

int
cmd_inspect_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *out = json_array();
	const char *format = args_get(args, "format");
	const char *type = args_get(args, "type");
	struct fmt_template *t = NULL;
	bool containers = true, images = true, fatal;
	int i, failed = 0;
	char *line;
	json_t *j;

	if (type != NULL && strcmp(type, "container") == 0)
		images = false;
	else if (type != NULL && strcmp(type, "image") == 0)
		containers = false;
	else if (type != NULL && *type != '\0')
		return (cli_usage_error(ctx, ctx->entry, "\"%s\" is not a "
		    "valid value for --type", type));
	/* "container inspect" and "image inspect" ask one kind only. */
	if (strncmp(ctx->entry->name, "container ", 10) == 0)
		images = false;
	else if (strncmp(ctx->entry->name, "image ", 6) == 0)
		containers = false;
	if (format != NULL && *format != '\0' && strcmp(format, "json") != 0 &&
	    fmt_parse(format, &t, &err) < 0)
		return (cli_usage_error(ctx, ctx->entry, "%s",
		    berth_error_message(&err)));
	if (cli_connect(ctx, &c, &err) < 0) {
		fmt_free(t);
		return (cli_fail(ctx, &err));
	}
	for (i = 0; i < args->argc; i++) {
		if ((j = inspect_one(ctx, c, args->argv[i], containers,
		    images, &fatal)) == NULL) {
			if (fatal) {
				fmt_free(t);
				return (CLI_EXIT_ENGINE);
			}
			failed++;
			continue;
		}
		if (t != NULL) {
			line = fmt_render(t, j, &err);
			json_decref(j);
			if (line == NULL) {
				fmt_free(t);
				return (cli_fail(ctx, &err));
			}
			fprintf(ctx->out, "%s\n", line);
			free(line);
		} else
			json_array_append_new(out, j);
	}
	if (t == NULL) {
		if (json_dumpf(out, ctx->out, JSON_INDENT(4)) < 0)
			return (CLI_EXIT_ENGINE);
		fputc('\n', ctx->out);
	}
	fmt_free(t);
	fflush(ctx->out);
	return (failed > 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK);
}

/* container prune */

static int cmd_container_prune_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_container_prune_flags[] = {
	{ "force", 'f', NULL, "Do not prompt for confirmation" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_container_prune_entry = {
	.name = "container prune",
	.usage = "",
	.summary = "Remove all stopped containers",
	.flags = cmd_container_prune_flags,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_container_prune_exec,
};

static int
cmd_container_prune_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *p = json_object();

	if (!args_has(args, "force") && !cli_confirm(ctx,
	    "WARNING! This will remove all stopped containers."))
		return (CLI_EXIT_OK);
	if (p == NULL)
		return (CLI_EXIT_ENGINE);
	if (cli_connect(ctx, &c, &err) < 0)
		return (cli_fail(ctx, &err));
	if (container_call(c, "io.berth.Container.Prune", p, &reply,
	    &err) < 0)
		return (cli_fail_reply(ctx, &reply, &err));
	object_print_deleted(ctx, &reply, "Containers");
	object_print_reclaimed(ctx, &reply);
	return (CLI_EXIT_OK);
}

/* The group. */

extern const struct cmd_entry cmd_container_attach_entry;
extern const struct cmd_entry cmd_container_create_entry;
extern const struct cmd_entry cmd_container_exec_entry;
extern const struct cmd_entry cmd_container_diff_entry;
extern const struct cmd_entry cmd_container_export_entry;
extern const struct cmd_entry cmd_container_rename_entry;
extern const struct cmd_entry cmd_container_stats_entry;
extern const struct cmd_entry cmd_container_top_entry;
extern const struct cmd_entry cmd_container_logs_entry;
extern const struct cmd_entry cmd_container_ls_entry;
extern const struct cmd_entry cmd_container_port_entry;
extern const struct cmd_entry cmd_container_run_entry;

static const struct cmd_entry *const cmd_container_subs[] = {
	&cmd_container_attach_entry,
	&cmd_container_create_entry,
	&cmd_container_diff_entry,
	&cmd_container_exec_entry,
	&cmd_container_export_entry,
	&cmd_container_inspect_entry,
	&cmd_container_kill_entry,
	&cmd_container_logs_entry,
	&cmd_container_ls_entry,
	&cmd_container_pause_entry,
	&cmd_container_port_entry,
	&cmd_container_prune_entry,
	&cmd_container_rename_entry,
	&cmd_container_restart_entry,
	&cmd_container_rm_entry,
	&cmd_container_run_entry,
	&cmd_container_start_entry,
	&cmd_container_stats_entry,
	&cmd_container_stop_entry,
	&cmd_container_top_entry,
	&cmd_container_unpause_entry,
	&cmd_container_wait_entry,
	NULL
};

const struct cmd_entry cmd_container_entry = {
	.name = "container",
	.usage = "COMMAND",
	.summary = "Manage containers",
	.flags = cmd_no_flags,
	.subs = cmd_container_subs,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_group_exec,
};
