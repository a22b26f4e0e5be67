/*
 * Layer extraction: plain, gzip and zstd layers extract identically with
 * their metadata; OCI whiteouts become overlayfs whiteouts that a real
 * overlay mount honours; hostile archives are refused or contained, inside
 * a throw-away root (a tmpfs chroot in a private mount namespace) so that
 * an escape could only ever touch that; the helper process returns the
 * same results and is reaped.
 */
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "unit.h"
#include "unpack.h"

#define MTIME	1500000000

enum { F_NONE, F_GZIP, F_ZSTD };

struct ent {
	const char	*name;
	mode_t		 type;		/* AE_IF*; 0 = hardlink */
	mode_t		 perm;		/* 0 = a default per type */
	const char	*data;		/* file contents */
	const char	*link;		/* symlink or hardlink target */
	int		 uid, gid;
	dev_t		 rdev;
	const char	*xname[2];
	const char	*xval[2];
	size_t		 xlen[2];
};

#define REG(n, d)	{ .name = (n), .type = AE_IFREG, .data = (d) }
#define DIR_(n)		{ .name = (n), .type = AE_IFDIR }
#define SYM(n, t)	{ .name = (n), .type = AE_IFLNK, .link = (t) }
#define HARD(n, t)	{ .name = (n), .type = 0, .link = (t) }
#define NENT(a)		(sizeof(a) / sizeof((a)[0]))

static char base[64];		/* the test's temporary directory */

/* A tar stream of ents in a memfd, read position at 0. */
static int
make_layer(const struct ent *ents, size_t n, int filter)
{
	struct archive *a = archive_write_new();
	int fd = memfd_create("layer", MFD_CLOEXEC);
	size_t i;
	int j;

	archive_write_set_format_pax(a);
	if (filter == F_GZIP)
		archive_write_add_filter_gzip(a);
	else if (filter == F_ZSTD)
		archive_write_add_filter_zstd(a);
	if (archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		fprintf(stderr, "# %s\n", archive_error_string(a));
		abort();
	}
	for (i = 0; i < n; i++) {
		const struct ent *x = &ents[i];
		struct archive_entry *e = archive_entry_new();
		mode_t perm = x->perm;

		if (perm == 0)
			perm = x->type == AE_IFDIR ? 0755 :
			    x->type == AE_IFLNK ? 0777 : 0644;
		archive_entry_set_pathname(e, x->name);
		archive_entry_set_filetype(e, x->type ? x->type : AE_IFREG);
		archive_entry_set_perm(e, perm);
		archive_entry_set_uid(e, x->uid);
		archive_entry_set_gid(e, x->gid);
		archive_entry_set_mtime(e, MTIME + (time_t)i, 0);
		if (x->type == 0)
			archive_entry_set_hardlink(e, x->link);
		else if (x->type == AE_IFLNK)
			archive_entry_set_symlink(e, x->link);
		else if (x->type == AE_IFCHR || x->type == AE_IFBLK)
			archive_entry_set_rdev(e, x->rdev);
		for (j = 0; j < 2; j++)
			if (x->xname[j] != NULL)
				archive_entry_xattr_add_entry(e, x->xname[j],
				    x->xval[j], x->xlen[j]);
		if (x->type == AE_IFREG && x->data != NULL)
			archive_entry_set_size(e, (int64_t)strlen(x->data));
		if (archive_write_header(a, e) != ARCHIVE_OK) {
			fprintf(stderr, "# %s\n", archive_error_string(a));
			abort();
		}
		if (x->type == AE_IFREG && x->data != NULL)
			archive_write_data(a, x->data, strlen(x->data));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	lseek(fd, 0, SEEK_SET);
	return (fd);
}

static int
base_fd(void)
{
	return (open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

/* A fresh empty directory base/name; returns an O_DIRECTORY fd. */
static int
fresh_dir(const char *name)
{
	struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int b = base_fd();

	if (unpack_remove_tree(b, name, &err) < 0 ||
	    mkdirat(b, name, 0755) < 0) {
		fprintf(stderr, "# fresh %s: %s\n", name,
		    berth_error_message(&err));
		abort();
	}
	return (openat(b, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
}

/* A listing of a tree, sorted, with everything that extraction keeps. */
static void
dump_tree(int dirfd, const char *rel, char **out, size_t *len, FILE *f)
{
	struct dirent **names;
	int n, i;

	n = scandirat(dirfd, rel[0] ? rel : ".", &names, NULL, alphasort);
	if (n < 0)
		return;
	for (i = 0; i < n; i++) {
		char path[1024], link[256] = "", x[256] = "";
		struct stat sb;
		ssize_t l;

		if (strcmp(names[i]->d_name, ".") == 0 ||
		    strcmp(names[i]->d_name, "..") == 0) {
			free(names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s%s%s", rel, rel[0] ? "/" : "",
		    names[i]->d_name);
		free(names[i]);
		if (fstatat(dirfd, path, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISLNK(sb.st_mode))
			(void)readlinkat(dirfd, path, link, sizeof(link) - 1);
		else {
			char p[1200];

			snprintf(p, sizeof(p), "/proc/self/fd/%d/%s", dirfd,
			    path);
			l = getxattr(p, "user.test", x, sizeof(x) - 1);
			if (l > 0)
				x[l] = '\0';
		}
		/* Implied directories are made now: no time to compare. */
		fprintf(f, "%s %o %d:%d n%lu s%lld m%lld r%u:%u l'%s' x'%s'\n",
		    path, sb.st_mode, sb.st_uid, sb.st_gid,
		    (unsigned long)sb.st_nlink, (long long)sb.st_size,
		    sb.st_mtime >= MTIME + 1000 ? -1LL :
		    (long long)sb.st_mtime, major(sb.st_rdev),
		    minor(sb.st_rdev), link, x);
		if (S_ISDIR(sb.st_mode))
			dump_tree(dirfd, path, out, len, f);
	}
	free(names);
}

static char *
tree_string(int dirfd)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	dump_tree(dirfd, "", &s, &len, f);
	fclose(f);
	return (s);
}

static bool
dir_is_empty(int dirfd, const char *rel)
{
	struct dirent **names;
	int n, i;

	n = scandirat(dirfd, rel, &names, NULL, alphasort);
	if (n < 0)
		return (false);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return (n == 2);
}

static bool
exists(int dirfd, const char *path)
{
	struct stat sb;

	return (fstatat(dirfd, path, &sb, AT_SYMLINK_NOFOLLOW) == 0);
}

static const char cap_bind[] = {	/* vfs_cap_data v2: net_bind_service */
	0x01, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};

static const struct ent full_layer[] = {
	DIR_("etc"),
	{ .name = "etc/conf", .type = AE_IFREG, .perm = 0640, .uid = 1000,
	  .gid = 1000, .data = "hello\n",
	  .xname = { "user.test", "security.capability" },
	  .xval = { "value", cap_bind }, .xlen = { 5, sizeof(cap_bind) } },
	{ .name = "bin/suid", .type = AE_IFREG, .perm = 04755,
	  .data = "#!/bin/sh\n" },
	{ .name = "home/u", .type = AE_IFDIR, .perm = 0700, .uid = 1000,
	  .gid = 1000 },
	{ .name = "etc/link", .type = AE_IFLNK, .link = "conf",
	  .xname = { "user.test", "trusted.sym" },
	  .xval = { "dropped", "t" }, .xlen = { 7, 1 } },
	{ .name = "etc/abs", .type = AE_IFLNK, .link = "/etc/conf",
	  .uid = 1000, .gid = 1000 },
	HARD("etc/hard", "etc/conf"),
	{ .name = "dev/fifo", .type = AE_IFIFO, .perm = 0600 },
	{ .name = "dev/null", .type = AE_IFCHR, .perm = 0666,
	  .rdev = 0x103 },	/* makedev(1, 3) */
	REG("./dot/./file", "x"),
	REG("etc/replaced", "first"),
	REG("etc/replaced", "second"),
};

static void
test_unpack_formats_identical(void)
{
	int filters[3] = { F_NONE, F_GZIP, F_ZSTD };
	char *trees[3] = { NULL, NULL, NULL };
	int i;

	for (i = 0; i < 3; i++) {
		struct berth_error err = BERTH_ERROR_INIT;
		struct unpack_stats st;
		cleanup_close int src = make_layer(full_layer,
		    NENT(full_layer), filters[i]);
		cleanup_close int dst = fresh_dir("fmt");

		CHECK(unpack_layer(src, dst, &st, &err) == 0);
		if (berth_error_isset(&err))
			fprintf(stderr, "# %s\n", berth_error_message(&err));
		CHECK(st.entries == NENT(full_layer));
		CHECK(st.bytes == 6 + 10 + 1 + 5 + 6);
		trees[i] = tree_string(dst);
		berth_error_clear(&err);
	}
	CHECK(trees[0] != NULL && strlen(trees[0]) > 100);
	CHECK_STR(trees[0], trees[1]);
	CHECK_STR(trees[0], trees[2]);
	for (i = 0; i < 3; i++)
		free(trees[i]);
}

static void
test_unpack_keeps_metadata(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct unpack_stats st;
	cleanup_close int src = make_layer(full_layer, NENT(full_layer),
	    F_GZIP);
	cleanup_close int dst = fresh_dir("meta");
	struct stat sb, sb2;
	char buf[64], p[128];
	ssize_t n;

	CHECK(unpack_layer(src, dst, &st, &err) == 0);
	CHECK(fstatat(dst, "etc/conf", &sb, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(S_ISREG(sb.st_mode) && (sb.st_mode & 07777) == 0640);
	CHECK(sb.st_uid == 1000 && sb.st_gid == 1000 && sb.st_size == 6);
	CHECK(sb.st_mtime == MTIME + 1);
	CHECK(sb.st_nlink == 2);
	CHECK(fstatat(dst, "etc/hard", &sb2, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(sb.st_ino == sb2.st_ino && sb.st_dev == sb2.st_dev);
	snprintf(p, sizeof(p), "/proc/self/fd/%d/etc/conf", dst);
	n = getxattr(p, "user.test", buf, sizeof(buf));
	CHECK(n == 5 && memcmp(buf, "value", 5) == 0);
	n = getxattr(p, "security.capability", buf, sizeof(buf));
	CHECK(n == (ssize_t)sizeof(cap_bind) &&
	    memcmp(buf, cap_bind, sizeof(cap_bind)) == 0);

	CHECK(fstatat(dst, "bin/suid", &sb, 0) == 0);
	CHECK((sb.st_mode & 07777) == 04755);
	CHECK(fstatat(dst, "home/u", &sb, 0) == 0);
	CHECK(S_ISDIR(sb.st_mode) && (sb.st_mode & 07777) == 0700);
	CHECK(sb.st_uid == 1000 && sb.st_mtime == MTIME + 3);
	/* Directory times are set after their contents. */
	CHECK(fstatat(dst, "etc", &sb, 0) == 0 && sb.st_mtime == MTIME);
	/* Implied parents: 0755, root's. */
	CHECK(fstatat(dst, "dot", &sb, 0) == 0);
	CHECK(S_ISDIR(sb.st_mode) && (sb.st_mode & 07777) == 0755);

	CHECK(fstatat(dst, "etc/abs", &sb, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(S_ISLNK(sb.st_mode) && sb.st_uid == 1000);
	CHECK(sb.st_mtime == MTIME + 5);
	n = readlinkat(dst, "etc/abs", buf, sizeof(buf));
	CHECK(n == 9 && memcmp(buf, "/etc/conf", 9) == 0);
	n = readlinkat(dst, "etc/link", buf, sizeof(buf));
	CHECK(n == 4 && memcmp(buf, "conf", 4) == 0);
	/* A symlink's xattr is on the symlink, not its target; user.* is
	 * not allowed on symlinks and skipped. */
	snprintf(p, sizeof(p), "/proc/self/fd/%d/etc/link", dst);
	n = lgetxattr(p, "trusted.sym", buf, sizeof(buf));
	CHECK(n == 1 && buf[0] == 't');
	snprintf(p, sizeof(p), "/proc/self/fd/%d/etc/conf", dst);
	CHECK(getxattr(p, "trusted.sym", buf, sizeof(buf)) < 0);

	CHECK(fstatat(dst, "dev/fifo", &sb, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(S_ISFIFO(sb.st_mode) && (sb.st_mode & 07777) == 0600);
	CHECK(fstatat(dst, "dev/null", &sb, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(S_ISCHR(sb.st_mode) && sb.st_rdev == makedev(1, 3));
	CHECK((sb.st_mode & 07777) == 0666);

	CHECK(fstatat(dst, "dot/file", &sb, 0) == 0);
	{
		cleanup_close int fd = openat(dst, "etc/replaced", O_RDONLY);

		n = read(fd, buf, sizeof(buf));
		CHECK(n == 6 && memcmp(buf, "second", 6) == 0);
	}
	berth_error_clear(&err);
}

static const struct ent lower1[] = {
	REG("a/b", "b"),
	REG("a/c", "c"),
	REG("x/old", "old"),
	REG("keep", "keep"),
};

static const struct ent lower2[] = {
	REG("a/.wh.b", ""),
	REG("x/.wh..wh..opq", ""),
	REG("x/new", "new"),
	REG(".wh.keep", ""),
	REG("keep2", "k"),
};

/* In a child with a mount namespace of its own: overlay the two layers
 * and check what shows. Returns the number of failed checks. */
static int
overlay_child(void)
{
	char l1[128], l2[128], mnt[128], opts[512];
	int failed = unit_failed_checks;
	struct stat sb;
	cleanup_close int m = -1;

	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return (1);
	snprintf(l1, sizeof(l1), "%s/l1", base);
	snprintf(l2, sizeof(l2), "%s/l2", base);
	snprintf(mnt, sizeof(mnt), "%s/mnt", base);
	snprintf(opts, sizeof(opts), "lowerdir=%s:%s", l2, l1);
	if (mount("overlay", mnt, "overlay", MS_RDONLY, opts) < 0) {
		perror("# mount overlay");
		return (1);
	}
	m = open(mnt, O_RDONLY | O_DIRECTORY);
	CHECK(fstatat(m, "a/b", &sb, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT);
	CHECK(fstatat(m, "a/c", &sb, 0) == 0);
	CHECK(fstatat(m, "x/old", &sb, 0) < 0 && errno == ENOENT);
	CHECK(fstatat(m, "x/new", &sb, 0) == 0);
	CHECK(fstatat(m, "keep", &sb, 0) < 0 && errno == ENOENT);
	CHECK(fstatat(m, "keep2", &sb, 0) == 0);
	return (unit_failed_checks - failed);
}

static void
test_unpack_whiteouts_are_overlayfs_whiteouts(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct unpack_stats st;
	cleanup_close int s1 = make_layer(lower1, NENT(lower1), F_NONE);
	cleanup_close int s2 = make_layer(lower2, NENT(lower2), F_ZSTD);
	cleanup_close int d1 = fresh_dir("l1");
	cleanup_close int d2 = fresh_dir("l2");
	cleanup_close int mnt = fresh_dir("mnt");
	struct stat sb;
	char buf[8], p[128];
	int status = -1;
	pid_t pid;

	CHECK(unpack_layer(s1, d1, &st, &err) == 0);
	CHECK(unpack_layer(s2, d2, &st, &err) == 0);
	CHECK(fstatat(d2, "a/b", &sb, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(S_ISCHR(sb.st_mode) && sb.st_rdev == makedev(0, 0));
	CHECK(fstatat(d2, "keep", &sb, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(S_ISCHR(sb.st_mode) && sb.st_rdev == makedev(0, 0));
	CHECK(!exists(d2, "a/.wh.b") && !exists(d2, ".wh.keep"));
	CHECK(!exists(d2, "x/.wh..wh..opq"));
	snprintf(p, sizeof(p), "/proc/self/fd/%d/x", d2);
	CHECK(getxattr(p, "trusted.overlay.opaque", buf, sizeof(buf)) == 1 &&
	    buf[0] == 'y');
	snprintf(p, sizeof(p), "/proc/self/fd/%d/a", d2);
	CHECK(getxattr(p, "trusted.overlay.opaque", buf, sizeof(buf)) < 0);

	fflush(NULL);
	if ((pid = fork()) == 0)
		_exit(overlay_child() == 0 ? 0 : 1);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	berth_error_clear(&err);
}

/* An archive's own trusted.overlay.* xattrs are dropped. */
/* A file capability the kernel refuses as malformed is the layer's
 * fault: InvalidLayer naming the entry, not a host error. */
static void
test_unpack_malformed_xattr_is_the_layers_fault(void)
{
	static const char bad[] = { 0x01 };
	const struct ent ents[] = {
		{ .name = "f", .type = AE_IFREG, .data = "x",
		  .xname = { "security.capability" }, .xval = { bad },
		  .xlen = { sizeof(bad) } },
	};
	struct berth_error err = BERTH_ERROR_INIT;
	struct unpack_stats st;
	cleanup_close int src = make_layer(ents, NENT(ents), F_NONE);
	cleanup_close int dst = fresh_dir("badxattr");

	CHECK(unpack_layer(src, dst, &st, &err) == -1);
	CHECK(berth_error_is(&err, UNPACK_E_INVALID_LAYER));
	CHECK(strstr(berth_error_message(&err), "\"f\"") != NULL);
	berth_error_clear(&err);
}

static void
test_unpack_drops_overlay_xattrs_from_archive(void)
{
	const struct ent ents[] = {
		{ .name = "d", .type = AE_IFDIR,
		  .xname = { "trusted.overlay.redirect" },
		  .xval = { "/etc" }, .xlen = { 4 } },
	};
	struct berth_error err = BERTH_ERROR_INIT;
	struct unpack_stats st;
	cleanup_close int src = make_layer(ents, NENT(ents), F_NONE);
	cleanup_close int dst = fresh_dir("xattr");
	char buf[16], p[128];

	CHECK(unpack_layer(src, dst, &st, &err) == 0);
	snprintf(p, sizeof(p), "/proc/self/fd/%d/d", dst);
	CHECK(getxattr(p, "trusted.overlay.redirect", buf, sizeof(buf)) < 0);
	berth_error_clear(&err);
}

/*
 * Hostile layers run in a child whose root is a fresh tmpfs (private mount
 * namespace, chroot): "/" there holds only /layer, /sentinel (empty),
 * /victim/keep, /hostfile and /proc, so an escape can be seen and can do
 * no harm.
 */
struct hostile {
	const char		*what;
	struct ent		 ents[4];
	size_t			 n;
	const char		*error_entry;	/* NULL: must succeed */
	const char		*lands;		/* then this is in the layer */
};

static const struct hostile hostile_cases[] = {
	{ "dotdot", { REG("../evil", "x") }, 1, "../evil", NULL },
	{ "dotdot-inside", { REG("a/../../evil", "x") }, 1, "a/../../evil",
	  NULL },
	{ "absolute", { REG("/etc/evil", "x") }, 1, NULL, "etc/evil" },
	{ "symlink-to-root", { SYM("link", "/"), REG("link/evil", "x") }, 2,
	  NULL, "evil" },
	{ "symlink-up", { SYM("link", "../../.."), REG("link/x", "x") }, 2,
	  NULL, "x" },
	{ "symlink-abs-dir", { SYM("d", "/sentinel"), REG("d/f", "x") }, 2,
	  "d/f", NULL },
	{ "symlink-rel-dir", { SYM("d", "../sentinel"), REG("d/f", "x") },
	  2, "d/f", NULL },
	{ "symlink-then-file", { SYM("f", "/sentinel/f"), REG("f", "x") },
	  2, NULL, "f" },
	{ "symlink-dir-then-file", { SYM("d", "/"), DIR_("sentinel"),
	  REG("d/sentinel/f", "x") }, 3, NULL, "sentinel/f" },
	{ "symlink-loop", { SYM("a", "b"), SYM("b", "a"), REG("a/x", "x") },
	  3, "a/x", NULL },
	{ "hardlink-abs", { HARD("h", "/hostfile") }, 1, "h", NULL },
	{ "hardlink-up", { HARD("h", "../../hostfile") }, 1, "h", NULL },
	{ "hardlink-through-symlink", { SYM("d", "/"),
	  HARD("h", "d/hostfile") }, 2, "h", NULL },
	{ "hardlink-contained", { REG("hostfile", "mine"),
	  HARD("h", "/hostfile") }, 2, NULL, "h" },
	{ "whiteout-through-symlink", { SYM("l", "/victim"),
	  REG("l/.wh.keep", "") }, 2, "l/.wh.keep", NULL },
	{ "whiteout-dotdot", { REG("a/.wh...", "") }, 1, "a/.wh...", NULL },
	{ "opaque-through-symlink", { SYM("l", "/victim"),
	  REG("l/.wh..wh..opq", "") }, 2, "l/.wh..wh..opq", NULL },
};

static bool
jail_is_clean(void)
{
	struct dirent **names;
	struct stat sb;
	int n, i, ok = 1;

	/* . .. hostfile proc sentinel victim, and layer if there. */
	n = scandir("/", &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, "layer") == 0)
			ok = n == 7 ? ok : 0;
		free(names[i]);
	}
	if (n != 6 && n != 7)
		ok = 0;
	free(names);
	if (!dir_is_empty(AT_FDCWD, "/sentinel"))
		ok = 0;
	if (stat("/hostfile", &sb) < 0 || sb.st_nlink != 1)
		ok = 0;
	if (stat("/victim/keep", &sb) < 0 || !S_ISREG(sb.st_mode))
		ok = 0;
	if (getxattr("/victim", "trusted.overlay.opaque", NULL, 0) >= 0)
		ok = 0;
	return (ok);
}

static void
run_hostile(const struct hostile *h, bool helper)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct unpack_stats st;
	cleanup_close int src = make_layer(h->ents, h->n,
	    helper ? F_GZIP : F_NONE);
	cleanup_close int root = open("/", O_RDONLY | O_DIRECTORY);
	cleanup_close int dst = -1;
	int rc, before = unit_failed_checks;

	CHECK(mkdir("/layer", 0755) == 0);
	dst = open("/layer", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = helper ? unpack_layer_in_helper(src, dst, &st, &err) :
	    unpack_layer(src, dst, &st, &err);
	if (h->error_entry != NULL) {
		CHECK(rc == -1);
		CHECK(berth_error_is(&err, UNPACK_E_INVALID_LAYER));
		CHECK(berth_error_message(&err) != NULL &&
		    strstr(berth_error_message(&err), h->error_entry) != NULL);
	} else {
		CHECK(rc == 0);
		CHECK(exists(dst, h->lands));
	}
	CHECK(jail_is_clean());
	CHECK(unpack_remove_tree(root, "layer", &err) == 0);
	CHECK(!exists(root, "layer"));
	CHECK(jail_is_clean());
	if (unit_failed_checks != before)
		fprintf(stderr, "# hostile case %s%s: %s\n", h->what,
		    helper ? " (helper)" : "",
		    berth_error_message(&err) ? berth_error_message(&err) :
		    "no error");
	berth_error_clear(&err);
}

static int
jail_child(void)
{
	char root[128];
	size_t i;
	int fd;

	snprintf(root, sizeof(root), "%s/jail", base);
	if (unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", root, "tmpfs", 0, "mode=0755") < 0 ||
	    chdir(root) < 0 || mkdir("proc", 0555) < 0 ||
	    mount("proc", "proc", "proc", 0, NULL) < 0 ||
	    mkdir("sentinel", 0755) < 0 || mkdir("victim", 0755) < 0 ||
	    (fd = open("victim/keep", O_CREAT | O_WRONLY, 0644)) < 0 ||
	    close(fd) < 0 ||
	    (fd = open("hostfile", O_CREAT | O_WRONLY, 0644)) < 0 ||
	    close(fd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		perror("# set up the jail");
		return (1);
	}
	CHECK(jail_is_clean());
	for (i = 0; i < NENT(hostile_cases); i++) {
		run_hostile(&hostile_cases[i], false);
		run_hostile(&hostile_cases[i], true);
	}
	return (unit_failed_checks);
}

static void
test_unpack_hostile_layers_are_refused_or_contained(void)
{
	char jail[128];
	int status = -1;
	pid_t pid;

	snprintf(jail, sizeof(jail), "%s/jail", base);
	CHECK(mkdir(jail, 0755) == 0);
	fflush(NULL);
	if ((pid = fork()) == 0)
		_exit(jail_child() == 0 ? 0 : 1);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(rmdir(jail) == 0);
}

static void
test_unpack_broken_archive_is_an_error(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct unpack_stats st;
	cleanup_close int src = make_layer(full_layer, NENT(full_layer),
	    F_GZIP);
	cleanup_close int dst = fresh_dir("broken");
	cleanup_close int garbage = memfd_create("g", MFD_CLOEXEC);
	struct stat sb;

	/* Truncated in the middle of the compressed stream. */
	CHECK(fstat(src, &sb) == 0 && ftruncate(src, sb.st_size / 2) == 0);
	CHECK(unpack_layer(src, dst, &st, &err) == -1);
	CHECK(berth_error_is(&err, UNPACK_E_INVALID_LAYER));
	CHECK(write(garbage, "this is not a tar file at all, no, not at all",
	    46) == 46 && lseek(garbage, 0, SEEK_SET) == 0);
	CHECK(unpack_layer(garbage, dst, &st, &err) == -1);
	CHECK(berth_error_is(&err, UNPACK_E_INVALID_LAYER));
	berth_error_clear(&err);
}

static bool
no_zombie(void)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return (waitid(P_ALL, 0, &si, WEXITED | WNOHANG) < 0 &&
	    errno == ECHILD);
}

static void
test_unpack_helper_returns_the_same(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct unpack_stats st1, st2;
	cleanup_close int s1 = make_layer(full_layer, NENT(full_layer),
	    F_ZSTD);
	cleanup_close int s2 = make_layer(full_layer, NENT(full_layer),
	    F_ZSTD);
	cleanup_close int d1 = fresh_dir("direct");
	cleanup_close int d2 = fresh_dir("helper");
	char *t1, *t2;

	CHECK(unpack_layer(s1, d1, &st1, &err) == 0);
	CHECK(unpack_layer_in_helper(s2, d2, &st2, &err) == 0);
	CHECK(st1.entries == st2.entries && st1.bytes == st2.bytes);
	t1 = tree_string(d1);
	t2 = tree_string(d2);
	CHECK_STR(t1, t2);
	free(t1);
	free(t2);
	CHECK(no_zombie());
	berth_error_clear(&err);
}

static void
test_unpack_helper_reports_the_error(void)
{
	const struct ent ents[] = { REG("ok", "x"), REG("../evil\n", "x") };
	struct berth_error err = BERTH_ERROR_INIT;
	struct unpack_stats st;
	cleanup_close int src = make_layer(ents, NENT(ents), F_NONE);
	cleanup_close int dst = fresh_dir("helper-error");

	CHECK(unpack_layer_in_helper(src, dst, &st, &err) == -1);
	CHECK(berth_error_is(&err, UNPACK_E_INVALID_LAYER));
	CHECK(berth_error_message(&err) != NULL &&
	    strstr(berth_error_message(&err), "\"../evil?\"") != NULL);
	CHECK(no_zombie());
	berth_error_clear(&err);
}

/* The event-loop way: poll the pipe, read progress, finish on exit. */
static void
test_unpack_helper_streams_progress(void)
{
	struct ent *ents = calloc(1000, sizeof(*ents));
	struct berth_error err = BERTH_ERROR_INIT;
	struct unpack_stats st;
	struct unpack_job job;
	char (*names)[32] = calloc(1000, 32);
	cleanup_close int src = -1;
	cleanup_close int dst = fresh_dir("progress");
	bool saw_progress = false;
	int i, r = 0;

	for (i = 0; i < 1000; i++) {
		snprintf(names[i], 32, "d%d/f%d", i % 10, i);
		ents[i].name = names[i];
		ents[i].type = AE_IFREG;
		ents[i].data = "data";
	}
	src = make_layer(ents, 1000, F_GZIP);
	CHECK(unpack_spawn(src, dst, &job, &err) == 0);
	while (r == 0) {
		struct pollfd p = { .fd = job.pipe_fd, .events = POLLIN };

		CHECK(poll(&p, 1, -1) == 1);
		r = unpack_job_read(&job, &err);
		if (job.progress.entries > 0 && !job.have_result)
			saw_progress = true;
	}
	CHECK(r == 1);
	CHECK(saw_progress);
	CHECK(unpack_job_finish(&job, &st, &err) == 0);
	CHECK(st.entries == 1000 && st.bytes == 4000);
	CHECK(job.pidfd == -1 && job.pipe_fd == -1);
	CHECK(no_zombie());
	free(ents);
	free(names);
	berth_error_clear(&err);
}

static void
test_unpack_remove_tree_follows_no_symlink(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int b = base_fd();
	cleanup_close int out = fresh_dir("outside");
	cleanup_close int dst = fresh_dir("rm");
	struct stat sb;
	int fd;

	fd = openat(out, "precious", O_CREAT | O_WRONLY, 0644);
	close(fd);
	CHECK(mkdirat(dst, "sub", 0755) == 0);
	CHECK(symlinkat("../../outside", dst, "sub/link") == 0);
	CHECK(symlinkat("../outside/precious", dst, "file") == 0);
	CHECK(mkdirat(dst, "sub/ro", 0) == 0);
	CHECK(unpack_remove_tree(b, "rm", &err) == 0);
	CHECK(!exists(b, "rm"));
	CHECK(fstatat(out, "precious", &sb, 0) == 0);
	CHECK(unpack_remove_tree(b, "rm", &err) == 0);	/* missing: fine */
	CHECK(unpack_remove_tree(b, "../x", &err) == -1);
	berth_error_clear(&err);
}

int
main(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int b = -1;
	DIR *d;
	struct dirent *de;

	snprintf(base, sizeof(base), "/tmp/berth-unpack-XXXXXX");
	if (mkdtemp(base) == NULL)
		return (1);
	RUN(test_unpack_formats_identical);
	RUN(test_unpack_keeps_metadata);
	RUN(test_unpack_whiteouts_are_overlayfs_whiteouts);
	RUN(test_unpack_drops_overlay_xattrs_from_archive);
	RUN(test_unpack_malformed_xattr_is_the_layers_fault);
	RUN(test_unpack_hostile_layers_are_refused_or_contained);
	RUN(test_unpack_broken_archive_is_an_error);
	RUN(test_unpack_helper_returns_the_same);
	RUN(test_unpack_helper_reports_the_error);
	RUN(test_unpack_helper_streams_progress);
	RUN(test_unpack_remove_tree_follows_no_symlink);

	b = base_fd();
	if ((d = opendir(base)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				(void)unpack_remove_tree(b, de->d_name, &err);
		closedir(d);
	}
	berth_error_clear(&err);
	rmdir(base);
	UNIT_EXIT();
}
