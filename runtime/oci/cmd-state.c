/*
 * state and list: containers as OCI state JSON (one by ID, or every one
 * under --root as a table or a JSON array).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "oci.h"
#include "state.h"

static int cmd_state_exec(struct oci_ctx *, const struct args *);
static int cmd_list_exec(struct oci_ctx *, const struct args *);

static const struct args_flag cmd_list_flags[] = {
	{ "format", 'f', "FORMAT", "select one of: table or json (default: "
	    "\"table\")" },
	{ "quiet", 'q', NULL, "display only container IDs" },
	{ NULL, 0, NULL, NULL }
};

const struct oci_cmd cmd_state_entry = {
	.name = "state",
	.usage = "<container-id>",
	.summary = "output the state of a container",
	.flags = (const struct args_flag[]){ { NULL, 0, NULL, NULL } },
	.args_min = 1,
	.args_max = 1,
	.exec = cmd_state_exec,
};

const struct oci_cmd cmd_list_entry = {
	.name = "list",
	.usage = "",
	.summary = "lists containers started by berth-runtime with the given "
	    "root",
	.flags = cmd_list_flags,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_list_exec,
};

/* One container's state JSON; NULL with err set. */
static json_t *
state_of(struct oci_ctx *ctx, const char *id, struct berth_error *err)
{
	struct oci_container c = OCI_CONTAINER_INIT;
	enum oci_status st;
	json_t *j = NULL;

	if (state_open(ctx->root, id, true, &c, err) == 0 &&
	    state_status(&c, &st, err) == 0 &&
	    (j = state_to_json(&c, st)) == NULL)
		berth_error_set(err, BERTH_E_INTERNAL, 0, "state of %s", id);
	state_close(&c);
	return (j);
}

static int
cmd_state_exec(struct oci_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_json json_t *j = NULL;
	const char *id;

	if ((id = oci_arg_id(ctx, args)) == NULL)
		return (OCI_EXIT_FAILURE);
	if ((j = state_of(ctx, id, &err)) == NULL ||
	    oci_print_json(stdout, j, 2, &err) < 0)
		return (oci_fail(ctx, &err));
	return (OCI_EXIT_OK);
}

static int
id_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Every container's state, sorted by ID; the ones deleted meanwhile
 * are left out. */
static int
list_states(struct oci_ctx *ctx, json_t *out, struct berth_error *err)
{
	cleanup_free char **ids = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	char **grown;
	json_t *j;
	DIR *d;

	if ((d = opendir(ctx->root)) == NULL)
		return (0);	/* no root: no containers, as runc */
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || state_id_check(de->d_name,
		    err) < 0) {
			berth_error_clear(err);
			continue;
		}
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((grown = reallocarray(ids, cap,
			    sizeof(*ids))) == NULL)
				break;
			ids = grown;
		}
		if ((ids[n] = strdup(de->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	qsort(ids, n, sizeof(*ids), id_cmp);
	for (i = 0; i < n; i++) {
		if ((j = state_of(ctx, ids[i], err)) != NULL)
			json_array_append_new(out, j);
		else
			oci_debug(ctx, "list: %s: %s", ids[i],
			    berth_error_message(err));
		berth_error_clear(err);
		free(ids[i]);
	}
	return (0);
}

static const char *
jstr(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return (s != NULL ? s : "");
}

static void
list_table(json_t *list)
{
	static const char *const cols[] = { "ID", "PID", "STATUS", "BUNDLE",
	    "CREATED", "OWNER" };
	int w[6], i;
	char pid[24];
	size_t k;
	json_t *j;

	for (i = 0; i < 6; i++)
		w[i] = (int)strlen(cols[i]);
	json_array_foreach(list, k, j) {
		const char *v[6] = { jstr(j, "id"), "", jstr(j, "status"),
		    jstr(j, "bundle"), jstr(j, "created"), jstr(j, "owner") };

		snprintf(pid, sizeof(pid), "%lld", (long long)
		    json_integer_value(json_object_get(j, "pid")));
		v[1] = pid;
		for (i = 0; i < 6; i++)
			if ((int)strlen(v[i]) > w[i])
				w[i] = (int)strlen(v[i]);
	}
	for (i = 0; i < 6; i++)
		printf("%-*s%s", w[i], cols[i], i < 5 ? "   " : "\n");
	json_array_foreach(list, k, j) {
		snprintf(pid, sizeof(pid), "%lld", (long long)
		    json_integer_value(json_object_get(j, "pid")));
		printf("%-*s   %-*s   %-*s   %-*s   %-*s   %s\n", w[0],
		    jstr(j, "id"), w[1], pid, w[2], jstr(j, "status"), w[3],
		    jstr(j, "bundle"), w[4], jstr(j, "created"),
		    jstr(j, "owner"));
	}
}

static int
cmd_list_exec(struct oci_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_json json_t *list = json_array();
	const char *format = args_get(args, "format");
	size_t i;
	json_t *j;

	if (format != NULL && strcmp(format, "table") != 0 &&
	    strcmp(format, "json") != 0)
		return (oci_failf(ctx, "invalid format option"));
	if (list == NULL || list_states(ctx, list, &err) < 0)
		return (oci_fail(ctx, &err));
	if (args_has(args, "quiet")) {
		json_array_foreach(list, i, j)
			printf("%s\n", jstr(j, "id"));
		return (OCI_EXIT_OK);
	}
	if (format != NULL && strcmp(format, "json") == 0)
		return (oci_print_json(stdout, list, 0, &err) < 0 ?
		    oci_fail(ctx, &err) : OCI_EXIT_OK);
	list_table(list);
	return (OCI_EXIT_OK);
}
