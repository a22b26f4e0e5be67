/*
 * The blob store: content by sha256 digest under ROOT/blobs/sha256/<hex>.
 * A blob is written to a temporary file in ROOT/blobs/tmp, hashed as the
 * bytes arrive, verified, fsynced and linked or renamed into place, so a
 * blob under its digest is always complete and correct; nothing of a
 * refused or abandoned write stays once blob_store_cleanup_tmp() has run.
 *
 * These calls block on disk I/O and hash whole blobs: berthd runs them in
 * helper processes, never on its loop (DESIGN.md, invariant 1).
 */
#ifndef BERTH_STORE_BLOB_H
#define BERTH_STORE_BLOB_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "digest.h"
#include "error.h"

#define STORE_E_BLOB_MISMATCH	"io.berth.Image.BlobDigestMismatch"
#define STORE_E_BLOB_NOT_FOUND	"io.berth.Image.BlobNotFound"
#define STORE_E_BLOB_TOO_LARGE	"io.berth.Image.BlobTooLarge"

struct blob_store;
struct blob_writer;

/* Open (creating as needed) the blob directories under root. */
int	 blob_store_open(const char *root, struct blob_store **out,
	    struct berth_error *err);
void	 blob_store_close(struct blob_store *bs);
/* Remove every leftover of interrupted writes in ROOT/blobs/tmp; run at
 * start-up, before any writer opens.  Returns the number removed. */
int	 blob_store_cleanup_tmp(struct blob_store *bs, struct berth_error *err);

/* Start a blob; limit is the largest size accepted, 0 for none. */
int	 blob_writer_open(struct blob_store *bs, uint64_t limit,
	    struct blob_writer **out, struct berth_error *err);
int	 blob_writer_write(struct blob_writer *w, const void *buf, size_t len,
	    struct berth_error *err);
uint64_t blob_writer_size(const struct blob_writer *w);
/*
 * Finish the blob: when expected is not NULL the content must hash to it,
 * or the blob is refused (STORE_E_BLOB_MISMATCH, naming both digests) and
 * its temporary file removed.  The digest is written to out (may be NULL).
 * The writer is freed whatever the outcome.  Committing a blob that is
 * already present is not an error.
 */
int	 blob_writer_commit(struct blob_writer *w, const char *expected,
	    char out[DIGEST_STR_SIZE], struct berth_error *err);
/* Drop an unfinished blob and free the writer; NULL is fine. */
void	 blob_writer_abort(struct blob_writer *w);

static inline void
cleanup_blob_writerp(struct blob_writer **w)
{
	blob_writer_abort(*w);
}
#define cleanup_blob_writer __attribute__((cleanup(cleanup_blob_writerp)))

static inline void
cleanup_blob_storep(struct blob_store **bs)
{
	blob_store_close(*bs);
}
#define cleanup_blob_store __attribute__((cleanup(cleanup_blob_storep)))

/* Write a whole buffer as a blob. */
int	 blob_put(struct blob_store *bs, const void *buf, size_t len,
	    const char *expected, char out[DIGEST_STR_SIZE],
	    struct berth_error *err);
/* A read-only fd on the blob; -1 and STORE_E_BLOB_NOT_FOUND if absent. */
int	 blob_open(struct blob_store *bs, const char *digest,
	    struct berth_error *err);
/* 1 present, 0 absent, -1 error. */
int	 blob_exists(struct blob_store *bs, const char *digest,
	    struct berth_error *err);
int	 blob_size(struct blob_store *bs, const char *digest, uint64_t *size,
	    struct berth_error *err);
/* Rehash a stored blob; STORE_E_BLOB_MISMATCH if it has gone bad. */
int	 blob_verify(struct blob_store *bs, const char *digest,
	    struct berth_error *err);
/* Remove a blob; an absent blob is not an error. */
/* Every digest under sha256/ (names that are not 64 hex are skipped). */
int	 blob_store_list(struct blob_store *bs, char ***digests, size_t *n,
	    struct berth_error *err);
int	 blob_delete(struct blob_store *bs, const char *digest,
	    struct berth_error *err);

#endif
