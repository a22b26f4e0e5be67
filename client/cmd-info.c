/*
 * berth info: the client, and the daemon's system-wide information
 * (io.berth.Service.GetInfo and GetStatus, asked for in one round trip),
 * laid out as Docker's info.
 *
 * --format json prints one object with Docker's field names (Containers,
 * ServerVersion, CgroupVersion, SecurityOptions ...) and berth's own
 * (BerthRootDir, RunRoot, Socket ...); a template is evaluated against it
 * ({{.ServerVersion}}).
 */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "listing.h"

static int cmd_info_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_info_flags[] = {
	{ "format", 'f', "FORMAT", "Format output using a Go template subset "
	    "({{.ServerVersion}}), or 'json': the whole object" },
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

static json_int_t
jint(const json_t *o, const char *k1, const char *k2)
{
	return (json_integer_value(json_at(o, k1, k2)));
}

static json_t *
info_client(const char *host)
{
	return (json_pack("{s:s, s:s, s:b}", "Version", berth_version(),
	    "Host", host, "Debug", 0));
}

/* GetInfo (info) and GetStatus (status) as one object named as Docker's
 * info. */
static json_t *
info_object(const json_t *info, const json_t *status, const char *host)
{
	char cgv[16];

	snprintf(cgv, sizeof(cgv), "%" JSON_INTEGER_FORMAT, jint(info,
	    "cgroup", "version"));
	return (json_pack("{s:o, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:s, "
	    "s:s, s:s, s:{s:o, s:o, s:o}, s:o, s:s, s:s, s:s, s:s, s:I, "
	    "s:I, s:s, s:s, s:s, s:s, s:b, s:o, s:I, s:s, s:I, s:I, s:I}",
	    "ClientInfo", info_client(host),
	    "Containers", jint(info, "containers", "total"),
	    "ContainersRunning", jint(info, "containers", "running"),
	    "ContainersPaused", jint(info, "containers", "paused"),
	    "ContainersStopped", jint(info, "containers", "stopped"),
	    "Images", jint(info, "images", NULL),
	    "ServerVersion", json_str(info, "version"),
	    "Driver", json_str_at(info, "storage", "driver"),
	    "LoggingDriver", json_str(info, "logging_driver"),
	    "CgroupDriver", json_str_at(info, "cgroup", "driver"),
	    "CgroupVersion", cgv,
	    "Plugins",
	    "Volume", json_array_at(info, "plugins", "volume"),
	    "Network", json_array_at(info, "plugins", "network"),
	    "Log", json_array_at(info, "plugins", "log"),
	    "SecurityOptions", json_array_at(info, "security_options", NULL),
	    "KernelVersion", json_str_at(info, "host", "kernel"),
	    "OperatingSystem", json_str_at(info, "host", "os"),
	    "OSType", json_str_at(info, "host", "os_type"),
	    "Architecture", json_str_at(info, "host", "arch"),
	    "NCPU", jint(info, "host", "cpus"),
	    "MemTotal", jint(info, "host", "memory"),
	    "Name", json_str_at(info, "host", "name"),
	    "ID", json_str_at(info, "id", NULL),
	    "BerthRootDir", json_str_at(info, "storage", "root"),
	    "RunRoot", json_str_at(info, "storage", "run_root"),
	    "Debug", json_is_true(json_at(info, "debug", NULL)),
	    "ApiInterfaces", json_array_at(info, "interfaces", NULL),
	    "Pid", jint(status, "pid", NULL),
	    "Socket", json_str(status, "socket"),
	    "Connections", jint(status, "connections", NULL),
	    "UptimeSeconds", jint(status, "uptime_seconds", NULL),
	    "MaxFrame", jint(status, "max_frame", NULL)));
}

/* Docker's units.BytesSize: binary units, 4 significant digits. */
static void
info_bytes(char *buf, size_t size, double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB",
	    "TiB", "PiB" };
	size_t u = 0;

	while (v >= 1024 && u < sizeof(units) / sizeof(units[0]) - 1) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.4g%s", v, units[u]);
}

static void
info_list(FILE *f, const char *label, const json_t *a)
{
	const json_t *v;
	size_t i;

	fprintf(f, "  %s:", label);
	json_array_foreach(a, i, v)
		fprintf(f, " %s", json_string_value(v) != NULL ?
		    json_string_value(v) : "");
	fputc('\n', f);
}

/* "name=seccomp,profile=builtin" as Docker shows it:
 *   seccomp
 *    Profile: builtin */
static void
info_security_option(FILE *f, const char *opt)
{
	cleanup_free char *copy = strdup(opt);
	char *item, *save = NULL, *eq;

	if (copy == NULL)
		return;
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if ((eq = strchr(item, '=')) == NULL)
			fprintf(f, "  %s\n", item);
		else if (strncmp(item, "name=", 5) == 0)
			fprintf(f, "  %s\n", eq + 1);
		else
			fprintf(f, "   %c%.*s: %s\n", item[0] >= 'a' &&
			    item[0] <= 'z' ? item[0] - 'a' + 'A' : item[0],
			    (int)(eq - item - 1), item + 1, eq + 1);
	}
}

static void
info_print_client(FILE *f, const json_t *client)
{
	fprintf(f, "Client:\n");
	fprintf(f, " Version:    %s\n", json_str(client, "Version"));
	fprintf(f, " Host:       %s\n", json_str(client, "Host"));
	fprintf(f, " Debug Mode: false\n");
}

static void
info_print_server(FILE *f, const json_t *o)
{
	const json_t *opts = json_at(o, "SecurityOptions", NULL), *v;
	char mem[32];
	size_t i;

	info_bytes(mem, sizeof(mem), (double)jint(o, "MemTotal", NULL));
	fprintf(f, "\nServer:\n");
	fprintf(f, " Containers: %" JSON_INTEGER_FORMAT "\n",
	    jint(o, "Containers", NULL));
	fprintf(f, "  Running: %" JSON_INTEGER_FORMAT "\n",
	    jint(o, "ContainersRunning", NULL));
	fprintf(f, "  Paused: %" JSON_INTEGER_FORMAT "\n",
	    jint(o, "ContainersPaused", NULL));
	fprintf(f, "  Stopped: %" JSON_INTEGER_FORMAT "\n",
	    jint(o, "ContainersStopped", NULL));
	fprintf(f, " Images: %" JSON_INTEGER_FORMAT "\n",
	    jint(o, "Images", NULL));
	fprintf(f, " Server Version: %s\n", json_str(o, "ServerVersion"));
	fprintf(f, " Storage Driver: %s\n", json_str(o, "Driver"));
	fprintf(f, " Logging Driver: %s\n", json_str(o, "LoggingDriver"));
	fprintf(f, " Cgroup Driver: %s\n", json_str(o, "CgroupDriver"));
	fprintf(f, " Cgroup Version: %s\n", json_str(o, "CgroupVersion"));
	fprintf(f, " Plugins:\n");
	info_list(f, "Volume", json_at(o, "Plugins", "Volume"));
	info_list(f, "Network", json_at(o, "Plugins", "Network"));
	info_list(f, "Log", json_at(o, "Plugins", "Log"));
	fprintf(f, " Security Options:\n");
	json_array_foreach(opts, i, v)
		if (json_string_value(v) != NULL)
			info_security_option(f, json_string_value(v));
	fprintf(f, " Kernel Version: %s\n", json_str(o, "KernelVersion"));
	fprintf(f, " Operating System: %s\n", json_str(o,
	    "OperatingSystem"));
	fprintf(f, " OSType: %s\n", json_str(o, "OSType"));
	fprintf(f, " Architecture: %s\n", json_str(o, "Architecture"));
	fprintf(f, " CPUs: %" JSON_INTEGER_FORMAT "\n", jint(o, "NCPU", NULL));
	fprintf(f, " Total Memory: %s\n", mem);
	fprintf(f, " Name: %s\n", json_str(o, "Name"));
	fprintf(f, " ID: %s\n", json_str(o, "ID"));
	fprintf(f, " Berth Root Dir: %s\n", json_str(o, "BerthRootDir"));
	fprintf(f, " Run Root: %s\n", json_str(o, "RunRoot"));
	fprintf(f, " Socket: %s\n", json_str(o, "Socket"));
	fprintf(f, " Debug Mode: %s\n", json_is_true(json_at(o, "Debug", NULL)) ?
	    "true" : "false");
}

static void
cmd_info_release(struct berth_reply (*replies)[CMD_INFO_NMETHODS])
{
	size_t i;

	for (i = 0; i < CMD_INFO_NMETHODS; i++)
		berth_reply_release(&(*replies)[i]);
}

/* Both calls go out before either reply is read. */
static int
info_ask(struct cmd_ctx *ctx, struct berth_reply *replies, json_t **parts,
    struct berth_error *err)
{
	cleanup_client struct berth_client *c = NULL;
	size_t i;

	if (cli_connect(ctx, &c, err) < 0)
		return (-1);
	for (i = 0; i < CMD_INFO_NMETHODS; i++)
		if (berth_send(c, cmd_info_methods[i], NULL, 0, 0, err) < 0)
			return (-1);
	for (i = 0; i < CMD_INFO_NMETHODS; i++)
		if (berth_recv(c, &replies[i], err) < 0 ||
		    (parts[i] = jsonmp_from_msgpack(replies[i].parameters,
		    err)) == NULL)
			return (-1);
	return (0);
}

static int
cmd_info_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	__attribute__((cleanup(cmd_info_release)))
	    struct berth_reply replies[CMD_INFO_NMETHODS] = { BERTH_REPLY_INIT };
	cleanup_json json_t *info = NULL, *status = NULL, *obj = NULL;
	const char *format = args_get(args, "format");
	char buf[PATH_MAX + 8];
	const char *host = cli_host(ctx, buf, sizeof(buf));
	json_t *parts[CMD_INFO_NMETHODS] = { NULL };
	int rc;

	if (listing_check_format(ctx, format) < 0)
		return (CLI_EXIT_ENGINE);
	rc = info_ask(ctx, replies, parts, &err);
	info = parts[0];
	status = parts[1];
	if (rc < 0) {
		/* Like Docker's, the client's half still shows. */
		if (format == NULL || *format == '\0') {
			cleanup_json json_t *client = info_client(host);

			info_print_client(ctx->out, client);
			fflush(ctx->out);
		}
		if (replies[0].error || replies[1].error)
			return (cli_fail_daemon(ctx, &err));
		return (cli_fail(ctx, &err));
	}
	if ((obj = info_object(info, status, host)) == NULL)
		return (CLI_EXIT_ENGINE);
	if ((rc = listing_print_object(ctx, format, obj)) >= 0)
		return (rc);
	info_print_client(ctx->out, json_at(obj, "ClientInfo", NULL));
	info_print_server(ctx->out, obj);
	fflush(ctx->out);
	return (CLI_EXIT_OK);
}
