/*
 * The progress line of load, save and import: on a terminal only, one
 * line redrawn with \r, as Docker's jsonmessage draws a layer's bar
 * (its escapes only where color.h allows them; else what the line
 * before left is overwritten with spaces).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "color.h"
#include "image.h"

#define PROGRESS_BAR_WIDTH	50

void
progress_init(struct progress *p, FILE *f, bool quiet)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->enabled = !quiet && f != NULL && fileno(f) >= 0 &&
	    isatty(fileno(f));
}

char *
progress_bar(int64_t current, int64_t total, int width)
{
	cleanup_free char *cur = NULL, *tot = NULL;
	cleanup_free char *bar = NULL;
	int filled;
	char *out;

	if (current < 0)
		current = 0;
	if ((cur = fmt_human_size((double)current, 4)) == NULL)
		return (NULL);
	if (total <= 0) {
		if (asprintf(&out, "%8s", cur) < 0)
			return (NULL);
		return (out);
	}
	if ((tot = fmt_human_size((double)total, 4)) == NULL)
		return (NULL);
	filled = current >= total ? width : (int)(current * width / total);
	if ((bar = malloc((size_t)width + 2)) == NULL)
		return (NULL);
	memset(bar, '=', (size_t)filled);
	if (filled < width) {
		bar[filled] = '>';
		memset(bar + filled + 1, ' ', (size_t)(width - filled - 1));
	}
	bar[width] = '\0';
	if (asprintf(&out, "[%s] %8s/%s", bar, cur, tot) < 0)
		return (NULL);
	return (out);
}

void
progress_draw(struct progress *p, const char *action, const char *id,
    int64_t current, int64_t total)
{
	cleanup_free char *bar = NULL;
	cleanup_free char *shortid = NULL;
	int n;

	if (!p->enabled)
		return;
	if (id != NULL && strncmp(id, "sha256:", 7) == 0)
		id = shortid = fmt_short_id(id);
	/* A new layer or image starts a new line; the old one stays. */
	if (p->drawn && strcmp(p->last_id, id != NULL ? id : "") != 0) {
		fputc('\n', p->f);
		p->drawn = false;
	}
	snprintf(p->last_id, sizeof(p->last_id), "%s", id != NULL ? id : "");
	bar = current >= 0 ? progress_bar(current, total,
	    PROGRESS_BAR_WIDTH) : NULL;
	n = fprintf(p->f, "\r%s%s%s %s", id != NULL && *id != '\0' ? id :
	    "", id != NULL && *id != '\0' ? ": " : "", action,
	    bar != NULL ? bar : "");
	/* What a longer line before left on this one: cleared, or
	 * without escapes overwritten with spaces, as far as it went. */
	if (!term_escape(p->f, ESC_CLEAR_LINE) && p->drawn && n > 0 &&
	    n < p->last_len)
		fprintf(p->f, "%*s", p->last_len - n, "");
	fflush(p->f);
	p->last_len = n > 0 ? n : 0;
	p->drawn = true;
}

void
progress_update(struct progress *p, const msgpack_object *progress)
{
	cleanup_free char *action = NULL, *id = NULL, *message = NULL;

	if (!p->enabled || progress == NULL ||
	    progress->type != MSGPACK_OBJECT_MAP)
		return;
	action = image_str(progress, "action");
	id = image_str(progress, "id");
	message = image_str(progress, "message");
	if (message != NULL) {
		if (p->drawn)
			fputc('\n', p->f);
		fprintf(p->f, "%s\n", message);
		fflush(p->f);
		p->drawn = false;
		p->last_id[0] = '\0';
		return;
	}
	progress_draw(p, action != NULL ? action : "", id,
	    image_int(progress, "current", -1),
	    image_int(progress, "total", -1));
}

void
progress_done(struct progress *p)
{
	if (p->enabled && p->drawn) {
		fputc('\n', p->f);
		fflush(p->f);
	}
	p->drawn = false;
}

char *
image_str(const msgpack_object *map, const char *key)
{
	const msgpack_object *v = berth_map_get(map, key);

	if (v == NULL || v->type != MSGPACK_OBJECT_STR)
		return (NULL);
	return (strndup(v->via.str.ptr, v->via.str.size));
}

int64_t
image_int(const msgpack_object *map, const char *key, int64_t def)
{
	const msgpack_object *v = berth_map_get(map, key);

	if (v == NULL)
		return (def);
	if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return (v->via.u64 > INT64_MAX ? INT64_MAX :
		    (int64_t)v->via.u64);
	if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return (v->via.i64);
	return (def);
}
