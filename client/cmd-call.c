/*
 * berth call: any method, parameters as JSON, every reply printed as
 * JSON.  The way to reach what no other command covers yet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"

static int cmd_call_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_call_flags[] = {
	{ "more", 0, NULL, "Ask for a stream of replies, printed as they "
	    "arrive" },
	{ "oneway", 0, NULL, "Ask for no reply, and print nothing" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_call_entry = {
	.name = "call",
	.usage = "METHOD [PARAMETERS]",
	.summary = "Call a method of the daemon and print its replies as JSON",
	.help =
	    "PARAMETERS is a JSON object, or '-' to read one from standard\n"
	    "input; without it the call has no parameters.  Each reply's\n"
	    "parameters are printed as one indented JSON document.  msgpack\n"
	    "binary values are printed as base64 strings, extension values as\n"
	    "{\"ext\": TYPE, \"data\": BASE64}.  An error reply is printed on\n"
	    "standard error, with its parameters, and the exit status is 1.\n"
	    "\n"
	    "Example:  berth call io.berth.Service.Ping '{\"payload\": \"hi\"}'\n",
	.flags = cmd_call_flags,
	.args_min = 1,
	.args_max = 2,
	.exec = cmd_call_exec,
};

/* All of f, at most max bytes. */
static char *
cmd_call_slurp(FILE *f, size_t max, size_t *len, struct berth_error *err)
{
	cleanup_free char *buf = NULL;
	size_t size = 0, n;
	char *bigger;

	*len = 0;
	for (;;) {
		if (*len == size) {
			if (size >= max) {
				berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
				    "parameters larger than %zu bytes", max);
				return (NULL);
			}
			size = size == 0 ? 4096 : size * 2;
			if ((bigger = realloc(buf, size + 1)) == NULL) {
				berth_error_sys(err, "read parameters");
				return (NULL);
			}
			buf = bigger;
		}
		n = fread(buf + *len, 1, size - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		berth_error_sys(err, "read parameters from standard input");
		return (NULL);
	}
	buf[*len] = '\0';
	return (steal_pointer(&buf));
}

/* Pack the PARAMETERS argument, if any, into sb as a msgpack map. */
static int
cmd_call_params(struct cmd_ctx *ctx, const struct args *args,
    msgpack_sbuffer *sb, struct berth_error *err)
{
	cleanup_free char *input = NULL;
	msgpack_packer pk;
	const char *text;
	size_t len;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	if (args->argc < 2) {
		msgpack_pack_map(&pk, 0);
		return (0);
	}
	text = args->argv[1];
	len = strlen(text);
	if (strcmp(text, "-") == 0) {
		input = cmd_call_slurp(ctx->in, BERTH_FRAME_MAX_LIMIT, &len,
		    err);
		if (input == NULL)
			return (-1);
		text = input;
	}
	if (jsonmp_pack_text(text, len, &pk, err) < 0)
		return (berth_error_wrap(err, "parameters"));
	return (0);
}

static int
cmd_call_print(struct cmd_ctx *ctx, FILE *f, const msgpack_object *params)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_json json_t *j = NULL;

	if ((j = jsonmp_from_msgpack(params, &err)) == NULL ||
	    jsonmp_print(f, j, &err) < 0)
		return (cli_fail(ctx, &err));
	return (0);
}

static int
cmd_call_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_sbuffer msgpack_sbuffer sb;
	const char *method = args->argv[0];
	unsigned flags = 0;
	int rc;

	msgpack_sbuffer_init(&sb);
	if (args_has(args, "more"))
		flags |= BERTH_CALL_MORE;
	if (args_has(args, "oneway"))
		flags |= BERTH_CALL_ONEWAY;
	if (flags == (BERTH_CALL_MORE | BERTH_CALL_ONEWAY))
		return (cli_usage_error(ctx, &cmd_call_entry,
		    "--more and --oneway exclude each other"));
	if (cmd_call_params(ctx, args, &sb, &err) < 0)
		return (cli_usage_error(ctx, &cmd_call_entry, "%s",
		    berth_error_message(&err)));
	if (cli_connect(ctx, &c, &err) < 0 ||
	    berth_send(c, method, sb.data, sb.size, flags, &err) < 0)
		return (cli_fail(ctx, &err));
	if (flags & BERTH_CALL_ONEWAY)
		return (CLI_EXIT_OK);
	do {
		if (berth_recv(c, &reply, &err) < 0) {
			if (!reply.error)
				return (cli_fail(ctx, &err));
			rc = cli_fail_remote(ctx, &err);
			if (reply.parameters->via.map.size > 0 &&
			    cmd_call_print(ctx, ctx->err,
			    reply.parameters) != 0)
				return (CLI_EXIT_ENGINE);
			return (rc);
		}
		if ((rc = cmd_call_print(ctx, ctx->out, reply.parameters)) != 0)
			return (rc);
	} while (reply.continues);
	return (CLI_EXIT_OK);
}
