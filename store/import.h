/*
 * Image import (`docker import`): a root filesystem tarball (plain, gzip
 * or zstd) made into a one-layer image, its config shaped by Dockerfile
 * instructions ("CMD", "ENV", ...).
 *
 * The layer is stored as its uncompressed tar (its digest is its diff
 * ID), unpacked by store_layer_unpack(), then the config and an OCI
 * manifest are stored and the image is recorded last, so a failure
 * leaves nothing visible (blobs and layer directories written before it
 * are left to store_gc()).
 */
#ifndef BERTH_STORE_IMPORT_H
#define BERTH_STORE_IMPORT_H

#include <stddef.h>

#include <jansson.h>

#include "digest.h"
#include "error.h"
#include "progress.h"

struct store;

#define STORE_E_INVALID_CHANGE	"io.berth.Image.InvalidChange"

struct import_options {
	const char		*ref;		/* normalised, or NULL */
	const char *const	*changes;	/* Dockerfile lines */
	size_t			 nchanges;
	const char		*message;	/* history comment, or NULL */
	const char		*os;		/* NULL: "linux" */
	const char		*architecture;	/* NULL: the host's */
	const char		*variant;	/* NULL: none (or the host's) */
};

/*
 * Import the tarball read from in_fd (to its end) as a new image; its id
 * is written to id_out.  Every change is checked before anything is
 * stored (STORE_E_INVALID_CHANGE, parameter "change").  Progress:
 * ("Importing", NULL, bytes read, 0).
 */
int	 store_import(struct store *st, int in_fd,
	    const struct import_options *opt, char id_out[DIGEST_STR_SIZE],
	    const struct store_progress *progress, struct berth_error *err);

/*
 * Apply one Dockerfile instruction to config (an image config's
 * "config" object, Docker's field names): CMD, ENTRYPOINT, ENV, WORKDIR,
 * USER, EXPOSE, LABEL, VOLUME, STOPSIGNAL, case-insensitive.  Anything
 * else, or a malformed line, is STORE_E_INVALID_CHANGE and leaves config
 * as it was.
 */
int	 import_parse_change(json_t *config, const char *line,
	    struct berth_error *err);

/* The host's architecture by GOARCH's names ("amd64", "arm64"). */
const char *import_host_arch(void);

#endif
