/*
 * berth-runtime: an OCI runtime with runc's command surface on berth's
 * spawner.  This file owns the command table, the global options (which
 * containerd and Docker give before the command: --root, --log,
 * --log-format, --debug, --systemd-cgroup, --rootless, --criu) and help.
 */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "oci.h"
#include "state.h"

static const struct oci_cmd *const cmd_table[] = {
	&cmd_create_entry,
	&cmd_delete_entry,
	&cmd_exec_entry,
	&cmd_features_entry,
	&cmd_kill_entry,
	&cmd_list_entry,
	&cmd_pause_entry,
	&cmd_ps_entry,
	&cmd_resume_entry,
	&cmd_run_entry,
	&cmd_spec_entry,
	&cmd_start_entry,
	&cmd_state_entry,
	NULL
};

static const struct args_flag global_flags[] = {
	{ "root", 0, "DIR", "root directory for storage of container state "
	    "(default \"" OCI_DEFAULT_ROOT "\")" },
	{ "log", 0, "FILE", "append berth-runtime's log lines to FILE "
	    "(default: only errors, on stderr)" },
	{ "log-format", 0, "FORMAT", "format of --log lines: text "
	    "(default) or json" },
	{ "debug", 0, NULL, "enable debug logging" },
	{ "systemd-cgroup", 0, NULL, "not supported: cgroupsPath is a "
	    "cgroupfs path" },
	{ "rootless", 0, "VALUE", "true, false or auto (default); true is "
	    "not supported" },
	{ "criu", 0, "PATH", "accepted for runc compatibility "
	    "(no checkpoint/restore)" },
	{ "version", 'v', NULL, "print the version" },
	{ NULL, 0, NULL, NULL }
};

static const struct oci_cmd *
cmd_find(const char *name)
{
	const struct oci_cmd *const *e;

	for (e = cmd_table; *e != NULL; e++)
		if (strcmp((*e)->name, name) == 0)
			return (*e);
	return (NULL);
}

static void
print_flags(FILE *f, const struct args_flag *flags)
{
	char name[64];
	int i;

	for (i = 0; flags[i].name != NULL; i++) {
		snprintf(name, sizeof(name), "--%s%s%s%s%s", flags[i].name,
		    flags[i].arg != NULL ? " " : "",
		    flags[i].arg != NULL ? flags[i].arg : "",
		    flags[i].letter != '\0' ? ", -" : "",
		    flags[i].letter != '\0' ? (char[]){ flags[i].letter,
		    '\0' } : "");
		fprintf(f, "   %-28s %s\n", name, flags[i].help);
	}
	fprintf(f, "   %-28s %s\n", "--help, -h", "show help");
}

static void
print_cmd_help(const struct oci_cmd *cmd, FILE *f)
{
	fprintf(f, "NAME:\n   %s %s - %s\n\nUSAGE:\n   %s %s [command "
	    "options] %s\n\nOPTIONS:\n", OCI_NAME, cmd->name, cmd->summary,
	    OCI_NAME, cmd->name, cmd->usage);
	print_flags(f, cmd->flags);
}

static void
print_main_help(FILE *f)
{
	const struct oci_cmd *const *e;

	fprintf(f, "NAME:\n   %s - berth's Open Container Initiative "
	    "runtime\n\nUSAGE:\n   %s [global options] command [command "
	    "options] [arguments...]\n\nCOMMANDS:\n", OCI_NAME, OCI_NAME);
	for (e = cmd_table; *e != NULL; e++)
		fprintf(f, "   %-10s %s\n", (*e)->name, (*e)->summary);
	fprintf(f, "\nGLOBAL OPTIONS:\n");
	print_flags(f, global_flags);
}

const char *
oci_arg_id(struct oci_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;

	if (args->argc < 1) {
		oci_failf(ctx, "container id cannot be empty");
		return (NULL);
	}
	if (state_id_check(args->argv[0], &err) < 0) {
		oci_fail(ctx, &err);
		return (NULL);
	}
	return (args->argv[0]);
}

/* The global options into ctx; an error message on failure. */
static int
global_apply(struct oci_ctx *ctx, const struct args *g,
    struct berth_error *err)
{
	const char *v;

	ctx->root = args_get(g, "root") != NULL ?
	    args_get(g, "root") : OCI_DEFAULT_ROOT;
	ctx->debug = args_has(g, "debug");
	if ((v = args_get(g, "log-format")) != NULL) {
		if (strcmp(v, "json") == 0)
			ctx->log_format = OCI_LOG_JSON;
		else if (strcmp(v, "text") != 0)
			return (berth_error_set(err, OCI_E_USAGE, 0,
			    "invalid log-format: %s", v));
	}
	if ((v = args_get(g, "log")) != NULL && v[0] != '\0' &&
	    strcmp(v, "/dev/stderr") != 0 &&
	    (ctx->log = fopen(v, "ae")) == NULL)
		return (berth_error_sys(err, "open log file %s", v));
	if (args_has(g, "systemd-cgroup"))
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "--systemd-cgroup is not supported: cgroupsPath is a "
		    "cgroupfs path"));
	if ((v = args_get(g, "rootless")) != NULL &&
	    strcmp(v, "false") != 0 && strcmp(v, "auto") != 0)
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "--rootless %s is not supported", v));
	return (0);
}

static int
oci_main(struct oci_ctx *ctx, int argc, char **argv)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_free struct args *g = NULL;
	const struct oci_cmd *cmd;
	struct args *args;

	/* Two tables of every flag's values: kept off the stack. */
	if ((g = calloc(2, sizeof(*g))) == NULL)
		return (oci_failf(ctx, "out of memory"));
	args = &g[1];
	if (args_parse(&args_runc, global_flags, argc - 1, argv + 1, true, g,
	    &err) < 0 || global_apply(ctx, g, &err) < 0)
		return (oci_fail(ctx, &err));
	if (args_has(g, "version")) {
		printf("%s version %s\nspec: %s\n", OCI_NAME, BERTH_VERSION,
		    OCI_VERSION);
		return (OCI_EXIT_OK);
	}
	if (g->help || g->argc == 0 || strcmp(g->argv[0], "help") == 0) {
		if (g->argc > 1 && (cmd = cmd_find(g->argv[1])) != NULL)
			print_cmd_help(cmd, stdout);
		else
			print_main_help(stdout);
		return (OCI_EXIT_OK);
	}
	if ((cmd = cmd_find(g->argv[0])) == NULL)
		return (oci_failf(ctx, "No help topic for '%s'", g->argv[0]));
	if (args_parse(&args_runc, cmd->flags, g->argc - 1, g->argv + 1,
	    cmd->flags_first, args, &err) < 0)
		return (oci_fail(ctx, &err));
	if (args->help) {
		print_cmd_help(cmd, stdout);
		return (OCI_EXIT_OK);
	}
	if (args->argc < cmd->args_min || (cmd->args_max >= 0 &&
	    args->argc > cmd->args_max))
		return (oci_failf(ctx, "%s: expected %s", cmd->name,
		    cmd->usage[0] != '\0' ? cmd->usage : "no arguments"));
	oci_debug(ctx, "%s %s", cmd->name, args->argc > 0 ? args->argv[0] :
	    "");
	return (cmd->exec(ctx, args));
}

int
main(int argc, char **argv)
{
	struct oci_ctx ctx;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.root = OCI_DEFAULT_ROOT;
	if (argc < 1)
		return (OCI_EXIT_FAILURE);
	rc = oci_main(&ctx, argc, argv);
	if (ctx.log != NULL)
		fclose(ctx.log);
	return (rc);
}
