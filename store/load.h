/*
 * Image loading: a docker-archive (what `docker save` writes:
 * manifest.json, <config hex>.json, <id>/layer.tar) or an OCI image layout
 * tarball (oci-layout, index.json, blobs/sha256/<hex>) read once, its
 * blobs streamed into the blob store, every image's layers unpacked and
 * the image recorded.
 *
 * An image is recorded (db_image_add) only after every image of the
 * archive has been checked and its layers unpacked, so a malformed
 * archive records nothing.  Blobs and layer directories written before a
 * failure stay for store_gc(); gc must not run during a load (store.h).
 *
 * These calls block on disk I/O and hash whole layers: berthd runs them
 * in helper processes, never on its loop (DESIGN.md, invariant 1).
 */
#ifndef BERTH_STORE_LOAD_H
#define BERTH_STORE_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"

struct store;

/* A member path or a manifest that is hostile or malformed; the message
 * names the member or field. */
#define STORE_E_INVALID_ARCHIVE	"io.berth.Image.InvalidArchive"
/* A multi-platform image without this host's platform. */
#define STORE_E_PLATFORM	"io.berth.Image.PlatformNotFound"
/* A JSON document over LOAD_JSON_MAX, or too many blobs. */
#define STORE_E_ARCHIVE_LIMIT	"io.berth.Image.ArchiveLimitExceeded"

/* Limits an archive can push on. */
#define LOAD_JSON_MAX		(1u << 20)	/* manifest, index, config */
#define LOAD_MAX_BLOBS		4096u		/* blob members per archive */
#define LOAD_BLOB_MAX		(64ull << 30)	/* one blob member */

struct load_image {
	char		 id[DIGEST_STR_SIZE];	/* config digest */
	char		**refs;			/* normalised */
	size_t		 nrefs;
};

struct load_result {
	struct load_image *images;
	size_t		 nimages;
};

#define LOAD_RESULT_INIT { NULL, 0 }

/*
 * Load the tar (plain, or compressed as libarchive knows) read from archive_fd (to its end) into st.
 * The format is told by the members: manifest.json makes it a
 * docker-archive, index.json with oci-layout an OCI layout.  Images are
 * tagged with their RepoTags (docker) or their io.containerd.image.name
 * or full org.opencontainers.image.ref.name annotation (OCI), normalised.
 * Loading an image already present is not an error: its references are
 * pointed at it again.  On success res lists the images; on failure it
 * is left empty.
 */
int	 store_load(struct store *st, int archive_fd, struct load_result *res,
	    struct berth_error *err);
/* The same, reporting each layer as it is unpacked. */
struct store_progress;
int	 store_load_progress(struct store *st, int archive_fd,
	    const struct store_progress *progress, struct load_result *res,
	    struct berth_error *err);
void	 load_result_free(struct load_result *res);

static inline void
cleanup_load_resultp(struct load_result *res)
{
	load_result_free(res);
}
#define cleanup_load_result __attribute__((cleanup(cleanup_load_resultp)))

#endif
