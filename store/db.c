/*
 * The metadata database on SQLite: opening with the pragmas berth relies
 * on, migrations by number, transactions, and the image, reference and
 * garbage-collection queries.
 *
 * Pragmas: journal_mode=WAL (readers never block the writer);
 * foreign_keys=ON (a reference to a missing image is refused, not
 * stored); synchronous=FULL, because in WAL mode NORMAL may lose the last
 * commits on power loss, and a change acknowledged to a client must
 * survive that (DESIGN.md, invariant 3); metadata commits are few, so one
 * fsync each is cheap.  busy_timeout lets a second opener (a helper, the
 * CLI inspecting the store) wait for the lock instead of failing.
 */
#include <sys/random.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cleanup.h"
#include "db.h"
#include "db-int.h"
#include "db-schema.h"

_Static_assert(DB_NMIGRATIONS == DB_SCHEMA_VERSION,
    "a migration for each schema version");

#define DB_BUSY_TIMEOUT_MS	5000

#define cleanup_stmt db_cleanup_stmt

/* A failed call on db: a constraint failure gets its own name. */
static int
db_error(struct store_db *db, struct berth_error *err, const char *what)
{
	int code = sqlite3_extended_errcode(db->sql);
	const char *name = STORE_E_DATABASE;

	if (code == SQLITE_CONSTRAINT_PRIMARYKEY ||
	    code == SQLITE_CONSTRAINT_UNIQUE)
		name = STORE_E_IMAGE_EXISTS;
	return (berth_error_set(err, name, 0, "%s: %s", what,
	    sqlite3_errmsg(db->sql)));
}

static int
exec(struct store_db *db, const char *sql, struct berth_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db->sql, sql, NULL, NULL, &msg) != SQLITE_OK) {
		berth_error_set(err, STORE_E_DATABASE, 0, "%s",
		    msg != NULL ? msg : sqlite3_errmsg(db->sql));
		sqlite3_free(msg);
		return (-1);
	}
	return (0);
}

/* Prepare a statement; the caller binds and finalizes it. */
static sqlite3_stmt *
prepare(struct store_db *db, const char *sql, struct berth_error *err)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL) != SQLITE_OK) {
		db_error(db, err, "prepare");
		return (NULL);
	}
	return (st);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Step a statement that returns no rows. */
static int
step_done(struct store_db *db, sqlite3_stmt *st, const char *what,
    struct berth_error *err)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		return (db_error(db, err, what));
	return (0);
}

sqlite3_stmt *
db_prepare(struct store_db *db, const char *sql, struct berth_error *err)
{
	return (prepare(db, sql, err));
}

void
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	bind_text(st, i, s);
}

int
db_step_done_named(struct store_db *db, sqlite3_stmt *st, const char *what,
    const char *unique_name, struct berth_error *err)
{
	int code;

	if (sqlite3_step(st) == SQLITE_DONE)
		return (0);
	code = sqlite3_extended_errcode(db->sql);
	if (unique_name != NULL && (code == SQLITE_CONSTRAINT_PRIMARYKEY ||
	    code == SQLITE_CONSTRAINT_UNIQUE))
		return (berth_error_set(err, unique_name, 0, "%s: %s", what,
		    sqlite3_errmsg(db->sql)));
	return (db_fail(db, what, err));
}

int
db_fail(struct store_db *db, const char *what, struct berth_error *err)
{
	return (berth_error_set(err, STORE_E_DATABASE, 0, "%s: %s", what,
	    sqlite3_errmsg(db->sql)));
}

int
db_run(struct store_db *db, const char *sql, const char *a, const char *b,
    const char *what, struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;

	if ((st = prepare(db, sql, err)) == NULL)
		return (-1);
	bind_text(st, 1, a);
	if (b != NULL)
		bind_text(st, 2, b);
	return (db_step_done_named(db, st, what, NULL, err));
}

char *
db_column_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return (strdup(s != NULL ? (const char *)s : ""));
}

int
db_begin(struct store_db *db, struct berth_error *err)
{
	if (exec(db, "BEGIN IMMEDIATE", err) == -1)
		return (berth_error_wrap(err, "begin transaction"));
	return (0);
}

int
db_commit(struct store_db *db, struct berth_error *err)
{
	if (exec(db, "COMMIT", err) == -1) {
		db_rollback(db);
		return (berth_error_wrap(err, "commit transaction"));
	}
	return (0);
}

void
db_rollback(struct store_db *db)
{
	if (!sqlite3_get_autocommit(db->sql))
		sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
}

int
db_schema_version(struct store_db *db, int *version, struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;

	st = prepare(db, "SELECT version FROM schema_version", err);
	if (st == NULL)
		return (-1);
	if (sqlite3_step(st) != SQLITE_ROW)
		return (db_error(db, err, "read schema version"));
	*version = sqlite3_column_int(st, 0);
	return (0);
}

/* A random (version 4) UUID, as text. */
static int
uuid4(char out[DB_ENGINE_ID_LEN + 1], struct berth_error *err)
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return (berth_error_sys(err, "getrandom"));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, DB_ENGINE_ID_LEN + 1, "%02x%02x%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
	    b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	    b[13], b[14], b[15]);
	return (0);
}

int
db_engine_id(struct store_db *db, char id[DB_ENGINE_ID_LEN + 1],
    struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	char fresh[DB_ENGINE_ID_LEN + 1];
	const unsigned char *t;

	/* Only the first start's insert takes. */
	if (uuid4(fresh, err) < 0 ||
	    db_run(db, "INSERT INTO engine SELECT ?1 WHERE NOT EXISTS "
	    "(SELECT 1 FROM engine)", fresh, NULL, "make the engine id",
	    err) < 0 ||
	    (st = prepare(db, "SELECT id FROM engine LIMIT 1", err)) == NULL)
		return (-1);
	if (sqlite3_step(st) != SQLITE_ROW)
		return (db_error(db, err, "read the engine id"));
	t = sqlite3_column_text(st, 0);
	if (t == NULL || strlen((const char *)t) > DB_ENGINE_ID_LEN)
		return (berth_error_set(err, STORE_E_DATABASE, 0, "the engine "
		    "id in the database is not one"));
	memcpy(id, t, strlen((const char *)t) + 1);
	return (0);
}

/* Bring the schema to DB_SCHEMA_VERSION, one migration per transaction. */
static int
migrate(struct store_db *db, struct berth_error *err)
{
	char sql[128];
	int version;

	if (exec(db, "CREATE TABLE IF NOT EXISTS schema_version "
	    "(version INTEGER NOT NULL);"
	    "INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS "
	    "(SELECT 1 FROM schema_version)", err) == -1)
		return (berth_error_wrap(err, "create schema_version"));
	if (db_schema_version(db, &version, err) == -1)
		return (-1);
	if (version > (int)DB_NMIGRATIONS)
		return (berth_error_set(err, STORE_E_DATABASE, 0,
		    "schema version %d is newer than this berth's %d",
		    version, (int)DB_NMIGRATIONS));
	for (; version < (int)DB_NMIGRATIONS; version++) {
		snprintf(sql, sizeof(sql),
		    "UPDATE schema_version SET version = %d", version + 1);
		if (db_begin(db, err) == -1)
			return (-1);
		if (exec(db, db_migrations[version], err) == -1 ||
		    exec(db, sql, err) == -1) {
			db_rollback(db);
			return (berth_error_wrap(err, "migration %d", version));
		}
		if (db_commit(db, err) == -1)
			return (-1);
	}
	return (0);
}

void
db_close(struct store_db *db)
{
	if (db == NULL)
		return;
	sqlite3_close_v2(db->sql);
	free(db);
}

static inline void
cleanup_dbp(struct store_db **db)
{
	db_close(*db);
}
#define cleanup_db __attribute__((cleanup(cleanup_dbp)))

int
db_open(const char *path, struct store_db **out, struct berth_error *err)
{
	cleanup_db struct store_db *db = NULL;
	cleanup_stmt sqlite3_stmt *st = NULL;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return (berth_error_sys(err, "open database %s", path));
	if (sqlite3_open_v2(path, &db->sql, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		if (db->sql == NULL)
			return (berth_error_set(err, STORE_E_DATABASE, 0,
			    "open database %s: out of memory", path));
		db_error(db, err, "open");
		return (berth_error_wrap(err, "database %s", path));
	}
	sqlite3_busy_timeout(db->sql, DB_BUSY_TIMEOUT_MS);
	/* journal_mode answers with the mode it got: check it is WAL. */
	if ((st = prepare(db, "PRAGMA journal_mode=WAL", err)) == NULL)
		return (berth_error_wrap(err, "database %s", path));
	if (sqlite3_step(st) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0)
		return (berth_error_set(err, STORE_E_DATABASE, 0,
		    "database %s: cannot switch to WAL mode", path));
	sqlite3_finalize(st);
	st = NULL;
	if (exec(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL",
	    err) == -1 || migrate(db, err) == -1)
		return (berth_error_wrap(err, "database %s", path));
	*out = steal_pointer(&db);
	return (0);
}

static int
add_blob(struct store_db *db, const struct db_blob *b,
    struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;

	if (digest_validate(b->digest, err) == -1)
		return (-1);
	st = prepare(db, "INSERT OR IGNORE INTO blobs (digest, size, "
	    "media_type) VALUES (?, ?, ?)", err);
	if (st == NULL)
		return (-1);
	bind_text(st, 1, b->digest);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)b->size);
	bind_text(st, 3, b->media_type != NULL ? b->media_type : "");
	return (step_done(db, st, "add blob", err));
}

static int
add_layer(struct store_db *db, const char *image, size_t pos,
    const struct db_layer *l, const char *parent, const char *chain,
    struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	cleanup_stmt sqlite3_stmt *il = NULL;

	if (l->blob.digest != NULL && add_blob(db, &l->blob, err) == -1)
		return (-1);
	st = prepare(db, "INSERT OR IGNORE INTO layers (chain_id, diff_id, "
	    "parent, blob, size) VALUES (?, ?, ?, ?, ?)", err);
	if (st == NULL)
		return (-1);
	bind_text(st, 1, chain);
	bind_text(st, 2, l->diff_id);
	bind_text(st, 3, parent);
	bind_text(st, 4, l->blob.digest);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)l->size);
	if (step_done(db, st, "add layer", err) == -1)
		return (-1);
	il = prepare(db, "INSERT INTO image_layers (image, position, "
	    "chain_id, blob) VALUES (?, ?, ?, ?)", err);
	if (il == NULL)
		return (-1);
	bind_text(il, 1, image);
	sqlite3_bind_int64(il, 2, (sqlite3_int64)pos);
	bind_text(il, 3, chain);
	bind_text(il, 4, l->blob.digest);
	return (step_done(db, il, "add image layer", err));
}

static int
tag(struct store_db *db, const char *ref, const char *image_id,
    struct berth_error *err)
{
	return (db_run(db, "INSERT INTO refs (name, image) VALUES (?1, ?2) "
	    "ON CONFLICT (name) DO UPDATE SET image = ?2", ref, image_id,
	    "tag", err));
}

static int
image_add(struct store_db *db, const struct db_image *img,
    struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	char chain[DIGEST_STR_SIZE], parent[DIGEST_STR_SIZE];
	size_t i;

	if (img->config.digest == NULL || strcmp(img->id,
	    img->config.digest) != 0)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "image id must be its config digest"));
	if (add_blob(db, &img->config, err) == -1 ||
	    (img->manifest.digest != NULL &&
	    add_blob(db, &img->manifest, err) == -1))
		return (-1);
	if ((st = prepare(db, "INSERT INTO images (id, manifest, created, "
	    "size) VALUES (?, ?, ?, ?)", err)) == NULL)
		return (-1);
	bind_text(st, 1, img->id);
	bind_text(st, 2, img->manifest.digest);
	sqlite3_bind_int64(st, 3, img->created);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)img->size);
	if (step_done(db, st, "add image", err) == -1)
		return (-1);
	for (i = 0; i < img->nlayers; i++) {
		if (digest_chain_id(i == 0 ? NULL : parent,
		    img->layers[i].diff_id, chain, err) == -1 ||
		    add_layer(db, img->id, i, &img->layers[i],
		    i == 0 ? NULL : parent, chain, err) == -1)
			return (berth_error_wrap(err, "layer %zu", i));
		memcpy(parent, chain, sizeof(parent));
	}
	for (i = 0; i < img->nrefs; i++) {
		if (tag(db, img->refs[i], img->id, err) == -1)
			return (berth_error_wrap(err, "%s", img->refs[i]));
	}
	return (0);
}

static int query_int(struct store_db *, const char *, const char *,
    int64_t *, const char *, struct berth_error *);

int
db_image_put(struct store_db *db, const struct db_image *img,
    struct berth_error *err)
{
	int64_t n;
	size_t i;
	int rc;

	if (digest_validate(img->id, err) == -1)
		return (berth_error_wrap(err, "add image"));
	if (db_begin(db, err) == -1)
		return (berth_error_wrap(err, "add image %s", img->id));
	rc = query_int(db, "SELECT COUNT(*) FROM images WHERE id = ?",
	    img->id, &n, "look up image", err);
	if (rc == 0 && n == 0)
		rc = image_add(db, img, err);
	for (i = 0; rc == 0 && n > 0 && i < img->nrefs; i++)
		rc = tag(db, img->refs[i], img->id, err);
	if (rc == -1) {
		db_rollback(db);
		return (berth_error_wrap(err, "add image %s", img->id));
	}
	if (db_commit(db, err) == -1)
		return (berth_error_wrap(err, "add image %s", img->id));
	return (0);
}

int
db_image_add(struct store_db *db, const struct db_image *img,
    struct berth_error *err)
{
	if (digest_validate(img->id, err) == -1)
		return (berth_error_wrap(err, "add image"));
	if (db_begin(db, err) == -1)
		return (berth_error_wrap(err, "add image %s", img->id));
	if (image_add(db, img, err) == -1) {
		db_rollback(db);
		return (berth_error_wrap(err, "add image %s", img->id));
	}
	if (db_commit(db, err) == -1)
		return (berth_error_wrap(err, "add image %s", img->id));
	return (0);
}

static int
image_exists(struct store_db *db, const char *id, struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	int rc;

	if ((st = prepare(db, "SELECT 1 FROM images WHERE id = ?",
	    err)) == NULL)
		return (-1);
	bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return (0);
	if (rc != SQLITE_DONE)
		return (db_error(db, err, "find image"));
	berth_error_set(err, STORE_E_IMAGE_NOT_FOUND, 0, "no such image: %s",
	    id);
	return (berth_error_param_str(err, "image", id));
}

int
db_tag(struct store_db *db, const char *ref, const char *image_id,
    struct berth_error *err)
{
	if (db_begin(db, err) == -1)
		return (berth_error_wrap(err, "tag %s", ref));
	if (image_exists(db, image_id, err) == -1 ||
	    tag(db, ref, image_id, err) == -1) {
		db_rollback(db);
		return (berth_error_wrap(err, "tag %s", ref));
	}
	if (db_commit(db, err) == -1)
		return (berth_error_wrap(err, "tag %s", ref));
	return (0);
}

static int
ref_not_found(struct berth_error *err, const char *ref)
{
	berth_error_set(err, STORE_E_REF_NOT_FOUND, 0,
	    "no such image reference: %s", ref);
	return (berth_error_param_str(err, "reference", ref));
}

int
db_untag(struct store_db *db, const char *ref, struct berth_error *err)
{
	if (db_run(db, "DELETE FROM refs WHERE name = ?", ref, NULL, "untag",
	    err) == -1)
		return (berth_error_wrap(err, "untag %s", ref));
	if (sqlite3_changes(db->sql) == 0)
		return (ref_not_found(err, ref));
	return (0);
}

int
db_resolve(struct store_db *db, const char *ref, char id[DIGEST_STR_SIZE],
    struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	const char *s;
	int rc;

	if ((st = prepare(db, "SELECT image FROM refs WHERE name = ?",
	    err)) == NULL)
		return (-1);
	bind_text(st, 1, ref);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return (ref_not_found(err, ref));
	if (rc != SQLITE_ROW)
		return (db_error(db, err, "resolve"));
	s = (const char *)sqlite3_column_text(st, 0);
	if (s == NULL || strlen(s) != DIGEST_STR_SIZE - 1)
		return (berth_error_set(err, STORE_E_DATABASE, 0,
		    "resolve %s: bad image id in database", ref));
	memcpy(id, s, DIGEST_STR_SIZE);
	return (0);
}

int
db_collect_strings(struct store_db *db, sqlite3_stmt *st, char ***out,
    size_t *n, const char *what, struct berth_error *err)
{
	char **v = NULL, **grown;
	size_t count = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((grown = reallocarray(v, count + 2, sizeof(*v))) == NULL) {
			db_strv_free(v, count);
			return (berth_error_sys(err, "%s", what));
		}
		v = grown;
		if ((v[count] = db_column_dup(st, 0)) == NULL) {
			db_strv_free(v, count);
			return (berth_error_sys(err, "%s", what));
		}
		v[++count] = NULL;
	}
	if (rc != SQLITE_DONE) {
		db_strv_free(v, count);
		return (db_fail(db, what, err));
	}
	*out = v;
	*n = count;
	return (0);
}

void
db_strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
strv_query(struct store_db *db, const char *sql, const char *arg,
    char ***out, size_t *n, struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;

	if ((st = prepare(db, sql, err)) == NULL)
		return (-1);
	if (arg != NULL)
		bind_text(st, 1, arg);
	return (db_collect_strings(db, st, out, n, "query", err));
}

int
db_image_layers(struct store_db *db, const char *image_id, char ***chain_ids,
    size_t *n, struct berth_error *err)
{
	return (strv_query(db, "SELECT chain_id FROM image_layers "
	    "WHERE image = ? ORDER BY position", image_id, chain_ids, n, err));
}

int
db_image_layer_blobs(struct store_db *db, const char *image_id,
    char ***digests, size_t *n, struct berth_error *err)
{
	return (strv_query(db, "SELECT COALESCE(il.blob, l.blob, '') FROM "
	    "image_layers il JOIN layers l ON l.chain_id = il.chain_id WHERE "
	    "il.image = ? ORDER BY il.position", image_id, digests, n, err));
}

void
db_image_list_free(struct db_image_info *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(list[i].manifest);
		db_strv_free(list[i].refs, list[i].nrefs);
	}
	free(list);
}

static int
image_info(struct store_db *db, sqlite3_stmt *st, struct db_image_info *info,
    struct berth_error *err)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	const char *manifest = (const char *)sqlite3_column_text(st, 1);

	memset(info, 0, sizeof(*info));
	snprintf(info->id, sizeof(info->id), "%s", id != NULL ? id : "");
	if (manifest != NULL && (info->manifest = strdup(manifest)) == NULL)
		return (berth_error_sys(err, "list images"));
	info->created = sqlite3_column_int64(st, 2);
	info->size = (uint64_t)sqlite3_column_int64(st, 3);
	return (strv_query(db, "SELECT name FROM refs WHERE image = ? "
	    "ORDER BY name", info->id, &info->refs, &info->nrefs, err));
}

int
db_image_list(struct store_db *db, struct db_image_info **out, size_t *n,
    struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct db_image_info *list = NULL, *nl;
	size_t count = 0;
	int rc;

	if ((st = prepare(db, "SELECT id, manifest, created, size FROM "
	    "images ORDER BY created DESC, id", err)) == NULL)
		return (-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nl = reallocarray(list, count + 1,
		    sizeof(*list))) == NULL) {
			db_image_list_free(list, count);
			return (berth_error_sys(err, "list images"));
		}
		list = nl;
		if (image_info(db, st, &list[count], err) == -1) {
			db_image_list_free(list, count + 1);
			return (-1);
		}
		count++;
	}
	if (rc != SQLITE_DONE) {
		db_image_list_free(list, count);
		return (db_error(db, err, "list images"));
	}
	*out = list;
	*n = count;
	return (0);
}

static int
image_delete(struct store_db *db, const char *id, bool force,
    struct berth_error *err)
{
	char **refs = NULL;
	size_t nrefs = 0;
	int64_t holders;

	if (image_exists(db, id, err) == -1)
		return (-1);
	if (strv_query(db, "SELECT name FROM refs WHERE image = ? "
	    "ORDER BY name", id, &refs, &nrefs, err) == -1)
		return (-1);
	if (nrefs > 0 && !force) {
		berth_error_set(err, STORE_E_IMAGE_IN_USE, 0,
		    "image is tagged as %s%s (remove the tags or force)",
		    refs[0], nrefs > 1 ? " and more" : "");
		berth_error_param_str(err, "reference", refs[0]);
		db_strv_free(refs, nrefs);
		return (-1);
	}
	db_strv_free(refs, nrefs);
	if (query_int(db, "SELECT COUNT(*) FROM leases WHERE image = ?", id,
	    &holders, "count leases", err) == -1)
		return (-1);
	if (holders > 0)
		return (berth_error_set(err, STORE_E_IMAGE_IN_USE, 0,
		    "image is used by %lld container(s)", (long long)holders));
	if (db_run(db, "DELETE FROM refs WHERE image = ?", id, NULL,
	    "remove tags", err) == -1 ||
	    db_run(db, "DELETE FROM images WHERE id = ?", id, NULL,
	    "remove image", err) == -1)
		return (-1);
	return (0);
}

int
db_image_remove(struct store_db *db, const char *const *untag, size_t n,
    const char *delete_id, struct berth_error *err)
{
	size_t i;
	int rc = 0;

	if (db_begin(db, err) == -1)
		return (-1);
	for (i = 0; i < n && rc == 0; i++)
		rc = db_untag(db, untag[i], err);
	if (rc == 0 && delete_id != NULL)
		rc = image_delete(db, delete_id, false, err);
	if (rc == -1) {
		db_rollback(db);
		return (-1);
	}
	return (db_commit(db, err));
}

int
db_image_delete(struct store_db *db, const char *image_id, bool force,
    struct berth_error *err)
{
	if (db_begin(db, err) == -1)
		return (berth_error_wrap(err, "delete image %s", image_id));
	if (image_delete(db, image_id, force, err) == -1) {
		db_rollback(db);
		return (berth_error_wrap(err, "delete image %s", image_id));
	}
	if (db_commit(db, err) == -1)
		return (berth_error_wrap(err, "delete image %s", image_id));
	return (0);
}

int
db_layer_set_state(struct store_db *db, const char *chain_id,
    const char *state, struct berth_error *err)
{
	if (db_run(db, "UPDATE layers SET state = ? WHERE chain_id = ?", state,
	    chain_id, "set layer state", err) == -1)
		return (berth_error_wrap(err, "layer %s", chain_id));
	if (sqlite3_changes(db->sql) == 0)
		return (berth_error_set(err, STORE_E_DATABASE, 0,
		    "layer %s: no such layer", chain_id));
	return (0);
}

int
db_gc_layers(struct store_db *db, char ***chain_ids, size_t *n,
    struct berth_error *err)
{
	/* Every image lists its whole stack, so a layer no image lists is
	 * no listed layer's parent either. */
	return (strv_query(db, "SELECT chain_id FROM layers l WHERE NOT "
	    "EXISTS (SELECT 1 FROM image_layers il WHERE il.chain_id = "
	    "l.chain_id) ORDER BY chain_id", NULL, chain_ids, n, err));
}

int
db_gc_blobs(struct store_db *db, char ***digests, size_t *n,
    struct berth_error *err)
{
	return (strv_query(db, "SELECT digest FROM blobs b WHERE NOT EXISTS "
	    "(SELECT 1 FROM images i WHERE i.id = b.digest OR i.manifest = "
	    "b.digest) AND NOT EXISTS (SELECT 1 FROM layers l WHERE l.blob = "
	    "b.digest) AND NOT EXISTS (SELECT 1 FROM image_layers il WHERE "
	    "il.blob = b.digest) ORDER BY digest", NULL, digests, n, err));
}

int
db_layer_forget(struct store_db *db, const char *chain_id,
    struct berth_error *err)
{
	if (db_run(db, "UPDATE layers SET parent = NULL WHERE parent = ? AND "
	    "chain_id NOT IN (SELECT chain_id FROM image_layers)", chain_id,
	    NULL, "forget layer", err) == -1 ||
	    db_run(db, "DELETE FROM layers WHERE chain_id = ?", chain_id, NULL,
	    "forget layer", err) == -1)
		return (berth_error_wrap(err, "layer %s", chain_id));
	return (0);
}

int
db_blob_forget(struct store_db *db, const char *digest,
    struct berth_error *err)
{
	if (db_run(db, "DELETE FROM blobs WHERE digest = ?", digest, NULL,
	    "forget blob", err) == -1)
		return (berth_error_wrap(err, "blob %s", digest));
	return (0);
}

int
db_layer_dir_set_state(struct store_db *db, const char *diff_id,
    const char *state, struct berth_error *err)
{
	int rc;

	if (strcmp(state, "absent") == 0)
		rc = db_run(db, "DELETE FROM layer_dirs WHERE diff_id = ?",
		    diff_id, NULL, "forget layer directory", err);
	else
		rc = db_run(db, "INSERT INTO layer_dirs (diff_id, state) "
		    "VALUES (?, ?) ON CONFLICT (diff_id) DO UPDATE SET "
		    "state = excluded.state", diff_id, state,
		    "set layer directory state", err);
	if (rc == -1)
		return (berth_error_wrap(err, "layer %s", diff_id));
	return (0);
}

int
db_layer_dir_state(struct store_db *db, const char *diff_id,
    char state[DB_STATE_SIZE], struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	int rc;

	st = prepare(db, "SELECT state FROM layer_dirs WHERE diff_id = ?",
	    err);
	if (st == NULL)
		return (-1);
	bind_text(st, 1, diff_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		snprintf(state, DB_STATE_SIZE, "absent");
	else if (rc == SQLITE_ROW)
		snprintf(state, DB_STATE_SIZE, "%s",
		    (const char *)sqlite3_column_text(st, 0));
	else {
		db_error(db, err, "read layer directory state");
		return (berth_error_wrap(err, "layer %s", diff_id));
	}
	return (0);
}

int
db_layer_dirs(struct store_db *db, const char *state, char ***diff_ids,
    size_t *n, struct berth_error *err)
{
	return (strv_query(db, "SELECT diff_id FROM layer_dirs WHERE "
	    "state = ? ORDER BY diff_id", state, diff_ids, n, err));
}

int
db_gc_layer_dirs(struct store_db *db, char ***diff_ids, size_t *n,
    struct berth_error *err)
{
	return (strv_query(db, "SELECT diff_id FROM layer_dirs d WHERE NOT "
	    "EXISTS (SELECT 1 FROM layers l WHERE l.diff_id = d.diff_id) "
	    "ORDER BY diff_id", NULL, diff_ids, n, err));
}

int
db_layer_dir_set_size(struct store_db *db, const char *diff_id,
    uint64_t size, struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;

	st = prepare(db, "UPDATE layer_dirs SET size = ?2 WHERE diff_id = ?1",
	    err);
	if (st == NULL)
		return (-1);
	bind_text(st, 1, diff_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)size);
	if (step_done(db, st, "set layer directory size", err) == -1)
		return (berth_error_wrap(err, "layer %s", diff_id));
	return (0);
}

/* One integer from a query with up to one text argument. */
static int
query_int(struct store_db *db, const char *sql, const char *arg,
    int64_t *out, const char *what, struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	int rc;

	if ((st = prepare(db, sql, err)) == NULL)
		return (-1);
	if (arg != NULL)
		bind_text(st, 1, arg);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		return (db_error(db, err, what));
	*out = sqlite3_column_int64(st, 0);
	return (0);
}

int
db_layer_dir_size(struct store_db *db, const char *diff_id, uint64_t *size,
    struct berth_error *err)
{
	int64_t v;

	if (query_int(db, "SELECT COALESCE(MAX(size), 0) FROM layer_dirs "
	    "WHERE diff_id = ? AND state = 'unpacked'", diff_id, &v,
	    "layer directory size", err) == -1)
		return (-1);
	*size = (uint64_t)v;
	return (0);
}

int
db_blob_known(struct store_db *db, const char *digest, bool *known,
    struct berth_error *err)
{
	int64_t n;

	if (query_int(db, "SELECT COUNT(*) FROM blobs WHERE digest = ?",
	    digest, &n, "look up blob", err) == -1)
		return (-1);
	*known = n > 0;
	return (0);
}

int
db_lease_add(struct store_db *db, const char *image_id, const char *holder,
    struct berth_error *err)
{
	return (db_run(db, "INSERT OR IGNORE INTO leases (image, holder) "
	    "VALUES (?, ?)", image_id, holder, "add lease", err));
}

int
db_lease_remove(struct store_db *db, const char *image_id,
    const char *holder, struct berth_error *err)
{
	return (db_run(db, "DELETE FROM leases WHERE image = ? AND holder = ?",
	    image_id, holder, "remove lease", err));
}

int
db_image_holders(struct store_db *db, const char *image_id, int *n,
    struct berth_error *err)
{
	int64_t v;

	if (query_int(db, "SELECT COUNT(*) FROM leases WHERE image = ?",
	    image_id, &v, "count leases", err) == -1)
		return (-1);
	*n = (int)v;
	return (0);
}

int
db_image_usage(struct store_db *db, const char *image_id, uint64_t *size,
    uint64_t *shared, struct berth_error *err)
{
	int64_t a, b;

	/* A diff ID counts once per image even if two positions have it. */
	if (query_int(db, "SELECT COALESCE(SUM(d.size), 0) FROM layer_dirs d "
	    "WHERE d.diff_id IN (SELECT l.diff_id FROM image_layers il JOIN "
	    "layers l ON l.chain_id = il.chain_id WHERE il.image = ?1)",
	    image_id, &a, "image size", err) == -1 ||
	    query_int(db, "SELECT COALESCE(SUM(d.size), 0) FROM layer_dirs d "
	    "WHERE d.diff_id IN (SELECT l.diff_id FROM image_layers il JOIN "
	    "layers l ON l.chain_id = il.chain_id WHERE il.image = ?1) AND "
	    "EXISTS (SELECT 1 FROM image_layers il2 JOIN layers l2 ON "
	    "l2.chain_id = il2.chain_id WHERE l2.diff_id = d.diff_id AND "
	    "il2.image <> ?1)", image_id, &b, "image shared size", err) == -1)
		return (berth_error_wrap(err, "image %s", image_id));
	*size = (uint64_t)a;
	*shared = (uint64_t)b;
	return (0);
}

int
db_store_usage(struct store_db *db, uint64_t *layers, uint64_t *blobs,
    struct berth_error *err)
{
	int64_t a, b;

	if (query_int(db, "SELECT COALESCE(SUM(size), 0) FROM layer_dirs",
	    NULL, &a, "layer usage", err) == -1 ||
	    query_int(db, "SELECT COALESCE(SUM(size), 0) FROM blobs", NULL,
	    &b, "blob usage", err) == -1)
		return (-1);
	*layers = (uint64_t)a;
	*blobs = (uint64_t)b;
	return (0);
}

/* ---- containers ---------------------------------------------------- */

static int
container_add(struct store_db *db, const struct db_container *c,
    struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	int rc;

	st = prepare(db, "INSERT INTO containers (id, name, image, created, "
	    "record) VALUES (?1, ?2, ?3, ?4, ?5)", err);
	if (st == NULL)
		return (-1);
	bind_text(st, 1, c->id);
	bind_text(st, 2, c->name);
	bind_text(st, 3, c->image);
	sqlite3_bind_int64(st, 4, c->created);
	bind_text(st, 5, c->record);
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT) {
		berth_error_set(err, STORE_E_NAME_IN_USE, 0, "the container "
		    "name \"/%s\" is already in use", c->name);
		return (berth_error_param_str(err, "name", c->name));
	}
	if (rc != SQLITE_DONE)
		return (db_error(db, err, "add container"));
	return (db_lease_add(db, c->image, c->id, err));
}

int
db_container_add(struct store_db *db, const struct db_container *c,
    struct berth_error *err)
{
	if (db_begin(db, err) == -1)
		return (-1);
	if (container_add(db, c, err) == -1) {
		db_rollback(db);
		return (-1);
	}
	return (db_commit(db, err));
}

int
db_container_update(struct store_db *db, const char *id, const char *name,
    const char *record, struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	int rc;

	st = prepare(db, "UPDATE containers SET name = ?2, record = ?3 WHERE "
	    "id = ?1", err);
	if (st == NULL)
		return (-1);
	bind_text(st, 1, id);
	bind_text(st, 2, name);
	bind_text(st, 3, record);
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT) {
		berth_error_set(err, STORE_E_NAME_IN_USE, 0, "the container "
		    "name \"/%s\" is already in use", name);
		return (berth_error_param_str(err, "name", name));
	}
	if (rc != SQLITE_DONE)
		return (db_error(db, err, "update container"));
	return (0);
}

int
db_container_delete(struct store_db *db, const char *id,
    struct berth_error *err)
{
	if (db_begin(db, err) == -1)
		return (-1);
	if (db_run(db, "DELETE FROM leases WHERE holder = ?", id, NULL,
	    "remove lease", err) == -1 ||
	    db_run(db, "DELETE FROM containers WHERE id = ?", id, NULL,
	    "remove container", err) == -1) {
		db_rollback(db);
		return (-1);
	}
	return (db_commit(db, err));
}

void
db_container_list_free(struct db_container *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].name);
		free(v[i].image);
		free(v[i].record);
	}
	free(v);
}

int
db_container_list(struct store_db *db, struct db_container **out, size_t *n,
    struct berth_error *err)
{
	cleanup_stmt sqlite3_stmt *st = NULL;
	struct db_container *v = NULL, *nv, *c;
	size_t count = 0;
	int rc;

	st = prepare(db, "SELECT id, name, image, created, record FROM "
	    "containers ORDER BY created", err);
	if (st == NULL)
		return (-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nv = reallocarray(v, count + 1, sizeof(*v))) == NULL)
			goto oom;
		v = nv;
		c = &v[count];
		memset(c, 0, sizeof(*c));
		count++;
		c->id = strdup((const char *)sqlite3_column_text(st, 0));
		c->name = strdup((const char *)sqlite3_column_text(st, 1));
		c->image = strdup((const char *)sqlite3_column_text(st, 2));
		c->created = sqlite3_column_int64(st, 3);
		c->record = strdup((const char *)sqlite3_column_text(st, 4));
		if (c->id == NULL || c->name == NULL || c->image == NULL ||
		    c->record == NULL)
			goto oom;
	}
	if (rc != SQLITE_DONE) {
		db_container_list_free(v, count);
		return (db_error(db, err, "list containers"));
	}
	*out = v;
	*n = count;
	return (0);
oom:
	db_container_list_free(v, count);
	return (berth_error_sys(err, "list containers"));
}
