/*
 * Digest strings, incremental sha256 through OpenSSL's EVP interface, and
 * OCI chain IDs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cleanup.h"
#include "digest.h"

struct digester {
	EVP_MD_CTX	*ctx;
	bool		 done;
};

bool
digest_hex_valid(const char *s, size_t len)
{
	return (strspn(s, "0123456789abcdef") >= len);
}

int
digest_validate(const char *s, struct berth_error *err)
{
	size_t i, len;

	if (s == NULL)
		return (berth_error_set(err, STORE_E_INVALID_DIGEST, 0,
		    "missing digest"));
	if (strncmp(s, DIGEST_PREFIX, DIGEST_PREFIX_LEN) != 0) {
		berth_error_set(err, STORE_E_INVALID_DIGEST, 0,
		    "invalid digest \"%.80s\": only sha256:<hex> is supported",
		    s);
		return (berth_error_param_str(err, "digest", s));
	}
	len = strlen(s + DIGEST_PREFIX_LEN);
	if (len != DIGEST_HEX_LEN) {
		berth_error_set(err, STORE_E_INVALID_DIGEST, 0,
		    "invalid digest \"%.80s\": %zu hex digits, want %d", s,
		    len, DIGEST_HEX_LEN);
		return (berth_error_param_str(err, "digest", s));
	}
	for (i = DIGEST_PREFIX_LEN; s[i] != '\0'; i++) {
		if ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))
			continue;
		berth_error_set(err, STORE_E_INVALID_DIGEST, 0,
		    "invalid digest \"%.80s\": '%c' is not a lowercase hex "
		    "digit", s, s[i]);
		return (berth_error_param_str(err, "digest", s));
	}
	return (0);
}

bool
digest_is_valid(const char *s)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;

	return (digest_validate(s, &err) == 0);
}

const char *
digest_hex(const char *digest)
{
	return (digest + DIGEST_PREFIX_LEN);
}

struct digester *
digester_new(struct berth_error *err)
{
	struct digester *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		berth_error_sys(err, "allocate digester");
		return (NULL);
	}
	if ((d->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
		digester_free(d);
		berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "initialise sha256 digest");
		return (NULL);
	}
	return (d);
}

int
digester_update(struct digester *d, const void *buf, size_t len,
    struct berth_error *err)
{
	if (d->done)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "digester updated after final"));
	if (len > 0 && EVP_DigestUpdate(d->ctx, buf, len) != 1)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "sha256 update failed"));
	return (0);
}

int
digester_final(struct digester *d, char out[DIGEST_STR_SIZE],
    struct berth_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen, i;
	char *p;

	if (d->done)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "digester finalised twice"));
	d->done = true;
	if (EVP_DigestFinal_ex(d->ctx, md, &mdlen) != 1 ||
	    mdlen * 2 != DIGEST_HEX_LEN)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "sha256 final failed"));
	memcpy(out, DIGEST_PREFIX, DIGEST_PREFIX_LEN);
	p = out + DIGEST_PREFIX_LEN;
	for (i = 0; i < mdlen; i++, p += 2)
		snprintf(p, 3, "%02x", md[i]);
	return (0);
}

void
digester_free(struct digester *d)
{
	if (d == NULL)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

int
digest_buffer(const void *buf, size_t len, char out[DIGEST_STR_SIZE],
    struct berth_error *err)
{
	cleanup_digester struct digester *d = NULL;

	if ((d = digester_new(err)) == NULL)
		return (-1);
	if (digester_update(d, buf, len, err) == -1)
		return (-1);
	return (digester_final(d, out, err));
}

int
digest_chain_id(const char *parent, const char *diff_id,
    char out[DIGEST_STR_SIZE], struct berth_error *err)
{
	char buf[2 * DIGEST_STR_SIZE];
	int n;

	if (digest_validate(diff_id, err) == -1)
		return (berth_error_wrap(err, "diff ID"));
	if (parent == NULL) {
		memcpy(out, diff_id, DIGEST_STR_SIZE);
		return (0);
	}
	if (digest_validate(parent, err) == -1)
		return (berth_error_wrap(err, "parent chain ID"));
	n = snprintf(buf, sizeof(buf), "%s %s", parent, diff_id);
	return (digest_buffer(buf, (size_t)n, out, err));
}

int
digest_chain_ids(const char *const *diff_ids, size_t n,
    char (*out)[DIGEST_STR_SIZE], struct berth_error *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (digest_chain_id(i == 0 ? NULL : out[i - 1], diff_ids[i],
		    out[i], err) == -1)
			return (berth_error_wrap(err, "layer %zu", i));
	}
	return (0);
}
