/*
 * Unit tests for store/blob.c: write, verify, refuse, clean up.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "cleanup.h"
#include "unit.h"

#define HELLO	"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
#define EMPTY	"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static char root[] = "/tmp/berth-test-blob.XXXXXX";

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return (remove(path));
}

/* A fresh store for each test. */
static struct blob_store *
fresh_store(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct blob_store *bs = NULL;

	nftw(root, rm_entry, 16, FTW_DEPTH|FTW_PHYS);
	if (blob_store_open(root, &bs, &err) == -1)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	return (bs);
}

static int
count_entries(const char *sub)
{
	char path[256];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/blobs/%s", root, sub);
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return (n);
}

static bool
blob_file_exists(const char *digest)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", root,
	    digest_hex(digest));
	return (access(path, F_OK) == 0);
}

static void
blob_write_and_read_back(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_blob_store struct blob_store *bs = fresh_store();
	struct blob_writer *w = NULL;
	cleanup_close int fd = -1;
	char out[DIGEST_STR_SIZE], buf[16];
	uint64_t size = 0;
	ssize_t n;

	CHECK(bs != NULL);
	CHECK(blob_writer_open(bs, 0, &w, &err) == 0);
	CHECK(blob_writer_write(w, "hel", 3, &err) == 0);
	CHECK(blob_writer_write(w, "lo", 2, &err) == 0);
	CHECK(blob_writer_size(w) == 5);
	CHECK(blob_writer_commit(w, HELLO, out, &err) == 0);
	CHECK_STR(out, HELLO);
	CHECK(blob_exists(bs, HELLO, &err) == 1);
	CHECK(blob_size(bs, HELLO, &size, &err) == 0 && size == 5);
	CHECK((fd = blob_open(bs, HELLO, &err)) >= 0);
	n = read(fd, buf, sizeof(buf));
	CHECK(n == 5 && memcmp(buf, "hello", 5) == 0);
	CHECK(blob_verify(bs, HELLO, &err) == 0);
	CHECK(count_entries("tmp") == 0);
}

static void
blob_commit_without_expected_names_it(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_blob_store struct blob_store *bs = fresh_store();
	char out[DIGEST_STR_SIZE];

	CHECK(blob_put(bs, "", 0, NULL, out, &err) == 0);
	CHECK_STR(out, EMPTY);
	CHECK(blob_file_exists(EMPTY));
}

static void
blob_mismatch_refused_and_nothing_left(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_blob_store struct blob_store *bs = fresh_store();
	const char *msg;

	CHECK(blob_put(bs, "hellO", 5, HELLO, NULL, &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_BLOB_MISMATCH));
	msg = berth_error_message(&err);
	CHECK(msg != NULL && strstr(msg, HELLO) != NULL);
	CHECK(msg != NULL && strstr(msg, "got sha256:") != NULL);
	CHECK(!blob_file_exists(HELLO));
	CHECK(count_entries("sha256") == 0);
	CHECK(count_entries("tmp") == 0);
	CHECK(blob_exists(bs, HELLO, &err) == 0);
}

static void
blob_size_limit_enforced(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_blob_store struct blob_store *bs = fresh_store();
	cleanup_blob_writer struct blob_writer *w = NULL;

	CHECK(blob_writer_open(bs, 4, &w, &err) == 0);
	CHECK(blob_writer_write(w, "hell", 4, &err) == 0);
	CHECK(blob_writer_write(w, "o", 1, &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_BLOB_TOO_LARGE));
}

static void
blob_abort_leaves_nothing(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_blob_store struct blob_store *bs = fresh_store();
	struct blob_writer *w = NULL;

	CHECK(blob_writer_open(bs, 0, &w, &err) == 0);
	CHECK(blob_writer_write(w, "hel", 3, &err) == 0);
	blob_writer_abort(w);
	CHECK(count_entries("tmp") == 0);
	CHECK(count_entries("sha256") == 0);
}

/* A writer abandoned by a process that dies mid-write (the crash case),
 * and a named leftover as the fallback path leaves: nothing after the
 * start-up cleanup. */
static void
blob_interrupted_write_cleaned_at_start(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_blob_store struct blob_store *bs = fresh_store();
	char path[256];
	pid_t pid;
	int status, fd;

	pid = fork();
	if (pid == 0) {
		struct berth_error cerr = BERTH_ERROR_INIT;
		struct blob_writer *w;

		if (blob_writer_open(bs, 0, &w, &cerr) == -1 ||
		    blob_writer_write(w, "hel", 3, &cerr) == -1)
			_exit(1);
		_exit(0);	/* dies without commit or abort */
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(path, sizeof(path), "%s/blobs/tmp/blob-1-deadbeef", root);
	fd = open(path, O_WRONLY|O_CREAT|O_EXCL, 0444);
	CHECK(fd >= 0 && write(fd, "hel", 3) == 3);
	close(fd);
	CHECK(count_entries("tmp") >= 1);
	CHECK(blob_store_cleanup_tmp(bs, &err) >= 1);
	CHECK(count_entries("tmp") == 0);
	CHECK(count_entries("sha256") == 0);
}

static void
blob_same_content_twice_is_fine(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_blob_store struct blob_store *bs = fresh_store();
	struct blob_writer *a = NULL, *b = NULL;

	/* Two writers of one blob in flight at once, as two pulls of
	 * images sharing a layer would be. */
	CHECK(blob_writer_open(bs, 0, &a, &err) == 0);
	CHECK(blob_writer_open(bs, 0, &b, &err) == 0);
	CHECK(blob_writer_write(a, "hello", 5, &err) == 0);
	CHECK(blob_writer_write(b, "hello", 5, &err) == 0);
	CHECK(blob_writer_commit(a, HELLO, NULL, &err) == 0);
	CHECK(blob_writer_commit(b, HELLO, NULL, &err) == 0);
	CHECK(blob_verify(bs, HELLO, &err) == 0);
	CHECK(count_entries("sha256") == 1);
	CHECK(count_entries("tmp") == 0);
}

static void
blob_verify_detects_corruption(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_blob_store struct blob_store *bs = fresh_store();
	char path[256];
	int fd;

	CHECK(blob_put(bs, "hello", 5, HELLO, NULL, &err) == 0);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", root,
	    digest_hex(HELLO));
	chmod(path, 0644);
	fd = open(path, O_WRONLY|O_TRUNC);
	CHECK(fd >= 0 && write(fd, "jello", 5) == 5);
	close(fd);
	CHECK(blob_verify(bs, HELLO, &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_BLOB_MISMATCH));
}

static void
blob_delete_and_missing(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_blob_store struct blob_store *bs = fresh_store();

	CHECK(blob_put(bs, "hello", 5, NULL, NULL, &err) == 0);
	CHECK(blob_delete(bs, HELLO, &err) == 0);
	CHECK(blob_exists(bs, HELLO, &err) == 0);
	CHECK(blob_delete(bs, HELLO, &err) == 0);
	CHECK(blob_open(bs, HELLO, &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_BLOB_NOT_FOUND));
	CHECK(blob_open(bs, "sha256:../../etc/passwd", &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_INVALID_DIGEST));
}

int
main(void)
{
	if (mkdtemp(root) == NULL)
		return (1);
	RUN(blob_write_and_read_back);
	RUN(blob_commit_without_expected_names_it);
	RUN(blob_mismatch_refused_and_nothing_left);
	RUN(blob_size_limit_enforced);
	RUN(blob_abort_leaves_nothing);
	RUN(blob_interrupted_write_cleaned_at_start);
	RUN(blob_same_content_twice_is_fine);
	RUN(blob_verify_detects_corruption);
	RUN(blob_delete_and_missing);
	nftw(root, rm_entry, 16, FTW_DEPTH|FTW_PHYS);
	UNIT_EXIT();
}
