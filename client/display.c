/*
 * Reply values as text for the "Key: value" layouts of version and info:
 * which fields to show is data (struct display_field), how each kind of
 * value reads is here.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"

static char *
duration(uint64_t s)
{
	char *out;
	int rc;

	if (s >= 86400)
		rc = asprintf(&out, "%" PRIu64 "d%" PRIu64 "h%" PRIu64 "m%"
		    PRIu64 "s", s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
	else if (s >= 3600)
		rc = asprintf(&out, "%" PRIu64 "h%" PRIu64 "m%" PRIu64 "s",
		    s / 3600, s / 60 % 60, s % 60);
	else if (s >= 60)
		rc = asprintf(&out, "%" PRIu64 "m%" PRIu64 "s", s / 60, s % 60);
	else
		rc = asprintf(&out, "%" PRIu64 "s", s);
	return (rc < 0 ? NULL : out);
}

static char *
bytes(uint64_t n)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	char *out;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (asprintf(&out, u == 0 ? "%.0f %s" : "%.4g %s", v, units[u]) < 0)
		return (NULL);
	return (out);
}

/* Scalars as they read; arrays joined by ", "; maps as compact JSON. */
static char *
text(const msgpack_object *o)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_json json_t *j = NULL;
	cleanup_free char *item = NULL;
	char *out = NULL, *joined;
	uint32_t i;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return (strdup(""));
	case MSGPACK_OBJECT_STR:
		return (strndup(o->via.str.ptr, o->via.str.size));
	case MSGPACK_OBJECT_ARRAY:
		if ((out = strdup("")) == NULL)
			return (NULL);
		for (i = 0; i < o->via.array.size; i++) {
			free(steal_pointer(&item));
			if ((item = text(&o->via.array.ptr[i])) == NULL ||
			    asprintf(&joined, "%s%s%s", out, i > 0 ? ", " : "",
			    item) < 0) {
				free(out);
				return (NULL);
			}
			free(out);
			out = joined;
		}
		return (out);
	default:
		if ((j = jsonmp_from_msgpack(o, &err)) == NULL)
			return (NULL);
		return (json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY));
	}
}

char *
display_value(const msgpack_object *o, enum display_kind kind)
{
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		if (kind == DISPLAY_DURATION)
			return (duration(o->via.u64));
		if (kind == DISPLAY_BYTES)
			return (bytes(o->via.u64));
	}
	return (text(o));
}

void
display_line(FILE *f, const char *label, const char *value, int width)
{
	int pad = width - (int)strlen(label) - 1;

	fprintf(f, " %s:%*s %s\n", label, pad > 0 ? pad : 0, "", value);
}

void
display_fields(FILE *f, const struct display_field *fields,
    const msgpack_object *map, int width)
{
	const struct display_field *d;
	const msgpack_object *v;
	char *s;

	for (d = fields; d->label != NULL; d++) {
		if ((v = berth_map_get(map, d->key)) == NULL)
			continue;
		/* An empty value says nothing: leave the line out. */
		s = display_value(v, d->kind);
		if (s == NULL || *s != '\0')
			display_line(f, d->label, s != NULL ? s : "?", width);
		free(s);
	}
}

/* Docker's PromptForConfirmation: [y/N] on ctx's streams. */
bool
cli_confirm(struct cmd_ctx *ctx, const char *warning)
{
	char line[64];

	fprintf(ctx->out, "%s\nAre you sure you want to continue? [y/N] ",
	    warning);
	fflush(ctx->out);
	if (fgets(line, sizeof(line), ctx->in) == NULL)
		return (false);
	line[strcspn(line, "\r\n")] = '\0';
	return (strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0);
}
