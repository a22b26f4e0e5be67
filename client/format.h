/*
 * Output formatting shared by the image commands: Docker's human sizes
 * and times, short ids, a subset of Go's text/template for --format, and
 * a tab writer aligning columns as Docker's tables do.
 *
 * Templates: literal text, "\t" and "\n" escapes, and actions
 *	{{.}}  {{.Field}}  {{.A.B.C}}  {{json X}}  {{join X SEP}}
 *	{{index X "key"}}  {{upper X}}  {{lower X}}  {{len X}}
 * evaluated against a JSON object (jansson); "{{- " and " -}}" trim
 * spaces around an action as in Go.  A format starting with "table" is a
 * table: its header names each field's column, and rows are aligned.
 */
#ifndef BERTH_FORMAT_H
#define BERTH_FORMAT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "error.h"

/* Docker's go-units: decimal units (kB, MB, ...) with the given
 * significant digits (HumanSize is 4, the image tables use 3). */
char	*fmt_human_size(double size, int precision);
/* go-units HumanDuration: "Less than a second", "About an hour", "3 days". */
char	*fmt_human_duration(int64_t seconds);
/* "2 hours ago", for a Unix time seen at now. */
char	*fmt_created_since(int64_t created, int64_t now);
/* Go's time.String of a Unix time in local time:
 * "2024-01-02 15:04:05 +0000 UTC". */
char	*fmt_created_at(int64_t created);
/* Docker's short id: the hex without "sha256:", 12 characters. */
char	*fmt_short_id(const char *id);

/* A column's header name for a field. */
struct fmt_header {
	const char	*field;
	const char	*header;
};

struct fmt_template;

/* Parse a --format.  Usage errors (unclosed action, unknown function)
 * are BERTH_E_INVALID_PARAM. */
int	fmt_parse(const char *text, struct fmt_template **out,
	    struct berth_error *err);
void	fmt_free(struct fmt_template *t);
bool	fmt_is_table(const struct fmt_template *t);
/* The text of the template for one object (no newline added). */
char	*fmt_render(const struct fmt_template *t, const json_t *obj,
	    struct berth_error *err);
/* The table's header line: each field's name from headers (the upper
 * case of the field when not listed), literal text kept. */
char	*fmt_header(const struct fmt_template *t,
	    const struct fmt_header *headers);

/* Go's text/tabwriter as Docker sets it up (minwidth 10, padding 3):
 * lines are collected, their tab-terminated cells aligned at flush. */
struct fmt_tab;

struct fmt_tab *fmt_tab_new(void);
int	fmt_tab_add(struct fmt_tab *tw, const char *text);
int	fmt_tab_flush(struct fmt_tab *tw, FILE *f);
void	fmt_tab_free(struct fmt_tab *tw);

/*
 * Print rows with a --format: when it is a table, the header then every
 * row aligned; else each row as rendered.  Each row gets a newline.
 */
int	fmt_print_rows(FILE *f, const char *format, json_t *rows,
	    const struct fmt_header *headers, struct berth_error *err);

#endif
