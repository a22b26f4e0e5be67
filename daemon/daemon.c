/*
 * berthd's lifecycle on the loop: start-up of the context, the reaper that
 * frees dead peers on a later turn, --idle-exit, and the SIGTERM drain
 * (stop accepting, answer what was read, exit).
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cleanup.h"
#include "daemon.h"
#include "dispatch.h"
#include "container.h"
#include "events.h"
#include "interfaces.h"
#include "job.h"
#include "store.h"
#include "limits.h"
#include "log.h"
#include "network.h"
#include "peer.h"

static void
reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct peer *p;

	(void)fd;
	(void)what;
	while ((p = TAILQ_FIRST(&d->graveyard)) != NULL) {
		TAILQ_REMOVE(&d->graveyard, p, entry);
		peer_free(p);
	}
}

void
daemon_schedule_reap(struct daemon *d)
{
	event_active(d->reaper, 0, 0);
}

static bool
daemon_is_idle(struct daemon *d)
{
	return (d->npeers == 0 && d->njobs == 0 &&
	    containers_running(d) == 0);
}

void
daemon_idle_check(struct daemon *d)
{
	struct timeval tv = { d->cfg.idle_exit, 0 };

	if (d->draining) {
		if (containers_running(d) > 0)
			return;
		/* The last container's events are out: event followers get
		 * their last reply, and their connections then go. */
		events_drain(d);
		if (d->npeers == 0)
			event_base_loopexit(d->base, NULL);
		return;
	}
	if (d->cfg.idle_exit <= 0)
		return;
	if (!daemon_is_idle(d))
		evtimer_del(d->idle_timer);
	else if (!evtimer_pending(d->idle_timer, NULL))
		evtimer_add(d->idle_timer, &tv);
}

static void
idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	daemon_shutdown(d, "idle");
}

static void
drain_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	log_warn("daemon", "%zu connection(s) still draining after %d s; "
	    "exiting", d->npeers, DRAIN_TIMEOUT);
	event_base_loopexit(d->base, NULL);
}

void
daemon_shutdown(struct daemon *d, const char *why)
{
	struct timeval tv = { DRAIN_TIMEOUT, 0 };
	struct peer *p, *next;
	bool stopped;

	if (d->draining) {
		log_info("daemon", "%s again: exiting now", why);
		event_base_loopbreak(d->base);
		return;
	}
	log_info("daemon", "%s: stopping", why);
	d->draining = true;
	evtimer_del(d->idle_timer);
	listeners_close(d);
	for (p = TAILQ_FIRST(&d->peers); p != NULL; p = next) {
		next = TAILQ_NEXT(p, entry);
		peer_drain(p);
	}
	/* Containers get their stop signal, and SIGKILL after their stop
	 * timeout or the drain's, whichever comes first. */
	if ((stopped = containers_stop_all(d)))
		events_drain(d);
	if (stopped && d->npeers == 0)
		event_base_loopexit(d->base, NULL);
	else
		evtimer_add(d->drain_timer, &tv);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	daemon_shutdown(arg, sig == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* Create a directory and its parents. */
static int
make_dir(const char *path, mode_t mode, struct berth_error *err)
{
	cleanup_free char *copy = strdup(path);
	char *p;

	if (copy == NULL)
		return (berth_error_sys(err, "create %s", path));
	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			return (berth_error_sys(err, "create %s", copy));
		*p = '/';
	}
	if (mkdir(copy, mode) < 0 && errno != EEXIST)
		return (berth_error_sys(err, "create %s", copy));
	return (0);
}

static int
lock_dir(const char *dir, int *fd, struct berth_error *err)
{
	cleanup_free char *path = NULL;

	if (asprintf(&path, "%s/berthd.lock", dir) < 0)
		return (berth_error_sys(err, "lock %s", dir));
	return (lock_acquire(path, fd, err));
}

int
daemon_init(struct daemon *d, struct berth_error *err)
{
	TAILQ_INIT(&d->peers);
	TAILQ_INIT(&d->graveyard);
	TAILQ_INIT(&d->jobs);
	msgpack_sbuffer_init(&d->scratch);
	idl_registry_init(&d->registry);
	d->lock_fds[0] = d->lock_fds[1] = d->lock_fds[2] = -1;
	/* Helpers exec this very binary even if the file is replaced. */
	if ((d->self_fd = open("/proc/self/exe", O_PATH | O_CLOEXEC)) < 0)
		return (berth_error_sys(err, "open /proc/self/exe"));
	d->started = time(NULL);
	d->methods = dispatch_methods;

	if (interfaces_load(&d->registry, err) < 0 ||
	    dispatch_check(&d->registry, d->methods, err) < 0)
		return (-1);
	if (make_dir(d->cfg.root, 0700, err) < 0 ||
	    make_dir(d->cfg.run_root, 0711, err) < 0)
		return (-1);
	if (lock_dir(d->cfg.root, &d->lock_fds[0], err) < 0 ||
	    lock_dir(d->cfg.run_root, &d->lock_fds[1], err) < 0)
		return (-1);
	/* Recovery runs here, before any helper exists; its events are
	 * kept. */
	TAILQ_INIT(&d->containers);
	if (events_init(d, err) < 0 ||
	    store_open(d->cfg.root, &d->store, err) < 0 ||
	    db_engine_id(store_db(d->store), d->engine_id, err) < 0 ||
	    containers_init(d, err) < 0)
		return (-1);
	if ((d->base = event_base_new()) == NULL)
		return (berth_error_set(err, BERTH_E_SYSTEM, 0,
		    "cannot create the event loop"));
	d->reaper = event_new(d->base, -1, 0, reap_cb, d);
	d->idle_timer = evtimer_new(d->base, idle_cb, d);
	d->drain_timer = evtimer_new(d->base, drain_timeout_cb, d);
	d->sig_term = evsignal_new(d->base, SIGTERM, signal_cb, d);
	d->sig_int = evsignal_new(d->base, SIGINT, signal_cb, d);
	if (d->reaper == NULL || d->idle_timer == NULL ||
	    d->drain_timer == NULL || d->sig_term == NULL ||
	    d->sig_int == NULL)
		return (berth_error_set(err, BERTH_E_SYSTEM, ENOMEM,
		    "create loop events"));
	if (evsignal_add(d->sig_term, NULL) < 0 ||
	    evsignal_add(d->sig_int, NULL) < 0)
		return (berth_error_sys(err, "catch signals"));
	if (networks_init(d, err) < 0 || listeners_open(d, err) < 0)
		return (-1);
	containers_resume(d);
	networks_resume(d);
	daemon_idle_check(d);
	return (0);
}

int
daemon_run(struct daemon *d)
{
	if (event_base_dispatch(d->base) < 0)
		return (1);
	return (d->exit_status);
}

static void
free_event(struct event *ev)
{
	if (ev != NULL)
		event_free(ev);
}

void
daemon_free(struct daemon *d)
{
	struct peer *p;
	int i;

	listeners_close(d);
	/* Containers still running are killed, reaped and recorded. */
	if (d->store != NULL)
		containers_free(d);
	networks_free(d);
	/* Event followers get their last reply (it may not reach them: the
	 * loop is over). */
	events_free(d);
	/* Sessions let go of their peers and cancel their helpers. */
	TAILQ_FOREACH(p, &d->peers, entry)
		if (p->sops != NULL) {
			const struct peer_session_ops *ops = p->sops;

			p->sops = NULL;
			ops->gone(p->sarg, p);
		}
	jobs_kill_all(d);
	while ((p = TAILQ_FIRST(&d->peers)) != NULL) {
		TAILQ_REMOVE(&d->peers, p, entry);
		peer_free(p);
	}
	while ((p = TAILQ_FIRST(&d->graveyard)) != NULL) {
		TAILQ_REMOVE(&d->graveyard, p, entry);
		peer_free(p);
	}
	free_event(d->reaper);
	free_event(d->idle_timer);
	free_event(d->drain_timer);
	free_event(d->sig_term);
	free_event(d->sig_int);
	if (d->base != NULL)
		event_base_free(d->base);
	idl_registry_free(&d->registry);
	store_close(d->store);
	msgpack_sbuffer_destroy(&d->scratch);
	if (d->self_fd >= 0)
		close(d->self_fd);
	for (i = 0; i < 3; i++)
		if (d->lock_fds[i] >= 0)
			close(d->lock_fds[i]);
}
