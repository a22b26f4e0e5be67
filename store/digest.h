/*
 * Content digests: the "sha256:<64 lowercase hex>" strings that name blobs,
 * layers and images, an incremental sha256 (OpenSSL EVP) to compute them
 * as bytes arrive, and OCI chain IDs.
 */
#ifndef BERTH_STORE_DIGEST_H
#define BERTH_STORE_DIGEST_H

#include <stddef.h>
#include <stdbool.h>

#include "error.h"

#define STORE_E_INVALID_DIGEST	"io.berth.Image.InvalidDigest"

#define DIGEST_ALGO		"sha256"
#define DIGEST_PREFIX		"sha256:"
#define DIGEST_PREFIX_LEN	7
#define DIGEST_HEX_LEN		64
/* "sha256:" + 64 hex + NUL */
#define DIGEST_STR_SIZE		(DIGEST_PREFIX_LEN + DIGEST_HEX_LEN + 1)

/* Check s is exactly "sha256:" and 64 lowercase hex digits. */
int	 digest_validate(const char *s, struct berth_error *err);
bool	 digest_is_valid(const char *s);
/* Whether s[0..len) is lowercase hex; a digest's hex part when len is
 * DIGEST_HEX_LEN. */
bool	digest_hex_valid(const char *s, size_t len);
/* The hex part of a validated digest. */
const char *digest_hex(const char *digest);

struct digester;

struct digester *digester_new(struct berth_error *err);
int	 digester_update(struct digester *d, const void *buf, size_t len,
	    struct berth_error *err);
/* Write "sha256:<hex>" into out; the digester cannot be updated after. */
int	 digester_final(struct digester *d, char out[DIGEST_STR_SIZE],
	    struct berth_error *err);
void	 digester_free(struct digester *d);

static inline void
cleanup_digesterp(struct digester **d)
{
	digester_free(*d);
}
#define cleanup_digester __attribute__((cleanup(cleanup_digesterp)))

/* The digest of a buffer in one call. */
int	 digest_buffer(const void *buf, size_t len, char out[DIGEST_STR_SIZE],
	    struct berth_error *err);
/*
 * OCI chain ID of a layer on top of parent (parent NULL for the bottom
 * layer): chainID(L0) = diffID(L0),
 * chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)).
 */
int	 digest_chain_id(const char *parent, const char *diff_id,
	    char out[DIGEST_STR_SIZE], struct berth_error *err);
/* The chain IDs of a whole stack of diff IDs, bottom first. */
int	 digest_chain_ids(const char *const *diff_ids, size_t n,
	    char (*out)[DIGEST_STR_SIZE], struct berth_error *err);

#endif
