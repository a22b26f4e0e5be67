/*
 * berth version: the client's version and build, and the daemon's
 * (io.berth.Service.GetInfo), laid out as Docker's: a Client section, and
 * a Server section of components (the engine, then the libraries it
 * links, each with its version).  Like docker version, the client's half
 * is printed even when the daemon cannot be reached.
 *
 * --format json prints one object {"Client": {...}, "Server": {...} or
 * null} with Docker's field names; a template is evaluated against it
 * ({{.Server.Version}}).
 */
#include <gnu/libc-version.h>
#include <limits.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "interfaces.h"
#include "listing.h"
#include "platform.h"

#define VERSION_WIDTH	18

static int cmd_version_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_version_flags[] = {
	{ "format", 'f', "FORMAT", "Format output using a Go template subset "
	    "({{.Server.Version}}), or 'json': one object with \"Client\" "
	    "and \"Server\"" },
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

static json_t *
version_client(const char *host)
{
	const struct berth_interface_text *it;
	json_t *ifaces = json_array();

	for (it = berth_interfaces; ifaces != NULL && it->name != NULL; it++)
		json_array_append_new(ifaces, json_string(it->name));
	return (json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "Version", berth_version(),
	    "ApiInterfaces", ifaces != NULL ? ifaces : json_array(),
	    "Compiler", BERTH_COMPILER,
	    "Libc", gnu_get_libc_version(),
	    "GitCommit", BERTH_GIT_COMMIT,
	    "BuildTime", BERTH_BUILT,
	    "Os", BERTH_OS,
	    "Arch", BERTH_ARCH,
	    "Host", host));
}

/* The engine's build and platform ("OS/ARCH") from GetInfo, named as
 * Docker's; what is missing is empty. */
static json_t *
version_engine(const json_t *info)
{
	const char *platform = json_str_at(info, "build", "platform");
	const char *slash = strchr(platform, '/');

	return (json_pack("{s:o, s:s, s:s, s:s, s:s, s:s%, s:s, s:s}",
	    "ApiInterfaces", json_array_at(info, "interfaces", NULL),
	    "Compiler", json_str_at(info, "build", "compiler"),
	    "Libc", json_str_at(info, "build", "libc"),
	    "GitCommit", json_str_at(info, "build", "commit"),
	    "BuildTime", json_str_at(info, "build", "built"),
	    "Os", platform, slash != NULL ? (size_t)(slash - platform) : 0,
	    "Arch", slash != NULL ? slash + 1 : "",
	    "KernelVersion", json_str_at(info, "host", "kernel")));
}

/* The daemon's GetInfo as Docker's "Server" object: the engine's fields,
 * its platform, and its components (the engine, then each library). */
static json_t *
version_server(const json_t *info)
{
	const json_t *libs = json_object_get(json_object_get(info, "build"),
	    "libraries"), *v;
	cleanup_json json_t *components = json_array();
	cleanup_json json_t *server = version_engine(info);
	json_t *engine;
	const char *name;

	if (components == NULL || server == NULL ||
	    (engine = json_pack("{s:s, s:s, s:o}", "Name", "Engine",
	    "Version", json_str(info, "version"), "Details",
	    json_deep_copy(server))) ==
	    NULL || json_array_append_new(components, engine) < 0)
		return (NULL);
	json_object_foreach((json_t *)libs, name, v)
		json_array_append_new(components, json_pack("{s:s, s:O}",
		    "Name", name, "Version", v));
	if (json_object_set_new(server, "Platform", json_pack("{s:s}",
	    "Name", json_str(info, "product"))) < 0 ||
	    json_object_set(server, "Components", components) < 0 ||
	    json_object_set_new(server, "Version", json_string(json_str(info,
	    "version"))) < 0)
		return (NULL);
	return (steal_pointer(&server));
}

/* A list of strings joined by ", ". */
static char *
joined(const json_t *a)
{
	char *out = strdup(""), *next;
	const json_t *v;
	size_t i;

	json_array_foreach(a, i, v) {
		if (out == NULL || asprintf(&next, "%s%s%s", out, i > 0 ?
		    ", " : "", json_string_value(v) != NULL ?
		    json_string_value(v) : "") < 0) {
			free(out);
			return (NULL);
		}
		free(out);
		out = next;
	}
	return (out);
}

/* A line with the label padded to width + indent; empty values left
 * out, as Docker leaves out an unknown Git commit. */
static void
line(FILE *f, int indent, const char *label, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	fprintf(f, "%*s", indent - 1, "");
	display_line(f, label, value, VERSION_WIDTH - indent + 1);
}

static void
version_print_build(FILE *f, int indent, const json_t *o)
{
	cleanup_free char *ifaces = joined(json_object_get(o,
	    "ApiInterfaces"));
	cleanup_free char *osarch = NULL, *libc = NULL;

	if (*json_str(o, "Libc") != '\0' && asprintf(&libc, "glibc %s",
	    json_str(o, "Libc")) < 0)
		libc = NULL;
	if (asprintf(&osarch, "%s/%s", json_str(o, "Os"), json_str(o,
	    "Arch")) < 0)
		osarch = NULL;
	line(f, indent, "Version", json_str(o, "Version"));
	line(f, indent, "API interfaces", ifaces);
	line(f, indent, "C compiler", json_str(o, "Compiler"));
	line(f, indent, "C library", libc);
	line(f, indent, "Git commit", json_str(o, "GitCommit"));
	line(f, indent, "Built", json_str(o, "BuildTime"));
	if (osarch != NULL && strcmp(osarch, "/") != 0)
		line(f, indent, "OS/Arch", osarch);
}

static void
version_print(FILE *f, const json_t *client, const json_t *server)
{
	const json_t *comps, *comp, *engine = NULL;
	size_t i;

	fprintf(f, "Client:\n");
	version_print_build(f, 1, client);
	line(f, 1, "Host", json_str(client, "Host"));
	if (server == NULL) {
		fflush(f);
		return;
	}
	fprintf(f, "\nServer: %s\n", json_str_at(json_object_get(server,
	    "Platform"), "Name", NULL));
	comps = json_object_get(server, "Components");
	json_array_foreach(comps, i, comp) {
		fprintf(f, " %s:\n", json_str(comp, "Name"));
		if (i == 0 && (engine = json_object_get(comp, "Details")) !=
		    NULL) {
			line(f, 2, "Version", json_str(comp, "Version"));
			version_print_build(f, 2, engine);
			line(f, 2, "Kernel", json_str(engine,
			    "KernelVersion"));
		} else
			line(f, 2, "Version", json_str(comp, "Version"));
	}
	fflush(f);
}

static int
cmd_version_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *info = NULL, *out = NULL;
	const char *format = args_get(args, "format");
	char buf[PATH_MAX + 8];
	const char *host = cli_host(ctx, buf, sizeof(buf));
	json_t *server = NULL;
	int rc, prc;

	if (listing_check_format(ctx, format) < 0)
		return (CLI_EXIT_ENGINE);
	rc = cli_connect(ctx, &c, &err);
	if (rc == 0)
		rc = berth_call(c, "io.berth.Service.GetInfo", NULL, 0, &reply,
		    &err);
	if (rc == 0 && (info = jsonmp_from_msgpack(reply.parameters,
	    &err)) == NULL)
		return (cli_fail(ctx, &err));
	if (info != NULL && (server = version_server(info)) == NULL)
		return (CLI_EXIT_ENGINE);
	out = json_pack("{s:o, s:o}", "Client", version_client(host),
	    "Server", server != NULL ? server : json_null());
	if (out == NULL)
		return (CLI_EXIT_ENGINE);
	if ((prc = listing_print_object(ctx, format, out)) < 0)
		version_print(ctx->out, json_object_get(out, "Client"), server);
	if (rc < 0)
		return (reply.error ? cli_fail_remote(ctx, &err) :
		    cli_fail(ctx, &err));
	return (prc < 0 ? CLI_EXIT_OK : prc);
}
