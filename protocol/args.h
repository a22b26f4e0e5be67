/*
 * Command-line parsing driven by a flag table, shared by berth (Docker's
 * habits) and berth-runtime (runc's): long flags (--name, --name=value,
 * --name value), short ones (-x, -xvalue, -x value, -ab for switches),
 * "--" to end flags, --help on every command, every value of a repeated
 * flag kept.  argv is permuted, as getopt does: the positional arguments
 * end up at its front, in order.
 */
#ifndef BERTH_ARGS_H
#define BERTH_ARGS_H

#include <stdbool.h>

#include "error.h"

#define ARGS_FLAGS_MAX	48	/* flags of one command (run has 33) */
#define ARGS_VALUES_MAX	64	/* values of one repeated flag */

struct args_flag {
	const char	*name;		/* long name, without "--" */
	char		 letter;	/* short letter, or 0 */
	const char	*arg;		/* the value's name ("FORMAT"), or NULL
					   for a switch */
	const char	*help;
};

/* What differs between the tools berth's commands imitate. */
struct args_dialect {
	const char	*error_name;	/* of usage errors */
	/* runc (urfave/cli): its wording, -h for help, and switches taking
	 * =true or =false.  Otherwise Docker's CLI wording. */
	bool		 runc;
};

extern const struct args_dialect args_docker;
extern const struct args_dialect args_runc;

struct args {
	const struct args_flag	*flags;
	const char		*values[ARGS_FLAGS_MAX][ARGS_VALUES_MAX];
	int			 nvalues[ARGS_FLAGS_MAX];
	bool			 set[ARGS_FLAGS_MAX];
	bool			 help;		/* --help was given */
	int			 argc;		/* positional arguments */
	char			**argv;
};

/* Parse argv against flags (ending with { NULL }).  With
 * stop_at_positional, flags end at the first positional argument (global
 * options, or "exec ID sh -c x" handing -c to sh); otherwise flags and
 * positionals mix until "--". */
int	args_parse(const struct args_dialect *d, const struct args_flag *flags,
	    int argc, char **argv, bool stop_at_positional, struct args *args,
	    struct berth_error *err);
bool	args_has(const struct args *args, const char *name);
/* The last value given, or NULL. */
const char *args_get(const struct args *args, const char *name);
/* Every value given, in order; *n set to their count. */
const char *const *args_all(const struct args *args, const char *name,
	    int *n);

#endif
