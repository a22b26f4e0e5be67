/*
 * A snapshot's changes: upper walked through directory fds (never
 * following a symlink), each path looked up in the lowers as the overlay
 * stacks them, listed as `docker diff` shows them and written as an OCI
 * layer tar.
 *
 * Lookup in the lowers, topmost first: a whiteout, a non-directory in the
 * way, or a missing name under an opaque directory hides the path from
 * the lowers below; a plain missing name lets the next lower answer.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "snapshot.h"

#define OPAQUE_XATTR	"trusted.overlay.opaque"
#define WH_PREFIX	".wh."
#define WH_OPAQUE	".wh..wh..opq"
/* Depth of the tree walked (each level holds a directory fd). */
#define DIFF_MAX_DEPTH	256
#define DIFF_MAX_CHANGES (1u << 22)
#define XATTR_LIST_MAX_	(64u << 10)

struct diff {
	const struct snapshot	 *snap;
	int			 *lowerfds;
	struct snapshot_change	 *changes;
	size_t			  n, cap;
};


static int
is_whiteout(const struct stat *sb)
{
	return (S_ISCHR(sb->st_mode) && sb->st_rdev == makedev(0, 0));
}

static int
is_opaque_fd(int fd)
{
	char path[64], v[2];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return (getxattr(path, OPAQUE_XATTR, v, sizeof(v)) == 1 &&
	    v[0] == 'y');
}

enum { LOWER_ABSENT, LOWER_FOUND, LOWER_HIDDEN };

/* Look rel ("a/b/c") up in one lower. */
static int
lower_lookup(int rootfd, const char *rel)
{
	cleanup_free char *copy = strdup(rel);
	cleanup_close int dirfd = -1;
	char *comp, *next;
	struct stat sb;
	int cur = rootfd;

	if (copy == NULL)
		return (LOWER_ABSENT);
	for (comp = copy; comp != NULL; comp = next) {
		int fd;

		if ((next = strchr(comp, '/')) != NULL)
			*next++ = '\0';
		if (fstatat(cur, comp, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			return (cur != rootfd && is_opaque_fd(cur) ?
			    LOWER_HIDDEN : LOWER_ABSENT);
		if (is_whiteout(&sb))
			return (LOWER_HIDDEN);
		if (next == NULL)
			return (LOWER_FOUND);
		if (!S_ISDIR(sb.st_mode))
			return (LOWER_HIDDEN);
		fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd < 0)
			return (LOWER_ABSENT);
		if (dirfd >= 0)
			close(dirfd);
		cur = dirfd = fd;
	}
	return (LOWER_ABSENT);
}

static int
in_lowers(const struct diff *d, const char *rel)
{
	size_t i;

	for (i = 0; i < d->snap->nlowers; i++) {
		switch (lower_lookup(d->lowerfds[i], rel)) {
		case LOWER_FOUND:
			return (1);
		case LOWER_HIDDEN:
			return (0);
		}
	}
	return (0);
}

static int
add_change(struct diff *d, char kind, const char *rel, int opaque,
    struct berth_error *err)
{
	struct snapshot_change *c;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;

		if (d->n >= DIFF_MAX_CHANGES)
			return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "more than %u changes", DIFF_MAX_CHANGES));
		if ((c = reallocarray(d->changes, cap, sizeof(*c))) == NULL)
			return (berth_error_sys(err, "list changes"));
		d->changes = c;
		d->cap = cap;
	}
	c = &d->changes[d->n];
	if (asprintf(&c->path, "/%s", rel) < 0)
		return (berth_error_sys(err, "list changes"));
	c->kind = kind;
	c->opaque = opaque;
	d->n++;
	return (0);
}

/* Walk the directory fd (rel its path in upper, "" at the top). */
static int
walk(struct diff *d, int fd, const char *rel, int under_opaque, int depth,
    struct berth_error *err)
{
	cleanup_dir DIR *dir = NULL;
	struct dirent *de;

	if (depth > DIFF_MAX_DEPTH)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "%s: deeper than %d", rel, DIFF_MAX_DEPTH));
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return (berth_error_sys(err, "open /%s", rel));
	}
	while ((errno = 0, de = readdir(dir)) != NULL) {
		cleanup_free char *path = NULL;
		struct stat sb;
		int opaque = 0, sub;
		char kind;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&path, "%s%s%s", rel, *rel ? "/" : "",
		    de->d_name) < 0)
			return (berth_error_sys(err, "list changes"));
		/* A running container may remove what was just listed. */
		if (fstatat(dirfd(dir), de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return (berth_error_sys(err, "stat /%s", path));
		}
		if (is_whiteout(&sb)) {
			/* Under an opaque directory nothing shows through
			 * to be deleted. */
			if (!under_opaque &&
			    add_change(d, SNAPSHOT_DELETED, path, 0, err) < 0)
				return (-1);
			continue;
		}
		sub = -1;
		if (S_ISDIR(sb.st_mode)) {
			sub = openat(dirfd(dir), de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0 && errno == ENOENT)
				continue;
			if (sub < 0)
				return (berth_error_sys(err, "open /%s",
				    path));
			opaque = is_opaque_fd(sub);
		}
		kind = !under_opaque && in_lowers(d, path) ?
		    SNAPSHOT_CHANGED : SNAPSHOT_ADDED;
		if (add_change(d, kind, path, opaque, err) < 0) {
			if (sub >= 0)
				close(sub);
			return (-1);
		}
		if (sub >= 0 && walk(d, sub, path, under_opaque || opaque,
		    depth + 1, err) < 0)
			return (-1);
	}
	if (errno != 0)
		return (berth_error_sys(err, "read directory /%s", rel));
	return (0);
}

static int
change_cmp(const void *a, const void *b)
{
	const struct snapshot_change *x = a, *y = b;

	return (strcmp(x->path, y->path));
}

void
snapshot_changes_free(struct snapshot_change *changes, size_t n)
{
	size_t i;

	for (i = 0; changes != NULL && i < n; i++)
		free(changes[i].path);
	free(changes);
}

int
snapshot_changes_list(const struct snapshot *snap,
    struct snapshot_change **changes, size_t *nchanges,
    struct berth_error *err)
{
	struct diff d = { .snap = snap };
	int upperfd, r = 0;
	size_t i;

	*changes = NULL;
	*nchanges = 0;
	if ((d.lowerfds = calloc(snap->nlowers, sizeof(int))) == NULL)
		return (berth_error_sys(err, "snapshot %s", snap->id));
	for (i = 0; i < snap->nlowers; i++)
		d.lowerfds[i] = -1;
	for (i = 0; i < snap->nlowers; i++) {
		d.lowerfds[i] = open(snap->lowers[i], O_PATH | O_DIRECTORY |
		    O_CLOEXEC);
		if (d.lowerfds[i] < 0) {
			r = berth_error_sys(err, "open layer %s",
			    snap->lowers[i]);
			break;
		}
	}
	if (r == 0) {
		upperfd = open(snap->upper, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (upperfd < 0)
			r = berth_error_sys(err, "open %s", snap->upper);
		else
			r = walk(&d, upperfd, "", 0, 0, err);
	}
	for (i = 0; i < snap->nlowers && d.lowerfds[i] >= 0; i++)
		close(d.lowerfds[i]);
	free(d.lowerfds);
	if (r < 0) {
		snapshot_changes_free(d.changes, d.n);
		return (berth_error_wrap(err, "changes of snapshot %s",
		    snap->id));
	}
	if (d.n > 1)
		qsort(d.changes, d.n, sizeof(*d.changes), change_cmp);
	*changes = d.changes;
	*nchanges = d.n;
	return (0);
}

int
snapshot_changes(const struct snapshot *snap, snapshot_change_fn fn,
    void *arg, struct berth_error *err)
{
	struct snapshot_change *c;
	size_t i, n;
	int r = 0;

	if (snapshot_changes_list(snap, &c, &n, err) < 0)
		return (-1);
	for (i = 0; i < n && r == 0; i++)
		r = fn(&c[i], arg, err) < 0 ? -1 : 0;
	snapshot_changes_free(c, n);
	return (r);
}

/* Export. */

static void
cleanup_entryp(struct archive_entry **e)
{
	if (*e != NULL)
		archive_entry_free(*e);
}
#define cleanup_entry	__attribute__((cleanup(cleanup_entryp)))

static int
ar_error(struct archive *a, const char *what, struct berth_error *err)
{
	return (berth_error_set(err, BERTH_E_SYSTEM, archive_errno(a),
	    "write %s: %s", what, archive_error_string(a)));
}

/* Open rel's parent in upper (no symlink followed); *base its name. */
static int
open_parent(int upperfd, char *rel, const char **base)
{
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
		    RESOLVE_BENEATH,
	};
	char *slash = strrchr(rel, '/');
	int fd;

	if (slash == NULL) {
		*base = rel;
		return (openat(upperfd, ".", O_PATH | O_DIRECTORY |
		    O_CLOEXEC));
	}
	*slash = '\0';
	*base = slash + 1;
	fd = (int)syscall(SYS_openat2, upperfd, rel, &how, sizeof(how));
	*slash = '/';
	return (fd);
}

static int
add_xattrs(struct archive_entry *e, int fd, const char *rel,
    struct berth_error *err)
{
	cleanup_free char *list = NULL;
	cleanup_free char *value = NULL;
	char path[64];
	ssize_t len, vlen;
	char *name;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	len = listxattr(path, NULL, 0);
	if (len < 0 && (errno == ENOTSUP || errno == EPERM))
		return (0);
	if (len <= 0)
		return (len < 0 ? berth_error_sys(err, "xattrs of /%s", rel) :
		    0);
	if ((size_t)len > XATTR_LIST_MAX_)
		len = XATTR_LIST_MAX_;
	if ((list = malloc((size_t)len)) == NULL ||
	    (value = malloc(XATTR_LIST_MAX_)) == NULL)
		return (berth_error_sys(err, "xattrs of /%s", rel));
	if ((len = listxattr(path, list, (size_t)len)) < 0)
		return (berth_error_sys(err, "xattrs of /%s", rel));
	for (name = list; name < list + len; name += strlen(name) + 1) {
		if (strncmp(name, "trusted.overlay.", 16) == 0)
			continue;
		vlen = getxattr(path, name, value, XATTR_LIST_MAX_);
		if (vlen < 0)
			return (berth_error_sys(err, "xattr %s of /%s", name,
			    rel));
		archive_entry_xattr_add_entry(e, name, value, (size_t)vlen);
	}
	return (0);
}

static int
write_data(struct archive *a, int fd, const char *rel,
    struct berth_error *err)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (berth_error_sys(err, "read /%s", rel));
		}
		if (archive_write_data(a, buf, (size_t)n) != n)
			return (ar_error(a, rel, err));
	}
	return (0);
}

static int
write_whiteout(struct archive *a, const char *rel, const char *name,
    struct berth_error *err)
{
	cleanup_entry struct archive_entry *e = archive_entry_new();
	cleanup_free char *path = NULL;
	const char *slash = strrchr(rel, '/');
	int r;

	if (name != NULL)	/* the opaque marker inside dir rel */
		r = asprintf(&path, "%s/%s", rel, name);
	else if (slash == NULL)
		r = asprintf(&path, WH_PREFIX "%s", rel);
	else
		r = asprintf(&path, "%.*s/" WH_PREFIX "%s",
		    (int)(slash - rel), rel, slash + 1);
	if (r < 0 || e == NULL)
		return (berth_error_sys(err, "whiteout of /%s", rel));
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return (ar_error(a, path, err));
	return (0);
}

/* One added or changed path, from upper. */
static int
write_entry(struct archive *a, int upperfd, char *rel,
    struct berth_error *err)
{
	cleanup_entry struct archive_entry *e = archive_entry_new();
	cleanup_close int pfd = -1;
	cleanup_close int fd = -1;
	const char *base;
	struct stat sb;
	char target[PATH_MAX];
	ssize_t n;

	if (e == NULL)
		return (berth_error_sys(err, "export /%s", rel));
	if ((pfd = open_parent(upperfd, rel, &base)) < 0)
		return (berth_error_sys(err, "open parent of /%s", rel));
	/* O_PATH first: opening a FIFO or device for reading would block
	 * or act on it. */
	fd = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0)
		return (berth_error_sys(err, "open /%s", rel));
	if (S_ISSOCK(sb.st_mode))
		return (0);
	if (S_ISREG(sb.st_mode)) {
		int rfd = openat(pfd, base, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC);

		if (rfd < 0)
			return (berth_error_sys(err, "open /%s", rel));
		close(fd);
		fd = rfd;
		if (fstat(fd, &sb) < 0)
			return (berth_error_sys(err, "stat /%s", rel));
		archive_entry_set_size(e, sb.st_size);
	} else
		archive_entry_set_size(e, 0);
	archive_entry_set_pathname(e, rel);
	archive_entry_set_mode(e, sb.st_mode);
	archive_entry_set_uid(e, sb.st_uid);
	archive_entry_set_gid(e, sb.st_gid);
	archive_entry_set_mtime(e, sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
	if (S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode))
		archive_entry_set_rdev(e, sb.st_rdev);
	if (S_ISLNK(sb.st_mode)) {
		n = readlinkat(fd, "", target, sizeof(target) - 1);
		if (n < 0)
			return (berth_error_sys(err, "read link /%s", rel));
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
	}
	if (add_xattrs(e, fd, rel, err) < 0)
		return (-1);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return (ar_error(a, rel, err));
	if (S_ISREG(sb.st_mode))
		return (write_data(a, fd, rel, err));
	return (0);
}

int
snapshot_export_changes(const struct snapshot *snap, int out_fd,
    struct berth_error *err)
{
	struct snapshot_change *c = NULL;
	cleanup_close int upperfd = -1;
	struct archive *a = NULL;
	size_t i, n = 0;
	int r = 0;

	if (snapshot_changes_list(snap, &c, &n, err) < 0)
		return (berth_error_wrap(err, "export snapshot %s", snap->id));
	upperfd = open(snap->upper, O_PATH | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (upperfd < 0)
		r = berth_error_sys(err, "open %s", snap->upper);
	else if ((a = archive_write_new()) == NULL)
		r = berth_error_sys(err, "archive");
	else if (archive_write_set_format_pax(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(a, out_fd) != ARCHIVE_OK)
		r = ar_error(a, "layer", err);
	for (i = 0; r == 0 && i < n; i++) {
		char *rel = c[i].path + 1;	/* without the "/" */

		if (c[i].kind == SNAPSHOT_DELETED)
			r = write_whiteout(a, rel, NULL, err);
		else {
			r = write_entry(a, upperfd, rel, err);
			if (r == 0 && c[i].opaque)
				r = write_whiteout(a, rel, WH_OPAQUE, err);
		}
	}
	if (r == 0 && archive_write_close(a) != ARCHIVE_OK)
		r = ar_error(a, "layer", err);
	if (a != NULL)
		archive_write_free(a);
	snapshot_changes_free(c, n);
	if (r < 0)
		return (berth_error_wrap(err, "export snapshot %s", snap->id));
	return (0);
}
