/*
 * What every listing command shares (ps, images, history, system df,
 * network ls, volume ls ...): Docker's -f/--filter values parsed once,
 * and its --format for rows: a table by default, "json" one object a
 * line, or a template.
 */
#ifndef BERTH_LISTING_H
#define BERTH_LISTING_H

#include <jansson.h>

#include "cli.h"
#include "format.h"

/*
 * Docker's filters.Args from -f values ("key=value"): {key: [values]},
 * keys lower-cased and trimmed, values trimmed, a repeated key adding a
 * value.  A value without "=" is CLI_E_USAGE ("bad format of filter
 * (expected name=value)", a usage error as Docker's flag parsing).
 */
int	filters_parse(const char *const *values, int n, json_t **out,
	    struct berth_error *err);
/* Every key of filters is in allowed (ending with NULL); else
 * BERTH_E_INVALID_PARAM "invalid filter 'KEY'", Docker's words. */
int	filters_check(const json_t *filters, const char *const *allowed,
	    struct berth_error *err);
/* filters_parse then filters_check. */
int	filters_parse_allowed(const char *const *values, int n,
	    const char *const *allowed, json_t **out, struct berth_error *err);
/* Call fn for each value of each key of filters, in order, until one
 * fails (returns -1). */
int	filters_each(const json_t *filters, int (*fn)(void *arg,
	    const char *key, const char *value, struct berth_error *err),
	    void *arg, struct berth_error *err);
/* Report a filter error as Docker does and return the exit status: a
 * malformed -f a usage error (125), a refused key or value the daemon's
 * "Error response from daemon: ..." (1). */
int	filters_fail(struct cmd_ctx *ctx, const struct berth_error *err);

/* The --format of a listing: NULL, "" or "table" give table (a "table
 * ..." template), "json" gives "{{json .}}" (one object a line, as
 * Docker's), anything else is itself. */
const char *listing_format(const char *format, const char *table);
/*
 * Print rows (an array of objects named as Docker's fields) with a
 * listing's --format (listing_format) and return the exit status: a
 * template that does not parse is a usage error of ctx->entry.
 */
int	listing_print(struct cmd_ctx *ctx, const char *format,
	    const char *table, json_t *rows, const struct fmt_header *headers);
/*
 * One object (info, version) with --format: NULL or "" is for the
 * caller's own layout (returns -1 without printing), "json" prints it on
 * one line, a template renders it.  Returns the exit status otherwise.
 */
int	listing_print_object(struct cmd_ctx *ctx, const char *format,
	    const json_t *obj);
/* A Labels column: "k=v,k2=v2" sorted by key, as ps, network ls and
 * volume ls print it ("" for none); NULL when out of memory. */
char	*listing_labels(const json_t *labels);
/* A --format that is neither empty, "json" nor a template that parses is
 * a usage error (printed; returns -1), checked before any connection. */
int	listing_check_format(struct cmd_ctx *ctx, const char *format);

#endif
