/*
 * The "system" command group: berth system df, the disk usage of images
 * (io.berth.Image.DiskUsage); containers, volumes and the build cache
 * come later and show as empty.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "image.h"
#include "listing.h"

static int cmd_system_df_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_system_df_flags[] = {
	{ "format", 0, "FORMAT", "Format output using a Go template subset, "
	    "or 'json' (one object per row)" },
	{ "verbose", 'v', NULL, "Show detailed information on space usage" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_system_df_entry = {
	.name = "system df",
	.usage = "",
	.summary = "Show berth disk usage",
	.flags = cmd_system_df_flags,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_system_df_exec,
};

static const struct fmt_header df_headers[] = {
	{ "Type", "TYPE" },
	{ "TotalCount", "TOTAL" },
	{ "Active", "ACTIVE" },
	{ "Size", "SIZE" },
	{ "Reclaimable", "RECLAIMABLE" },
	{ NULL, NULL }
};

static const struct fmt_header df_image_headers[] = {
	{ "ID", "IMAGE ID" },
	{ "Repository", "REPOSITORY" },
	{ "Tag", "TAG" },
	{ "CreatedSince", "CREATED" },
	{ "Size", "SIZE" },
	{ "SharedSize", "SHARED SIZE" },
	{ "UniqueSize", "UNIQUE SIZE" },
	{ "Containers", "CONTAINERS" },
	{ NULL, NULL }
};

static int64_t
jint(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return (json_is_integer(v) ? (int64_t)json_integer_value(v) : 0);
}

static json_t *
df_row(const char *type, int64_t total, int64_t active, int64_t size,
    int64_t reclaimable)
{
	cleanup_free char *s = fmt_human_size((double)size, 4);
	cleanup_free char *r = fmt_human_size((double)reclaimable, 4);
	cleanup_free char *rec = NULL;
	char t[32], a[32];

	snprintf(t, sizeof(t), "%" PRId64, total);
	snprintf(a, sizeof(a), "%" PRId64, active);
	if (s == NULL || r == NULL)
		return (NULL);
	if (size > 0) {
		if (asprintf(&rec, "%s (%" PRId64 "%%)", r,
		    reclaimable * 100 / size) < 0)
			return (NULL);
	} else if ((rec = strdup(r)) == NULL)
		return (NULL);
	return (json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", type,
	    "TotalCount", t, "Active", a, "Size", s, "Reclaimable", rec));
}

/* The summary rows, Docker's "system df". */
json_t *df_rows(const json_t *usage);

json_t *
df_rows(const json_t *usage)
{
	const json_t *images = json_object_get(usage, "images"), *img;
	int64_t total = jint(usage, "layers_size"), used = 0, active = 0;
	json_t *rows = json_array();
	size_t i;

	json_array_foreach(images, i, img)
		if (jint(img, "containers") > 0) {
			active++;
			used += jint(img, "size") - jint(img, "shared_size");
		}
	if (used > total)
		used = total;
	if (rows == NULL ||
	    json_array_append_new(rows, df_row("Images",
	    (int64_t)json_array_size(images), active, total,
	    total - used)) < 0 ||
	    json_array_append_new(rows, df_row("Containers", 0, 0, 0, 0)) < 0 ||
	    json_array_append_new(rows, df_row("Local Volumes", 0, 0, 0,
	    0)) < 0 ||
	    json_array_append_new(rows, df_row("Build Cache", 0, 0, 0, 0)) < 0) {
		json_decref(rows);
		return (NULL);
	}
	return (rows);
}

/* The images of -v: a Summary-like object per image for image_rows. */
static int
df_verbose(struct cmd_ctx *ctx, const json_t *usage, struct berth_error *err)
{
	cleanup_json json_t *rows = NULL;

	fprintf(ctx->out, "Images space usage:\n\n");
	if ((rows = image_rows(json_object_get(usage, "images"), NULL, false,
	    (int64_t)time(NULL), err)) == NULL)
		return (-1);
	if (fmt_print_rows(ctx->out, "table {{.Repository}}\t{{.Tag}}\t"
	    "{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t"
	    "{{.UniqueSize}}\t{{.Containers}}", rows, df_image_headers,
	    err) < 0)
		return (-1);
	fprintf(ctx->out, "\nContainers space usage:\n\n"
	    "CONTAINER ID   IMAGE     COMMAND   LOCAL VOLUMES   SIZE      "
	    "CREATED   STATUS    NAMES\n"
	    "\nLocal Volumes space usage:\n\n"
	    "VOLUME NAME   LINKS     SIZE\n"
	    "\nBuild cache usage: 0B\n\n"
	    "CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     "
	    "SHARED\n");
	fflush(ctx->out);
	return (0);
}

static int
cmd_system_df_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *params = NULL, *rows = NULL;
	const char *format = args_get(args, "format");

	if (cli_connect(ctx, &c, &err) < 0)
		return (cli_fail(ctx, &err));
	if (berth_call(c, "io.berth.Image.DiskUsage", NULL, 0, &reply,
	    &err) < 0)
		return (reply.error ? cli_fail_daemon(ctx, &err) :
		    cli_fail(ctx, &err));
	if ((params = jsonmp_from_msgpack(reply.parameters, &err)) == NULL)
		return (cli_fail(ctx, &err));
	if (args_has(args, "verbose") && (format == NULL || *format == '\0')) {
		if (df_verbose(ctx, params, &err) < 0)
			return (cli_fail(ctx, &err));
		return (CLI_EXIT_OK);
	}
	if ((rows = df_rows(params)) == NULL)
		return (CLI_EXIT_ENGINE);
	return (listing_print(ctx, format, "table {{.Type}}\t{{.TotalCount}}\t"
	    "{{.Active}}\t{{.Size}}\t{{.Reclaimable}}", rows, df_headers));
}

static const struct args_flag cmd_system_flags[] = {
	{ NULL, 0, NULL, NULL }
};

extern const struct cmd_entry cmd_system_events_entry;

static const struct cmd_entry *const cmd_system_subs[] = {
	&cmd_system_df_entry,
	&cmd_system_events_entry,
	NULL
};

const struct cmd_entry cmd_system_entry = {
	.name = "system",
	.usage = "COMMAND",
	.summary = "Manage berth",
	.flags = cmd_system_flags,
	.subs = cmd_system_subs,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_group_exec,
};
