/*
 * The metadata database: blobs, layers, images, their layer stacks and
 * references, in SQLite (WAL mode), every change in one transaction.
 *
 * Reference counts are derived by queries, never stored: an image's tags
 * are its rows in refs, a layer's users its rows in image_layers, a
 * blob's users the images and layers naming it.  A stored counter could
 * drift from the rows it counts after a bug; a query cannot.
 *
 * References are stored as given; callers normalise them first
 * (reference_normalize()).
 */
#ifndef BERTH_STORE_DB_H
#define BERTH_STORE_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"

#define STORE_E_DATABASE	"io.berth.Image.DatabaseError"
#define STORE_E_IMAGE_NOT_FOUND	"io.berth.Image.NotFound"
#define STORE_E_IMAGE_EXISTS	"io.berth.Image.AlreadyExists"
#define STORE_E_IMAGE_IN_USE	"io.berth.Image.InUse"
#define STORE_E_REF_NOT_FOUND	"io.berth.Image.ReferenceNotFound"
#define STORE_E_NAME_IN_USE	"io.berth.Container.NameInUse"

/* The schema version this code writes; see migrations in db.c. */
#define DB_SCHEMA_VERSION	7

struct store_db;

struct db_blob {
	const char	*digest;
	const char	*media_type;
	uint64_t	 size;
};

struct db_layer {
	const char	*diff_id;
	struct db_blob	 blob;		/* blob.digest NULL: no blob stored */
	uint64_t	 size;		/* unpacked size, 0 if unknown */
};

struct db_image {
	const char	*id;		/* config digest */
	struct db_blob	 config;	/* config.digest must equal id */
	struct db_blob	 manifest;	/* manifest.digest NULL: none */
	int64_t		 created;	/* seconds since the epoch */
	uint64_t	 size;
	const struct db_layer *layers;	/* bottom first */
	size_t		 nlayers;
	const char *const *refs;	/* normalised references */
	size_t		 nrefs;
};

struct db_image_info {
	char		 id[DIGEST_STR_SIZE];
	char		*manifest;	/* NULL when none */
	int64_t		 created;
	uint64_t	 size;
	char		**refs;
	size_t		 nrefs;
};

int	 db_open(const char *path, struct store_db **out,
	    struct berth_error *err);
void	 db_close(struct store_db *db);
/* The engine's id: a UUID made at the first call, then always that. */
#define DB_ENGINE_ID_LEN	36
int	 db_engine_id(struct store_db *db, char id[DB_ENGINE_ID_LEN + 1],
	    struct berth_error *err);
int	 db_schema_version(struct store_db *db, int *version,
	    struct berth_error *err);

/* Transactions (BEGIN IMMEDIATE: take the write lock up front). */
int	 db_begin(struct store_db *db, struct berth_error *err);
int	 db_commit(struct store_db *db, struct berth_error *err);
void	 db_rollback(struct store_db *db);

/* Add an image with its blobs, layers (chain IDs computed here) and
 * references, all or nothing.  An existing image id is refused. */
int	 db_image_add(struct store_db *db, const struct db_image *img,
	    struct berth_error *err);
/* The same, except that an image present already is not an error: its
 * references are pointed at it again (a load or import of an image the
 * store has).  One transaction. */
int	 db_image_put(struct store_db *db, const struct db_image *img,
	    struct berth_error *err);
/* Point ref at an image, moving it from any other image. */
int	 db_tag(struct store_db *db, const char *ref, const char *image_id,
	    struct berth_error *err);
int	 db_untag(struct store_db *db, const char *ref,
	    struct berth_error *err);
int	 db_resolve(struct store_db *db, const char *ref,
	    char id[DIGEST_STR_SIZE], struct berth_error *err);
int	 db_image_list(struct store_db *db, struct db_image_info **out,
	    size_t *n, struct berth_error *err);
void	 db_image_list_free(struct db_image_info *list, size_t n);
/* The layer chain IDs of an image, bottom first. */
int	 db_image_layers(struct store_db *db, const char *image_id,
	    char ***chain_ids, size_t *n, struct berth_error *err);
/* The layer blob digests of an image, bottom first ("" for a layer
 * recorded without a blob). */
int	 db_image_layer_blobs(struct store_db *db, const char *image_id,
	    char ***digests, size_t *n, struct berth_error *err);
/* Delete an image; refused (STORE_E_IMAGE_IN_USE) while it has tags,
 * unless force, which removes its tags too.  Layers and blobs stay for
 * the garbage collector. */
int	 db_image_delete(struct store_db *db, const char *image_id, bool force,
	    struct berth_error *err);

/* rmi in one transaction: remove the references untag[0..n), then,
 * when delete_id is not NULL, delete that image (refused while it has
 * references or holders). */
int	 db_image_remove(struct store_db *db, const char *const *untag,
	    size_t n, const char *delete_id, struct berth_error *err);

/* Layer unpack state: "absent", "unpacking", "unpacked". */
int	 db_layer_set_state(struct store_db *db, const char *chain_id,
	    const char *state, struct berth_error *err);

/*
 * Unpacked layer directories, by diff ID: "unpacking" from before the
 * directory is renamed into place until it is, then "unpacked"; "absent"
 * forgets the row.  A state buffer holds DB_STATE_SIZE bytes.
 */
#define DB_STATE_SIZE	16
int	 db_layer_dir_set_state(struct store_db *db, const char *diff_id,
	    const char *state, struct berth_error *err);
int	 db_layer_dir_state(struct store_db *db, const char *diff_id,
	    char state[DB_STATE_SIZE], struct berth_error *err);
/* The diff IDs of the directories in one state. */
int	 db_layer_dirs(struct store_db *db, const char *state,
	    char ***diff_ids, size_t *n, struct berth_error *err);
/* Directories no layer row names (run after forgetting gc'd layers). */
int	 db_gc_layer_dirs(struct store_db *db, char ***diff_ids, size_t *n,
	    struct berth_error *err);

/*
 * Garbage collection, layers first: a layer no image lists, then a blob
 * no image and no layer row names.  The caller removes the files, then
 * forgets the rows.
 */
int	 db_gc_layers(struct store_db *db, char ***chain_ids, size_t *n,
	    struct berth_error *err);
int	 db_gc_blobs(struct store_db *db, char ***digests, size_t *n,
	    struct berth_error *err);
int	 db_layer_forget(struct store_db *db, const char *chain_id,
	    struct berth_error *err);
int	 db_blob_forget(struct store_db *db, const char *digest,
	    struct berth_error *err);

/* Record the file data size of an unpacked directory. */
int	 db_layer_dir_set_size(struct store_db *db, const char *diff_id,
	    uint64_t size, struct berth_error *err);
/* The file data size of an unpacked directory; 0 when not unpacked. */
int	 db_layer_dir_size(struct store_db *db, const char *diff_id,
	    uint64_t *size, struct berth_error *err);
/* Whether a blobs row names digest. */
int	 db_blob_known(struct store_db *db, const char *digest, bool *known,
	    struct berth_error *err);

/*
 * Leases: a holder (a container, by id) keeps an image from rmi and
 * prune.  *n is the number of holders of image_id.
 */
int	 db_lease_add(struct store_db *db, const char *image_id,
	    const char *holder, struct berth_error *err);
int	 db_lease_remove(struct store_db *db, const char *image_id,
	    const char *holder, struct berth_error *err);
int	 db_image_holders(struct store_db *db, const char *image_id, int *n,
	    struct berth_error *err);

/* Sizes of an image: the sum of its layers' unpacked data (size), and the
 * part in layers that another image has too (shared). */
int	 db_image_usage(struct store_db *db, const char *image_id,
	    uint64_t *size, uint64_t *shared, struct berth_error *err);
/* Totals of the store: unpacked layer data and blob bytes. */
int	 db_store_usage(struct store_db *db, uint64_t *layers, uint64_t *blobs,
	    struct berth_error *err);

/*
 * Containers: a row per container, its record a JSON document the caller
 * owns the shape of.  db_container_add refuses a name in use
 * (STORE_E_NAME_IN_USE) and takes a lease on the image for the container,
 * in one transaction; db_container_delete drops both.
 */
struct db_container {
	char		*id;
	char		*name;
	char		*image;
	int64_t		 created;
	char		*record;
};

int	 db_container_add(struct store_db *db, const struct db_container *c,
	    struct berth_error *err);
int	 db_container_update(struct store_db *db, const char *id,
	    const char *name, const char *record, struct berth_error *err);
int	 db_container_delete(struct store_db *db, const char *id,
	    struct berth_error *err);
int	 db_container_list(struct store_db *db, struct db_container **out,
	    size_t *n, struct berth_error *err);
void	 db_container_list_free(struct db_container *v, size_t n);

void	 db_strv_free(char **v, size_t n);

#endif
