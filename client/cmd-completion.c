/*
 * berth completion bash: a bash completion script that asks berth itself
 * ("berth completion words -- WORD..."), so the shell completes from the
 * same command table, and the same live containers, images and methods,
 * as the REPL does (repl.c).
 */
#include <string.h>

#include "cli.h"
#include "repl.h"

static int cmd_completion_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_completion_flags[] = {
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_completion_entry = {
	.name = "completion",
	.usage = "bash | words -- WORD...",
	.summary = "Output a shell completion script",
	.help =
	    "\"berth completion bash\" prints a completion script for bash:\n"
	    "    source <(berth completion bash)\n"
	    "or save it as /usr/share/bash-completion/completions/berth.\n"
	    "\"berth completion words -- WORD...\" prints the candidates for\n"
	    "the last WORD after the others, one a line: what the script\n"
	    "calls.\n",
	.flags = cmd_completion_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_completion_exec,
	.stop_at_positional = true,
};

static const char bash_script[] =
"# bash completion for berth: source <(berth completion bash)\n"
"_berth()\n"
"{\n"
"\tlocal i=1 host=()\n"
"\t# -H/--host ADDRESS before the command: asked of that daemon.\n"
"\twhile [ $i -lt $COMP_CWORD ]; do\n"
"\t\tcase \"${COMP_WORDS[i]}\" in\n"
"\t\t-H|--host) host=(-H \"${COMP_WORDS[i+1]}\"); i=$((i + 2));;\n"
"\t\t-H*) host=(-H \"${COMP_WORDS[i]#-H}\"); i=$((i + 1));;\n"
"\t\t--host=*) host=(-H \"${COMP_WORDS[i]#--host=}\"); i=$((i + 1));;\n"
"\t\t*) break;;\n"
"\t\tesac\n"
"\tdone\n"
"\tlocal IFS=$'\\n'\n"
"\tCOMPREPLY=($(\"${COMP_WORDS[0]}\" \"${host[@]}\" completion words -- \\\n"
"\t    \"${COMP_WORDS[@]:i:COMP_CWORD-i+1}\" 2>/dev/null))\n"
"}\n"
"complete -o default -F _berth berth\n";

static int
cmd_completion_exec(struct cmd_ctx *ctx, const struct args *args)
{
	if (strcmp(args->argv[0], "bash") == 0 && args->argc == 1) {
		fputs(bash_script, ctx->out);
		return (CLI_EXIT_OK);
	}
	if (strcmp(args->argv[0], "words") == 0) {
		/* Everything after "words" is the line's words, flags too;
		 * the "--" that says so is not one of them. */
		int skip = args->argc > 1 && strcmp(args->argv[1], "--") == 0 ?
		    2 : 1;

		return (repl_complete_words(ctx, args->argc - skip,
		    (const char **)args->argv + skip));
	}
	return (cli_usage_error(ctx, ctx->entry, "unknown shell \"%s\": bash",
	    args->argv[0]));
}
