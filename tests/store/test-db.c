/*
 * Unit tests for store/db.c: pragmas, schema, atomic image adds,
 * references, deletion and garbage-collection queries.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cleanup.h"
#include "db.h"
#include "unit.h"

#define H(c) "sha256:" c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c

#define CFG_A	H("a")
#define CFG_B	H("b")
#define MAN_A	H("c")
#define DIFF_1	H("1")
#define DIFF_2	H("2")
#define DIFF_3	H("3")
#define BLOB_1	H("4")
#define BLOB_2	H("5")
#define BLOB_3	H("6")
#define REF_A	"docker.io/library/a:latest"
#define REF_A2	"docker.io/library/a:2"

static char root[] = "/tmp/berth-test-db.XXXXXX";
static char path[256];

static void
remove_db_files(void)
{
	char side[300];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

static struct store_db *
fresh_db(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store_db *db = NULL;

	remove_db_files();
	if (db_open(path, &db, &err) == -1)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	return (db);
}

static inline void
cleanup_dbp(struct store_db **db)
{
	db_close(*db);
}
#define cleanup_db __attribute__((cleanup(cleanup_dbp)))

static const struct db_layer layers_a[] = {
	{ DIFF_1, { BLOB_1, "application/vnd.oci.image.layer.v1.tar+gzip",
	    10 }, 100 },
	{ DIFF_2, { BLOB_2, "application/vnd.oci.image.layer.v1.tar+gzip",
	    20 }, 200 },
};

static const char *const refs_a[] = { REF_A };

static struct db_image
image_a(void)
{
	struct db_image img = {
		.id = CFG_A,
		.config = { CFG_A, "application/vnd.oci.image.config.v1+json",
		    5 },
		.manifest = { MAN_A,
		    "application/vnd.oci.image.manifest.v1+json", 6 },
		.created = 1000,
		.size = 300,
		.layers = layers_a,
		.nlayers = 2,
		.refs = refs_a,
		.nrefs = 1,
	};

	return (img);
}

/* Another connection, to see what is really in the file. */
static long long
count(const char *sql)
{
	sqlite3 *s;
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_open(path, &s) != SQLITE_OK)
		return (-1);
	if (sqlite3_prepare_v2(s, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(s);
	return (n);
}

static void
db_uses_wal_and_current_schema(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_db struct store_db *db = fresh_db();
	sqlite3 *s;
	sqlite3_stmt *st;
	int version = -1;

	CHECK(db != NULL);
	CHECK(db_schema_version(db, &version, &err) == 0);
	CHECK(version == DB_SCHEMA_VERSION);
	/* WAL is a property of the file: a new connection sees it. */
	CHECK(sqlite3_open(path, &s) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(s, "PRAGMA journal_mode", -1, &st,
	    NULL) == SQLITE_OK);
	CHECK(sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(s);
}

static void
db_reopen_keeps_schema_and_data(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store_db *db = fresh_db();
	struct db_image img = image_a();
	char id[DIGEST_STR_SIZE];
	char engine[DB_ENGINE_ID_LEN + 1], again[DB_ENGINE_ID_LEN + 1];
	int version = -1;

	CHECK(db_image_add(db, &img, &err) == 0);
	/* The engine id: a version 4 UUID, made once. */
	CHECK(db_engine_id(db, engine, &err) == 0);
	CHECK(strlen(engine) == DB_ENGINE_ID_LEN && engine[8] == '-' &&
	    engine[14] == '4' && strchr("89ab", engine[19]) != NULL);
	CHECK(db_engine_id(db, again, &err) == 0);
	CHECK_STR(again, engine);
	db_close(db);
	CHECK(db_open(path, &db, &err) == 0);
	CHECK(db_schema_version(db, &version, &err) == 0 &&
	    version == DB_SCHEMA_VERSION);
	CHECK(db_resolve(db, REF_A, id, &err) == 0);
	CHECK_STR(id, CFG_A);
	CHECK(db_engine_id(db, again, &err) == 0);
	CHECK_STR(again, engine);
	db_close(db);
}

static void
db_refuses_newer_schema(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store_db *db = fresh_db();
	sqlite3 *s;

	db_close(db);
	CHECK(sqlite3_open(path, &s) == SQLITE_OK);
	CHECK(sqlite3_exec(s, "UPDATE schema_version SET version = 99",
	    NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(s);
	db = NULL;
	CHECK(db_open(path, &db, &err) == -1);
	CHECK(db == NULL);
	CHECK(strstr(berth_error_message(&err), "newer") != NULL);
}

static void
db_image_add_stores_stack_and_refs(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_db struct store_db *db = fresh_db();
	struct db_image img = image_a();
	char id[DIGEST_STR_SIZE];
	char **chains = NULL;
	size_t n = 0;

	CHECK(db_image_add(db, &img, &err) == 0);
	CHECK(db_resolve(db, REF_A, id, &err) == 0);
	CHECK_STR(id, CFG_A);
	CHECK(db_image_layers(db, CFG_A, &chains, &n, &err) == 0);
	CHECK(n == 2);
	if (n == 2) {
		char want[DIGEST_STR_SIZE];

		CHECK_STR(chains[0], DIFF_1);
		CHECK(digest_chain_id(DIFF_1, DIFF_2, want, &err) == 0);
		CHECK_STR(chains[1], want);
	}
	db_strv_free(chains, n);
	CHECK(count("SELECT count(*) FROM blobs") == 4);
}

static void
db_image_add_failure_leaves_nothing(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_db struct store_db *db = fresh_db();
	struct db_image img = image_a();
	static const struct db_layer layers_dup[] = {
		{ DIFF_3, { BLOB_3, "x", 30 }, 0 },
	};
	static const char *const refs_dup[] = { "docker.io/library/dup:1" };

	CHECK(db_image_add(db, &img, &err) == 0);
	/* Same id again, with a new layer, blob and ref: the image insert
	 * fails after the blob rows went in; all must roll back. */
	img.layers = layers_dup;
	img.nlayers = 1;
	img.refs = refs_dup;
	CHECK(db_image_add(db, &img, &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_IMAGE_EXISTS));
	CHECK(count("SELECT count(*) FROM blobs WHERE digest = '"
	    BLOB_3 "'") == 0);
	CHECK(count("SELECT count(*) FROM layers WHERE diff_id = '"
	    DIFF_3 "'") == 0);
	CHECK(count("SELECT count(*) FROM refs") == 1);
	CHECK(count("SELECT count(*) FROM image_layers") == 2);

	/* A failure in the last step (a bad diff ID) as well. */
	{
		static const struct db_layer bad[] = {
			{ DIFF_3, { BLOB_3, "x", 30 }, 0 },
			{ "sha256:bad", { NULL, NULL, 0 }, 0 },
		};
		struct db_image b = image_a();

		b.id = b.config.digest = CFG_B;
		b.manifest.digest = NULL;
		b.layers = bad;
		b.nlayers = 2;
		CHECK(db_image_add(db, &b, &err) == -1);
		CHECK(count("SELECT count(*) FROM images") == 1);
		CHECK(count("SELECT count(*) FROM blobs WHERE digest IN ('"
		    CFG_B "', '" BLOB_3 "')") == 0);
	}
}

static void
db_tag_untag_resolve(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_db struct store_db *db = fresh_db();
	struct db_image img = image_a();
	char id[DIGEST_STR_SIZE];

	CHECK(db_image_add(db, &img, &err) == 0);
	CHECK(db_tag(db, REF_A2, CFG_A, &err) == 0);
	CHECK(db_resolve(db, REF_A2, id, &err) == 0);
	CHECK_STR(id, CFG_A);
	CHECK(db_tag(db, "docker.io/library/x:1", CFG_B, &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_IMAGE_NOT_FOUND));
	CHECK(db_untag(db, REF_A2, &err) == 0);
	CHECK(db_resolve(db, REF_A2, id, &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_REF_NOT_FOUND));
	CHECK(db_untag(db, REF_A2, &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_REF_NOT_FOUND));
}

static void
db_tag_moves_between_images(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_db struct store_db *db = fresh_db();
	struct db_image a = image_a(), b = image_a();
	char id[DIGEST_STR_SIZE];

	b.id = b.config.digest = CFG_B;
	b.manifest.digest = NULL;
	CHECK(db_image_add(db, &a, &err) == 0);
	CHECK(db_image_add(db, &b, &err) == 0);
	CHECK(db_resolve(db, REF_A, id, &err) == 0);
	CHECK_STR(id, CFG_B);
}

static void
db_delete_refused_while_tagged(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_db struct store_db *db = fresh_db();
	struct db_image img = image_a();
	struct db_image_info *list = NULL;
	size_t n = 0;

	CHECK(db_image_add(db, &img, &err) == 0);
	CHECK(db_image_delete(db, CFG_A, false, &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_IMAGE_IN_USE));
	CHECK(strstr(berth_error_message(&err), REF_A) != NULL);
	CHECK(db_image_list(db, &list, &n, &err) == 0 && n == 1);
	if (n == 1) {
		CHECK_STR(list[0].id, CFG_A);
		CHECK_STR(list[0].manifest, MAN_A);
		CHECK(list[0].nrefs == 1 && list[0].created == 1000);
	}
	db_image_list_free(list, n);
	CHECK(db_untag(db, REF_A, &err) == 0);
	CHECK(db_image_delete(db, CFG_A, false, &err) == 0);
	CHECK(db_image_delete(db, CFG_A, false, &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_IMAGE_NOT_FOUND));
	CHECK(count("SELECT count(*) FROM image_layers") == 0);
}

static void
db_force_delete_removes_tags(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_db struct store_db *db = fresh_db();
	struct db_image img = image_a();

	CHECK(db_image_add(db, &img, &err) == 0);
	CHECK(db_image_delete(db, CFG_A, true, &err) == 0);
	CHECK(count("SELECT count(*) FROM refs") == 0);
	CHECK(count("SELECT count(*) FROM images") == 0);
}

static void
db_gc_lists_unreferenced_layers_then_blobs(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_db struct store_db *db = fresh_db();
	struct db_image a = image_a(), b = image_a();
	static const struct db_layer one[] = {
		{ DIFF_1, { BLOB_1, "x", 10 }, 100 },
	};
	char **v = NULL;
	size_t n = 0, i;

	/* b shares a's bottom layer only. */
	b.id = b.config.digest = CFG_B;
	b.manifest.digest = NULL;
	b.layers = one;
	b.nlayers = 1;
	b.nrefs = 0;
	CHECK(db_image_add(db, &a, &err) == 0);
	CHECK(db_image_add(db, &b, &err) == 0);
	CHECK(db_gc_layers(db, &v, &n, &err) == 0 && n == 0);
	db_strv_free(v, n);
	CHECK(db_gc_blobs(db, &v, &n, &err) == 0 && n == 0);
	db_strv_free(v, n);

	CHECK(db_image_delete(db, CFG_A, true, &err) == 0);
	/* Layer 2 is a's alone; layer 1 stays for b. */
	CHECK(db_gc_layers(db, &v, &n, &err) == 0 && n == 1);
	if (n == 1) {
		char want[DIGEST_STR_SIZE];

		CHECK(digest_chain_id(DIFF_1, DIFF_2, want, &err) == 0);
		CHECK_STR(v[0], want);
	}
	for (i = 0; i < n; i++)
		CHECK(db_layer_forget(db, v[i], &err) == 0);
	db_strv_free(v, n);
	/* Then a's config, manifest and layer 2's blob. */
	CHECK(db_gc_blobs(db, &v, &n, &err) == 0 && n == 3);
	if (n == 3) {
		CHECK_STR(v[0], BLOB_2);
		CHECK_STR(v[1], CFG_A);
		CHECK_STR(v[2], MAN_A);
	}
	for (i = 0; i < n; i++)
		CHECK(db_blob_forget(db, v[i], &err) == 0);
	db_strv_free(v, n);
	CHECK(count("SELECT count(*) FROM blobs") == 2);
	/* No row from foreign_key_check: no dangling reference. */
	CHECK(count("PRAGMA foreign_key_check") == -1);
}

static void
db_layer_state_checked(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_db struct store_db *db = fresh_db();
	struct db_image img = image_a();

	CHECK(db_image_add(db, &img, &err) == 0);
	CHECK(db_layer_set_state(db, DIFF_1, "unpacked", &err) == 0);
	CHECK(db_layer_set_state(db, DIFF_1, "bogus", &err) == -1);
	CHECK(db_layer_set_state(db, DIFF_3, "unpacked", &err) == -1);
	CHECK(count("SELECT count(*) FROM layers WHERE state = "
	    "'unpacked'") == 1);
}

static void
db_layer_dirs_by_diff_id(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_db struct store_db *db = fresh_db();
	struct db_image img = image_a();
	char state[DB_STATE_SIZE];
	char **v = NULL;
	size_t n = 0;

	CHECK(db_layer_dir_state(db, DIFF_3, state, &err) == 0);
	CHECK_STR(state, "absent");
	CHECK(db_layer_dir_set_state(db, DIFF_3, "unpacking", &err) == 0);
	CHECK(db_layer_dir_set_state(db, DIFF_1, "unpacking", &err) == 0);
	CHECK(db_layer_dir_set_state(db, DIFF_1, "unpacked", &err) == 0);
	CHECK(db_layer_dir_set_state(db, DIFF_1, "bogus", &err) == -1);
	CHECK(db_layer_dir_state(db, DIFF_1, state, &err) == 0);
	CHECK_STR(state, "unpacked");
	CHECK(db_layer_dirs(db, "unpacking", &v, &n, &err) == 0 && n == 1);
	if (n == 1)
		CHECK_STR(v[0], DIFF_3);
	db_strv_free(v, n);
	/* A directory no layer row names is garbage; image a names 1. */
	CHECK(db_image_add(db, &img, &err) == 0);
	CHECK(db_gc_layer_dirs(db, &v, &n, &err) == 0 && n == 1);
	if (n == 1)
		CHECK_STR(v[0], DIFF_3);
	db_strv_free(v, n);
	CHECK(db_layer_dir_set_state(db, DIFF_3, "absent", &err) == 0);
	CHECK(db_layer_dir_state(db, DIFF_3, state, &err) == 0);
	CHECK_STR(state, "absent");
	CHECK(count("SELECT count(*) FROM layer_dirs") == 1);
}

int
main(void)
{
	if (mkdtemp(root) == NULL)
		return (1);
	snprintf(path, sizeof(path), "%s/metadata.db", root);
	RUN(db_uses_wal_and_current_schema);
	RUN(db_reopen_keeps_schema_and_data);
	RUN(db_refuses_newer_schema);
	RUN(db_image_add_stores_stack_and_refs);
	RUN(db_image_add_failure_leaves_nothing);
	RUN(db_tag_untag_resolve);
	RUN(db_tag_moves_between_images);
	RUN(db_delete_refused_while_tagged);
	RUN(db_force_delete_removes_tags);
	RUN(db_gc_lists_unreferenced_layers_then_blobs);
	RUN(db_layer_state_checked);
	RUN(db_layer_dirs_by_diff_id);
	db_close(fresh_db());
	remove_db_files();
	rmdir(root);
	UNIT_EXIT();
}
