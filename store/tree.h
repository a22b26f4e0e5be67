/*
 * Removing a directory tree the way the store must: through directory
 * fds, never following a symlink, never descending into a mount (a
 * container's volume or a bind left by a crash is not the store's to
 * delete).
 */
#ifndef BERTH_STORE_TREE_H
#define BERTH_STORE_TREE_H

#include <stdint.h>

#include "error.h"

#define STORE_E_BUSY	"io.berth.Store.Busy"

/* Remove name under parentfd, whatever it is; missing is fine.  A mount
 * point anywhere in the tree stops it with STORE_E_BUSY. */
int	tree_remove(int parentfd, const char *name, struct berth_error *err);
/* The same, adding to *freed what the filesystem got back: the blocks
 * of every inode whose last link went. */
int	tree_remove_counted(int parentfd, const char *name, uint64_t *freed,
	    struct berth_error *err);
/* 1 if name under dirfd is the root of a mount, 0 if not, -1 on error. */
int	tree_is_mount_root(int dirfd, const char *name,
	    struct berth_error *err);

#endif
