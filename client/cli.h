/*
 * The berth CLI's shared declarations: the command table and its entries,
 * parsed arguments, the context a command runs in, and the helpers the
 * command files share (connecting, reporting errors, JSON, display).
 *
 * A command is one file, cmd-NAME.c, defining one const struct cmd_entry,
 * and one line in cmd_table (cmd.c).  Everything about its command line is
 * data in the entry, so parsing, --help, "berth help" and (later) the REPL
 * and shell completions all come from the same place.
 */
#ifndef BERTH_CLI_H
#define BERTH_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>
#include <msgpack.h>

#include "args.h"
#include "berth.h"

/* Docker's exit code for "the CLI or the engine failed", as opposed to a
 * command's own failure (1). */
#define CLI_EXIT_OK		0
#define CLI_EXIT_FAILURE	1
#define CLI_EXIT_ENGINE		125

#define CLI_NAME		"berth"

/* A usage error, raised while parsing a command line. */
#define CLI_E_USAGE		"io.berth.Client.InvalidUsage"

/* Where a command runs: the daemon's address and its three streams. */
struct cmd_ctx {
	const char	*host;		/* -H, or NULL for $BERTH_HOST/default */
	FILE		*in;
	FILE		*out;
	FILE		*err;
	const struct cmd_entry *entry;	/* the command running */
};

struct cmd_entry {
	const char		*name;
	const char		*usage;		/* after "berth NAME [OPTIONS] " */
	const char		*summary;	/* one line, for lists */
	const char		*help;		/* more text for --help, or NULL */
	const struct args_flag	*flags;		/* ends with { NULL } */
	int			 args_min;
	int			 args_max;	/* -1: no limit */
	/* A group ("image"): its subcommands, ending with NULL, named
	 * "GROUP SUB"; exec runs when no subcommand is given. */
	const struct cmd_entry *const *subs;
	const char		*alias;		/* another name ("list") */
	/* A group's name for a top-level command ("container kill" for
	 * "kill"): all but name and alias come from it (cmd_resolve). */
	const struct cmd_entry	*same_as;
	/* Returns the exit status. */
	int			(*exec)(struct cmd_ctx *,
				    const struct args *);
	/* Flags end at the first positional argument: "run IMAGE sh -c X"
	 * hands -c to sh. */
	bool			 stop_at_positional;
};

/* cmd.c: the table, ending with NULL, and help made from it. */
extern const struct cmd_entry *const cmd_table[];
extern const struct args_flag cmd_global_flags[];
const struct cmd_entry *cmd_find(const char *name);
void	cmd_print_help(const struct cmd_entry *entry, FILE *f);
void	cmd_print_main_help(FILE *f);
/* manpage.c: berth(1) from the command table, as roff. */
void	cmd_print_man(FILE *f);
/* Another name in a group for the top-level command target. */
#define CMD_SAME_AS(NAME, TARGET, ALIAS) \
	{ .name = (NAME), .same_as = &(TARGET), .alias = (ALIAS) }
/* e itself, or, for a CMD_SAME_AS entry, its target under e's name in
 * buf. */
const struct cmd_entry *cmd_resolve(const struct cmd_entry *e,
	    struct cmd_entry *buf);
/* inspect, container inspect, image inspect (cmd-container.c). */
int	cmd_inspect_exec(struct cmd_ctx *ctx, const struct args *args);
/* A group's exec: its help. */
int	cmd_group_exec(struct cmd_ctx *ctx, const struct args *args);
/* A group's subcommand by its name after the group's ("ls") or alias. */
const struct cmd_entry *cmd_find_sub(const struct cmd_entry *group,
	    const char *name);

/* cmd.c: check the number of positional arguments for entry. */
int	args_check_count(const struct cmd_entry *entry,
	    const struct args *args, struct berth_error *err);

/* cli.c: the whole CLI behind main(), with its streams in ctx. */
int	cli_main(int argc, char **argv, struct cmd_ctx *ctx);

/* connect.c: connecting, and turning errors into messages and exit
 * codes.  cli_fail prints a local failure (the connection message for
 * BERTH_E_CONNECT) and returns CLI_EXIT_ENGINE; cli_fail_remote prints a
 * daemon's error reply and returns CLI_EXIT_FAILURE; cli_usage_error
 * prints a usage error with the hint to --help for entry (or the CLI) and
 * returns CLI_EXIT_ENGINE. */
/* The daemon's address as info and version show it: -H as given, else
 * the one berth_connect takes ($BERTH_HOST or the default, as
 * "unix:///path", written to buf). */
const char *cli_host(const struct cmd_ctx *ctx, char *buf, size_t size);
int	cli_connect(struct cmd_ctx *ctx, struct berth_client **c,
	    struct berth_error *err);
int	cli_fail(struct cmd_ctx *ctx, const struct berth_error *err);
int	cli_fail_remote(struct cmd_ctx *ctx, const struct berth_error *err);
/* A daemon's error as Docker words it: "Error response from daemon: MSG";
 * returns CLI_EXIT_FAILURE.  Local failures go to cli_fail. */
int	cli_fail_daemon(struct cmd_ctx *ctx, const struct berth_error *err);
/* A failed call: an error reply as the daemon's, anything else (no
 * daemon, a broken connection) as the client's. */
int	cli_fail_reply(struct cmd_ctx *ctx, const struct berth_reply *reply,
	    const struct berth_error *err);
/* A value the command cannot take though the flags parsed (a bad
 * subnet, port ...): "Error: MESSAGE", exit 1 as Docker's, no pointer
 * to --help. */
int	cli_refuse(struct cmd_ctx *ctx, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	cli_usage_error(struct cmd_ctx *ctx, const struct cmd_entry *entry,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Check an optional --format: NULL/"" for text, "json"; else a usage
 * error. */
int	cli_format_json(struct cmd_ctx *ctx, const struct cmd_entry *entry,
	    const struct args *args, bool *json);

/* json.c: msgpack <-> JSON (see the file for the mapping). */
json_t	*jsonmp_from_msgpack(const msgpack_object *o,
	    struct berth_error *err);
int	jsonmp_to_msgpack(const json_t *j, msgpack_packer *pk,
	    struct berth_error *err);
/* Parse text as one JSON object and pack it as a msgpack map. */
int	jsonmp_pack_text(const char *text, size_t len, msgpack_packer *pk,
	    struct berth_error *err);
/* Print j indented, with a newline, and flush. */
int	jsonmp_print(FILE *f, const json_t *j, struct berth_error *err);
/* o[k1][k2] (k2 NULL: o[k1]), or NULL. */
const json_t *json_at(const json_t *o, const char *k1, const char *k2);
/* json_at's string, or "" when absent or not a string. */
const char *json_str_at(const json_t *o, const char *k1, const char *k2);
/* o[key] when a string, else "". */
const char *json_str(const json_t *o, const char *key);
/* A copy of the array json_at finds, or a new empty one when there is
 * none (json_pack's "O" of NULL fails the whole pack). */
json_t	*json_array_at(const json_t *o, const char *k1, const char *k2);
/* A new array of the n strings v; NULL when out of memory. */
json_t	*json_strings(const char *const *v, int n);

/* display.c: "Key: value" sections from a reply's map, as data. */
enum display_kind {
	DISPLAY_TEXT,		/* strings, numbers, lists joined by ", " */
	DISPLAY_DURATION,	/* seconds as "1h2m3s" */
	DISPLAY_BYTES,		/* bytes as "4 MiB" */
};

struct display_field {
	const char		*label;
	const char		*key;
	enum display_kind	 kind;
};

/* Print " label: value" for each field (ending with { NULL }) whose key is
 * in map and whose value is not empty; labels padded to width (0: no
 * padding). */
void	display_fields(FILE *f, const struct display_field *fields,
	    const msgpack_object *map, int width);
void	display_line(FILE *f, const char *label, const char *value,
	    int width);
/* A value as text for display; NULL when out of memory. */
char	*display_value(const msgpack_object *o, enum display_kind kind);

static inline void
cli_json_decrefp(json_t **j)
{
	if (*j != NULL)
		json_decref(*j);
}
#define cleanup_json	__attribute__((cleanup(cli_json_decrefp)))

static inline void
cli_reply_releasep(struct berth_reply *r)
{
	berth_reply_release(r);
}
#define cleanup_reply	__attribute__((cleanup(cli_reply_releasep)))

static inline void
cli_client_closep(struct berth_client **c)
{
	berth_close(*c);
}
#define cleanup_client	__attribute__((cleanup(cli_client_closep)))

static inline void
cli_sbuffer_destroyp(msgpack_sbuffer *sb)
{
	msgpack_sbuffer_destroy(sb);
}
#define cleanup_sbuffer	__attribute__((cleanup(cli_sbuffer_destroyp)))

/* display.c: Docker's [y/N] question; true for y or yes. */
bool	cli_confirm(struct cmd_ctx *ctx, const char *warning);

#endif
