/*
 * Looking at a container: top, stats, rename, diff, export (and their
 * "container ..." names).  stats keeps one connection per container:
 * each is a "more" call of its own, read in turn as the daemon sends a
 * sample a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "color.h"
#include "container.h"
#include "outfile.h"

/* One call on a new connection; the reply's parameters as JSON. */
static int
call_json(struct cmd_ctx *ctx, const char *method, json_t *params,
    json_t **out)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;

	if (params == NULL)
		return (CLI_EXIT_ENGINE);
	if (cli_connect(ctx, &c, &err) < 0)
		return (cli_fail(ctx, &err));
	if (container_call(c, method, params, &reply, &err) < 0)
		return (cli_fail_reply(ctx, &reply, &err));
	if ((*out = jsonmp_from_msgpack(reply.parameters, &err)) == NULL)
		return (cli_fail(ctx, &err));
	return (CLI_EXIT_OK);
}

/* top */

static int cmd_top_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_top_flags[] = {
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_top_entry = {
	.name = "top",
	.usage = "CONTAINER [ps OPTIONS]",
	.summary = "Display the running processes of a container",
	.flags = cmd_top_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_top_exec,
	.stop_at_positional = true,
};

const struct cmd_entry cmd_container_top_entry =
    CMD_SAME_AS("container top", cmd_top_entry, NULL);

/* "ps OPTIONS" as one string, as Docker sends them. */
static json_t *
ps_args(const struct args *args)
{
	size_t len = 0;
	char *s;
	json_t *j;
	int i;

	for (i = 1; i < args->argc; i++)
		len += strlen(args->argv[i]) + 1;
	if ((s = calloc(1, len + 1)) == NULL)
		return (NULL);
	for (i = 1; i < args->argc; i++) {
		if (i > 1)
			strcat(s, " ");
		strcat(s, args->argv[i]);
	}
	j = json_string(s);
	free(s);
	return (j);
}

static int
print_top(struct cmd_ctx *ctx, const json_t *reply)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	const json_t *titles = json_object_get(reply, "titles");
	const json_t *procs = json_object_get(reply, "processes");
	struct fmt_tab *tw = fmt_tab_new();
	const json_t *row;
	size_t i;
	int rc = 0;

	if (tw == NULL)
		return (CLI_EXIT_ENGINE);
	for (i = 0; rc == 0 && i <= json_array_size(procs); i++) {
		cleanup_free char *line = NULL;
		const json_t *v;
		size_t j;

		row = i == 0 ? titles : json_array_get(procs, i - 1);
		if ((line = strdup("")) == NULL)
			break;
		json_array_foreach(row, j, v) {
			char *grown;

			if (asprintf(&grown, "%s%s%s", line, j > 0 ? "\t" : "",
			    json_string_value(v) != NULL ?
			    json_string_value(v) : "") < 0)
				break;
			free(line);
			line = grown;
		}
		rc = fmt_tab_add(tw, line);
	}
	if (rc == 0)
		rc = fmt_tab_flush(tw, ctx->out);
	fmt_tab_free(tw);
	fflush(ctx->out);
	if (rc < 0) {
		berth_error_sys(&err, "write output");
		return (cli_fail(ctx, &err));
	}
	return (CLI_EXIT_OK);
}

static int
cmd_top_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_json json_t *reply = NULL;
	json_t *p = NULL;
	int rc;

	if (args->argc > 1)
		p = container_params(args->argv[0], "ps_args", ps_args(args));
	else
		p = container_params(args->argv[0], NULL, NULL);
	rc = call_json(ctx, "io.berth.Container.Top", p, &reply);
	if (p != NULL)
		json_decref(p);
	return (rc != CLI_EXIT_OK ? rc : print_top(ctx, reply));
}

/* rename */

static int cmd_rename_exec(struct cmd_ctx *, const struct args *);

const struct cmd_entry cmd_rename_entry = {
	.name = "rename",
	.usage = "CONTAINER NEW_NAME",
	.summary = "Rename a container",
	.flags = cmd_top_flags,
	.args_min = 2,
	.args_max = 2,
	.exec = cmd_rename_exec,
};

const struct cmd_entry cmd_container_rename_entry =
    CMD_SAME_AS("container rename", cmd_rename_entry, NULL);

static int
cmd_rename_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_json json_t *reply = NULL;
	cleanup_json json_t *p = NULL;

	if (args->argv[0][0] == '\0' || args->argv[1][0] == '\0') {
		fprintf(ctx->err, "Error: Neither old nor new names may be "
		    "empty\n");
		return (CLI_EXIT_FAILURE);
	}
	p = container_params(args->argv[0], "name",
	    json_string(args->argv[1]));
	return (call_json(ctx, "io.berth.Container.Rename", p, &reply));
}

/* diff */

static int cmd_diff_exec(struct cmd_ctx *, const struct args *);

const struct cmd_entry cmd_diff_entry = {
	.name = "diff",
	.usage = "CONTAINER",
	.summary = "Inspect changes to files or directories on a container's "
	    "filesystem",
	.flags = cmd_top_flags,
	.args_min = 1,
	.args_max = 1,
	.exec = cmd_diff_exec,
};

const struct cmd_entry cmd_container_diff_entry =
    CMD_SAME_AS("container diff", cmd_diff_entry, NULL);

static int
cmd_diff_exec(struct cmd_ctx *ctx, const struct args *args)
{
	static const char kinds[] = "CAD";
	cleanup_json json_t *reply = NULL;
	cleanup_json json_t *p = container_params(args->argv[0], NULL, NULL);
	const json_t *ch;
	json_int_t kind;
	size_t i;
	int rc;

	if ((rc = call_json(ctx, "io.berth.Container.Diff", p, &reply)) !=
	    CLI_EXIT_OK)
		return (rc);
	json_array_foreach(json_object_get(reply, "changes"), i, ch) {
		kind = json_integer_value(json_object_get(ch, "kind"));
		fprintf(ctx->out, "%c %s\n", kind >= 0 && kind <= 2 ?
		    kinds[kind] : '?', json_string_value(json_object_get(ch,
		    "path")));
	}
	fflush(ctx->out);
	return (CLI_EXIT_OK);
}

/* export */

static int cmd_export_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_export_flags[] = {
	{ "output", 'o', "FILE", "Write to a file, instead of STDOUT" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_export_entry = {
	.name = "export",
	.usage = "CONTAINER",
	.summary = "Export a container's filesystem as a tar archive",
	.flags = cmd_export_flags,
	.args_min = 1,
	.args_max = 1,
	.exec = cmd_export_exec,
};

const struct cmd_entry cmd_container_export_entry =
    CMD_SAME_AS("container export", cmd_export_entry, NULL);

/* Write every {"data"} reply of the call pending on c to ctx->out, or
 * to of (made once the first reply came: a refused export touches no
 * file). */
static int
export_to(struct cmd_ctx *ctx, struct berth_client *c, struct outfile *of)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	const msgpack_object *data;
	const char *p;
	size_t left;
	ssize_t n;
	int fd = fileno(ctx->out);

	do {
		if (berth_recv(c, &reply, &err) < 0)
			return (cli_fail_reply(ctx, &reply, &err));
		if (of != NULL && of->fd < 0) {
			if (outfile_open(of) < 0) {
				fprintf(ctx->err, "Error: failed to export "
				    "container: open %s: %s\n", of->path,
				    strerror(errno));
				return (CLI_EXIT_FAILURE);
			}
			fd = of->fd;
		}
		data = berth_map_get(reply.parameters, "data");
		if (data == NULL || data->type != MSGPACK_OBJECT_BIN)
			continue;
		for (p = data->via.bin.ptr, left = data->via.bin.size;
		    left > 0; p += n, left -= (size_t)n)
			if ((n = write(fd, p, left)) < 0 && errno != EINTR) {
				fprintf(ctx->err, "Error: failed to export "
				    "container: write %s: %s\n", of != NULL ?
				    of->path : "standard output",
				    strerror(errno));
				return (CLI_EXIT_FAILURE);
			} else if (n < 0)
				n = 0;
	} while (reply.continues);
	if (of != NULL && outfile_commit(of) < 0) {
		fprintf(ctx->err, "Error: failed to export container: %s: %s\n",
		    of->path, strerror(errno));
		return (CLI_EXIT_FAILURE);
	}
	return (CLI_EXIT_OK);
}

static int
cmd_export_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *p = container_params(args->argv[0], NULL, NULL);
	const char *output = args_get(args, "output");
	struct outfile of;
	int rc;

	if (output != NULL && strcmp(output, "-") == 0)
		output = NULL;
	fflush(ctx->out);
	if (output == NULL && isatty(fileno(ctx->out))) {
		fprintf(ctx->err, "cowardly refusing to save to a terminal. "
		    "Use the -o flag or redirect\n");
		return (CLI_EXIT_FAILURE);
	}
	if (p == NULL)
		return (CLI_EXIT_ENGINE);
	if (cli_connect(ctx, &c, &err) < 0 || container_send(c,
	    "io.berth.Container.Export", p, BERTH_CALL_MORE, &err) < 0)
		return (cli_fail(ctx, &err));
	if (output == NULL)
		return (export_to(ctx, c, NULL));
	outfile_init(&of, output);
	rc = export_to(ctx, c, &of);
	outfile_abort(&of);	/* nothing left after a commit */
	return (rc);
}

/* stats */

static int cmd_stats_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_stats_flags[] = {
	{ "all", 'a', NULL, "Show all containers (default shows just "
	    "running)" },
	{ "format", 0, "FORMAT", "Format output using a Go template subset, "
	    "or 'json'" },
	{ "no-stream", 0, NULL, "Disable streaming stats and only pull the "
	    "first result" },
	{ "no-trunc", 0, NULL, "Do not truncate output" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_stats_entry = {
	.name = "stats",
	.usage = "[CONTAINER...]",
	.summary = "Display a live stream of container(s) resource usage "
	    "statistics",
	.flags = cmd_stats_flags,
	.args_min = 0,
	.args_max = -1,
	.exec = cmd_stats_exec,
};

const struct cmd_entry cmd_container_stats_entry =
    CMD_SAME_AS("container stats", cmd_stats_entry, NULL);

#define STATS_FORMAT	"table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t" \
			"{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t" \
			"{{.BlockIO}}\t{{.PIDs}}"

static const struct fmt_header stats_headers[] = {
	{ "Container", "CONTAINER" },
	{ "ID", "CONTAINER ID" },
	{ "Name", "NAME" },
	{ "CPUPerc", "CPU %" },
	{ "MemUsage", "MEM USAGE / LIMIT" },
	{ "MemPerc", "MEM %" },
	{ "NetIO", "NET I/O" },
	{ "BlockIO", "BLOCK I/O" },
	{ "PIDs", "PIDS" },
	{ NULL, NULL }
};

/* One container watched: its connection and its last row. */
struct stats_target {
	const char		*name;		/* as asked for */
	struct berth_client	*c;
	json_t			*row;
	bool			 done;
};

/* A number at a dotted path of the stats document, 0 if missing. */
static double
stat_num(const json_t *doc, const char *path)
{
	char key[64];
	size_t n;

	while (doc != NULL && *path != '\0') {
		n = strcspn(path, ".");
		snprintf(key, sizeof(key), "%.*s", (int)n, path);
		doc = json_object_get(doc, key);
		path += n + (path[n] == '.');
	}
	return (json_is_number(doc) ? json_number_value(doc) : 0);
}

/* go-units BytesSize: binary units, 4 significant digits, no space. */
static char *
binary_size(double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
	    "PiB" };
	char *out;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	return (asprintf(&out, "%.4g%s", v, units[u]) < 0 ? NULL : out);
}

/* "1.2kB / 3.4kB", Docker's NET I/O and BLOCK I/O. */
static json_t *
pair_size(double a, double b, bool binary)
{
	cleanup_free char *x = binary ? binary_size(a) : fmt_human_size(a, 3);
	cleanup_free char *y = binary ? binary_size(b) : fmt_human_size(b, 3);

	if (x == NULL || y == NULL)
		return (NULL);
	return (json_sprintf("%s / %s", x, y));
}

/* Docker's calculateCPUPercentUnix. */
static double
cpu_percent(const json_t *s)
{
	double cpu = stat_num(s, "cpu_stats.cpu_usage.total_usage") -
	    stat_num(s, "precpu_stats.cpu_usage.total_usage");
	double sys = stat_num(s, "cpu_stats.system_cpu_usage") -
	    stat_num(s, "precpu_stats.system_cpu_usage");

	if (sys > 0 && cpu > 0)
		return (cpu / sys * stat_num(s, "cpu_stats.online_cpus") *
		    100.0);
	return (0);
}

/* Usage less the inactive page cache, as docker stats shows it. */
static double
mem_usage(const json_t *s)
{
	double usage = stat_num(s, "memory_stats.usage");
	const json_t *st = json_object_get(json_object_get(s,
	    "memory_stats"), "stats");
	double cache = json_object_get(st, "total_inactive_file") != NULL ?
	    stat_num(st, "total_inactive_file") :
	    stat_num(st, "inactive_file");

	return (cache < usage ? usage - cache : usage);
}

static void
io_sums(const json_t *s, double *net_rx, double *net_tx, double *rd,
    double *wr)
{
	const json_t *nets = json_object_get(s, "networks"), *v;
	const json_t *blk = json_object_get(json_object_get(s, "blkio_stats"),
	    "io_service_bytes_recursive");
	const char *key, *op;
	size_t i;

	*net_rx = *net_tx = *rd = *wr = 0;
	json_object_foreach((json_t *)nets, key, v) {
		*net_rx += stat_num(v, "rx_bytes");
		*net_tx += stat_num(v, "tx_bytes");
	}
	json_array_foreach(blk, i, v) {
		op = json_string_value(json_object_get(v, "op"));
		if (op != NULL && strcasecmp(op, "read") == 0)
			*rd += stat_num(v, "value");
		else if (op != NULL && strcasecmp(op, "write") == 0)
			*wr += stat_num(v, "value");
	}
}

/* The row --format sees for one stats document. */
static json_t *
stats_row(const json_t *s, const char *container, bool no_trunc)
{
	const char *id = json_string_value(json_object_get(s, "id"));
	const char *name = json_string_value(json_object_get(s, "name"));
	double limit = stat_num(s, "memory_stats.limit"), mem = mem_usage(s);
	double rx, tx, rd, wr;

	io_sums(s, &rx, &tx, &rd, &wr);
	if (id == NULL)
		id = "";
	if (name == NULL)
		name = "";
	return (json_pack("{s:s, s:s#, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "Container", container,
	    "ID", id, no_trunc ? (int)strlen(id) : (int)strnlen(id, 12),
	    "Name", name[0] == '/' ? name + 1 : name,
	    "CPUPerc", json_sprintf("%.2f%%", cpu_percent(s)),
	    "MemUsage", pair_size(mem, limit, true),
	    "MemPerc", json_sprintf("%.2f%%", limit > 0 ? mem / limit *
	    100.0 : 0),
	    "NetIO", pair_size(rx, tx, false),
	    "BlockIO", pair_size(rd, wr, false),
	    "PIDs", json_sprintf("%.0f", stat_num(s, "pids_stats.current"))));
}

/* The names to watch: those given, else List's (running, or all). */
static json_t *
stats_names(struct cmd_ctx *ctx, const struct args *args, int *rc)
{
	cleanup_json json_t *reply = NULL;
	cleanup_json json_t *p = NULL;
	json_t *names = json_array(), *row;
	size_t i;
	int j;

	*rc = CLI_EXIT_OK;
	if (names == NULL || args->argc > 0) {
		for (j = 0; names != NULL && j < args->argc; j++)
			json_array_append_new(names,
			    json_string(args->argv[j]));
		return (names);
	}
	p = json_pack("{s:b}", "all", args_has(args, "all"));
	if ((*rc = call_json(ctx, "io.berth.Container.List", p, &reply)) !=
	    CLI_EXIT_OK) {
		json_decref(names);
		return (NULL);
	}
	json_array_foreach(json_object_get(reply, "containers"), i, row)
		json_array_append(names, json_object_get(row, "id"));
	return (names);
}

static void
stats_targets_free(struct stats_target *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		berth_close(t[i].c);
		if (t[i].row != NULL)
			json_decref(t[i].row);
	}
	free(t);
}

/* A Stats call per container, each on its own connection. */
static int
stats_open(struct cmd_ctx *ctx, const json_t *names, bool stream,
    struct stats_target **out)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct stats_target *t;
	size_t i, n = json_array_size(names);

	if ((t = calloc(n + 1, sizeof(*t))) == NULL)
		return (CLI_EXIT_ENGINE);
	*out = t;
	for (i = 0; i < n; i++) {
		cleanup_json json_t *p = NULL;

		t[i].name = json_string_value(json_array_get(names, i));
		p = container_params(t[i].name, "stream", json_boolean(stream));
		if (p == NULL)
			return (CLI_EXIT_ENGINE);
		if (cli_connect(ctx, &t[i].c, &err) < 0 ||
		    container_send(t[i].c, "io.berth.Container.Stats", p,
		    stream ? BERTH_CALL_MORE : 0, &err) < 0)
			return (cli_fail(ctx, &err));
	}
	return (CLI_EXIT_OK);
}

/* The next reply of each container still sending. */
static int
stats_read(struct cmd_ctx *ctx, struct stats_target *t, size_t n,
    bool no_trunc)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_json json_t *doc = NULL;
	json_t *row;
	size_t i;

	for (i = 0; i < n; i++) {
		if (t[i].done)
			continue;
		if (berth_recv(t[i].c, &reply, &err) < 0)
			return (cli_fail_reply(ctx, &reply, &err));
		t[i].done = !reply.continues;
		if (doc != NULL)
			json_decref(doc);
		if ((doc = jsonmp_from_msgpack(berth_map_get(reply.parameters,
		    "stats"), &err)) == NULL)
			return (cli_fail(ctx, &err));
		if ((row = stats_row(doc, t[i].name, no_trunc)) == NULL)
			return (CLI_EXIT_ENGINE);
		if (t[i].row != NULL)
			json_decref(t[i].row);
		t[i].row = row;
	}
	return (CLI_EXIT_OK);
}

static int
stats_print(struct cmd_ctx *ctx, const char *format, struct stats_target *t,
    size_t n, bool clear)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_json json_t *rows = json_array();
	size_t i;

	if (rows == NULL)
		return (CLI_EXIT_ENGINE);
	for (i = 0; i < n; i++)
		if (t[i].row != NULL)
			json_array_append(rows, t[i].row);
	/* Without escapes (not a terminal, or TERM=dumb) each table
	 * follows the last. */
	if (clear)
		term_escape(ctx->out, ESC_CLEAR_SCREEN);
	if (fmt_print_rows(ctx->out, format, rows, stats_headers, &err) < 0)
		return (berth_error_is(&err, BERTH_E_INVALID_PARAM) ?
		    cli_usage_error(ctx, ctx->entry, "%s",
		    berth_error_message(&err)) : cli_fail(ctx, &err));
	return (CLI_EXIT_OK);
}

static bool
stats_all_done(const struct stats_target *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!t[i].done)
			return (false);
	return (true);
}

static int
cmd_stats_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_json json_t *names = NULL;
	const char *format = args_get(args, "format");
	bool stream = !args_has(args, "no-stream");
	bool no_trunc = args_has(args, "no-trunc");
	bool live = stream && isatty(fileno(ctx->out));
	struct stats_target *t = NULL;
	size_t n;
	int rc;

	if (format == NULL || format[0] == '\0')
		format = STATS_FORMAT;
	else if (strcmp(format, "json") == 0)
		format = "{{json .}}";
	if ((names = stats_names(ctx, args, &rc)) == NULL)
		return (rc != CLI_EXIT_OK ? rc : CLI_EXIT_ENGINE);
	n = json_array_size(names);
	if ((rc = stats_open(ctx, names, stream, &t)) == CLI_EXIT_OK)
		do {
			if ((rc = stats_read(ctx, t, n, no_trunc)) !=
			    CLI_EXIT_OK)
				break;
			rc = stats_print(ctx, format, t, n, live);
		} while (rc == CLI_EXIT_OK && stream && !stats_all_done(t, n));
	stats_targets_free(t, n);
	return (rc);
}
