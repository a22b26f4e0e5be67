/*
 * Unit tests for store/reference.c: Docker's normalisation and grammar.
 */
#include <string.h>

#include "cleanup.h"
#include "reference.h"
#include "unit.h"

#define HEX "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

static const struct {
	const char	*in;
	const char	*full;
	const char	*familiar;
} good[] = {
	{ "busybox", "docker.io/library/busybox:latest", "busybox:latest" },
	{ "busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36" },
	{ "library/busybox", "docker.io/library/busybox:latest",
	    "busybox:latest" },
	{ "docker.io/busybox", "docker.io/library/busybox:latest",
	    "busybox:latest" },
	{ "index.docker.io/library/busybox:x",
	    "docker.io/library/busybox:x", "busybox:x" },
	{ "user/x:1", "docker.io/user/x:1", "user/x:1" },
	{ "user/x/y", "docker.io/user/x/y:latest", "user/x/y:latest" },
	{ "localhost/x", "localhost/x:latest", "localhost/x:latest" },
	{ "localhost:5000/x", "localhost:5000/x:latest",
	    "localhost:5000/x:latest" },
	{ "registry.example.com/a/b:v1.0-rc_1",
	    "registry.example.com/a/b:v1.0-rc_1",
	    "registry.example.com/a/b:v1.0-rc_1" },
	{ "a.b__c---d", "docker.io/library/a.b__c---d:latest",
	    "a.b__c---d:latest" },
	{ "busybox@sha256:" HEX, "docker.io/library/busybox@sha256:" HEX,
	    "busybox@sha256:" HEX },
	{ "busybox:1@sha256:" HEX, "docker.io/library/busybox:1@sha256:" HEX,
	    "busybox:1@sha256:" HEX },
	{ "localhost:5000/x@sha256:" HEX, "localhost:5000/x@sha256:" HEX,
	    "localhost:5000/x@sha256:" HEX },
	{ "localhost:5000", "docker.io/library/localhost:5000",
	    "localhost:5000" },
};

static void
reference_normalises_like_docker(void)
{
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cleanup_error struct berth_error err = BERTH_ERROR_INIT;
		cleanup_reference struct reference ref = REFERENCE_INIT;
		cleanup_free char *full = NULL, *fam = NULL;

		if (reference_parse(good[i].in, &ref, &err) == -1) {
			fprintf(stderr, "# %s: %s\n", good[i].in,
			    berth_error_message(&err));
			CHECK(0);
			continue;
		}
		full = reference_string(&ref);
		fam = reference_familiar(&ref);
		CHECK_STR(full, good[i].full);
		CHECK_STR(fam, good[i].familiar);
	}
}

static const struct {
	const char	*in;
	const char	*why;	/* a part of the message */
} bad[] = {
	{ "", "empty reference" },
	{ "Busybox", "must be lowercase" },
	{ "user/X", "must be lowercase" },
	{ "busybox:", "empty tag" },
	{ "busybox:-x", "tag" },
	{ "busybox:a/b", "registry port" },
	{ "busybox:" "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "longer than 128" },
	{ "-busybox", "path component" },
	{ "busy..box", "path component" },
	{ "busybox-", "path component" },
	{ "a//b", "path component" },
	{ "a___b", "path component" },
	{ "busybox@sha256:abc", "invalid digest" },
	{ "busybox@md5:" HEX, "invalid digest" },
	{ "@sha256:" HEX, "empty repository name" },
	{ ":tag", "empty repository name" },
	{ HEX, "64-byte hexadecimal" },
	{ "-bad.example.com/x", "registry host" },
	{ "host.com:port/x", "registry port" },
	{ "with space", "path component" },
};

static void
reference_refuses_invalid_with_reason(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cleanup_error struct berth_error err = BERTH_ERROR_INIT;
		cleanup_reference struct reference ref = REFERENCE_INIT;

		CHECK(reference_parse(bad[i].in, &ref, &err) == -1);
		CHECK(berth_error_is(&err, STORE_E_INVALID_REFERENCE));
		if (berth_error_message(&err) == NULL ||
		    strstr(berth_error_message(&err), bad[i].why) == NULL) {
			fprintf(stderr, "# %s: got \"%s\"\n", bad[i].in,
			    berth_error_message(&err));
			CHECK(0);
		}
		CHECK(ref.domain == NULL && ref.path == NULL &&
		    ref.tag == NULL && ref.digest == NULL);
	}
}

static void
reference_name_too_long_refused(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_free char *out = NULL;
	char name[300];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	CHECK(reference_normalize(name, &out, &err) == -1);
	CHECK(strstr(berth_error_message(&err), "longer than 255") != NULL);
}

static void
reference_normalize_returns_full_form(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reference struct reference ref = REFERENCE_INIT;
	cleanup_free char *out = NULL, *name = NULL;

	CHECK(reference_normalize("busybox", &out, &err) == 0);
	CHECK_STR(out, "docker.io/library/busybox:latest");
	CHECK(reference_parse("user/x:1", &ref, &err) == 0);
	name = reference_name(&ref);
	CHECK_STR(name, "docker.io/user/x");
}

int
main(void)
{
	RUN(reference_normalises_like_docker);
	RUN(reference_refuses_invalid_with_reason);
	RUN(reference_name_too_long_refused);
	RUN(reference_normalize_returns_full_form);
	UNIT_EXIT();
}
