/*
 * berth help [COMMAND]: the same text as "berth --help" and
 * "berth COMMAND --help"; berth help --man: the manual page.
 */
#include "cli.h"

static int cmd_help_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_help_flags[] = {
	{ "man", 0, NULL, "Print the manual page berth(1), as roff" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.usage = "[COMMAND [SUBCOMMAND]]",
	.summary = "Show help for berth or one of its commands",
	.flags = cmd_help_flags,
	.args_min = 0,
	.args_max = 2,
	.exec = cmd_help_exec,
};

static int
cmd_help_exec(struct cmd_ctx *ctx, const struct args *args)
{
	const struct cmd_entry *entry;
	struct cmd_entry resolved;

	if (args_has(args, "man")) {
		if (args->argc > 0)
			return (cli_usage_error(ctx, &cmd_help_entry,
			    "--man takes no command"));
		cmd_print_man(ctx->out);
		return (CLI_EXIT_OK);
	}
	if (args->argc == 0) {
		cmd_print_main_help(ctx->out);
		return (CLI_EXIT_OK);
	}
	if ((entry = cmd_find(args->argv[0])) == NULL)
		return (cli_usage_error(ctx, &cmd_help_entry,
		    "unknown command: %s", args->argv[0]));
	if (args->argc == 2 && (entry = cmd_find_sub(entry,
	    args->argv[1])) == NULL)
		return (cli_usage_error(ctx, &cmd_help_entry,
		    "unknown command: %s %s", args->argv[0], args->argv[1]));
	cmd_print_help(cmd_resolve(entry, &resolved), ctx->out);
	return (CLI_EXIT_OK);
}
