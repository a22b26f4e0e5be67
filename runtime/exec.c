/*
 * rt_exec: another process in a running container.
 *
 * The new process must be born in the container's pid namespace, which
 * only a parent's pid_for_children can give: the caller joins it for the
 * one clone3 (with CLONE_INTO_CGROUP on v2) and returns to its own right
 * after.  The child then joins the container's other namespaces at once
 * through its pidfd (setns with a pidfd; the mount namespace brings the
 * container's root and cwd along), opens its terminal in the container's
 * devpts, and goes through the same process set-up as the container's
 * first process, with the exec's own user, capabilities and the
 * container's seccomp profile.
 */
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "child.h"
#include "seccomp.h"
#include "spawn.h"

static void __attribute__((noreturn))
exec_child_main(struct child_ctx *c)
{
	int flags = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET |
	    CLONE_NEWCGROUP;

	/* The parent is outside the new pid namespace: getppid() is 0. */
	spawn_child_start(c, 0);
	/* Joining one's own user namespace is refused: only a container's
	 * own is joined. */
	if (c->spec->namespaces[RT_NS_USER].enabled)
		flags |= CLONE_NEWUSER;
	if (setns(c->container_pidfd, flags) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "join the container's "
		    "namespaces");
	if (c->spec->namespaces[RT_NS_USER].enabled &&
	    (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		child_fail(c, RT_E_SETUP, errno, 1, "become root in the "
		    "container's user namespace");
	if (chdir("/") < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "chdir /");
	if (c->process->terminal)
		console_setup(c, false);
	process_exec(c);
}

int
rt_exec(const struct rt_spec *spec, int container_pidfd, struct rt_cgroup *cg,
    const struct rt_process *process, const struct rt_spawn_opts *opts,
    struct rt_container *out, struct berth_error *err)
{
	cleanup_close int own_pidns = -1;
	struct child_ctx c;
	int sock[2] = { -1, -1 }, pidfd = -1, go = SYNC_GO, ns, saved, rc = -1;
	pid_t pid;

	out->pid = 0;
	out->pidfd = out->console_fd = -1;
	out->cgroup = NULL;
	if (process->args == NULL || process->args[0] == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0, "no command given"));
	memset(&c, 0, sizeof(c));
	c.spec = spec;
	c.process = process;
	c.opts = opts;
	c.container_pidfd = container_pidfd;
	c.exec_fifo_fd = c.console_slave = -1;
	for (ns = 0; ns < RT_NS_COUNT; ns++)
		c.ns_fds[ns] = -1;
	if (spec->seccomp != NULL && !spec->privileged &&
	    seccomp_build(spec->seccomp, process->caps.bounding, &c.seccomp,
	    err) < 0)
		return (berth_error_wrap(err, "seccomp profile"));
	if ((own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0) {
		berth_error_sys(err, "open /proc/self/ns/pid");
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0) {
		berth_error_sys(err, "socketpair");
		goto out;
	}
	c.sync_fd = sock[1];
	if (setns(container_pidfd, CLONE_NEWPID) < 0) {
		berth_error_sys(err, "join the container's pid namespace");
		goto out;
	}
	pid = spawn_clone3(0, cg != NULL ? cgroup_clone_fd(cg) : -1, &pidfd);
	saved = errno;
	if (pid == 0) {
		close(sock[0]);
		exec_child_main(&c);
	}
	/* Back to our own, before anything else is forked. */
	if (setns(own_pidns, CLONE_NEWPID) < 0) {
		berth_error_sys(err, "return to berth's pid namespace");
		if (pid > 0) {
			spawn_abort_child(pidfd);
			close(pidfd);
		}
		goto out;
	}
	if (pid < 0) {
		errno = saved;
		berth_error_sys(err, "clone3");
		goto out;
	}
	close(sock[1]);
	sock[1] = -1;
	if ((cg != NULL && cgroup_clone_fd(cg) < 0 &&
	    cgroup_attach(cg, pid, err) < 0) ||
	    (send(sock[0], &go, sizeof(go), MSG_NOSIGNAL) < 0 &&
	    berth_error_sys(err, "start the exec's set-up")) ||
	    spawn_wait_child(sock[0], pid, opts, out, err) < 0) {
		spawn_abort(pidfd, out);
		goto out;
	}
	out->pid = pid;
	out->pidfd = pidfd;
	rc = 0;
out:
	if (c.seccomp != NULL)
		seccomp_release(c.seccomp);
	if (sock[0] >= 0)
		close(sock[0]);
	if (sock[1] >= 0)
		close(sock[1]);
	return (rc);
}
