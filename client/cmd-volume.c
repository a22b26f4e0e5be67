/*
 * The "volume" command group: create, ls, inspect, rm and prune, each
 * io.berth.Volume calls, with Docker's output (the volume document with
 * Docker's field names) and Docker's words for errors.
 */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "container.h"
#include "image.h"
#include "listing.h"

#define VOLUME_E_PREFIX		"io.berth.Volume."

static const struct args_flag cmd_volume_no_flags[] = {
	{ NULL, 0, NULL, NULL }
};

static int
connect_daemon(struct cmd_ctx *ctx, struct berth_client **c)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;

	if (cli_connect(ctx, c, &err) < 0)
		return (cli_fail(ctx, &err));
	return (0);
}

/* One call; the exit status of the failure printed, or 0. */
static int
volume_call(struct cmd_ctx *ctx, struct berth_client *c, const char *method,
    const json_t *p, struct berth_reply *reply)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;

	if (p == NULL) {
		berth_error_sys(&err, "%s", method);
		return (cli_fail(ctx, &err));
	}
	if (container_call(c, method, p, reply, &err) < 0)
		return (cli_fail_reply(ctx, reply, &err));
	return (0);
}

static json_t *
object_or_null(json_t *o)
{
	return (json_object_size(o) > 0 ? json_incref(o) : json_null());
}

/* The wire's Volume as Docker's document. */
static json_t *
volume_document(json_t *v)
{
	return (json_pack("{s:O?, s:O?, s:o, s:O?, s:O?, s:o, s:O?}",
	    "CreatedAt", json_object_get(v, "created_at"),
	    "Driver", json_object_get(v, "driver"),
	    "Labels", object_or_null(json_object_get(v, "labels")),
	    "Mountpoint", json_object_get(v, "mountpoint"),
	    "Name", json_object_get(v, "name"),
	    "Options", object_or_null(json_object_get(v, "options")),
	    "Scope", json_object_get(v, "scope")));
}

/* KEY=VALUE flags as an object (a KEY alone: ""). */
static json_t *
kv_flags(const struct args *args, const char *flag)
{
	json_t *o = json_object();
	const char *const *v, *eq;
	char *key;
	int i, n;

	v = args_all(args, flag, &n);
	for (i = 0; o != NULL && i < n; i++) {
		eq = strchr(v[i], '=');
		key = eq != NULL ? strndup(v[i], (size_t)(eq - v[i])) :
		    strdup(v[i]);
		if (key == NULL) {
			json_decref(o);
			return (NULL);
		}
		json_object_set_new(o, key, json_string(eq != NULL ? eq + 1 :
		    ""));
		free(key);
	}
	return (o);
}

/* volume create */

static int cmd_volume_create_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_volume_create_flags[] = {
	{ "driver", 'd', "DRIVER", "Specify volume driver name (local)" },
	{ "label", 0, "KEY=VALUE", "Set metadata for a volume" },
	{ "name", 0, "NAME", "Specify volume name" },
	{ "opt", 'o', "KEY=VALUE", "Set driver specific options (type, "
	    "device, o: type=tmpfs device=tmpfs o=size=64m, or type=none "
	    "o=bind device=/path)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_volume_create_entry = {
	.name = "volume create",
	.usage = "[VOLUME]",
	.summary = "Create a volume",
	.flags = cmd_volume_create_flags,
	.args_min = 0,
	.args_max = 1,
	.exec = cmd_volume_create_exec,
};

static int
cmd_volume_create_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_free char *name = NULL;
	cleanup_json json_t *p = json_object();
	const char *n = args_get(args, "name");
	const msgpack_object *v;
	json_t *labels, *opts;
	int rc;

	if (args->argc == 1) {
		if (n != NULL && strcmp(n, args->argv[0]) != 0)
			return (cli_usage_error(ctx, ctx->entry, "conflicting "
			    "options: either specify --name or provide "
			    "positional arg, not both"));
		n = args->argv[0];
	}
	if (p == NULL)
		return (CLI_EXIT_ENGINE);
	if (n != NULL)
		json_object_set_new(p, "name", json_string(n));
	if (args_get(args, "driver") != NULL)
		json_object_set_new(p, "driver", json_string(args_get(args,
		    "driver")));
	if ((labels = kv_flags(args, "label")) != NULL)
		json_object_set_new(p, "labels", labels);
	if ((opts = kv_flags(args, "opt")) != NULL)
		json_object_set_new(p, "options", opts);
	if ((rc = connect_daemon(ctx, &c)) != 0 || (rc = volume_call(ctx, c,
	    "io.berth.Volume.Create", p, &reply)) != 0)
		return (rc);
	v = berth_map_get(reply.parameters, "volume");
	if (v == NULL || (name = image_str(v, "name")) == NULL) {
		fprintf(ctx->err, "Error: the daemon's reply has no name\n");
		return (CLI_EXIT_ENGINE);
	}
	fprintf(ctx->out, "%s\n", name);
	fflush(ctx->out);
	return (CLI_EXIT_OK);
}

/* volume ls */

static int cmd_volume_ls_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_volume_ls_flags[] = {
	{ "filter", 'f', "FILTER", "Provide filter values (dangling=true|"
	    "false, driver=, label=, name=)" },
	{ "format", 0, "FORMAT", "Format output using a Go template subset, "
	    "or 'json' (an object a line)" },
	{ "quiet", 'q', NULL, "Only display volume names" },
	{ NULL, 0, NULL, NULL }
};

static const char cmd_volume_ls_help[] =
    "Templates: 'table' prefix, {{.Name}} {{.Driver}} {{.Scope}}\n"
    "{{.Mountpoint}} {{.Labels}} {{.CreatedAt}} {{json .}}.\n";

const struct cmd_entry cmd_volume_ls_entry = {
	.name = "volume ls",
	.usage = "",
	.summary = "List volumes",
	.help = cmd_volume_ls_help,
	.flags = cmd_volume_ls_flags,
	.args_min = 0,
	.args_max = 0,
	.alias = "list",
	.exec = cmd_volume_ls_exec,
};

static const struct fmt_header volume_headers[] = {
	{ "Name", "VOLUME NAME" },
	{ "Driver", "DRIVER" },
	{ "Scope", "SCOPE" },
	{ "Mountpoint", "MOUNTPOINT" },
	{ "Labels", "LABELS" },
	{ "CreatedAt", "CREATED AT" },
	{ NULL, NULL }
};

static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return (s != NULL ? s : "");
}

/* "k=v,k2=v2" */
static char *
labels_text(const json_t *labels)
{
	char *buf = NULL;
	size_t size = 0;
	const char *k;
	json_t *v;
	FILE *f = open_memstream(&buf, &size);
	bool first = true;

	if (f == NULL)
		return (NULL);
	json_object_foreach((json_t *)labels, k, v) {
		fprintf(f, "%s%s=%s", first ? "" : ",", k,
		    json_string_value(v) != NULL ? json_string_value(v) : "");
		first = false;
	}
	fclose(f);
	return (buf);
}

static json_t *
volume_rows(const json_t *volumes)
{
	json_t *rows = json_array(), *v, *row;
	size_t i;

	json_array_foreach(volumes, i, v) {
		cleanup_free char *labels = labels_text(json_object_get(v,
		    "labels"));

		row = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s}",
		    "Name", jstr(v, "name"), "Driver", jstr(v, "driver"),
		    "Scope", jstr(v, "scope"), "Mountpoint", jstr(v,
		    "mountpoint"), "Labels", labels, "CreatedAt", jstr(v,
		    "created_at"));
		if (row == NULL || json_array_append_new(rows, row) < 0) {
			json_decref(rows);
			return (NULL);
		}
	}
	return (rows);
}

static int
cmd_volume_ls_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *params = NULL, *rows = NULL, *filters = NULL;
	cleanup_json json_t *p = NULL;
	static const char *const keys[] = { "dangling", "driver", "label",
	    "label!", "name", NULL };
	const char *format = args_get(args, "format");
	const char *const *fv;
	int rc, n;

	fv = args_all(args, "filter", &n);
	if (n > 0 && filters_parse_allowed(fv, n, keys, &filters, &err) < 0)
		return (filters_fail(ctx, &err));
	if (!args_has(args, "quiet") && listing_check_format(ctx, format) < 0)
		return (CLI_EXIT_ENGINE);
	p = filters != NULL ? json_pack("{s:O}", "filters", filters) :
	    json_object();
	if ((rc = connect_daemon(ctx, &c)) != 0 || (rc = volume_call(ctx, c,
	    "io.berth.Volume.List", p, &reply)) != 0)
		return (rc);
	if ((params = jsonmp_from_msgpack(reply.parameters, &err)) == NULL)
		return (cli_fail(ctx, &err));
	if ((rows = volume_rows(json_object_get(params, "volumes"))) == NULL)
		return (CLI_EXIT_ENGINE);
	return (listing_print(ctx, args_has(args, "quiet") ? "{{.Name}}" :
	    format, "table {{.Driver}}\t{{.Name}}", rows, volume_headers));
}

/* volume inspect */

static int cmd_volume_inspect_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_volume_inspect_flags[] = {
	{ "format", 'f', "FORMAT", "Format output using a Go template subset "
	    "({{.Name}}, {{.Mountpoint}}, {{json .Labels}})" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_volume_inspect_entry = {
	.name = "volume inspect",
	.usage = "VOLUME [VOLUME...]",
	.summary = "Display detailed information on one or more volumes",
	.flags = cmd_volume_inspect_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_volume_inspect_exec,
};

static int
cmd_volume_inspect_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *out = json_array();
	const char *format = args_get(args, "format");
	struct fmt_template *t = NULL;
	int i, failed = 0, rc = CLI_EXIT_OK;

	if (out == NULL)
		return (CLI_EXIT_ENGINE);
	if (format != NULL && *format != '\0' && strcmp(format, "json") != 0 &&
	    fmt_parse(format, &t, &err) < 0)
		return (cli_usage_error(ctx, ctx->entry, "%s",
		    berth_error_message(&err)));
	if ((rc = connect_daemon(ctx, &c)) != 0)
		goto out;
	for (i = 0; i < args->argc; i++) {
		cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
		cleanup_json json_t *p = json_pack("{s:s}", "volume",
		    args->argv[i]);
		cleanup_json json_t *wire = NULL, *doc = NULL;
		cleanup_free char *line = NULL;

		berth_error_clear(&err);
		if (p == NULL) {
			rc = CLI_EXIT_ENGINE;
			goto out;
		}
		if (container_call(c, "io.berth.Volume.Inspect", p, &reply,
		    &err) < 0) {
			if (!reply.error) {
				rc = cli_fail(ctx, &err);
				goto out;
			}
			if (berth_error_is(&err, VOLUME_E_PREFIX "NotFound"))
				fprintf(ctx->err, "Error: No such volume: "
				    "%s\n", args->argv[i]);
			else
				cli_fail_daemon(ctx, &err);
			failed++;
			continue;
		}
		if ((wire = jsonmp_from_msgpack(berth_map_get(
		    reply.parameters, "volume"), &err)) == NULL ||
		    (doc = volume_document(wire)) == NULL) {
			rc = cli_fail(ctx, &err);
			goto out;
		}
		if (t == NULL) {
			json_array_append(out, doc);
			continue;
		}
		if ((line = fmt_render(t, doc, &err)) == NULL) {
			rc = cli_fail(ctx, &err);
			goto out;
		}
		fprintf(ctx->out, "%s\n", line);
	}
	if (t == NULL) {
		if (json_dumpf(out, ctx->out, JSON_INDENT(4)) < 0)
			rc = CLI_EXIT_ENGINE;
		fputc('\n', ctx->out);
	}
	if (rc == CLI_EXIT_OK && failed > 0)
		rc = CLI_EXIT_FAILURE;
out:
	fmt_free(t);
	fflush(ctx->out);
	return (rc);
}

/* volume rm */

static int cmd_volume_rm_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_volume_rm_flags[] = {
	{ "force", 'f', NULL, "Force the removal of one or more volumes (one "
	    "that is not there is no error)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_volume_rm_entry = {
	.name = "volume rm",
	.usage = "VOLUME [VOLUME...]",
	.summary = "Remove one or more volumes",
	.flags = cmd_volume_rm_flags,
	.args_min = 1,
	.args_max = -1,
	.alias = "remove",
	.exec = cmd_volume_rm_exec,
};

static int
cmd_volume_rm_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_client struct berth_client *c = NULL;
	int i, rc, failed = 0;

	if ((rc = connect_daemon(ctx, &c)) != 0)
		return (rc);
	for (i = 0; i < args->argc; i++) {
		cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
		cleanup_json json_t *p = json_pack("{s:s}", "volume",
		    args->argv[i]);

		berth_error_clear(&err);
		if (p != NULL && args_has(args, "force"))
			json_object_set_new(p, "force", json_true());
		if (p == NULL)
			return (CLI_EXIT_ENGINE);
		if (container_call(c, "io.berth.Volume.Remove", p, &reply,
		    &err) < 0) {
			if (!reply.error)
				return (cli_fail(ctx, &err));
			fflush(ctx->out);
			cli_fail_daemon(ctx, &err);
			failed++;
			continue;
		}
		fprintf(ctx->out, "%s\n", args->argv[i]);
		fflush(ctx->out);
	}
	return (failed > 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK);
}

/* volume prune */

static int cmd_volume_prune_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_volume_prune_flags[] = {
	{ "all", 'a', NULL, "Remove all unused volumes, not just anonymous "
	    "ones" },
	{ "filter", 0, "FILTER", "Provide filter values (label=, label!=)" },
	{ "force", 'f', NULL, "Do not prompt for confirmation" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_volume_prune_entry = {
	.name = "volume prune",
	.usage = "",
	.summary = "Remove unused local volumes",
	.flags = cmd_volume_prune_flags,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_volume_prune_exec,
};

static int
cmd_volume_prune_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *filters = NULL, *p = NULL;
	static const char *const keys[] = { "label", "label!", NULL };
	const msgpack_object *d, *s;
	const char *const *fv;
	bool all = args_has(args, "all");
	uint32_t i;
	int rc, n;

	fv = args_all(args, "filter", &n);
	if (n > 0 && filters_parse_allowed(fv, n, keys, &filters, &err) < 0)
		return (filters_fail(ctx, &err));
	if (!args_has(args, "force") && !cli_confirm(ctx, all ?
	    "WARNING! This will remove all local volumes not used by at "
	    "least one container." : "WARNING! This will remove anonymous "
	    "local volumes not used by at least one container."))
		return (CLI_EXIT_OK);
	p = filters != NULL ? json_pack("{s:O}", "filters", filters) :
	    json_object();
	if (p != NULL && all)
		json_object_set_new(p, "all", json_true());
	if ((rc = connect_daemon(ctx, &c)) != 0 || (rc = volume_call(ctx, c,
	    "io.berth.Volume.Prune", p, &reply)) != 0)
		return (rc);
	d = berth_map_get(reply.parameters, "deleted");
	if (d != NULL && d->type == MSGPACK_OBJECT_ARRAY &&
	    d->via.array.size > 0) {
		fprintf(ctx->out, "Deleted Volumes:\n");
		for (i = 0; i < d->via.array.size; i++) {
			s = &d->via.array.ptr[i];
			if (s->type == MSGPACK_OBJECT_STR)
				fprintf(ctx->out, "%.*s\n",
				    (int)s->via.str.size, s->via.str.ptr);
		}
		fprintf(ctx->out, "\n");
	}
	fprintf(ctx->out, "Total reclaimed space: 0B\n");
	fflush(ctx->out);
	return (CLI_EXIT_OK);
}

/* The group. */

static const struct cmd_entry *const cmd_volume_subs[] = {
	&cmd_volume_create_entry,
	&cmd_volume_inspect_entry,
	&cmd_volume_ls_entry,
	&cmd_volume_prune_entry,
	&cmd_volume_rm_entry,
	NULL
};

const struct cmd_entry cmd_volume_entry = {
	.name = "volume",
	.usage = "COMMAND",
	.summary = "Manage volumes",
	.flags = cmd_volume_no_flags,
	.subs = cmd_volume_subs,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_group_exec,
};
