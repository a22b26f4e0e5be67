/*
 * ps: the processes in a container's cgroup, as a table (PID and command
 * line, read from /proc) or as the JSON array of pids containerd reads.
 */
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cleanup.h"
#include "config.h"
#include "oci.h"
#include "state.h"

static int cmd_ps_exec(struct oci_ctx *, const struct args *);

static const struct args_flag cmd_ps_flags[] = {
	{ "format", 'f', "FORMAT", "select one of: table or json (default: "
	    "\"table\")" },
	{ NULL, 0, NULL, NULL }
};

const struct oci_cmd cmd_ps_entry = {
	.name = "ps",
	.usage = "<container-id>",
	.summary = "ps displays the processes running inside a container",
	.flags = cmd_ps_flags,
	.args_min = 1,
	.args_max = 1,
	.flags_first = true,
	.exec = cmd_ps_exec,
};

static int
pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x < y ? -1 : x > y);
}

/* /proc/PID/cmdline with spaces for NULs, or "[comm]" for a kernel
 * thread or a zombie. */
static void
print_cmdline(pid_t pid)
{
	struct berth_error err = BERTH_ERROR_INIT;
	cleanup_free char *text = NULL;
	char path[64];
	size_t len, i;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if (oci_read_file(path, 4096, &text, &len, &err) == 0 && len > 0) {
		for (i = 0; i + 1 < len; i++)
			if (text[i] == '\0')
				text[i] = ' ';
		printf("%s\n", text);
		return;
	}
	berth_error_clear(&err);
	free(text);
	text = NULL;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (oci_read_file(path, 256, &text, &len, &err) == 0) {
		text[strcspn(text, "\n")] = '\0';
		printf("[%s]\n", text);
		return;
	}
	berth_error_clear(&err);
	printf("?\n");
}

static int
list_pids(struct oci_container *c, pid_t **pids, size_t *n,
    struct berth_error *err)
{
	struct rt_cgroup *cg = NULL;
	enum oci_status st;
	int rc;

	if (state_status(c, &st, err) < 0)
		return (-1);
	if (st == OCI_STATUS_STOPPED)
		return (berth_error_set(err, OCI_E_STATE, 0,
		    "container not running"));
	if (cgroup_open(c->st.cgroup_path, &cg, err) < 0)
		return (-1);
	rc = cgroup_pids(cg, pids, n, err);
	cgroup_free(cg);
	if (rc == 0)
		qsort(*pids, *n, sizeof(**pids), pid_cmp);
	return (rc);
}

static int
cmd_ps_exec(struct oci_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct oci_container c = OCI_CONTAINER_INIT;
	const char *format = args_get(args, "format");
	cleanup_free pid_t *pids = NULL;
	cleanup_json json_t *j = NULL;
	const char *id;
	size_t n = 0, i;
	int rc;

	if ((id = oci_arg_id(ctx, args)) == NULL)
		return (OCI_EXIT_FAILURE);
	if (format != NULL && strcmp(format, "table") != 0 &&
	    strcmp(format, "json") != 0)
		return (oci_failf(ctx, "invalid format option"));
	rc = state_open(ctx->root, id, true, &c, &err) < 0 ||
	    list_pids(&c, &pids, &n, &err) < 0 ? -1 : 0;
	state_close(&c);
	if (rc < 0)
		return (oci_fail(ctx, &err));
	if (format != NULL && strcmp(format, "json") == 0) {
		if ((j = json_array()) == NULL)
			return (oci_failf(ctx, "out of memory"));
		for (i = 0; i < n; i++)
			json_array_append_new(j, json_integer(pids[i]));
		return (oci_print_json(stdout, j, 0, &err) < 0 ?
		    oci_fail(ctx, &err) : OCI_EXIT_OK);
	}
	printf("%-8s %s\n", "PID", "CMD");
	for (i = 0; i < n; i++) {
		printf("%-8d ", (int)pids[i]);
		print_cmdline(pids[i]);
	}
	return (OCI_EXIT_OK);
}
