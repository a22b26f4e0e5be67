/*
 * The CLI's unit tests run cli_main in-process with argv, its stdout and
 * stderr captured in memory.  NODAEMON points -H at a socket that is not
 * there, so anything reaching for the daemon says so ("Cannot connect").
 */
#ifndef BERTH_TEST_CLI_RUN_H
#define BERTH_TEST_CLI_RUN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "container.h"

#define NODAEMON	"-H", "unix:///nonexistent/berth-test.sock"

struct run {
	char	*out;
	char	*err;
	int	 rc;
};

/* Run the CLI with argv (NULL-terminated, at most 31 words). */
static inline void
run_cli(struct run *r, const char *const *argv)
{
	struct cmd_ctx ctx;
	size_t outsize, errsize;
	char *copy[32];
	int argc;

	for (argc = 0; argv[argc] != NULL && argc < 31; argc++)
		copy[argc] = strdup(argv[argc]);
	copy[argc] = NULL;
	memset(&ctx, 0, sizeof(ctx));
	ctx.in = stdin;
	ctx.out = open_memstream(&r->out, &outsize);
	ctx.err = open_memstream(&r->err, &errsize);
	r->rc = cli_main(argc, copy, &ctx);
	fclose(ctx.out);
	fclose(ctx.err);
	while (argc-- > 0)
		free(copy[argc]);
}

static inline void
run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* run's command line after "run" (NULL-terminated, at most 63 words),
 * parsed as cli_main parses it, as the Create call's parameters; "-e
 * KEY" looks KEY up with get_env. */
static inline json_t *
run_params(char *(*get_env)(const char *), const char *const *in,
    struct berth_error *err)
{
	extern const struct cmd_entry cmd_run_entry;
	char *argv[64];
	struct args a;
	int n;

	for (n = 0; in[n] != NULL && n < 63; n++)
		argv[n] = (char *)in[n];
	argv[n] = NULL;
	if (args_parse(&args_docker, cmd_run_entry.flags, n, argv, true, &a,
	    err) < 0)
		return (NULL);
	return (container_create_params(&a, get_env, err));
}

#endif
