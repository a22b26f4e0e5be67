/*
 * berth version: the client's version, API interfaces and platform, and
 * the daemon's (io.berth.Service.GetInfo).  Like docker version, the
 * client's half is printed even when the daemon cannot be reached.
 */
#include "cleanup.h"
#include "cli.h"
#include "interfaces.h"

#if defined(__x86_64__)
#define CLIENT_ARCH	"amd64"
#elif defined(__aarch64__)
#define CLIENT_ARCH	"arm64"
#elif defined(__i386__)
#define CLIENT_ARCH	"386"
#elif defined(__arm__)
#define CLIENT_ARCH	"arm"
#elif defined(__riscv) && __riscv_xlen == 64
#define CLIENT_ARCH	"riscv64"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define CLIENT_ARCH	"ppc64le"
#elif defined(__s390x__)
#define CLIENT_ARCH	"s390x"
#else
#define CLIENT_ARCH	"unknown"
#endif
#define CLIENT_OS	"linux"

#define VERSION_WIDTH	18

static int cmd_version_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_version_flags[] = {
	{ "format", 'f', "FORMAT", "Print as 'json': one object with "
	    "\"Client\" and \"Server\"" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.usage = "",
	.summary = "Show the berth version information",
	.flags = cmd_version_flags,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_version_exec,
};

static const struct display_field cmd_version_server_fields[] = {
	{ "Version", "version", DISPLAY_TEXT },
	{ "Vendor", "vendor", DISPLAY_TEXT },
	{ "URL", "url", DISPLAY_TEXT },
	{ "API interfaces", "interfaces", DISPLAY_TEXT },
	{ NULL, NULL, DISPLAY_TEXT }
};

static json_t *
cmd_version_client(void)
{
	const struct berth_interface_text *it;
	json_t *c, *ifaces;

	if ((ifaces = json_array()) == NULL)
		return (NULL);
	for (it = berth_interfaces; it->name != NULL; it++)
		json_array_append_new(ifaces, json_string(it->name));
	c = json_pack("{s:s, s:o, s:s, s:s}", "version", berth_version(),
	    "interfaces", ifaces, "os", CLIENT_OS, "arch", CLIENT_ARCH);
	return (c);
}

static void
cmd_version_print_client(FILE *f)
{
	const struct berth_interface_text *it;
	char names[1024] = "";
	size_t off = 0;

	for (it = berth_interfaces; it->name != NULL; it++) {
		if (off >= sizeof(names))
			break;
		off += (size_t)snprintf(names + off, sizeof(names) - off,
		    "%s%s", it == berth_interfaces ? "" : ", ", it->name);
	}
	fprintf(f, "Client:\n");
	display_line(f, "Version", berth_version(), VERSION_WIDTH);
	display_line(f, "API interfaces", names, VERSION_WIDTH);
	display_line(f, "OS/Arch", CLIENT_OS "/" CLIENT_ARCH, VERSION_WIDTH);
}

static void
cmd_version_print_server(FILE *f, const msgpack_object *info)
{
	const msgpack_object *product = berth_map_get(info, "product");
	char *name = product != NULL ? display_value(product, DISPLAY_TEXT) :
	    NULL;

	fprintf(f, "\nServer:%s%s\n", name != NULL ? " " : "",
	    name != NULL ? name : "");
	free(name);
	display_fields(f, cmd_version_server_fields, info, VERSION_WIDTH);
}

/* The JSON form: {"Client": {...}, "Server": GetInfo or null}. */
static int
cmd_version_print_json(struct cmd_ctx *ctx, const msgpack_object *info,
    struct berth_error *err)
{
	cleanup_json json_t *out = NULL;
	json_t *server = NULL;

	if (info != NULL && (server = jsonmp_from_msgpack(info, err)) == NULL)
		return (-1);
	out = json_pack("{s:o, s:o}", "Client", cmd_version_client(),
	    "Server", server != NULL ? server : json_null());
	if (out == NULL)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "build the version object"));
	return (jsonmp_print(ctx->out, out, err));
}

static int
cmd_version_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_error struct berth_error perr = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	const msgpack_object *info;
	int rc, prc = 0;
	bool json;

	if (cli_format_json(ctx, &cmd_version_entry, args, &json) < 0)
		return (CLI_EXIT_ENGINE);
	rc = cli_connect(ctx, &c, &err);
	if (rc == 0)
		rc = berth_call(c, "io.berth.Service.GetInfo", NULL, 0, &reply,
		    &err);
	info = rc == 0 ? reply.parameters : NULL;
	if (json)
		prc = cmd_version_print_json(ctx, info, &perr);
	else {
		cmd_version_print_client(ctx->out);
		if (info != NULL)
			cmd_version_print_server(ctx->out, info);
		fflush(ctx->out);
	}
	if (rc < 0)
		return (reply.error ? cli_fail_remote(ctx, &err) :
		    cli_fail(ctx, &err));
	if (prc < 0)
		return (cli_fail(ctx, &perr));
	return (CLI_EXIT_OK);
}
