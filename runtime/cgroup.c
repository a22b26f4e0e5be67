/*
 * Container cgroups, the common half: which hierarchy kind and mount to
 * use, checking paths and limits, making and removing the directories in
 * every hierarchy, the file helpers, and the public functions, which hand
 * what differs to cgroup-v1.c or cgroup-v2.c through their ops table.
 */
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cgroup-private.h"

#define CG_DEFAULT_ROOT	"/sys/fs/cgroup"

/*
 * The process-wide choice of hierarchy kind and mount point: set once at
 * start-up by berthd or a test, read by every create and open.
 */
static struct {
	enum cgroup_mode mode;			/* CGROUP_AUTO: statfs */
	char		 root[PATH_MAX];	/* "": CG_DEFAULT_ROOT */
} cgroup_config;

static const struct cgroup_ops *
ops_of(enum cgroup_mode mode)
{
	return (mode == CGROUP_V2 ? &cgroup_v2_ops : &cgroup_v1_ops);
}

static const char *
config_root(void)
{
	return (cgroup_config.root[0] != '\0' ? cgroup_config.root :
	    CG_DEFAULT_ROOT);
}

int
cgroup_detect(enum cgroup_mode *mode, struct berth_error *err)
{
	struct statfs st;

	if (cgroup_config.mode != CGROUP_AUTO) {
		*mode = cgroup_config.mode;
		return (0);
	}
	if (statfs(CG_DEFAULT_ROOT, &st) == -1)
		return (berth_error_set(err, RT_E_CGROUP, errno, "statfs %s",
		    CG_DEFAULT_ROOT));
	*mode = st.f_type == CGROUP2_SUPER_MAGIC ? CGROUP_V2 : CGROUP_V1;
	return (0);
}

int
cgroup_set_root(enum cgroup_mode mode, const char *mountpoint,
    struct berth_error *err)
{
	if (mode != CGROUP_AUTO && mode != CGROUP_V1 && mode != CGROUP_V2)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, EINVAL,
		    "cgroup mode %d", (int)mode));
	if (mountpoint != NULL && (mountpoint[0] != '/' ||
	    strlen(mountpoint) >= sizeof(cgroup_config.root)))
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, EINVAL,
		    "cgroup mount point %s", mountpoint));
	cgroup_config.mode = mode;
	snprintf(cgroup_config.root, sizeof(cgroup_config.root), "%s",
	    mountpoint != NULL ? mountpoint : "");
	return (0);
}

/*
 * A path below every hierarchy's root: relative, no "." or "..", no empty
 * component.  Returns the number of components.
 */
static int
path_check(const char *path, struct berth_error *err)
{
	const char *p, *slash;
	size_t len;
	int depth = 0;

	if (path == NULL || *path == '\0')
		return (berth_error_set(err, RT_E_SPEC, EINVAL,
		    "cgroup path: empty"));
	if (*path == '/')
		return (berth_error_set(err, RT_E_SPEC, EINVAL,
		    "cgroup path %s: absolute", path));
	if (strlen(path) >= PATH_MAX / 2)
		return (berth_error_set(err, RT_E_SPEC, ENAMETOOLONG,
		    "cgroup path %.64s...", path));
	for (p = path; *p != '\0'; p = slash + 1) {
		slash = strchrnul(p, '/');
		len = slash - p;
		if (len == 0)
			return (berth_error_set(err, RT_E_SPEC, EINVAL,
			    "cgroup path %s: empty component", path));
		if ((len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return (berth_error_set(err, RT_E_SPEC, EINVAL,
			    "cgroup path %s: \"%.*s\" component", path,
			    (int)len, p));
		depth++;
		if (*slash == '\0')
			break;
		if (slash[1] == '\0')
			return (berth_error_set(err, RT_E_SPEC, EINVAL,
			    "cgroup path %s: empty component", path));
	}
	return (depth);
}

/* Limits that make no sense whatever the host. */
static int
resources_check(const struct rt_resources *r, struct berth_error *err)
{
	if (r->memory_swap >= 0 && r->memory_limit <= 0)
		return (berth_error_set(err, RT_E_SPEC, EINVAL,
		    "memory swap limit: needs a memory limit"));
	if (r->memory_swap > 0 && r->memory_swap < r->memory_limit)
		return (berth_error_set(err, RT_E_SPEC, EINVAL,
		    "memory swap limit %lld: below the memory limit %lld",
		    (long long)r->memory_swap, (long long)r->memory_limit));
	if (r->cpu_shares != 0 && (r->cpu_shares < 2 ||
	    r->cpu_shares > 262144))
		return (berth_error_set(err, RT_E_SPEC, EINVAL,
		    "cpu shares %llu: not in 2..262144",
		    (unsigned long long)r->cpu_shares));
	return (0);
}

/* Limits and controllers. */

static const struct {
	unsigned	 ctrl;
	const char	*name;
} ctrl_names[] = {
	{ CG_MEMORY, "memory" },
	{ CG_CPU, "cpu" },
	{ CG_CPUACCT, "cpuacct" },
	{ CG_CPUSET, "cpuset" },
	{ CG_PIDS, "pids" },
	{ CG_FREEZER, "freezer" },
	{ CG_DEVICES, "devices" },
};

const char *
cgroup_ctrl_name(unsigned ctrl)
{
	size_t i;

	for (i = 0; i < sizeof(ctrl_names) / sizeof(ctrl_names[0]); i++) {
		if (ctrl_names[i].ctrl == ctrl)
			return (ctrl_names[i].name);
	}
	return ("?");
}

unsigned
cgroup_needs(const struct rt_resources *r)
{
	unsigned need = 0;

	if (r->memory_limit > 0)
		need |= CG_MEMORY;
	if (r->cpu_quota > 0 || r->cpu_period != 0 || r->cpu_shares != 0)
		need |= CG_CPU;
	if (r->cpuset_cpus != NULL || r->cpuset_mems != NULL)
		need |= CG_CPUSET;
	if (r->pids_limit > 0)
		need |= CG_PIDS;
	if (!r->devices_unrestricted)
		need |= CG_DEVICES;
	return (need);
}

const char *
cgroup_limit_name(const struct rt_resources *r, unsigned ctrl)
{
	switch (ctrl) {
	case CG_MEMORY:
		return ("memory limit");
	case CG_CPU:
		if (r->cpu_quota > 0 || r->cpu_period != 0)
			return ("cpu quota");
		return ("cpu shares");
	case CG_CPUSET:
		return (r->cpuset_cpus != NULL ? "cpuset cpus" :
		    "cpuset mems");
	case CG_PIDS:
		return ("pids limit");
	case CG_DEVICES:
		return ("device rules");
	}
	return ("limit");
}

/* Files. */

int
cgroup_file_read(int dirfd, const char *dir, const char *file, char **out,
    struct berth_error *err)
{
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	size_t len = 0, size = 0;
	ssize_t n;
	char *p;

	fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return (berth_error_set(err, RT_E_CGROUP, errno, "open %s/%s",
		    dir, file));
	for (;;) {
		if (size - len < 2) {
			size = size == 0 ? 4096 : size * 2;
			if ((p = realloc(buf, size)) == NULL)
				return (berth_error_set(err, RT_E_CGROUP,
				    errno, "read %s/%s", dir, file));
			buf = p;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (berth_error_set(err, RT_E_CGROUP, errno,
			    "read %s/%s", dir, file));
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	*out = steal_pointer(&buf);
	return (0);
}

int
cgroup_file_write(int dirfd, const char *dir, const char *file,
    const char *value, struct berth_error *err)
{
	cleanup_close int fd = -1;
	size_t len = strlen(value);
	ssize_t n;

	fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		return (berth_error_set(err, RT_E_CGROUP, errno,
		    "write %s to %s/%s", value, dir, file));
	/* One write: the kernel takes each write(2) as one value. */
	do
		n = write(fd, value, len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (berth_error_set(err, RT_E_CGROUP, errno,
		    "write %s to %s/%s", value, dir, file));
	if ((size_t)n != len)
		return (berth_error_set(err, RT_E_CGROUP, EIO,
		    "write %s to %s/%s: short write", value, dir, file));
	return (0);
}

int
cgroup_file_write_u64(int dirfd, const char *dir, const char *file,
    uint64_t value, struct berth_error *err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)value);
	return (cgroup_file_write(dirfd, dir, file, buf, err));
}

static int
parse_u64(const char *s, uint64_t *value)
{
	unsigned long long v;
	char *end;

	s += strspn(s, " \t");
	if (strncmp(s, "max", 3) == 0 && (s[3] == '\0' || s[3] == '\n' ||
	    s[3] == ' ')) {
		*value = UINT64_MAX;
		return (0);
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || (*end != '\0' && *end != '\n' &&
	    *end != ' '))
		return (-1);
	*value = v;
	return (0);
}

int
cgroup_file_u64(int dirfd, const char *dir, const char *file,
    uint64_t *value, struct berth_error *err)
{
	cleanup_free char *buf = NULL;

	if (cgroup_file_read(dirfd, dir, file, &buf, err) == -1)
		return (-1);
	if (parse_u64(buf, value) == -1)
		return (berth_error_set(err, RT_E_CGROUP, EINVAL,
		    "%s/%s: not a number: %.32s", dir, file, buf));
	return (0);
}

int
cgroup_keyed_parse(const char *buf, const char *key, uint64_t *value)
{
	size_t klen = strlen(key);
	const char *line;

	*value = 0;
	for (line = buf; line != NULL && *line != '\0';
	    line = strchr(line, '\n'), line = line != NULL ? line + 1 : NULL) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
			return (parse_u64(line + klen + 1, value));
	}
	return (0);
}

int
cgroup_file_keyed(int dirfd, const char *dir, const char *file,
    const char *key, uint64_t *value, struct berth_error *err)
{
	cleanup_free char *buf = NULL;

	if (cgroup_file_read(dirfd, dir, file, &buf, err) == -1)
		return (-1);
	if (cgroup_keyed_parse(buf, key, value) == -1)
		return (berth_error_set(err, RT_E_CGROUP, EINVAL,
		    "%s/%s: %s: not a number", dir, file, key));
	return (0);
}

bool
cgroup_file_exists(int dirfd, const char *file)
{
	return (faccessat(dirfd, file, F_OK, 0) == 0);
}

bool
cgroup_word_in(const char *list, const char *word)
{
	size_t wlen = strlen(word), n;
	const char *p = list;

	while (*p != '\0') {
		p += strspn(p, " \t\n");
		n = strcspn(p, " \t\n");
		if (n == wlen && strncmp(p, word, n) == 0)
			return (true);
		p += n;
	}
	return (false);
}

/* Processes. */

int
cgroup_procs_read(struct cg_hier *h, pid_t **pids, size_t *n,
    struct berth_error *err)
{
	cleanup_free char *buf = NULL;
	cleanup_free pid_t *out = NULL;
	size_t count = 0, i = 0;
	char *p, *end;
	long v;

	if (cgroup_file_read(h->dirfd, h->dir, "cgroup.procs", &buf,
	    err) == -1)
		return (-1);
	for (p = buf; *p != '\0'; p++)
		count += *p == '\n';
	if ((out = calloc(count + 1, sizeof(*out))) == NULL)
		return (berth_error_set(err, RT_E_CGROUP, errno, "%s",
		    h->dir));
	for (p = buf; *p != '\0' && i < count; p = end) {
		v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (v > 0)
			out[i++] = (pid_t)v;
		end += strspn(end, "\n");
	}
	*n = i;
	*pids = steal_pointer(&out);
	return (0);
}

int
cgroup_procs_signal(struct cg_hier *h, int sig, struct berth_error *err)
{
	cleanup_free pid_t *pids = NULL;
	size_t n, i;

	if (cgroup_procs_read(h, &pids, &n, err) == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		if (kill(pids[i], sig) == -1 && errno != ESRCH)
			return (berth_error_set(err, RT_E_CGROUP, errno,
			    "kill %d (in %s)", (int)pids[i], h->dir));
	}
	return (0);
}

struct cg_hier *
cgroup_hier_find(struct rt_cgroup *cg, unsigned ctrl)
{
	size_t i;

	for (i = 0; i < cg->nhier; i++) {
		if (cg->hier[i].ctrls & ctrl)
			return (&cg->hier[i]);
	}
	return (NULL);
}

/* Where to list processes: freezer or pids on v1, the only one on v2. */
struct cg_hier *
cgroup_hier_primary(struct rt_cgroup *cg)
{
	struct cg_hier *h;

	if ((h = cgroup_hier_find(cg, CG_FREEZER)) != NULL)
		return (h);
	if ((h = cgroup_hier_find(cg, CG_PIDS)) != NULL)
		return (h);
	return (&cg->hier[0]);
}

char *
cgroup_level_path(const struct cg_hier *h, const char *path, int depth)
{
	const char *p = path;
	char *out;
	int i;

	for (i = 0; i < depth && *p != '\0'; i++) {
		p = strchrnul(p, '/');
		if (i + 1 < depth && *p == '/')
			p++;
	}
	if (asprintf(&out, "%s/%.*s", h->mount, (int)(p - path), path) == -1)
		return (NULL);
	return (out);
}

/* Time. */

void
cgroup_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

int
cgroup_remaining_ms(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return (ms < 0 ? 0 : (int)ms);
}

/* A short pause between polls of a file that cannot be waited on. */
void
cgroup_nap(void)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* Directories. */

/* Remove the levels of h this create made, deepest first. */
static void
hier_undo(struct cg_hier *h, const char *path, int depth)
{
	char *dir;
	int i;

	if (h->dirfd >= 0) {
		close(h->dirfd);
		h->dirfd = -1;
	}
	for (i = 0; i < h->created; i++) {
		if ((dir = cgroup_level_path(h, path, depth - i)) == NULL)
			continue;
		rmdir(dir);
		free(dir);
	}
	h->created = 0;
}

/* Make (or, above the leaf, reuse) one level below fd. */
static int
hier_make_level(struct cg_hier *h, const struct cgroup_ops *ops, int *fd,
    const char *parent, const char *comp, bool leaf,
    struct berth_error *err)
{
	cleanup_free char *dir = NULL;
	int child;
	bool made = false;

	if (asprintf(&dir, "%s/%s", parent, comp) == -1)
		return (berth_error_set(err, RT_E_CGROUP, errno, "%s",
		    parent));
	if (mkdirat(*fd, comp, 0755) == 0)
		made = true;
	else if (errno != EEXIST || leaf)
		return (berth_error_set(err, RT_E_CGROUP, errno, "mkdir %s",
		    dir));
	if (made)
		h->created++;
	child = openat(*fd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
	if (child == -1)
		return (berth_error_set(err, RT_E_CGROUP, errno, "open %s",
		    dir));
	if (made && ops->init_dir != NULL &&
	    ops->init_dir(h, *fd, child, dir, err) == -1) {
		close(child);
		return (-1);
	}
	close(*fd);
	*fd = child;
	return (0);
}

/* Make path in h, level by level, counting in h->created what it made. */
static int
hier_make(struct cg_hier *h, const struct cgroup_ops *ops, const char *path,
    struct berth_error *err)
{
	cleanup_close int fd = -1;
	cleanup_free char *copy = NULL;
	cleanup_free char *dir = NULL;
	char *comp, *next, *save, *longer;

	if ((copy = strdup(path)) == NULL || (dir = strdup(h->mount)) == NULL)
		return (berth_error_set(err, RT_E_CGROUP, errno, "%s", path));
	fd = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return (berth_error_set(err, RT_E_CGROUP, errno, "open %s",
		    h->mount));
	for (comp = strtok_r(copy, "/", &save); comp != NULL; comp = next) {
		next = strtok_r(NULL, "/", &save);
		if (hier_make_level(h, ops, &fd, dir, comp, next == NULL,
		    err) == -1)
			return (-1);
		if (asprintf(&longer, "%s/%s", dir, comp) == -1)
			return (berth_error_set(err, RT_E_CGROUP, errno, "%s",
			    dir));
		free(dir);
		dir = longer;
	}
	h->dirfd = steal_fd(&fd);
	return (0);
}

static void
cgroup_undo(struct rt_cgroup *cg)
{
	size_t i;

	for (i = cg->nhier; i > 0; i--)
		hier_undo(&cg->hier[i - 1], cg->path, cg->depth);
}

/* A handle for path with its hierarchies found, nothing opened yet. */
static int
cgroup_new(const char *path, struct rt_cgroup **out, struct berth_error *err)
{
	struct rt_cgroup *cg;
	enum cgroup_mode mode;
	size_t i;
	int depth;

	if ((depth = path_check(path, err)) == -1)
		return (-1);
	if (cgroup_detect(&mode, err) == -1)
		return (-1);
	if ((cg = calloc(1, sizeof(*cg))) == NULL)
		return (berth_error_set(err, RT_E_CGROUP, errno, "%s", path));
	cg->mode = mode;
	cg->depth = depth;
	for (i = 0; i < CG_HIER_MAX; i++)
		cg->hier[i].dirfd = -1;
	if ((cg->path = strdup(path)) == NULL) {
		berth_error_set(err, RT_E_CGROUP, errno, "%s", path);
		cgroup_free(cg);
		return (-1);
	}
	if (ops_of(mode)->hierarchies(cg, config_root(), err) == -1) {
		cgroup_free(cg);
		return (-1);
	}
	for (i = 0; i < cg->nhier; i++) {
		if (asprintf(&cg->hier[i].dir, "%s/%s", cg->hier[i].mount,
		    path) == -1) {
			cg->hier[i].dir = NULL;
			berth_error_set(err, RT_E_CGROUP, errno, "%s", path);
			cgroup_free(cg);
			return (-1);
		}
	}
	*out = cg;
	return (0);
}

int
cgroup_create(const char *path, const struct rt_resources *res,
    struct rt_cgroup **out, struct berth_error *err)
{
	struct rt_cgroup *cg;
	const struct cgroup_ops *ops;
	size_t i;

	if (resources_check(res, err) == -1)
		return (-1);
	if (cgroup_new(path, &cg, err) == -1)
		return (-1);
	ops = ops_of(cg->mode);
	if (ops->check != NULL && ops->check(cg, res, err) == -1) {
		cgroup_free(cg);
		return (-1);
	}
	for (i = 0; i < cg->nhier; i++) {
		if (hier_make(&cg->hier[i], ops, path, err) == -1)
			break;
	}
	if (i < cg->nhier || ops->apply(cg, res, err) == -1) {
		cgroup_undo(cg);
		cgroup_free(cg);
		return (-1);
	}
	for (i = 0; i < cg->nhier; i++)
		cg->hier[i].created = 0;
	*out = cg;
	return (0);
}

int
cgroup_open(const char *path, struct rt_cgroup **out,
    struct berth_error *err)
{
	struct rt_cgroup *cg;
	struct cg_hier *h;
	size_t i, kept = 0;
	int saved = ENOENT;

	if (cgroup_new(path, &cg, err) == -1)
		return (-1);
	/* Keep the hierarchies that have it: a half-removed cgroup can
	 * still be destroyed. */
	for (i = 0; i < cg->nhier; i++) {
		h = &cg->hier[i];
		h->dirfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (h->dirfd == -1) {
			saved = errno;
			free(h->mount);
			free(h->dir);
			continue;
		}
		cg->hier[kept++] = *h;
	}
	for (i = kept; i < cg->nhier; i++) {
		memset(&cg->hier[i], 0, sizeof(cg->hier[i]));
		cg->hier[i].dirfd = -1;
	}
	cg->nhier = kept;
	if (kept == 0) {
		berth_error_set(err, RT_E_CGROUP, saved, "open cgroup %s",
		    path);
		cgroup_free(cg);
		return (-1);
	}
	*out = cg;
	return (0);
}

void
cgroup_free(struct rt_cgroup *cg)
{
	size_t i;

	if (cg == NULL)
		return;
	for (i = 0; i < CG_HIER_MAX; i++) {
		if (cg->hier[i].dirfd >= 0)
			close(cg->hier[i].dirfd);
		free(cg->hier[i].mount);
		free(cg->hier[i].dir);
	}
	free(cg->path);
	free(cg);
}

enum cgroup_mode
cgroup_mode_of(const struct rt_cgroup *cg)
{
	return (cg->mode);
}

const char *
cgroup_path(const struct rt_cgroup *cg)
{
	return (cg->path);
}

int
cgroup_clone_fd(const struct rt_cgroup *cg)
{
	if (cg->mode != CGROUP_V2 || cg->nhier == 0)
		return (-1);
	return (cg->hier[0].dirfd);
}

int
cgroup_attach(struct rt_cgroup *cg, pid_t pid, struct berth_error *err)
{
	char buf[32];
	size_t i;

	snprintf(buf, sizeof(buf), "%d", (int)pid);
	for (i = 0; i < cg->nhier; i++) {
		if (cg->hier[i].dirfd == -1)
			continue;
		if (cgroup_file_write(cg->hier[i].dirfd, cg->hier[i].dir,
		    "cgroup.procs", buf, err) == -1)
			return (berth_error_wrap(err, "attach %d", (int)pid));
	}
	return (0);
}

int
cgroup_freeze(struct rt_cgroup *cg, bool frozen, struct berth_error *err)
{
	if (ops_of(cg->mode)->freeze(cg, frozen, err) == -1)
		return (berth_error_wrap(err, "%s cgroup %s",
		    frozen ? "freeze" : "thaw", cg->path));
	return (0);
}

int
cgroup_frozen(struct rt_cgroup *cg, bool *frozen, struct berth_error *err)
{
	return (ops_of(cg->mode)->frozen(cg, frozen, err));
}

int
cgroup_stats(struct rt_cgroup *cg, struct cgroup_stats *out,
    struct berth_error *err)
{
	memset(out, 0, sizeof(*out));
	out->memory_limit = UINT64_MAX;
	out->pids_limit = UINT64_MAX;
	return (ops_of(cg->mode)->stats(cg, out, err));
}

int
cgroup_pids(struct rt_cgroup *cg, pid_t **pids, size_t *n,
    struct berth_error *err)
{
	return (cgroup_procs_read(cgroup_hier_primary(cg), pids, n, err));
}

int
cgroup_kill(struct rt_cgroup *cg, int sig, struct berth_error *err)
{
	if (ops_of(cg->mode)->kill(cg, sig, err) == -1)
		return (berth_error_wrap(err, "signal %d to cgroup %s", sig,
		    cg->path));
	return (0);
}

/* SIGKILL whatever is (or turns up) in cg until it is empty. */
static int
cgroup_empty(struct rt_cgroup *cg, struct berth_error *err)
{
	struct timespec deadline;
	struct cg_hier *h = cgroup_hier_primary(cg);
	cleanup_free pid_t *pids = NULL;
	size_t n, i;

	if (ops_of(cg->mode)->kill(cg, SIGKILL, err) == -1)
		return (-1);
	/* Frozen processes die only once thawed; killed first, they run
	 * nothing of their own when they wake. */
	{
		struct berth_error ignored = BERTH_ERROR_INIT;

		(void)cgroup_freeze(cg, false, &ignored);
		berth_error_clear(&ignored);
	}
	cgroup_deadline(&deadline, CG_WAIT_MS);
	for (;;) {
		free(pids);
		pids = NULL;
		if (cgroup_procs_read(h, &pids, &n, err) == -1)
			return (-1);
		if (n == 0)
			return (0);
		if (cgroup_remaining_ms(&deadline) == 0)
			return (berth_error_set(err, RT_E_CGROUP, EBUSY,
			    "%s: %zu processes left after SIGKILL", h->dir,
			    n));
		for (i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		cgroup_nap();
	}
}

/* rmdir, retrying while the kernel still releases the last tasks. */
static int
rmdir_retry(const char *dir, struct berth_error *err)
{
	struct timespec deadline;

	cgroup_deadline(&deadline, CG_RMDIR_MS);
	while (rmdir(dir) == -1) {
		if (errno == ENOENT)
			return (0);
		if (errno != EBUSY || cgroup_remaining_ms(&deadline) == 0)
			return (berth_error_set(err, RT_E_CGROUP, errno,
			    "rmdir %s", dir));
		cgroup_nap();
	}
	return (0);
}

int
cgroup_destroy(struct rt_cgroup *cg, struct berth_error *err)
{
	struct cg_hier *h;
	size_t i;

	if (cgroup_empty(cg, err) == -1)
		return (berth_error_wrap(err, "destroy cgroup %s", cg->path));
	for (i = 0; i < cg->nhier; i++) {
		h = &cg->hier[i];
		if (h->dirfd >= 0) {
			close(h->dirfd);
			h->dirfd = -1;
		}
		if (rmdir_retry(h->dir, err) == -1)
			return (berth_error_wrap(err, "destroy cgroup %s",
			    cg->path));
	}
	return (0);
}

int
cgroup_remove_parent(const char *path, struct berth_error *err)
{
	struct rt_cgroup *cg;
	size_t i;
	int rc = 0;

	if (cgroup_new(path, &cg, err) == -1)
		return (-1);
	for (i = 0; i < cg->nhier && rc == 0; i++) {
		if (rmdir(cg->hier[i].dir) == -1 && errno != ENOENT)
			rc = berth_error_set(err, RT_E_CGROUP, errno,
			    "rmdir %s", cg->hier[i].dir);
	}
	cgroup_free(cg);
	return (rc);
}
