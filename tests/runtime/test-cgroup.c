/*
 * Cgroups on the host's own hierarchies (root only): limits read back
 * from the files, swap accounting, a v2 tree without controllers
 * (hybrid hosts), attach, freeze, stats, an OOM kill, a pids limit,
 * kill and destroy, CLONE_INTO_CGROUP, refused paths.  Everything lives
 * under "berth-test-<pid>*" and the last test proves none of it is left.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup-private.h"
#include "unit.h"

#define ROOT		"/sys/fs/cgroup"
#define UNIFIED		"/sys/fs/cgroup/unified"
#define MIB		(1024 * 1024)

static char		 parent[64];	/* berth-test-<pid> */
static enum cgroup_mode	 native;
static bool		 hybrid;	/* v1 + a cgroup2 UNIFIED */
static pid_t		 children[64];
static size_t		 nchildren;

/* Helpers. */

static void
res_none(struct rt_resources *r)
{
	rt_resources_init(r);
}

static int
read_all(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return (-1);
	buf[n] = '\0';
	return (0);
}

static void
write_file(const char *path, const char *value)
{
	int fd;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return;
	if (write(fd, value, strlen(value)) == -1)
		fprintf(stderr, "# write %s: %s\n", path, strerror(errno));
	close(fd);
}

/* The first line of path. */
static int
read_file(const char *path, char *buf, size_t size)
{
	if (read_all(path, buf, size) == -1)
		return (-1);
	buf[strcspn(buf, "\n")] = '\0';
	return (0);
}

/* The first line of a file under a hierarchy: ROOT/hier/sub/file. */
static const char *
cg_file(const char *hier, const char *sub, const char *file)
{
	static char value[600];
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/%s/%s", ROOT, hier, sub, file);
	if (read_file(path, value, sizeof(value)) == -1)
		snprintf(value, sizeof(value), "(unreadable %s)", path);
	return (value);
}

static bool
exists(const char *fmt, const char *a, const char *b)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), fmt, a, b);
	return (stat(path, &st) == 0);
}

/* sub under every v1 controller berth uses, or under the v2 root. */
static bool
cg_exists(enum cgroup_mode mode, const char *sub)
{
	static const char *v1[] = { "memory", "cpu", "cpuacct", "cpuset",
	    "pids", "freezer" };
	size_t i;

	if (mode == CGROUP_V2)
		return (exists("%s/%s", hybrid ? UNIFIED : ROOT, sub));
	for (i = 0; i < sizeof(v1) / sizeof(v1[0]); i++) {
		if (exists(ROOT "/%s/%s", v1[i], sub))
			return (true);
	}
	return (false);
}

static pid_t
child_track(pid_t pid)
{
	if (pid > 0 && nchildren < sizeof(children) / sizeof(children[0]))
		children[nchildren++] = pid;
	return (pid);
}

static pid_t
spawn_pauser(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return (child_track(pid));
}

/* A child that waits for a byte on go[0] before calling fn. */
static pid_t
spawn_after_go(int go[2], void (*fn)(void *), void *arg)
{
	pid_t pid;
	char c;

	if (pipe2(go, O_CLOEXEC) == -1)
		return (-1);
	if ((pid = fork()) == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		fn(arg);
		_exit(0);
	}
	close(go[0]);
	return (child_track(pid));
}

static void
go(int go[2])
{
	if (write(go[1], "g", 1) != 1)
		CHECK(!"write go");
	close(go[1]);
}

static bool
pid_in(const pid_t *pids, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (pids[i] == pid)
			return (true);
	}
	return (false);
}

/* Is pid gone (or a zombie)? */
static bool
pid_dead(pid_t pid)
{
	char path[64], buf[256], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_file(path, buf, sizeof(buf)) == -1)
		return (true);
	p = strrchr(buf, ')');
	return (p != NULL && (p[2] == 'Z' || p[2] == 'X'));
}

/* The child's wait status, or -1 (a failed check) if it does not end
 * within 10 s: a broken kill must fail the test, not hang it. */
static int
wait_status(pid_t pid)
{
	struct pollfd pfd;
	int status = -1, fd;

	if ((fd = syscall(SYS_pidfd_open, pid, 0)) == -1)
		return (-1);
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1) {
		close(fd);
		CHECK(!"child ended within 10 s");
		return (-1);
	}
	close(fd);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return (status);
}

static struct rt_cgroup *
make(const char *name, const struct rt_resources *r)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_cgroup *cg = NULL;
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", parent, name);
	if (cgroup_create(path, r, &cg, &err) == -1) {
		fprintf(stderr, "# create %s: %s\n", path,
		    berth_error_message(&err));
		cg = NULL;
	}
	berth_error_clear(&err);
	return (cg);
}

/* Destroy, check the directories went, free. */
static void
finish(struct rt_cgroup *cg)
{
	struct berth_error err = BERTH_ERROR_INIT;
	enum cgroup_mode mode;
	char path[128];

	if (cg == NULL)
		return;
	mode = cgroup_mode_of(cg);
	snprintf(path, sizeof(path), "%s", cgroup_path(cg));
	if (cgroup_destroy(cg, &err) == -1)
		fprintf(stderr, "# destroy: %s\n", berth_error_message(&err));
	CHECK(!berth_error_isset(&err));
	CHECK(!cg_exists(mode, path));
	cgroup_free(cg);
	berth_error_clear(&err);
}

static void
use_v2_unified(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	CHECK(cgroup_set_root(CGROUP_V2, UNIFIED, &err) == 0);
}

static void
use_native(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	CHECK(cgroup_set_root(CGROUP_AUTO, NULL, &err) == 0);
}

/* Tests. */

static void
test_detect(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	enum cgroup_mode mode;
	struct statfs st;

	CHECK(statfs(ROOT, &st) == 0);
	CHECK(cgroup_detect(&mode, &err) == 0);
	CHECK(mode == (st.f_type == CGROUP2_SUPER_MAGIC ? CGROUP_V2 :
	    CGROUP_V1));
	CHECK(cgroup_set_root(CGROUP_V2, "/x", &err) == 0);
	CHECK(cgroup_detect(&mode, &err) == 0 && mode == CGROUP_V2);
	CHECK(cgroup_set_root(CGROUP_V1, "relative", &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_INVALID_PARAM));
	use_native();
	CHECK(cgroup_detect(&mode, &err) == 0 && mode == native);
	berth_error_clear(&err);
}

/* Each bad path is under the test's parent (or names its prefix), so a
 * broken check leaves only what the last test finds and removes. */
static void
test_invalid_paths_refused(void)
{
	static const char *bad[] = { "", ".", "..", "/%s", "%s/../%s-up",
	    "../%s-up", "%s//x", "%s/", "./%s", "%s/.", "%s/x/.." };
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_resources r;
	struct rt_cgroup *cg = NULL;
	char path[256], up[96];
	size_t i;

	res_none(&r);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), bad[i], parent, parent);
		CHECK(cgroup_create(path, &r, &cg, &err) == -1);
		CHECK(berth_error_is(&err, RT_E_SPEC));
		CHECK(cgroup_open(path, &cg, &err) == -1);
		CHECK(berth_error_is(&err, RT_E_SPEC));
		CHECK(cgroup_remove_parent(path, &err) == -1);
		CHECK(berth_error_is(&err, RT_E_SPEC));
	}
	CHECK(cgroup_create(NULL, &r, &cg, &err) == -1);
	snprintf(up, sizeof(up), "%s-up", parent);
	CHECK(!cg_exists(native, parent));
	CHECK(!cg_exists(native, up));
	CHECK(!exists("%s/%s", ROOT, up));
	berth_error_clear(&err);
}

static void
test_limits_written_v1(void)
{
	struct rt_resources r;
	struct rt_cgroup *cg;
	char sub[128], root_cpus[64];

	res_none(&r);
	r.memory_limit = 64 * MIB;
	r.cpu_quota = 50000;
	r.cpu_period = 200000;
	r.cpu_shares = 512;
	r.cpuset_cpus = "0";
	r.cpuset_mems = "0";
	r.pids_limit = 100;
	if ((cg = make("limits", &r)) == NULL) {
		CHECK(!"create with limits");
		return;
	}
	snprintf(sub, sizeof(sub), "%s/limits", parent);
	CHECK(cgroup_mode_of(cg) == CGROUP_V1);
	CHECK(cgroup_clone_fd(cg) == -1);
	CHECK_STR(cgroup_path(cg), sub);
	CHECK_STR(cg_file("memory", sub, "memory.limit_in_bytes"), "67108864");
	CHECK_STR(cg_file("cpu", sub, "cpu.cfs_quota_us"), "50000");
	CHECK_STR(cg_file("cpu", sub, "cpu.cfs_period_us"), "200000");
	CHECK_STR(cg_file("cpu", sub, "cpu.shares"), "512");
	CHECK_STR(cg_file("cpuset", sub, "cpuset.cpus"), "0");
	CHECK_STR(cg_file("cpuset", sub, "cpuset.mems"), "0");
	CHECK_STR(cg_file("pids", sub, "pids.max"), "100");
	/* The parent berth made got its cpuset from the root. */
	snprintf(root_cpus, sizeof(root_cpus), "%s",
	    cg_file("cpuset", "", "cpuset.cpus"));
	CHECK_STR(cg_file("cpuset", parent, "cpuset.cpus"), root_cpus);
	finish(cg);
}

static void
test_limits_written_v2(void)
{
	struct rt_resources r;
	struct rt_cgroup *cg;
	char sub[128];

	res_none(&r);
	r.memory_limit = 64 * MIB;
	r.cpu_quota = 50000;
	r.cpu_shares = 1024;
	r.pids_limit = 100;
	if ((cg = make("limits", &r)) == NULL) {
		CHECK(!"create with limits");
		return;
	}
	snprintf(sub, sizeof(sub), "%s/limits", parent);
	CHECK(cgroup_clone_fd(cg) >= 0);
	CHECK_STR(cg_file("", sub, "memory.max"), "67108864");
	CHECK_STR(cg_file("", sub, "cpu.max"), "50000 100000");
	CHECK_STR(cg_file("", sub, "cpu.weight"), "39");
	CHECK_STR(cg_file("", sub, "pids.max"), "100");
	finish(cg);
}

static void
test_limits_written(void)
{
	if (native == CGROUP_V1)
		test_limits_written_v1();
	else
		test_limits_written_v2();
}

static void
test_swap_limit(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_resources r;
	struct rt_cgroup *cg = NULL;
	char sub[128];
	bool memsw = exists("%s/%s", ROOT "/memory",
	    "memory.memsw.limit_in_bytes");

	res_none(&r);
	r.memory_swap = 64 * MIB;
	CHECK(cgroup_create("berth-test-never", &r, &cg, &err) == -1);
	CHECK(berth_error_is(&err, RT_E_SPEC));	/* swap needs a limit */
	r.memory_limit = 128 * MIB;
	CHECK(cgroup_create("berth-test-never", &r, &cg, &err) == -1);
	CHECK(berth_error_is(&err, RT_E_SPEC));	/* below the limit */
	CHECK(!cg_exists(native, "berth-test-never"));

	r.memory_limit = 32 * MIB;
	snprintf(sub, sizeof(sub), "%s/swap", parent);
	if (native == CGROUP_V1 && !memsw) {
		CHECK(cgroup_create(sub, &r, &cg, &err) == -1);
		CHECK(berth_error_is(&err, RT_E_UNSUPPORTED));
		CHECK(strstr(berth_error_message(&err),
		    "memory swap limit: the kernel has no swap accounting") !=
		    NULL);
		CHECK(!cg_exists(native, sub));
		berth_error_clear(&err);
		return;
	}
	if ((cg = make("swap", &r)) == NULL) {
		CHECK(!"create with swap");
		return;
	}
	if (native == CGROUP_V1) {
		CHECK_STR(cg_file("memory", sub, "memory.limit_in_bytes"),
		    "33554432");
		CHECK_STR(cg_file("memory", sub,
		    "memory.memsw.limit_in_bytes"), "67108864");
	} else
		CHECK_STR(cg_file("", sub, "memory.swap.max"), "33554432");
	finish(cg);
	/* memory_swap 0: memory+swap = memory, no swap. */
	r.memory_swap = 0;
	if ((cg = make("swap", &r)) == NULL) {
		CHECK(!"create with swap 0");
		return;
	}
	if (native == CGROUP_V1)
		CHECK_STR(cg_file("memory", sub,
		    "memory.memsw.limit_in_bytes"), "33554432");
	else
		CHECK_STR(cg_file("", sub, "memory.swap.max"), "0");
	finish(cg);
	berth_error_clear(&err);
}

/* A limit the kernel refuses: errno and the file in the message, and the
 * directories made on the way (a fresh parent too) are gone again. */
static void
test_failure_removes_everything(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_resources r;
	struct rt_cgroup *cg = NULL;
	char top[96], sub[128], file[256];

	snprintf(top, sizeof(top), "%s-err", parent);
	snprintf(sub, sizeof(sub), "%s/x/y", top);
	res_none(&r);
	r.pids_limit = 10;
	r.cpuset_cpus = "99";
	CHECK(cgroup_create(sub, &r, &cg, &err) == -1);
	CHECK(berth_error_is(&err, RT_E_CGROUP));
	/* ERANGE: past the last possible CPU; EINVAL: not in the parent. */
	CHECK(err.errnum == ERANGE || err.errnum == EINVAL);
	snprintf(file, sizeof(file), "cpuset cpus: write 99 to "
	    "%s/%s/cpuset.cpus: %s", native == CGROUP_V1 ? ROOT "/cpuset" :
	    ROOT, sub, strerror(err.errnum));
	CHECK(strstr(berth_error_message(&err), file) != NULL);
	if (strstr(berth_error_message(&err), file) == NULL)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	CHECK(!cg_exists(native, top));
	/* An existing leaf is refused, and left alone. */
	res_none(&r);
	if ((cg = make("dup", &r)) != NULL) {
		struct rt_cgroup *again = NULL;

		snprintf(sub, sizeof(sub), "%s/dup", parent);
		CHECK(cgroup_create(sub, &r, &again, &err) == -1);
		CHECK(err.errnum == EEXIST);
		CHECK(cg_exists(native, sub));
		finish(cg);
	} else
		CHECK(!"create dup");
	berth_error_clear(&err);
}

static void
test_attach_shows_in_pids(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_resources r;
	struct rt_cgroup *cg, *opened = NULL;
	pid_t pid, *pids = NULL;
	size_t n = 0;
	char sub[128], path[64], buf[4096], want[160];

	res_none(&r);
	if ((cg = make("attach", &r)) == NULL) {
		CHECK(!"create");
		return;
	}
	pid = spawn_pauser();
	CHECK(cgroup_attach(cg, pid, &err) == 0);
	CHECK(cgroup_pids(cg, &pids, &n, &err) == 0);
	CHECK(n == 1 && pid_in(pids, n, pid));
	free(pids);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	snprintf(sub, sizeof(sub), "/%s/attach", parent);
	CHECK(read_all(path, buf, sizeof(buf)) == 0);
	snprintf(want, sizeof(want), "%s%s\n", native == CGROUP_V1 ?
	    ":freezer:" : "0::", sub);
	CHECK(strstr(buf, want) != NULL);
	/* Opened again by path, it is the same cgroup. */
	CHECK(cgroup_open(sub + 1, &opened, &err) == 0);
	if (opened != NULL) {
		CHECK(cgroup_mode_of(opened) == native);
		CHECK(cgroup_pids(opened, &pids, &n, &err) == 0);
		CHECK(n == 1 && pid_in(pids, n, pid));
		free(pids);
		cgroup_free(opened);
	}
	finish(cg);
	CHECK(WIFSIGNALED(wait_status(pid)));
	CHECK(cgroup_open(sub + 1, &opened, &err) == -1);
	CHECK(err.errnum == ENOENT);
	berth_error_clear(&err);
}

/* The echo child: copies bytes from in to out. */
struct echo {
	int	in;
	int	out;
};

static void
echo_run(void *arg)
{
	struct echo *e = arg;
	char c;

	while (read(e->in, &c, 1) == 1) {
		if (write(e->out, &c, 1) != 1)
			_exit(1);
	}
}

static bool
readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return (poll(&pfd, 1, ms) == 1);
}

/* Frozen, the echo child does not answer; thawed, it does. */
static void
freeze_cycle(struct rt_cgroup *cg)
{
	struct berth_error err = BERTH_ERROR_INIT;
	int in[2], out[2], gp[2];
	struct echo e;
	bool frozen = true;
	pid_t pid;
	char c;

	CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
	e.in = in[0];
	e.out = out[1];
	pid = spawn_after_go(gp, echo_run, &e);
	CHECK(cgroup_attach(cg, pid, &err) == 0);
	go(gp);
	CHECK(write(in[1], "a", 1) == 1);
	CHECK(readable(out[0], 5000) && read(out[0], &c, 1) == 1 && c == 'a');
	CHECK(cgroup_frozen(cg, &frozen, &err) == 0 && !frozen);
	CHECK(cgroup_freeze(cg, true, &err) == 0);
	CHECK(cgroup_frozen(cg, &frozen, &err) == 0 && frozen);
	CHECK(write(in[1], "b", 1) == 1);
	CHECK(!readable(out[0], 200));
	CHECK(cgroup_freeze(cg, false, &err) == 0);
	CHECK(cgroup_frozen(cg, &frozen, &err) == 0 && !frozen);
	CHECK(readable(out[0], 5000) && read(out[0], &c, 1) == 1 && c == 'b');
	if (berth_error_isset(&err))
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	/* Frozen again, destroy still kills it (v1 thaws to let it die). */
	CHECK(cgroup_freeze(cg, true, &err) == 0);
	finish(cg);
	CHECK(WIFSIGNALED(wait_status(pid)));
	close(in[0]);
	close(in[1]);
	close(out[0]);
	close(out[1]);
	berth_error_clear(&err);
}

static void
test_freeze_thaw(void)
{
	struct rt_resources r;
	struct rt_cgroup *cg;

	res_none(&r);
	if ((cg = make("freeze", &r)) == NULL) {
		CHECK(!"create");
		return;
	}
	freeze_cycle(cg);
}

static void
touch_memory(void *arg)
{
	size_t size = *(size_t *)arg, i;
	char *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(2);
	for (i = 0; i < size; i += 4096)
		p[i] = 1;
	while (size < 32 * MIB)
		pause();
}

static void
test_stats_count_usage(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct cgroup_stats st;
	struct rt_resources r;
	struct rt_cgroup *cg;
	size_t size = 4 * MIB;
	pid_t pid;
	int gp[2], tries;

	res_none(&r);
	r.memory_limit = 32 * MIB;
	if ((cg = make("stats", &r)) == NULL) {
		CHECK(!"create");
		return;
	}
	pid = spawn_after_go(gp, touch_memory, &size);
	CHECK(cgroup_attach(cg, pid, &err) == 0);
	go(gp);
	/* Wait for the child to have touched its memory: its usage. */
	for (tries = 0; tries < 500; tries++) {
		CHECK(cgroup_stats(cg, &st, &err) == 0);
		if (st.memory_usage >= size)
			break;
		usleep(10000);
	}
	CHECK(st.pids_current >= 1);
	CHECK(st.memory_usage >= size);
	CHECK(st.memory_limit == 32 * MIB);
	CHECK(st.cpu_usage_ns > 0);
	CHECK(st.oom_kills == 0);
	finish(cg);
	wait_status(pid);
	berth_error_clear(&err);
}

static void
test_oom_kill_counted(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct cgroup_stats st;
	struct rt_resources r;
	struct rt_cgroup *cg;
	size_t size = 64 * MIB;
	int gp[2], status;
	pid_t pid;

	res_none(&r);
	r.memory_limit = 16 * MIB;
	/* No swap to escape to, where the kernel accounts it. */
	if (native == CGROUP_V2 || exists("%s/%s", ROOT "/memory",
	    "memory.memsw.limit_in_bytes"))
		r.memory_swap = 0;
	if ((cg = make("oom", &r)) == NULL) {
		CHECK(!"create");
		return;
	}
	pid = spawn_after_go(gp, touch_memory, &size);
	CHECK(cgroup_attach(cg, pid, &err) == 0);
	go(gp);
	status = wait_status(pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(cgroup_stats(cg, &st, &err) == 0);
	CHECK(st.oom_kills >= 1);
	finish(cg);
	berth_error_clear(&err);
}

/* Fork until refused; report how many and why on the pipe. */
static void
fork_until_refused(void *arg)
{
	int fd = *(int *)arg, result[2] = { 0, 0 };
	pid_t pid;

	for (result[0] = 0; result[0] < 50; result[0]++) {
		if ((pid = fork()) == 0) {
			for (;;)
				pause();
		}
		if (pid == -1) {
			result[1] = errno;
			break;
		}
	}
	if (write(fd, result, sizeof(result)) != sizeof(result))
		_exit(1);
	for (;;)
		pause();
}

static void
test_pids_limit_stops_forks(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_resources r;
	struct rt_cgroup *cg;
	pid_t pid, *pids = NULL;
	int gp[2], rp[2], result[2] = { -1, -1 };
	size_t n = 0, i;

	res_none(&r);
	r.pids_limit = 5;
	if ((cg = make("pids", &r)) == NULL) {
		CHECK(!"create");
		return;
	}
	CHECK(pipe2(rp, O_CLOEXEC) == 0);
	pid = spawn_after_go(gp, fork_until_refused, &rp[1]);
	close(rp[1]);
	CHECK(cgroup_attach(cg, pid, &err) == 0);
	go(gp);
	CHECK(read(rp[0], result, sizeof(result)) == sizeof(result));
	close(rp[0]);
	CHECK(result[0] == 4);
	CHECK(result[1] == EAGAIN);
	CHECK(cgroup_pids(cg, &pids, &n, &err) == 0);
	CHECK(n == 5);
	finish(cg);
	/* Every one of them is gone; the grandchildren come back to us,
	 * the subreaper, to be reaped. */
	for (i = 0; i < n; i++)
		CHECK(pid_dead(pids[i]));
	free(pids);
	wait_status(pid);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	berth_error_clear(&err);
}

static void
test_kill_signals_all(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_resources r;
	struct rt_cgroup *cg;
	pid_t a, b, *pids = NULL;
	size_t n = 1;
	int sa, sb;

	res_none(&r);
	if ((cg = make("kill", &r)) == NULL) {
		CHECK(!"create");
		return;
	}
	a = spawn_pauser();
	b = spawn_pauser();
	CHECK(cgroup_attach(cg, a, &err) == 0);
	CHECK(cgroup_attach(cg, b, &err) == 0);
	CHECK(cgroup_kill(cg, SIGTERM, &err) == 0);
	sa = wait_status(a);
	sb = wait_status(b);
	CHECK(WIFSIGNALED(sa) && WTERMSIG(sa) == SIGTERM);
	CHECK(WIFSIGNALED(sb) && WTERMSIG(sb) == SIGTERM);
	CHECK(cgroup_pids(cg, &pids, &n, &err) == 0 && n == 0);
	free(pids);
	finish(cg);
	berth_error_clear(&err);
}

static void
test_destroy_kills_and_removes(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_resources r;
	struct rt_cgroup *cg;
	pid_t pid;
	int status;

	res_none(&r);
	r.memory_limit = 64 * MIB;
	if ((cg = make("destroy", &r)) == NULL) {
		CHECK(!"create");
		return;
	}
	pid = spawn_pauser();
	CHECK(cgroup_attach(cg, pid, &err) == 0);
	finish(cg);
	status = wait_status(pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	berth_error_clear(&err);
}

/* On the hybrid host's unified tree (hugetlb only): a limit needing a
 * controller it does not offer is Unsupported and leaves nothing. */
static void
test_v2_missing_controller(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_resources r;
	struct rt_cgroup *cg = NULL;
	char top[96], sub[128], want[256];

	if (!hybrid)
		return;
	use_v2_unified();
	snprintf(top, sizeof(top), "%s-v2", parent);
	snprintf(sub, sizeof(sub), "%s/x", top);
	res_none(&r);
	r.memory_limit = 64 * MIB;
	CHECK(cgroup_create(sub, &r, &cg, &err) == -1);
	CHECK(berth_error_is(&err, RT_E_UNSUPPORTED));
	snprintf(want, sizeof(want), "memory limit: the memory controller is "
	    "not available in %s/%s (cgroup.controllers: ", UNIFIED, top);
	CHECK(strstr(berth_error_message(&err), want) != NULL);
	if (strstr(berth_error_message(&err), want) == NULL)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	CHECK(!exists("%s/%s", UNIFIED, top));
	res_none(&r);
	r.pids_limit = 5;
	CHECK(cgroup_create(sub, &r, &cg, &err) == -1);
	CHECK(strstr(berth_error_message(&err), "pids limit: the pids "
	    "controller") != NULL);
	CHECK(!exists("%s/%s", UNIFIED, top));
	use_native();
	berth_error_clear(&err);
}

/* Without limits a v2 cgroup works there: attach, freeze, stats, kill. */
static void
test_v2_without_controllers(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct cgroup_stats st;
	struct rt_resources r;
	struct rt_cgroup *cg;
	pid_t a, b, *pids = NULL;
	size_t n = 0;
	char path[64], buf[4096], want[128];
	int sa, sb;

	if (!hybrid)
		return;
	use_v2_unified();
	res_none(&r);
	cg = make("v2", &r);
	use_native();
	if (cg == NULL) {
		CHECK(!"create on v2");
		return;
	}
	CHECK(cgroup_mode_of(cg) == CGROUP_V2);
	CHECK(cgroup_clone_fd(cg) >= 0);
	a = spawn_pauser();
	b = spawn_pauser();
	CHECK(cgroup_attach(cg, a, &err) == 0);
	CHECK(cgroup_attach(cg, b, &err) == 0);
	CHECK(cgroup_pids(cg, &pids, &n, &err) == 0);
	CHECK(n == 2 && pid_in(pids, n, a) && pid_in(pids, n, b));
	free(pids);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)a);
	snprintf(want, sizeof(want), "0::/%s/v2\n", parent);
	CHECK(read_all(path, buf, sizeof(buf)) == 0);
	CHECK(strstr(buf, want) != NULL);
	CHECK(cgroup_stats(cg, &st, &err) == 0);
	CHECK(st.pids_current == 2);
	CHECK(st.memory_limit == UINT64_MAX);
	CHECK(cgroup_kill(cg, SIGTERM, &err) == 0);
	sa = wait_status(a);
	sb = wait_status(b);
	CHECK(WIFSIGNALED(sa) && WTERMSIG(sa) == SIGTERM);
	CHECK(WIFSIGNALED(sb) && WTERMSIG(sb) == SIGTERM);
	/* Freeze and thaw, then destroy with SIGKILL (cgroup.kill). */
	freeze_cycle(cg);
	berth_error_clear(&err);
}

static pid_t
clone_into(int cgfd)
{
	struct clone_args args;

	memset(&args, 0, sizeof(args));
	args.flags = CLONE_INTO_CGROUP;
	args.exit_signal = SIGCHLD;
	args.cgroup = (uint64_t)cgfd;
	return (syscall(SYS_clone3, &args, sizeof(args)));
}

static void
test_v2_clone_into_cgroup(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_resources r;
	struct rt_cgroup *cg;
	pid_t pid, *pids = NULL;
	size_t n = 0;
	int status;

	if (!hybrid && native != CGROUP_V2)
		return;
	if (hybrid)
		use_v2_unified();
	res_none(&r);
	cg = make("clone", &r);
	use_native();
	if (cg == NULL) {
		CHECK(!"create on v2");
		return;
	}
	if ((pid = clone_into(cgroup_clone_fd(cg))) == 0) {
		for (;;)
			pause();
	}
	CHECK(child_track(pid) > 0);
	CHECK(cgroup_pids(cg, &pids, &n, &err) == 0);
	CHECK(n == 1 && pid_in(pids, n, pid));
	free(pids);
	finish(cg);
	status = wait_status(pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	berth_error_clear(&err);
}

static void
test_shares_to_weight(void)
{
	CHECK(cgroup_v2_weight(2) == 1);
	CHECK(cgroup_v2_weight(1024) == 39);
	CHECK(cgroup_v2_weight(262144) == 10000);
}

/* Let whatever is left in dir die: thaw it, SIGKILL its processes. */
static void
release(const char *dir)
{
	char file[600], buf[4096], *p, *end;
	long pid;

	snprintf(file, sizeof(file), "%s/freezer.state", dir);
	if (access(file, F_OK) == 0)
		write_file(file, "THAWED");
	snprintf(file, sizeof(file), "%s/cgroup.freeze", dir);
	if (access(file, F_OK) == 0)
		write_file(file, "0");
	snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
	if (read_all(file, buf, sizeof(buf)) == 0) {
		for (p = buf; (pid = strtol(p, &end, 10)) > 0; p = end)
			kill(pid, SIGKILL);
	}
}

/* rmdir, while the last tasks finish exiting. */
static void
remove_dir(const char *dir)
{
	int i;

	for (i = 0; i < 200 && rmdir(dir) == -1 && errno == EBUSY; i++)
		usleep(10000);
	if (access(dir, F_OK) == 0)
		fprintf(stderr, "# rmdir %s: %s\n", dir, strerror(errno));
}

/* parent, or parent-something: not berth-test-<pid>0 of another run. */
static bool
ours(const char *name, const char *prefix)
{
	size_t len = strlen(prefix);

	return (strncmp(name, prefix, len) == 0 &&
	    (name[len] == '\0' || name[len] == '-'));
}

enum sweep { SWEEP_COUNT, SWEEP_RELEASE, SWEEP_REMOVE };

/* Directories under dir named for this run (any, below the first
 * level); release or remove them, children first. */
static int
leftovers(const char *dir, const char *prefix, enum sweep how)
{
	DIR *d;
	struct dirent *de;
	char sub[512];
	int found = 0;

	if ((d = opendir(dir)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (prefix != NULL && !ours(de->d_name, prefix))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		found++;
		if (how == SWEEP_COUNT)
			continue;
		leftovers(sub, NULL, how);
		if (how == SWEEP_RELEASE)
			release(sub);
		else
			remove_dir(sub);
	}
	closedir(d);
	return (found);
}

/* In every hierarchy (each directory of ROOT) and in ROOT itself. */
static int
leftovers_everywhere(enum sweep how)
{
	DIR *d;
	struct dirent *de;
	char dir[512];
	int found = 0;

	if ((d = opendir(ROOT)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", ROOT, de->d_name);
		found += leftovers(dir, parent, how);
	}
	closedir(d);
	return (found + leftovers(ROOT, parent, how));
}

/* In the child: which opens the device rules let through, as exit bits:
 * 1 /dev/null read, 2 /dev/null write, 4 /dev/zero read. */
static void
try_devices(void *arg)
{
	int code = 0, fd;

	(void)arg;
	if ((fd = open("/dev/null", O_RDONLY)) >= 0 && close(fd) == 0)
		code |= 1;
	if ((fd = open("/dev/null", O_WRONLY)) >= 0 && close(fd) == 0)
		code |= 2;
	if ((fd = open("/dev/zero", O_RDONLY)) >= 0 && close(fd) == 0)
		code |= 4;
	_exit(code);
}

/* The device opens allowed by rules (NULL: the defaults) in a cgroup. */
static int
devices_allowed(const char *name, const struct rt_device_rule *rules,
    size_t n)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_resources r;
	struct rt_cgroup *cg;
	int go[2], status;
	pid_t pid;

	res_none(&r);
	r.device_rules = (struct rt_device_rule *)rules;
	r.ndevice_rules = n;
	if ((cg = make(name, &r)) == NULL)
		return (-1);
	pid = spawn_after_go(go, try_devices, NULL);
	CHECK(cgroup_attach(cg, pid, &err) == 0);
	CHECK(write(go[1], "g", 1) == 1);
	close(go[1]);
	status = wait_status(pid);
	CHECK(cgroup_destroy(cg, &err) == 0);
	cgroup_free(cg);
	berth_error_clear(&err);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Device rules: the defaults allow the usual nodes; an explicit list
 * allows only what it names; a later deny overrides an earlier allow. */
static void
check_device_rules(const char *prefix)
{
	static const struct rt_device_rule only_null[] = {
		{ true, 'c', 1, 3, "rw" },
	};
	/* (v1 trims only an exception that matches a deny exactly, so the
	 * deny names the same device as the allow.) */
	static const struct rt_device_rule null_read_only[] = {
		{ true, 'c', 1, 3, "rwm" },
		{ false, 'c', 1, 3, "w" },
	};
	char name[64];

	snprintf(name, sizeof(name), "%s-default", prefix);
	CHECK(devices_allowed(name, NULL, 0) == 7);
	snprintf(name, sizeof(name), "%s-null", prefix);
	CHECK(devices_allowed(name, only_null, 1) == 3);
	snprintf(name, sizeof(name), "%s-ro", prefix);
	CHECK(devices_allowed(name, null_read_only, 2) == 1);
}

static void
test_device_rules(void)
{
	check_device_rules("dev-v1");
	/* v2: the BPF device program, on the unified hierarchy. */
	if (hybrid || native == CGROUP_V2) {
		if (hybrid)
			use_v2_unified();
		check_device_rules("dev-v2");
		use_native();
	}
}

/* Poll an event fd for the wake-up its cgroup version gives. */
static bool
event_fires(const struct cgroup_event *ev, int ms)
{
	struct pollfd pfd = { .fd = ev->fd,
	    .events = ev->mode == CGROUP_V1 ? POLLIN : POLLPRI };

	return (poll(&pfd, 1, ms) == 1);
}

/* The OOM event fd wakes when the kernel kills in the cgroup, and the
 * ack counts it; with nothing happening it stays quiet. */
static void
test_oom_event_wakes(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct cgroup_event ev;
	struct rt_resources r;
	struct rt_cgroup *cg;
	size_t size = 64 * MIB;
	uint64_t n = 0;
	int gp[2], status;
	pid_t pid;

	res_none(&r);
	r.memory_limit = 16 * MIB;
	if (native == CGROUP_V2 || exists("%s/%s", ROOT "/memory",
	    "memory.memsw.limit_in_bytes"))
		r.memory_swap = 0;
	if ((cg = make("oomev", &r)) == NULL) {
		CHECK(!"create");
		return;
	}
	CHECK(cgroup_event_open(cg, CGROUP_EVENT_OOM, &ev, &err) == 0);
	CHECK(!event_fires(&ev, 100));
	pid = spawn_after_go(gp, touch_memory, &size);
	CHECK(cgroup_attach(cg, pid, &err) == 0);
	go(gp);
	CHECK(event_fires(&ev, 10000));
	CHECK(cgroup_event_ack(&ev, &n, &err) == 0);
	CHECK(n >= 1);
	status = wait_status(pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	cgroup_event_close(&ev);
	finish(cg);
	berth_error_clear(&err);
}

/* v2: "populated" goes to 0 when the last process leaves; v1 says it
 * cannot. */
static void
test_populated_event(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct cgroup_event ev;
	struct rt_resources r;
	struct rt_cgroup *cg;
	uint64_t v = 9;
	pid_t pid;

	res_none(&r);
	if (native == CGROUP_V1) {
		if ((cg = make("popv1", &r)) != NULL) {
			CHECK(cgroup_event_open(cg, CGROUP_EVENT_POPULATED,
			    &ev, &err) == -1);
			CHECK(berth_error_is(&err, RT_E_UNSUPPORTED));
			finish(cg);
		}
		if (!hybrid) {
			berth_error_clear(&err);
			return;
		}
		use_v2_unified();
	}
	cg = make("popv2", &r);
	use_native();
	if (cg == NULL) {
		CHECK(!"create on v2");
		return;
	}
	CHECK(cgroup_event_open(cg, CGROUP_EVENT_POPULATED, &ev, &err) == 0);
	pid = spawn_pauser();
	CHECK(cgroup_attach(cg, pid, &err) == 0);
	CHECK(event_fires(&ev, 5000));
	CHECK(cgroup_event_ack(&ev, &v, &err) == 0 && v == 1);
	kill(pid, SIGKILL);
	(void)wait_status(pid);
	CHECK(event_fires(&ev, 5000));
	CHECK(cgroup_event_ack(&ev, &v, &err) == 0 && v == 0);
	/* Without the memory controller there is no memory.events. */
	if (hybrid)
		CHECK(cgroup_event_open(cg, CGROUP_EVENT_OOM, &(struct
		    cgroup_event){ .fd = -1 }, &err) == -1 &&
		    berth_error_is(&err, RT_E_UNSUPPORTED));
	cgroup_event_close(&ev);
	finish(cg);
	berth_error_clear(&err);
}

static void
test_nothing_left_behind(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	size_t i;

	/* The parents berth made remain, empty: remove them. */
	CHECK(cgroup_remove_parent(parent, &err) == 0);
	if (hybrid) {
		use_v2_unified();
		CHECK(cgroup_remove_parent(parent, &err) == 0);
		use_native();
	}
	CHECK(leftovers_everywhere(SWEEP_COUNT) == 0);
	for (i = 0; i < nchildren; i++)
		CHECK(pid_dead(children[i]));
	berth_error_clear(&err);
}

/* Whatever a failed test left: thaw and empty every directory (all of
 * them first: a frozen v1 task dies only once its freezer thaws), reap
 * the children, then remove the directories. */
static void
cleanup(void)
{
	size_t i;

	leftovers_everywhere(SWEEP_RELEASE);
	for (i = 0; i < nchildren; i++)
		kill(children[i], SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	leftovers_everywhere(SWEEP_REMOVE);
}

int
main(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct statfs st;

	if (geteuid() != 0) {
		printf("ok - cgroup tests # SKIP not root\n");
		return (0);
	}
	snprintf(parent, sizeof(parent), "berth-test-%d", (int)getpid());
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (cgroup_detect(&native, &err) == -1) {
		printf("not ok - detect: %s\n", berth_error_message(&err));
		return (1);
	}
	hybrid = native == CGROUP_V1 && statfs(UNIFIED, &st) == 0 &&
	    st.f_type == CGROUP2_SUPER_MAGIC;

	RUN(test_detect);
	RUN(test_invalid_paths_refused);
	RUN(test_limits_written);
	RUN(test_swap_limit);
	RUN(test_failure_removes_everything);
	RUN(test_attach_shows_in_pids);
	RUN(test_freeze_thaw);
	RUN(test_stats_count_usage);
	RUN(test_oom_kill_counted);
	RUN(test_pids_limit_stops_forks);
	RUN(test_kill_signals_all);
	RUN(test_destroy_kills_and_removes);
	RUN(test_v2_missing_controller);
	RUN(test_v2_without_controllers);
	RUN(test_v2_clone_into_cgroup);
	RUN(test_shares_to_weight);
	RUN(test_device_rules);
	RUN(test_oom_event_wakes);
	RUN(test_populated_event);
	RUN(test_nothing_left_behind);
	cleanup();
	UNIT_EXIT();
}
