/*
 * Seccomp: Docker's default profile enforced in a child (what it refuses,
 * with which errno, and what it lets through, with and without
 * CAP_SYS_ADMIN), a JSON profile parsed and enforced, the errors for
 * malformed profiles, and the default profile built for several capability
 * sets and copied.  Filters are built in the parent and loaded in forked
 * children, which do little after loading and leave with _exit.
 */
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <linux/sched.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "fork-check.h"
#include "seccomp.h"
#include "unit.h"

#define BIT(c)		(UINT64_C(1) << (c))

/* Build p for caps in the parent; NULL (and a failed CHECK) if it fails. */
static scmp_filter_ctx
build(const struct seccomp_profile *p, uint64_t caps)
{
	struct berth_error err = BERTH_ERROR_INIT;
	scmp_filter_ctx ctx = NULL;

	if (seccomp_build(p, caps, &ctx, &err) != 0) {
		fprintf(stderr, "# build: %s\n", berth_error_message(&err));
		ctx = NULL;
	}
	CHECK(ctx != NULL);
	berth_error_clear(&err);
	return (ctx);
}

static scmp_filter_ctx
build_default(uint64_t caps)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct seccomp_profile *p = NULL;
	scmp_filter_ctx ctx;

	CHECK(seccomp_profile_default(&p, &err) == 0);
	if (p == NULL)
		return (NULL);
	ctx = build(p, caps);
	seccomp_profile_free(p);
	return (ctx);
}

/* In the child: load, reporting a failure. */
static int
load(int fd, scmp_filter_ctx ctx)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (seccomp_load_filter(ctx, &err) != 0) {
		dprintf(fd, "load: %s\n", berth_error_message(&err));
		return (-1);
	}
	return (0);
}

/* Raw syscalls: a result of -1 with errno, as libc would give. */
static long
try_clone_flags(unsigned long flags)
{
	long pid;

	pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return (pid);
}

static long
try_clone3(void)
{
	struct clone_args args;
	long pid;

	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return (pid);
}

#define DENIED(fd, call, e) do {					\
	errno = 0;							\
	CCHECK(fd, (call) == -1 && errno == (e));			\
} while (0)

static void
default_refuses_child(int fd, void *arg)
{
	char buf[1];
	int p[2];
	pid_t pid;
	int status;

	if (load(fd, arg) != 0)
		return;
	/* Not in the allow list: EPERM. */
	DENIED(fd, syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */,
	    -3 /* KEY_SPEC_SESSION_KEYRING */, 0), EPERM);
	DENIED(fd, syscall(SYS_add_key, "user", "berth", "x", 1, -3), EPERM);
	DENIED(fd, syscall(SYS_request_key, "user", "berth", NULL, 0),
	    EPERM);
	DENIED(fd, unshare(CLONE_NEWUSER), EPERM);
	DENIED(fd, unshare(CLONE_NEWNS), EPERM);
	DENIED(fd, mount("none", "/nonexistent-berth", "tmpfs", 0, NULL),
	    EPERM);
	DENIED(fd, umount2("/nonexistent-berth", 0), EPERM);
	/* A bad magic: harmless even if the filter let it through. */
	DENIED(fd, syscall(SYS_reboot, 0, 0, 0, NULL), EPERM);
	DENIED(fd, syscall(SYS_init_module, NULL, 0, ""), EPERM);
	DENIED(fd, syscall(SYS_finit_module, -1, "", 0), EPERM);
	DENIED(fd, syscall(SYS_delete_module, "berth-none", 0), EPERM);
	DENIED(fd, syscall(SYS_setns, -1, 0), EPERM);
	DENIED(fd, syscall(SYS_open_by_handle_at, -1, NULL, 0), EPERM);
	DENIED(fd, syscall(SYS_settimeofday, NULL, NULL), EPERM);
	DENIED(fd, syscall(SYS_iopl, 0), EPERM);
	DENIED(fd, syscall(SYS_bpf, 0, NULL, 0), EPERM);
	DENIED(fd, syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0), EPERM);
	DENIED(fd, syscall(SYS_syslog, 10, NULL, 0), EPERM);
	DENIED(fd, syscall(SYS_kcmp, 0, 0, 0, 0, 0), EPERM);
	DENIED(fd, syscall(SYS_acct, NULL), EPERM);
	DENIED(fd, syscall(SYS_vhangup), EPERM);
	/* clone3 answers ENOSYS so that libc falls back to clone. */
	DENIED(fd, try_clone3(), ENOSYS);
	/* clone with a namespace flag is refused ... */
	DENIED(fd, try_clone_flags(CLONE_NEWNS), EPERM);
	DENIED(fd, try_clone_flags(CLONE_NEWUSER), EPERM);
	DENIED(fd, try_clone_flags(CLONE_NEWNET), EPERM);
	/* ... personality outside Docker's five values too ... */
	DENIED(fd, personality(0x1234), EPERM);
	DENIED(fd, personality(READ_IMPLIES_EXEC), EPERM);
	/* ... and vsock sockets. */
	DENIED(fd, socket(40 /* AF_VSOCK */, SOCK_STREAM, 0), EPERM);

	/* What stays allowed. */
	CCHECK(fd, getpid() > 0);
	CCHECK(fd, pipe(p) == 0);
	CCHECK(fd, write(p[1], "x", 1) == 1);
	CCHECK(fd, read(p[0], buf, 1) == 1 && buf[0] == 'x');
	CCHECK(fd, personality(0xffffffff) != -1);
	CCHECK(fd, personality(PER_LINUX) != -1);
	CCHECK(fd, socket(AF_UNIX, SOCK_STREAM, 0) >= 0);
	CCHECK(fd, chroot("/") == 0);		/* CAP_SYS_CHROOT */
	CCHECK(fd, try_clone_flags(0) > 0);
	pid = fork();
	if (pid == 0)
		_exit(7);
	CCHECK(fd, pid > 0);
	CCHECK(fd, waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 7);
	/* Loaded without no_new_privs: the spawner decides that. */
	CCHECK(fd, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0);
}

static void
default_profile_enforced(void)
{
	scmp_filter_ctx ctx = build_default(caps_docker_default());

	if (ctx == NULL)
		return;
	fork_check(default_refuses_child, ctx);
	seccomp_release(ctx);
}

static void
sys_admin_child(int fd, void *arg)
{
	if (load(fd, arg) != 0)
		return;
	CCHECK(fd, unshare(CLONE_NEWNS) == 0);
	CCHECK(fd, try_clone_flags(CLONE_NEWNS) > 0);
	/* clone3 is the real one again (fails only for other reasons). */
	CCHECK(fd, try_clone3() > 0);
	/* Still no keyctl: no capability brings it. */
	DENIED(fd, syscall(SYS_keyctl, 0, -3, 0), EPERM);
}

static void
sys_admin_allows_namespaces(void)
{
	scmp_filter_ctx ctx = build_default(caps_docker_default() |
	    BIT(CAP_SYS_ADMIN));

	if (ctx == NULL)
		return;
	fork_check(sys_admin_child, ctx);
	seccomp_release(ctx);
}

static void
all_caps_child(int fd, void *arg)
{
	if (load(fd, arg) != 0)
		return;
	/* Allowed by the filter: the kernel's own answer comes back. */
	errno = 0;
	CCHECK(fd, syscall(SYS_reboot, 0, 0, 0, NULL) == -1 &&
	    errno == EINVAL);
	errno = 0;
	CCHECK(fd, syscall(SYS_delete_module, "berth-none", 0) == -1 &&
	    (errno == ENOENT || errno == ENOSYS));
	CCHECK(fd, chroot("/") == 0);
}

static void
capabilities_add_their_syscalls(void)
{
	scmp_filter_ctx ctx = build_default(caps_all());

	if (ctx == NULL)
		return;
	fork_check(all_caps_child, ctx);
	seccomp_release(ctx);
}

static const char small_profile[] =
    "{\n"
    "  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n"
    "  \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"],\n"
    "  \"syscalls\": [\n"
    "    { \"names\": [\"mkdir\", \"mkdirat\"],\n"
    "      \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1 },\n"
    "    { \"name\": \"kill\", \"action\": \"SCMP_ACT_ERRNO\",\n"
    "      \"errnoRet\": 13, \"comment\": \"signal 0 only\",\n"
    "      \"args\": [ { \"index\": 1, \"value\": 0,\n"
    "                  \"op\": \"SCMP_CMP_EQ\" } ] },\n"
    "    { \"names\": [\"uname\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
    "      \"errnoRet\": 38,\n"
    "      \"excludes\": { \"caps\": [\"CAP_NET_RAW\"] } },\n"
    "    { \"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
    "      \"errnoRet\": 22,\n"
    "      \"includes\": { \"caps\": [\"CAP_SYS_ADMIN\"] } },\n"
    "    { \"names\": [\"getpgid\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
    "      \"errnoRet\": 33,\n"
    "      \"includes\": { \"minKernel\": \"3.0\" } },\n"
    "    { \"names\": [\"getsid\"], \"action\": \"SCMP_ACT_ERRNO\",\n"
    "      \"errnoRet\": 34,\n"
    "      \"includes\": { \"minKernel\": \"200.0\" } },\n"
    "    { \"names\": [\"no_such_syscall_berth\", \"getpriority\"],\n"
    "      \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 35 },\n"
    "    { \"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\" }\n"
    "  ]\n"
    "}\n";

static void
small_profile_child(int fd, void *arg)
{
	struct utsname u;

	if (load(fd, arg) != 0)
		return;
	DENIED(fd, mkdir("/tmp/berth-seccomp-test", 0700), EPERM);
	DENIED(fd, kill(getpid(), 0), EACCES);
	CCHECK(fd, kill(getpid(), SIGCONT) == 0);
	/* Excluded: the caps hold CAP_NET_RAW. */
	CCHECK(fd, uname(&u) == 0);
	/* Not included: no CAP_SYS_ADMIN. */
	CCHECK(fd, getppid() > 0);
	DENIED(fd, getpgid(0), EDOM);
	CCHECK(fd, getsid(0) >= 0);
	errno = 0;
	CCHECK(fd, getpriority(PRIO_PROCESS, 0) == -1 && errno == 35);
}

static void
json_profile_enforced(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct seccomp_profile *p = NULL;
	scmp_filter_ctx ctx;

	CHECK(seccomp_profile_from_json(small_profile, &p, &err) == 0);
	if (p == NULL) {
		fprintf(stderr, "# %s\n", berth_error_message(&err));
		berth_error_clear(&err);
		return;
	}
	CHECK(p->default_action == SCMP_ACT_ALLOW);
	CHECK(p->nrules == 8);
	CHECK(p->narches == 2);
	CHECK(p->rules[0].action == SCMP_ACT_ERRNO(EPERM));
	CHECK_STR(p->rules[1].names[0], "kill");
	CHECK(p->rules[1].names[1] == NULL);
	CHECK(p->rules[1].nargs == 1 && p->rules[1].args[0].index == 1);
	ctx = build(p, caps_docker_default());
	if (ctx != NULL) {
		fork_check(small_profile_child, ctx);
		seccomp_release(ctx);
	}
	seccomp_profile_free(p);
}

/* Docker's own shape: archMap, args with valueTwo, subArchitectures
 * null, minKernel, comments, excludes by arch. */
static const char docker_shaped[] =
    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
    "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\","
    "\"subArchitectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]},"
    "{\"architecture\":\"SCMP_ARCH_AARCH64\","
    "\"subArchitectures\":[\"SCMP_ARCH_ARM\"]},"
    "{\"architecture\":\"SCMP_ARCH_RISCV64\",\"subArchitectures\":null}],"
    "\"syscalls\":[{\"names\":[\"read\",\"write\",\"exit_group\"],"
    "\"action\":\"SCMP_ACT_ALLOW\"},"
    "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\","
    "\"args\":[{\"index\":0,\"value\":2114060288,\"valueTwo\":0,"
    "\"op\":\"SCMP_CMP_MASKED_EQ\"}],"
    "\"excludes\":{\"caps\":[\"CAP_SYS_ADMIN\"],"
    "\"arches\":[\"s390\",\"s390x\"]}},"
    "{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ALLOW\","
    "\"includes\":{\"minKernel\":\"4.8\"}},"
    "{\"names\":[\"arch_prctl\"],\"action\":\"SCMP_ACT_ALLOW\","
    "\"comment\":\"\",\"includes\":{\"arches\":[\"amd64\",\"x32\"]},"
    "\"excludes\":{}}]}";

static void
docker_format_parsed(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct seccomp_profile *p = NULL;
	scmp_filter_ctx ctx;

	CHECK(seccomp_profile_from_json(docker_shaped, &p, &err) == 0);
	if (p == NULL) {
		fprintf(stderr, "# %s\n", berth_error_message(&err));
		berth_error_clear(&err);
		return;
	}
	CHECK(p->default_action == SCMP_ACT_ERRNO(1));
	CHECK(p->nrules == 4);
	CHECK(p->rules[1].args[0].op == SCMP_CMP_MASKED_EQ);
	CHECK(p->rules[1].args[0].value == 0x7e020000);
	CHECK(p->rules[1].excludes.caps == BIT(CAP_SYS_ADMIN));
	CHECK(p->rules[1].excludes.narches == 2);
	CHECK(p->rules[2].includes.min_kernel == (4 << 16 | 8 << 8));
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		/* The native entry of archMap, with its sub-architectures. */
		CHECK(p->narches == 3);
		CHECK(p->arches[0] == SCMP_ARCH_X86_64);
		CHECK(p->arches[1] == SCMP_ARCH_X86);
		CHECK(p->arches[2] == SCMP_ARCH_X32);
		CHECK(p->rules[3].includes.arches[0] == SCMP_ARCH_X86_64);
	}
	ctx = build(p, caps_docker_default());
	if (ctx != NULL) {
		CHECK(seccomp_arch_exist(ctx, SCMP_ARCH_X86_64) == 0 ||
		    seccomp_arch_native() != SCMP_ARCH_X86_64);
		CHECK(seccomp_arch_exist(ctx, SCMP_ARCH_X86) == 0 ||
		    seccomp_arch_native() != SCMP_ARCH_X86_64);
		seccomp_release(ctx);
	}
	seccomp_profile_free(p);
}

static const struct {
	const char	*json;
	const char	*message;	/* a part of the error message */
	const char	*field;		/* the "field" parameter, or NULL */
} bad_profiles[] = {
	{ "[]", "not a JSON object", NULL },
	{ "{\"defaultAction\": ", "line 1", NULL },
	{ "{}", "defaultAction: missing", "defaultAction" },
	{ "{\"defaultAction\":\"SCMP_ACT_FOO\"}",
	    "defaultAction: unknown action SCMP_ACT_FOO", "defaultAction" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":-1}",
	    "defaultErrnoRet: -1 out of range", "defaultErrnoRet" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"bogus\":1}",
	    "bogus: unknown field", "bogus" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}",
	    "syscalls: not an array", "syscalls" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[3]}",
	    "syscalls[0]: not an object", "syscalls[0]" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\"},"
	    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\"},"
	    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\"},"
	    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_FOO\"}]}",
	    "syscalls[3].action: unknown action SCMP_ACT_FOO",
	    "syscalls[3].action" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	    "{\"action\":\"SCMP_ACT_ERRNO\"}]}",
	    "syscalls[0].names: missing", "syscalls[0].names" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	    "{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}]}",
	    "syscalls[0].names: no syscall names", "syscalls[0].names" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	    "{\"names\":[\"read\",7],\"action\":\"SCMP_ACT_ERRNO\"}]}",
	    "syscalls[0].names[1]: not a string", "syscalls[0].names[1]" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	    "{\"names\":[\"read\"]}]}",
	    "syscalls[0].action: missing", "syscalls[0].action" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
	    "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_FOO\"}]}]}",
	    "syscalls[0].args[0].op: unknown operator SCMP_CMP_FOO",
	    "syscalls[0].args[0].op" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
	    "\"args\":[{\"index\":6,\"op\":\"SCMP_CMP_EQ\"}]}]}",
	    "syscalls[0].args[0].index: 6 out of range 0..5",
	    "syscalls[0].args[0].index" },
	{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
	    "\"args\":[{\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
	    "syscalls[0].args[0].index: missing",
	    "syscalls[0].args[0].index" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
	    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
	    "\"errnoRet\":1}]}",
	    "syscalls[0].errnoRet: not allowed with SCMP_ACT_ALLOW",
	    "syscalls[0].errnoRet" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
	    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
	    "\"sideEffects\":1}]}",
	    "syscalls[0].sideEffects: unknown field",
	    "syscalls[0].sideEffects" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
	    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
	    "\"includes\":{\"caps\":[\"CAP_NOPE\"]}}]}",
	    "syscalls[0].includes.caps[0]: unknown capability CAP_NOPE",
	    "syscalls[0].includes.caps[0]" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
	    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
	    "\"excludes\":{\"arches\":[\"vax\"]}}]}",
	    "syscalls[0].excludes.arches[0]: unknown architecture vax",
	    "syscalls[0].excludes.arches[0]" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
	    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
	    "\"includes\":{\"minKernel\":\"four\"}}]}",
	    "syscalls[0].includes.minKernel: bad kernel version four",
	    "syscalls[0].includes.minKernel" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
	    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
	    "syscalls[0].action: SCMP_ACT_NOTIFY is not supported",
	    "syscalls[0].action" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\","
	    "\"architectures\":[\"SCMP_ARCH_VAX\"]}",
	    "architectures[0]: unknown architecture SCMP_ARCH_VAX",
	    "architectures[0]" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\","
	    "\"architectures\":[\"SCMP_ARCH_X86\"],"
	    "\"archMap\":[{\"architecture\":\"SCMP_ARCH_X86_64\"}]}",
	    "archMap: not with architectures", "archMap" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\","
	    "\"archMap\":[{\"arch\":\"SCMP_ARCH_X86_64\"}]}",
	    "archMap[0].arch: unknown field", "archMap[0].arch" },
	{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\","
	    "\"flags\":[\"SECCOMP_FILTER_FLAG_NOPE\"]}",
	    "flags[0]: unknown flag SECCOMP_FILTER_FLAG_NOPE", "flags[0]" },
};

static void
json_errors_name_the_field(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct seccomp_profile *p;
	const char *msg;
	size_t i;
	int j;

	for (i = 0; i < sizeof(bad_profiles) / sizeof(bad_profiles[0]);
	    i++) {
		p = NULL;
		CHECK(seccomp_profile_from_json(bad_profiles[i].json, &p,
		    &err) == -1);
		CHECK(p == NULL);
		CHECK(berth_error_is(&err, RT_E_SPEC));
		msg = berth_error_message(&err);
		if (msg == NULL ||
		    strstr(msg, bad_profiles[i].message) == NULL) {
			fprintf(stderr, "# profile %zu: '%s', wanted '%s'\n",
			    i, msg ? msg : "(null)", bad_profiles[i].message);
			CHECK(!"message names the field");
		}
		if (bad_profiles[i].field != NULL) {
			for (j = 0; j < err.nparams; j++) {
				if (strcmp(err.params[j].key, "field") == 0)
					break;
			}
			CHECK(j < err.nparams);
			if (j < err.nparams)
				CHECK_STR(err.params[j].str,
				    bad_profiles[i].field);
		}
		seccomp_profile_free(p);
		berth_error_clear(&err);
	}
}

/* The filter's text, to compare two builds. */
static char *
filter_text(scmp_filter_ctx ctx)
{
	char *text = NULL;
	long n;
	int fd;

	if ((fd = memfd_create("pfc", MFD_CLOEXEC)) < 0)
		return (NULL);
	if (seccomp_export_pfc(ctx, fd) == 0 &&
	    (n = lseek(fd, 0, SEEK_END)) > 0 &&
	    (text = calloc(1, n + 1)) != NULL &&
	    pread(fd, text, n, 0) != n) {
		free(text);
		text = NULL;
	}
	close(fd);
	return (text);
}

/* A deep copy: equal rules, nothing shared. */
static void
check_copy(const struct seccomp_profile *p, const struct seccomp_profile *q)
{
	size_t i, j;

	CHECK(q->nrules == p->nrules && q->rules != p->rules);
	CHECK(q->narches == p->narches && q->default_action ==
	    p->default_action);
	for (i = 0; i < p->nrules && i < q->nrules; i++) {
		CHECK(q->rules[i].names != p->rules[i].names);
		for (j = 0; p->rules[i].names[j] != NULL; j++)
			CHECK_STR(q->rules[i].names[j], p->rules[i].names[j]);
		CHECK(q->rules[i].names[j] == NULL);
		CHECK(q->rules[i].nargs == p->rules[i].nargs);
		CHECK(q->rules[i].nargs == 0 ||
		    q->rules[i].args != p->rules[i].args);
	}
}

/* The same filter from p and q, and CAP_SYS_ADMIN's rules only with it. */
static void
check_same_filter(const struct seccomp_profile *p,
    const struct seccomp_profile *q, uint64_t caps)
{
	scmp_filter_ctx a = build(p, caps), b = build(q, caps);
	char *ta = NULL, *tb = NULL;

	if (a != NULL && b != NULL) {
		ta = filter_text(a);
		tb = filter_text(b);
		CHECK(ta != NULL && tb != NULL && strcmp(ta, tb) == 0);
	}
	if (ta != NULL) {
		if (caps & BIT(CAP_SYS_ADMIN))
			CHECK(strstr(ta, "\"mount\"") != NULL);
		else
			CHECK(strstr(ta, "\"mount\"") == NULL);
		CHECK(strstr(ta, "\"keyctl\"") == NULL);
	}
	free(ta);
	free(tb);
	if (a != NULL)
		seccomp_release(a);
	if (b != NULL)
		seccomp_release(b);
}

static void
default_builds_and_copies(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct seccomp_profile *p = NULL, *q = NULL;
	const uint64_t sets[] = { 0, caps_docker_default(), caps_all(),
	    caps_docker_default() | BIT(CAP_SYS_ADMIN) };
	size_t i;

	CHECK(seccomp_profile_default(&p, &err) == 0);
	if (p != NULL)
		q = seccomp_profile_dup(p);
	CHECK(q != NULL);
	if (p == NULL || q == NULL) {
		seccomp_profile_free(p);
		return;
	}
	CHECK(p->default_action == SCMP_ACT_ERRNO(EPERM));
	if (seccomp_arch_native() == SCMP_ARCH_X86_64)
		CHECK(p->narches == 3);
	check_copy(p, q);
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		check_same_filter(p, q, sets[i]);
	seccomp_profile_free(q);
	seccomp_profile_free(p);
}

/* A rule libseccomp refuses is an error that names the syscall. */
static void
refused_rule_names_syscall(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct seccomp_arg bad = { .index = 7, .op = SCMP_CMP_EQ };
	struct seccomp_rule rule = {
		.names = (char *[]){ "getppid", NULL },
		.action = SCMP_ACT_ERRNO(EPERM),
		.args = &bad,
		.nargs = 1,
	};
	struct seccomp_profile p = {
		.default_action = SCMP_ACT_ALLOW,
		.rules = &rule,
		.nrules = 1,
	};
	scmp_filter_ctx ctx = NULL;
	const char *msg;

	CHECK(seccomp_build(&p, 0, &ctx, &err) == -1);
	CHECK(ctx == NULL);
	msg = berth_error_message(&err);
	CHECK(msg != NULL && strstr(msg, "getppid") != NULL);
	CHECK(msg != NULL && strstr(msg, "syscalls[0]") != NULL);
	CHECK(err.errnum == EINVAL);
	berth_error_clear(&err);
}

int
main(void)
{
	if (geteuid() != 0) {
		printf("# not root: skipped\n");
		return (0);
	}
	RUN(default_profile_enforced);
	RUN(sys_admin_allows_namespaces);
	RUN(capabilities_add_their_syscalls);
	RUN(json_profile_enforced);
	RUN(docker_format_parsed);
	RUN(json_errors_name_the_field);
	RUN(default_builds_and_copies);
	RUN(refused_rule_names_syscall);
	UNIT_EXIT();
}
