/*
 * The CLI's dealings with failure: connecting to the daemon, and turning
 * an error into one clear message on stderr and Docker's exit codes
 * (125: the CLI or the engine failed; 1: the command failed).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int
cli_connect(struct cmd_ctx *ctx, struct berth_client **c,
    struct berth_error *err)
{
	return (berth_connect(ctx->host, c, err));
}

const char *
cli_host(const struct cmd_ctx *ctx, char *buf, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const char *env;
	char path[PATH_MAX];

	if (ctx->host != NULL)
		return (ctx->host);
	/* $BERTH_HOST or the default, chosen as berth_connect chooses; a
	 * $BERTH_HOST it cannot take shown as it is. */
	if (berth_address_resolve(NULL, path, sizeof(path), &err) < 0) {
		berth_error_clear(&err);
		env = getenv(BERTH_HOST_ENV);
		return (env != NULL ? env : BERTH_DEFAULT_ADDRESS);
	}
	snprintf(buf, size, "unix://%s", path);
	return (buf);
}

static const char *
error_param(const struct berth_error *err, const char *key)
{
	int i;

	for (i = 0; i < err->nparams; i++)
		if (strcmp(err->params[i].key, key) == 0 &&
		    err->params[i].str != NULL)
			return (err->params[i].str);
	return (NULL);
}

/* The one line a user sees when the daemon cannot be reached. */
static void
print_connect_error(FILE *f, const struct berth_error *err)
{
	const char *address = error_param(err, "address");

	fprintf(f, "Cannot connect to the berth daemon at %s (%s). ",
	    address != NULL ? address : "(unknown address)",
	    err->errnum != 0 ? strerror(err->errnum) : berth_error_message(err));
	if (err->errnum == EACCES || err->errnum == EPERM)
		fprintf(f, "Are you root or a member of the daemon's group?\n");
	else
		fprintf(f, "Is berthd running? Start it with 'berthd' or "
		    "'systemctl start berthd.socket'.\n");
}

int
cli_fail(struct cmd_ctx *ctx, const struct berth_error *err)
{
	if (berth_error_is(err, BERTH_E_CONNECT))
		print_connect_error(ctx->err, err);
	else
		fprintf(ctx->err, "Error: %s\n", berth_error_message(err));
	return (CLI_EXIT_ENGINE);
}

int
cli_fail_remote(struct cmd_ctx *ctx, const struct berth_error *err)
{
	const char *msg = berth_error_message(err);

	if (strcmp(msg, err->name) == 0)
		fprintf(ctx->err, "Error: %s\n", msg);
	else
		fprintf(ctx->err, "Error: %s (%s)\n", msg, err->name);
	return (CLI_EXIT_FAILURE);
}

int
cli_fail_daemon(struct cmd_ctx *ctx, const struct berth_error *err)
{
	if (!berth_error_isset(err) || strncmp(err->name, "io.berth.Client.",
	    16) == 0)
		return (cli_fail(ctx, err));
	fprintf(ctx->err, "Error response from daemon: %s\n",
	    berth_error_message(err));
	return (CLI_EXIT_FAILURE);
}

int
cli_usage_error(struct cmd_ctx *ctx, const struct cmd_entry *entry,
    const char *fmt, ...)
{
	va_list ap;

	fprintf(ctx->err, "Error: ");
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	if (entry != NULL)
		fprintf(ctx->err, "\nSee '%s %s --help'.\n", CLI_NAME,
		    entry->name);
	else
		fprintf(ctx->err, "\nSee '%s --help'.\n", CLI_NAME);
	return (CLI_EXIT_ENGINE);
}

int
cli_refuse(struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	fprintf(ctx->err, "Error: ");
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->err);
	return (CLI_EXIT_FAILURE);
}

int
cli_format_json(struct cmd_ctx *ctx, const struct cmd_entry *entry,
    const struct args *args, bool *json)
{
	const char *format = args_get(args, "format");

	*json = false;
	if (format == NULL || *format == '\0')
		return (0);
	if (strcmp(format, "json") == 0) {
		*json = true;
		return (0);
	}
	cli_usage_error(ctx, entry, "unsupported format '%s': only 'json' is "
	    "supported", format);
	return (-1);
}

int
cli_fail_reply(struct cmd_ctx *ctx, const struct berth_reply *reply,
    const struct berth_error *err)
{
	return (reply->error ? cli_fail_daemon(ctx, err) : cli_fail(ctx, err));
}
