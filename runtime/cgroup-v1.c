/*
 * Cgroup v1 hierarchies (hybrid and legacy hosts): finding each
 * controller's mount in mountinfo, seeding new cpuset directories,
 * writing the limits, the freezer, stats and signals.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cgroup-private.h"

#define MOUNTINFO	"/proc/self/mountinfo"
#define MOUNTINFO_FIELDS 64

/* memory.limit_in_bytes reads about 2^63 when there is no limit. */
#define V1_NO_LIMIT	(1ULL << 62)

/* The controllers listed in a cgroup mount's super options. */
static unsigned
v1_ctrls_of(const char *opts)
{
	static const unsigned bits[] = { CG_MEMORY, CG_CPU, CG_CPUACCT,
	    CG_CPUSET, CG_PIDS, CG_FREEZER, CG_DEVICES };
	unsigned ctrls = 0;
	const char *p = opts, *name;
	size_t n, i;

	while (*p != '\0') {
		n = strcspn(p, ",");
		for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
			name = cgroup_ctrl_name(bits[i]);
			if (strlen(name) == n && strncmp(p, name, n) == 0)
				ctrls |= bits[i];
		}
		p += n;
		p += *p == ',';
	}
	return (ctrls);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void
v1_unescape(char *s)
{
	char *out = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (s[1] - '0') * 64 + (s[2] - '0') * 8 +
			    (s[3] - '0');
			s += 3;
		} else
			*out++ = *s;
	}
	*out = '\0';
}

/*
 * Split a mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS
 * [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS".  Returns 0 when it is one.
 */
static int
v1_mount_parse(char *line, char **mnt, char **fstype, char **opts)
{
	char *f[MOUNTINFO_FIELDS], *save;
	int n = 0, i;

	for (f[n] = strtok_r(line, " \n", &save); f[n] != NULL &&
	    n + 1 < MOUNTINFO_FIELDS; f[n] = strtok_r(NULL, " \n", &save))
		n++;
	for (i = 6; i + 3 < n; i++) {
		if (strcmp(f[i], "-") != 0)
			continue;
		v1_unescape(f[4]);
		*mnt = f[4];
		*fstype = f[i + 1];
		*opts = f[i + 3];
		return (0);
	}
	return (-1);
}

/* Is mnt a directory directly in root? */
static bool
v1_under(const char *mnt, const char *root)
{
	size_t len = strlen(root);

	while (len > 1 && root[len - 1] == '/')
		len--;
	return (strncmp(mnt, root, len) == 0 && mnt[len] == '/' &&
	    mnt[len + 1] != '\0' && strchr(mnt + len + 1, '/') == NULL);
}

static int
v1_add(struct rt_cgroup *cg, const char *mnt, unsigned ctrls,
    struct berth_error *err)
{
	struct cg_hier *h;

	if (cg->nhier == CG_HIER_MAX)
		return (0);
	h = &cg->hier[cg->nhier];
	if ((h->mount = strdup(mnt)) == NULL)
		return (berth_error_set(err, RT_E_CGROUP, errno, "%s", mnt));
	h->ctrls = ctrls;
	cg->nhier++;
	return (0);
}

/* One hierarchy per mount of berth's controllers directly under root
 * (co-mounted "cpu,cpuacct" is one); bind mounts of one seen are
 * skipped. */
static int
v1_hierarchies(struct rt_cgroup *cg, const char *root,
    struct berth_error *err)
{
	cleanup_fclose FILE *f = NULL;
	cleanup_free char *line = NULL;
	char *mnt, *fstype, *opts;
	unsigned ctrls, seen = 0;
	size_t size = 0;

	if ((f = fopen(MOUNTINFO, "re")) == NULL)
		return (berth_error_set(err, RT_E_CGROUP, errno, "open %s",
		    MOUNTINFO));
	while (getline(&line, &size, f) != -1) {
		if (v1_mount_parse(line, &mnt, &fstype, &opts) == -1 ||
		    strcmp(fstype, "cgroup") != 0 || !v1_under(mnt, root))
			continue;
		ctrls = v1_ctrls_of(opts);
		if (ctrls == 0 || (ctrls & seen) != 0)
			continue;
		if (v1_add(cg, mnt, ctrls, err) == -1)
			return (-1);
		seen |= ctrls;
	}
	if (cg->nhier == 0)
		return (berth_error_set(err, RT_E_UNSUPPORTED, ENOENT,
		    "no cgroup v1 hierarchy of memory, cpu, cpuset, pids or "
		    "freezer mounted under %s", root));
	return (0);
}

/* Every limit asked has its controller mounted; swap needs memsw. */
static int
v1_check(struct rt_cgroup *cg, const struct rt_resources *r,
    struct berth_error *err)
{
	cleanup_close int fd = -1;
	struct cg_hier *h;
	unsigned need = cgroup_needs(r), bit;

	for (bit = 1; bit <= CG_ALL; bit <<= 1) {
		if ((need & bit) != 0 && cgroup_hier_find(cg, bit) == NULL)
			return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
			    "%s: no cgroup v1 hierarchy of the %s controller",
			    cgroup_limit_name(r, bit), cgroup_ctrl_name(bit)));
	}
	if (r->memory_swap < 0 || (h = cgroup_hier_find(cg, CG_MEMORY)) ==
	    NULL)
		return (0);
	fd = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return (berth_error_set(err, RT_E_CGROUP, errno, "open %s",
		    h->mount));
	if (!cgroup_file_exists(fd, "memory.memsw.limit_in_bytes"))
		return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
		    "memory swap limit: the kernel has no swap accounting "
		    "(memory.memsw.*)"));
	return (0);
}

/* Copy one cpuset file from the parent; empty stays empty. */
static int
v1_cpuset_copy(int parentfd, const char *parent, int fd, const char *dir,
    const char *file, struct berth_error *err)
{
	cleanup_free char *value = NULL;

	if (cgroup_file_read(parentfd, parent, file, &value, err) == -1)
		return (-1);
	value[strcspn(value, "\n")] = '\0';
	if (*value == '\0')
		return (0);
	return (cgroup_file_write(fd, dir, file, value, err));
}

/*
 * A new v1 cpuset cgroup has empty cpus and mems, and no task can join
 * it until they are set: copy the parent's, top-down as the directories
 * are made, before anything is attached.
 */
static int
v1_init_dir(struct cg_hier *h, int parentfd, int fd, const char *dir,
    struct berth_error *err)
{
	cleanup_free char *parent = NULL;

	if ((h->ctrls & CG_CPUSET) == 0)
		return (0);
	if ((parent = strndup(dir, strrchr(dir, '/') - dir)) == NULL)
		return (berth_error_set(err, RT_E_CGROUP, errno, "%s", dir));
	if (v1_cpuset_copy(parentfd, parent, fd, dir, "cpuset.cpus",
	    err) == -1 ||
	    v1_cpuset_copy(parentfd, parent, fd, dir, "cpuset.mems",
	    err) == -1)
		return (berth_error_wrap(err, "cpuset"));
	return (0);
}

/*
 * The kernel keeps memsw.limit >= limit at all times: when the new limit
 * is above the current memsw limit, memsw goes first; else the limit.
 */
static int
v1_memory_swap(struct cg_hier *h, uint64_t limit, uint64_t swap,
    struct berth_error *err)
{
	uint64_t cur;
	bool swap_first;

	if (cgroup_file_u64(h->dirfd, h->dir, "memory.memsw.limit_in_bytes",
	    &cur, err) == -1)
		return (berth_error_wrap(err, "memory swap limit"));
	swap_first = limit > cur;
	if (swap_first && cgroup_file_write_u64(h->dirfd, h->dir,
	    "memory.memsw.limit_in_bytes", swap, err) == -1)
		return (berth_error_wrap(err, "memory swap limit"));
	if (cgroup_file_write_u64(h->dirfd, h->dir, "memory.limit_in_bytes",
	    limit, err) == -1)
		return (berth_error_wrap(err, "memory limit"));
	if (!swap_first && cgroup_file_write_u64(h->dirfd, h->dir,
	    "memory.memsw.limit_in_bytes", swap, err) == -1)
		return (berth_error_wrap(err, "memory swap limit"));
	return (0);
}

/* memory_swap 0 means memory+swap = memory: no swap at all. */
static int
v1_memory(struct rt_cgroup *cg, const struct rt_resources *r,
    struct berth_error *err)
{
	struct cg_hier *h = cgroup_hier_find(cg, CG_MEMORY);
	uint64_t limit = r->memory_limit;

	if (r->memory_swap >= 0)
		return (v1_memory_swap(h, limit, r->memory_swap == 0 ? limit :
		    (uint64_t)r->memory_swap, err));
	if (cgroup_file_write_u64(h->dirfd, h->dir, "memory.limit_in_bytes",
	    limit, err) == -1)
		return (berth_error_wrap(err, "memory limit"));
	return (0);
}

static int
v1_cpu(struct rt_cgroup *cg, const struct rt_resources *r,
    struct berth_error *err)
{
	struct cg_hier *h = cgroup_hier_find(cg, CG_CPU);

	if (r->cpu_period != 0 && cgroup_file_write_u64(h->dirfd, h->dir,
	    "cpu.cfs_period_us", r->cpu_period, err) == -1)
		return (berth_error_wrap(err, "cpu period"));
	if (r->cpu_quota > 0 && cgroup_file_write_u64(h->dirfd, h->dir,
	    "cpu.cfs_quota_us", r->cpu_quota, err) == -1)
		return (berth_error_wrap(err, "cpu quota"));
	if (r->cpu_shares != 0 && cgroup_file_write_u64(h->dirfd, h->dir,
	    "cpu.shares", r->cpu_shares, err) == -1)
		return (berth_error_wrap(err, "cpu shares"));
	return (0);
}

static int
v1_cpuset(struct rt_cgroup *cg, const struct rt_resources *r,
    struct berth_error *err)
{
	struct cg_hier *h = cgroup_hier_find(cg, CG_CPUSET);

	if (r->cpuset_cpus != NULL && cgroup_file_write(h->dirfd, h->dir,
	    "cpuset.cpus", r->cpuset_cpus, err) == -1)
		return (berth_error_wrap(err, "cpuset cpus"));
	if (r->cpuset_mems != NULL && cgroup_file_write(h->dirfd, h->dir,
	    "cpuset.mems", r->cpuset_mems, err) == -1)
		return (berth_error_wrap(err, "cpuset mems"));
	return (0);
}

static int
v1_pids(struct rt_cgroup *cg, const struct rt_resources *r,
    struct berth_error *err)
{
	struct cg_hier *h = cgroup_hier_find(cg, CG_PIDS);

	if (r->pids_limit > 0 && cgroup_file_write_u64(h->dirfd, h->dir,
	    "pids.max", r->pids_limit, err) == -1)
		return (berth_error_wrap(err, "pids limit"));
	return (0);
}

/* v1_check made sure each controller asked for has its hierarchy. */
static int
v1_apply(struct rt_cgroup *cg, const struct rt_resources *r,
    struct berth_error *err)
{
	unsigned need = cgroup_needs(r);

	if ((need & CG_MEMORY) && v1_memory(cg, r, err) == -1)
		return (-1);
	if ((need & CG_CPU) && v1_cpu(cg, r, err) == -1)
		return (-1);
	if ((need & CG_CPUSET) && v1_cpuset(cg, r, err) == -1)
		return (-1);
	if ((need & CG_PIDS) && v1_pids(cg, r, err) == -1)
		return (-1);
	if (need & CG_DEVICES) {
		struct cg_hier *h = cgroup_hier_find(cg, CG_DEVICES);

		if (cgroup_devices_v1(h->dirfd, h->dir, r, err) == -1)
			return (-1);
	}
	return (0);
}

static struct cg_hier *
v1_freezer(struct rt_cgroup *cg, struct berth_error *err)
{
	struct cg_hier *h = cgroup_hier_find(cg, CG_FREEZER);

	if (h == NULL)
		berth_error_set(err, RT_E_UNSUPPORTED, 0,
		    "no cgroup v1 hierarchy of the freezer controller");
	return (h);
}

static int
v1_state(struct cg_hier *h, char *buf, size_t size, struct berth_error *err)
{
	cleanup_free char *state = NULL;

	if (cgroup_file_read(h->dirfd, h->dir, "freezer.state", &state,
	    err) == -1)
		return (-1);
	state[strcspn(state, "\n")] = '\0';
	snprintf(buf, size, "%s", state);
	return (0);
}

/*
 * v1 says FREEZING until every task stopped and gives no event: write
 * the state again (the kernel retries the tasks it missed) and read it
 * back, with short naps, until it is there or the time is up.
 */
static int
v1_freeze(struct rt_cgroup *cg, bool frozen, struct berth_error *err)
{
	struct cg_hier *h;
	struct timespec deadline;
	const char *want = frozen ? "FROZEN" : "THAWED";
	char state[32];

	if ((h = v1_freezer(cg, err)) == NULL)
		return (-1);
	cgroup_deadline(&deadline, CG_WAIT_MS);
	for (;;) {
		if (cgroup_file_write(h->dirfd, h->dir, "freezer.state", want,
		    err) == -1 || v1_state(h, state, sizeof(state), err) == -1)
			return (-1);
		if (strcmp(state, want) == 0)
			return (0);
		if (cgroup_remaining_ms(&deadline) == 0)
			return (berth_error_set(err, RT_E_CGROUP, ETIMEDOUT,
			    "%s/freezer.state: %s, not %s, after %d ms",
			    h->dir, state, want, CG_WAIT_MS));
		cgroup_nap();
	}
}

static int
v1_frozen(struct rt_cgroup *cg, bool *frozen, struct berth_error *err)
{
	struct cg_hier *h;
	char state[32];

	if ((h = v1_freezer(cg, err)) == NULL ||
	    v1_state(h, state, sizeof(state), err) == -1)
		return (-1);
	*frozen = strcmp(state, "FROZEN") == 0;
	return (0);
}

/* memory.stat's lines that docker stats shows. */
static int
v1_stats_memory_stat(struct cg_hier *h, struct cgroup_stats *out,
    struct berth_error *err)
{
	cleanup_free char *buf = NULL;

	if (cgroup_file_read(h->dirfd, h->dir, "memory.stat", &buf,
	    err) == -1)
		return (-1);
	if (cgroup_keyed_parse(buf, "cache", &out->memory_cache) == -1 ||
	    cgroup_keyed_parse(buf, "rss", &out->memory_rss) == -1 ||
	    cgroup_keyed_parse(buf, "total_active_file",
	    &out->memory_active_file) == -1 ||
	    cgroup_keyed_parse(buf, "total_inactive_file",
	    &out->memory_inactive_file) == -1)
		return (berth_error_set(err, RT_E_CGROUP, EINVAL,
		    "%s/memory.stat: not a number", h->dir));
	return (0);
}

/* cpuacct.stat counts USER_HZ ticks. */
static int
v1_stats_cpu(struct cg_hier *h, struct cgroup_stats *out,
    struct berth_error *err)
{
	long hz = sysconf(_SC_CLK_TCK);
	cleanup_free char *buf = NULL;
	uint64_t user = 0, sys = 0;

	if (cgroup_file_u64(h->dirfd, h->dir, "cpuacct.usage",
	    &out->cpu_usage_ns, err) == -1 ||
	    cgroup_file_read(h->dirfd, h->dir, "cpuacct.stat", &buf,
	    err) == -1)
		return (-1);
	if (cgroup_keyed_parse(buf, "user", &user) == -1 ||
	    cgroup_keyed_parse(buf, "system", &sys) == -1)
		return (berth_error_set(err, RT_E_CGROUP, EINVAL,
		    "%s/cpuacct.stat: not a number", h->dir));
	if (hz <= 0)
		hz = 100;
	out->cpu_user_ns = user * (1000000000ULL / (uint64_t)hz);
	out->cpu_system_ns = sys * (1000000000ULL / (uint64_t)hz);
	return (0);
}

static int
v1_stats_memory(struct cg_hier *h, struct cgroup_stats *out,
    struct berth_error *err)
{
	if (cgroup_file_u64(h->dirfd, h->dir, "memory.usage_in_bytes",
	    &out->memory_usage, err) == -1 ||
	    cgroup_file_u64(h->dirfd, h->dir, "memory.limit_in_bytes",
	    &out->memory_limit, err) == -1 ||
	    cgroup_file_keyed(h->dirfd, h->dir, "memory.oom_control",
	    "oom_kill", &out->oom_kills, err) == -1)
		return (-1);
	if (out->memory_limit >= V1_NO_LIMIT)
		out->memory_limit = UINT64_MAX;
	return (v1_stats_memory_stat(h, out, err));
}

static int
v1_stats(struct rt_cgroup *cg, struct cgroup_stats *out,
    struct berth_error *err)
{
	cleanup_free pid_t *pids = NULL;
	struct cg_hier *h;
	size_t n;

	if ((h = cgroup_hier_find(cg, CG_MEMORY)) != NULL &&
	    v1_stats_memory(h, out, err) == -1)
		return (-1);
	if ((h = cgroup_hier_find(cg, CG_CPUACCT)) != NULL &&
	    v1_stats_cpu(h, out, err) == -1)
		return (-1);
	if ((h = cgroup_hier_find(cg, CG_PIDS)) != NULL)
		return (cgroup_file_u64(h->dirfd, h->dir, "pids.max",
		    &out->pids_limit, err) == -1 ? -1 :
		    cgroup_file_u64(h->dirfd, h->dir, "pids.current",
		    &out->pids_current, err));
	if (cgroup_procs_read(cgroup_hier_primary(cg), &pids, &n, err) == -1)
		return (-1);
	out->pids_current = n;
	return (0);
}

/*
 * SIGKILL with a freezer: freeze first, so that nothing forks between
 * reading cgroup.procs and the kills, then thaw for the kills to land
 * (a frozen v1 task does not die until thawed).
 */
static int
v1_kill(struct rt_cgroup *cg, int sig, struct berth_error *err)
{
	cleanup_error struct berth_error ignored = BERTH_ERROR_INIT;
	struct cg_hier *h = cgroup_hier_find(cg, CG_FREEZER);
	int rc;

	if (sig != SIGKILL || h == NULL)
		return (cgroup_procs_signal(cgroup_hier_primary(cg), sig, err));
	v1_freeze(cg, true, &ignored);
	rc = cgroup_procs_signal(h, sig, err);
	if (v1_freeze(cg, false, rc == 0 ? err : &ignored) == -1)
		rc = -1;
	return (rc);
}

const struct cgroup_ops cgroup_v1_ops = {
	.hierarchies = v1_hierarchies,
	.check = v1_check,
	.init_dir = v1_init_dir,
	.apply = v1_apply,
	.freeze = v1_freeze,
	.frozen = v1_frozen,
	.stats = v1_stats,
	.kill = v1_kill,
};
