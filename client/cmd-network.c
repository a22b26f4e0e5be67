/*
 * The "network" command group: create, ls, inspect, rm, connect,
 * disconnect and prune, each one io.berth.Network call, with Docker's
 * output and Docker's words for the interface's errors.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "container.h"
#include "image.h"
#include "listing.h"
#include "objects.h"
#include "publish.h"

#define NETWORK_E_PREFIX	"io.berth.Network."

/* Docker's wording of an io.berth.Network error: fmt takes the string
 * parameters p1 and p2 (NULL: unused); only for the commands in cmds
 * (space separated names after "network ", NULL: every one). */
struct network_message {
	const char	*error;
	const char	*cmds;
	const char	*fmt;
	const char	*p1;
	const char	*p2;
};

static const struct network_message network_messages[] = {
	{ "NameInUse", NULL, "network with name %s already exists", "name",
	    NULL },
	{ "Builtin", "create", "network with name %s already exists",
	    "network", NULL },
	{ "Builtin", "rm", "%s is a pre-defined network and cannot be "
	    "removed", "network", NULL },
	{ "NotFound", NULL, "network %s not found", "network", NULL },
	{ "AmbiguousId", NULL, "network %s is ambiguous: more than one "
	    "network matches it", "network", NULL },
	{ "InUse", NULL, "error while removing network: network %s has "
	    "active endpoints", "network", NULL },
	{ "PoolOverlap", NULL, "invalid pool request: Pool overlaps with "
	    "other one on this address space (%s)", "subnet", NULL },
	{ "AlreadyConnected", NULL, "endpoint with name %s already exists in "
	    "network %s", "container", "network" },
	{ "NotConnected", NULL, "container %s is not connected to network "
	    "%s", "container", "network" },
	{ NULL, NULL, NULL, NULL, NULL }
};

static const char *
err_param(const struct berth_error *err, const char *key)
{
	int i;

	for (i = 0; key != NULL && i < err->nparams; i++)
		if (strcmp(err->params[i].key, key) == 0)
			return (err->params[i].str);
	return (NULL);
}

static bool
cmd_listed(const char *cmds, const char *name)
{
	size_t len = strlen(name);
	const char *p;

	if (cmds == NULL)
		return (true);
	for (p = cmds; (p = strstr(p, name)) != NULL; p += len)
		if ((p == cmds || p[-1] == ' ') && (p[len] == '\0' ||
		    p[len] == ' '))
			return (true);
	return (false);
}

/* A failed call: Docker's message for the interface's errors, else the
 * daemon's; a local failure as such. */
static int
network_fail(struct cmd_ctx *ctx, const struct berth_reply *reply,
    const struct berth_error *err)
{
	const struct network_message *m;
	const char *cmd = strrchr(ctx->entry->name, ' '), *a, *b;
	size_t plen = strlen(NETWORK_E_PREFIX);
	char msg[512];

	if (!reply->error || strncmp(err->name, NETWORK_E_PREFIX, plen) != 0)
		return (cli_fail_reply(ctx, reply, err));
	cmd = cmd != NULL ? cmd + 1 : ctx->entry->name;
	for (m = network_messages; m->error != NULL; m++) {
		if (strcmp(err->name + plen, m->error) != 0 ||
		    !cmd_listed(m->cmds, cmd))
			continue;
		a = err_param(err, m->p1);
		b = err_param(err, m->p2);
		if (a == NULL || (m->p2 != NULL && b == NULL))
			break;
		snprintf(msg, sizeof(msg), m->fmt, a, b);
		fprintf(ctx->err, "Error response from daemon: %s\n", msg);
		return (CLI_EXIT_FAILURE);
	}
	return (cli_fail_daemon(ctx, err));
}

static const struct object_kind network_kind = {
	.noun = "network",
	.not_found = NETWORK_E_PREFIX "NotFound",
	.fail = network_fail,
	.rm_no_such = true,
};

/* network create */

static int cmd_network_create_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_network_create_flags[] = {
	{ "driver", 'd', "DRIVER", "Driver to manage the Network (bridge)" },
	{ "gateway", 0, "IP", "IPv4 Gateway for the master subnet" },
	{ "internal", 0, NULL, "Restrict external access to the network" },
	{ "label", 0, "KEY=VALUE", "Set metadata on a network" },
	{ "subnet", 0, "CIDR", "Subnet in CIDR format that represents a "
	    "network segment (IPv4)" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_network_create_entry = {
	.name = "network create",
	.usage = "NAME",
	.summary = "Create a network",
	.flags = cmd_network_create_flags,
	.args_min = 1,
	.args_max = 1,
	.exec = cmd_network_create_exec,
};

/* "a.b.c.d/n", n in 0..32 written in one or two digits. */
static bool
network_cidr_valid(const char *s)
{
	cleanup_free char *addr = NULL;
	const char *slash = strchr(s, '/'), *n;

	if (slash == NULL || (addr = strndup(s, (size_t)(slash - s))) ==
	    NULL)
		return (false);
	n = slash + 1;
	if (!isdigit((unsigned char)n[0]) || (n[1] != '\0' &&
	    (!isdigit((unsigned char)n[1]) || n[2] != '\0')) ||
	    atoi(n) > 32)
		return (false);
	return (publish_ipv4_valid(addr));
}

static int
cmd_network_create_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_free char *id = NULL;
	const char *const *subnets, *const *gws;
	const char *gw = args_get(args, "gateway");
	cleanup_json json_t *p = NULL;
	json_t *labels;
	int n, ngw, rc;

	/* Values the flags took but the command cannot: exit 1 with the
	 * message, as Docker's (its daemon or CLI refuses them). */
	subnets = args_all(args, "subnet", &n);
	gws = args_all(args, "gateway", &ngw);
	if (n > 1)
		return (cli_refuse(ctx, "only one --subnet is supported"));
	if (n == 1 && !network_cidr_valid(subnets[0]))
		return (cli_refuse(ctx, "invalid CIDR address: %s (an IPv4 "
		    "subnet such as 172.30.0.0/16)", subnets[0]));
	if (ngw > 0 && n == 0)
		return (cli_refuse(ctx, "every ip-range or gateway must have "
		    "a corresponding subnet"));
	if (ngw > 1)
		return (cli_refuse(ctx, "cannot configure multiple gateways "
		    "(%s, %s) for the same subnet (%s)", gws[1], gws[0],
		    subnets[0]));
	if (gw != NULL && !publish_ipv4_valid(gw))
		return (cli_refuse(ctx, "invalid gateway address: %s (an "
		    "IPv4 address in the subnet)", gw));
	if (strlen(args->argv[0]) == 0)
		return (cli_refuse(ctx, "the network name cannot be empty"));
	if ((p = json_pack("{s:s}", "name", args->argv[0])) != NULL) {
		if (args_get(args, "driver") != NULL)
			json_object_set_new(p, "driver", json_string(
			    args_get(args, "driver")));
		if (n == 1)
			json_object_set_new(p, "subnet", json_string(
			    subnets[0]));
		if (gw != NULL)
			json_object_set_new(p, "gateway", json_string(gw));
		if (args_has(args, "internal"))
			json_object_set_new(p, "internal", json_true());
		if ((labels = object_kv_flags(args, "label")) != NULL &&
		    json_object_size(labels) > 0)
			json_object_set_new(p, "labels", labels);
		else
			json_decref(labels);
	}
	if ((rc = object_connect(ctx, &c)) != 0 || (rc = object_call(ctx,
	    &network_kind, c, "io.berth.Network.Create", p, &reply)) != 0)
		return (rc);
	if ((id = image_str(reply.parameters, "id")) == NULL) {
		fprintf(ctx->err, "Error: the daemon's reply has no id\n");
		return (CLI_EXIT_ENGINE);
	}
	fprintf(ctx->out, "%s\n", id);
	fflush(ctx->out);
	return (CLI_EXIT_OK);
}

/* network ls */

static int cmd_network_ls_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_network_ls_flags[] = {
	{ "filter", 'f', "FILTER", "Provide filter values (driver=, id=, "
	    "label=, name=, type=custom|builtin)" },
	{ "format", 0, "FORMAT", "Format output using a Go template subset, "
	    "or 'json' (an object a line)" },
	{ "no-trunc", 0, NULL, "Do not truncate the output" },
	{ "quiet", 'q', NULL, "Only display network IDs" },
	{ NULL, 0, NULL, NULL }
};

static const char cmd_network_ls_help[] =
    "Templates: 'table' prefix, {{.ID}} {{.Name}} {{.Driver}} {{.Scope}}\n"
    "{{.IPv6}} {{.Internal}} {{.Labels}} {{.CreatedAt}} {{.Subnet}}\n"
    "{{.Gateway}} {{json .}}.\n";

const struct cmd_entry cmd_network_ls_entry = {
	.name = "network ls",
	.usage = "",
	.summary = "List networks",
	.help = cmd_network_ls_help,
	.flags = cmd_network_ls_flags,
	.args_min = 0,
	.args_max = 0,
	.alias = "list",
	.exec = cmd_network_ls_exec,
};

static const struct fmt_header network_headers[] = {
	{ "ID", "NETWORK ID" },
	{ "Name", "NAME" },
	{ "Driver", "DRIVER" },
	{ "Scope", "SCOPE" },
	{ "IPv6", "IPV6" },
	{ "Internal", "INTERNAL" },
	{ "Labels", "LABELS" },
	{ "CreatedAt", "CREATED AT" },
	{ "Subnet", "SUBNET" },
	{ "Gateway", "GATEWAY" },
	{ NULL, NULL }
};

static int
by_name(const void *a, const void *b)
{
	return (strcmp(json_str(*(json_t *const *)a, "Name"),
	    json_str(*(json_t *const *)b, "Name")));
}

/* The rows of "network ls" from List's networks, sorted by name. */
static json_t *
network_rows(const json_t *params, const struct args *args)
{
	const json_t *networks = json_object_get(params, "networks");
	bool no_trunc = args_has(args, "no-trunc");
	cleanup_json json_t *rows = json_array();
	json_t *n, **v;
	size_t i, count = json_array_size(networks);

	if (rows == NULL || (v = calloc(count + 1, sizeof(*v))) == NULL)
		return (NULL);
	json_array_foreach(networks, i, n) {
		cleanup_free char *id = NULL, *labels = NULL, *at = NULL;

		id = no_trunc ? strdup(json_str(n, "id")) :
		    strndup(json_str(n, "id"), 12);
		labels = listing_labels(json_object_get(n, "labels"));
		at = fmt_created_at(json_integer_value(json_object_get(n,
		    "created")));
		v[i] = json_pack("{s:s?, s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, "
		    "s:s, s:s}", "ID", id, "Name", json_str(n, "name"), "Driver",
		    json_str(n, "driver"), "Scope", json_str(n, "scope"), "IPv6",
		    "false", "Internal", json_is_true(json_object_get(n,
		    "internal")) ? "true" : "false", "Labels", labels,
		    "CreatedAt", at, "Subnet", json_str(n, "subnet"), "Gateway",
		    json_str(n, "gateway"));
		if (v[i] == NULL)
			break;
	}
	qsort(v, i, sizeof(*v), by_name);
	count = i;
	for (i = 0; i < count; i++)
		json_array_append_new(rows, v[i]);
	free(v);
	return (steal_pointer(&rows));
}

static int
cmd_network_ls_exec(struct cmd_ctx *ctx, const struct args *args)
{
	static const char *const keys[] = { "driver", "id", "label", "name",
	    "type", NULL };
	static const struct object_list ls = {
		.method = "io.berth.Network.List",
		.filters = keys,
		.rows_of = network_rows,
		.quiet = "{{.ID}}",
		.table = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
		.headers = network_headers,
	};

	return (object_ls(ctx, &network_kind, &ls, args));
}

/* network inspect */

static int cmd_network_inspect_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_network_inspect_flags[] = {
	{ "format", 'f', "FORMAT", "Format output using a Go template subset "
	    "({{.Id}}, {{.IPAM.Config}}, {{json .Containers}})" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_network_inspect_entry = {
	.name = "network inspect",
	.usage = "NETWORK [NETWORK...]",
	.summary = "Display detailed information on one or more networks",
	.flags = cmd_network_inspect_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_network_inspect_exec,
};

static int
cmd_network_inspect_exec(struct cmd_ctx *ctx, const struct args *args)
{
	return (object_inspect(ctx, &network_kind, "io.berth.Network.Inspect",
	    "network", args));
}

/* network rm */

static int cmd_network_rm_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_network_no_flags[] = {
	{ NULL, 0, NULL, NULL }
};

static const struct args_flag cmd_network_rm_flags[] = {
	{ "force", 'f', NULL, "Do not error if the network does not exist" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_network_rm_entry = {
	.name = "network rm",
	.usage = "NETWORK [NETWORK...]",
	.summary = "Remove one or more networks",
	.flags = cmd_network_rm_flags,
	.args_min = 1,
	.args_max = -1,
	.alias = "remove",
	.exec = cmd_network_rm_exec,
};

static int
cmd_network_rm_exec(struct cmd_ctx *ctx, const struct args *args)
{
	return (object_rm(ctx, &network_kind, "io.berth.Network.Remove",
	    args));
}

/* network connect, disconnect */

static int cmd_network_connect_exec(struct cmd_ctx *, const struct args *);
static int cmd_network_disconnect_exec(struct cmd_ctx *,
	    const struct args *);

static const struct args_flag cmd_network_connect_flags[] = {
	{ "alias", 0, "ALIAS", "Add network-scoped alias for the container" },
	{ "ip", 0, "IPV4", "IPv4 address (e.g., \"172.30.100.104\")" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_network_connect_entry = {
	.name = "network connect",
	.usage = "NETWORK CONTAINER",
	.summary = "Connect a container to a network",
	.flags = cmd_network_connect_flags,
	.args_min = 2,
	.args_max = 2,
	.exec = cmd_network_connect_exec,
};

static const struct args_flag cmd_network_disconnect_flags[] = {
	{ "force", 'f', NULL, "Force the container to disconnect from a "
	    "network" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_network_disconnect_entry = {
	.name = "network disconnect",
	.usage = "NETWORK CONTAINER",
	.summary = "Disconnect a container from a network",
	.flags = cmd_network_disconnect_flags,
	.args_min = 2,
	.args_max = 2,
	.exec = cmd_network_disconnect_exec,
};

static int
cmd_network_connect_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	const char *const *aliases, *ip = args_get(args, "ip");
	cleanup_json json_t *p = NULL;
	int n, rc;

	if (ip != NULL && !publish_ipv4_valid(ip))
		return (cli_usage_error(ctx, ctx->entry, "invalid IPv4 "
		    "address: %s", ip));
	aliases = args_all(args, "alias", &n);
	if ((p = json_pack("{s:s, s:s}", "network", args->argv[0],
	    "container", args->argv[1])) != NULL) {
		if (n > 0)
			json_object_set_new(p, "aliases", json_strings(aliases,
			    n));
		if (ip != NULL)
			json_object_set_new(p, "ipv4_address",
			    json_string(ip));
	}
	if ((rc = object_connect(ctx, &c)) != 0 || (rc = object_call(ctx,
	    &network_kind, c, "io.berth.Network.Connect", p, &reply)) != 0)
		return (rc);
	return (CLI_EXIT_OK);
}

static int
cmd_network_disconnect_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *p = NULL;
	int rc;

	p = json_pack("{s:s, s:s}", "network", args->argv[0], "container",
	    args->argv[1]);
	if (p != NULL && args_has(args, "force"))
		json_object_set_new(p, "force", json_true());
	if ((rc = object_connect(ctx, &c)) != 0 || (rc = object_call(ctx,
	    &network_kind, c, "io.berth.Network.Disconnect", p, &reply)) != 0)
		return (rc);
	return (CLI_EXIT_OK);
}

/* network prune */

static int cmd_network_prune_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_network_prune_flags[] = {
	{ "filter", 0, "FILTER", "Provide filter values (e.g. \"until=<"
	    "timestamp>\", \"label=KEY[=VALUE]\")" },
	{ "force", 'f', NULL, "Do not prompt for confirmation" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_network_prune_entry = {
	.name = "network prune",
	.usage = "",
	.summary = "Remove all unused networks",
	.flags = cmd_network_prune_flags,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_network_prune_exec,
};

static int
cmd_network_prune_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *filters = NULL;
	static const char *const keys[] = { "label", "until", NULL };
	cleanup_json json_t *p = NULL;
	int rc;

	if ((rc = object_filters(ctx, args, keys, &filters)) != 0)
		return (rc);
	if (!args_has(args, "force") && !cli_confirm(ctx,
	    "WARNING! This will remove all custom networks not used by at "
	    "least one container."))
		return (CLI_EXIT_OK);
	p = filters != NULL ? json_pack("{s:O}", "filters", filters) :
	    json_object();
	if ((rc = object_connect(ctx, &c)) != 0 || (rc = object_call(ctx,
	    &network_kind, c, "io.berth.Network.Prune", p, &reply)) != 0)
		return (rc);
	object_print_deleted(ctx, &reply, "Networks");
	fflush(ctx->out);
	return (CLI_EXIT_OK);
}

/* The group. */

static const struct cmd_entry *const cmd_network_subs[] = {
	&cmd_network_connect_entry,
	&cmd_network_create_entry,
	&cmd_network_disconnect_entry,
	&cmd_network_inspect_entry,
	&cmd_network_ls_entry,
	&cmd_network_prune_entry,
	&cmd_network_rm_entry,
	NULL
};

const struct cmd_entry cmd_network_entry = {
	.name = "network",
	.usage = "COMMAND",
	.summary = "Manage networks",
	.flags = cmd_network_no_flags,
	.subs = cmd_network_subs,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_group_exec,
};
