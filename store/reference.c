/*
 * Parsing, validation and normalisation of image references, after the
 * grammar of github.com/distribution/reference:
 *
 *	reference	:= name [ ":" tag ] [ "@" digest ]
 *	name		:= [domain "/"] path-component ["/" path-component]*
 *	domain		:= host-component ["." host-component]* [":" port]
 *	path-component	:= [a-z0-9]+ (separator [a-z0-9]+)*
 *	separator	:= "." | "_" | "__" | "-"+
 *	tag		:= [\w][\w.-]{0,127}
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "reference.h"

static int
invalid(struct berth_error *err, const char *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
invalid(struct berth_error *err, const char *s, const char *fmt, ...)
{
	cleanup_free char *why = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&why, fmt, ap);
	va_end(ap);
	if (n == -1)
		why = NULL;
	berth_error_set(err, STORE_E_INVALID_REFERENCE, 0,
	    "invalid reference \"%.300s\": %s", s,
	    why != NULL ? why : "malformed");
	return (berth_error_param_str(err, "reference", s));
}

static bool
is_alnum_lower(char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
}

/* One path component, [start, end). */
static bool
valid_path_component(const char *p, const char *end)
{
	const char *q;

	if (p == end || !is_alnum_lower(*p) || !is_alnum_lower(end[-1]))
		return (false);
	while (p < end) {
		if (is_alnum_lower(*p)) {
			p++;
			continue;
		}
		q = p;
		if (*p == '.')
			p++;
		else if (*p == '_')
			p += (p + 1 < end && p[1] == '_') ? 2 : 1;
		else if (*p == '-') {
			while (p < end && *p == '-')
				p++;
		} else
			return (false);
		if (p == q || p >= end || !is_alnum_lower(*p))
			return (false);
	}
	return (true);
}

static int
check_path(const char *s, const char *path, struct berth_error *err)
{
	const char *p, *slash;

	for (p = path; *p != '\0'; p++) {
		if (isupper((unsigned char)*p))
			return (invalid(err, s,
			    "repository name must be lowercase"));
	}
	for (p = path;; p = slash + 1) {
		slash = strchr(p, '/');
		if (!valid_path_component(p, slash != NULL ? slash :
		    p + strlen(p)))
			return (invalid(err, s, "path component \"%.*s\" must "
			    "be lowercase letters and digits separated by "
			    "'.', '_', '__' or '-'",
			    (int)(slash != NULL ? slash - p : (long)strlen(p)),
			    p));
		if (slash == NULL)
			return (0);
	}
}

static bool
valid_host_component(const char *p, const char *end)
{
	if (p == end || !isalnum((unsigned char)*p) ||
	    !isalnum((unsigned char)end[-1]))
		return (false);
	for (; p < end; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-')
			return (false);
	}
	return (true);
}

static int
check_domain(const char *s, const char *domain, struct berth_error *err)
{
	const char *p, *end, *colon, *dot;

	colon = strchr(domain, ':');
	end = colon != NULL ? colon : domain + strlen(domain);
	for (p = domain;; p = dot + 1) {
		dot = memchr(p, '.', (size_t)(end - p));
		if (!valid_host_component(p, dot != NULL ? dot : end))
			return (invalid(err, s, "invalid registry host \"%s\"",
			    domain));
		if (dot == NULL)
			break;
	}
	if (colon != NULL) {
		if (colon[1] == '\0' ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1))
			return (invalid(err, s, "invalid registry port in "
			    "\"%s\"", domain));
	}
	return (0);
}

static int
check_tag(const char *s, const char *tag, struct berth_error *err)
{
	size_t i, len = strlen(tag);

	if (len == 0)
		return (invalid(err, s, "empty tag"));
	if (len > REFERENCE_TAG_MAX)
		return (invalid(err, s, "tag longer than %d characters",
		    REFERENCE_TAG_MAX));
	for (i = 0; i < len; i++) {
		if (isalnum((unsigned char)tag[i]) || tag[i] == '_')
			continue;
		if (i > 0 && (tag[i] == '.' || tag[i] == '-'))
			continue;
		return (invalid(err, s, "tag \"%s\" may hold only letters, "
		    "digits, '_', '.' and '-', and not start with '.' or '-'",
		    tag));
	}
	return (0);
}

/* Docker's splitDockerDomain: is the first component a registry? */
static bool
looks_like_domain(const char *first, size_t len)
{
	if (len == 9 && strncmp(first, "localhost", 9) == 0)
		return (true);
	return (memchr(first, '.', len) != NULL ||
	    memchr(first, ':', len) != NULL);
}

static int
split_name(const char *s, char *name, struct reference *ref,
    struct berth_error *err)
{
	char *slash;
	size_t hexlen;

	hexlen = strspn(name, "0123456789abcdef");
	if (hexlen == DIGEST_HEX_LEN && name[hexlen] == '\0')
		return (invalid(err, s, "cannot specify 64-byte hexadecimal "
		    "strings as a repository name"));
	slash = strchr(name, '/');
	if (slash != NULL && looks_like_domain(name, (size_t)(slash - name))) {
		*slash = '\0';
		if (strcmp(name, "index.docker.io") == 0)
			ref->domain = strdup(REFERENCE_DEFAULT_DOMAIN);
		else
			ref->domain = strdup(name);
		ref->path = strdup(slash + 1);
	} else {
		ref->domain = strdup(REFERENCE_DEFAULT_DOMAIN);
		ref->path = strdup(name);
	}
	if (ref->domain == NULL || ref->path == NULL)
		return (berth_error_sys(err, "parse reference"));
	if (check_domain(s, ref->domain, err) == -1)
		return (-1);
	if (strcmp(ref->domain, REFERENCE_DEFAULT_DOMAIN) == 0 &&
	    strchr(ref->path, '/') == NULL) {
		cleanup_free char *p = ref->path;

		if (asprintf(&ref->path, "library/%s", p) == -1) {
			ref->path = NULL;
			return (berth_error_sys(err, "parse reference"));
		}
	}
	if (check_path(s, ref->path, err) == -1)
		return (-1);
	if (strlen(ref->domain) + 1 + strlen(ref->path) > REFERENCE_NAME_MAX)
		return (invalid(err, s, "repository name longer than %d "
		    "characters", REFERENCE_NAME_MAX));
	return (0);
}

static int
parse(const char *s, char *copy, struct reference *ref,
    struct berth_error *err)
{
	char *at, *colon, *slash;

	if (*copy == '\0')
		return (invalid(err, s, "empty reference"));
	if ((at = strchr(copy, '@')) != NULL) {
		*at++ = '\0';
		if (digest_validate(at, err) == -1) {
			cleanup_free char *why = strdup(berth_error_message(err));

			return (invalid(err, s, "%s", why != NULL ? why :
			    "bad digest"));
		}
		if ((ref->digest = strdup(at)) == NULL)
			return (berth_error_sys(err, "parse reference"));
	}
	slash = strrchr(copy, '/');
	colon = strrchr(slash != NULL ? slash : copy, ':');
	if (colon != NULL) {
		*colon++ = '\0';
		if (check_tag(s, colon, err) == -1)
			return (-1);
		if ((ref->tag = strdup(colon)) == NULL)
			return (berth_error_sys(err, "parse reference"));
	}
	if (*copy == '\0')
		return (invalid(err, s, "empty repository name"));
	if (split_name(s, copy, ref, err) == -1)
		return (-1);
	if (ref->tag == NULL && ref->digest == NULL &&
	    (ref->tag = strdup(REFERENCE_DEFAULT_TAG)) == NULL)
		return (berth_error_sys(err, "parse reference"));
	return (0);
}

int
reference_parse(const char *s, struct reference *ref,
    struct berth_error *err)
{
	cleanup_free char *copy = NULL;

	memset(ref, 0, sizeof(*ref));
	if (s == NULL)
		return (berth_error_set(err, STORE_E_INVALID_REFERENCE, 0,
		    "missing reference"));
	if ((copy = strdup(s)) == NULL)
		return (berth_error_sys(err, "parse reference"));
	if (parse(s, copy, ref, err) == -1) {
		reference_free(ref);
		return (-1);
	}
	return (0);
}

void
reference_free(struct reference *ref)
{
	free(ref->domain);
	free(ref->path);
	free(ref->tag);
	free(ref->digest);
	memset(ref, 0, sizeof(*ref));
}

/* name, then ":tag" and "@digest" when present. */
static char *
format(const char *domain, const char *path, const struct reference *ref)
{
	char *s;

	if (asprintf(&s, "%s%s%s%s%s%s%s", domain, *domain != '\0' ? "/" : "",
	    path, ref->tag != NULL ? ":" : "", ref->tag != NULL ? ref->tag : "",
	    ref->digest != NULL ? "@" : "",
	    ref->digest != NULL ? ref->digest : "") == -1)
		return (NULL);
	return (s);
}

char *
reference_string(const struct reference *ref)
{
	return (format(ref->domain, ref->path, ref));
}

char *
reference_name(const struct reference *ref)
{
	char *s;

	if (asprintf(&s, "%s/%s", ref->domain, ref->path) == -1)
		return (NULL);
	return (s);
}

char *
reference_familiar(const struct reference *ref)
{
	const char *path = ref->path;

	if (strcmp(ref->domain, REFERENCE_DEFAULT_DOMAIN) != 0)
		return (format(ref->domain, path, ref));
	if (strncmp(path, "library/", 8) == 0 &&
	    strchr(path + 8, '/') == NULL)
		path += 8;
	return (format("", path, ref));
}

int
reference_normalize(const char *s, char **out, struct berth_error *err)
{
	cleanup_reference struct reference ref = REFERENCE_INIT;

	if (reference_parse(s, &ref, err) == -1)
		return (-1);
	if ((*out = reference_string(&ref)) == NULL)
		return (berth_error_sys(err, "format reference"));
	return (0);
}
