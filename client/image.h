/*
 * What the image commands share: the progress line, streaming an archive
 * to the daemon, and turning image lists into Docker's rows.
 */
#ifndef BERTH_IMAGE_H
#define BERTH_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <msgpack.h>

#include "cli.h"
#include "format.h"

/* progress.c: one line on a terminal, redrawn with \r. */
struct progress {
	FILE	*f;
	bool	 enabled;
	bool	 drawn;
	int	 last_len;	/* columns of the line drawn last */
	char	 last_id[80];
};

/* Enabled when f is a terminal and not quiet. */
void	progress_init(struct progress *p, FILE *f, bool quiet);
/* Draw an io.berth.Image.Progress map (its message, if any, on a line
 * of its own). */
void	progress_update(struct progress *p, const msgpack_object *progress);
void	progress_draw(struct progress *p, const char *action, const char *id,
	    int64_t current, int64_t total);
/* End the line, if one was drawn. */
void	progress_done(struct progress *p);
/* "[=====>      ]  1.2MB/4.5MB", as Docker's jsonmessage draws it. */
char	*progress_bar(int64_t current, int64_t total, int width);

/* msgpack helpers for the image commands. */
/* The string at key of map, copied; NULL when absent. */
char	*image_str(const msgpack_object *map, const char *key);
/* The integer at key of map, or def. */
int64_t	image_int(const msgpack_object *map, const char *key, int64_t def);

/* cmd-images.c: rows of "berth images" from a List reply's images. */
struct image_filter;

/* Parse --filter values; a usage error is returned as -1 with err set. */
int	image_filter_parse(const char *const *values, int n,
	    struct image_filter **out, struct berth_error *err);
void	image_filter_free(struct image_filter *f);
/* The rows, one per repository tag, newest image first, as JSON objects
 * of strings (ID, Repository, Tag, Digest, CreatedSince, CreatedAt, Size,
 * ...), filtered.  images is a JSON array of Summary objects. */
json_t	*image_rows(const json_t *images, const struct image_filter *filter,
	    bool no_trunc, int64_t now, struct berth_error *err);
/* Split "host:5000/name:tag" into repository and tag ("<none>" when
 * absent). */
void	image_split_ref(const char *ref, char **repo, char **tag);
/* Docker's reference glob: pattern against "name" and "name:tag". */
bool	image_ref_match(const char *pattern, const char *ref);
/* Docker's Ellipsis: at most max characters, the last one "…". */
char	*image_ellipsis(const char *s, size_t max);

#endif
