/*
 * A whole root filesystem as one tar, as `docker export` writes it:
 * paths relative to the root ("bin/", "etc/passwd"), the root itself
 * left out, hardlinks as link entries, sockets left out, other mounts
 * met inside not entered.
 */
#ifndef BERTH_STORE_ROOTFS_EXPORT_H
#define BERTH_STORE_ROOTFS_EXPORT_H

#include "error.h"

/* Write the tree at root (a directory) to out_fd as an uncompressed pax
 * tar, walked by a child chrooted in root, so that nothing in the tree
 * can lead the walk out of it.  For a helper process (it forks). */
int	rootfs_export(const char *root, int out_fd, struct berth_error *err);

#endif
