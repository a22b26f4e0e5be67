/*
 * Snapshots: prepare lays out upper, work and merged and refuses bad or
 * taken ids; the spec gets the overlay's paths; a real overlay mount (in a
 * forked child's private mount namespace) writes, whiteouts and opaque
 * dirs into upper; the changes are listed as `docker diff` does and
 * exported as an OCI layer tar; removal takes everything, detaches a mount
 * on merged, refuses other mounts, no symlink in upper is followed, and
 * what it gives back is counted (a hard link once, one kept elsewhere not).
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "snapshot.h"
#include "spec.h"
#include "unit.h"
#include "unpack.h"

static char base[64];		/* the test's temporary directory */
static char snapdir[128];
static char lower1[128];	/* topmost */
static char lower2[128];
static const char *lowers[3];

static void
put(const char *dir, const char *rel, const char *data)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data)) {
		fprintf(stderr, "# write %s: %s\n", path, strerror(errno));
		abort();
	}
	close(fd);
}

static void
mk(const char *dir, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		abort();
}

static void
whiteout(const char *dir, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (mknod(path, S_IFCHR | 0, makedev(0, 0)) < 0)
		abort();
}

static int
exists(const char *dir, const char *rel)
{
	char path[512];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return (lstat(path, &sb) == 0);
}

static void
setup(void)
{
	strcpy(base, "/tmp/berth-snapshot-XXXXXX");
	if (mkdtemp(base) == NULL)
		abort();
	snprintf(snapdir, sizeof(snapdir), "%s/snaps", base);
	snprintf(lower1, sizeof(lower1), "%s/l1", base);
	snprintf(lower2, sizeof(lower2), "%s/l2", base);
	mk(base, "snaps");
	mk(base, "sentinel");
	put(base, "sentinel/keep", "keep\n");
	/* l2: the bottom layer. */
	mk(base, "l2");
	mk(lower2, "etc");
	put(lower2, "etc/passwd", "root\n");
	mk(lower2, "dir");
	put(lower2, "dir/a", "a\n");
	put(lower2, "dir/b", "b\n");
	put(lower2, "gone", "gone\n");
	put(lower2, "hidden", "hidden\n");
	/* l1 on top deletes "hidden". */
	mk(base, "l1");
	put(lower1, "motd", "hi\n");
	whiteout(lower1, "hidden");
	lowers[0] = lower1;
	lowers[1] = lower2;
	lowers[2] = NULL;
}

/* Remove base, which lies in /tmp. */
static void
remove_base(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int tmp = open("/tmp", O_PATH | O_DIRECTORY);

	if (unpack_remove_tree(tmp, base + strlen("/tmp/"), &err) < 0)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	berth_error_clear(&err);
}

static void
test_prepare_creates_dirs_with_modes(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct snapshot snap;
	char path[512];
	struct stat sb;

	CHECK(snapshot_prepare(snapdir, "c1", lowers, &snap, &err) == 0);
	snprintf(path, sizeof(path), "%s/c1", snapdir);
	CHECK_STR(snap.dir, path);
	CHECK(stat(snap.dir, &sb) == 0 && (sb.st_mode & 07777) == 0700);
	CHECK(stat(snap.upper, &sb) == 0 && (sb.st_mode & 07777) == 0755);
	CHECK(stat(snap.work, &sb) == 0 && S_ISDIR(sb.st_mode));
	CHECK(stat(snap.merged, &sb) == 0 && S_ISDIR(sb.st_mode));
	CHECK(snap.nlowers == 2);
	CHECK_STR(snap.lowers[0], lower1);
	CHECK(snap.lowers[2] == NULL);
	snapshot_free(&snap);
	CHECK(snapshot_open(snapdir, "c1", lowers, &snap, &err) == 0);
	snapshot_free(&snap);
	CHECK(snapshot_remove(snapdir, "c1", &err) == 0);
}

static void
test_prepare_refuses_bad_and_taken_ids(void)
{
	static const char *bad[] = {
		"", ".", "..", "a/b", "../x", "a b", "é", "x\n",
	};
	struct berth_error err = BERTH_ERROR_INIT;
	struct snapshot snap;
	char longid[SNAPSHOT_ID_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(snapshot_prepare(snapdir, bad[i], lowers, &snap,
		    &err) < 0);
		CHECK(berth_error_is(&err, SNAPSHOT_E_INVALID_ID));
		berth_error_clear(&err);
	}
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	CHECK(snapshot_prepare(snapdir, longid, lowers, &snap, &err) < 0);
	CHECK(berth_error_is(&err, SNAPSHOT_E_INVALID_ID));
	berth_error_clear(&err);
	longid[SNAPSHOT_ID_MAX] = '\0';
	CHECK(snapshot_prepare(snapdir, longid, lowers, &snap, &err) == 0);
	snapshot_free(&snap);
	CHECK(snapshot_remove(snapdir, longid, &err) == 0);

	CHECK(snapshot_prepare(snapdir, "Dup_1.x-y", lowers, &snap,
	    &err) == 0);
	put(snap.upper, "mine", "x");
	snapshot_free(&snap);
	CHECK(snapshot_prepare(snapdir, "Dup_1.x-y", lowers, &snap, &err) < 0);
	CHECK(berth_error_is(&err, SNAPSHOT_E_EXISTS));
	berth_error_clear(&err);
	/* The existing one is left alone. */
	CHECK(exists(snapdir, "Dup_1.x-y/upper/mine"));
	CHECK(snapshot_remove(snapdir, "Dup_1.x-y", &err) == 0);

	/* Lowers overlayfs could not take. */
	{
		const char *l[] = { "relative", NULL };
		const char *l2[] = { "/a:b", NULL };
		const char *none[] = { NULL };

		CHECK(snapshot_prepare(snapdir, "z", l, &snap, &err) < 0);
		berth_error_clear(&err);
		CHECK(snapshot_prepare(snapdir, "z", l2, &snap, &err) < 0);
		berth_error_clear(&err);
		CHECK(snapshot_prepare(snapdir, "z", none, &snap, &err) < 0);
		berth_error_clear(&err);
		CHECK(!exists(snapdir, "z"));
	}
}

static void
test_fill_spec_sets_overlay_paths(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_spec spec;
	struct snapshot snap;
	char path[512];
	size_t i;

	memset(&spec, 0, sizeof(spec));
	spec.root_path = strdup("/old");
	CHECK(snapshot_prepare(snapdir, "s1", lowers, &snap, &err) == 0);
	CHECK(snapshot_fill_spec(&snap, &spec, &err) == 0);
	snprintf(path, sizeof(path), "%s/s1/merged", snapdir);
	CHECK_STR(spec.root_path, path);
	snprintf(path, sizeof(path), "%s/s1/upper", snapdir);
	CHECK_STR(spec.overlay_upper, path);
	snprintf(path, sizeof(path), "%s/s1/work", snapdir);
	CHECK_STR(spec.overlay_work, path);
	CHECK(spec.overlay_lower != NULL);
	if (spec.overlay_lower != NULL) {
		CHECK_STR(spec.overlay_lower[0], lower1);
		CHECK_STR(spec.overlay_lower[1], lower2);
		CHECK(spec.overlay_lower[2] == NULL);
		for (i = 0; spec.overlay_lower[i] != NULL; i++)
			free(spec.overlay_lower[i]);
	}
	free(spec.overlay_lower);
	free(spec.root_path);
	free(spec.overlay_upper);
	free(spec.overlay_work);
	snapshot_free(&snap);
	CHECK(snapshot_remove(snapdir, "s1", &err) == 0);
}

/* Run fn in a child with a private mount namespace; its exit status is
 * its number of failed checks. */
static int
in_private_ns(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(100);
		fflush(stderr);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return (-1);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static int
overlay_child(void *arg)
{
	struct snapshot *snap = arg;
	struct berth_error err = BERTH_ERROR_INIT;
	char path[512], buf[16];
	int fd, r;

	if (snapshot_mount(snap, &err) < 0) {
		fprintf(stderr, "# %s\n", berth_error_message(&err));
		return (1);
	}
	snprintf(path, sizeof(path), "%s/etc/passwd", snap->merged);
	fd = open(path, O_RDONLY);
	r = fd >= 0 ? (int)read(fd, buf, sizeof(buf)) : -1;
	if (fd >= 0)
		close(fd);
	unit_failed_checks = 0;
	CHECK(r == 5 && memcmp(buf, "root\n", 5) == 0);
	CHECK(exists(snap->merged, "motd"));
	CHECK(!exists(snap->merged, "hidden"));
	put(snap->merged, "new", "new\n");
	put(snap->merged, "etc/passwd", "root\nme\n");
	snprintf(path, sizeof(path), "%s/gone", snap->merged);
	CHECK(unlink(path) == 0);
	snprintf(path, sizeof(path), "%s/dir/a", snap->merged);
	CHECK(unlink(path) == 0);
	snprintf(path, sizeof(path), "%s/dir/b", snap->merged);
	CHECK(unlink(path) == 0);
	snprintf(path, sizeof(path), "%s/dir", snap->merged);
	CHECK(rmdir(path) == 0);
	CHECK(mkdir(path, 0755) == 0);
	put(snap->merged, "dir/c", "c\n");
	CHECK(snapshot_unmount(snap, &err) == 0);
	CHECK(!exists(snap->merged, "motd"));
	/* Unmounting twice is fine. */
	CHECK(snapshot_unmount(snap, &err) == 0);
	return (unit_failed_checks);
}

static int
is_opaque(const char *dir, const char *rel)
{
	char path[512], v[2];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return (lgetxattr(path, "trusted.overlay.opaque", v, 2) == 1 &&
	    v[0] == 'y');
}

struct expect {
	char		 kind;
	const char	*path;
};

static void
check_changes(const struct snapshot *snap, const struct expect *want,
    size_t nwant)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct snapshot_change *c;
	size_t i, n;

	CHECK(snapshot_changes_list(snap, &c, &n, &err) == 0);
	if (berth_error_isset(&err))
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	CHECK(n == nwant);
	for (i = 0; i < n && i < nwant; i++) {
		if (c[i].kind != want[i].kind ||
		    strcmp(c[i].path, want[i].path) != 0)
			fprintf(stderr, "# change %zu: %c %s, want %c %s\n",
			    i, c[i].kind, c[i].path, want[i].kind,
			    want[i].path);
		CHECK(c[i].kind == want[i].kind);
		CHECK_STR(c[i].path, want[i].path);
	}
	snapshot_changes_free(c, n);
	berth_error_clear(&err);
}

static void
test_overlay_mount_writes_into_upper(void)
{
	static const struct expect want[] = {
		{ 'C', "/dir" }, { 'A', "/dir/c" }, { 'C', "/etc" },
		{ 'C', "/etc/passwd" }, { 'D', "/gone" }, { 'A', "/new" },
	};
	struct berth_error err = BERTH_ERROR_INIT;
	struct snapshot snap;
	char path[512];
	struct stat sb;

	CHECK(snapshot_prepare(snapdir, "m1", lowers, &snap, &err) == 0);
	CHECK(in_private_ns(overlay_child, &snap) == 0);
	CHECK(exists(snap.upper, "new"));
	snprintf(path, sizeof(path), "%s/gone", snap.upper);
	CHECK(lstat(path, &sb) == 0 && S_ISCHR(sb.st_mode) &&
	    sb.st_rdev == makedev(0, 0));
	CHECK(is_opaque(snap.upper, "dir"));
	/* Nothing leaked into our namespace. */
	CHECK(!exists(snap.merged, "motd"));
	check_changes(&snap, want, sizeof(want) / sizeof(want[0]));
	snapshot_free(&snap);
	CHECK(snapshot_remove(snapdir, "m1", &err) == 0);
}

/* An upper made by hand: every kind of change, xattrs, a symlink to /. */
static void
make_upper(const char *upper)
{
	char path[512];

	mk(upper, "etc");
	put(upper, "etc/passwd", "root\nme\n");
	snprintf(path, sizeof(path), "%s/etc/passwd", upper);
	if (setxattr(path, "trusted.overlay.origin", "x", 1, 0) < 0 ||
	    setxattr(path, "user.kept", "v", 1, 0) < 0)
		abort();
	put(upper, "new", "new data\n");
	whiteout(upper, "gone");
	mk(upper, "dir");
	snprintf(path, sizeof(path), "%s/dir", upper);
	if (setxattr(path, "trusted.overlay.opaque", "y", 1, 0) < 0)
		abort();
	put(upper, "dir/c", "c\n");
	put(upper, "hidden", "back\n");
	snprintf(path, sizeof(path), "%s/evil", upper);
	if (symlink("/", path) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/evil2", upper);
	if (symlink(base, path) < 0)		/* to the sentinel's dir */
		abort();
	mk(upper, "newdir");
	put(upper, "newdir/f", "f\n");
	snprintf(path, sizeof(path), "%s/fifo", upper);
	if (mkfifo(path, 0600) < 0)
		abort();
}

static const struct expect hand_changes[] = {
	{ 'C', "/dir" }, { 'A', "/dir/c" }, { 'C', "/etc" },
	{ 'C', "/etc/passwd" }, { 'A', "/evil" }, { 'A', "/evil2" },
	{ 'A', "/fifo" }, { 'D', "/gone" }, { 'A', "/hidden" },
	{ 'A', "/new" }, { 'A', "/newdir" }, { 'A', "/newdir/f" },
};
#define NHAND	(sizeof(hand_changes) / sizeof(hand_changes[0]))

static int
count_cb(const struct snapshot_change *c, void *arg, struct berth_error *err)
{
	size_t *n = arg;

	(void)err;
	if (*n < NHAND)
		CHECK_STR(c->path, hand_changes[*n].path);
	(*n)++;
	return (0);
}

static int
stop_cb(const struct snapshot_change *c, void *arg, struct berth_error *err)
{
	(void)c;
	(void)arg;
	return (berth_error_set(err, "test.Stop", 0, "stop"));
}

static void
test_changes_list_added_changed_deleted_sorted(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct snapshot snap;
	size_t n = 0;

	CHECK(snapshot_prepare(snapdir, "h1", lowers, &snap, &err) == 0);
	make_upper(snap.upper);
	check_changes(&snap, hand_changes, NHAND);
	CHECK(snapshot_changes(&snap, count_cb, &n, &err) == 0);
	CHECK(n == NHAND);
	CHECK(snapshot_changes(&snap, stop_cb, NULL, &err) < 0);
	CHECK(berth_error_is(&err, "test.Stop"));
	berth_error_clear(&err);
	CHECK(exists(base, "sentinel/keep"));
	snapshot_free(&snap);
	CHECK(snapshot_remove(snapdir, "h1", &err) == 0);
}

struct seen {
	char	name[64];
	mode_t	type;
	char	link[64];
	char	data[32];
	int	overlay_xattr;
	int	user_xattr;
};

static size_t
read_tar(int fd, struct seen *s, size_t max)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t n = 0;

	archive_read_support_format_tar(a);
	lseek(fd, 0, SEEK_SET);
	CHECK(archive_read_open_fd(a, fd, 4096) == ARCHIVE_OK);
	while (n < max && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *name, *xn;
		const void *xv;
		size_t len, xs;
		ssize_t r;

		memset(&s[n], 0, sizeof(s[n]));
		snprintf(s[n].name, sizeof(s[n].name), "%s",
		    archive_entry_pathname(e));
		len = strlen(s[n].name);
		if (len > 0 && s[n].name[len - 1] == '/')
			s[n].name[len - 1] = '\0';
		s[n].type = archive_entry_filetype(e);
		if ((name = archive_entry_symlink(e)) != NULL)
			snprintf(s[n].link, sizeof(s[n].link), "%s", name);
		r = archive_read_data(a, s[n].data, sizeof(s[n].data) - 1);
		(void)r;
		archive_entry_xattr_reset(e);
		while (archive_entry_xattr_next(e, &xn, &xv, &xs) ==
		    ARCHIVE_OK) {
			if (strncmp(xn, "trusted.overlay.", 16) == 0)
				s[n].overlay_xattr = 1;
			if (strcmp(xn, "user.kept") == 0 && xs == 1)
				s[n].user_xattr = 1;
		}
		n++;
	}
	archive_read_free(a);
	return (n);
}

static void
test_export_writes_oci_layer(void)
{
	static const char *want[] = {
		"dir", "dir/.wh..wh..opq", "dir/c", "etc", "etc/passwd",
		"evil", "evil2", "fifo", ".wh.gone", "hidden", "new",
		"newdir", "newdir/f",
	};
	struct berth_error err = BERTH_ERROR_INIT;
	struct snapshot snap;
	struct seen s[32];
	size_t i, n;
	int fd;

	CHECK(snapshot_prepare(snapdir, "e1", lowers, &snap, &err) == 0);
	make_upper(snap.upper);
	fd = open(base, O_RDWR | O_TMPFILE, 0600);
	CHECK(fd >= 0);
	CHECK(snapshot_export_changes(&snap, fd, &err) == 0);
	if (berth_error_isset(&err))
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	n = read_tar(fd, s, 32);
	close(fd);
	CHECK(n == sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n && i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_STR(s[i].name, want[i]);
		CHECK(!s[i].overlay_xattr);
	}
	if (n == sizeof(want) / sizeof(want[0])) {
		CHECK(s[0].type == AE_IFDIR);
		CHECK(s[1].type == AE_IFREG);
		CHECK(s[4].user_xattr);
		CHECK_STR(s[4].data, "root\nme\n");
		CHECK(s[5].type == AE_IFLNK);
		CHECK_STR(s[5].link, "/");
		CHECK_STR(s[6].link, base);
		CHECK(s[7].type == AE_IFIFO);
		CHECK(s[8].type == AE_IFREG);
		CHECK_STR(s[10].data, "new data\n");
	}
	CHECK(exists(base, "sentinel/keep"));
	snapshot_free(&snap);
	CHECK(snapshot_remove(snapdir, "e1", &err) == 0);
}

static void
test_remove_deletes_all_and_follows_no_symlink(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct snapshot snap;
	char path[512];

	CHECK(snapshot_prepare(snapdir, "r1", lowers, &snap, &err) == 0);
	make_upper(snap.upper);
	/* A symlink in place of merged itself, and one in work. */
	CHECK(rmdir(snap.merged) == 0);
	snprintf(path, sizeof(path), "%s/sentinel", base);
	CHECK(symlink(path, snap.merged) == 0);
	snprintf(path, sizeof(path), "%s/w", snap.work);
	CHECK(symlink(base, path) == 0);
	CHECK(snapshot_remove(snapdir, "r1", &err) == 0);
	CHECK(!exists(snapdir, "r1"));
	CHECK(exists(base, "sentinel/keep"));
	CHECK(exists(lower2, "etc/passwd"));
	snapshot_free(&snap);

	CHECK(snapshot_remove(snapdir, "r1", &err) < 0);
	CHECK(berth_error_is(&err, SNAPSHOT_E_NOT_FOUND));
	berth_error_clear(&err);
	CHECK(snapshot_remove(snapdir, "..", &err) < 0);
	CHECK(berth_error_is(&err, SNAPSHOT_E_INVALID_ID));
	berth_error_clear(&err);
	CHECK(snapshot_remove(snapdir, "../sentinel", &err) < 0);
	CHECK(berth_error_is(&err, SNAPSHOT_E_INVALID_ID));
	berth_error_clear(&err);
	CHECK(exists(base, "sentinel/keep"));
}

/* Write size bytes (not a hole) to dir/rel. */
static void
put_size(const char *dir, const char *rel, size_t size)
{
	char path[512], buf[4096];
	size_t done;
	int fd;

	memset(buf, 'x', sizeof(buf));
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	for (done = 0; fd >= 0 && done < size; done += sizeof(buf))
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			abort();
	if (fd < 0 || fsync(fd) < 0)
		abort();
	close(fd);
}

static void
test_remove_counts_what_the_filesystem_gets_back(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct snapshot snap;
	char a[512], b[512], outside[512];
	struct stat sb;
	uint64_t freed = 0;

	CHECK(snapshot_prepare(snapdir, "n1", lowers, &snap, &err) == 0);
	put_size(snap.upper, "a", 256 << 10);
	put_size(snap.upper, "c", 64 << 10);
	/* A second link inside counts once; one outside keeps c's data. */
	snprintf(a, sizeof(a), "%s/a", snap.upper);
	snprintf(b, sizeof(b), "%s/b", snap.upper);
	CHECK(link(a, b) == 0);
	snprintf(a, sizeof(a), "%s/c", snap.upper);
	snprintf(outside, sizeof(outside), "%s/outside-link", base);
	CHECK(link(a, outside) == 0);
	CHECK(snapshot_remove_counted(snapdir, "n1", &freed, &err) == 0);
	CHECK(!exists(snapdir, "n1"));
	/* a's blocks, and the directories' (none on tmpfs), not c's. */
	CHECK(freed >= 256 << 10);
	CHECK(freed < (256 << 10) + (64 << 10));
	CHECK(stat(outside, &sb) == 0 && sb.st_nlink == 1 &&
	    sb.st_size == 64 << 10);
	CHECK(unlink(outside) == 0);
	/* It adds: a second removal of nothing adds nothing. */
	CHECK(snapshot_remove_counted(snapdir, "n1", &freed, &err) < 0);
	CHECK(berth_error_is(&err, SNAPSHOT_E_NOT_FOUND));
	berth_error_clear(&err);
	snapshot_free(&snap);
}

static int
remove_mounted_child(void *arg)
{
	struct snapshot *snap = arg;
	struct berth_error err = BERTH_ERROR_INIT;
	char path[512], src[512];

	unit_failed_checks = 0;
	/* A mount on merged is detached and the snapshot goes. */
	CHECK(snapshot_mount(snap, &err) == 0);
	CHECK(snapshot_remove(snapdir, "b1", &err) == 0);
	CHECK(!exists(snapdir, "b1"));
	berth_error_clear(&err);

	/* A bind mount elsewhere inside is not removed through. */
	CHECK(snapshot_prepare(snapdir, "b2", lowers, snap, &err) == 0);
	mk(snap->upper, "sub");
	snprintf(path, sizeof(path), "%s/sub", snap->upper);
	snprintf(src, sizeof(src), "%s/sentinel", base);
	CHECK(mount(src, path, NULL, MS_BIND, NULL) == 0);
	CHECK(snapshot_remove(snapdir, "b2", &err) < 0);
	CHECK(berth_error_is(&err, SNAPSHOT_E_BUSY));
	berth_error_clear(&err);
	CHECK(exists(base, "sentinel/keep"));
	CHECK(umount2(path, MNT_DETACH) == 0);
	CHECK(snapshot_remove(snapdir, "b2", &err) == 0);
	snapshot_free(snap);
	return (unit_failed_checks);
}

static void
test_remove_detaches_merged_and_refuses_other_mounts(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct snapshot snap;

	CHECK(snapshot_prepare(snapdir, "b1", lowers, &snap, &err) == 0);
	CHECK(in_private_ns(remove_mounted_child, &snap) == 0);
	CHECK(!exists(snapdir, "b1"));
	CHECK(!exists(snapdir, "b2"));
	CHECK(exists(base, "sentinel/keep"));
	snapshot_free(&snap);
}

int
main(void)
{
	if (geteuid() != 0) {
		printf("ok - skipped (needs root)\n");
		return (0);
	}
	setup();
	RUN(test_prepare_creates_dirs_with_modes);
	RUN(test_prepare_refuses_bad_and_taken_ids);
	RUN(test_fill_spec_sets_overlay_paths);
	RUN(test_overlay_mount_writes_into_upper);
	RUN(test_changes_list_added_changed_deleted_sorted);
	RUN(test_export_writes_oci_layer);
	RUN(test_remove_deletes_all_and_follows_no_symlink);
	RUN(test_remove_counts_what_the_filesystem_gets_back);
	RUN(test_remove_detaches_merged_and_refuses_other_mounts);
	remove_base();
	UNIT_EXIT();
}
