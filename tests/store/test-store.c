/*
 * Unit tests for store/store.c: a gzip layer unpacked once under its diff
 * ID, the diff ID checked against an expected one, hostile layers leaving
 * nothing, crash recovery at open, and garbage collection keeping what an
 * image references.
 */
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "store.h"
#include "unit.h"
#include "unpack.h"

#define MEDIA_GZIP	"application/vnd.oci.image.layer.v1.tar+gzip"
#define MEDIA_CONFIG	"application/vnd.oci.image.config.v1+json"

static char root[] = "/tmp/berth-test-store.XXXXXX";

struct file {
	const char	*name;
	const char	*data;
};

/* A plain tar of files into buf (returns its size). */
static size_t
make_tar(const struct file *files, size_t n, char *buf, size_t size)
{
	struct archive *a = archive_write_new();
	size_t used = 0, i;

	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_memory(a, buf, size, &used) != ARCHIVE_OK)
		abort();
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();

		archive_entry_set_pathname(e, files[i].name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (int64_t)strlen(files[i].data));
		archive_entry_set_mtime(e, 1500000000, 0);
		if (archive_write_header(a, e) != ARCHIVE_OK)
			abort();
		archive_write_data(a, files[i].data, strlen(files[i].data));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	return (used);
}

/* gzip in into buf (returns its size). */
static size_t
gzip(const char *in, size_t len, char *buf, size_t size)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	size_t used = 0;

	archive_write_set_format_raw(a);
	archive_write_add_filter_gzip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_memory(a, buf, size, &used) != ARCHIVE_OK)
		abort();
	archive_entry_set_pathname(e, "data");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_size(e, (int64_t)len);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		abort();
	archive_write_data(a, in, len);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	return (used);
}

/* Put a gzip layer of files as a blob; its diff ID computed here. */
static void
put_layer(struct store *st, const struct file *files, size_t n,
    char blob[DIGEST_STR_SIZE], char diff[DIGEST_STR_SIZE], size_t *size)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	static char tar[64 << 10], gz[64 << 10];
	size_t tlen, glen;

	tlen = make_tar(files, n, tar, sizeof(tar));
	glen = gzip(tar, tlen, gz, sizeof(gz));
	CHECK(glen > 0 && memcmp(gz, "\x1f\x8b", 2) == 0);
	CHECK(digest_buffer(tar, tlen, diff, &err) == 0);
	CHECK(blob_put(store_blobs(st), gz, glen, NULL, blob, &err) == 0);
	if (size != NULL)
		*size = glen;
}

static struct store *
open_store(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store *st = NULL;

	if (store_open(root, &st, &err) == -1)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	return (st);
}

/* Remove dir/name under the root ("" for the root itself). */
static int
remove_under_root(const char *dir, const char *name)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	char path[512];
	cleanup_close int fd = -1;

	if (name == NULL)	/* the root: /tmp/<name> */
		snprintf(path, sizeof(path), "/tmp");
	else
		snprintf(path, sizeof(path), "%s/%s", root, dir);
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	return (unpack_remove_tree(fd, name != NULL ? name :
	    root + strlen("/tmp/"), &err));
}

/* A fresh store: the old root removed first. */
static struct store *
fresh_store(void)
{
	(void)remove_under_root(NULL, NULL);
	return (open_store());
}

/* Entries in root/rel, "." and ".." aside; -1 if it cannot be read. */
static int
count_entries(const char *rel)
{
	char path[512];
	DIR *d;
	struct dirent *de;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return (n);
}

static bool
exists(const char *rel)
{
	char path[512];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return (lstat(path, &sb) == 0);
}

static char *
read_file(const char *path)
{
	static char buf[256];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return (NULL);
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[r > 0 ? r : 0] = '\0';
	return (buf);
}

static const struct file files_a[] = {
	{ "etc/hostname", "berth\n" },
	{ "bin/hello", "#!/bin/sh\necho hello\n" },
};
static const struct file files_b[] = { { "b.txt", "layer b\n" } };

static void
store_unpacks_gzip_layer_under_diff_id(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_store struct store *st = fresh_store();
	char blob[DIGEST_STR_SIZE], want[DIGEST_STR_SIZE];
	char got[DIGEST_STR_SIZE] = "", path[512], file[600];
	const char *s;

	if (st == NULL) {
		CHECK(st != NULL);
		return;
	}
	put_layer(st, files_a, 2, blob, want, NULL);
	CHECK(store_layer_path(st, want, path, sizeof(path), &err) == -1 &&
	    berth_error_is(&err, STORE_E_LAYER_NOT_FOUND));
	CHECK(store_layer_unpack(st, blob, NULL, got, &err) == 0);
	CHECK_STR(got, want);
	CHECK(store_layer_path(st, want, path, sizeof(path), &err) == 0);
	snprintf(file, sizeof(file), "%s/layers/%s", root, digest_hex(want));
	CHECK_STR(path, file);
	snprintf(file, sizeof(file), "%s/etc/hostname", path);
	s = read_file(file);
	CHECK_STR(s, "berth\n");
	snprintf(file, sizeof(file), "%s/bin/hello", path);
	s = read_file(file);
	CHECK_STR(s, "#!/bin/sh\necho hello\n");
	CHECK(count_entries("layers/tmp") == 0);
	/* layers/ holds tmp and the one layer. */
	CHECK(count_entries("layers") == 2);
}

static void
store_unpacks_a_layer_once(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_store struct store *st = fresh_store();
	char blob[DIGEST_STR_SIZE], want[DIGEST_STR_SIZE];
	char got[DIGEST_STR_SIZE], path[512], marker[600];
	struct stat before, after;
	int fd;

	if (st == NULL) {
		CHECK(st != NULL);
		return;
	}
	put_layer(st, files_a, 2, blob, want, NULL);
	CHECK(store_layer_unpack(st, blob, NULL, got, &err) == 0);
	CHECK(store_layer_path(st, want, path, sizeof(path), &err) == 0);
	CHECK(stat(path, &before) == 0);
	/* A file of the test's own: a second extraction would lose it. */
	snprintf(marker, sizeof(marker), "%s/marker", path);
	CHECK((fd = open(marker, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) >= 0);
	close(fd);
	CHECK(stat(path, &before) == 0);
	CHECK(store_layer_unpack(st, blob, NULL, got, &err) == 0);
	CHECK_STR(got, want);
	CHECK(store_layer_unpack(st, blob, want, got, &err) == 0);
	CHECK_STR(got, want);
	CHECK(stat(path, &after) == 0);
	CHECK(before.st_ino == after.st_ino);
	CHECK(before.st_mtim.tv_sec == after.st_mtim.tv_sec &&
	    before.st_mtim.tv_nsec == after.st_mtim.tv_nsec);
	CHECK(access(marker, F_OK) == 0);
	CHECK(count_entries("layers/tmp") == 0);
}

static void
store_refuses_diff_id_mismatch(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_store struct store *st = fresh_store();
	char blob[DIGEST_STR_SIZE], diff_a[DIGEST_STR_SIZE];
	char blob_b[DIGEST_STR_SIZE], diff_b[DIGEST_STR_SIZE];
	char got[DIGEST_STR_SIZE];

	if (st == NULL) {
		CHECK(st != NULL);
		return;
	}
	put_layer(st, files_a, 2, blob, diff_a, NULL);
	put_layer(st, files_b, 1, blob_b, diff_b, NULL);
	CHECK(store_layer_unpack(st, blob, diff_b, got, &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_DIFF_ID_MISMATCH));
	CHECK(strstr(berth_error_message(&err), diff_a) != NULL);
	CHECK(count_entries("layers") == 1);
	CHECK(count_entries("layers/tmp") == 0);
	CHECK(store_layer_path(st, diff_a, got, sizeof(got), &err) == -1);
}

static void
store_hostile_layer_leaves_nothing(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_store struct store *st = fresh_store();
	static const struct file evil[] = {
		{ "ok.txt", "fine\n" },
		{ "../evil", "escaped\n" },
	};
	char blob[DIGEST_STR_SIZE], diff[DIGEST_STR_SIZE];
	char got[DIGEST_STR_SIZE], state[DB_STATE_SIZE];

	if (st == NULL) {
		CHECK(st != NULL);
		return;
	}
	put_layer(st, evil, 2, blob, diff, NULL);
	CHECK(store_layer_unpack(st, blob, NULL, got, &err) == -1);
	CHECK(berth_error_is(&err, UNPACK_E_INVALID_LAYER));
	CHECK(strstr(berth_error_message(&err), "../evil") != NULL);
	CHECK(count_entries("layers") == 1);
	CHECK(count_entries("layers/tmp") == 0);
	CHECK(!exists("evil") && !exists("layers/evil"));
	CHECK(db_layer_dir_state(store_db(st), diff, state, &err) == 0);
	CHECK_STR(state, "absent");
}

static void
store_open_recovers_from_a_crash(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store *st = fresh_store();
	char blob[DIGEST_STR_SIZE], diff[DIGEST_STR_SIZE];
	char blob_b[DIGEST_STR_SIZE], diff_b[DIGEST_STR_SIZE];
	char got[DIGEST_STR_SIZE], state[DB_STATE_SIZE], rel[128];
	int fd;

	if (st == NULL) {
		CHECK(st != NULL);
		return;
	}
	put_layer(st, files_a, 2, blob, diff, NULL);
	put_layer(st, files_b, 1, blob_b, diff_b, NULL);
	CHECK(store_layer_unpack(st, blob_b, NULL, got, &err) == 0);
	/* What a crash mid-unpack leaves: a staging tree, a layer
	 * directory still marked "unpacking". */
	CHECK(db_layer_dir_set_state(store_db(st), diff, "unpacking",
	    &err) == 0);
	store_close(st);
	snprintf(rel, sizeof(rel), "%s/layers/tmp/unpack-dead", root);
	CHECK(mkdir(rel, 0700) == 0);
	snprintf(rel, sizeof(rel), "%s/layers/tmp/unpack-dead/f", root);
	CHECK((fd = open(rel, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) >= 0);
	close(fd);
	snprintf(rel, sizeof(rel), "%s/layers/%s", root, digest_hex(diff));
	CHECK(mkdir(rel, 0700) == 0);
	CHECK(count_entries("layers") == 3);

	if ((st = open_store()) == NULL) {
		CHECK(st != NULL);
		return;
	}
	CHECK(count_entries("layers/tmp") == 0);
	CHECK(count_entries("layers") == 2);
	CHECK(db_layer_dir_state(store_db(st), diff, state, &err) == 0);
	CHECK_STR(state, "absent");
	/* The completed layer stays; the crashed one unpacks again. */
	CHECK(store_layer_path(st, diff_b, rel, sizeof(rel), &err) == 0);
	CHECK(store_layer_unpack(st, blob, diff, got, &err) == 0);
	CHECK(store_layer_path(st, diff, rel, sizeof(rel), &err) == 0);
	store_close(st);
}

static void
store_gc_removes_only_unreferenced(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_store struct store *st = fresh_store();
	char blob_a[DIGEST_STR_SIZE], diff_a[DIGEST_STR_SIZE];
	char blob_b[DIGEST_STR_SIZE], diff_b[DIGEST_STR_SIZE];
	char cfg_a[DIGEST_STR_SIZE], cfg_b[DIGEST_STR_SIZE];
	char got[DIGEST_STR_SIZE], path[512];
	size_t size_a, size_b, removed = 99;
	struct db_layer la, lb;
	struct db_image img;

	if (st == NULL) {
		CHECK(st != NULL);
		return;
	}
	put_layer(st, files_a, 2, blob_a, diff_a, &size_a);
	put_layer(st, files_b, 1, blob_b, diff_b, &size_b);
	CHECK(blob_put(store_blobs(st), "{\"a\":1}", 7, NULL, cfg_a,
	    &err) == 0);
	CHECK(blob_put(store_blobs(st), "{\"b\":1}", 7, NULL, cfg_b,
	    &err) == 0);
	CHECK(store_layer_unpack(st, blob_a, diff_a, got, &err) == 0);
	CHECK(store_layer_unpack(st, blob_b, diff_b, got, &err) == 0);
	la = (struct db_layer){ diff_a, { blob_a, MEDIA_GZIP, size_a }, 0 };
	lb = (struct db_layer){ diff_b, { blob_b, MEDIA_GZIP, size_b }, 0 };
	img = (struct db_image){ .id = cfg_a, .config = { cfg_a, MEDIA_CONFIG,
	    7 }, .created = 1, .layers = &la, .nlayers = 1 };
	CHECK(db_image_add(store_db(st), &img, &err) == 0);
	img.id = img.config.digest = cfg_b;
	img.layers = &lb;
	CHECK(db_image_add(store_db(st), &img, &err) == 0);

	/* Everything referenced: gc removes nothing. */
	CHECK(store_gc(st, &removed, &err) == 0 && removed == 0);
	CHECK(count_entries("layers") == 3);

	CHECK(db_image_delete(store_db(st), cfg_b, true, &err) == 0);
	CHECK(store_gc(st, &removed, &err) == 0);
	/* b's layer directory, its blob and its config. */
	CHECK(removed == 3);
	CHECK(store_layer_path(st, diff_b, path, sizeof(path), &err) == -1);
	CHECK(blob_exists(store_blobs(st), blob_b, &err) == 0);
	CHECK(blob_exists(store_blobs(st), cfg_b, &err) == 0);
	CHECK(count_entries("layers") == 2);
	/* a's stay. */
	CHECK(store_layer_path(st, diff_a, path, sizeof(path), &err) == 0);
	CHECK(blob_exists(store_blobs(st), blob_a, &err) == 1);
	CHECK(blob_exists(store_blobs(st), cfg_a, &err) == 1);
	/* Nothing left to do. */
	CHECK(store_gc(st, &removed, &err) == 0 && removed == 0);
}

static void
store_gc_finishes_after_a_crash(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_store struct store *st = fresh_store();
	char blob[DIGEST_STR_SIZE], diff[DIGEST_STR_SIZE];
	char got[DIGEST_STR_SIZE], state[DB_STATE_SIZE];
	size_t removed = 0;

	if (st == NULL) {
		CHECK(st != NULL);
		return;
	}
	put_layer(st, files_b, 1, blob, diff, NULL);
	CHECK(store_layer_unpack(st, blob, NULL, got, &err) == 0);
	/* gc removed the directory and died before forgetting its row. */
	CHECK(remove_under_root("layers", digest_hex(diff)) == 0);
	/* The directory's row, and the blob no row names (no image was
	 * ever recorded for it: a load that died). */
	CHECK(store_gc(st, &removed, &err) == 0 && removed == 2);
	CHECK(db_layer_dir_state(store_db(st), diff, state, &err) == 0);
	CHECK_STR(state, "absent");
	CHECK(blob_exists(store_blobs(st), blob, &err) == 0);
}

int
main(void)
{
	if (mkdtemp(root) == NULL)
		return (1);
	RUN(store_unpacks_gzip_layer_under_diff_id);
	RUN(store_unpacks_a_layer_once);
	RUN(store_refuses_diff_id_mismatch);
	RUN(store_hostile_layer_leaves_nothing);
	RUN(store_open_recovers_from_a_crash);
	RUN(store_gc_removes_only_unreferenced);
	RUN(store_gc_finishes_after_a_crash);
	(void)remove_under_root(NULL, NULL);
	UNIT_EXIT();
}
