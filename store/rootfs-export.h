/*
 * A whole root filesystem as one tar, as `docker export` writes it:
 * paths relative to the root ("bin/", "etc/passwd"), the root itself
 * left out, hardlinks as link entries, sockets left out, other mounts
 * met inside (a running container's /proc, /sys, /dev) not entered.
 */
#ifndef BERTH_STORE_ROOTFS_EXPORT_H
#define BERTH_STORE_ROOTFS_EXPORT_H

#include "error.h"

/* Write the tree at root (a directory, or a link to one such as
 * /proc/PID/root) to out_fd as an uncompressed pax tar.  Changes the
 * working directory to root: for a helper process. */
int	rootfs_export(const char *root, int out_fd, struct berth_error *err);

#endif
