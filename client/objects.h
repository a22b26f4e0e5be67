/*
 * What the commands of the network and volume groups share: one call
 * with the group's wording of its errors, ls (filters, rows, --format),
 * inspect and rm over each argument, create's KEY=VALUE flags, and
 * prune's list of what went.
 */
#ifndef BERTH_OBJECTS_H
#define BERTH_OBJECTS_H

#include <stdbool.h>

#include <jansson.h>

#include "cli.h"
#include "format.h"

struct object_kind {
	/* "network", "volume": the calls' parameter, and the noun of
	 * "Error: No such NOUN: NAME". */
	const char	*noun;
	/* The error name of an object that is not there. */
	const char	*not_found;
	/* A refused call worded as the group words it; the exit code. */
	int		(*fail)(struct cmd_ctx *ctx,
			    const struct berth_reply *reply,
			    const struct berth_error *err);
	/* Inspect's document from the reply's object (a new reference;
	 * NULL: the object as it is). */
	json_t		*(*document)(json_t *wire);
	/* rm of one that is not there: "Error: No such NOUN" (else the
	 * daemon's words). */
	bool		 rm_no_such;
	/* rm -f goes to the daemon as "force" (else rm -f passes over
	 * one that is not there here). */
	bool		 rm_force_param;
};

/* Connect; 0, or the exit code of the failure printed. */
int	object_connect(struct cmd_ctx *ctx, struct berth_client **c);
/* One call with p (NULL: out of memory); 0, or the exit code of the
 * failure printed. */
int	object_call(struct cmd_ctx *ctx, const struct object_kind *k,
	    struct berth_client *c, const char *method, const json_t *p,
	    struct berth_reply *reply);
/* --filter key=value... as {key: [value...]} in *out (NULL: none),
 * keys among allowed; 0, or the exit code of the error printed. */
int	object_filters(struct cmd_ctx *ctx, const struct args *args,
	    const char *const *allowed, json_t **out);
/* Every KEY=VALUE of a repeated flag as an object (KEY alone: "");
 * NULL when out of memory. */
json_t	*object_kv_flags(const struct args *args, const char *flag);

/* ls: --filter (keys allowed), the call, rows made by rows_of from the
 * reply's parameters, printed with --format (-q: quiet's template). */
struct object_list {
	const char		*method;
	const char *const	*filters;
	json_t			*(*rows_of)(const json_t *params,
				    const struct args *args);
	const char		*quiet;
	const char		*table;
	const struct fmt_header	*headers;
};
int	object_ls(struct cmd_ctx *ctx, const struct object_kind *k,
	    const struct object_list *l, const struct args *args);

/* inspect NAME...: each one's document as a JSON array, or --format's
 * template for each; 1 when one of them failed. */
int	object_inspect(struct cmd_ctx *ctx, const struct object_kind *k,
	    const char *method, const char *result, const struct args *args);
/* rm NAME...: each name printed as it goes; 1 when one failed. */
int	object_rm(struct cmd_ctx *ctx, const struct object_kind *k,
	    const char *method, const struct args *args);
/* prune's reply: "Deleted TITLE:", a name a line, a blank line (nothing
 * when none went). */
void	object_print_deleted(struct cmd_ctx *ctx,
	    const struct berth_reply *reply, const char *title);
/* prune's last line: "Total reclaimed space: " and the reply's
 * space_reclaimed in Docker's units. */
void	object_print_reclaimed(struct cmd_ctx *ctx,
	    const struct berth_reply *reply);

#endif
