/*
 * The store facade: ROOT's layout, start-up recovery, layers unpacked
 * once into ROOT/layers/<diff-id hex> through a staging directory, and
 * garbage collection of layers and blobs no image references.
 *
 * An unpack goes: hash the uncompressed tar (the diff ID) and check it,
 * mark the diff ID "unpacking", extract into ROOT/layers/tmp/<unique> in
 * unpack's helper, syncfs, rename into ROOT/layers/<hex>, fsync
 * ROOT/layers, mark it "unpacked".  The rename is the commit point: a
 * directory under its name is always complete.  A crash before it leaves
 * a staging directory (swept at open) and maybe an "unpacking" row (its
 * directory removed and the row forgotten at open); a crash after it but
 * before the last mark leaves "unpacking" too, and the layer is simply
 * unpacked again next time.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <archive.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive-util.h"
#include "cleanup.h"
#include "store.h"
#include "unpack.h"

/* The largest uncompressed tar stream hashed: the extractor's data limit
 * plus 4 KiB of headers for each entry it allows. */
#define STORE_MAX_TAR_BYTES \
	(UNPACK_MAX_BYTES + ((unsigned long long)UNPACK_MAX_ENTRIES << 12))
#define STORE_READ_BLOCK	(64u << 10)

struct store {
	char			*root;
	int			 root_fd;
	int			 layers_fd;	/* ROOT/layers */
	int			 tmp_fd;	/* ROOT/layers/tmp */
	int			 lock_fd;	/* ROOT/store.lock, once taken */
	struct blob_store	*blobs;
	struct store_db		*db;
};



struct blob_store *
store_blobs(struct store *st)
{
	return (st->blobs);
}

struct store_db *
store_db(struct store *st)
{
	return (st->db);
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->root_fd >= 0)
		close(st->root_fd);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	if (st->layers_fd >= 0)
		close(st->layers_fd);
	if (st->tmp_fd >= 0)
		close(st->tmp_fd);
	db_close(st->db);
	blob_store_close(st->blobs);
	free(st->root);
	free(st);
}

/* Make parentfd/name a directory (0700) if missing and open it. */
static int
open_dir(int parentfd, const char *name, struct berth_error *err)
{
	int fd;

	if (mkdirat(parentfd, name, 0700) == -1 && errno != EEXIST)
		return (berth_error_sys(err, "create %s", name));
	fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return (berth_error_sys(err, "open %s", name));
	return (fd);
}

/* Remove every entry of the staging directory. */
static int
sweep_tmp(struct store *st, struct berth_error *err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	int fd;

	if ((fd = dup(st->tmp_fd)) == -1)
		return (berth_error_sys(err, "sweep layers/tmp"));
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (berth_error_sys(err, "sweep layers/tmp"));
	}
	rewinddir(d);
	/* Removing while reading: readdir may or may not return names
	 * removed meanwhile, and removing a missing name is not an error. */
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unpack_remove_tree(st->tmp_fd, de->d_name, err) == -1)
			return (berth_error_wrap(err, "sweep layers/tmp"));
	}
	if (errno != 0)
		return (berth_error_sys(err, "sweep layers/tmp"));
	return (0);
}

/* Is ROOT/layers/<hex> a directory? 1 yes, 0 no, -1 error. */
static int
layer_dir_exists(struct store *st, const char *diff_id,
    struct berth_error *err)
{
	struct stat sb;

	if (fstatat(st->layers_fd, digest_hex(diff_id), &sb,
	    AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return (0);
		return (berth_error_sys(err, "layer %s", diff_id));
	}
	return (S_ISDIR(sb.st_mode) ? 1 : 0);
}

/* Remove a layer's directory, then forget its row. */
static int
layer_drop(struct store *st, const char *diff_id, struct berth_error *err)
{
	if (unpack_remove_tree(st->layers_fd, digest_hex(diff_id), err) == -1 ||
	    db_layer_dir_set_state(st->db, diff_id, "absent", err) == -1)
		return (berth_error_wrap(err, "remove layer %s", diff_id));
	return (0);
}

/* Start-up recovery; see the comment at the top. */
static int
recover(struct store *st, struct berth_error *err)
{
	char **v = NULL;
	size_t n = 0, i;
	int rc = 0, present;

	if (blob_store_cleanup_tmp(st->blobs, err) == -1 ||
	    sweep_tmp(st, err) == -1)
		return (-1);
	if (db_layer_dirs(st->db, "unpacking", &v, &n, err) == -1)
		return (-1);
	for (i = 0; i < n && rc == 0; i++)
		rc = layer_drop(st, v[i], err);
	db_strv_free(v, n);
	if (rc == -1)
		return (-1);
	/* A gc that removed the directory but crashed before the row. */
	if (db_layer_dirs(st->db, "unpacked", &v, &n, err) == -1)
		return (-1);
	for (i = 0; i < n && rc == 0; i++) {
		if ((present = layer_dir_exists(st, v[i], err)) == -1)
			rc = -1;
		else if (present == 0)
			rc = db_layer_dir_set_state(st->db, v[i], "absent",
			    err);
	}
	db_strv_free(v, n);
	return (rc);
}

static int
open_store(const char *root, bool recovery, struct store **out,
    struct berth_error *err)
{
	cleanup_store struct store *st = NULL;
	cleanup_free char *dbpath = NULL;

	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    (st->root = strdup(root)) == NULL)
		return (berth_error_sys(err, "open store %s", root));
	st->root_fd = st->layers_fd = st->tmp_fd = st->lock_fd = -1;
	if (mkdir(root, 0700) == -1 && errno != EEXIST)
		return (berth_error_sys(err, "create store %s", root));
	if (asprintf(&dbpath, "%s/metadata.db", root) == -1) {
		dbpath = NULL;
		return (berth_error_sys(err, "open store %s", root));
	}
	if (blob_store_open(root, &st->blobs, err) == -1 ||
	    db_open(dbpath, &st->db, err) == -1)
		return (berth_error_wrap(err, "open store %s", root));
	if ((st->root_fd = open(root, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return (berth_error_sys(err, "open store %s", root));
	if ((st->layers_fd = open_dir(st->root_fd, "layers", err)) == -1)
		return (berth_error_wrap(err, "store %s", root));
	if ((st->tmp_fd = open_dir(st->layers_fd, "tmp", err)) == -1 ||
	    (recovery && recover(st, err) == -1))
		return (berth_error_wrap(err, "store %s: layers", root));
	*out = steal_pointer(&st);
	return (0);
}

int
store_open(const char *root, struct store **out, struct berth_error *err)
{
	return (open_store(root, true, out, err));
}

int
store_open_shared(const char *root, struct store **out,
    struct berth_error *err)
{
	return (open_store(root, false, out, err));
}

/* flock name under ROOT; the fd holds it.  Blocks: helpers only. */
static int
lock_file(struct store *st, const char *name, int op, struct berth_error *err)
{
	int fd;

	fd = openat(st->root_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return (berth_error_sys(err, "open %s/%s", st->root, name));
	while (flock(fd, op) == -1) {
		if (errno != EINTR) {
			berth_error_sys(err, "lock %s/%s", st->root, name);
			close(fd);
			return (-1);
		}
	}
	return (fd);
}

int
store_lock(struct store *st, bool exclusive, struct berth_error *err)
{
	int fd;

	if (st->lock_fd >= 0)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "store lock taken twice"));
	fd = lock_file(st, "store.lock", exclusive ? LOCK_EX : LOCK_SH, err);
	if (fd == -1)
		return (-1);
	st->lock_fd = fd;
	return (0);
}

/* The sha256 of the uncompressed stream read from fd: any filter
 * libarchive knows, the raw format (the tar bytes as they are). */
static int
hash_uncompressed(int fd, char out[DIGEST_STR_SIZE], struct berth_error *err)
{
	cleanup_archive struct archive *a = archive_read_new();
	cleanup_digester struct digester *d = NULL;
	cleanup_free char *buf = malloc(STORE_READ_BLOCK);
	struct archive_entry *e;
	unsigned long long total = 0;
	la_ssize_t r;
	int rc;

	if (a == NULL || buf == NULL)
		return (berth_error_sys(err, "diff ID"));
	if ((d = digester_new(err)) == NULL)
		return (-1);
	if (archive_read_support_filter_all(a) != ARCHIVE_OK ||
	    archive_read_support_format_raw(a) != ARCHIVE_OK ||
	    archive_read_open_fd(a, fd, STORE_READ_BLOCK) != ARCHIVE_OK)
		return (berth_error_set(err, UNPACK_E_INVALID_LAYER, 0,
		    "diff ID: %s", archive_error_string(a)));
	rc = archive_read_next_header(a, &e);
	if (rc != ARCHIVE_OK && rc != ARCHIVE_EOF)
		return (berth_error_set(err, UNPACK_E_INVALID_LAYER, 0,
		    "diff ID: %s", archive_error_string(a)));
	while (rc == ARCHIVE_OK &&
	    (r = archive_read_data(a, buf, STORE_READ_BLOCK)) != 0) {
		if (r < 0)
			return (berth_error_set(err, UNPACK_E_INVALID_LAYER, 0,
			    "diff ID: %s", archive_error_string(a)));
		total += (unsigned long long)r;
		if (total > STORE_MAX_TAR_BYTES)
			return (berth_error_set(err, UNPACK_E_LAYER_TOO_LARGE,
			    0, "diff ID: uncompressed layer over %llu bytes",
			    STORE_MAX_TAR_BYTES));
		if (digester_update(d, buf, (size_t)r, err) == -1)
			return (-1);
	}
	return (digester_final(d, out, err));
}

/* A staging directory under ROOT/layers/tmp, removed when its scope
 * ends unless it has been renamed into place. */
struct staging {
	int	tmp_fd;
	bool	armed;
	char	name[sizeof("unpack-XXXXXX")];
};

static void
cleanup_stagingp(struct staging *sg)
{
	cleanup_error struct berth_error ignored = BERTH_ERROR_INIT;

	if (sg->armed)
		(void)unpack_remove_tree(sg->tmp_fd, sg->name, &ignored);
}
#define cleanup_staging __attribute__((cleanup(cleanup_stagingp)))

/* Extract the blob open on fd into a staging directory, sync it and
 * rename it to ROOT/layers/<hex>; on failure nothing stays. */
static int
extract_into_place(struct store *st, int fd, const char *diff_id,
    uint64_t *bytes, struct berth_error *err)
{
	cleanup_staging struct staging sg = { .tmp_fd = st->tmp_fd };
	cleanup_close int dirfd = -1;
	char path[PATH_MAX];
	struct unpack_stats stats;
	int n;

	n = snprintf(path, sizeof(path), "%s/layers/tmp/unpack-XXXXXX",
	    st->root);
	if (n < 0 || (size_t)n >= sizeof(path))
		return (berth_error_set(err, BERTH_E_INTERNAL, ENAMETOOLONG,
		    "staging directory under %s", st->root));
	if (mkdtemp(path) == NULL)
		return (berth_error_sys(err, "create %s", path));
	memcpy(sg.name, path + n - (sizeof(sg.name) - 1), sizeof(sg.name));
	sg.armed = true;
	if ((dirfd = openat(st->tmp_fd, sg.name, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1)
		return (berth_error_sys(err, "open %s", path));
	if (lseek(fd, 0, SEEK_SET) == -1)
		return (berth_error_sys(err, "rewind blob"));
	if (unpack_layer_in_helper(fd, dirfd, &stats, err) == -1)
		return (-1);
	*bytes = stats.bytes;
	/* Everything extracted reaches the disk before the name that says
	 * it is complete; syncfs because fsyncing each file of a tree costs
	 * one call per file for the same result. */
	if (syncfs(dirfd) == -1)
		return (berth_error_sys(err, "sync %s", path));
	/* A stale directory of a layer whose row says it is not unpacked
	 * (renamed but not yet marked when berthd died) is replaced. */
	if (unpack_remove_tree(st->layers_fd, digest_hex(diff_id), err) == -1)
		return (-1);
	if (renameat(st->tmp_fd, sg.name, st->layers_fd,
	    digest_hex(diff_id)) == -1)
		return (berth_error_sys(err, "rename %s into place", path));
	sg.armed = false;
	if (fsync(st->layers_fd) == -1 || fsync(st->tmp_fd) == -1) {
		/* The caller forgets the row: the directory goes too, or
		 * nothing would ever name it again. */
		cleanup_error struct berth_error e2 = BERTH_ERROR_INIT;

		berth_error_sys(err, "sync %s/layers", st->root);
		(void)unpack_remove_tree(st->layers_fd, digest_hex(diff_id),
		    &e2);
		return (-1);
	}
	return (0);
}

int
store_layer_unpack(struct store *st, const char *blob_digest,
    const char *expected_diff_id, char diff_id[DIGEST_STR_SIZE],
    struct berth_error *err)
{
	cleanup_close int fd = -1, lockfd = -1;
	char state[DB_STATE_SIZE], got[DIGEST_STR_SIZE];
	uint64_t bytes = 0;
	int present;

	if (digest_validate(blob_digest, err) == -1 ||
	    (expected_diff_id != NULL &&
	    digest_validate(expected_diff_id, err) == -1))
		return (berth_error_wrap(err, "unpack layer"));
	if (expected_diff_id != NULL) {
		if (db_layer_dir_state(st->db, expected_diff_id, state,
		    err) == -1 ||
		    (present = layer_dir_exists(st, expected_diff_id,
		    err)) == -1)
			return (-1);
		if (present && strcmp(state, "unpacked") == 0) {
			memcpy(diff_id, expected_diff_id, DIGEST_STR_SIZE);
			return (0);
		}
	}
	if ((fd = blob_open(st->blobs, blob_digest, err)) == -1 ||
	    hash_uncompressed(fd, got, err) == -1)
		return (berth_error_wrap(err, "unpack layer %s", blob_digest));
	if (expected_diff_id != NULL && strcmp(got, expected_diff_id) != 0) {
		berth_error_set(err, STORE_E_DIFF_ID_MISMATCH, 0,
		    "unpack layer %s: diff ID is %s, expected %s",
		    blob_digest, got, expected_diff_id);
		berth_error_param_str(err, "expected", expected_diff_id);
		return (berth_error_param_str(err, "actual", got));
	}
	/* Two helpers may unpack the same layer: one at a time, and the
	 * second finds it done. */
	if ((lockfd = lock_file(st, "unpack.lock", LOCK_EX, err)) == -1)
		return (-1);
	if (db_layer_dir_state(st->db, got, state, err) == -1 ||
	    (present = layer_dir_exists(st, got, err)) == -1)
		return (-1);
	if (!(present && strcmp(state, "unpacked") == 0)) {
		/* Marked before the rename, so that a directory under
		 * layers/ always has a row open can judge it by. */
		if (db_layer_dir_set_state(st->db, got, "unpacking",
		    err) == -1)
			return (-1);
		if (extract_into_place(st, fd, got, &bytes, err) == -1) {
			cleanup_error struct berth_error e2 = BERTH_ERROR_INIT;

			(void)db_layer_dir_set_state(st->db, got, "absent",
			    &e2);
			return (berth_error_wrap(err, "unpack layer %s",
			    blob_digest));
		}
		if (db_layer_dir_set_state(st->db, got, "unpacked", err) == -1 ||
		    db_layer_dir_set_size(st->db, got, bytes, err) == -1)
			return (-1);
	}
	memcpy(diff_id, got, DIGEST_STR_SIZE);
	return (0);
}

int
store_layer_path(struct store *st, const char *diff_id, char *buf,
    size_t size, struct berth_error *err)
{
	char state[DB_STATE_SIZE];
	int present, n;

	if (digest_validate(diff_id, err) == -1 ||
	    db_layer_dir_state(st->db, diff_id, state, err) == -1 ||
	    (present = layer_dir_exists(st, diff_id, err)) == -1)
		return (berth_error_wrap(err, "layer path"));
	if (!present || strcmp(state, "unpacked") != 0)
		return (berth_error_set(err, STORE_E_LAYER_NOT_FOUND, 0,
		    "layer %s is not unpacked", diff_id));
	n = snprintf(buf, size, "%s/layers/%s", st->root, digest_hex(diff_id));
	if (n < 0 || (size_t)n >= size)
		return (berth_error_set(err, BERTH_E_INTERNAL, ENAMETOOLONG,
		    "layer %s: path too long", diff_id));
	return (0);
}

/* Each step of gc: list, act on each (files), forget each (rows). */
static int
gc_layer_rows(struct store *st, struct berth_error *err)
{
	char **v = NULL;
	size_t n = 0, i;
	int rc = 0;

	/* Layer rows own no files: directories are by diff ID. */
	if (db_gc_layers(st->db, &v, &n, err) == -1)
		return (-1);
	for (i = 0; i < n && rc == 0; i++)
		rc = db_layer_forget(st->db, v[i], err);
	db_strv_free(v, n);
	return (rc);
}

static int
gc_layer_dirs(struct store *st, size_t *removed, struct berth_error *err)
{
	char **v = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (db_gc_layer_dirs(st->db, &v, &n, err) == -1)
		return (-1);
	for (i = 0; i < n && rc == 0; i++)
		if ((rc = layer_drop(st, v[i], err)) == 0)
			(*removed)++;
	db_strv_free(v, n);
	return (rc);
}

static int
gc_blobs(struct store *st, size_t *removed, struct berth_error *err)
{
	char **v = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (db_gc_blobs(st->db, &v, &n, err) == -1)
		return (-1);
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = blob_delete(st->blobs, v[i], err)) == 0 &&
		    (rc = db_blob_forget(st->db, v[i], err)) == 0)
			(*removed)++;
	}
	db_strv_free(v, n);
	return (rc);
}

/* Blob files no row names: a load killed before it recorded its image.
 * Only safe while no load runs (the exclusive store lock). */
static int
gc_orphan_blobs(struct store *st, size_t *removed, struct berth_error *err)
{
	char **v = NULL;
	size_t n = 0, i;
	bool known;
	int rc = 0;

	if (blob_store_list(st->blobs, &v, &n, err) == -1)
		return (-1);
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = db_blob_known(st->db, v[i], &known, err)) == 0 &&
		    !known && (rc = blob_delete(st->blobs, v[i], err)) == 0)
			(*removed)++;
	}
	db_strv_free(v, n);
	return (rc);
}

int
store_gc(struct store *st, size_t *removed, struct berth_error *err)
{
	*removed = 0;
	/* Layer rows first: while they stand they name their blobs and
	 * diff IDs, which would keep both. */
	if (gc_layer_rows(st, err) == -1 ||
	    gc_layer_dirs(st, removed, err) == -1 ||
	    gc_blobs(st, removed, err) == -1 ||
	    gc_orphan_blobs(st, removed, err) == -1)
		return (berth_error_wrap(err, "garbage collection"));
	/* What a cancelled load or import left half-written: no writer
	 * runs now (the lock is exclusive). */
	if (blob_store_cleanup_tmp(st->blobs, err) == -1 ||
	    sweep_tmp(st, err) == -1)
		return (berth_error_wrap(err, "garbage collection"));
	return (0);
}
