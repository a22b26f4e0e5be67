/*
 * Volumes in berthd: the io.berth.Volume calls (volume-api.c), the
 * daemon's side of the store's volumes (volume.c: removal of a volume's
 * files by a helper, host mounts of tmpfs- and bind-backed volumes, the
 * reconciliation at start), and a container's mounts
 * (container-mounts.c).
 *
 * A container's mounts are resolved once, at create, into its config's
 * "mount_points" (Docker's MountPoints): every -v, --mount,
 * --volumes-from and image VOLUME as {Type, Name, Source, Destination,
 * RW, Mode, Propagation, ...}, anonymous volumes with the names they got.
 * Everything after (the spec at each start, inspect's Mounts, removal)
 * reads that list.
 */
#ifndef BERTHD_VOLUME_H
#define BERTHD_VOLUME_H

#include <stdbool.h>

#include <jansson.h>
#include <msgpack.h>

#include "error.h"
#include "message.h"
/* The store's half (same file name: reached by its path). */
#include "../store/volume.h"

struct container;
struct daemon;
struct job;
struct job_child;
struct peer;
struct rt_spec;

/* volume-api.c */
int	volume_api_create(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	volume_api_list(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	volume_api_inspect(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	volume_api_remove(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	volume_api_prune(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);

/* volume.c */
/* At start, once the containers are loaded: users whose container is
 * gone forgotten, host mounts no running container uses detached,
 * directories no volume owns removed. */
int	volumes_init(struct daemon *d, struct berth_error *err);
/* Remove a volume nothing uses: its row, then its files by a helper. */
int	volume_destroy(struct daemon *d, const char *name,
	    struct berth_error *err);
/* Only the row and the move aside: trash ("" for none), under
 * volume_trash_dir(), is the caller's to remove (job_tree_remove_all). */
int	volume_destroy_aside(struct daemon *d, const char *name,
	    char trash[VOLUME_TRASH_MAX], struct berth_error *err);
void	volume_trash_dir(struct daemon *d, char *buf, size_t size);
/* Whether a container other than except, running or being started,
 * mounts the volume. */
bool	volume_busy(struct daemon *d, const char *name,
	    const struct container *except);
/* Docker's volume document for v, with its users. */
json_t	*volume_doc(struct daemon *d, const struct volume *v);

/* container-mounts.c */
int	container_mounts_resolve(struct container *c, struct berth_error *err);
/* The spec's mounts (binds, volumes, tmpfs) from the mount points. */
int	container_mounts_spec(struct container *c, struct rt_spec *spec,
	    struct berth_error *err);
/* After create's checks: its volumes made (named ones that are not
 * there yet too, as Docker's), and the container recorded as their
 * user. */
int	container_mounts_register(struct container *c,
	    struct berth_error *err);
/* Its row is gone: it uses no volume any more; its anonymous volumes
 * are removed too with remove_anonymous (rm -v, --rm) unless another
 * container uses them. */
void	container_mounts_release(struct container *c, bool remove_anonymous);
/*
 * Before its process is spawned: missing -v host directories made,
 * tmpfs- and bind-backed volumes mounted on the host, and new empty
 * volumes filled from the image (copy-up, once per volume) by a helper,
 * never one another container holds.  0: ready; 1: a copy-up runs, or
 * another start's copy-up into one of its volumes does and it waits for
 * it, and container_start_continue(c, err) is called when that is over;
 * -1.  *job is always NULL: the copy is this file's, cancelled by
 * container_mounts_stopped (a stop, kill or removal while it runs).
 */
int	container_mounts_prepare(struct container *c, struct job **job,
	    struct berth_error *err);
/* It stopped (or its start was abandoned): its copy-up cancelled or
 * its wait for one's dropped, host-mounted volumes nothing else runs
 * with detached. */
void	container_mounts_stopped(struct container *c);
/* Inspect's Mounts. */
json_t	*container_mounts_doc(struct container *c);
/* berthd --helper volume-copy-up: {snapdir, id, lowers, copies: [{path,
 * volume}]}, volume the volume's directory (ROOT/volumes/NAME). */
int	volume_copy_up_child(const msgpack_object *args, struct job_child *jc,
	    msgpack_packer *result, struct berth_error *err);

#endif
