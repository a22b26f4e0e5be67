/*
 * The client socket: made by berthd (0660, root:group) or handed over by
 * systemd socket activation (LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES), and
 * the accept path, which pauses when descriptors run out.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "cleanup.h"
#include "daemon.h"
#include "limits.h"
#include "log.h"
#include "peer.h"

#define SD_LISTEN_FDS_START	3

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct daemon *d = arg;

	(void)lev;
	(void)sa;
	(void)salen;
	peer_accept(d, fd);
}

static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct daemon *d = arg;
	int e = EVUTIL_SOCKET_ERROR();
	size_t i;

	(void)lev;
	if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
		/* Stop accepting until a peer closes rather than spin on a
		 * listener that stays readable. */
		log_warn("listen", "accept: %s; pausing until a connection "
		    "closes", strerror(e));
		for (i = 0; i < d->nlisteners; i++)
			evconnlistener_disable(d->listeners[i].lev);
		d->accept_paused = true;
		return;
	}
	log_error("listen", "accept: %s", strerror(e));
}

void
listeners_resume(struct daemon *d)
{
	size_t i;

	if (!d->accept_paused || d->draining)
		return;
	d->accept_paused = false;
	for (i = 0; i < d->nlisteners; i++)
		evconnlistener_enable(d->listeners[i].lev);
}

static int
add_listener(struct daemon *d, int fd, const char *path, bool owned,
    struct berth_error *err)
{
	struct listener *g, *l;

	g = realloc(d->listeners, (d->nlisteners + 1) * sizeof(*g));
	if (g == NULL)
		return (berth_error_sys(err, "add listener"));
	d->listeners = g;
	l = &g[d->nlisteners];
	memset(l, 0, sizeof(*l));
	if ((l->path = strdup(path)) == NULL)
		return (berth_error_sys(err, "add listener"));
	l->lev = evconnlistener_new(d->base, accept_cb, d,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (l->lev == NULL) {
		free(l->path);
		return (berth_error_set(err, BERTH_E_SYSTEM, 0,
		    "listen on %s: libevent refused the socket", path));
	}
	evconnlistener_set_error_cb(l->lev, accept_error_cb);
	l->owned = owned;
	d->nlisteners++;
	return (0);
}

/* Make the parent directory of the socket if it is missing: 0755, so that
 * group members can reach the socket inside. */
static int
make_parent(const char *path, struct berth_error *err)
{
	cleanup_free char *dir = strdup(path);
	char *slash, *p;

	if (dir == NULL)
		return (berth_error_sys(err, "socket path"));
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return (0);
	*slash = '\0';
	for (p = dir + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return (berth_error_sys(err, "create %s", dir));
		*p = c;
		if (c == '\0')
			break;
	}
	return (0);
}

static int
socket_create(struct daemon *d, struct berth_error *err)
{
	const char *path = d->cfg.socket_path;
	cleanup_free char *lock = NULL;
	cleanup_close int fd = -1;
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return (berth_error_set(err, BERTH_E_SYSTEM, ENAMETOOLONG,
		    "socket path %s", path));
	memcpy(sa.sun_path, path, strlen(path));
	if (make_parent(path, err) < 0)
		return (-1);
	if (asprintf(&lock, "%s.lock", path) < 0)
		return (berth_error_sys(err, "socket lock"));
	if (lock_acquire(lock, &d->lock_fds[2], err) < 0)
		return (-1);
	/* The socket lock is held, so a socket already there is stale. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return (berth_error_set(err, BERTH_E_SYSTEM, EEXIST,
			    "%s exists and is not a socket", path));
		if (unlink(path) < 0)
			return (berth_error_sys(err, "remove stale %s", path));
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (berth_error_sys(err, "socket"));
	/* Created 0660 from the start: no window where others may connect. */
	old = umask(0117);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0)
		return (berth_error_sys(err, "bind %s", path));
	if (chown(path, 0, d->cfg.group != NULL ? d->cfg.gid : 0) < 0 ||
	    chmod(path, 0660) < 0) {
		berth_error_sys(err, "set owner and mode of %s", path);
		unlink(path);
		return (-1);
	}
	if (listen(fd, LISTEN_BACKLOG) < 0) {
		berth_error_sys(err, "listen on %s", path);
		unlink(path);
		return (-1);
	}
	if (add_listener(d, fd, path, true, err) < 0) {
		unlink(path);
		return (-1);
	}
	steal_fd(&fd);
	log_info("listen", "listening on %s", path);
	return (0);
}

/* The path of a passed UNIX socket, for GetStatus and the logs. */
static void
socket_name(int fd, char *buf, size_t size)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);

	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 ||
	    sa.sun_family != AF_UNIX || sa.sun_path[0] == '\0')
		snprintf(buf, size, "fd %d", fd);
	else
		snprintf(buf, size, "%s", sa.sun_path);
}

static bool
is_listening_stream(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) < 0 || !v)
		return (false);
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) < 0)
		return (false);
	return (v == SOCK_STREAM);
}

/*
 * Socket activation as sd_listen_fds(3) defines it: the fds start at 3,
 * LISTEN_PID must be ours, and the variables are removed so nothing berthd
 * starts inherits them.  Returns how many sockets were taken.
 */
static int
socket_activation(struct daemon *d, struct berth_error *err)
{
	const char *pid_s = getenv("LISTEN_PID");
	const char *fds_s = getenv("LISTEN_FDS");
	const char *names_s = getenv("LISTEN_FDNAMES");
	cleanup_free char *names = NULL;
	char name[128], *end, *fdname, *save = NULL;
	long pid, n, i;
	int fd, taken = 0;

	if (pid_s == NULL || fds_s == NULL)
		return (0);
	pid = strtol(pid_s, &end, 10);
	if (*end != '\0' || pid != (long)getpid())
		return (0);
	n = strtol(fds_s, &end, 10);
	if (*end != '\0' || n < 0 || n > 64)
		return (berth_error_set(err, BERTH_E_SYSTEM, 0,
		    "LISTEN_FDS=%s is not a count of sockets", fds_s));
	/* The names (the socket units' FileDescriptorName=) only label the
	 * sockets in the log: berthd serves every stream socket it gets. */
	names = strdup(names_s != NULL ? names_s : "");
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (names == NULL)
		return (berth_error_sys(err, "LISTEN_FDNAMES"));
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + (int)i;
		fdname = strtok_r(i == 0 ? names : NULL, ":", &save);
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
			return (berth_error_sys(err, "passed fd %d", fd));
		if (!is_listening_stream(fd)) {
			log_warn("listen", "passed fd %d is not a listening "
			    "stream socket; closing it", fd);
			close(fd);
			continue;
		}
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
			return (berth_error_sys(err, "passed fd %d", fd));
		socket_name(fd, name, sizeof(name));
		if (add_listener(d, fd, name, false, err) < 0)
			return (-1);
		log_info("listen", "listening on %s (socket activation, %s)",
		    name, fdname != NULL ? fdname : "unnamed");
		taken++;
	}
	if (taken == 0)
		return (berth_error_set(err, BERTH_E_SYSTEM, 0,
		    "socket activation passed no listening stream socket"));
	return (taken);
}

int
listeners_open(struct daemon *d, struct berth_error *err)
{
	int n;

	if ((n = socket_activation(d, err)) < 0)
		return (-1);
	if (n > 0)
		return (0);
	return (socket_create(d, err));
}

void
listeners_close(struct daemon *d)
{
	size_t i;

	for (i = 0; i < d->nlisteners; i++) {
		evconnlistener_free(d->listeners[i].lev);
		if (d->listeners[i].owned)
			unlink(d->listeners[i].path);
		free(d->listeners[i].path);
	}
	free(d->listeners);
	d->listeners = NULL;
	d->nlisteners = 0;
}
