/*
 * Event fds of a container's cgroup, for a supervisor's event loop: no
 * polling.
 *
 *  OOM kills:  v1, an eventfd registered on memory.oom_control through
 *              cgroup.event_control (readable at each OOM, and when the
 *              cgroup goes); v2, memory.events, whose changes wake poll()
 *              with POLLPRI.
 *  populated:  v2 only, cgroup.events (POLLPRI) says when the last
 *              process left.  v1 has no per-cgroup notification berth may
 *              use (release_agent is the host's, one per hierarchy).
 *
 * After a wake-up, cgroup_event_ack() consumes it (reads the eventfd, or
 * rewinds and rereads the file) so the fd can be polled again.
 */
#include <sys/eventfd.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cgroup-private.h"

void
cgroup_event_init(struct cgroup_event *ev)
{
	ev->fd = -1;
	ev->file_fd = -1;
	ev->kind = CGROUP_EVENT_OOM;
	ev->mode = CGROUP_V1;
}

void
cgroup_event_close(struct cgroup_event *ev)
{
	if (ev->fd >= 0)
		close(ev->fd);
	if (ev->file_fd >= 0 && ev->file_fd != ev->fd)
		close(ev->file_fd);
	cgroup_event_init(ev);
}

static int
oom_v1(struct rt_cgroup *cg, struct cgroup_event *ev,
    struct berth_error *err)
{
	struct cg_hier *h = cgroup_hier_find(cg, CG_MEMORY);
	cleanup_close int efd = -1, ofd = -1;
	char line[64];

	if (h == NULL || h->dirfd < 0)
		return (berth_error_set(err, RT_E_UNSUPPORTED, 0, "OOM events: "
		    "no memory hierarchy for cgroup %s", cg->path));
	if ((efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		return (berth_error_sys(err, "OOM events: eventfd"));
	if ((ofd = openat(h->dirfd, "memory.oom_control", O_RDONLY |
	    O_CLOEXEC)) < 0)
		return (berth_error_set(err, RT_E_CGROUP, errno, "open %s/"
		    "memory.oom_control", h->dir));
	snprintf(line, sizeof(line), "%d %d", efd, ofd);
	if (cgroup_file_write(h->dirfd, h->dir, "cgroup.event_control", line,
	    err) < 0)
		return (berth_error_wrap(err, "OOM events"));
	ev->fd = steal_fd(&efd);
	/* The registration lives while oom_control stays open. */
	ev->file_fd = steal_fd(&ofd);
	return (0);
}

/* v2: a file of the leaf whose changes wake poll() with POLLPRI. */
static int
watch_v2(struct rt_cgroup *cg, const char *file, struct cgroup_event *ev,
    struct berth_error *err)
{
	struct cg_hier *h = &cg->hier[0];
	char buf[512];
	int fd;

	if ((fd = openat(h->dirfd, file, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
			    "%s events: %s/%s does not exist (is the "
			    "controller enabled?)", file, h->dir, file));
		return (berth_error_set(err, RT_E_CGROUP, errno, "open %s/%s",
		    h->dir, file));
	}
	/* A first read arms the notification. */
	(void)pread(fd, buf, sizeof(buf), 0);
	ev->fd = ev->file_fd = fd;
	return (0);
}

int
cgroup_event_open(struct rt_cgroup *cg, enum cgroup_event_kind kind,
    struct cgroup_event *ev, struct berth_error *err)
{
	cgroup_event_init(ev);
	ev->kind = kind;
	ev->mode = cg->mode;
	if (kind == CGROUP_EVENT_OOM)
		return (cg->mode == CGROUP_V1 ? oom_v1(cg, ev, err) :
		    watch_v2(cg, "memory.events", ev, err));
	if (cg->mode == CGROUP_V1)
		return (berth_error_set(err, RT_E_UNSUPPORTED, 0, "populated "
		    "events need cgroup v2 (v1 has only the host's "
		    "release_agent)"));
	return (watch_v2(cg, "cgroup.events", ev, err));
}

/* "key value" from fd, reread from its start. */
static int
reread_key(int fd, const char *key, uint64_t *value, struct berth_error *err)
{
	char buf[1024];
	ssize_t n;

	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) < 0)
		return (berth_error_sys(err, "read cgroup events"));
	buf[n] = '\0';
	if (cgroup_keyed_parse(buf, key, value) < 0)
		return (berth_error_set(err, RT_E_CGROUP, 0, "cgroup events: "
		    "bad %s line", key));
	return (0);
}

int
cgroup_event_ack(struct cgroup_event *ev, uint64_t *value,
    struct berth_error *err)
{
	uint64_t n;

	*value = 0;
	if (ev->mode == CGROUP_V1) {
		/* The count of events since the last read. */
		if (read(ev->fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
			*value = n;
		else if (errno != EAGAIN)
			return (berth_error_sys(err, "read the OOM eventfd"));
		return (0);
	}
	return (reread_key(ev->fd, ev->kind == CGROUP_EVENT_OOM ? "oom_kill" :
	    "populated", value, err));
}
