/*
 * Unit tests for store/digest.c: digest syntax, sha256 and chain IDs.
 */
#include <string.h>

#include "cleanup.h"
#include "digest.h"
#include "unit.h"

#define HELLO	"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
#define EMPTY	"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void
digest_accepts_canonical(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;

	CHECK(digest_validate(HELLO, &err) == 0);
	CHECK(digest_is_valid(EMPTY));
	CHECK_STR(digest_hex(HELLO), HELLO + 7);
}

static void
digest_refuses_malformed(void)
{
	static const char *bad[] = {
		"",
		"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
		"sha512:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
		"SHA256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
		"sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824",
		"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982",
		"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b98244",
		"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982g",
		"sha256:",
		"sha256: 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b982",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cleanup_error struct berth_error err = BERTH_ERROR_INIT;

		CHECK(digest_validate(bad[i], &err) == -1);
		CHECK(berth_error_is(&err, STORE_E_INVALID_DIGEST));
		CHECK(strstr(berth_error_message(&err), "invalid digest") !=
		    NULL);
	}
	{
		cleanup_error struct berth_error err = BERTH_ERROR_INIT;

		CHECK(digest_validate(NULL, &err) == -1);
	}
}

static void
digester_matches_sha256sum_incrementally(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_digester struct digester *d = NULL;
	char out[DIGEST_STR_SIZE];

	CHECK((d = digester_new(&err)) != NULL);
	CHECK(digester_update(d, "he", 2, &err) == 0);
	CHECK(digester_update(d, "", 0, &err) == 0);
	CHECK(digester_update(d, "llo", 3, &err) == 0);
	CHECK(digester_final(d, out, &err) == 0);
	CHECK_STR(out, HELLO);
	CHECK(digester_update(d, "x", 1, &err) == -1);
	CHECK(digest_buffer("", 0, out, &err) == 0);
	CHECK_STR(out, EMPTY);
}

/*
 * By hand:
 *   D0=sha256:$(printf layer0 | sha256sum | cut -d' ' -f1)
 *   D1=sha256:$(printf layer1 | sha256sum | cut -d' ' -f1)
 *   printf '%s %s' $D0 $D1 | sha256sum
 */
#define D0 "sha256:4fbec69b941195fd56f8212a5000e304129451d82efca94ff0e0fb2d5355472e"
#define D1 "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2"
#define C1 "sha256:ef232af0eb422cdfd7917631657cd8ed2bfd5b9461b37c427aa0d3e0a19adf79"

static void
chain_ids_follow_oci(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	const char *diffs[] = { D0, D1 };
	char chains[2][DIGEST_STR_SIZE];
	char d0[DIGEST_STR_SIZE];

	CHECK(digest_buffer("layer0", 6, d0, &err) == 0);
	CHECK_STR(d0, D0);
	CHECK(digest_chain_ids(diffs, 2, chains, &err) == 0);
	CHECK_STR(chains[0], D0);
	CHECK_STR(chains[1], C1);
}

static void
chain_id_refuses_bad_diff_id(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	const char *diffs[] = { D0, "sha256:nothex" };
	char chains[2][DIGEST_STR_SIZE];

	CHECK(digest_chain_ids(diffs, 2, chains, &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_INVALID_DIGEST));
	CHECK(strstr(berth_error_message(&err), "layer 1") != NULL);
}

int
main(void)
{
	RUN(digest_accepts_canonical);
	RUN(digest_refuses_malformed);
	RUN(digester_matches_sha256sum_incrementally);
	RUN(chain_ids_follow_oci);
	RUN(chain_id_refuses_bad_diff_id);
	UNIT_EXIT();
}
