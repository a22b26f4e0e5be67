/*
 * berth shell: the REPL (repl.c), or a script of berth commands read
 * from standard input when it is not a terminal.
 */
#include "cli.h"
#include "repl.h"

static int cmd_shell_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_shell_flags[] = {
	{ "keep-going", 'k', NULL, "In a script, run the next commands after "
	    "one fails" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_shell_entry = {
	.name = "shell",
	.usage = "",
	.summary = "Run berth commands interactively, or a script of them",
	.help =
	    "On a terminal: a prompt taking any berth command without the\n"
	    "\"berth \" prefix, with line editing, history (~/.berth_history,\n"
	    "or $BERTH_HISTORY), ctrl-R to search it, and TAB to complete\n"
	    "commands, flags, containers, images and the methods of \"call\".\n"
	    "ctrl-C interrupts the running command; \"exit\" or ctrl-D leaves.\n"
	    "\"berth\" with no command on a terminal does the same.\n"
	    "\n"
	    "Otherwise standard input is a script: one command a line, blank\n"
	    "lines and lines starting with # skipped, words split as a shell\n"
	    "does (\"...\", '...', backslash).  Commands get /dev/null as\n"
	    "their standard input.  The first command that fails ends the\n"
	    "script with its exit status, unless --keep-going is given; then\n"
	    "the status is the last failing command's, or 0.\n",
	.flags = cmd_shell_flags,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_shell_exec,
};

static int
cmd_shell_exec(struct cmd_ctx *ctx, const struct args *args)
{
	return (repl_run(ctx, args_has(args, "keep-going")));
}
