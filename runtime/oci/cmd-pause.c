/*
 * pause and resume: freeze and thaw every process of a container through
 * its cgroup.
 */
#include "cgroup.h"
#include "cleanup.h"
#include "oci.h"
#include "state.h"

static int cmd_pause_exec(struct oci_ctx *, const struct args *);
static int cmd_resume_exec(struct oci_ctx *, const struct args *);

const struct oci_cmd cmd_pause_entry = {
	.name = "pause",
	.usage = "<container-id>",
	.summary = "pause suspends all processes inside the container",
	.flags = (const struct args_flag[]){ { NULL, 0, NULL, NULL } },
	.args_min = 1,
	.args_max = 1,
	.exec = cmd_pause_exec,
};

const struct oci_cmd cmd_resume_entry = {
	.name = "resume",
	.usage = "<container-id>",
	.summary = "resumes all processes that have been previously paused",
	.flags = (const struct args_flag[]){ { NULL, 0, NULL, NULL } },
	.args_min = 1,
	.args_max = 1,
	.exec = cmd_resume_exec,
};

static int
freeze(struct oci_container *c, bool frozen, struct berth_error *err)
{
	struct rt_cgroup *cg = NULL;
	enum oci_status st;
	int rc;

	if (state_status(c, &st, err) < 0)
		return (-1);
	if (frozen && st != OCI_STATUS_RUNNING)
		return (berth_error_set(err, OCI_E_STATE, 0,
		    "container not running"));
	if (!frozen && st != OCI_STATUS_PAUSED)
		return (berth_error_set(err, OCI_E_STATE, 0,
		    "container not paused"));
	if (cgroup_open(c->st.cgroup_path, &cg, err) < 0)
		return (-1);
	rc = cgroup_freeze(cg, frozen, err);
	cgroup_free(cg);
	return (rc);
}

static int
pause_resume(struct oci_ctx *ctx, const struct args *args, bool frozen)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct oci_container c = OCI_CONTAINER_INIT;
	const char *id;
	int rc;

	if ((id = oci_arg_id(ctx, args)) == NULL)
		return (OCI_EXIT_FAILURE);
	rc = state_open(ctx->root, id, false, &c, &err) < 0 ||
	    freeze(&c, frozen, &err) < 0 ? -1 : 0;
	state_close(&c);
	return (rc < 0 ? oci_fail(ctx, &err) : OCI_EXIT_OK);
}

static int
cmd_pause_exec(struct oci_ctx *ctx, const struct args *args)
{
	return (pause_resume(ctx, args, true));
}

static int
cmd_resume_exec(struct oci_ctx *ctx, const struct args *args)
{
	return (pause_resume(ctx, args, false));
}
