/*
 * A container's writable layer: SNAPDIR/<id>/{upper,work,merged} over a
 * stack of read-only layer directories, the overlay the spawner mounts as
 * the container's root; its changes listed as `docker diff` shows them and
 * written as an OCI layer tar (what `docker commit` needs).
 */
#ifndef BERTH_STORE_SNAPSHOT_H
#define BERTH_STORE_SNAPSHOT_H

#include <stddef.h>

#include "error.h"
#include "tree.h"

struct rt_spec;				/* runtime/spec.h */

/* An id outside [a-zA-Z0-9_.-]{1,128}, or "." or "..". */
#define SNAPSHOT_E_INVALID_ID	"io.berth.Store.InvalidSnapshotId"
#define SNAPSHOT_E_EXISTS	"io.berth.Store.SnapshotExists"
#define SNAPSHOT_E_NOT_FOUND	"io.berth.Store.SnapshotNotFound"
/* Something is mounted inside the snapshot: it is not removed through it. */
#define SNAPSHOT_E_BUSY		STORE_E_BUSY	/* store/tree.h */

#define SNAPSHOT_ID_MAX		128
/* Layers under one snapshot (overlayfs allows 500). */
#define SNAPSHOT_MAX_LOWERS	128

struct snapshot {
	char	 *id;
	char	 *dir;		/* SNAPDIR/<id> */
	char	 *upper;	/* SNAPDIR/<id>/upper */
	char	 *work;
	char	 *merged;
	char	**lowers;	/* absolute, topmost first, NULL-terminated */
	size_t	  nlowers;
};

/* Create snapdir/<id> (0700) with upper (0755), work and merged, over the
 * layer directories lowers (absolute paths, topmost first, NULL-terminated,
 * at least one), and fill snap.  snapdir is absolute.  An existing id is
 * refused (SNAPSHOT_E_EXISTS) and left alone. */
int	snapshot_prepare(const char *snapdir, const char *id,
	    const char *const *lowers, struct snapshot *snap,
	    struct berth_error *err);
/* Fill snap for an existing snapshot (after a restart). */
int	snapshot_open(const char *snapdir, const char *id,
	    const char *const *lowers, struct snapshot *snap,
	    struct berth_error *err);
void	snapshot_free(struct snapshot *snap);

/* Set spec's root_path (merged), overlay_lower, overlay_upper and
 * overlay_work to copies of snap's, freeing what they held. */
int	snapshot_fill_spec(const struct snapshot *snap, struct rt_spec *spec,
	    struct berth_error *err);

/* Mount the overlay on merged (nosuid, nodev; metacopy and redirect_dir
 * off so upper holds whole files) in the caller's mount namespace: for
 * work on a stopped container's files; the caller unshares first when the
 * mount must not be seen elsewhere. */
int	snapshot_mount(const struct snapshot *snap, struct berth_error *err);
/* Detach the mount on merged; nothing mounted is not an error. */
/* Mount it read-only on merged with the upper directory as the top
 * lower layer: a view that never writes the upper (another overlay may
 * have it as its upper, the container's own). */
int	snapshot_mount_readonly(const struct snapshot *snap,
	    struct berth_error *err);
int	snapshot_unmount(const struct snapshot *snap, struct berth_error *err);

/* Remove snapdir/<id> and everything below it, never following a symlink;
 * a mount on merged is detached first; any other mount met inside refuses
 * the removal (SNAPSHOT_E_BUSY).  A missing id is SNAPSHOT_E_NOT_FOUND. */
int	snapshot_remove(const char *snapdir, const char *id,
	    struct berth_error *err);
/* The same, adding to *freed the bytes the filesystem got back. */
int	snapshot_remove_counted(const char *snapdir, const char *id,
	    uint64_t *freed, struct berth_error *err);

/* One change, as `docker diff` prints it. */
#define SNAPSHOT_ADDED		'A'
#define SNAPSHOT_CHANGED	'C'
#define SNAPSHOT_DELETED	'D'

struct snapshot_change {
	char	 kind;		/* SNAPSHOT_ADDED, _CHANGED or _DELETED */
	char	*path;		/* "/etc/passwd" */
	int	 opaque;	/* a directory that hides the lowers' content */
};

/* The changes in upper, sorted by path: a whiteout is D of its path; a
 * path present in some lower (as the overlay shows the lowers) is C, any
 * other A; an opaque directory is C (A when no lower has it) and what is
 * under it A.  Free with snapshot_changes_free. */
int	snapshot_changes_list(const struct snapshot *snap,
	    struct snapshot_change **changes, size_t *nchanges,
	    struct berth_error *err);
void	snapshot_changes_free(struct snapshot_change *changes, size_t n);

/* The same, calling fn for each change in order; fn returns 0 to go on,
 * -1 (after filling err) to stop, which snapshot_changes returns. */
typedef int (*snapshot_change_fn)(const struct snapshot_change *, void *,
	    struct berth_error *);
int	snapshot_changes(const struct snapshot *snap, snapshot_change_fn fn,
	    void *arg, struct berth_error *err);

/* Write the changes to out_fd as an uncompressed OCI layer tar (pax):
 * added and changed paths with mode, owner, times, symlink targets,
 * device numbers and xattrs (trusted.overlay.* left out); hardlinked files
 * as separate copies; sockets left out; deleted paths as "dir/.wh.name";
 * opaque directories followed by "dir/.wh..wh..opq".  Upper must not be
 * written meanwhile (a stopped container, or the overlay unmounted). */
int	snapshot_export_changes(const struct snapshot *snap, int out_fd,
	    struct berth_error *err);

#endif
