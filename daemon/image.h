/*
 * io.berth.Image: the store's images over the wire.  image.c answers the
 * calls that read or change metadata on the loop; image-stream.c runs
 * Load, Import, Save and Prune in helper processes.
 */
#ifndef BERTHD_IMAGE_H
#define BERTHD_IMAGE_H

#include <stdbool.h>

#include "digest.h"
#include "dispatch.h"

#define IMAGE_E_NOT_FOUND	"io.berth.Image.NotFound"
#define IMAGE_E_INVALID_REF	"io.berth.Image.InvalidReference"
#define IMAGE_E_IN_USE		"io.berth.Image.InUse"
#define IMAGE_E_INCOMPLETE	"io.berth.Image.Incomplete"

/* name (a reference, an id or an id prefix) to an image id; when name is
 * a reference, *ref (if ref is not NULL) gets its normalised form, else
 * NULL. */
int	image_resolve(struct daemon *d, const char *name,
	    char id[DIGEST_STR_SIZE], char **ref, struct berth_error *err);
/* A bool parameter: true only when given and true. */
bool	image_param_bool(const struct call *call, const char *key);
/* The normalised references of an image. */
int	image_refs(struct daemon *d, const char *id, char ***refs, size_t *n,
	    struct berth_error *err);
/* A reference that may name a new tag: normalised, no digest. */
int	image_normalize_tag(const char *s, char **out,
	    struct berth_error *err);

int	image_list(struct daemon *, struct peer *, const struct call *,
	    msgpack_packer *, struct berth_error *);
int	image_inspect(struct daemon *, struct peer *, const struct call *,
	    msgpack_packer *, struct berth_error *);
int	image_tag(struct daemon *, struct peer *, const struct call *,
	    msgpack_packer *, struct berth_error *);
int	image_remove(struct daemon *, struct peer *, const struct call *,
	    msgpack_packer *, struct berth_error *);
int	image_history(struct daemon *, struct peer *, const struct call *,
	    msgpack_packer *, struct berth_error *);
int	image_disk_usage(struct daemon *, struct peer *, const struct call *,
	    msgpack_packer *, struct berth_error *);
/* image-stream.c */
int	image_load(struct daemon *, struct peer *, const struct call *,
	    msgpack_packer *, struct berth_error *);
int	image_import(struct daemon *, struct peer *, const struct call *,
	    msgpack_packer *, struct berth_error *);
int	image_save(struct daemon *, struct peer *, const struct call *,
	    msgpack_packer *, struct berth_error *);
int	image_prune(struct daemon *, struct peer *, const struct call *,
	    msgpack_packer *, struct berth_error *);

/* image-helpers.c: the helpers' side (berthd --helper image-*). */
struct job_child;
int	image_load_child(const msgpack_object *, struct job_child *,
	    msgpack_packer *, struct berth_error *);
int	image_import_child(const msgpack_object *, struct job_child *,
	    msgpack_packer *, struct berth_error *);
int	image_save_child(const msgpack_object *, struct job_child *,
	    msgpack_packer *, struct berth_error *);
int	image_prune_child(const msgpack_object *, struct job_child *,
	    msgpack_packer *, struct berth_error *);

#endif
