/*
 * tree_remove: recursive removal through directory fds.
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "tree.h"

/* 1 if name is the root of a mount, 0 if not, -1 on error. */
int
tree_is_mount_root(int dirfd, const char *name, struct berth_error *err)
{
	struct statx stx;

	if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, 0,
	    &stx) < 0)
		return (berth_error_sys(err, "stat %s", name));
	if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		return (berth_error_set(err, BERTH_E_SYSTEM, EOPNOTSUPP,
		    "stat %s: the kernel does not say whether it is a mount "
		    "point", name));
	return ((stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0);
}

/* What removing this inode gives back: its blocks, once its last link
 * goes (a hard link elsewhere keeps the data). */
static uint64_t
freed_by(const struct stat *sb)
{
	if (!S_ISDIR(sb->st_mode) && sb->st_nlink > 1)
		return (0);
	return ((uint64_t)sb->st_blocks * 512);
}

int
tree_remove_counted(int parentfd, const char *name, uint64_t *freed,
    struct berth_error *err)
{
	cleanup_dir DIR *d = NULL;
	struct dirent *de;
	struct stat sb;
	int fd, r;

	if (fstatat(parentfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return (0);
		return (berth_error_sys(err, "stat %s", name));
	}
	if (!S_ISDIR(sb.st_mode)) {
		if (unlinkat(parentfd, name, 0) < 0) {
			if (errno == ENOENT)
				return (0);
			return (berth_error_sys(err, "remove %s", name));
		}
		if (freed != NULL)
			*freed += freed_by(&sb);
		return (0);
	}
	if ((r = tree_is_mount_root(parentfd, name, err)) != 0) {
		if (r > 0)
			berth_error_set(err, STORE_E_BUSY, 0,
			    "%s is a mount point", name);
		return (-1);
	}
	fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0)
		return (berth_error_sys(err, "open %s", name));
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return (berth_error_sys(err, "open %s", name));
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (tree_remove_counted(dirfd(d), de->d_name, freed, err) < 0)
			return (berth_error_wrap(err, "%s", name));
	}
	if (errno != 0)
		return (berth_error_sys(err, "read directory %s", name));
	if (unlinkat(parentfd, name, AT_REMOVEDIR) < 0) {
		if (errno == ENOENT)
			return (0);
		return (berth_error_sys(err, "remove %s", name));
	}
	if (freed != NULL)
		*freed += freed_by(&sb);
	return (0);
}

int
tree_remove(int parentfd, const char *name, struct berth_error *err)
{
	return (tree_remove_counted(parentfd, name, NULL, err));
}
