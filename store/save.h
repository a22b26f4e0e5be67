/*
 * Image saving: images written as one uncompressed tar, a docker-archive
 * (what `docker save` writes and `docker load` reads: manifest.json,
 * <config hex>.json, <hex>/layer.tar, repositories) or an OCI image
 * layout (oci-layout, index.json, blobs/sha256/<hex>).
 *
 * The output is written front to back (out_fd may be a pipe) and is
 * deterministic: the same images saved twice give the same bytes (tar
 * headers with mtime 0, uid and gid 0, mode 0644; members in image and
 * layer order; gzip without a timestamp; fixed compression levels).
 *
 * Layers: a docker-archive holds uncompressed tars unless a compression
 * is asked for; an OCI layout as stored keeps the stored manifest and
 * blobs byte for byte, so digests round-trip.  A layer that must change
 * form (decompressed or recompressed) is produced into the blob store
 * first, since a tar header needs its size before its data: these blobs
 * are named by no image and are left to store_gc() (saving again reuses
 * them).  Where layers change, or no manifest is stored, a new OCI
 * manifest is written (config unchanged).
 *
 * These calls block on disk I/O: berthd runs them in helper processes.
 */
#ifndef BERTH_STORE_SAVE_H
#define BERTH_STORE_SAVE_H

#include <stddef.h>

#include "error.h"
#include "progress.h"

struct store;

enum save_format {
	SAVE_DOCKER,
	SAVE_OCI,
};

enum save_compression {
	SAVE_AS_STORED,
	SAVE_GZIP,
	SAVE_ZSTD,
};

#define SAVE_GZIP_LEVEL	"6"
#define SAVE_ZSTD_LEVEL	"3"

/*
 * Write image_ids (config digests, as store_image_find gives) to out_fd
 * as one tar.  refs are normalised references to name in the archive;
 * each must point at one of image_ids (BERTH_E_INVALID_PARAM otherwise).
 * Progress: ("Writing", blob digest, bytes written, blob size) per blob.
 */
int	 store_save(struct store *st, const char *const *image_ids,
	    size_t nids, const char *const *refs, size_t nrefs,
	    enum save_format fmt, enum save_compression comp, int out_fd,
	    const struct store_progress *progress, struct berth_error *err);

#endif
