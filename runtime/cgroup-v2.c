/*
 * The cgroup v2 (unified) hierarchy: enabling controllers in the
 * directories berth made, writing the limits, cgroup.freeze with its
 * event, cgroup.kill, and stats.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cgroup-private.h"

/* The v2 controllers berth limits with. */
#define V2_CTRLS	(CG_MEMORY | CG_CPU | CG_CPUSET | CG_PIDS)
#define V2_DEFAULT_PERIOD 100000

uint64_t
cgroup_v2_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return (1 + ((shares - 2) * 9999) / 262142);
}

static int
v2_hierarchies(struct rt_cgroup *cg, const char *root,
    struct berth_error *err)
{
	if ((cg->hier[0].mount = strdup(root)) == NULL)
		return (berth_error_set(err, RT_E_CGROUP, errno, "%s", root));
	cg->hier[0].ctrls = CG_ALL;
	cg->nhier = 1;
	return (0);
}

/* "+memory +cpu" for the bits in ctrls. */
static void
v2_tokens(unsigned ctrls, char *buf, size_t size)
{
	unsigned bit;

	*buf = '\0';
	for (bit = 1; bit <= CG_ALL; bit <<= 1) {
		if ((ctrls & bit) == 0)
			continue;
		snprintf(buf + strlen(buf), size - strlen(buf), "%s+%s",
		    *buf != '\0' ? " " : "", cgroup_ctrl_name(bit));
	}
}

/* The V2_CTRLS listed in dir's cgroup.controllers; *list keeps the text. */
static int
v2_available(int fd, const char *dir, unsigned *avail, char **list,
    struct berth_error *err)
{
	unsigned bit;

	if (cgroup_file_read(fd, dir, "cgroup.controllers", list, err) == -1)
		return (-1);
	(*list)[strcspn(*list, "\n")] = '\0';
	*avail = 0;
	for (bit = 1; bit <= CG_ALL; bit <<= 1) {
		if ((V2_CTRLS & bit) &&
		    cgroup_word_in(*list, cgroup_ctrl_name(bit)))
			*avail |= bit;
	}
	return (0);
}

/*
 * One level this create made: every controller needed must be offered
 * to it (by its parent's subtree_control); above the leaf, enable for
 * the level below the needed ones and the other available ones of
 * V2_CTRLS, so later siblings under a shared parent can use them too.
 */
static int
v2_enable_level(const char *dir, bool leaf, const struct rt_resources *r,
    struct berth_error *err)
{
	cleanup_close int fd = -1;
	cleanup_free char *list = NULL;
	unsigned need = cgroup_needs(r) & V2_CTRLS, avail, bit;
	char tokens[64];

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (berth_error_set(err, RT_E_CGROUP, errno, "open %s",
		    dir));
	if (v2_available(fd, dir, &avail, &list, err) == -1)
		return (-1);
	for (bit = 1; bit <= CG_ALL; bit <<= 1) {
		if ((need & bit) && (avail & bit) == 0)
			return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
			    "%s: the %s controller is not available in %s "
			    "(cgroup.controllers: %s)",
			    cgroup_limit_name(r, bit), cgroup_ctrl_name(bit),
			    dir, list));
	}
	if (leaf || avail == 0)
		return (0);
	v2_tokens(avail, tokens, sizeof(tokens));
	return (cgroup_file_write(fd, dir, "cgroup.subtree_control", tokens,
	    err));
}

/* Top-down over the levels this create made: never the mount root nor
 * a directory that was there before. */
static int
v2_enable(struct rt_cgroup *cg, const struct rt_resources *r,
    struct berth_error *err)
{
	struct cg_hier *h = &cg->hier[0];
	char *dir;
	int level, rc;

	for (level = cg->depth - h->created + 1; level <= cg->depth;
	    level++) {
		if ((dir = cgroup_level_path(h, cg->path, level)) == NULL)
			return (berth_error_set(err, RT_E_CGROUP, errno, "%s",
			    cg->path));
		rc = v2_enable_level(dir, level == cg->depth, r, err);
		free(dir);
		if (rc == -1)
			return (-1);
	}
	return (0);
}

/* memory.swap.max is swap alone: memory_swap - memory_limit. */
static int
v2_memory(struct cg_hier *h, const struct rt_resources *r,
    struct berth_error *err)
{
	uint64_t swap;

	if (cgroup_file_write_u64(h->dirfd, h->dir, "memory.max",
	    r->memory_limit, err) == -1)
		return (berth_error_wrap(err, "memory limit"));
	if (r->memory_swap < 0)
		return (0);
	if (!cgroup_file_exists(h->dirfd, "memory.swap.max"))
		return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
		    "memory swap limit: the kernel has no swap accounting "
		    "(memory.swap.max)"));
	swap = r->memory_swap == 0 ? 0 : r->memory_swap - r->memory_limit;
	if (cgroup_file_write_u64(h->dirfd, h->dir, "memory.swap.max", swap,
	    err) == -1)
		return (berth_error_wrap(err, "memory swap limit"));
	return (0);
}

static int
v2_cpu(struct cg_hier *h, const struct rt_resources *r,
    struct berth_error *err)
{
	uint64_t period = r->cpu_period != 0 ? r->cpu_period :
	    V2_DEFAULT_PERIOD;
	char buf[64];

	if (r->cpu_quota > 0 || r->cpu_period != 0) {
		if (r->cpu_quota > 0)
			snprintf(buf, sizeof(buf), "%lld %llu",
			    (long long)r->cpu_quota,
			    (unsigned long long)period);
		else
			snprintf(buf, sizeof(buf), "max %llu",
			    (unsigned long long)period);
		if (cgroup_file_write(h->dirfd, h->dir, "cpu.max", buf,
		    err) == -1)
			return (berth_error_wrap(err, "cpu quota"));
	}
	if (r->cpu_shares != 0 && cgroup_file_write_u64(h->dirfd, h->dir,
	    "cpu.weight", cgroup_v2_weight(r->cpu_shares), err) == -1)
		return (berth_error_wrap(err, "cpu shares"));
	return (0);
}

static int
v2_limits(struct cg_hier *h, const struct rt_resources *r,
    struct berth_error *err)
{
	if (r->memory_limit > 0 && v2_memory(h, r, err) == -1)
		return (-1);
	if (v2_cpu(h, r, err) == -1)
		return (-1);
	if (r->cpuset_cpus != NULL && cgroup_file_write(h->dirfd, h->dir,
	    "cpuset.cpus", r->cpuset_cpus, err) == -1)
		return (berth_error_wrap(err, "cpuset cpus"));
	if (r->cpuset_mems != NULL && cgroup_file_write(h->dirfd, h->dir,
	    "cpuset.mems", r->cpuset_mems, err) == -1)
		return (berth_error_wrap(err, "cpuset mems"));
	if (r->pids_limit > 0 && cgroup_file_write_u64(h->dirfd, h->dir,
	    "pids.max", r->pids_limit, err) == -1)
		return (berth_error_wrap(err, "pids limit"));
	return (0);
}

static int
v2_apply(struct rt_cgroup *cg, const struct rt_resources *r,
    struct berth_error *err)
{
	if (v2_enable(cg, r, err) == -1 ||
	    v2_limits(&cg->hier[0], r, err) == -1)
		return (-1);
	if (r->devices_unrestricted)
		return (0);
	return (cgroup_devices_v2(cg->hier[0].dirfd, cg->hier[0].dir, r,
	    err));
}

/* Read cgroup.events from fd again; the value of key. */
static int
v2_event_read(int fd, struct cg_hier *h, const char *key, uint64_t *value,
    struct berth_error *err)
{
	char buf[512];
	ssize_t n;

	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) == -1)
		return (berth_error_set(err, RT_E_CGROUP, errno,
		    "read %s/cgroup.events", h->dir));
	buf[n] = '\0';
	if (cgroup_keyed_parse(buf, key, value) == -1)
		return (berth_error_set(err, RT_E_CGROUP, EINVAL,
		    "%s/cgroup.events: %s: not a number", h->dir, key));
	return (0);
}

/* Wait (bounded) for "key want" in cgroup.events: the kernel wakes
 * POLLPRI pollers of the file on every change. */
static int
v2_event_wait(struct cg_hier *h, const char *key, uint64_t want,
    struct berth_error *err)
{
	cleanup_close int fd = -1;
	struct timespec deadline;
	struct pollfd pfd;
	uint64_t value;
	int ms;

	fd = openat(h->dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return (berth_error_set(err, RT_E_CGROUP, errno,
		    "open %s/cgroup.events", h->dir));
	cgroup_deadline(&deadline, CG_WAIT_MS);
	for (;;) {
		if (v2_event_read(fd, h, key, &value, err) == -1)
			return (-1);
		if (value == want)
			return (0);
		if ((ms = cgroup_remaining_ms(&deadline)) == 0)
			return (berth_error_set(err, RT_E_CGROUP, ETIMEDOUT,
			    "%s/cgroup.events: not \"%s %llu\" after %d ms",
			    h->dir, key, (unsigned long long)want,
			    CG_WAIT_MS));
		pfd.fd = fd;
		pfd.events = POLLPRI;
		if (poll(&pfd, 1, ms) == -1 && errno != EINTR)
			return (berth_error_set(err, RT_E_CGROUP, errno,
			    "poll %s/cgroup.events", h->dir));
	}
}

static int
v2_freeze(struct rt_cgroup *cg, bool frozen, struct berth_error *err)
{
	struct cg_hier *h = &cg->hier[0];

	if (cgroup_file_write(h->dirfd, h->dir, "cgroup.freeze",
	    frozen ? "1" : "0", err) == -1)
		return (-1);
	return (v2_event_wait(h, "frozen", frozen, err));
}

static int
v2_frozen(struct rt_cgroup *cg, bool *frozen, struct berth_error *err)
{
	struct cg_hier *h = &cg->hier[0];
	uint64_t v;

	if (cgroup_file_keyed(h->dirfd, h->dir, "cgroup.events", "frozen",
	    &v, err) == -1)
		return (-1);
	*frozen = v != 0;
	return (0);
}

/* Read file into *value when the controller put it there. */
static int
v2_stat_file(struct cg_hier *h, const char *file, const char *key,
    uint64_t *value, struct berth_error *err)
{
	if (!cgroup_file_exists(h->dirfd, file))
		return (0);
	if (key != NULL)
		return (cgroup_file_keyed(h->dirfd, h->dir, file, key, value,
		    err));
	return (cgroup_file_u64(h->dirfd, h->dir, file, value, err));
}

/* Keys of a flat-keyed file, each into its field, when the file is
 * there. */
struct v2_key {
	const char	*key;
	uint64_t	*value;
};

static int
v2_stat_keys(struct cg_hier *h, const char *file, const struct v2_key *keys,
    struct berth_error *err)
{
	cleanup_free char *buf = NULL;

	if (!cgroup_file_exists(h->dirfd, file))
		return (0);
	if (cgroup_file_read(h->dirfd, h->dir, file, &buf, err) == -1)
		return (-1);
	for (; keys->key != NULL; keys++)
		if (cgroup_keyed_parse(buf, keys->key, keys->value) == -1)
			return (berth_error_set(err, RT_E_CGROUP, EINVAL,
			    "%s/%s: %s: not a number", h->dir, file,
			    keys->key));
	return (0);
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N ..." a line per device, summed. */
static int
v2_stats_io(struct cg_hier *h, struct cgroup_stats *out,
    struct berth_error *err)
{
	cleanup_free char *buf = NULL;
	const char *p;

	if (!cgroup_file_exists(h->dirfd, "io.stat"))
		return (0);
	if (cgroup_file_read(h->dirfd, h->dir, "io.stat", &buf, err) == -1)
		return (-1);
	for (p = buf; (p = strpbrk(p, "rw")) != NULL; p++) {
		if (strncmp(p, "rbytes=", 7) == 0)
			out->io_read_bytes += strtoull(p + 7, NULL, 10);
		else if (strncmp(p, "wbytes=", 7) == 0)
			out->io_write_bytes += strtoull(p + 7, NULL, 10);
	}
	return (0);
}

static int
v2_stats(struct rt_cgroup *cg, struct cgroup_stats *out,
    struct berth_error *err)
{
	cleanup_free pid_t *pids = NULL;
	struct cg_hier *h = &cg->hier[0];
	uint64_t usec = 0, user_usec = 0, sys_usec = 0;
	const struct v2_key cpu[] = {
		{ "usage_usec", &usec }, { "user_usec", &user_usec },
		{ "system_usec", &sys_usec }, { NULL, NULL },
	};
	const struct v2_key mem[] = {
		{ "file", &out->memory_cache }, { "anon", &out->memory_rss },
		{ "active_file", &out->memory_active_file },
		{ "inactive_file", &out->memory_inactive_file },
		{ NULL, NULL },
	};
	size_t n;

	if (v2_stat_file(h, "memory.current", NULL, &out->memory_usage,
	    err) == -1 ||
	    v2_stat_file(h, "memory.max", NULL, &out->memory_limit,
	    err) == -1 ||
	    v2_stat_file(h, "memory.events", "oom_kill", &out->oom_kills,
	    err) == -1 ||
	    v2_stat_keys(h, "cpu.stat", cpu, err) == -1 ||
	    v2_stat_keys(h, "memory.stat", mem, err) == -1 ||
	    v2_stats_io(h, out, err) == -1 ||
	    v2_stat_file(h, "pids.max", NULL, &out->pids_limit, err) == -1)
		return (-1);
	out->cpu_usage_ns = usec * 1000;
	out->cpu_user_ns = user_usec * 1000;
	out->cpu_system_ns = sys_usec * 1000;
	if (cgroup_file_exists(h->dirfd, "pids.current"))
		return (cgroup_file_u64(h->dirfd, h->dir, "pids.current",
		    &out->pids_current, err));
	if (cgroup_procs_read(h, &pids, &n, err) == -1)
		return (-1);
	out->pids_current = n;
	return (0);
}

/* cgroup.kill (Linux 5.14) kills the whole tree at once, forks too. */
static int
v2_kill(struct rt_cgroup *cg, int sig, struct berth_error *err)
{
	struct cg_hier *h = &cg->hier[0];

	if (sig == SIGKILL && cgroup_file_exists(h->dirfd, "cgroup.kill"))
		return (cgroup_file_write(h->dirfd, h->dir, "cgroup.kill",
		    "1", err));
	return (cgroup_procs_signal(h, sig, err));
}

const struct cgroup_ops cgroup_v2_ops = {
	.hierarchies = v2_hierarchies,
	.check = NULL,		/* known once the directories exist */
	.init_dir = NULL,
	.apply = v2_apply,
	.freeze = v2_freeze,
	.frozen = v2_frozen,
	.stats = v2_stats,
	.kill = v2_kill,
};
