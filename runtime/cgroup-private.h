/*
 * What cgroup.c shares with cgroup-v1.c and cgroup-v2.c: the handle (one
 * hierarchy per mount the container's cgroup lives in), the table of
 * operations each hierarchy kind provides, and the small file helpers
 * both use.  Not part of the runtime's API.
 */
#ifndef BERTH_RUNTIME_CGROUP_PRIVATE_H
#define BERTH_RUNTIME_CGROUP_PRIVATE_H

#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cgroup.h"

/* The controllers berth uses, as bits. */
#define CG_MEMORY	0x01u
#define CG_CPU		0x02u
#define CG_CPUACCT	0x04u
#define CG_CPUSET	0x08u
#define CG_PIDS		0x10u
#define CG_FREEZER	0x20u
#define CG_DEVICES	0x40u
#define CG_ALL		0x7fu

/* At most one hierarchy per controller. */
#define CG_HIER_MAX	7

/* How long freezing, emptying and removing may take. */
#define CG_WAIT_MS	5000
#define CG_RMDIR_MS	1000

/* One hierarchy: a v1 controller mount, or the v2 mount. */
struct cg_hier {
	char		*mount;		/* /sys/fs/cgroup/memory */
	unsigned	 ctrls;		/* CG_* held (v2: CG_ALL) */
	char		*dir;		/* mount + "/" + path */
	int		 dirfd;		/* the leaf, O_DIRECTORY, or -1 */
	int		 created;	/* trailing levels this call made */
};

struct rt_cgroup {
	enum cgroup_mode mode;
	char		*path;		/* "berth/ID" */
	int		 depth;		/* components in path */
	struct cg_hier	 hier[CG_HIER_MAX];
	size_t		 nhier;
};

/* What differs between v1 and v2; every hook returns 0 or -1. */
struct cgroup_ops {
	/* Fill cg->hier[] (mount, ctrls) for the mount point root. */
	int	(*hierarchies)(struct rt_cgroup *, const char *root,
		    struct berth_error *);
	/* Refuse, before anything is made, limits the host cannot apply
	 * (or NULL). */
	int	(*check)(struct rt_cgroup *, const struct rt_resources *,
		    struct berth_error *);
	/* Prepare a directory just made (fd) under parentfd (or NULL). */
	int	(*init_dir)(struct cg_hier *, int parentfd, int fd,
		    const char *dir, struct berth_error *);
	/* Enable controllers and write the limits, once all dirs exist. */
	int	(*apply)(struct rt_cgroup *, const struct rt_resources *,
		    struct berth_error *);
	int	(*freeze)(struct rt_cgroup *, bool, struct berth_error *);
	int	(*frozen)(struct rt_cgroup *, bool *, struct berth_error *);
	int	(*stats)(struct rt_cgroup *, struct cgroup_stats *,
		    struct berth_error *);
	int	(*kill)(struct rt_cgroup *, int, struct berth_error *);
};

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;

/* cgroup-devices.c: which device nodes the container may use.  v1: the
 * devices controller's deny and allow lists; v2: a BPF_CGROUP_DEVICE
 * program attached to the cgroup. */
int	cgroup_devices_v1(int dirfd, const char *dir,
	    const struct rt_resources *r, struct berth_error *err);
int	cgroup_devices_v2(int dirfd, const char *dir,
	    const struct rt_resources *r, struct berth_error *err);

/* cpu.weight from v1 cpu.shares (the runc/crun formula). */
uint64_t cgroup_v2_weight(uint64_t shares);

/* The controllers the limits in r need (CG_*), and the name of the
 * limit that needs ctrl, for messages ("memory limit"). */
unsigned cgroup_needs(const struct rt_resources *r);
const char *cgroup_limit_name(const struct rt_resources *r, unsigned ctrl);
/* The controller name of one CG_* bit ("memory"). */
const char *cgroup_ctrl_name(unsigned ctrl);

/* Files of a cgroup directory (dirfd, named dir in messages). */
int	cgroup_file_read(int dirfd, const char *dir, const char *file,
	    char **out, struct berth_error *err);
int	cgroup_file_write(int dirfd, const char *dir, const char *file,
	    const char *value, struct berth_error *err);
int	cgroup_file_write_u64(int dirfd, const char *dir, const char *file,
	    uint64_t value, struct berth_error *err);
/* A number, or "max" as UINT64_MAX. */
int	cgroup_file_u64(int dirfd, const char *dir, const char *file,
	    uint64_t *value, struct berth_error *err);
/* "key value" lines: the value of key, 0 if the line is missing. */
int	cgroup_file_keyed(int dirfd, const char *dir, const char *file,
	    const char *key, uint64_t *value, struct berth_error *err);
/* The same from a buffer already read; -1 when the value is bad. */
int	cgroup_keyed_parse(const char *buf, const char *key,
	    uint64_t *value);
bool	cgroup_file_exists(int dirfd, const char *file);
/* Does the space-separated list hold word? */
bool	cgroup_word_in(const char *list, const char *word);

/* The pids in h's cgroup.procs; signal each (gone ones are fine). */
int	cgroup_procs_read(struct cg_hier *h, pid_t **pids, size_t *n,
	    struct berth_error *err);
int	cgroup_procs_signal(struct cg_hier *h, int sig,
	    struct berth_error *err);
/* The hierarchy holding ctrl, or NULL; where to list processes. */
struct cg_hier *cgroup_hier_find(struct rt_cgroup *cg, unsigned ctrl);
struct cg_hier *cgroup_hier_primary(struct rt_cgroup *cg);
/* mount + the first depth components of path (malloc'd), or NULL. */
char	*cgroup_level_path(const struct cg_hier *h, const char *path,
	    int depth);

/* Bounded waits. */
void	cgroup_deadline(struct timespec *ts, int ms);
int	cgroup_remaining_ms(const struct timespec *deadline);
void	cgroup_nap(void);

#endif
