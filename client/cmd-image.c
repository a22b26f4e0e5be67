/*
 * The "image" command group, and the image commands that are one call
 * each: inspect, tag, rm (rmi), history, prune.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "image.h"
#include "listing.h"
#include "objects.h"

/* Parameters packed from up to four string/bool pairs. */
struct image_params {
	const char	*keys[4];
	const char	*strs[4];
	int		 bools[4];	/* -1: a string, 0/1: a bool */
	int		 n;
};

static int
pack_image_params(msgpack_packer *pk, void *arg, struct berth_error *err)
{
	const struct image_params *p = arg;
	int i;

	(void)err;
	msgpack_pack_map(pk, (size_t)p->n);
	for (i = 0; i < p->n; i++) {
		msgpack_pack_str_with_body(pk, p->keys[i], strlen(p->keys[i]));
		if (p->bools[i] < 0)
			msgpack_pack_str_with_body(pk, p->strs[i],
			    strlen(p->strs[i]));
		else if (p->bools[i])
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
	}
	return (0);
}

static void
param_str(struct image_params *p, const char *key, const char *value)
{
	p->keys[p->n] = key;
	p->strs[p->n] = value;
	p->bools[p->n++] = -1;
}

static void
param_bool(struct image_params *p, const char *key, bool value)
{
	p->keys[p->n] = key;
	p->strs[p->n] = NULL;
	p->bools[p->n++] = value;
}

/* One call; -1 with reply->error set for the daemon's error. */
static int
image_call(struct berth_client *c, const char *method,
    struct image_params *p, struct berth_reply *reply,
    struct berth_error *err)
{
	if (berth_send_packed(c, method, 0, pack_image_params, p, err) < 0)
		return (-1);
	return (berth_recv(c, reply, err));
}

/* A failed call's exit: the daemon's error as Docker words it, else a
 * local failure. */
/* image inspect */


static const struct args_flag cmd_image_inspect_flags[] = {
	{ "format", 'f', "FORMAT", "Format output using a Go template subset "
	    "({{.Id}}, {{json .Config}}, {{.Config.Cmd}})" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_image_inspect_entry = {
	.name = "image inspect",
	.usage = "IMAGE [IMAGE...]",
	.summary = "Display detailed information on one or more images",
	.flags = cmd_image_inspect_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_inspect_exec,
};

/* tag */

static int cmd_tag_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_no_flags[] = {
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_tag_entry = {
	.name = "tag",
	.usage = "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
	.summary = "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
	.flags = cmd_no_flags,
	.args_min = 2,
	.args_max = 2,
	.exec = cmd_tag_exec,
};

const struct cmd_entry cmd_image_tag_entry =
    CMD_SAME_AS("image tag", cmd_tag_entry, NULL);

static int
cmd_tag_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	struct image_params p = { .n = 0 };

	param_str(&p, "source", args->argv[0]);
	param_str(&p, "target", args->argv[1]);
	if (cli_connect(ctx, &c, &err) < 0)
		return (cli_fail(ctx, &err));
	if (image_call(c, "io.berth.Image.Tag", &p, &reply, &err) < 0)
		return (cli_fail_reply(ctx, &reply, &err));
	return (CLI_EXIT_OK);
}

/* rmi, image rm */

static int cmd_rmi_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_rmi_flags[] = {
	{ "force", 'f', NULL, "Force removal of the image" },
	{ "no-prune", 0, NULL, "Do not delete untagged parents (berth makes "
	    "none)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_rmi_entry = {
	.name = "rmi",
	.usage = "IMAGE [IMAGE...]",
	.summary = "Remove one or more images",
	.flags = cmd_rmi_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_rmi_exec,
};

const struct cmd_entry cmd_image_rm_entry =
    CMD_SAME_AS("image rm", cmd_rmi_entry, "remove");

/* Print each string of the array at key with a prefix. */
static void
print_list(FILE *f, const msgpack_object *map, const char *key,
    const char *prefix)
{
	const msgpack_object *a = berth_map_get(map, key);
	uint32_t i;

	if (a == NULL || a->type != MSGPACK_OBJECT_ARRAY)
		return;
	for (i = 0; i < a->via.array.size; i++)
		if (a->via.array.ptr[i].type == MSGPACK_OBJECT_STR)
			fprintf(f, "%s%.*s\n", prefix,
			    (int)a->via.array.ptr[i].via.str.size,
			    a->via.array.ptr[i].via.str.ptr);
}

static int
cmd_rmi_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	struct image_params p;
	int i, failed = 0;

	if (cli_connect(ctx, &c, &err) < 0)
		return (cli_fail(ctx, &err));
	for (i = 0; i < args->argc; i++) {
		memset(&p, 0, sizeof(p));
		param_str(&p, "image", args->argv[i]);
		if (args_has(args, "force"))
			param_bool(&p, "force", true);
		if (image_call(c, "io.berth.Image.Remove", &p, &reply,
		    &err) < 0) {
			if (!reply.error)
				return (cli_fail(ctx, &err));
			fflush(ctx->out);
			fprintf(ctx->err, "Error response from daemon: %s\n",
			    berth_error_message(&err));
			failed++;
			continue;
		}
		print_list(ctx->out, reply.parameters, "untagged",
		    "Untagged: ");
		print_list(ctx->out, reply.parameters, "deleted", "Deleted: ");
		fflush(ctx->out);
	}
	return (failed > 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK);
}

/* history */

static int cmd_history_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_history_flags[] = {
	{ "format", 0, "FORMAT", "Format output using a Go template subset, "
	    "or 'json' (one object per row)" },
	{ "human", 'H', NULL, "Print sizes and dates in human readable "
	    "format (the default)" },
	{ "no-trunc", 0, NULL, "Don't truncate output" },
	{ "quiet", 'q', NULL, "Only show image IDs" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_history_entry = {
	.name = "history",
	.usage = "IMAGE",
	.summary = "Show the history of an image",
	.flags = cmd_history_flags,
	.args_min = 1,
	.args_max = 1,
	.exec = cmd_history_exec,
};

const struct cmd_entry cmd_image_history_entry =
    CMD_SAME_AS("image history", cmd_history_entry, NULL);

static const struct fmt_header history_headers[] = {
	{ "ID", "IMAGE" },
	{ "CreatedSince", "CREATED" },
	{ "CreatedAt", "CREATED AT" },
	{ "CreatedBy", "CREATED BY" },
	{ "Size", "SIZE" },
	{ "Comment", "COMMENT" },
	{ NULL, NULL }
};

json_t *history_rows(const json_t *history, bool no_trunc, int64_t now);

json_t *
history_rows(const json_t *history, bool no_trunc, int64_t now)
{
	json_t *rows = json_array(), *row, *e;
	size_t i;

	json_array_foreach(history, i, e) {
		cleanup_free char *since = NULL, *at = NULL, *size = NULL;
		cleanup_free char *by = NULL, *id = NULL;
		const char *s = json_string_value(json_object_get(e, "id"));
		const json_t *v;
		int64_t created = 0, bytes = 0;
		char *p;

		if (json_is_integer(v = json_object_get(e, "created")))
			created = json_integer_value(v);
		if (json_is_integer(v = json_object_get(e, "size")))
			bytes = json_integer_value(v);
		if (s == NULL || *s == '\0' || strcmp(s, "<missing>") == 0)
			id = strdup("<missing>");
		else
			id = no_trunc ? strdup(s) : fmt_short_id(s);
		s = json_string_value(json_object_get(e, "created_by"));
		by = strdup(s != NULL ? s : "");
		for (p = by; p != NULL && *p != '\0'; p++)
			if (*p == '\t')
				*p = ' ';
		if (!no_trunc && by != NULL) {
			p = image_ellipsis(by, 45);
			free(by);
			by = p;
		}
		since = fmt_created_since(created, now);
		at = fmt_created_at(created);
		size = fmt_human_size((double)bytes, 3);
		s = json_string_value(json_object_get(e, "comment"));
		row = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s}",
		    "ID", id, "CreatedSince", since, "CreatedAt", at,
		    "CreatedBy", by, "Size", size, "Comment", s != NULL ? s :
		    "");
		if (row == NULL || json_array_append_new(rows, row) < 0) {
			json_decref(rows);
			return (NULL);
		}
	}
	return (rows);
}

static int
cmd_history_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *params = NULL, *rows = NULL;
	const char *format = args_get(args, "format");
	struct image_params p = { .n = 0 };

	param_str(&p, "image", args->argv[0]);
	if (cli_connect(ctx, &c, &err) < 0)
		return (cli_fail(ctx, &err));
	if (image_call(c, "io.berth.Image.History", &p, &reply, &err) < 0)
		return (cli_fail_reply(ctx, &reply, &err));
	if ((params = jsonmp_from_msgpack(reply.parameters, &err)) == NULL)
		return (cli_fail(ctx, &err));
	if ((rows = history_rows(json_object_get(params, "history"),
	    args_has(args, "no-trunc"), (int64_t)time(NULL))) == NULL)
		return (CLI_EXIT_ENGINE);
	if (args_has(args, "quiet"))
		format = "{{.ID}}";
	return (listing_print(ctx, format, "table {{.ID}}\t{{.CreatedSince}}"
	    "\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", rows,
	    history_headers));
}

/* image prune */

static int cmd_image_prune_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_image_prune_flags[] = {
	{ "all", 'a', NULL, "Remove all unused images, not just dangling "
	    "ones" },
	{ "force", 'f', NULL, "Do not prompt for confirmation" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_image_prune_entry = {
	.name = "image prune",
	.usage = "",
	.summary = "Remove unused images",
	.flags = cmd_image_prune_flags,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_image_prune_exec,
};

static int
cmd_image_prune_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	const msgpack_object *u, *d;
	struct image_params p = { .n = 0 };
	bool all = args_has(args, "all");

	if (!args_has(args, "force") && !cli_confirm(ctx, all ?
	    "WARNING! This will remove all images without at least one "
	    "container associated to them." :
	    "WARNING! This will remove all dangling images."))
		return (CLI_EXIT_OK);
	param_bool(&p, "all", all);
	if (cli_connect(ctx, &c, &err) < 0)
		return (cli_fail(ctx, &err));
	if (image_call(c, "io.berth.Image.Prune", &p, &reply, &err) < 0)
		return (cli_fail_reply(ctx, &reply, &err));
	u = berth_map_get(reply.parameters, "untagged");
	d = berth_map_get(reply.parameters, "deleted");
	if ((u != NULL && u->type == MSGPACK_OBJECT_ARRAY &&
	    u->via.array.size > 0) || (d != NULL &&
	    d->type == MSGPACK_OBJECT_ARRAY && d->via.array.size > 0)) {
		fprintf(ctx->out, "Deleted Images:\n");
		print_list(ctx->out, reply.parameters, "untagged",
		    "untagged: ");
		print_list(ctx->out, reply.parameters, "deleted", "deleted: ");
		fprintf(ctx->out, "\n");
	}
	object_print_reclaimed(ctx, &reply);
	return (CLI_EXIT_OK);
}

/* The group. */

extern const struct cmd_entry cmd_image_ls_entry;
extern const struct cmd_entry cmd_image_load_entry;
extern const struct cmd_entry cmd_image_save_entry;
extern const struct cmd_entry cmd_image_import_entry;

static const struct cmd_entry *const cmd_image_subs[] = {
	&cmd_image_history_entry,
	&cmd_image_import_entry,
	&cmd_image_inspect_entry,
	&cmd_image_load_entry,
	&cmd_image_ls_entry,
	&cmd_image_prune_entry,
	&cmd_image_rm_entry,
	&cmd_image_save_entry,
	&cmd_image_tag_entry,
	NULL
};

const struct cmd_entry cmd_image_entry = {
	.name = "image",
	.usage = "COMMAND",
	.summary = "Manage images",
	.flags = cmd_no_flags,
	.subs = cmd_image_subs,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_group_exec,
};
