/*
 * The container description the spawner takes: data filled once (by
 * berthd from a client's request, or by berth-runtime from an OCI
 * config.json) and applied by the spawner in documented steps.
 *
 * Strings and arrays are owned by the spec and freed by spec_free().
 */
#ifndef BERTH_RUNTIME_SPEC_H
#define BERTH_RUNTIME_SPEC_H

#include <sys/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Error names of the runtime. */
#define RT_E_SPEC		"io.berth.Runtime.InvalidSpec"
#define RT_E_UNSUPPORTED	"io.berth.Runtime.Unsupported"
#define RT_E_SETUP		"io.berth.Runtime.SetupFailed"
#define RT_E_NOT_FOUND		"io.berth.Runtime.ExecutableNotFound"
#define RT_E_NOT_EXECUTABLE	"io.berth.Runtime.NotExecutable"
#define RT_E_CGROUP		"io.berth.Runtime.CgroupFailed"

/* Namespaces, in the order the spawner joins or creates them. */
enum rt_ns {
	RT_NS_USER,
	RT_NS_MOUNT,
	RT_NS_PID,
	RT_NS_UTS,
	RT_NS_IPC,
	RT_NS_NET,
	RT_NS_CGROUP,
	RT_NS_COUNT,
};

struct rt_namespace {
	bool	 enabled;	/* a namespace of its own (new or joined) */
	char	*path;		/* join this one (/proc/PID/ns/net), or NULL */
};

struct rt_idmap {
	uint32_t	container;
	uint32_t	host;
	uint32_t	size;
};

struct rt_mount {
	char		*destination;	/* inside the container */
	char		*type;		/* "bind", "proc", "tmpfs", ... */
	char		*source;
	unsigned long	 flags;		/* MS_* from the options */
	unsigned long	 propagation;	/* MS_PRIVATE, MS_SLAVE, ... or 0 */
	char		*data;		/* fs-specific options, or NULL */
	bool		 bind;		/* MS_BIND (with MS_REC if rbind) */
};

struct rt_rlimit {
	int		resource;	/* RLIMIT_* */
	uint64_t	soft;
	uint64_t	hard;
};

/* A device node made in the container's /dev. */
struct rt_device {
	char		*path;		/* /dev/fuse */
	char		 type;		/* 'c', 'b' or 'p' */
	uint32_t	 major;
	uint32_t	 minor;
	mode_t		 mode;
	uid_t		 uid;
	gid_t		 gid;
};

/* Capability sets as bit masks of CAP_* numbers. */
struct rt_caps {
	uint64_t	bounding;
	uint64_t	effective;
	uint64_t	permitted;
	uint64_t	inheritable;
	uint64_t	ambient;
};

/* A device cgroup rule: which device nodes the container may use. */
struct rt_device_rule {
	bool		allow;
	char		type;		/* 'a' (all), 'c' or 'b' */
	int64_t		major;		/* -1: any */
	int64_t		minor;		/* -1: any */
	char		access[4];	/* some of "rwm" */
};

/* Cgroup limits; a field at its "unset" value leaves the kernel default. */
struct rt_resources {
	int64_t		memory_limit;		/* bytes; -1 unset */
	int64_t		memory_swap;		/* memory+swap bytes; -1 unset,
						   0 = same as memory_limit */
	int64_t		cpu_quota;		/* us per period; -1 unset */
	uint64_t	cpu_period;		/* us; 0 unset (100000) */
	uint64_t	cpu_shares;		/* v1 shares 2..262144; 0 unset
						   (weight on v2 from it) */
	char		*cpuset_cpus;		/* "0-1", or NULL */
	char		*cpuset_mems;
	int64_t		pids_limit;		/* -1 unset (max) */
	/* Device access, applied in order after denying everything (v1
	 * devices cgroup; a BPF device program on v2).  NULL with
	 * ndevice_rules 0 and devices_unrestricted false: only the default
	 * devices (null, zero, full, random, urandom, tty, ptmx, pts). */
	struct rt_device_rule *device_rules;
	size_t		 ndevice_rules;
	bool		 devices_unrestricted;	/* privileged */
};

struct seccomp_profile;			/* runtime/seccomp.h */

struct rt_process {
	char		**args;			/* NULL-terminated */
	char		**env;			/* NULL-terminated "K=V" */
	char		*cwd;			/* absolute, in the container */
	/* The user: numeric ids, or a name looked up in the container's
	 * own /etc/passwd (and group in /etc/group) when user is set. */
	char		*user;			/* "name[:group]" or NULL */
	uid_t		 uid;
	gid_t		 gid;
	gid_t		*additional_gids;
	size_t		 nadditional_gids;
	bool		 has_umask;
	mode_t		 umask;
	struct rt_rlimit *rlimits;
	size_t		 nrlimits;
	bool		 terminal;
	struct rt_caps	 caps;
	bool		 no_new_privileges;
	int		 oom_score_adj;
	bool		 has_oom_score_adj;
};

struct rt_spec {
	char		*id;
	/* The root filesystem: root_path, or an overlay of lowerdirs
	 * (topmost first) plus upperdir and workdir mounted on root_path
	 * inside the container's mount namespace (so it goes with it). */
	char		*root_path;
	bool		 root_readonly;
	char		**overlay_lower;	/* NULL-terminated, or NULL */
	char		*overlay_upper;
	char		*overlay_work;

	char		*hostname;
	/* "net.ipv4.ip_unprivileged_port_start=0": namespaced sysctls only,
	 * written before /proc/sys turns read-only.  NULL-terminated. */
	char		**sysctls;
	struct rt_process process;

	struct rt_mount	*mounts;		/* in order */
	size_t		 nmounts;
	struct rt_device *devices;		/* beyond the default ones */
	size_t		 ndevices;
	char		**masked_paths;		/* NULL-terminated */
	char		**readonly_paths;	/* NULL-terminated */
	unsigned long	 rootfs_propagation;	/* default MS_SLAVE|MS_REC */

	struct rt_namespace namespaces[RT_NS_COUNT];
	struct rt_idmap	*uid_mappings;
	size_t		 nuid_mappings;
	struct rt_idmap	*gid_mappings;
	size_t		 ngid_mappings;

	char		*cgroup_path;		/* relative to berth's parent
						   cgroup, e.g. "berth/ID" */
	struct rt_resources resources;
	/* NULL: no seccomp filter (unconfined). */
	struct seccomp_profile *seccomp;
	/* All capabilities, no seccomp, the host's devices, nothing masked
	 * or read-only: what "--privileged" asks. */
	bool		 privileged;
};

/* Docker's defaults: the 14 capabilities, the default mounts, masked and
 * read-only paths, every namespace but user, the default seccomp profile.
 * args must be set by the caller. */
int	spec_init_default(struct rt_spec *spec, struct berth_error *err);
void	spec_free(struct rt_spec *spec);
void	rt_resources_init(struct rt_resources *r);

/* Docker's 14 default capabilities as a mask. */
uint64_t caps_docker_default(void);

/* Parse OCI/fstab mount options ("ro", "nosuid", "rbind", "rprivate",
 * "size=64m", ...) into flags, propagation, bind and data. */
int	mount_options_parse(struct rt_mount *m, const char *const *options,
	    size_t n, struct berth_error *err);

#endif
