/*
 * Fuzz target for layer extraction: the input is a layer archive (tar,
 * gzip'd or zstd'd tar) handed to unpack_layer through a memfd, unpacked
 * into a fresh mkdtemp directory, then removed with unpack_remove_tree.
 *
 * Where it runs: a directory /tmp/fuzz-unpack-XXXXXX, with a private tmpfs
 * mounted on it when the process can have a mount namespace of its own
 * (root, or an unprivileged user namespace), so that a layer can neither
 * fill the host's /tmp nor leave anything behind.  Inside it, a sentinel
 * directory next to each destination.  After every run: the sentinel is
 * still empty, the base holds nothing but the sentinel and the
 * destination, unpack_remove_tree removed the destination entirely, no fd
 * leaked, and a failure came with an error set.  Any of these broken
 * aborts.  FUZZ_UNPACK_VERBOSE=1 prints each run's result (to see what a
 * seed does: build-fuzz/fuzz-unpack tests/fuzz/seeds/fuzz-unpack/x.tar).
 */
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "unpack.h"

#define FUZZ_TMPFS_OPTS	"size=64m,nr_inodes=65536,mode=0700"
#define SENTINEL	"sentinel"

static char	base[] = "/tmp/fuzz-unpack-XXXXXX";
static int	base_fd = -1;
static int	mounted;

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
die(const char *what)
{
	fprintf(stderr, "fuzz-unpack: %s: %s\n", what, strerror(errno));
	abort();
}

/* A mount namespace of our own with a tmpfs on the base, if we may. */
static void
mount_private_tmpfs(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return;
	/* Propagation off first: the tmpfs must never show on the host. */
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return;
	if (mount("fuzz-unpack", base, "tmpfs", MS_NOSUID | MS_NODEV,
	    FUZZ_TMPFS_OPTS) < 0)
		return;
	mounted = 1;
}

static void
remove_base(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (base_fd >= 0) {
		unpack_remove_tree(base_fd, SENTINEL, &err);
		close(base_fd);
	}
	if (mounted)
		umount2(base, MNT_DETACH);
	rmdir(base);
	berth_error_clear(&err);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (mkdtemp(base) == NULL)
		die("mkdtemp");
	mount_private_tmpfs();
	atexit(remove_base);
	if ((base_fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(base);
	if (mkdirat(base_fd, SENTINEL, 0755) < 0)
		die("mkdir sentinel");
	fprintf(stderr, "fuzz-unpack: unpacking under %s (%s)\n", base,
	    mounted ? "private tmpfs" : "no tmpfs: not allowed a mount "
	    "namespace");
	return (0);
}

/* The names in dirfd other than "." and "..": how many, and whether any is
 * not one of the two allowed (NULL allows none). */
static size_t
count_entries(int dirfd, const char *allow1, const char *allow2, int *other)
{
	struct dirent *d;
	size_t n = 0;
	DIR *dir;
	int fd;

	*other = 0;
	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die("open for listing");
	if ((dir = fdopendir(fd)) == NULL)
		die("fdopendir");
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		n++;
		if ((allow1 == NULL || strcmp(d->d_name, allow1) != 0) &&
		    (allow2 == NULL || strcmp(d->d_name, allow2) != 0)) {
			fprintf(stderr, "fuzz-unpack: unexpected %s/%s\n",
			    base, d->d_name);
			*other = 1;
		}
	}
	closedir(dir);
	return (n);
}

static void
check_contained(const char *dest)
{
	cleanup_close int sfd = -1;
	int other;

	count_entries(base_fd, SENTINEL, dest, &other);
	if (other)
		abort();
	if ((sfd = openat(base_fd, SENTINEL, O_PATH | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) < 0)
		die("sentinel is gone or no longer a directory");
	if (count_entries(sfd, NULL, NULL, &other) != 0) {
		fprintf(stderr, "fuzz-unpack: something landed in the "
		    "sentinel\n");
		abort();
	}
}

/* The lowest free fd: equal before and after a run, or a run leaked. */
static int
lowest_free_fd(void)
{
	int fd;

	if ((fd = dup(0)) < 0)
		die("dup");
	close(fd);
	return (fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct unpack_stats st;
	char path[sizeof(base) + 32], *dest;
	int src, dirfd, rc, fd_before;

	fd_before = lowest_free_fd();
	if ((src = memfd_create("layer", MFD_CLOEXEC)) < 0)
		die("memfd_create");
	if (size > 0 && write(src, data, size) != (ssize_t)size)
		die("write memfd");
	if (lseek(src, 0, SEEK_SET) < 0)
		die("lseek");

	snprintf(path, sizeof(path), "%s/dest-XXXXXX", base);
	if (mkdtemp(path) == NULL)
		die("mkdtemp dest");
	dest = strrchr(path, '/') + 1;
	if ((dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die(path);

	rc = unpack_layer(src, dirfd, &st, &err);
	if (rc < 0 && !berth_error_isset(&err)) {
		fprintf(stderr, "fuzz-unpack: failed without an error\n");
		abort();
	}
	if (rc == 0 && berth_error_isset(&err)) {
		fprintf(stderr, "fuzz-unpack: succeeded with an error set\n");
		abort();
	}
	if (st.entries > UNPACK_MAX_ENTRIES + 1)
		abort();
	if (getenv("FUZZ_UNPACK_VERBOSE") != NULL)
		fprintf(stderr, "fuzz-unpack: %zu bytes: %s: %s\n", size,
		    rc == 0 ? "ok" : err.name,
		    rc == 0 ? "unpacked" : err.message);
	berth_error_clear(&err);
	close(dirfd);
	close(src);

	check_contained(dest);
	if (unpack_remove_tree(base_fd, dest, &err) < 0) {
		fprintf(stderr, "fuzz-unpack: remove %s: %s\n", path,
		    err.message);
		abort();
	}
	berth_error_clear(&err);
	check_contained(NULL);
	if (lowest_free_fd() != fd_before) {
		fprintf(stderr, "fuzz-unpack: fd leaked (%d, was %d)\n",
		    lowest_free_fd(), fd_before);
		abort();
	}
	return (0);
}
