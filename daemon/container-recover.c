/*
 * After berthd was killed: containers the database says run are adopted
 * back if they still do, or marked exited with the reason; the exit
 * status of an adopted container (no longer berthd's child, so waitid
 * cannot tell it) comes from its pidfd (PIDFD_GET_INFO, Linux 6.15) or
 * from its zombie's /proc/PID/stat.
 *
 * Adoption is sound because nothing of a container's output depended on
 * the berthd that died: its stdout and stderr are FIFOs the container
 * holds open for writing and reading (container.c), so what it writes
 * while berthd is away waits in the FIFO (and it blocks once that is
 * full) instead of dying of SIGPIPE.  A pid is taken back only when its
 * start time is the one recorded, so a reused pid is never mistaken for
 * the container.  Not adopted: containers with a terminal (the pty
 * master went with berthd; the kernel hung their session up).
 */
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "log.h"

/* Linux's pidfd info (uapi/linux/pidfd.h, 6.15); Debian's headers may
 * predate it.  Its layout is part of the ABI. */
struct berth_pidfd_info {
	uint64_t	mask;
	uint64_t	cgroupid;
	uint32_t	pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid,
			fsuid, fsgid;
	int32_t		exit_code;
};
#define BERTH_PIDFD_GET_INFO	_IOWR(0xFF, 11, struct berth_pidfd_info)
#define BERTH_PIDFD_INFO_EXIT	(1ULL << 3)

/* Exit statuses still unknown are asked again this often, this many
 * times (the zombie's parent may not have reaped it yet). */
#define STATUS_RETRY_MS		20
#define STATUS_RETRIES		250

/* Fields of /proc/PID/stat after the command: field 3 is the first. */
static int
proc_stat_fields(pid_t pid, char **fields, size_t nfields, char *buf,
    size_t size)
{
	char path[64], *p, *save = NULL;
	ssize_t n;
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (-1);
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return (-1);
	buf[n] = '\0';
	/* The command may hold spaces and parentheses: skip to the last
	 * ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return (-1);
	p++;
	for (i = 0; i < nfields; i++)
		if ((fields[i] = strtok_r(i == 0 ? p : NULL, " \n", &save)) ==
		    NULL)
			return (-1);
	return (0);
}

int64_t
proc_start_time(pid_t pid)
{
	char buf[1024], *f[20];

	/* starttime is field 22: the 20th after the command. */
	if (proc_stat_fields(pid, f, 20, buf, sizeof(buf)) < 0)
		return (-1);
	return (strtoll(f[19], NULL, 10));
}

/*
 * The wait status of the container's init, not berthd's child: its
 * pidfd's exit info once reaped, or its zombie's exit_code (field 52).
 * 1 when known, 0 not yet.
 */
static int
foreign_status(struct container *c, int *status)
{
	struct berth_pidfd_info info;
	char buf[2048], *f[50];

	memset(&info, 0, sizeof(info));
	info.mask = BERTH_PIDFD_INFO_EXIT;
	if (ioctl(c->pidfd, BERTH_PIDFD_GET_INFO, &info) == 0 &&
	    (info.mask & BERTH_PIDFD_INFO_EXIT)) {
		*status = info.exit_code;
		return (1);
	}
	/* State is field 3, exit_code field 52. */
	if (proc_stat_fields(c->pid, f, 50, buf, sizeof(buf)) == 0 &&
	    f[0][0] == 'Z' && strtoll(f[19], NULL, 10) == c->pid_start) {
		*status = (int)strtol(f[49], NULL, 10);
		return (1);
	}
	return (0);
}

static int
status_code(int status)
{
	if ((status & 0x7f) == 0)
		return ((status >> 8) & 0xff);
	return (128 + (status & 0x7f));
}

static void
status_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct container *c = arg;

	(void)fd;
	(void)what;
	container_foreign_exit(c);
}

void
container_foreign_exit(struct container *c)
{
	struct timeval tv = { 0, STATUS_RETRY_MS * 1000 };
	int status;

	if (foreign_status(c, &status)) {
		container_exited(c, status_code(status), NULL);
		return;
	}
	if (++c->status_tries > STATUS_RETRIES) {
		container_exited(c, 255, "it exited while adopted and "
		    "its exit status could not be read");
		return;
	}
	if (c->status_timer == NULL && (c->status_timer = evtimer_new(
	    c->d->base, status_retry_cb, c)) == NULL) {
		container_exited(c, 255, "out of memory");
		return;
	}
	evtimer_add(c->status_timer, &tv);
}

/* Open the container's FIFOs for reading again. */
static int
reopen_output(struct container *c, int *out, int *errfd,
    struct berth_error *err)
{
	if (container_logs_open(c, err) < 0)
		return (-1);
	*out = openat(c->log_dirfd, CTR_STDOUT_FIFO, O_RDONLY | O_NONBLOCK |
	    O_CLOEXEC | O_NOFOLLOW);
	*errfd = openat(c->log_dirfd, CTR_STDERR_FIFO, O_RDONLY |
	    O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (*out < 0 || *errfd < 0) {
		berth_error_sys(err, "%.12s: reopen its output", c->id);
		if (*out >= 0)
			close(*out);
		if (*errfd >= 0)
			close(*errfd);
		return (-1);
	}
	return (0);
}

/* Take a running container back; -1 with err saying why not. */
static int
adopt(struct container *c, struct berth_error *err)
{
	char path[256];
	int pidfd = -1, out = -1, errfd = -1;

	if (json_is_true(json_object_get(c->config, "tty")))
		return (berth_error_set(err, BERTH_E_SYSTEM, 0, "its terminal "
		    "went with berthd"));
	if (c->pid <= 0 || c->pid_start <= 0)
		return (berth_error_set(err, BERTH_E_SYSTEM, 0, "no pid "
		    "recorded"));
	if ((pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0)) < 0)
		return (berth_error_sys(err, "its process %ld is gone",
		    (long)c->pid));
	/* The pid is the container's only if it started when recorded,
	 * and it still runs now that the pidfd holds it. */
	if (proc_start_time(c->pid) != c->pid_start ||
	    syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
		close(pidfd);
		return (berth_error_set(err, BERTH_E_SYSTEM, ESRCH, "its "
		    "process %ld is gone", (long)c->pid));
	}
	snprintf(path, sizeof(path), "%s/%s", c->d->cfg.cgroup_parent, c->id);
	if (cgroup_open(path, &c->cgroup, err) < 0) {
		close(pidfd);
		return (-1);
	}
	c->pidfd = pidfd;
	if (reopen_output(c, &out, &errfd, err) < 0 ||
	    container_pumps_start(c, out, errfd, err) < 0 ||
	    container_watch(c, err) < 0)
		return (-1);
	log_info("container", "%.12s (%s) adopted, pid %ld", c->id, c->name,
	    (long)c->pid);
	return (0);
}

/*
 * A container not recorded as running may still have a cgroup: berthd
 * was killed between its exec and the record (a start's last
 * instants).  What is in it is killed, the cgroup removed.
 */
static void
sweep_cgroup(struct container *c)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct rt_cgroup *cg;
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", c->d->cfg.cgroup_parent, c->id);
	if (cgroup_open(path, &cg, &err) < 0)
		return;
	log_info("container", "%.12s: a cgroup left by a start berthd did not "
	    "finish: removed", c->id);
	if (cgroup_destroy(cg, &err) < 0)
		log_warn("container", "%.12s: %s", c->id,
		    berth_error_message(&err));
	cgroup_free(cg);
}

void
containers_recover(struct daemon *d)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct container *c;

	TAILQ_FOREACH(c, &d->containers, entry) {
		if (!c->orphan) {
			sweep_cgroup(c);
			continue;
		}
		c->orphan = false;
		if (adopt(c, &err) == 0)
			continue;
		log_info("container", "%.12s (%s) not adopted: %s", c->id,
		    c->name, berth_error_message(&err));
		container_reap_orphan(c, berth_error_message(&err));
		berth_error_clear(&err);
	}
}
