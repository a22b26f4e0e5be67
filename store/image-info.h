/*
 * Finding an image by name and describing it: what `docker image
 * inspect` and `docker history` show, and the parts of a stored image
 * (config, manifest, layer blobs) that save reads.
 *
 * An image is its config blob (its id), optionally the manifest it came
 * with, and its layers.  The database records the manifest's digest; the
 * layer blobs are read from the manifest, or, for an image stored
 * without one (a docker-archive load), are the uncompressed layer tars
 * stored under their diff IDs.
 */
#ifndef BERTH_STORE_IMAGE_INFO_H
#define BERTH_STORE_IMAGE_INFO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "digest.h"
#include "error.h"

struct store;

#define STORE_E_AMBIGUOUS_ID	"io.berth.Image.AmbiguousId"
/* A stored config or manifest that cannot be read as one. */
#define STORE_E_INVALID_IMAGE	"io.berth.Image.InvalidImage"

/* The shortest id prefix accepted. */
#define IMAGE_ID_PREFIX_MIN	4
/* Configs and manifests are read whole, up to this size. */
#define IMAGE_JSON_MAX		(1u << 20)

struct image_layer {
	char		 diff_id[DIGEST_STR_SIZE];
	char		 blob[DIGEST_STR_SIZE];
	const char	*media_type;	/* owned by image_parts's JSON */
	uint64_t	 size;		/* of the blob */
	uint64_t	 unpacked;	/* file data once unpacked, 0 unknown */
};

struct image_parts {
	char		 id[DIGEST_STR_SIZE];
	json_t		*config;
	json_t		*manifest;	/* NULL when none is stored */
	char		 manifest_digest[DIGEST_STR_SIZE]; /* "" when none */
	uint64_t	 config_size;
	uint64_t	 manifest_size;
	struct image_layer *layers;	/* bottom first */
	size_t		 nlayers;
	char		**refs;		/* normalised, sorted */
	size_t		 nrefs;
	int64_t		 created;
	uint64_t	 size;		/* as the database records it */
};

/*
 * Resolve name to an image id: a reference (normalised and looked up)
 * first, as Docker does, then "sha256:<hex>", a bare 64-hex id or a
 * unique hex prefix of at least IMAGE_ID_PREFIX_MIN characters.
 * STORE_E_IMAGE_NOT_FOUND, STORE_E_AMBIGUOUS_ID (parameter "image") or
 * STORE_E_INVALID_REFERENCE when name is neither.
 */
int	 store_image_find(struct store *st, const char *name,
	    char id[DIGEST_STR_SIZE], struct berth_error *err);
/* Docker's `docker image inspect` document of image id. */
int	 store_image_inspect(struct store *st, const char *id, json_t **out,
	    struct berth_error *err);
/* The history entries, newest first, as io.berth.Image.HistoryEntry. */
int	 store_image_history(struct store *st, const char *id, json_t **out,
	    struct berth_error *err);

/* Read the stored parts of image id (STORE_E_IMAGE_NOT_FOUND if none). */
int	 store_image_parts(struct store *st, const char *id,
	    struct image_parts *out, struct berth_error *err);
void	 image_parts_free(struct image_parts *p);
/* A stored blob parsed as JSON, at most IMAGE_JSON_MAX bytes. */
int	 image_read_blob_json(struct store *st, const char *digest,
	    json_t **out, struct berth_error *err);

static inline void
cleanup_image_partsp(struct image_parts *p)
{
	image_parts_free(p);
}
#define cleanup_image_parts __attribute__((cleanup(cleanup_image_partsp)))

#endif
