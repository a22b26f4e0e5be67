/*
 * The store facade: owns ROOT's layout and ties the blob store, layer
 * extraction and the metadata database together.
 *
 *	ROOT/blobs/...		blob.c
 *	ROOT/metadata.db	db.c
 *	ROOT/layers/<hex>/	an unpacked layer, named by its diff ID's hex
 *	ROOT/layers/tmp/	staging directories of unpacks in progress
 *
 * A layer directory is keyed by diff ID, not chain ID: its content
 * depends on the uncompressed tar alone, so two stacks that share a layer
 * at different depths share one directory, and a layer can be unpacked
 * before any image names it.  Stacks (chain IDs) stay in the database.
 *
 * These calls block on disk I/O and hash whole layers: berthd runs them
 * in helper processes, never on its loop (DESIGN.md, invariant 1).
 */
#ifndef BERTH_STORE_STORE_H
#define BERTH_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "blob.h"
#include "db.h"
#include "digest.h"
#include "error.h"

#define STORE_E_DIFF_ID_MISMATCH "io.berth.Image.DiffIDMismatch"
#define STORE_E_LAYER_NOT_FOUND	"io.berth.Image.LayerNotFound"

struct store;

/*
 * Open the store under root (created 0700 if missing) and recover from a
 * crash: interrupted blob writes and staging directories are removed, a
 * layer left "unpacking" is removed and forgotten, and an "unpacked" row
 * whose directory is gone is forgotten.
 */
int	 store_open(const char *root, struct store **out,
	    struct berth_error *err);
/* The same without recovery, for a helper process while berthd runs:
 * recovery would take other helpers' work in progress for debris. */
int	 store_open_shared(const char *root, struct store **out,
	    struct berth_error *err);
void	 store_close(struct store *st);

/*
 * Work that adds to the store (load, import) holds the store lock shared
 * while it runs; garbage collection holds it exclusive, since it removes
 * what no image names yet, including what a load in progress wrote.  The
 * lock is held until store_close.  Blocks: helpers only.
 */
int	 store_lock(struct store *st, bool exclusive, struct berth_error *err);

static inline void
cleanup_storep(struct store **st)
{
	store_close(*st);
}
#define cleanup_store __attribute__((cleanup(cleanup_storep)))

/* The parts, for callers that add blobs and images. */
struct blob_store *store_blobs(struct store *st);
struct store_db	*store_db(struct store *st);

/*
 * Unpack the layer blob blob_digest (plain, gzip or zstd tar) into
 * ROOT/layers/<diff-id hex>, once: an already unpacked layer is left as
 * it is.  The diff ID (sha256 of the uncompressed tar) is computed, and
 * when expected_diff_id is not NULL must equal it
 * (STORE_E_DIFF_ID_MISMATCH); given and already unpacked, the blob is
 * not even read.  Extraction runs in unpack's helper process into a
 * staging directory that is synced and renamed into place, so a failure
 * leaves nothing under ROOT/layers.  The diff ID is written to diff_id.
 */
int	 store_layer_unpack(struct store *st, const char *blob_digest,
	    const char *expected_diff_id, char diff_id[DIGEST_STR_SIZE],
	    struct berth_error *err);
/* The directory of an unpacked layer, for an overlay lowerdir;
 * STORE_E_LAYER_NOT_FOUND when it is not unpacked. */
int	 store_layer_path(struct store *st, const char *diff_id, char *buf,
	    size_t size, struct berth_error *err);

/*
 * Remove what no image references: layer rows, then the unpacked
 * directories no layer row names, then blobs.  Files go first and rows
 * after, so a crash in between leaves a row naming nothing, which the
 * next gc lists again (removing a missing file is not an error) or the
 * next open forgets.  *removed counts directories and blobs removed.
 *
 * A layer unpacked for an image not yet added is garbage to this, and so
 * is a blob file no row names, and so is what the temporary areas hold
 * (a cancelled load's partial blob or layer): gc and image loading must
 * not interleave (take the store lock exclusive).
 */
int	 store_gc(struct store *st, size_t *removed, struct berth_error *err);

#endif
