/*
 * berth's REPL (berth shell, or berth with no command on a terminal):
 * berth commands typed without the "berth " prefix, edited with libedit,
 * with history and completion asked of the daemon; or, with standard
 * input not a terminal, a script of such commands read line by line.
 */
#ifndef BERTH_REPL_H
#define BERTH_REPL_H

#include <stdbool.h>

#include "cli.h"

/* Run the REPL on ctx's streams until exit, ctrl-D or the script's end;
 * returns the exit status.  In a script, the first failing command ends
 * it with that command's status, unless keep_going. */
int	repl_run(struct cmd_ctx *ctx, bool keep_going);
/* The REPL's completions of argv's last word (the word being typed,
 * maybe "") after the words before it, one a line on ctx->out: for the
 * shell completion scripts (berth completion). */
int	repl_complete_words(struct cmd_ctx *ctx, int argc, const char **argv);

#endif
