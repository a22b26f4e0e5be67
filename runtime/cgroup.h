/*
 * Cgroups for containers, on the unified (v2) hierarchy or on v1
 * hierarchies (hybrid hosts: memory, cpu, pids ... on v1).
 *
 * A container's cgroup is a path relative to each hierarchy's root, e.g.
 * "berth/ID".  berth creates what it needs under that path and never
 * writes to a cgroup it did not create: on v2 it enables controllers only
 * in its own directories, and fails (Unsupported, naming the controller)
 * when the host does not delegate one to it.
 */
#ifndef BERTH_RUNTIME_CGROUP_H
#define BERTH_RUNTIME_CGROUP_H

#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "spec.h"

enum cgroup_mode {
	CGROUP_AUTO = 0,	/* cgroup_set_root: detect again */
	CGROUP_V1 = 1,
	CGROUP_V2 = 2,
};

struct rt_cgroup;

struct cgroup_stats {
	uint64_t	memory_usage;	/* bytes */
	uint64_t	memory_limit;	/* bytes; UINT64_MAX if none */
	uint64_t	cpu_usage_ns;
	uint64_t	pids_current;
	uint64_t	oom_kills;	/* times the OOM killer struck */
	/* For docker stats; 0 where the host does not tell. */
	uint64_t	cpu_user_ns;
	uint64_t	cpu_system_ns;
	uint64_t	pids_limit;	/* UINT64_MAX if none */
	uint64_t	memory_cache;	/* v1 cache, v2 file */
	uint64_t	memory_rss;	/* v1 rss, v2 anon */
	uint64_t	memory_active_file;
	uint64_t	memory_inactive_file;	/* v1 total_inactive_file */
	uint64_t	io_read_bytes;	/* v2 io.stat; not on v1 */
	uint64_t	io_write_bytes;
};

/* v2 when /sys/fs/cgroup is cgroup2, else v1; or the mode set by
 * cgroup_set_root(). */
int	cgroup_detect(enum cgroup_mode *mode, struct berth_error *err);
/* Use mode and mountpoint for the cgroups created or opened from now on
 * (process-wide; call before any).  v2: the cgroup2 mount (e.g.
 * /sys/fs/cgroup/unified on a hybrid host); v1: the directory holding
 * the per-controller mounts.  mountpoint NULL means /sys/fs/cgroup;
 * CGROUP_AUTO goes back to detection. */
int	cgroup_set_root(enum cgroup_mode mode, const char *mountpoint,
	    struct berth_error *err);

/* Create path (and the parents berth needs) and apply res.  Fails with
 * RT_E_UNSUPPORTED naming a limit the host cannot apply, and then leaves
 * nothing behind. */
int	cgroup_create(const char *path, const struct rt_resources *res,
	    struct rt_cgroup **out, struct berth_error *err);
/* An existing container cgroup (for pause, kill, ps, stats, delete). */
int	cgroup_open(const char *path, struct rt_cgroup **out,
	    struct berth_error *err);
void	cgroup_free(struct rt_cgroup *cg);

enum cgroup_mode cgroup_mode_of(const struct rt_cgroup *cg);
const char *cgroup_path(const struct rt_cgroup *cg);

/* v2: a directory fd for clone3's CLONE_INTO_CGROUP; -1 on v1. */
int	cgroup_clone_fd(const struct rt_cgroup *cg);
/* Move pid into the cgroup (every v1 hierarchy; cgroup.procs on v2). */
int	cgroup_attach(struct rt_cgroup *cg, pid_t pid,
	    struct berth_error *err);
/* Freeze or thaw, returning once the kernel says it is done. */
int	cgroup_freeze(struct rt_cgroup *cg, bool frozen,
	    struct berth_error *err);
int	cgroup_frozen(struct rt_cgroup *cg, bool *frozen,
	    struct berth_error *err);
int	cgroup_stats(struct rt_cgroup *cg, struct cgroup_stats *out,
	    struct berth_error *err);
/* Every pid in the cgroup (malloc'd array). */
int	cgroup_pids(struct rt_cgroup *cg, pid_t **pids, size_t *n,
	    struct berth_error *err);
/* Signal every process in the cgroup. */
int	cgroup_kill(struct rt_cgroup *cg, int sig, struct berth_error *err);
/* Remove the cgroup (in every hierarchy), killing what is left in it
 * first, waiting for it to empty (bounded). */
int	cgroup_destroy(struct rt_cgroup *cg, struct berth_error *err);
/*
 * Event fds for a supervisor's loop (cgroup-events.c): poll ev.fd for
 * POLLIN (v1, an eventfd) or POLLPRI (v2, a cgroup file), then call
 * cgroup_event_ack: it consumes the wake-up and gives, for OOM, the OOM
 * events since the last ack (v1) or the cgroup's oom_kill count (v2), and
 * for populated, 1 or 0.  Populated needs v2 (Unsupported on v1).
 */
enum cgroup_event_kind {
	CGROUP_EVENT_OOM,
	CGROUP_EVENT_POPULATED,
};

struct cgroup_event {
	int			 fd;		/* to poll */
	int			 file_fd;	/* kept open while watching */
	enum cgroup_event_kind	 kind;
	enum cgroup_mode	 mode;
};

void	cgroup_event_init(struct cgroup_event *ev);
int	cgroup_event_open(struct rt_cgroup *cg, enum cgroup_event_kind kind,
	    struct cgroup_event *ev, struct berth_error *err);
int	cgroup_event_ack(struct cgroup_event *ev, uint64_t *value,
	    struct berth_error *err);
void	cgroup_event_close(struct cgroup_event *ev);

/* Remove an empty parent directory berth made (e.g. "berth-test-42"). */
int	cgroup_remove_parent(const char *path, struct berth_error *err);

#endif
