/*
 * Image references as Docker normalises them: "busybox" is
 * docker.io/library/busybox:latest, "user/x:1" is docker.io/user/x:1, a
 * first component with a '.' or ':' or "localhost" is a registry host,
 * "name@sha256:<hex>" pins a digest.  Names and tags follow Docker's
 * grammar (distribution/reference); the familiar short form is what
 * Docker shows (busybox:latest).
 */
#ifndef BERTH_STORE_REFERENCE_H
#define BERTH_STORE_REFERENCE_H

#include "digest.h"
#include "error.h"

#define STORE_E_INVALID_REFERENCE "io.berth.Image.InvalidReference"

#define REFERENCE_DEFAULT_DOMAIN "docker.io"
#define REFERENCE_DEFAULT_TAG	"latest"
#define REFERENCE_NAME_MAX	255
#define REFERENCE_TAG_MAX	128

struct reference {
	char	*domain;	/* "docker.io" */
	char	*path;		/* "library/busybox" */
	char	*tag;		/* NULL when only a digest was given */
	char	*digest;	/* NULL when none */
};

#define REFERENCE_INIT { NULL, NULL, NULL, NULL }

/* Parse and normalise; on failure nothing is left allocated in ref. */
int	 reference_parse(const char *s, struct reference *ref,
	    struct berth_error *err);
void	 reference_free(struct reference *ref);
/* "docker.io/library/busybox:latest", "host:5000/x@sha256:..." */
char	*reference_string(const struct reference *ref);
/* The repository alone, "docker.io/library/busybox". */
char	*reference_name(const struct reference *ref);
/* Docker's familiar form: "busybox:latest", "user/x:1", "host:5000/x". */
char	*reference_familiar(const struct reference *ref);
/* Parse and return the normalised string in one call. */
int	 reference_normalize(const char *s, char **out,
	    struct berth_error *err);

static inline void
cleanup_referencep(struct reference *ref)
{
	reference_free(ref);
}
#define cleanup_reference __attribute__((cleanup(cleanup_referencep)))

#endif
