/*
 * Snapshots: a container's writable layer under SNAPDIR/<id>.  upper holds
 * what the container wrote, work is overlayfs's scratch directory, merged
 * the mount point.  The spawner normally mounts the overlay inside the
 * container's own mount namespace (from the paths snapshot_fill_spec puts
 * in the spec); snapshot_mount is for work outside a container.
 *
 * Removal walks the tree through directory fds, never following a
 * symlink, and refuses to descend into anything that is the root of a
 * mount, so a bind mount left inside cannot make it delete a host tree.
 * The changes and the export live in snapshot-diff.c.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "snapshot.h"
#include "tree.h"
#include "spec.h"

/* Overlay options must fit one page for mount(2). */
#define SNAPSHOT_OPTIONS_MAX	4096


static int
check_id(const char *id, struct berth_error *err)
{
	size_t i, n = id != NULL ? strlen(id) : 0;

	if (n == 0 || n > SNAPSHOT_ID_MAX || strcmp(id, ".") == 0 ||
	    strcmp(id, "..") == 0)
		goto bad;
	for (i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-'))
			goto bad;
	}
	return (0);
bad:
	berth_error_set(err, SNAPSHOT_E_INVALID_ID, 0,
	    "invalid snapshot id \"%.*s\"", SNAPSHOT_ID_MAX,
	    id != NULL ? id : "");
	return (berth_error_param_str(err, "id", id != NULL ? id : ""));
}

/* An absolute path overlayfs can take as an option value. */
static int
check_dir_path(const char *what, const char *path, struct berth_error *err)
{
	if (path == NULL || path[0] != '/' || strpbrk(path, ",:\\") != NULL)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "%s \"%s\": not an absolute path without ',', ':' or "
		    "'\\'", what, path != NULL ? path : ""));
	return (0);
}

void
snapshot_free(struct snapshot *snap)
{
	size_t i;

	free(snap->id);
	free(snap->dir);
	free(snap->upper);
	free(snap->work);
	free(snap->merged);
	for (i = 0; snap->lowers != NULL && i < snap->nlowers; i++)
		free(snap->lowers[i]);
	free(snap->lowers);
	memset(snap, 0, sizeof(*snap));
}

static char *
path_join(const char *a, const char *b)
{
	char *s;

	if (asprintf(&s, "%s/%s", a, b) < 0)
		return (NULL);
	return (s);
}

/* Fill snap's strings; on failure snap is freed. */
static int
fill(const char *snapdir, const char *id, const char *const *lowers,
    struct snapshot *snap, struct berth_error *err)
{
	size_t i, n;

	memset(snap, 0, sizeof(*snap));
	if (check_id(id, err) < 0 ||
	    check_dir_path("snapshot directory", snapdir, err) < 0)
		return (-1);
	for (n = 0; lowers != NULL && lowers[n] != NULL; n++)
		if (check_dir_path("layer directory", lowers[n], err) < 0)
			return (-1);
	if (n == 0 || n > SNAPSHOT_MAX_LOWERS)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "snapshot %s: %zu layers (1 to %d)", id, n,
		    SNAPSHOT_MAX_LOWERS));
	if ((snap->id = strdup(id)) == NULL ||
	    (snap->dir = path_join(snapdir, id)) == NULL ||
	    (snap->upper = path_join(snap->dir, "upper")) == NULL ||
	    (snap->work = path_join(snap->dir, "work")) == NULL ||
	    (snap->merged = path_join(snap->dir, "merged")) == NULL ||
	    (snap->lowers = calloc(n + 1, sizeof(char *))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		if ((snap->lowers[i] = strdup(lowers[i])) == NULL)
			goto nomem;
		snap->nlowers++;
	}
	return (0);
nomem:
	snapshot_free(snap);
	return (berth_error_sys(err, "snapshot %s", id));
}

int
snapshot_prepare(const char *snapdir, const char *id,
    const char *const *lowers, struct snapshot *snap, struct berth_error *err)
{
	static const struct {
		const char	*name;
		mode_t		 mode;
	} subdirs[] = {
		{ "upper", 0755 }, { "work", 0700 }, { "merged", 0755 },
	};
	cleanup_close int dfd = -1;
	cleanup_close int fd = -1;
	size_t i;

	if (fill(snapdir, id, lowers, snap, err) < 0)
		return (-1);
	dfd = open(snapdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		berth_error_sys(err, "open snapshot directory %s", snapdir);
		goto fail;
	}
	if (mkdirat(dfd, id, 0700) < 0) {
		if (errno == EEXIST)
			berth_error_set(err, SNAPSHOT_E_EXISTS, 0,
			    "snapshot %s already exists", id);
		else
			berth_error_sys(err, "create snapshot %s", id);
		goto fail;
	}
	fd = openat(dfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* Modes exactly as asked, whatever the umask. */
	if (fd < 0 || fchmod(fd, 0700) < 0) {
		berth_error_sys(err, "open snapshot %s", id);
		goto undo;
	}
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if (mkdirat(fd, subdirs[i].name, subdirs[i].mode) < 0 ||
		    fchmodat(fd, subdirs[i].name, subdirs[i].mode, 0) < 0) {
			berth_error_sys(err, "create %s/%s", snap->dir,
			    subdirs[i].name);
			goto undo;
		}
	}
	return (0);
undo:
	{
		struct berth_error e2 = BERTH_ERROR_INIT;

		snapshot_remove(snapdir, id, &e2);
		berth_error_clear(&e2);
	}
fail:
	snapshot_free(snap);
	return (-1);
}

int
snapshot_open(const char *snapdir, const char *id, const char *const *lowers,
    struct snapshot *snap, struct berth_error *err)
{
	struct stat sb;

	if (fill(snapdir, id, lowers, snap, err) < 0)
		return (-1);
	if (lstat(snap->upper, &sb) < 0) {
		if (errno == ENOENT)
			berth_error_set(err, SNAPSHOT_E_NOT_FOUND, 0,
			    "no snapshot %s", id);
		else
			berth_error_sys(err, "open snapshot %s", id);
		snapshot_free(snap);
		return (-1);
	}
	if (!S_ISDIR(sb.st_mode)) {
		berth_error_set(err, SNAPSHOT_E_NOT_FOUND, 0,
		    "no snapshot %s: upper is not a directory", id);
		snapshot_free(snap);
		return (-1);
	}
	return (0);
}

int
snapshot_fill_spec(const struct snapshot *snap, struct rt_spec *spec,
    struct berth_error *err)
{
	cleanup_free char *root = strdup(snap->merged);
	cleanup_free char *upper = strdup(snap->upper);
	cleanup_free char *work = strdup(snap->work);
	char **lowers = calloc(snap->nlowers + 1, sizeof(char *));
	size_t i;

	if (root == NULL || upper == NULL || work == NULL || lowers == NULL)
		goto nomem;
	for (i = 0; i < snap->nlowers; i++)
		if ((lowers[i] = strdup(snap->lowers[i])) == NULL)
			goto nomem;
	free(spec->root_path);
	spec->root_path = steal_pointer(&root);
	free(spec->overlay_upper);
	spec->overlay_upper = steal_pointer(&upper);
	free(spec->overlay_work);
	spec->overlay_work = steal_pointer(&work);
	for (i = 0; spec->overlay_lower != NULL && spec->overlay_lower[i]; i++)
		free(spec->overlay_lower[i]);
	free(spec->overlay_lower);
	spec->overlay_lower = lowers;
	return (0);
nomem:
	for (i = 0; lowers != NULL && lowers[i] != NULL; i++)
		free(lowers[i]);
	free(lowers);
	return (berth_error_sys(err, "snapshot %s", snap->id));
}

int
snapshot_mount(const struct snapshot *snap, struct berth_error *err)
{
	char opts[SNAPSHOT_OPTIONS_MAX];
	size_t len, i;
	int n;

	len = (size_t)snprintf(opts, sizeof(opts), "lowerdir=");
	for (i = 0; i < snap->nlowers && len < sizeof(opts); i++)
		len += (size_t)snprintf(opts + len, sizeof(opts) - len, "%s%s",
		    i > 0 ? ":" : "", snap->lowers[i]);
	if (len >= sizeof(opts) ||
	    (n = snprintf(opts + len, sizeof(opts) - len,
	    ",upperdir=%s,workdir=%s,metacopy=off,redirect_dir=off",
	    snap->upper, snap->work)) < 0 || (size_t)n >= sizeof(opts) - len)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "mount snapshot %s: overlay options longer than %d bytes",
		    snap->id, SNAPSHOT_OPTIONS_MAX));
	if (mount("overlay", snap->merged, "overlay", MS_NOSUID | MS_NODEV,
	    opts) < 0)
		return (berth_error_sys(err, "mount overlay on %s",
		    snap->merged));
	return (0);
}

int
snapshot_mount_readonly(const struct snapshot *snap, struct berth_error *err)
{
	char opts[SNAPSHOT_OPTIONS_MAX];
	size_t len, i;

	len = (size_t)snprintf(opts, sizeof(opts), "lowerdir=%s", snap->upper);
	for (i = 0; i < snap->nlowers && len < sizeof(opts); i++)
		len += (size_t)snprintf(opts + len, sizeof(opts) - len, ":%s",
		    snap->lowers[i]);
	if (len >= sizeof(opts))
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "mount snapshot %s: overlay options longer than %d bytes",
		    snap->id, SNAPSHOT_OPTIONS_MAX));
	if (mount("overlay", snap->merged, "overlay", MS_RDONLY | MS_NOSUID |
	    MS_NODEV, opts) < 0)
		return (berth_error_sys(err, "mount overlay on %s",
		    snap->merged));
	return (0);
}

int
snapshot_unmount(const struct snapshot *snap, struct berth_error *err)
{
	if (umount2(snap->merged, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 &&
	    errno != EINVAL)
		return (berth_error_sys(err, "unmount %s", snap->merged));
	return (0);
}

int
snapshot_remove_counted(const char *snapdir, const char *id, uint64_t *freed,
    struct berth_error *err)
{
	cleanup_close int dfd = -1;
	cleanup_close int fd = -1;
	char merged[64];
	int i, r;

	if (check_id(id, err) < 0)
		return (-1);
	dfd = open(snapdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return (berth_error_sys(err, "open snapshot directory %s",
		    snapdir));
	fd = openat(dfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return (berth_error_set(err, SNAPSHOT_E_NOT_FOUND, 0,
			    "no snapshot %s", id));
		return (berth_error_sys(err, "open snapshot %s", id));
	}
	/* Detach what is mounted on merged (stacked mounts one by one),
	 * through the fd so no symlink is followed on the way. */
	snprintf(merged, sizeof(merged), "/proc/self/fd/%d/merged", fd);
	for (i = 0; i < 16; i++) {
		if ((r = tree_is_mount_root(fd, "merged", err)) < 0) {
			if (berth_error_is(err, BERTH_E_SYSTEM) &&
			    err->errnum == ENOENT) {
				berth_error_clear(err);
				break;
			}
			return (berth_error_wrap(err, "remove snapshot %s",
			    id));
		}
		if (r == 0)
			break;
		if (umount2(merged, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
			return (berth_error_sys(err, "remove snapshot %s: "
			    "unmount merged", id));
	}
	if (tree_remove_counted(dfd, id, freed, err) < 0)
		return (berth_error_wrap(err, "remove snapshot %s", id));
	return (0);
}

int
snapshot_remove(const char *snapdir, const char *id, struct berth_error *err)
{
	return (snapshot_remove_counted(snapdir, id, NULL, err));
}
