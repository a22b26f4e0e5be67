/*
 * The CLI's top level: global options, finding the command in the table,
 * parsing its flags, and running it.
 */
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "repl.h"

int
cli_main(int argc, char **argv, struct cmd_ctx *ctx)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	const struct cmd_entry *entry;
	struct cmd_entry resolved;
	struct args global, args;

	if (argc < 1)
		argc = 1;
	if (args_parse(&args_docker, cmd_global_flags, argc - 1, argv + 1, true, &global,
	    &err) < 0)
		return (cli_usage_error(ctx, NULL, "%s",
		    berth_error_message(&err)));
	ctx->host = args_get(&global, "host");
	if (args_has(&global, "version")) {
		fprintf(ctx->out, "%s version %s\n", CLI_NAME, BERTH_VERSION);
		return (CLI_EXIT_OK);
	}
	/* No command on a terminal: the REPL; scripts still get usage. */
	if (!args_has(&global, "help") && global.argc == 0 &&
	    isatty(fileno(ctx->in)) && isatty(fileno(ctx->out)))
		return (repl_run(ctx, false));
	if (args_has(&global, "help") || global.argc == 0) {
		cmd_print_main_help(ctx->out);
		return (CLI_EXIT_OK);
	}
	if ((entry = cmd_find(global.argv[0])) == NULL) {
		fprintf(ctx->err, "%s: '%s' is not a %s command.\n"
		    "See '%s --help'.\n", CLI_NAME, global.argv[0], CLI_NAME,
		    CLI_NAME);
		return (CLI_EXIT_ENGINE);
	}
	if (entry->subs != NULL && global.argc >= 2 &&
	    global.argv[1][0] != '-') {
		const struct cmd_entry *sub;

		if ((sub = cmd_find_sub(entry, global.argv[1])) == NULL) {
			fprintf(ctx->err, "%s: '%s %s' is not a %s command.\n"
			    "See '%s %s --help'.\n", CLI_NAME, entry->name,
			    global.argv[1], CLI_NAME, CLI_NAME, entry->name);
			return (CLI_EXIT_ENGINE);
		}
		entry = cmd_resolve(sub, &resolved);
		global.argc--;
		global.argv++;
	}
	ctx->entry = entry;
	if (args_parse(&args_docker, entry->flags, global.argc - 1,
	    global.argv + 1, entry->stop_at_positional, &args, &err) < 0)
		return (cli_usage_error(ctx, entry, "%s",
		    berth_error_message(&err)));
	if (args.help) {
		cmd_print_help(entry, ctx->out);
		return (CLI_EXIT_OK);
	}
	if (args_check_count(entry, &args, &err) < 0)
		return (cli_usage_error(ctx, entry, "%s",
		    berth_error_message(&err)));
	return (entry->exec(ctx, &args));
}
