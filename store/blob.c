/*
 * The blob store on disk: ROOT/blobs/sha256/<hex> for content, and
 * ROOT/blobs/tmp for writes in progress.  Everything is done relative to
 * directory fds opened once.
 *
 * A write goes to an O_TMPFILE file in tmp when the filesystem has them
 * (nothing to clean after a crash), else to a uniquely named file there
 * that blob_store_cleanup_tmp() removes at the next start.  Commit order:
 * hash check, fsync the file, link or rename it into sha256/, fsync
 * sha256/ so that the name is durable too.
 */
#include <sys/stat.h>

#include <stdbool.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "cleanup.h"

#define BLOB_DIR	"blobs"
#define BLOB_HASH_DIR	"sha256"
#define BLOB_TMP_DIR	"tmp"
#define BLOB_MODE	0444
#define BLOB_IO_SIZE	65536

struct blob_store {
	int		 hashfd;	/* ROOT/blobs/sha256 */
	int		 tmpfd;		/* ROOT/blobs/tmp */
};

struct blob_writer {
	struct blob_store *bs;
	int		 fd;
	char		 tmpname[64];	/* "" for an O_TMPFILE file */
	uint64_t	 size;
	uint64_t	 limit;
	struct digester	*digester;
};

static int
open_subdir(int dirfd, const char *name, const char *what,
    struct berth_error *err)
{
	int fd;

	if (mkdirat(dirfd, name, 0700) == -1 && errno != EEXIST) {
		berth_error_sys(err, "create %s", what);
		return (-1);
	}
	fd = openat(dirfd, name, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
	if (fd == -1)
		berth_error_sys(err, "open %s", what);
	return (fd);
}

int
blob_store_open(const char *root, struct blob_store **out,
    struct berth_error *err)
{
	cleanup_close int rootfd = -1;
	cleanup_close int blobfd = -1;
	cleanup_close int hashfd = -1;
	cleanup_close int tmpfd = -1;
	struct blob_store *bs;

	if (mkdir(root, 0711) == -1 && errno != EEXIST)
		return (berth_error_sys(err, "create store root %s", root));
	rootfd = open(root, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
	if (rootfd == -1)
		return (berth_error_sys(err, "open store root %s", root));
	if ((blobfd = open_subdir(rootfd, BLOB_DIR, "blobs", err)) == -1 ||
	    (hashfd = open_subdir(blobfd, BLOB_HASH_DIR, "blobs/sha256",
	    err)) == -1 ||
	    (tmpfd = open_subdir(blobfd, BLOB_TMP_DIR, "blobs/tmp",
	    err)) == -1)
		return (berth_error_wrap(err, "open blob store %s", root));
	if ((bs = calloc(1, sizeof(*bs))) == NULL)
		return (berth_error_sys(err, "allocate blob store"));
	bs->hashfd = steal_fd(&hashfd);
	bs->tmpfd = steal_fd(&tmpfd);
	*out = bs;
	return (0);
}

void
blob_store_close(struct blob_store *bs)
{
	if (bs == NULL)
		return;
	close(bs->hashfd);
	close(bs->tmpfd);
	free(bs);
}

int
blob_store_cleanup_tmp(struct blob_store *bs, struct berth_error *err)
{
	struct dirent *de;
	DIR *dir;
	int fd, n = 0;

	if ((fd = dup(bs->tmpfd)) == -1)
		return (berth_error_sys(err, "clean blobs/tmp: dup"));
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return (berth_error_sys(err, "clean blobs/tmp: fdopendir"));
	}
	rewinddir(dir);
	while ((errno = 0, de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(bs->tmpfd, de->d_name, 0) == -1 &&
		    errno != ENOENT) {
			berth_error_sys(err, "clean blobs/tmp: remove %s",
			    de->d_name);
			closedir(dir);
			return (-1);
		}
		n++;
	}
	if (errno != 0) {
		berth_error_sys(err, "clean blobs/tmp: read");
		closedir(dir);
		return (-1);
	}
	closedir(dir);
	return (n);
}

/* Open a named temporary file in tmp when O_TMPFILE is not available. */
static int
open_named_tmp(struct blob_writer *w, struct berth_error *err)
{
	unsigned int r;
	int fd, tries;

	for (tries = 0; tries < 100; tries++) {
		r = (unsigned int)random() ^ (unsigned int)getpid();
		snprintf(w->tmpname, sizeof(w->tmpname), "blob-%d-%08x",
		    (int)getpid(), r);
		fd = openat(w->bs->tmpfd, w->tmpname,
		    O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, BLOB_MODE);
		if (fd != -1)
			return (fd);
		if (errno != EEXIST)
			break;
	}
	w->tmpname[0] = '\0';
	berth_error_sys(err, "create temporary blob file");
	return (-1);
}

int
blob_writer_open(struct blob_store *bs, uint64_t limit,
    struct blob_writer **out, struct berth_error *err)
{
	cleanup_blob_writer struct blob_writer *w = NULL;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (berth_error_sys(err, "allocate blob writer"));
	w->bs = bs;
	w->limit = limit;
	w->fd = openat(bs->tmpfd, ".", O_TMPFILE|O_WRONLY|O_CLOEXEC,
	    BLOB_MODE);
	if (w->fd == -1) {
		if (errno != EOPNOTSUPP && errno != EISDIR &&
		    errno != EINVAL)
			return (berth_error_sys(err,
			    "create temporary blob file"));
		if ((w->fd = open_named_tmp(w, err)) == -1)
			return (-1);
	}
	if ((w->digester = digester_new(err)) == NULL)
		return (-1);
	*out = steal_pointer(&w);
	return (0);
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

int
blob_writer_write(struct blob_writer *w, const void *buf, size_t len,
    struct berth_error *err)
{
	if (w->limit != 0 && len > w->limit - w->size) {
		berth_error_set(err, STORE_E_BLOB_TOO_LARGE, 0,
		    "blob larger than the limit of %llu bytes",
		    (unsigned long long)w->limit);
		return (berth_error_param_int(err, "limit",
		    (int64_t)w->limit));
	}
	if (write_all(w->fd, buf, len) == -1)
		return (berth_error_sys(err, "write blob"));
	w->size += len;
	return (digester_update(w->digester, buf, len, err));
}

uint64_t
blob_writer_size(const struct blob_writer *w)
{
	return (w->size);
}

void
blob_writer_abort(struct blob_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmpname[0] != '\0')
		unlinkat(w->bs->tmpfd, w->tmpname, 0);
	digester_free(w->digester);
	free(w);
}

/* Give the O_TMPFILE file a name in sha256/; EEXIST means the same
 * content is already there, which is success. */
static int
link_tmpfile(struct blob_writer *w, const char *hex, struct berth_error *err)
{
	char proc[64];

	if (linkat(w->fd, "", w->bs->hashfd, hex, AT_EMPTY_PATH) == 0 ||
	    errno == EEXIST)
		return (0);
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc does not. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
	if (linkat(AT_FDCWD, proc, w->bs->hashfd, hex,
	    AT_SYMLINK_FOLLOW) == 0 || errno == EEXIST)
		return (0);
	return (berth_error_sys(err, "link blob into place"));
}

static int
mismatch(struct berth_error *err, const char *expected, const char *actual)
{
	berth_error_set(err, STORE_E_BLOB_MISMATCH, 0,
	    "blob digest mismatch: expected %s, got %s", expected, actual);
	berth_error_param_str(err, "expected", expected);
	return (berth_error_param_str(err, "actual", actual));
}

int
blob_writer_commit(struct blob_writer *w, const char *expected,
    char out[DIGEST_STR_SIZE], struct berth_error *err)
{
	cleanup_blob_writer struct blob_writer *owned = w;
	char actual[DIGEST_STR_SIZE];
	const char *hex;

	if (expected != NULL && digest_validate(expected, err) == -1)
		return (berth_error_wrap(err, "commit blob"));
	if (digester_final(w->digester, actual, err) == -1)
		return (berth_error_wrap(err, "commit blob"));
	if (expected != NULL && strcmp(expected, actual) != 0)
		return (mismatch(err, expected, actual));
	if (fsync(w->fd) == -1)
		return (berth_error_sys(err, "commit blob %s: fsync", actual));
	hex = digest_hex(actual);
	if (w->tmpname[0] == '\0') {
		if (link_tmpfile(w, hex, err) == -1)
			return (berth_error_wrap(err, "commit blob %s",
			    actual));
	} else {
		if (renameat(w->bs->tmpfd, w->tmpname, w->bs->hashfd,
		    hex) == -1)
			return (berth_error_sys(err,
			    "commit blob %s: rename", actual));
		w->tmpname[0] = '\0';
	}
	if (fsync(w->bs->hashfd) == -1)
		return (berth_error_sys(err, "commit blob %s: fsync "
		    "blobs/sha256", actual));
	if (out != NULL)
		memcpy(out, actual, DIGEST_STR_SIZE);
	return (0);
}

int
blob_put(struct blob_store *bs, const void *buf, size_t len,
    const char *expected, char out[DIGEST_STR_SIZE], struct berth_error *err)
{
	struct blob_writer *w;

	if (blob_writer_open(bs, 0, &w, err) == -1)
		return (-1);
	if (blob_writer_write(w, buf, len, err) == -1) {
		blob_writer_abort(w);
		return (-1);
	}
	return (blob_writer_commit(w, expected, out, err));
}

int
blob_open(struct blob_store *bs, const char *digest, struct berth_error *err)
{
	int fd;

	if (digest_validate(digest, err) == -1)
		return (-1);
	fd = openat(bs->hashfd, digest_hex(digest), O_RDONLY|O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		berth_error_set(err, STORE_E_BLOB_NOT_FOUND, 0,
		    "blob %s not found", digest);
		berth_error_param_str(err, "digest", digest);
	} else if (fd == -1)
		berth_error_sys(err, "open blob %s", digest);
	return (fd);
}

int
blob_exists(struct blob_store *bs, const char *digest,
    struct berth_error *err)
{
	struct stat st;

	if (digest_validate(digest, err) == -1)
		return (-1);
	if (fstatat(bs->hashfd, digest_hex(digest), &st, 0) == 0)
		return (1);
	if (errno == ENOENT)
		return (0);
	return (berth_error_sys(err, "stat blob %s", digest));
}

int
blob_size(struct blob_store *bs, const char *digest, uint64_t *size,
    struct berth_error *err)
{
	cleanup_close int fd = -1;
	struct stat st;

	if ((fd = blob_open(bs, digest, err)) == -1)
		return (-1);
	if (fstat(fd, &st) == -1)
		return (berth_error_sys(err, "stat blob %s", digest));
	*size = (uint64_t)st.st_size;
	return (0);
}

int
blob_verify(struct blob_store *bs, const char *digest,
    struct berth_error *err)
{
	cleanup_digester struct digester *d = NULL;
	cleanup_free char *buf = NULL;
	cleanup_close int fd = -1;
	char actual[DIGEST_STR_SIZE];
	ssize_t n;

	if ((fd = blob_open(bs, digest, err)) == -1)
		return (-1);
	if ((d = digester_new(err)) == NULL)
		return (-1);
	if ((buf = malloc(BLOB_IO_SIZE)) == NULL)
		return (berth_error_sys(err, "verify blob %s", digest));
	for (;;) {
		n = read(fd, buf, BLOB_IO_SIZE);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (berth_error_sys(err, "read blob %s", digest));
		if (n == 0)
			break;
		if (digester_update(d, buf, (size_t)n, err) == -1)
			return (-1);
	}
	if (digester_final(d, actual, err) == -1)
		return (-1);
	if (strcmp(actual, digest) != 0)
		return (mismatch(err, digest, actual));
	return (0);
}

int
blob_delete(struct blob_store *bs, const char *digest,
    struct berth_error *err)
{
	if (digest_validate(digest, err) == -1)
		return (-1);
	if (unlinkat(bs->hashfd, digest_hex(digest), 0) == -1 &&
	    errno != ENOENT)
		return (berth_error_sys(err, "remove blob %s", digest));
	return (0);
}

int
blob_store_list(struct blob_store *bs, char ***digests, size_t *n,
    struct berth_error *err)
{
	cleanup_dir DIR *dir = NULL;
	struct dirent *de;
	char **v = NULL, **grown;
	size_t count = 0, i;
	int fd;

	if ((fd = dup(bs->hashfd)) == -1)
		return (berth_error_sys(err, "list blobs"));
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return (berth_error_sys(err, "list blobs"));
	}
	rewinddir(dir);
	while ((errno = 0, de = readdir(dir)) != NULL) {
		if (strlen(de->d_name) != DIGEST_HEX_LEN ||
		    !digest_hex_valid(de->d_name, DIGEST_HEX_LEN))
			continue;
		grown = reallocarray(v, count + 1, sizeof(*v));
		if (grown == NULL)
			goto fail;
		v = grown;
		if (asprintf(&v[count], DIGEST_PREFIX "%s", de->d_name) == -1)
			goto fail;
		count++;
	}
	if (errno != 0)
		goto fail;
	*digests = v;
	*n = count;
	return (0);
fail:
	berth_error_sys(err, "list blobs");
	for (i = 0; i < count; i++)
		free(v[i]);
	free(v);
	return (-1);
}
