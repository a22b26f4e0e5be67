/*
 * Docker's default seccomp profile, as data: the architectures, the allow
 * list, the argument-filtered exceptions and the rules that depend on
 * capabilities or architecture.
 *
 * Provenance: moby/moby profiles/seccomp/default.json (and the
 * default_linux.go it is generated from) at commit 00f3d189e420, read and
 * re-expressed here rule by rule, in the same order.  Names libseccomp
 * does not know on the running architecture are skipped when the filter is
 * built, as Docker does.  Anything not allowed gets EPERM.
 */
#include <sys/capability.h>

#include <errno.h>
#include <stdlib.h>

#include "seccomp.h"
#include "spec.h"

#define CAP(c)		(UINT64_C(1) << (c))
#define NAMES(...)	.names = (char *[]){ __VA_ARGS__, NULL }
#define ARCHES(...)	.arches = { __VA_ARGS__ },			\
			.narches = sizeof((uint32_t[]){ __VA_ARGS__ }) /	\
			    sizeof(uint32_t)
#define ARG(i, o, v, v2) \
	.args = (struct seccomp_arg[]){ { .index = (i), .op = (o),	\
	    .value = (v), .value_two = (v2) } }, .nargs = 1

/* The namespace flags clone may not carry without CAP_SYS_ADMIN. */
#define CLONE_NS_FLAGS	(0x00020000 /* CLONE_NEWNS */ |			\
			 0x04000000 /* CLONE_NEWUTS */ |		\
			 0x08000000 /* CLONE_NEWIPC */ |		\
			 0x10000000 /* CLONE_NEWUSER */ |		\
			 0x20000000 /* CLONE_NEWPID */ |		\
			 0x40000000 /* CLONE_NEWNET */ |		\
			 0x02000000 /* CLONE_NEWCGROUP */)

#define AF_VSOCK_FAMILY	40

/* Each native architecture and the ones its processes may also run. */
static const struct {
	uint32_t	native;
	uint32_t	sub[2];
	size_t		nsub;
} default_archmap[] = {
	{ SCMP_ARCH_X86_64, { SCMP_ARCH_X86, SCMP_ARCH_X32 }, 2 },
	{ SCMP_ARCH_AARCH64, { SCMP_ARCH_ARM }, 1 },
	{ SCMP_ARCH_MIPS64, { SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64N32 }, 2 },
	{ SCMP_ARCH_MIPS64N32, { SCMP_ARCH_MIPS, SCMP_ARCH_MIPS64 }, 2 },
	{ SCMP_ARCH_MIPSEL64, { SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64N32 }, 2 },
	{ SCMP_ARCH_MIPSEL64N32, { SCMP_ARCH_MIPSEL, SCMP_ARCH_MIPSEL64 }, 2 },
	{ SCMP_ARCH_S390X, { SCMP_ARCH_S390 }, 1 },
	{ SCMP_ARCH_RISCV64, { 0 }, 0 },
};

static const struct seccomp_rule default_rules[] = {
	/* The allow list. */
	{
		NAMES("accept", "accept4", "access", "adjtimex", "alarm",
		    "bind", "brk", "capget", "capset", "chdir", "chmod",
		    "chown", "chown32", "clock_adjtime", "clock_adjtime64",
		    "clock_getres", "clock_getres_time64", "clock_gettime",
		    "clock_gettime64", "clock_nanosleep",
		    "clock_nanosleep_time64", "close", "close_range",
		    "connect", "copy_file_range", "creat", "dup", "dup2",
		    "dup3", "epoll_create", "epoll_create1", "epoll_ctl",
		    "epoll_ctl_old", "epoll_pwait", "epoll_pwait2",
		    "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2",
		    "execve", "execveat", "exit", "exit_group", "faccessat",
		    "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
		    "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown",
		    "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
		    "fgetxattr", "flistxattr", "flock", "fork",
		    "fremovexattr", "fsetxattr", "fstat", "fstat64",
		    "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
		    "ftruncate64", "futex", "futex_time64", "futex_waitv",
		    "futimesat", "getcpu", "getcwd", "getdents", "getdents64",
		    "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
		    "getgid32", "getgroups", "getgroups32", "getitimer",
		    "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
		    "getpriority", "getrandom", "getresgid", "getresgid32",
		    "getresuid", "getresuid32", "getrlimit",
		    "get_robust_list", "getrusage", "getsid", "getsockname",
		    "getsockopt", "get_thread_area", "gettid",
		    "gettimeofday", "getuid", "getuid32", "getxattr",
		    "inotify_add_watch", "inotify_init", "inotify_init1",
		    "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy",
		    "io_getevents", "io_pgetevents", "io_pgetevents_time64",
		    "ioprio_get", "ioprio_set", "io_setup", "io_submit",
		    "io_uring_enter", "io_uring_register", "io_uring_setup",
		    "ipc", "kill", "landlock_add_rule",
		    "landlock_create_ruleset", "landlock_restrict_self",
		    "lchown", "lchown32", "lgetxattr", "link", "linkat",
		    "listen", "listxattr", "llistxattr", "_llseek",
		    "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64",
		    "madvise", "membarrier", "memfd_create", "memfd_secret",
		    "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
		    "mlock", "mlock2", "mlockall", "mmap", "mmap2",
		    "mprotect", "mq_getsetattr", "mq_notify", "mq_open",
		    "mq_timedreceive", "mq_timedreceive_time64",
		    "mq_timedsend", "mq_timedsend_time64", "mq_unlink",
		    "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync",
		    "munlock", "munlockall", "munmap", "name_to_handle_at",
		    "nanosleep", "newfstatat", "_newselect", "open", "openat",
		    "openat2", "pause", "pidfd_open", "pidfd_send_signal",
		    "pipe", "pipe2", "pkey_alloc", "pkey_free",
		    "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl",
		    "pread64", "preadv", "preadv2", "prlimit64",
		    "process_mrelease", "pselect6", "pselect6_time64",
		    "pwrite64", "pwritev", "pwritev2", "read", "readahead",
		    "readlink", "readlinkat", "readv", "recv", "recvfrom",
		    "recvmmsg", "recvmmsg_time64", "recvmsg",
		    "remap_file_pages", "removexattr", "rename", "renameat",
		    "renameat2", "restart_syscall", "rmdir", "rseq",
		    "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
		    "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
		    "rt_sigtimedwait", "rt_sigtimedwait_time64",
		    "rt_tgsigqueueinfo", "sched_getaffinity",
		    "sched_getattr", "sched_getparam",
		    "sched_get_priority_max", "sched_get_priority_min",
		    "sched_getscheduler", "sched_rr_get_interval",
		    "sched_rr_get_interval_time64", "sched_setaffinity",
		    "sched_setattr", "sched_setparam", "sched_setscheduler",
		    "sched_yield", "seccomp", "select", "semctl", "semget",
		    "semop", "semtimedop", "semtimedop_time64", "send",
		    "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto",
		    "setfsgid", "setfsgid32", "setfsuid", "setfsuid32",
		    "setgid", "setgid32", "setgroups", "setgroups32",
		    "setitimer", "setpgid", "setpriority", "setregid",
		    "setregid32", "setresgid", "setresgid32", "setresuid",
		    "setresuid32", "setreuid", "setreuid32", "setrlimit",
		    "set_robust_list", "setsid", "setsockopt",
		    "set_thread_area", "set_tid_address", "setuid",
		    "setuid32", "setxattr", "shmat", "shmctl", "shmdt",
		    "shmget", "shutdown", "sigaltstack", "signalfd",
		    "signalfd4", "sigprocmask", "sigreturn", "socketcall",
		    "socketpair", "splice", "stat", "stat64", "statfs",
		    "statfs64", "statx", "symlink", "symlinkat", "sync",
		    "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill",
		    "time", "timer_create", "timer_delete",
		    "timer_getoverrun", "timer_gettime", "timer_gettime64",
		    "timer_settime", "timer_settime64", "timerfd_create",
		    "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
		    "timerfd_settime64", "times", "tkill", "truncate",
		    "truncate64", "ugetrlimit", "umask", "uname", "unlink",
		    "unlinkat", "utime", "utimensat", "utimensat_time64",
		    "utimes", "vfork", "vmsplice", "wait4", "waitid",
		    "waitpid", "write", "writev"),
		.action = SCMP_ACT_ALLOW,
	},
	/* Since 4.8 seccomp cannot be bypassed through ptrace. */
	{
		NAMES("process_vm_readv", "process_vm_writev", "ptrace"),
		.action = SCMP_ACT_ALLOW,
		.includes = { .min_kernel = (4 << 16) | (8 << 8) },
	},
	/* Every socket family but vsock. */
	{
		NAMES("socket"),
		.action = SCMP_ACT_ALLOW,
		ARG(0, SCMP_CMP_NE, AF_VSOCK_FAMILY, 0),
	},
	/* personality: Linux, PER_LINUX32, UNAME26 and their mix, and the
	 * query (0xffffffff); no other persona. */
	{
		NAMES("personality"),
		.action = SCMP_ACT_ALLOW,
		ARG(0, SCMP_CMP_EQ, 0x0, 0),
	},
	{
		NAMES("personality"),
		.action = SCMP_ACT_ALLOW,
		ARG(0, SCMP_CMP_EQ, 0x8, 0),
	},
	{
		NAMES("personality"),
		.action = SCMP_ACT_ALLOW,
		ARG(0, SCMP_CMP_EQ, 0x20000, 0),
	},
	{
		NAMES("personality"),
		.action = SCMP_ACT_ALLOW,
		ARG(0, SCMP_CMP_EQ, 0x20008, 0),
	},
	{
		NAMES("personality"),
		.action = SCMP_ACT_ALLOW,
		ARG(0, SCMP_CMP_EQ, 0xffffffff, 0),
	},
	/* Architecture-specific calls. */
	{
		NAMES("sync_file_range2", "swapcontext"),
		.action = SCMP_ACT_ALLOW,
		.includes = { ARCHES(SCMP_ARCH_PPC64LE) },
	},
	{
		NAMES("arm_fadvise64_64", "arm_sync_file_range",
		    "sync_file_range2", "breakpoint", "cacheflush",
		    "set_tls"),
		.action = SCMP_ACT_ALLOW,
		.includes = { ARCHES(SCMP_ARCH_ARM, SCMP_ARCH_AARCH64) },
	},
	{
		NAMES("arch_prctl"),
		.action = SCMP_ACT_ALLOW,
		.includes = { ARCHES(SCMP_ARCH_X86_64, SCMP_ARCH_X32) },
	},
	{
		NAMES("modify_ldt"),
		.action = SCMP_ACT_ALLOW,
		.includes = { ARCHES(SCMP_ARCH_X86_64, SCMP_ARCH_X32,
		    SCMP_ARCH_X86) },
	},
	{
		NAMES("s390_pci_mmio_read", "s390_pci_mmio_write",
		    "s390_runtime_instr"),
		.action = SCMP_ACT_ALLOW,
		.includes = { ARCHES(SCMP_ARCH_S390, SCMP_ARCH_S390X) },
	},
	{
		NAMES("riscv_flush_icache"),
		.action = SCMP_ACT_ALLOW,
		.includes = { ARCHES(SCMP_ARCH_RISCV64) },
	},
	/* Calls that need a capability. */
	{
		NAMES("open_by_handle_at"),
		.action = SCMP_ACT_ALLOW,
		.includes = { .caps = CAP(CAP_DAC_READ_SEARCH) },
	},
	{
		NAMES("bpf", "clone", "clone3", "fanotify_init", "fsconfig",
		    "fsmount", "fsopen", "fspick", "lookup_dcookie", "mount",
		    "mount_setattr", "move_mount", "open_tree",
		    "perf_event_open", "quotactl", "quotactl_fd",
		    "setdomainname", "sethostname", "setns", "syslog",
		    "umount", "umount2", "unshare"),
		.action = SCMP_ACT_ALLOW,
		.includes = { .caps = CAP(CAP_SYS_ADMIN) },
	},
	/* Without CAP_SYS_ADMIN, clone without namespace flags (the flags
	 * are the second argument on s390). */
	{
		NAMES("clone"),
		.action = SCMP_ACT_ALLOW,
		ARG(0, SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS, 0),
		.excludes = { .caps = CAP(CAP_SYS_ADMIN),
		    ARCHES(SCMP_ARCH_S390, SCMP_ARCH_S390X) },
	},
	{
		NAMES("clone"),
		.action = SCMP_ACT_ALLOW,
		ARG(1, SCMP_CMP_MASKED_EQ, CLONE_NS_FLAGS, 0),
		.includes = { ARCHES(SCMP_ARCH_S390, SCMP_ARCH_S390X) },
		.excludes = { .caps = CAP(CAP_SYS_ADMIN) },
	},
	/* clone3's flags are behind a pointer seccomp cannot read: answer
	 * ENOSYS so that libc falls back to clone, which is filtered. */
	{
		NAMES("clone3"),
		.action = SCMP_ACT_ERRNO(ENOSYS),
		.excludes = { .caps = CAP(CAP_SYS_ADMIN) },
	},
	{
		NAMES("reboot"),
		.action = SCMP_ACT_ALLOW,
		.includes = { .caps = CAP(CAP_SYS_BOOT) },
	},
	{
		NAMES("chroot"),
		.action = SCMP_ACT_ALLOW,
		.includes = { .caps = CAP(CAP_SYS_CHROOT) },
	},
	{
		NAMES("delete_module", "init_module", "finit_module"),
		.action = SCMP_ACT_ALLOW,
		.includes = { .caps = CAP(CAP_SYS_MODULE) },
	},
	{
		NAMES("acct"),
		.action = SCMP_ACT_ALLOW,
		.includes = { .caps = CAP(CAP_SYS_PACCT) },
	},
	{
		NAMES("kcmp", "pidfd_getfd", "process_madvise",
		    "process_vm_readv", "process_vm_writev", "ptrace"),
		.action = SCMP_ACT_ALLOW,
		.includes = { .caps = CAP(CAP_SYS_PTRACE) },
	},
	{
		NAMES("iopl", "ioperm"),
		.action = SCMP_ACT_ALLOW,
		.includes = { .caps = CAP(CAP_SYS_RAWIO) },
	},
	{
		NAMES("settimeofday", "stime", "clock_settime",
		    "clock_settime64"),
		.action = SCMP_ACT_ALLOW,
		.includes = { .caps = CAP(CAP_SYS_TIME) },
	},
	{
		NAMES("vhangup"),
		.action = SCMP_ACT_ALLOW,
		.includes = { .caps = CAP(CAP_SYS_TTY_CONFIG) },
	},
	{
		NAMES("get_mempolicy", "mbind", "set_mempolicy",
		    "set_mempolicy_home_node"),
		.action = SCMP_ACT_ALLOW,
		.includes = { .caps = CAP(CAP_SYS_NICE) },
	},
	{
		NAMES("syslog"),
		.action = SCMP_ACT_ALLOW,
		.includes = { .caps = CAP(CAP_SYSLOG) },
	},
	{
		NAMES("bpf"),
		.action = SCMP_ACT_ALLOW,
		.includes = { .caps = CAP(CAP_BPF) },
	},
	{
		NAMES("perf_event_open"),
		.action = SCMP_ACT_ALLOW,
		.includes = { .caps = CAP(CAP_PERFMON) },
	},
};

int
seccomp_profile_default(struct seccomp_profile **out,
    struct berth_error *err)
{
	const struct seccomp_profile table = {
		.default_action = SCMP_ACT_ERRNO(EPERM),
		/* Only read: seccomp_profile_dup copies it. */
		.rules = (struct seccomp_rule *)default_rules,
		.nrules = sizeof(default_rules) / sizeof(default_rules[0]),
	};
	struct seccomp_profile *p;
	uint32_t native = seccomp_arch_native();
	size_t i, j;

	if ((p = seccomp_profile_dup(&table)) == NULL)
		return (berth_error_sys(err, "default seccomp profile"));
	for (i = 0; i < sizeof(default_archmap) / sizeof(default_archmap[0]);
	    i++) {
		if (default_archmap[i].native != native)
			continue;
		p->arches[p->narches++] = native;
		for (j = 0; j < default_archmap[i].nsub; j++)
			p->arches[p->narches++] = default_archmap[i].sub[j];
		break;
	}
	*out = p;
	return (0);
}
