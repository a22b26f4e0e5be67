/*
 * Layer extraction with libarchive.  Every entry's parent directory is
 * resolved inside the layer directory with openat2(RESOLVE_IN_ROOT), so a
 * symlink in the layer (absolute, "../../..", planted by an earlier entry)
 * can only ever lead to another place inside the layer; the entry is then
 * created relative to that fd, without following a symlink at its own
 * name, and its metadata is applied through an fd of the new file.
 *
 * Names: a ".." component anywhere is refused (Docker refuses only names
 * that still leave the root after path cleaning; we refuse them all).  A
 * leading "/" is stripped, the name being taken relative to the layer root,
 * as Docker's pkg/archive does (it joins the name to the destination).
 * Hardlink targets follow the same rules and are resolved inside the root.
 *
 * OCI whiteouts: "dir/.wh.name" becomes a 0:0 character device "dir/name"
 * (an overlayfs whiteout), "dir/.wh..wh..opq" the xattr
 * trusted.overlay.opaque=y on dir; neither is extracted as a file.
 * trusted.overlay.* xattrs carried by the archive itself are dropped: only
 * whiteouts may produce them.
 */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive-util.h"
#include "cleanup.h"
#include "tree.h"
#include "unpack.h"

#define UNPACK_BLOCK		(64 * 1024)
#define WHITEOUT_PREFIX		".wh."
#define WHITEOUT_OPAQUE		".wh..wh..opq"
#define OVERLAY_OPAQUE_XATTR	"trusted.overlay.opaque"
#define RESOLVE_FLAGS		(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
/* Progress is reported every so many entries and bytes. */
#define PROGRESS_EVERY		256
#define PROGRESS_BYTES		(16u << 20)

/* A directory whose times are set once everything inside it is written. */
struct dir_times {
	char		*path;
	struct timespec	 ts[2];
};

struct unpack_ctx {
	int			 root;
	struct archive		*ar;
	struct unpack_stats	*st;
	struct dir_times	*dirs;
	size_t			 ndirs, capdirs;
	unpack_progress_fn	 progress;
	void			*progress_arg;
};



static int
openat2_in_root(int root, const char *path, int flags)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = RESOLVE_FLAGS;
	return ((int)syscall(SYS_openat2, root, path, &how, sizeof(how)));
}

/* What a failed resolution inside the root says about the layer. */
static const char *
resolve_error_name(int errnum)
{
	return (errnum == ENOENT || errnum == ENOTDIR || errnum == ELOOP ?
	    UNPACK_E_INVALID_LAYER : BERTH_E_SYSTEM);
}

static int
entry_error(struct berth_error *err, const char *name, const char *entry,
    int errnum, const char *what)
{
	berth_error_set(err, name, errnum, "layer entry \"%s\": %s", entry,
	    what);
	return (berth_error_param_str(err, "entry", entry));
}

/*
 * Clean an archive name into out ("a/b/c", no leading "/", no "." or empty
 * components; "" for the root).  Returns -1 on a ".." component or a name
 * too long.
 */
static int
clean_name(const char *name, char *out, size_t outsz)
{
	const char *p = name, *e;
	size_t len = 0, n;

	out[0] = '\0';
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		e = strchrnul(p, '/');
		n = (size_t)(e - p);
		if (n == 1 && p[0] == '.') {
			p = e;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return (-1);
		if (n > NAME_MAX || len + n + 2 > outsz)
			return (-1);
		if (len > 0)
			out[len++] = '/';
		memcpy(out + len, p, n);
		len += n;
		out[len] = '\0';
		p = e;
	}
	return (0);
}

static int
check_name(const char *raw, char *out, size_t outsz, struct berth_error *err)
{
	if (raw == NULL || raw[0] == '\0')
		return (entry_error(err, UNPACK_E_INVALID_LAYER, "", 0,
		    "entry without a name"));
	if (clean_name(raw, out, outsz) < 0)
		return (entry_error(err, UNPACK_E_INVALID_LAYER, raw, 0,
		    "path has a \"..\" component or is too long; refused"));
	return (0);
}

/*
 * Open the directory path (cleaned) inside the root as O_PATH, creating
 * missing components (0755, root-owned) one at a time, each resolved again
 * from the root so that a symlink among them stays inside it.
 */
static int
open_dir_in_root(int root, const char *path, const char *entry,
    struct berth_error *err)
{
	char prefix[PATH_MAX];
	const char *p;
	int fd;

	fd = openat2_in_root(root, path[0] == '\0' ? "." : path,
	    O_PATH | O_DIRECTORY);
	if (fd >= 0)
		return (fd);
	if (errno != ENOENT)
		return (entry_error(err, resolve_error_name(errno), entry,
		    errno, "open parent directory"));
	p = path;
	for (;;) {
		cleanup_close int parent = -1;
		const char *e = strchrnul(p, '/');
		size_t plen = (size_t)(e - path);
		char comp[NAME_MAX + 1];

		memcpy(prefix, path, plen);
		prefix[plen] = '\0';
		fd = openat2_in_root(root, prefix, O_PATH | O_DIRECTORY);
		if (fd < 0 && errno == ENOENT) {
			/* Its parent exists (the previous turn opened it). */
			size_t clen = (size_t)(e - p);

			if (p == path)
				parent = openat2_in_root(root, ".",
				    O_PATH | O_DIRECTORY);
			else {
				prefix[(size_t)(p - path) - 1] = '\0';
				parent = openat2_in_root(root, prefix,
				    O_PATH | O_DIRECTORY);
				prefix[(size_t)(p - path) - 1] = '/';
			}
			if (parent < 0)
				return (entry_error(err, BERTH_E_SYSTEM, entry,
				    errno, "open parent directory"));
			memcpy(comp, p, clen);
			comp[clen] = '\0';
			if (mkdirat(parent, comp, 0755) < 0) {
				if (errno == EEXIST)
					/* A dangling symlink: its target
					 * would be made up by us. */
					return (entry_error(err,
					    UNPACK_E_INVALID_LAYER, entry, 0,
					    "a parent is a symlink to "
					    "nothing"));
				return (entry_error(err, BERTH_E_SYSTEM, entry,
				    errno, "create parent directory"));
			}
			fd = openat2_in_root(root, prefix,
			    O_PATH | O_DIRECTORY);
		}
		if (fd < 0)
			return (entry_error(err, resolve_error_name(errno),
			    entry, errno, "open parent directory"));
		if (*e == '\0')
			return (fd);
		close(fd);
		p = e + 1;
	}
}

int
unpack_remove_tree(int parentfd, const char *name, struct berth_error *err)
{
	if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "remove layer directory: bad name \"%s\"",
		    name != NULL ? name : ""));
	if (tree_remove(parentfd, name, err) < 0)
		return (berth_error_wrap(err, "remove layer directory"));
	return (0);
}

/* chmod and setxattr by fd work on an O_PATH fd only through /proc. */
static void
proc_fd_path(char *buf, size_t sz, int fd)
{
	snprintf(buf, sz, "/proc/self/fd/%d", fd);
}

static int
apply_xattrs(int fd, struct archive_entry *e, mode_t type, const char *entry,
    struct berth_error *err)
{
	const char *name;
	const void *value;
	size_t size;
	char path[64];

	proc_fd_path(path, sizeof(path), fd);
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) ==
	    ARCHIVE_OK) {
		if (strncmp(name, "trusted.overlay.", 16) == 0)
			continue;
		if (size > UNPACK_MAX_XATTR)
			return (entry_error(err, UNPACK_E_LAYER_TOO_LARGE,
			    entry, 0, "xattr value too large"));
		if (setxattr(path, name, value, size, 0) < 0) {
			/* The kernel allows user.* only on files and
			 * directories; Docker skips these too. */
			if (errno == EPERM && strncmp(name, "user.", 5) == 0 &&
			    type != AE_IFREG && type != AE_IFDIR)
				continue;
			/* A value the kernel refuses as malformed is the
			 * layer's fault, not the host's. */
			berth_error_set(err, errno == EINVAL || errno == ERANGE ||
			    errno == E2BIG ? UNPACK_E_INVALID_LAYER :
			    BERTH_E_SYSTEM, errno, "layer entry \"%s\": set "
			    "xattr %s", entry, name);
			return (berth_error_param_str(err, "entry", entry));
		}
	}
	return (0);
}

/* Owner, mode, xattrs and (but for directories) times, through fd (an
 * O_PATH fd of the new file itself, or an open regular file). */
static int
apply_metadata(struct unpack_ctx *c, int fd, struct archive_entry *e,
    mode_t type, const char *entry, struct berth_error *err)
{
	struct timespec ts[2];
	char path[64];

	if (fchownat(fd, "", archive_entry_uid(e), archive_entry_gid(e),
	    AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return (entry_error(err, BERTH_E_SYSTEM, entry, errno,
		    "chown"));
	/* After chown, which clears set-user-ID and set-group-ID. */
	if (type != AE_IFLNK) {
		proc_fd_path(path, sizeof(path), fd);
		if (chmod(path, archive_entry_perm(e)) < 0)
			return (entry_error(err, BERTH_E_SYSTEM, entry, errno,
			    "chmod"));
	}
	if (apply_xattrs(fd, e, type, entry, err) < 0)
		return (-1);
	ts[0].tv_sec = archive_entry_atime_is_set(e) ?
	    archive_entry_atime(e) : archive_entry_mtime(e);
	ts[0].tv_nsec = archive_entry_atime_is_set(e) ?
	    archive_entry_atime_nsec(e) : archive_entry_mtime_nsec(e);
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (type == AE_IFDIR) {
		/* Entries written inside it later would change its mtime. */
		struct dir_times *d;

		if (c->ndirs == c->capdirs) {
			size_t cap = c->capdirs ? c->capdirs * 2 : 64;

			d = realloc(c->dirs, cap * sizeof(*d));
			if (d == NULL)
				return (entry_error(err, BERTH_E_SYSTEM, entry,
				    ENOMEM, "remember directory"));
			c->dirs = d;
			c->capdirs = cap;
		}
		d = &c->dirs[c->ndirs];
		if ((d->path = strdup(entry)) == NULL)
			return (entry_error(err, BERTH_E_SYSTEM, entry, ENOMEM,
			    "remember directory"));
		memcpy(d->ts, ts, sizeof(ts));
		c->ndirs++;
		return (0);
	}
	if (utimensat(fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return (entry_error(err, BERTH_E_SYSTEM, entry, errno,
		    "set times"));
	return (0);
}

static int
apply_dir_times(struct unpack_ctx *c, struct berth_error *err)
{
	size_t i;

	for (i = 0; i < c->ndirs; i++) {
		cleanup_close int fd = openat2_in_root(c->root,
		    c->dirs[i].path[0] ? c->dirs[i].path : ".",
		    O_PATH | O_DIRECTORY | O_NOFOLLOW);

		if (fd < 0)
			continue;	/* replaced by a later entry */
		if (utimensat(fd, "", c->dirs[i].ts, AT_EMPTY_PATH) < 0)
			return (entry_error(err, BERTH_E_SYSTEM,
			    c->dirs[i].path, errno, "set times"));
	}
	return (0);
}

static int
copy_data(struct unpack_ctx *c, int fd, const char *entry,
    struct berth_error *err)
{
	const void *buf;
	size_t size;
	int64_t off, end = 0;
	int r;

	while ((r = archive_read_data_block(c->ar, &buf, &size, &off)) ==
	    ARCHIVE_OK) {
		const char *p = buf;

		if (off < 0 || (uint64_t)off > UNPACK_MAX_BYTES)
			return (entry_error(err, UNPACK_E_INVALID_LAYER, entry,
			    0, "bad data offset"));
		if (c->progress != NULL && (c->st->bytes + size) /
		    PROGRESS_BYTES != c->st->bytes / PROGRESS_BYTES)
			c->progress(c->st, c->progress_arg);
		c->st->bytes += size;
		if (c->st->bytes > UNPACK_MAX_BYTES)
			return (entry_error(err, UNPACK_E_LAYER_TOO_LARGE,
			    entry, 0, "layer holds too much data"));
		while (size > 0) {
			ssize_t n = pwrite(fd, p, size, off);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				return (entry_error(err, BERTH_E_SYSTEM, entry,
				    errno, "write"));
			}
			p += n;
			size -= (size_t)n;
			off += n;
		}
		if (off > end)
			end = off;
	}
	if (r != ARCHIVE_EOF)
		return (entry_error(err, UNPACK_E_INVALID_LAYER, entry, 0,
		    archive_error_string(c->ar) ? archive_error_string(c->ar) :
		    "read data"));
	return (0);
}

/* Whiteouts: the .wh. entry is not extracted, it marks its sibling. */
static int
apply_whiteout(struct unpack_ctx *c, int parent, const char *base,
    const char *entry, struct berth_error *err)
{
	const char *victim = base + strlen(WHITEOUT_PREFIX);
	char path[64];

	if (strcmp(base, WHITEOUT_OPAQUE) == 0) {
		proc_fd_path(path, sizeof(path), parent);
		if (setxattr(path, OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
			return (entry_error(err, BERTH_E_SYSTEM, entry, errno,
			    "mark directory opaque"));
		return (0);
	}
	if (victim[0] == '\0' || strcmp(victim, ".") == 0 ||
	    strcmp(victim, "..") == 0)
		return (entry_error(err, UNPACK_E_INVALID_LAYER, entry, 0,
		    "bad whiteout name"));
	if (tree_remove(parent, victim, err) < 0)
		return (berth_error_wrap(err, "layer entry \"%s\"", entry));
	if (mknodat(parent, victim, S_IFCHR | 0, makedev(0, 0)) < 0)
		return (entry_error(err, BERTH_E_SYSTEM, entry, errno,
		    "create whiteout"));
	(void)c;
	return (0);
}

static int
create_hardlink(struct unpack_ctx *c, int parent, const char *base,
    struct archive_entry *e, const char *entry, struct berth_error *err)
{
	char target[PATH_MAX], path[64];
	cleanup_close int tfd = -1;
	const char *raw = archive_entry_hardlink(e);
	struct stat sb;

	if (clean_name(raw, target, sizeof(target)) < 0 || target[0] == '\0')
		return (entry_error(err, UNPACK_E_INVALID_LAYER, entry, 0,
		    "hardlink target leaves the layer or is empty; refused"));
	/* The target's own name is not followed: a link to a symlink links
	 * the symlink, as tar does. */
	tfd = openat2_in_root(c->root, target, O_PATH | O_NOFOLLOW);
	if (tfd < 0)
		return (entry_error(err, resolve_error_name(errno), entry,
		    errno, "hardlink target"));
	if (fstat(tfd, &sb) < 0)
		return (entry_error(err, BERTH_E_SYSTEM, entry, errno,
		    "hardlink target"));
	if (S_ISDIR(sb.st_mode))
		return (entry_error(err, UNPACK_E_INVALID_LAYER, entry, 0,
		    "hardlink to a directory"));
	if (linkat(tfd, "", parent, base, AT_EMPTY_PATH) == 0)
		return (0);
	if (errno != ENOENT && errno != EPERM)
		return (entry_error(err, BERTH_E_SYSTEM, entry, errno,
		    "hardlink"));
	/* Without CAP_DAC_READ_SEARCH: through the fd's magic link. */
	proc_fd_path(path, sizeof(path), tfd);
	if (linkat(AT_FDCWD, path, parent, base, AT_SYMLINK_FOLLOW) < 0)
		return (entry_error(err, BERTH_E_SYSTEM, entry, errno,
		    "hardlink"));
	return (0);
}

/* Create the entry at parent/base; returns an fd for its metadata. */
static int
create_entry(struct unpack_ctx *c, int parent, const char *base,
    struct archive_entry *e, mode_t type, const char *entry,
    struct berth_error *err)
{
	int fd;

	switch (type) {
	case AE_IFDIR:
		if (mkdirat(parent, base, 0700) < 0 && errno != EEXIST)
			return (entry_error(err, BERTH_E_SYSTEM, entry, errno,
			    "mkdir"));
		break;
	case AE_IFREG:
		fd = openat(parent, base, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return (entry_error(err, BERTH_E_SYSTEM, entry, errno,
			    "create"));
		/* The truncate gives a sparse file its trailing hole. */
		if (copy_data(c, fd, entry, err) < 0 ||
		    (archive_entry_size_is_set(e) &&
		    ftruncate(fd, archive_entry_size(e)) < 0 &&
		    entry_error(err, BERTH_E_SYSTEM, entry, errno,
		    "truncate"))) {
			close(fd);
			return (-1);
		}
		return (fd);
	case AE_IFLNK:
		if (archive_entry_symlink(e) == NULL ||
		    archive_entry_symlink(e)[0] == '\0')
			return (entry_error(err, UNPACK_E_INVALID_LAYER, entry,
			    0, "symlink without a target"));
		/* The target is data: it is only ever resolved inside the
		 * layer (here) or the container's root (later). */
		if (symlinkat(archive_entry_symlink(e), parent, base) < 0)
			return (entry_error(err, BERTH_E_SYSTEM, entry, errno,
			    "symlink"));
		break;
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		if (mknodat(parent, base, type | 0600,
		    type == AE_IFIFO ? 0 : archive_entry_rdev(e)) < 0)
			return (entry_error(err, BERTH_E_SYSTEM, entry, errno,
			    "mknod"));
		break;
	default:
		return (entry_error(err, UNPACK_E_INVALID_LAYER, entry, 0,
		    "unsupported entry type"));
	}
	fd = openat(parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return (entry_error(err, BERTH_E_SYSTEM, entry, errno,
		    "open after create"));
	return (fd);
}

static int
unpack_entry(struct unpack_ctx *c, struct archive_entry *e,
    struct berth_error *err)
{
	char name[PATH_MAX];
	cleanup_close int parent = -1, fd = -1;
	const char *raw = archive_entry_pathname(e), *base;
	char *slash;
	mode_t type = archive_entry_filetype(e);
	bool hardlink = archive_entry_hardlink(e) != NULL;
	struct stat sb;

	if (check_name(raw, name, sizeof(name), err) < 0)
		return (-1);
	if (name[0] == '\0') {
		/* "./": the layer's root; only its metadata applies. */
		if (hardlink || type != AE_IFDIR)
			return (entry_error(err, UNPACK_E_INVALID_LAYER, raw,
			    0, "the root is not a directory"));
		fd = openat2_in_root(c->root, ".", O_PATH | O_DIRECTORY);
		if (fd < 0)
			return (entry_error(err, BERTH_E_SYSTEM, raw, errno,
			    "open layer root"));
		return (apply_metadata(c, fd, e, type, "", err));
	}
	if ((slash = strrchr(name, '/')) != NULL) {
		*slash = '\0';
		base = slash + 1;
		parent = open_dir_in_root(c->root, name, raw, err);
	} else {
		base = name;
		parent = open_dir_in_root(c->root, "", raw, err);
	}
	if (parent < 0)
		return (-1);
	if (strncmp(base, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0)
		return (apply_whiteout(c, parent, base, raw, err));

	/* A later entry for the same path replaces the earlier one; a
	 * directory over a directory keeps it (and its contents). */
	if (fstatat(parent, base, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!(S_ISDIR(sb.st_mode) && type == AE_IFDIR && !hardlink) &&
		    tree_remove(parent, base, err) < 0)
			return (berth_error_wrap(err, "layer entry \"%s\"",
			    raw));
	} else if (errno != ENOENT)
		return (entry_error(err, BERTH_E_SYSTEM, raw, errno, "stat"));

	if (hardlink)
		/* The link shares the target's inode and its metadata. */
		return (create_hardlink(c, parent, base, e, raw, err));
	if ((fd = create_entry(c, parent, base, e, type, raw, err)) < 0)
		return (-1);
	return (apply_metadata(c, fd, e, type, raw, err));
}

static int
unpack_run(struct unpack_ctx *c, int src_fd, struct berth_error *err)
{
	cleanup_archive struct archive *ar = archive_read_new();
	struct archive_entry *e;
	int r;

	if (ar == NULL)
		return (berth_error_set(err, BERTH_E_SYSTEM, ENOMEM,
		    "unpack layer"));
	c->ar = ar;
	archive_read_support_filter_gzip(ar);
	archive_read_support_filter_zstd(ar);
	archive_read_support_format_tar(ar);
	if (archive_read_open_fd(ar, src_fd, UNPACK_BLOCK) != ARCHIVE_OK)
		return (berth_error_set(err, UNPACK_E_INVALID_LAYER, 0,
		    "open layer: %s", archive_error_string(ar)));
	while ((r = archive_read_next_header(ar, &e)) == ARCHIVE_OK ||
	    r == ARCHIVE_WARN) {
		if (++c->st->entries > UNPACK_MAX_ENTRIES)
			return (berth_error_set(err, UNPACK_E_LAYER_TOO_LARGE,
			    0, "layer has more than %u entries",
			    UNPACK_MAX_ENTRIES));
		if (unpack_entry(c, e, err) < 0)
			return (-1);
		if (c->progress != NULL && c->st->entries % PROGRESS_EVERY == 0)
			c->progress(c->st, c->progress_arg);
	}
	if (r != ARCHIVE_EOF)
		return (berth_error_set(err, UNPACK_E_INVALID_LAYER, 0,
		    "read layer after %" PRIu64 " entries: %s",
		    c->st->entries, archive_error_string(ar) ?
		    archive_error_string(ar) : "unreadable archive"));
	return (apply_dir_times(c, err));
}

int
unpack_layer_progress(int src_fd, int dest_dirfd, struct unpack_stats *st,
    unpack_progress_fn progress, void *arg, struct berth_error *err)
{
	struct unpack_ctx c;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(st, 0, sizeof(*st));
	c.root = dest_dirfd;
	c.st = st;
	c.progress = progress;
	c.progress_arg = arg;
	rc = unpack_run(&c, src_fd, err);
	for (i = 0; i < c.ndirs; i++)
		free(c.dirs[i].path);
	free(c.dirs);
	return (rc);
}

int
unpack_layer(int src_fd, int dest_dirfd, struct unpack_stats *st,
    struct berth_error *err)
{
	return (unpack_layer_progress(src_fd, dest_dirfd, st, NULL, NULL,
	    err));
}
