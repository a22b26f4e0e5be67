/*
 * Listings' filters and --format rows, shared by every listing command
 * (see listing.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "listing.h"

#define FILTER_KEY_MAX	128

/* One "key=value": key lower-cased, both trimmed, as Docker's
 * filters.ParseFlag. */
static int
filters_add(json_t *filters, const char *s, struct berth_error *err)
{
	const char *eq = strchr(s, '='), *v;
	char key[FILTER_KEY_MAX], *p;
	size_t klen, vlen;
	json_t *values;

	if (eq == NULL)
		return (berth_error_set(err, CLI_E_USAGE, 0, "bad format of "
		    "filter (expected name=value)"));
	while (isspace((unsigned char)*s))
		s++;
	for (klen = (size_t)(eq - s); klen > 0 &&
	    isspace((unsigned char)s[klen - 1]); klen--)
		;
	if (klen == 0 || klen >= sizeof(key))
		return (berth_error_set(err, CLI_E_USAGE, 0, "bad format of "
		    "filter (expected name=value)"));
	memcpy(key, s, klen);
	key[klen] = '\0';
	for (p = key; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	for (v = eq + 1; isspace((unsigned char)*v); v++)
		;
	for (vlen = strlen(v); vlen > 0 && isspace((unsigned char)v[vlen -
	    1]); vlen--)
		;
	if ((values = json_object_get(filters, key)) == NULL) {
		if ((values = json_array()) == NULL ||
		    json_object_set_new(filters, key, values) < 0)
			return (berth_error_sys(err, "filters"));
	}
	if (json_array_append_new(values, json_stringn(v, vlen)) < 0)
		return (berth_error_sys(err, "filters"));
	return (0);
}

int
filters_parse(const char *const *values, int n, json_t **out,
    struct berth_error *err)
{
	cleanup_json json_t *filters = json_object();
	int i;

	if (filters == NULL)
		return (berth_error_sys(err, "filters"));
	for (i = 0; i < n; i++)
		if (filters_add(filters, values[i], err) < 0)
			return (-1);
	*out = steal_pointer(&filters);
	return (0);
}

int
filters_check(const json_t *filters, const char *const *allowed,
    struct berth_error *err)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)filters, key, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i] == NULL)
			return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "invalid filter '%s'", key));
	}
	return (0);
}

int
filters_parse_allowed(const char *const *values, int n,
    const char *const *allowed, json_t **out, struct berth_error *err)
{
	cleanup_json json_t *filters = NULL;

	if (filters_parse(values, n, &filters, err) < 0 ||
	    filters_check(filters, allowed, err) < 0)
		return (-1);
	*out = steal_pointer(&filters);
	return (0);
}

int
filters_each(const json_t *filters, int (*fn)(void *, const char *,
    const char *, struct berth_error *), void *arg, struct berth_error *err)
{
	const char *key;
	json_t *values, *v;
	size_t i;

	json_object_foreach((json_t *)filters, key, values)
		json_array_foreach(values, i, v)
			if (fn(arg, key, json_string_value(v), err) < 0)
				return (-1);
	return (0);
}

int
filters_fail(struct cmd_ctx *ctx, const struct berth_error *err)
{
	if (berth_error_is(err, CLI_E_USAGE))
		return (cli_usage_error(ctx, ctx->entry, "%s",
		    berth_error_message(err)));
	return (cli_fail_daemon(ctx, err));
}

const char *
listing_format(const char *format, const char *table)
{
	if (format == NULL || *format == '\0' || strcmp(format, "table") == 0)
		return (table);
	if (strcmp(format, "json") == 0)
		return ("{{json .}}");
	return (format);
}

static int
listing_fail(struct cmd_ctx *ctx, const struct berth_error *err)
{
	if (berth_error_is(err, BERTH_E_INVALID_PARAM))
		return (cli_usage_error(ctx, ctx->entry, "%s",
		    berth_error_message(err)));
	return (cli_fail(ctx, err));
}

int
listing_print(struct cmd_ctx *ctx, const char *format, const char *table,
    json_t *rows, const struct fmt_header *headers)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;

	if (fmt_print_rows(ctx->out, listing_format(format, table), rows,
	    headers, &err) < 0)
		return (listing_fail(ctx, &err));
	return (CLI_EXIT_OK);
}

int
listing_print_object(struct cmd_ctx *ctx, const char *format,
    const json_t *obj)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct fmt_template *t = NULL;
	cleanup_free char *line = NULL;
	int rc;

	if (format == NULL || *format == '\0')
		return (-1);
	if (strcmp(format, "json") == 0)
		format = "{{json .}}";
	if (fmt_parse(format, &t, &err) < 0)
		return (listing_fail(ctx, &err));
	line = fmt_render(t, obj, &err);
	fmt_free(t);
	if (line == NULL)
		return (listing_fail(ctx, &err));
	fprintf(ctx->out, "%s\n", line);
	rc = fflush(ctx->out) == 0 ? CLI_EXIT_OK : CLI_EXIT_ENGINE;
	return (rc);
}

int
listing_check_format(struct cmd_ctx *ctx, const char *format)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct fmt_template *t = NULL;

	if (format == NULL || *format == '\0' || strcmp(format, "json") == 0 ||
	    strcmp(format, "table") == 0)
		return (0);
	if (fmt_parse(format, &t, &err) < 0) {
		listing_fail(ctx, &err);
		return (-1);
	}
	fmt_free(t);
	return (0);
}

static int
strcmp_ptr(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

char *
listing_labels(const json_t *labels)
{
	cleanup_free const char **keys = NULL;
	char *buf = NULL;
	size_t size = 0, n = 0, i;
	const char *k;
	json_t *v;
	FILE *f;

	if ((keys = calloc(json_object_size(labels) + 1, sizeof(*keys))) ==
	    NULL)
		return (NULL);
	json_object_foreach((json_t *)labels, k, v)
		keys[n++] = k;
	qsort(keys, n, sizeof(*keys), strcmp_ptr);
	if ((f = open_memstream(&buf, &size)) == NULL)
		return (NULL);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%s=%s", i > 0 ? "," : "", keys[i],
		    json_str(labels, keys[i]));
	if (fclose(f) != 0) {
		free(buf);
		return (NULL);
	}
	return (buf);
}
