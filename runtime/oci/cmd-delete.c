/*
 * delete: remove a stopped (or created) container's cgroup and state;
 * with --force also a running or paused one, killed first.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"

static int cmd_delete_exec(struct oci_ctx *, const struct args *);

static const struct args_flag cmd_delete_flags[] = {
	{ "force", 'f', NULL, "forcibly deletes the container if it is "
	    "still running (uses SIGKILL)" },
	{ NULL, 0, NULL, NULL }
};

const struct oci_cmd cmd_delete_entry = {
	.name = "delete",
	.usage = "<container-id>",
	.summary = "delete any resources held by the container",
	.flags = cmd_delete_flags,
	.args_min = 1,
	.args_max = 1,
	.exec = cmd_delete_exec,
};

/* What a create that died half way may leave: a directory with no
 * state.json.  --force removes it, as runc does. */
static void
delete_leftover(struct oci_ctx *ctx, const char *id)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s/%s", ctx->root, id, STATE_FIFO);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/%s/%s", ctx->root, id, STATE_CONFIG);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/%s", ctx->root, id);
	if (rmdir(path) < 0 && errno != ENOENT)
		oci_debug(ctx, "remove %s: %s", path, strerror(errno));
}

static int
delete_container(struct oci_ctx *ctx, struct oci_container *c, bool force,
    struct berth_error *err)
{
	enum oci_status st;

	if (state_status(c, &st, err) < 0)
		return (-1);
	if (!force && (st == OCI_STATUS_RUNNING || st == OCI_STATUS_PAUSED))
		return (berth_error_set(err, OCI_E_STATE, 0,
		    "cannot delete container %s that is not stopped: %s",
		    c->st.id, state_status_name(st)));
	return (container_destroy(ctx, c, err));
}

static int
cmd_delete_exec(struct oci_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct oci_container c = OCI_CONTAINER_INIT;
	bool force = args_has(args, "force");
	const char *id;
	int rc;

	if ((id = oci_arg_id(ctx, args)) == NULL)
		return (OCI_EXIT_FAILURE);
	rc = state_open(ctx->root, id, false, &c, &err);
	if (rc < 0 && force && berth_error_is(&err, OCI_E_NOT_FOUND)) {
		delete_leftover(ctx, id);
		state_close(&c);
		return (OCI_EXIT_OK);
	}
	if (rc == 0)
		rc = delete_container(ctx, &c, force, &err);
	state_close(&c);
	return (rc < 0 ? oci_fail(ctx, &err) : OCI_EXIT_OK);
}
