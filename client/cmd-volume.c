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
#include "objects.h"

#define VOLUME_E_PREFIX		"io.berth.Volume."

static const struct args_flag cmd_volume_no_flags[] = {
	{ NULL, 0, NULL, NULL }
};

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

static const struct object_kind volume_kind = {
	.noun = "volume",
	.not_found = VOLUME_E_PREFIX "NotFound",
	.fail = cli_fail_reply,
	.document = volume_document,
	.rm_force_param = true,
};

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
	if ((labels = object_kv_flags(args, "label")) != NULL)
		json_object_set_new(p, "labels", labels);
	if ((opts = object_kv_flags(args, "opt")) != NULL)
		json_object_set_new(p, "options", opts);
	if ((rc = object_connect(ctx, &c)) != 0 || (rc = object_call(ctx,
	    &volume_kind, c, "io.berth.Volume.Create", p, &reply)) != 0)
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

static json_t *
volume_rows(const json_t *params, const struct args *args)
{
	json_t *rows = json_array(), *v, *row;
	size_t i;

	(void)args;
	json_array_foreach(json_object_get(params, "volumes"), i, v) {
		cleanup_free char *labels = listing_labels(json_object_get(v,
		    "labels"));

		row = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s}",
		    "Name", json_str(v, "name"), "Driver", json_str(v, "driver"),
		    "Scope", json_str(v, "scope"), "Mountpoint", json_str(v,
		    "mountpoint"), "Labels", labels, "CreatedAt", json_str(v,
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
	static const char *const keys[] = { "dangling", "driver", "label",
	    "label!", "name", NULL };
	static const struct object_list ls = {
		.method = "io.berth.Volume.List",
		.filters = keys,
		.rows_of = volume_rows,
		.quiet = "{{.Name}}",
		.table = "table {{.Driver}}\t{{.Name}}",
		.headers = volume_headers,
	};

	return (object_ls(ctx, &volume_kind, &ls, args));
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
	return (object_inspect(ctx, &volume_kind, "io.berth.Volume.Inspect",
	    "volume", args));
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
	return (object_rm(ctx, &volume_kind, "io.berth.Volume.Remove", args));
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
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *filters = NULL, *p = NULL;
	static const char *const keys[] = { "label", "label!", NULL };
	bool all = args_has(args, "all");
	int rc;

	if ((rc = object_filters(ctx, args, keys, &filters)) != 0)
		return (rc);
	if (!args_has(args, "force") && !cli_confirm(ctx, all ?
	    "WARNING! This will remove all local volumes not used by at "
	    "least one container." : "WARNING! This will remove anonymous "
	    "local volumes not used by at least one container."))
		return (CLI_EXIT_OK);
	p = filters != NULL ? json_pack("{s:O}", "filters", filters) :
	    json_object();
	if (p != NULL && all)
		json_object_set_new(p, "all", json_true());
	if ((rc = object_connect(ctx, &c)) != 0 || (rc = object_call(ctx,
	    &volume_kind, c, "io.berth.Volume.Prune", p, &reply)) != 0)
		return (rc);
	object_print_deleted(ctx, &reply, "Volumes");
	object_print_reclaimed(ctx, &reply);
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
