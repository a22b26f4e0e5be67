/*
 * berth port: a running container's published ports
 * (io.berth.Container.Port), as Docker prints them: "80/tcp ->
 * 0.0.0.0:8080" for each, or the host side of one port.
 */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "container.h"
#include "publish.h"

static int cmd_port_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_port_flags[] = {
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_port_entry = {
	.name = "port",
	.usage = "CONTAINER [PRIVATE_PORT[/PROTO]]",
	.summary = "List port mappings or a specific mapping for the "
	    "container",
	.flags = cmd_port_flags,
	.args_min = 1,
	.args_max = 2,
	.exec = cmd_port_exec,
};

const struct cmd_entry cmd_container_port_entry =
    CMD_SAME_AS("container port", cmd_port_entry, NULL);

static int
by_port(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t d;
	int c;

	d = json_integer_value(json_object_get(x, "container_port")) -
	    json_integer_value(json_object_get(y, "container_port"));
	if (d != 0)
		return (d < 0 ? -1 : 1);
	if ((c = strcmp(json_string_value(json_object_get(x, "protocol")),
	    json_string_value(json_object_get(y, "protocol")))) != 0)
		return (c);
	if ((c = strcmp(json_string_value(json_object_get(x, "host_ip")),
	    json_string_value(json_object_get(y, "host_ip")))) != 0)
		return (c);
	d = json_integer_value(json_object_get(x, "host_port")) -
	    json_integer_value(json_object_get(y, "host_port"));
	return (d < 0 ? -1 : d > 0);
}

/* The rows that are well formed, sorted by container port, protocol,
 * host address and port; their count in *n. */
static json_t **
port_rows(const json_t *ports, size_t *n)
{
	json_t **v, *p;
	size_t i;

	*n = 0;
	if ((v = calloc(json_array_size(ports) + 1, sizeof(*v))) == NULL)
		return (NULL);
	json_array_foreach(ports, i, p)
		if (json_is_integer(json_object_get(p, "container_port")) &&
		    json_is_string(json_object_get(p, "protocol")) &&
		    json_is_string(json_object_get(p, "host_ip")) &&
		    json_is_integer(json_object_get(p, "host_port")))
			v[(*n)++] = p;
	qsort(v, *n, sizeof(*v), by_port);
	return (v);
}

static const char *
host_ip(const json_t *row)
{
	const char *ip = json_string_value(json_object_get(row, "host_ip"));

	return (ip == NULL || *ip == '\0' ? "0.0.0.0" : ip);
}

static int
cmd_port_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *p = NULL, *params = NULL;
	cleanup_free json_t **rows = NULL;
	const char *proto = NULL, *name = args->argv[0];
	int port = 0, found = 0;
	size_t i, n;

	/* Not a flag-parse error: exit 1 and no pointer to --help, as
	 * Docker's. */
	if (args->argc == 2 && publish_parse_port(args->argv[1], &port,
	    &proto, &err) < 0)
		return (cli_refuse(ctx, "%s", berth_error_message(&err)));
	if ((p = container_params(name, NULL, NULL)) == NULL)
		return (CLI_EXIT_ENGINE);
	if (cli_connect(ctx, &c, &err) < 0)
		return (cli_fail(ctx, &err));
	if (container_call(c, "io.berth.Container.Port", p, &reply, &err) < 0)
		return (cli_fail_reply(ctx, &reply, &err));
	if ((params = jsonmp_from_msgpack(reply.parameters, &err)) == NULL)
		return (cli_fail(ctx, &err));
	if ((rows = port_rows(json_object_get(params, "ports"), &n)) == NULL)
		return (CLI_EXIT_ENGINE);
	for (i = 0; i < n; i++) {
		json_int_t cp = json_integer_value(json_object_get(rows[i],
		    "container_port"));
		json_int_t hp = json_integer_value(json_object_get(rows[i],
		    "host_port"));
		const char *pr = json_string_value(json_object_get(rows[i],
		    "protocol"));

		if (proto == NULL)
			fprintf(ctx->out, "%d/%s -> %s:%d\n", (int)cp, pr,
			    host_ip(rows[i]), (int)hp);
		else if (cp == port && strcmp(pr, proto) == 0) {
			fprintf(ctx->out, "%s:%d\n", host_ip(rows[i]),
			    (int)hp);
			found++;
		}
	}
	fflush(ctx->out);
	if (proto != NULL && found == 0) {
		fprintf(ctx->err, "Error: No public port '%s' published for "
		    "%s\n", args->argv[1], name);
		return (CLI_EXIT_FAILURE);
	}
	return (CLI_EXIT_OK);
}
