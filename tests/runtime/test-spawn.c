/*
 * The spawner's API as berthd uses it, on a busybox rootfs made by
 * tools/mkrootfs.sh: an overlay root, users and groups by name from the
 * container's own files, umask, rlimits, no_new_privs, privileged mode,
 * the pty master handed back, the caller's stdio, exec into a running
 * container, and nothing left on the host after each.
 */
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "spawn.h"
#include "unit.h"

static char top[128];		/* the test's scratch directory */
static char rootfs[192];	/* the busybox rootfs (the overlay's lower) */
static char cgparent[64];	/* berth-test-spawn-PID */
static int seq;

/* Run a shell command on the host; its exit status. */
static int
host(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
host(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return (WIFEXITED(rc) ? WEXITSTATUS(rc) : -1);
}

static char **
strv(const char *a, const char *b, const char *c)
{
	char **v = calloc(4, sizeof(*v));

	v[0] = strdup(a);
	v[1] = b != NULL ? strdup(b) : NULL;
	v[2] = c != NULL ? strdup(c) : NULL;
	return (v);
}

/* A default spec running sh -c script on a fresh overlay of rootfs. */
static void
make_spec(struct rt_spec *spec, const char *script)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char path[256];
	int n = ++seq;

	CHECK(spec_init_default(spec, &err) == 0);
	snprintf(path, sizeof(path), "%s/c%d", top, n);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/c%d/merged", top, n);
	mkdir(path, 0755);
	spec->root_path = strdup(path);
	spec->overlay_lower = strv(rootfs, NULL, NULL);
	snprintf(path, sizeof(path), "%s/c%d/upper", top, n);
	mkdir(path, 0755);
	spec->overlay_upper = strdup(path);
	snprintf(path, sizeof(path), "%s/c%d/work", top, n);
	mkdir(path, 0755);
	spec->overlay_work = strdup(path);
	snprintf(path, sizeof(path), "%s/c%d", cgparent, n);
	spec->cgroup_path = strdup(path);
	spec->hostname = strdup("spawned");
	spec->process.args = strv("sh", "-c", script);
	spec->process.env = strv("PATH=/bin", NULL, NULL);
	spec->process.cwd = strdup("/");
	berth_error_clear(&err);
}

/* Spawn spec with stdout to a pipe; wait; return the exit code and the
 * output in out (NUL-terminated). */
static int
run(struct rt_spec *spec, char *out, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_spawn_opts opts;
	struct rt_container c;
	size_t len = 0;
	ssize_t n;
	siginfo_t si;
	int p[2];

	out[0] = '\0';
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	rt_spawn_opts_init(&opts);
	opts.stdio[1] = p[1];
	if (rt_spawn(spec, &opts, &c, &err) < 0) {
		snprintf(out, size, "spawn: %s", berth_error_message(&err));
		close(p[0]);
		close(p[1]);
		berth_error_clear(&err);
		return (-1);
	}
	close(p[1]);
	while (len + 1 < size && (n = read(p[0], out + len, size - len -
	    1)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	CHECK(waitid(P_PIDFD, (id_t)c.pidfd, &si, WEXITED) == 0);
	CHECK(cgroup_destroy(c.cgroup, &err) == 0);
	rt_container_release(&c);
	berth_error_clear(&err);
	return (rt_exit_code(si.si_status, si.si_code));
}

/* Nothing of container n on the host: no mount under its dir. */
static void
check_no_mounts(void)
{
	char buf[256];

	snprintf(buf, sizeof(buf), "grep -q ' %s' /proc/self/mountinfo", top);
	CHECK(host("%s", buf) != 0);
}

static void
overlay_root_keeps_the_lower_intact(void)
{
	struct rt_spec spec;
	char out[4096], path[256];
	struct stat st;

	make_spec(&spec, "echo written > /new; rm /bin/ls; cat /new; "
	    "hostname; ls /bin/ls 2>&1 || echo gone");
	CHECK(run(&spec, out, sizeof(out)) == 0);
	CHECK(strstr(out, "written\nspawned\n") != NULL);
	CHECK(strstr(out, "gone") != NULL);
	/* The write went to the upper dir, the lower is untouched, and the
	 * deletion is an overlay whiteout. */
	snprintf(path, sizeof(path), "%s/new", spec.overlay_upper);
	CHECK(stat(path, &st) == 0);
	snprintf(path, sizeof(path), "%s/new", rootfs);
	CHECK(stat(path, &st) < 0);
	snprintf(path, sizeof(path), "%s/bin/ls", rootfs);
	CHECK(lstat(path, &st) == 0);
	snprintf(path, sizeof(path), "%s/bin/ls", spec.overlay_upper);
	CHECK(lstat(path, &st) == 0 && S_ISCHR(st.st_mode) &&
	    st.st_rdev == 0);
	/* The overlay lived in the container's mount namespace only. */
	check_no_mounts();
	spec_free(&spec);
}

static void
user_and_groups_by_name(void)
{
	struct rt_spec spec;
	char out[4096];

	make_spec(&spec, "id -u; id -g; id -G; grep Cap /proc/self/status");
	spec.process.user = strdup("tester");
	CHECK(run(&spec, out, sizeof(out)) == 0);
	/* tester is 1000:1000 and a member of extra (1001) in the rootfs's
	 * /etc/group; a non-root user keeps no effective capability. */
	CHECK(strncmp(out, "1000\n1000\n1000 1001\n", 20) == 0);
	CHECK(strstr(out, "CapEff:\t0000000000000000") != NULL);
	spec_free(&spec);

	make_spec(&spec, "id -u; id -g");
	spec.process.user = strdup("nobody:extra");
	CHECK(run(&spec, out, sizeof(out)) == 0);
	CHECK_STR(out, "65534\n1001\n");
	spec_free(&spec);

	make_spec(&spec, "true");
	spec.process.user = strdup("nosuchuser");
	CHECK(run(&spec, out, sizeof(out)) == -1);
	CHECK(strstr(out, "unable to find user nosuchuser") != NULL);
	spec_free(&spec);
}

static void
umask_rlimits_and_no_new_privs(void)
{
	struct rt_rlimit rl = { RLIMIT_NOFILE, 123, 456 };
	struct rt_spec spec;
	char out[4096];

	make_spec(&spec, "umask; ulimit -n; ulimit -Hn; "
	    "grep NoNewPrivs /proc/self/status");
	spec.process.has_umask = true;
	spec.process.umask = 027;
	spec.process.rlimits = malloc(sizeof(rl));
	spec.process.rlimits[0] = rl;
	spec.process.nrlimits = 1;
	spec.process.no_new_privileges = true;
	CHECK(run(&spec, out, sizeof(out)) == 0);
	CHECK_STR(out, "0027\n123\n456\nNoNewPrivs:\t1\n");
	spec_free(&spec);
}

static void
privileged_gets_all_caps_and_host_devices(void)
{
	struct rt_spec spec;
	char out[4096], want[64];

	make_spec(&spec, "grep CapEff /proc/self/status; ls /dev; "
	    "wc -c < /proc/timer_list");
	spec.privileged = true;
	spec.resources.devices_unrestricted = true;
	spec.process.caps.bounding = spec.process.caps.effective =
	    spec.process.caps.permitted = caps_all();
	if (run(&spec, out, sizeof(out)) != 0) {
		fprintf(stderr, "# %s\n", out);
		CHECK(0);
	}
	/* All the capabilities the test itself holds. */
	snprintf(want, sizeof(want), "CapEff:\t%016llx",
	    (unsigned long long)caps_bounding_self());
	CHECK(strstr(out, want) != NULL);
	/* A device only the host's /dev has; nothing masked. */
	CHECK(access("/dev/vda", F_OK) < 0 || strstr(out, "\nvda\n") !=
	    NULL);
	CHECK(strstr(out, "\n0\n") == NULL);
	spec_free(&spec);
}

static void
terminal_master_is_returned(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_spawn_opts opts;
	struct rt_container c;
	struct rt_spec spec;
	char out[4096];
	size_t len = 0;
	ssize_t n;
	siginfo_t si;

	make_spec(&spec, "tty; stty size; echo done");
	spec.process.terminal = true;
	rt_spawn_opts_init(&opts);
	opts.console_rows = 21;
	opts.console_cols = 77;
	CHECK(rt_spawn(&spec, &opts, &c, &err) == 0);
	CHECK(c.console_fd >= 0);
	/* Read until the pty reports the slave closed (EIO). */
	while (c.console_fd >= 0 && len + 1 < sizeof(out) &&
	    (n = read(c.console_fd, out + len, sizeof(out) - len - 1)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	CHECK(strstr(out, "/dev/pts/0") != NULL);
	CHECK(strstr(out, "21 77") != NULL);
	CHECK(strstr(out, "done") != NULL);
	CHECK(waitid(P_PIDFD, (id_t)c.pidfd, &si, WEXITED) == 0);
	CHECK(cgroup_destroy(c.cgroup, &err) == 0);
	rt_container_release(&c);
	spec_free(&spec);
	berth_error_clear(&err);
}

static void
exec_joins_and_reports_errors(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_spawn_opts opts, eopts;
	struct rt_container c, e;
	struct rt_process proc;
	struct rt_spec spec;
	char out[512];
	ssize_t n;
	siginfo_t si;
	int p[2];

	make_spec(&spec, "sleep 30");
	rt_spawn_opts_init(&opts);
	CHECK(rt_spawn(&spec, &opts, &c, &err) == 0);
	proc = spec.process;
	proc.args = strv("sh", "-c", "echo $$ $(hostname) $(cat "
	    "/proc/1/cmdline | tr '\\0' ' ')");
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	rt_spawn_opts_init(&eopts);
	eopts.stdio[1] = p[1];
	CHECK(rt_exec(&spec, c.pidfd, c.cgroup, &proc, &eopts, &e, &err) ==
	    0);
	close(p[1]);
	n = read(p[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
	/* Pid 2 of the container's namespace, its hostname, its pid 1. */
	CHECK(strncmp(out, "2 spawned sleep 30", 18) == 0);
	CHECK(waitid(P_PIDFD, (id_t)e.pidfd, &si, WEXITED) == 0);
	CHECK(si.si_status == 0);
	rt_container_release(&e);
	free(proc.args[0]);
	free(proc.args[1]);
	free(proc.args[2]);
	free(proc.args);
	proc.args = strv("nosuchcmd", NULL, NULL);
	CHECK(rt_exec(&spec, c.pidfd, c.cgroup, &proc, &eopts, &e, &err) ==
	    -1);
	CHECK(berth_error_is(&err, RT_E_NOT_FOUND));
	CHECK(strstr(berth_error_message(&err), "PATH=/bin") != NULL);
	free(proc.args[0]);
	free(proc.args);
	CHECK(cgroup_destroy(c.cgroup, &err) == 0);
	CHECK(waitid(P_PIDFD, (id_t)c.pidfd, &si, WEXITED) == 0);
	rt_container_release(&c);
	spec_free(&spec);
	berth_error_clear(&err);
}

/*
 * While the container's init is still berth's set-up process (created,
 * waiting on its exec fifo), a process in the container must not reach
 * the binary behind it through /proc/1/exe: the set-up process is
 * non-dumpable until it execs.  A dumpable one would show the host's
 * path of this test binary, and could be opened for writing.
 */
static void
setup_process_is_out_of_reach(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_spawn_opts opts, eopts;
	struct rt_container c, e;
	struct rt_process proc;
	struct rt_spec spec;
	char fifo[256], out[512];
	size_t len;
	ssize_t n;
	siginfo_t si;
	int p[2];

	make_spec(&spec, "true");
	snprintf(fifo, sizeof(fifo), "%s/exec.fifo", top);
	CHECK(mkfifo(fifo, 0600) == 0);
	rt_spawn_opts_init(&opts);
	opts.exec_fifo = fifo;
	CHECK(rt_spawn(&spec, &opts, &c, &err) == 0);
	proc = spec.process;
	proc.args = strv("sh", "-c", "readlink /proc/1/exe; echo r=$?; "
	    "head -c1 /proc/1/exe >/dev/null; echo o=$?");
	CHECK(pipe2(p, O_CLOEXEC) == 0);
	rt_spawn_opts_init(&eopts);
	eopts.stdio[1] = p[1];
	eopts.stdio[2] = p[1];
	CHECK(rt_exec(&spec, c.pidfd, c.cgroup, &proc, &eopts, &e, &err) ==
	    0);
	close(p[1]);
	len = 0;
	while (len + 1 < sizeof(out) && (n = read(p[0], out + len,
	    sizeof(out) - len - 1)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	if (strstr(out, "r=1") == NULL || strstr(out, "o=1") == NULL) {
		fprintf(stderr, "# %s", out);
		CHECK(0);
	}
	CHECK(strstr(out, "test-spawn") == NULL);
	CHECK(waitid(P_PIDFD, (id_t)e.pidfd, &si, WEXITED) == 0);
	rt_container_release(&e);
	/* Started, it runs its command and exits 0. */
	CHECK(rt_start_fifo(fifo, &err) == 0);
	CHECK(waitid(P_PIDFD, (id_t)c.pidfd, &si, WEXITED) == 0);
	CHECK(si.si_code == CLD_EXITED && si.si_status == 0);
	CHECK(cgroup_destroy(c.cgroup, &err) == 0);
	rt_container_release(&c);
	free(proc.args[0]);
	free(proc.args[1]);
	free(proc.args[2]);
	free(proc.args);
	unlink(fifo);
	spec_free(&spec);
	berth_error_clear(&err);
}

static void
bad_specs_refused_with_nothing_left(void)
{
	struct rt_spec spec;
	char out[4096], path[256];

	make_spec(&spec, "true");
	free(spec.cgroup_path);
	spec.cgroup_path = NULL;
	CHECK(run(&spec, out, sizeof(out)) == -1);
	CHECK(strstr(out, "needs a cgroup") != NULL);
	spec_free(&spec);

	make_spec(&spec, "true");
	spec.sysctls = strv("kernel.panic=1", NULL, NULL);
	CHECK(run(&spec, out, sizeof(out)) == -1);
	CHECK(strstr(out, "kernel.panic") != NULL);
	spec_free(&spec);

	/* A failure inside the child: the cgroup it had is gone too. */
	make_spec(&spec, "true");
	free(spec.process.cwd);
	spec.process.cwd = strdup("/no/such/dir");
	CHECK(run(&spec, out, sizeof(out)) == -1);
	CHECK(strstr(out, "/no/such/dir") != NULL);
	snprintf(path, sizeof(path), "/sys/fs/cgroup/pids/%s",
	    spec.cgroup_path);
	CHECK(access(path, F_OK) < 0);
	check_no_mounts();
	spec_free(&spec);
}

int
main(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char tmpl[] = "/tmp/berth-test-spawn.XXXXXX";

	if (getuid() != 0) {
		printf("ok - spawner tests need root # SKIP\n");
		return (0);
	}
	if (mkdtemp(tmpl) == NULL)
		return (1);
	snprintf(top, sizeof(top), "%s", tmpl);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", top);
	snprintf(cgparent, sizeof(cgparent), "berth-test-spawn-%d",
	    (int)getpid());
	if (host("tools/mkrootfs.sh %s >/dev/null", rootfs) != 0) {
		printf("not ok - tools/mkrootfs.sh failed\n");
		return (1);
	}
	RUN(overlay_root_keeps_the_lower_intact);
	RUN(user_and_groups_by_name);
	RUN(umask_rlimits_and_no_new_privs);
	RUN(privileged_gets_all_caps_and_host_devices);
	RUN(terminal_master_is_returned);
	RUN(exec_joins_and_reports_errors);
	RUN(setup_process_is_out_of_reach);
	RUN(bad_specs_refused_with_nothing_left);
	CHECK(cgroup_remove_parent(cgparent, &err) == 0);
	berth_error_clear(&err);
	host("rm -rf %s", top);
	UNIT_EXIT();
}
