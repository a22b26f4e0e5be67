/*
 * rt_spawn: the parent's side of making a container, and the child's
 * first steps.
 *
 * Parent: build the seccomp filter, create the cgroup, open the
 * namespaces to join, then clone3 with CLONE_PIDFD, the new namespaces and
 * (v2) CLONE_INTO_CGROUP; then what only the parent can do while the child
 * waits on the sync socket: v1 cgroup membership, uid/gid maps; then "go",
 * and wait for the child to exec (the socket closes), to report it waits
 * on the exec fifo, or to report the step that failed.  On failure the
 * child is killed and reaped and the cgroup removed: nothing stays.
 *
 * Child: die with the parent until set up, non-dumpable until exec (so no
 * process in the container can open /proc/PID/exe of the set-up process),
 * wait for "go", join namespaces by path, enter its own cgroup namespace
 * (after the parent put it in its cgroup, so that is the namespace's
 * root), set up the filesystem (rootfs.c) and the process (process.c).
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "child.h"
#include "seccomp.h"
#include "spawn.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD		0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP	0x200000000ULL
#endif

/* clone3's argument, as <linux/sched.h> has it (that header and glibc's
 * <sched.h> do not mix). */
struct clone_args_v2 {
	uint64_t	flags;
	uint64_t	pidfd;
	uint64_t	child_tid;
	uint64_t	parent_tid;
	uint64_t	exit_signal;
	uint64_t	stack;
	uint64_t	stack_size;
	uint64_t	tls;
	uint64_t	set_tid;
	uint64_t	set_tid_size;
	uint64_t	cgroup;
};

static const int ns_clone_flags[RT_NS_COUNT] = {
	[RT_NS_USER] = CLONE_NEWUSER,
	[RT_NS_MOUNT] = CLONE_NEWNS,
	[RT_NS_PID] = CLONE_NEWPID,
	[RT_NS_UTS] = CLONE_NEWUTS,
	[RT_NS_IPC] = CLONE_NEWIPC,
	[RT_NS_NET] = CLONE_NEWNET,
	[RT_NS_CGROUP] = CLONE_NEWCGROUP,
};

void
rt_spawn_opts_init(struct rt_spawn_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->stdio[0] = opts->stdio[1] = opts->stdio[2] = -1;
	opts->console_socket = -1;
}

void
rt_container_release(struct rt_container *c)
{
	if (c->pidfd >= 0)
		close(c->pidfd);
	if (c->console_fd >= 0)
		close(c->console_fd);
	if (c->cgroup != NULL)
		cgroup_free(c->cgroup);
	c->pidfd = c->console_fd = -1;
	c->cgroup = NULL;
}

int
rt_exit_code(int code, int si_code)
{
	if (si_code == CLD_KILLED || si_code == CLD_DUMPED)
		return (128 + code);
	return (code);
}

pid_t
spawn_clone3(uint64_t flags, int cgroup_fd, int *pidfd)
{
	struct clone_args_v2 args;

	memset(&args, 0, sizeof(args));
	args.flags = flags | CLONE_PIDFD;
	args.pidfd = (uint64_t)(uintptr_t)pidfd;
	args.exit_signal = SIGCHLD;
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
	}
	return ((pid_t)syscall(SYS_clone3, &args, sizeof(args)));
}

/* In the child, first thing: a parent that dies takes the child along
 * (until the exec fifo), and nothing may inspect the set-up process. */
void
spawn_child_start(struct child_ctx *c, pid_t parent)
{
	sigset_t none;
	int type = 0, sig;

	/* A caller's blocked or ignored signals (berthd ignores SIGPIPE)
	 * would be inherited across exec: the process starts clean. */
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	    getppid() != parent)
		_exit(1);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "make the set-up process "
		    "non-dumpable");
	if (read(c->sync_fd, &type, sizeof(type)) != sizeof(type) ||
	    type != SYNC_GO)
		_exit(1);
}

static void __attribute__((noreturn))
child_main(struct child_ctx *c, pid_t parent)
{
	const struct rt_spec *spec = c->spec;
	int ns;

	/* In a pid namespace of its own the parent is out of sight. */
	spawn_child_start(c, spec->namespaces[RT_NS_PID].enabled ? 0 : parent);
	/* Joined namespaces: the user namespace first, so the others are
	 * entered with its privileges.  A pid namespace to join was joined
	 * by the parent for the clone (it applies to children only). */
	for (ns = 0; ns < RT_NS_COUNT; ns++)
		if (ns != RT_NS_PID && c->ns_fds[ns] >= 0 &&
		    setns(c->ns_fds[ns],
		    ns_clone_flags[ns]) < 0)
			child_fail(c, RT_E_SETUP, errno, 1, "join namespace "
			    "%s", spec->namespaces[ns].path);
	if (spec->namespaces[RT_NS_USER].enabled &&
	    (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		child_fail(c, RT_E_SETUP, errno, 1, "become root in the user "
		    "namespace (is 0 mapped?)");
	if (spec->namespaces[RT_NS_CGROUP].enabled &&
	    spec->namespaces[RT_NS_CGROUP].path == NULL &&
	    unshare(CLONE_NEWCGROUP) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "create the cgroup "
		    "namespace");
	rootfs_setup(c);
	process_exec(c);
}

/* Write one of /proc/PID/{uid,gid}_map. */
static int
write_idmap(pid_t pid, const char *file, const struct rt_idmap *maps,
    size_t n, struct berth_error *err)
{
	char path[64], buf[4096];
	cleanup_close int fd = -1;
	size_t len = 0, i;

	for (i = 0; i < n && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    "%u %u %u\n", maps[i].container, maps[i].host,
		    maps[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 ||
	    write(fd, buf, len) != (ssize_t)len)
		return (berth_error_sys(err, "write %s", path));
	return (0);
}

/* Pass the pty master on to the OCI console socket. */
static int
send_console(int sock, int master, struct berth_error *err)
{
	static const char name[] = "console";

	if (send_with_fd(sock, name, sizeof(name), master) < 0)
		return (berth_error_sys(err, "send the terminal to the "
		    "console socket"));
	return (0);
}

/*
 * Read the child's reports until it has exec'd (end of file), waits on
 * the exec fifo (READY), or failed (ERROR).
 */
int
spawn_wait_child(int sock, pid_t pid, const struct rt_spawn_opts *opts,
    struct rt_container *out, struct berth_error *err)
{
	return (spawn_read_child(sock, pid, opts, out, true, err));
}

/* As spawn_wait_child; without block, 1 when the child has more to say
 * and the socket has nothing yet. */
int
spawn_read_child(int sock, pid_t pid, const struct rt_spawn_opts *opts,
    struct rt_container *out, bool block, struct berth_error *err)
{
	int go = SYNC_GO;
	union {
		int			type;
		struct child_error	ce;
	} m;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t n;
	int fd;

	for (;;) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC |
		    (block ? 0 : MSG_DONTWAIT));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && !block && (errno == EAGAIN ||
		    errno == EWOULDBLOCK))
			return (1);
		if (n < 0)
			return (berth_error_sys(err, "read from the container's "
			    "set-up"));
		if (n == 0)
			return (0);
		if ((size_t)n < sizeof(int))
			return (berth_error_set(err, RT_E_SETUP, 0,
			    "short message from the container's set-up"));
		switch (m.type) {
		case SYNC_CONSOLE:
			cm = CMSG_FIRSTHDR(&msg);
			if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
				return (berth_error_set(err, RT_E_SETUP, 0,
				    "no terminal from the container's "
				    "set-up"));
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
			if (opts->console_socket >= 0) {
				n = send_console(opts->console_socket, fd,
				    err);
				close(fd);
				if (n < 0)
					return (-1);
			} else
				out->console_fd = fd;
			break;
		case SYNC_READY:
			return (0);
		case SYNC_BEFORE_PIVOT:
			if (opts->before_pivot != NULL &&
			    opts->before_pivot(opts->before_pivot_arg, pid,
			    err) < 0)
				return (-1);
			if (send(sock, &go, sizeof(go), MSG_NOSIGNAL) < 0)
				return (berth_error_sys(err, "resume the "
				    "container's set-up"));
			break;
		case SYNC_ERROR:
			if ((size_t)n < sizeof(m.ce))
				return (berth_error_set(err, RT_E_SETUP, 0,
				    "short error from the container's "
				    "set-up"));
			m.ce.name[sizeof(m.ce.name) - 1] = '\0';
			m.ce.message[sizeof(m.ce.message) - 1] = '\0';
			berth_error_set(err, m.ce.name, 0, "%s",
			    m.ce.message);
			err->errnum = m.ce.errnum;
			return (berth_error_param_int(err, "exit_code",
			    m.ce.exit_code));
		default:
			return (berth_error_set(err, RT_E_SETUP, 0,
			    "unknown message %d from the container's set-up",
			    m.type));
		}
	}
}

/* Kill and reap a child whose set-up failed. */
void
spawn_abort_child(int pidfd)
{
	siginfo_t si;

	syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	while (waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0 &&
	    errno == EINTR)
		;
}

/* The same, and drop what the caller would have got. */
void
spawn_abort(int pidfd, struct rt_container *out)
{
	spawn_abort_child(pidfd);
	close(pidfd);
	if (out->console_fd >= 0)
		close(out->console_fd);
	out->console_fd = -1;
}

/* Whether a sysctl belongs to a namespace the container owns. */
static bool
sysctl_namespaced(const struct rt_spec *spec, const char *s)
{
	static const char *const ipc[] = { "kernel.msgmax=", "kernel.msgmnb=",
	    "kernel.msgmni=", "kernel.sem=", "kernel.shmall=", "kernel.shmmax=",
	    "kernel.shmmni=", "kernel.shm_rmid_forced=", NULL };
	size_t i;

	if (strncmp(s, "net.", 4) == 0)
		return (spec->namespaces[RT_NS_NET].enabled);
	if (strncmp(s, "fs.mqueue.", 10) == 0)
		return (spec->namespaces[RT_NS_IPC].enabled);
	for (i = 0; ipc[i] != NULL; i++)
		if (strncmp(s, ipc[i], strlen(ipc[i])) == 0)
			return (spec->namespaces[RT_NS_IPC].enabled);
	if (strncmp(s, "kernel.hostname=", 16) == 0 ||
	    strncmp(s, "kernel.domainname=", 18) == 0)
		return (spec->namespaces[RT_NS_UTS].enabled);
	return (false);
}

static int
check_spec(const struct rt_spec *spec, struct berth_error *err)
{
	char **s;

	if (spec->root_path == NULL || spec->root_path[0] != '/')
		return (berth_error_set(err, RT_E_SPEC, 0, "the root path "
		    "must be absolute"));
	if (spec->process.args == NULL || spec->process.args[0] == NULL ||
	    spec->process.args[0][0] == '\0')
		return (berth_error_set(err, RT_E_SPEC, 0, "no command given "
		    "(process.args is empty)"));
	/* Device rules live in the cgroup: without one, CAP_MKNOD would
	 * reach every device of the host. */
	if (spec->cgroup_path == NULL && !spec->resources.devices_unrestricted)
		return (berth_error_set(err, RT_E_SPEC, 0, "a container needs "
		    "a cgroup (its device rules live there)"));
	if (!spec->namespaces[RT_NS_MOUNT].enabled ||
	    spec->namespaces[RT_NS_MOUNT].path != NULL)
		return (berth_error_set(err, RT_E_UNSUPPORTED, 0, "a container "
		    "needs a mount namespace of its own"));
	for (s = spec->sysctls; s != NULL && *s != NULL; s++)
		if (strchr(*s, '=') == NULL || strcspn(*s, "/") <
		    strcspn(*s, "=") || !sysctl_namespaced(spec, *s))
			return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
			    "sysctl %s: not a sysctl of a namespace the "
			    "container owns", *s));
	if (spec->overlay_lower != NULL && spec->overlay_upper != NULL &&
	    spec->overlay_work == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0, "an overlay upper "
		    "dir needs a work dir"));
	return (0);
}

/* Everything the parent sets up before the clone, and frees after. */
struct spawn_prep {
	struct child_ctx	 c;
	struct rt_cgroup	*cg;
	int			 sock[2];
};

static void
prep_release(struct spawn_prep *p)
{
	int ns;

	for (ns = 0; ns < RT_NS_COUNT; ns++)
		if (p->c.ns_fds[ns] >= 0)
			close(p->c.ns_fds[ns]);
	if (p->c.exec_fifo_fd >= 0)
		close(p->c.exec_fifo_fd);
	if (p->c.seccomp != NULL)
		seccomp_release(p->c.seccomp);
	if (p->sock[0] >= 0)
		close(p->sock[0]);
	if (p->sock[1] >= 0)
		close(p->sock[1]);
}

static int
prepare(const struct rt_spec *spec, const struct rt_spawn_opts *opts,
    struct spawn_prep *p, struct berth_error *err)
{
	int ns;

	memset(p, 0, sizeof(*p));
	p->c.spec = spec;
	p->c.process = &spec->process;
	p->c.opts = opts;
	p->c.exec_fifo_fd = p->c.container_pidfd = p->c.console_slave = -1;
	p->sock[0] = p->sock[1] = -1;
	for (ns = 0; ns < RT_NS_COUNT; ns++)
		p->c.ns_fds[ns] = -1;
	for (ns = 0; ns < RT_NS_COUNT; ns++) {
		if (!spec->namespaces[ns].enabled ||
		    spec->namespaces[ns].path == NULL)
			continue;
		p->c.ns_fds[ns] = open(spec->namespaces[ns].path,
		    O_RDONLY | O_CLOEXEC);
		if (p->c.ns_fds[ns] < 0)
			return (berth_error_sys(err, "open namespace %s",
			    spec->namespaces[ns].path));
	}
	if (spec->seccomp != NULL && !spec->privileged &&
	    seccomp_build(spec->seccomp, spec->process.caps.bounding,
	    &p->c.seccomp, err) < 0)
		return (berth_error_wrap(err, "seccomp profile"));
	if (opts->exec_fifo != NULL && (p->c.exec_fifo_fd =
	    open(opts->exec_fifo, O_PATH | O_CLOEXEC)) < 0)
		return (berth_error_sys(err, "open the exec fifo %s",
		    opts->exec_fifo));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    p->sock) < 0)
		return (berth_error_sys(err, "socketpair"));
	p->c.sync_fd = p->sock[1];
	return (0);
}

/* What the parent does while the child waits: cgroup (v1), id maps. */
static int
parent_setup(const struct rt_spec *spec, struct spawn_prep *p, pid_t pid,
    struct berth_error *err)
{
	int go = SYNC_GO;

	if (p->cg != NULL && cgroup_clone_fd(p->cg) < 0 &&
	    cgroup_attach(p->cg, pid, err) < 0)
		return (-1);
	if (spec->namespaces[RT_NS_USER].enabled &&
	    spec->namespaces[RT_NS_USER].path == NULL) {
		if (spec->nuid_mappings > 0 && write_idmap(pid, "uid_map",
		    spec->uid_mappings, spec->nuid_mappings, err) < 0)
			return (-1);
		if (spec->ngid_mappings > 0 && write_idmap(pid, "gid_map",
		    spec->gid_mappings, spec->ngid_mappings, err) < 0)
			return (-1);
	}
	if (send(p->sock[0], &go, sizeof(go), MSG_NOSIGNAL) < 0)
		return (berth_error_sys(err, "start the container's set-up"));
	return (0);
}

/*
 * clone3, in the pid namespace to join when the spec names one: only a
 * parent's pid_for_children puts a new process there, so the caller joins
 * it for the clone and returns to its own at once.
 */
static pid_t
clone_in_pidns(struct spawn_prep *p, uint64_t flags, int *pidfd,
    struct berth_error *err)
{
	int join = p->c.ns_fds[RT_NS_PID], own = -1, saved;
	pid_t pid;

	if (join >= 0) {
		if ((own = open("/proc/self/ns/pid", O_RDONLY |
		    O_CLOEXEC)) < 0)
			return (berth_error_sys(err, "open /proc/self/ns/pid"));
		if (setns(join, CLONE_NEWPID) < 0) {
			close(own);
			return (berth_error_sys(err, "join pid namespace %s",
			    p->c.spec->namespaces[RT_NS_PID].path));
		}
	}
	pid = spawn_clone3(flags, p->cg != NULL ? cgroup_clone_fd(p->cg) : -1,
	    pidfd);
	saved = errno;
	if (pid == 0)
		return (0);
	if (own >= 0) {
		if (setns(own, CLONE_NEWPID) < 0) {
			berth_error_sys(err, "return to berth's pid "
			    "namespace");
			if (pid > 0) {
				spawn_abort_child(*pidfd);
				close(*pidfd);
			}
			close(own);
			return (-1);
		}
		close(own);
	}
	if (pid < 0) {
		errno = saved;
		return (berth_error_sys(err, "clone3"));
	}
	return (pid);
}

struct rt_spawn_pending {
	pid_t			 pid;
	int			 pidfd;
	int			 sock;		/* the child's reports */
	struct rt_cgroup	*cg;
	struct rt_spawn_opts	 opts;		/* a copy: the caller's may go */
	struct rt_container	 got;		/* what the reports brought */
};

void
rt_spawn_pending_free(struct rt_spawn_pending *sp)
{
	struct berth_error derr = BERTH_ERROR_INIT;

	if (sp == NULL)
		return;
	if (sp->pidfd >= 0)
		spawn_abort(sp->pidfd, &sp->got);
	if (sp->sock >= 0)
		close(sp->sock);
	if (sp->got.console_fd >= 0)
		close(sp->got.console_fd);
	if (sp->cg != NULL) {
		(void)cgroup_destroy(sp->cg, &derr);
		berth_error_clear(&derr);
		cgroup_free(sp->cg);
	}
	free(sp);
}

int
rt_spawn_pending_fd(const struct rt_spawn_pending *sp)
{
	return (sp->sock);
}

int
rt_spawn_start(const struct rt_spec *spec, const struct rt_spawn_opts *opts,
    struct rt_spawn_pending **out, struct berth_error *err)
{
	struct rt_spawn_pending *sp;
	struct spawn_prep p;
	uint64_t flags = 0;
	pid_t pid, self = getpid();
	int ns, rc = -1;

	*out = NULL;
	if (check_spec(spec, err) < 0)
		return (-1);
	if ((sp = calloc(1, sizeof(*sp))) == NULL)
		return (berth_error_sys(err, "spawn"));
	sp->pidfd = sp->sock = sp->got.pidfd = sp->got.console_fd = -1;
	sp->opts = *opts;
	if (prepare(spec, opts, &p, err) < 0)
		goto out;
	if (spec->cgroup_path != NULL && cgroup_create(spec->cgroup_path,
	    &spec->resources, &sp->cg, err) < 0)
		goto out;
	p.cg = sp->cg;
	/* The cgroup namespace is entered by the child once it is in its
	 * cgroup, so that cgroup is the namespace's root. */
	for (ns = 0; ns < RT_NS_COUNT; ns++)
		if (ns != RT_NS_CGROUP && spec->namespaces[ns].enabled &&
		    spec->namespaces[ns].path == NULL)
			flags |= (uint64_t)ns_clone_flags[ns];
	pid = clone_in_pidns(&p, flags, &sp->pidfd, err);
	if (pid < 0)
		goto out;
	if (pid == 0) {
		close(p.sock[0]);
		child_main(&p.c, self);
	}
	sp->pid = pid;
	close(p.sock[1]);
	p.sock[1] = -1;
	sp->sock = p.sock[0];
	if (parent_setup(spec, &p, pid, err) < 0) {
		p.sock[0] = -1;
		goto out;
	}
	p.sock[0] = -1;
	*out = sp;
	sp = NULL;
	rc = 0;
out:
	prep_release(&p);
	rt_spawn_pending_free(sp);
	return (rc);
}

int
rt_spawn_step(struct rt_spawn_pending *sp, struct rt_container *out,
    struct berth_error *err)
{
	int rc;

	rc = spawn_read_child(sp->sock, sp->pid, &sp->opts, &sp->got, false,
	    err);
	if (rc != 0)
		return (rc);	/* 1: more to come; -1: freeing aborts it */
	out->pid = sp->pid;
	out->pidfd = sp->pidfd;
	out->console_fd = sp->got.console_fd;
	out->cgroup = sp->cg;
	sp->pidfd = sp->got.console_fd = -1;
	sp->cg = NULL;
	return (0);
}

int
rt_spawn(const struct rt_spec *spec, const struct rt_spawn_opts *opts,
    struct rt_container *out, struct berth_error *err)
{
	struct rt_spawn_pending *sp;
	struct pollfd pfd;
	int rc;

	out->pid = 0;
	out->pidfd = out->console_fd = -1;
	out->cgroup = NULL;
	if (rt_spawn_start(spec, opts, &sp, err) < 0)
		return (-1);
	pfd.fd = sp->sock;
	pfd.events = POLLIN;
	while ((rc = rt_spawn_step(sp, out, err)) == 1)
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
			rc = berth_error_sys(err, "wait for the container's "
			    "set-up");
			break;
		}
	rt_spawn_pending_free(sp);
	return (rc);
}

int
rt_start_fifo(const char *fifo, struct berth_error *err)
{
	cleanup_close int fd = -1;
	struct pollfd pfd;
	char c;
	int n;

	/* Non-blocking: the container may be gone, and nobody would ever
	 * open the other end. */
	if ((fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return (berth_error_sys(err, "open the exec fifo %s", fifo));
	pfd.fd = fd;
	pfd.events = POLLIN;
	do
		n = poll(&pfd, 1, 10000);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return (berth_error_set(err, RT_E_SETUP, ETIMEDOUT, "the "
		    "container did not take its start signal"));
	if (n < 0 || read(fd, &c, 1) != 1)
		return (berth_error_set(err, RT_E_SETUP, 0, "the container's "
		    "process is gone"));
	return (0);
}
