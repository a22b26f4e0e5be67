/*
 * berth info: the daemon's identity (io.berth.Service.GetInfo) and state
 * (io.berth.Service.GetStatus), asked for in one round trip.
 */
#include "cleanup.h"
#include "cli.h"

static int cmd_info_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_info_flags[] = {
	{ "format", 'f', "FORMAT", "Print as 'json': one object with the "
	    "fields of GetInfo and GetStatus" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_info_entry = {
	.name = "info",
	.usage = "",
	.summary = "Display system-wide information",
	.flags = cmd_info_flags,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_info_exec,
};

static const char *const cmd_info_methods[] = {
	"io.berth.Service.GetInfo",
	"io.berth.Service.GetStatus",
};
#define CMD_INFO_NMETHODS \
	(sizeof(cmd_info_methods) / sizeof(cmd_info_methods[0]))

static const struct display_field cmd_info_fields[] = {
	{ "Product", "product", DISPLAY_TEXT },
	{ "Server Version", "version", DISPLAY_TEXT },
	{ "Vendor", "vendor", DISPLAY_TEXT },
	{ "URL", "url", DISPLAY_TEXT },
	{ "API Interfaces", "interfaces", DISPLAY_TEXT },
	{ "Daemon PID", "pid", DISPLAY_TEXT },
	{ "Socket", "socket", DISPLAY_TEXT },
	{ "Berth Root Dir", "root", DISPLAY_TEXT },
	{ "Berth Run Dir", "run_root", DISPLAY_TEXT },
	{ "Connections", "connections", DISPLAY_TEXT },
	{ "Uptime", "uptime_seconds", DISPLAY_DURATION },
	{ "Max Frame Size", "max_frame", DISPLAY_BYTES },
	{ NULL, NULL, DISPLAY_TEXT }
};

/* Both replies' fields in one JSON object. */
static int
cmd_info_print_json(struct cmd_ctx *ctx, struct berth_reply *replies,
    struct berth_error *err)
{
	cleanup_json json_t *out = json_object();
	cleanup_json json_t *part = NULL;
	size_t i;

	for (i = 0; i < CMD_INFO_NMETHODS; i++) {
		if (part != NULL)
			json_decref(steal_pointer(&part));
		if ((part = jsonmp_from_msgpack(replies[i].parameters,
		    err)) == NULL)
			return (-1);
		if (out == NULL || json_object_update(out, part) < 0)
			return (berth_error_set(err, BERTH_E_INTERNAL, 0,
			    "build the info object"));
	}
	return (jsonmp_print(ctx->out, out, err));
}

static void
cmd_info_print_text(struct cmd_ctx *ctx, struct berth_reply *replies)
{
	size_t i;

	fprintf(ctx->out, "Server:\n");
	for (i = 0; i < CMD_INFO_NMETHODS; i++)
		display_fields(ctx->out, cmd_info_fields, replies[i].parameters,
		    0);
	fflush(ctx->out);
}

static void
cmd_info_release(struct berth_reply (*replies)[CMD_INFO_NMETHODS])
{
	size_t i;

	for (i = 0; i < CMD_INFO_NMETHODS; i++)
		berth_reply_release(&(*replies)[i]);
}

static int
cmd_info_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_client struct berth_client *c = NULL;
	__attribute__((cleanup(cmd_info_release)))
	    struct berth_reply replies[CMD_INFO_NMETHODS] = { BERTH_REPLY_INIT };
	bool json;
	size_t i;

	if (cli_format_json(ctx, &cmd_info_entry, args, &json) < 0)
		return (CLI_EXIT_ENGINE);
	if (cli_connect(ctx, &c, &err) < 0)
		return (cli_fail(ctx, &err));
	/* Both calls go out before either reply is read. */
	for (i = 0; i < CMD_INFO_NMETHODS; i++)
		if (berth_send(c, cmd_info_methods[i], NULL, 0, 0, &err) < 0)
			return (cli_fail(ctx, &err));
	for (i = 0; i < CMD_INFO_NMETHODS; i++) {
		if (berth_recv(c, &replies[i], &err) == 0)
			continue;
		if (replies[i].error)
			return (cli_fail_remote(ctx, &err));
		return (cli_fail(ctx, &err));
	}
	if (!json) {
		cmd_info_print_text(ctx, replies);
		return (CLI_EXIT_OK);
	}
	if (cmd_info_print_json(ctx, replies, &err) < 0)
		return (cli_fail(ctx, &err));
	return (CLI_EXIT_OK);
}
