/*
 * io.berth.Container's calls that look at a container without changing
 * its lifecycle: Top, Stats, Rename, Diff, Export (container-info.c),
 * and the helpers behind the ones that walk trees or run ps.
 */
#ifndef BERTHD_CONTAINER_INFO_H
#define BERTHD_CONTAINER_INFO_H

#include <msgpack.h>

#include "dispatch.h"
#include "error.h"

struct job_child;
struct snapshot;

int	container_api_top(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_stats(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_rename(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_diff(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);
int	container_api_export(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);

/* berthd --helper container-top: {ps_args, pids}: the host's ps, its
 * rows of the container's processes. */
int	container_top_child(const msgpack_object *args, struct job_child *c,
	    msgpack_packer *result, struct berth_error *err);
/* berthd --helper container-diff: {snapdir, id, lowers}: the changes. */
int	container_diff_child(const msgpack_object *args, struct job_child *c,
	    msgpack_packer *result, struct berth_error *err);
/* berthd --helper container-export: {snapdir, id, lowers, pid}: the
 * filesystem as a tar on fd 1. */
int	container_export_child(const msgpack_object *args,
	    struct job_child *c, msgpack_packer *result,
	    struct berth_error *err);

/* In a helper: the snapshot that args' {snapdir, id, lowers} name,
 * opened (kind names the helper in errors). */
int	container_arg_snapshot(const msgpack_object *args, const char *kind,
	    struct snapshot *snap, struct berth_error *err);

#endif
