/*
 * Containers: the registry, their records in the metadata database, and
 * their lifecycle on the loop.  Every change of state is written to the
 * database before the call that caused it is answered (DESIGN.md,
 * invariant 3).  A container's init is watched through its pidfd; its
 * exit is recorded, its cgroup removed, its waiters answered, and with
 * auto-remove the container removed.
 *
 * On disk: ROOT/containers/<id>/ holds the snapshot (upper, work, merged)
 * and the log; the cgroup is <--cgroup-parent>/<id>.
 *
 * Restart policies (Docker's no, on-failure[:N], always, unless-stopped)
 * act on the exit: a loop timer starts the container again after a
 * delay that doubles from 100 ms up to a minute, reset by a run of 10 s.
 *
 * Containers that still run after berthd was killed are adopted at
 * the next start (container-recover.c).
 */
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "db.h"
#include "events.h"
#include "frame.h"
#include "image-info.h"
#include "image.h"
#include "job.h"
#include "json-util.h"
#include "log.h"
#include "network.h"
#include "message.h"
#include "peer.h"
#include "snapshot.h"
#include "spawn.h"
#include "spec.h"
#include "store.h"
#include "volume.h"

struct ctr_wait {
	TAILQ_ENTRY(ctr_wait)	 entry;
	struct container	*c;
	struct peer		*p;
	enum ctr_wait_cond	 cond;
	bool			 plain;	/* reply {} (Stop, Remove) */
};

static void container_free(struct container *c);
static void exit_cb(evutil_socket_t fd, short what, void *arg);
static void schedule_restart(struct container *c, int delay_ms);

int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

const char *
container_state_name(enum ctr_state s)
{
	switch (s) {
	case CTR_CREATED:
		return ("created");
	case CTR_RUNNING:
		return ("running");
	case CTR_EXITED:
		return ("exited");
	case CTR_DEAD:
		return ("dead");
	}
	return ("dead");
}

static enum ctr_state
state_of(const char *s)
{
	if (s != NULL && strcmp(s, "created") == 0)
		return (CTR_CREATED);
	if (s != NULL && strcmp(s, "running") == 0)
		return (CTR_RUNNING);
	if (s != NULL && strcmp(s, "exited") == 0)
		return (CTR_EXITED);
	return (CTR_DEAD);
}

/* ---- signals ------------------------------------------------------ */

static const struct {
	const char	*name;
	int		 sig;
} signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
	{ "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
	{ "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
	{ "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

/* "SIGTERM", "TERM", "15", "term", "SIGRTMIN+3" as Docker takes them. */
int
signal_parse(const char *s, int *sig, struct berth_error *err)
{
	const char *n = s;
	char *end;
	long v;
	size_t i;

	if (s == NULL || *s == '\0')
		goto bad;
	if (isdigit((unsigned char)*s)) {
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno != 0 || *end != '\0' || v <= 0 || v >= NSIG)
			goto bad;
		*sig = (int)v;
		return (0);
	}
	if (strncasecmp(n, "SIG", 3) == 0)
		n += 3;
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		if (strcasecmp(n, signals[i].name) == 0) {
			*sig = signals[i].sig;
			return (0);
		}
	if (strncasecmp(n, "RTMIN", 5) == 0) {
		v = n[5] == '\0' ? 0 : n[5] == '+' ? strtol(n + 6, &end, 10) :
		    -1;
		if (v >= 0 && SIGRTMIN + v <= SIGRTMAX && (n[5] == '\0' ||
		    *end == '\0')) {
			*sig = SIGRTMIN + (int)v;
			return (0);
		}
	}
bad:
	berth_error_set(err, CTR_E_SIGNAL, 0, "invalid signal: %s",
	    s != NULL ? s : "");
	return (berth_error_param_str(err, "signal", s != NULL ? s : ""));
}

int
container_stop_signal(struct container *c)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	json_t *v = container_setting(c, "stop_signal", "StopSignal");
	int sig = SIGTERM;

	if (json_is_string(v) && signal_parse(json_string_value(v), &sig,
	    &err) < 0)
		sig = SIGTERM;
	return (sig);
}

int
container_stop_timeout(struct container *c)
{
	json_t *v = json_object_get(c->config, "stop_timeout");

	return (json_is_integer(v) ? (int)json_integer_value(v) :
	    CTR_STOP_TIMEOUT);
}

/* ---- records ------------------------------------------------------ */

static json_t *
record_of(struct container *c)
{
	return (json_pack("{s:O, s:O?, s:s, s:i, s:b, s:b, s:s?, s:I, s:I, "
	    "s:I, s:i, s:b, s:I, s:O?}",
	    "config", c->config, "image_config", c->image_config,
	    "state", container_state_name(c->state), "exit_code", c->exit_code,
	    "oom_killed", c->oom_killed, "paused", c->paused,
	    "error", c->error,
	    "started_ns", (json_int_t)c->started_ns,
	    "finished_ns", (json_int_t)c->finished_ns,
	    "pid", (json_int_t)c->pid,
	    "restart_count", c->restart_count,
	    "manually_stopped", c->manually_stopped,
	    "pid_start", (json_int_t)c->pid_start,
	    "net", c->net_state));
}

int
container_save(struct container *c, struct berth_error *err)
{
	cleanup_json json_t *rec = record_of(c);
	cleanup_free char *text = NULL;

	if (rec == NULL || (text = json_dumps(rec, JSON_COMPACT)) == NULL)
		return (berth_error_sys(err, "container %s: record", c->id));
	return (db_container_update(store_db(c->d->store), c->id, c->name,
	    text, err));
}

/* ---- lookup ------------------------------------------------------- */

/* Docker's order: a full id, a name, then a unique id prefix. */
int
container_find(struct daemon *d, const char *name, struct container **out,
    struct berth_error *err)
{
	struct container *c, *found = NULL;
	const char *n = name[0] == '/' ? name + 1 : name;
	size_t len = strlen(name);
	int matches = 0;

	TAILQ_FOREACH(c, &d->containers, entry)
		if (strcmp(c->id, name) == 0) {
			*out = c;
			return (0);
		}
	TAILQ_FOREACH(c, &d->containers, entry)
		if (strcmp(c->name, n) == 0) {
			*out = c;
			return (0);
		}
	if (len > 0 && len < CTR_ID_LEN)
		TAILQ_FOREACH(c, &d->containers, entry)
			if (strncmp(c->id, name, len) == 0) {
				found = c;
				matches++;
			}
	if (matches == 1) {
		*out = found;
		return (0);
	}
	if (matches > 1) {
		berth_error_set(err, CTR_E_AMBIGUOUS, 0, "multiple containers "
		    "match the id prefix %s", name);
		return (berth_error_param_str(err, "container", name));
	}
	berth_error_set(err, CTR_E_NOT_FOUND, 0, "No such container: %s",
	    name);
	return (berth_error_param_str(err, "container", name));
}

/* ---- names and ids ------------------------------------------------ */

bool
container_name_valid(const char *s)
{
	size_t i;

	if (!isalnum((unsigned char)s[0]) || strlen(s) > CTR_NAME_MAX)
		return (false);
	for (i = 1; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("_.-", s[i]) ==
		    NULL)
			return (false);
	return (true);
}

static const char *const adjectives[] = {
	"brave", "calm", "eager", "fond", "gentle", "happy", "jolly",
	"keen", "lucid", "merry", "nimble", "proud", "quiet", "sharp",
	"steady", "swift", "tidy", "vivid", "wise", "zesty",
};
static const char *const nouns[] = {
	"anchor", "bollard", "buoy", "capstan", "cutter", "dinghy", "dock",
	"ferry", "galley", "harbor", "hull", "jetty", "keel", "mast", "pier",
	"quay", "rudder", "schooner", "skiff", "wharf",
};

static int
random_bytes(void *buf, size_t n, struct berth_error *err)
{
	if (getrandom(buf, n, 0) != (ssize_t)n)
		return (berth_error_sys(err, "getrandom"));
	return (0);
}

static int
new_name(struct daemon *d, char **out, struct berth_error *err)
{
	cleanup_error struct berth_error ignored = BERTH_ERROR_INIT;
	struct container *c;
	unsigned char r[3];
	int tries;

	for (tries = 0; tries < 64; tries++) {
		if (random_bytes(r, sizeof(r), err) < 0)
			return (-1);
		if (asprintf(out, "%s_%s%s%.0u", adjectives[r[0] %
		    (sizeof(adjectives) / sizeof(adjectives[0]))],
		    nouns[r[1] % (sizeof(nouns) / sizeof(nouns[0]))],
		    tries > 8 ? "_" : "", tries > 8 ? (unsigned)r[2] : 0u) < 0)
			return (berth_error_sys(err, "container name"));
		if (container_find(d, *out, &c, &ignored) < 0)
			return (0);
		berth_error_clear(&ignored);
		free(*out);
		*out = NULL;
	}
	return (berth_error_set(err, BERTH_E_INTERNAL, 0, "no free name"));
}

/* ---- restart policies --------------------------------------------- */

#define RESTART_DELAY_MIN_MS	100
#define RESTART_DELAY_MAX_MS	60000
#define RESTART_RESET_NS	(10LL * 1000000000LL)

static json_t *
restart_policy(json_t *config)
{
	return (json_object_get(json_object_get(config, "host"),
	    "restart_policy"));
}

static const char *
restart_name(json_t *config)
{
	const char *n = json_string_value(json_object_get(
	    restart_policy(config), "name"));

	return (n != NULL && *n != '\0' ? n : "no");
}

/* Docker's checks: a known name, a retry count only for on-failure,
 * and no policy with auto-remove. */
static int
check_restart_policy(json_t *config, struct berth_error *err)
{
	const char *n = restart_name(config);
	json_t *max = json_object_get(restart_policy(config),
	    "maximum_retry_count");

	if (strcmp(n, "no") != 0 && strcmp(n, "always") != 0 &&
	    strcmp(n, "unless-stopped") != 0 && strcmp(n, "on-failure") != 0)
		berth_error_set(err, CTR_E_CONFIG, 0, "invalid restart policy "
		    "'%s'", n);
	else if (json_integer_value(max) < 0)
		berth_error_set(err, CTR_E_CONFIG, 0, "invalid restart policy: "
		    "maximum retry count cannot be negative");
	else if (json_integer_value(max) > 0 && strcmp(n, "on-failure") != 0)
		berth_error_set(err, CTR_E_CONFIG, 0, "invalid restart policy: "
		    "maximum retry count can only be used with 'on-failure'");
	else if (strcmp(n, "no") != 0 && json_is_true(json_object_get(
	    json_object_get(config, "host"), "auto_remove")))
		berth_error_set(err, CTR_E_CONFIG, 0, "conflicting options: "
		    "cannot specify both --restart and --rm");
	else
		return (0);
	return (berth_error_param_str(err, "field", "restart_policy"));
}

bool
container_restarting(struct container *c)
{
	/* Waiting for its turn, or being started by the policy. */
	return ((c->restart_timer != NULL &&
	    evtimer_pending(c->restart_timer, NULL)) ||
	    (c->start != NULL && c->policy_start));
}

void
container_set_manually_stopped(struct container *c, bool stopped)
{
	c->manually_stopped = stopped;
}

bool
container_cancel_restart(struct container *c)
{
	bool pending = container_restarting(c);

	if (c->restart_timer != NULL) {
		event_free(c->restart_timer);
		c->restart_timer = NULL;
	}
	return (pending);
}

/* After an exit with code: whether the policy starts it again. */
static bool
should_restart(struct container *c, int code)
{
	const char *n = restart_name(c->config);
	json_int_t max = json_integer_value(json_object_get(
	    restart_policy(c->config), "maximum_retry_count"));

	if (c->d->draining || c->removing || c->manually_stopped ||
	    c->spawn_failed)
		return (false);
	if (strcmp(n, "always") == 0 || strcmp(n, "unless-stopped") == 0)
		return (true);
	return (strcmp(n, "on-failure") == 0 && code != 0 &&
	    (max <= 0 || c->restart_count < max));
}

static void
restart_cb(evutil_socket_t fd, short what, void *arg)
{
	struct container *c = arg;
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;

	(void)fd;
	(void)what;
	if (c->state == CTR_RUNNING)
		return;
	c->restart_count++;
	log_info("container", "%.12s (%s): restart %d (policy %s)", c->id,
	    c->name, c->restart_count, restart_name(c->config));
	c->policy_start = true;
	if (container_start(c, &err) == 0)
		return;
	c->policy_start = false;
	log_warn("container", "%.12s: restart: %s", c->id,
	    berth_error_message(&err));
	berth_error_clear(&err);
	/* The process could not start: that is an exit (recorded), and no
	 * restart follows.  Before that (berthd short of fds, space): try
	 * again later, backing off. */
	if (!c->spawn_failed && c->state != CTR_RUNNING) {
		c->started_ns = c->finished_ns = now_ns();
		schedule_restart(c, -1);
		if (container_save(c, &err) < 0)
			log_warn("container", "%.12s: %s", c->id,
			    berth_error_message(&err));
	}
}

/* Start it again after the policy's delay (delay_ms < 0: the backoff). */
static void
schedule_restart(struct container *c, int delay_ms)
{
	struct timeval tv;

	if (delay_ms < 0) {
		if (c->finished_ns - c->started_ns >= RESTART_RESET_NS ||
		    c->restart_delay_ms == 0)
			c->restart_delay_ms = RESTART_DELAY_MIN_MS;
		else if ((c->restart_delay_ms *= 2) > RESTART_DELAY_MAX_MS)
			c->restart_delay_ms = RESTART_DELAY_MAX_MS;
		delay_ms = c->restart_delay_ms;
	}
	if (c->restart_timer == NULL && (c->restart_timer = evtimer_new(
	    c->d->base, restart_cb, c)) == NULL) {
		log_error("container", "%.12s: cannot schedule a restart",
		    c->id);
		return;
	}
	tv.tv_sec = delay_ms / 1000;
	tv.tv_usec = (delay_ms % 1000) * 1000;
	evtimer_add(c->restart_timer, &tv);
}

/* ---- create ------------------------------------------------------- */

int
containers_dir(struct daemon *d, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/containers", d->cfg.root);

	return (n < 0 || (size_t)n >= size ? -1 : 0);
}

/* The image's layer directories, topmost first, NULL-terminated. */
static int
image_lowers(struct daemon *d, json_t *doc, char ***out,
    struct berth_error *err)
{
	json_t *layers = json_object_get(json_object_get(doc, "RootFS"),
	    "Layers");
	size_t n = json_array_size(layers), i;
	char **v, path[4096];

	if (n == 0)
		return (berth_error_set(err, CTR_E_CONFIG, 0, "the image has "
		    "no layers"));
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return (berth_error_sys(err, "layers"));
	for (i = 0; i < n; i++) {
		if (store_layer_path(d->store, json_string_value(
		    json_array_get(layers, n - 1 - i)), path, sizeof(path),
		    err) < 0 || (v[i] = strdup(path)) == NULL) {
			if (!berth_error_isset(err))
				berth_error_sys(err, "layers");
			db_strv_free(v, i + 1);
			return (-1);
		}
	}
	*out = v;
	return (0);
}

int
container_snapshot(struct container *c, bool create, struct snapshot *snap,
    struct berth_error *err)
{
	cleanup_json json_t *doc = NULL;
	char dir[4096];
	char **lowers = NULL;
	size_t n;
	int rc;

	if (containers_dir(c->d, dir, sizeof(dir)) < 0)
		return (berth_error_set(err, BERTH_E_INTERNAL, ENAMETOOLONG,
		    "containers directory"));
	if (store_image_inspect(c->d->store, c->image_id, &doc, err) < 0 ||
	    image_lowers(c->d, doc, &lowers, err) < 0)
		return (-1);
	rc = create ? snapshot_prepare(dir, c->id, (const char *const *)lowers,
	    snap, err) : snapshot_open(dir, c->id,
	    (const char *const *)lowers, snap, err);
	for (n = 0; lowers[n] != NULL; n++)
		;
	db_strv_free(lowers, n);
	return (rc);
}

static int
check_spec(struct container *c, const struct snapshot *snap,
    struct berth_error *err)
{
	struct rt_spec spec;
	int rc;

	memset(&spec, 0, sizeof(spec));
	rc = spec_init_default(&spec, err) < 0 ? -1 :
	    container_spec(c, snap, &spec, err);
	spec_free(&spec);
	return (rc);
}

static struct container *
container_new(struct daemon *d)
{
	struct container *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return (NULL);
	c->d = d;
	c->pidfd = c->out_fd = c->err_fd = c->oom_fd = c->log_dirfd = -1;
	c->netns_fd = -1;
	TAILQ_INIT(&c->waits);
	TAILQ_INIT(&c->follows);
	TAILQ_INIT(&c->attaches);
	TAILQ_INIT(&c->execs);
	return (c);
}

int
container_create(struct daemon *d, const char *name, json_t *config,
    struct container **out, struct berth_error *err)
{
	cleanup_json json_t *doc = NULL;
	cleanup_free char *text = NULL;
	struct container *c;
	struct snapshot snap;
	struct db_container row;
	unsigned char rnd[CTR_ID_LEN / 2];
	const char *image;
	size_t i;

	if (name != NULL && !container_name_valid(name)) {
		berth_error_set(err, CTR_E_INVALID_NAME, 0, "invalid container "
		    "name \"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
		    name);
		return (berth_error_param_str(err, "name", name));
	}
	if (check_restart_policy(config, err) < 0)
		return (-1);
	image = json_string_value(json_object_get(config, "image"));
	if ((c = container_new(d)) == NULL)
		return (berth_error_sys(err, "create container"));
	if (image_resolve(d, image, c->image_id, NULL, err) < 0 ||
	    store_image_inspect(d->store, c->image_id, &doc, err) < 0 ||
	    random_bytes(rnd, sizeof(rnd), err) < 0)
		goto fail;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(c->id + 2 * i, 3, "%02x", rnd[i]);
	if (name != NULL)
		c->name = strdup(name);
	else if (new_name(d, &c->name, err) < 0)
		goto fail;
	c->config = json_incref(config);
	c->image_config = json_incref(json_object_get(doc, "Config"));
	c->created_ns = now_ns();
	c->state = CTR_CREATED;
	if (c->name == NULL) {
		berth_error_sys(err, "create container");
		goto fail;
	}
	/* -v, --mount, --volumes-from, VOLUME: checked and resolved once,
	 * anonymous volumes named, before anything is made. */
	if (container_mounts_resolve(c, err) < 0)
		goto fail;
	if (container_snapshot(c, true, &snap, err) < 0)
		goto fail;
	/* The spec is built now once, so that a bad bind, ulimit,
	 * capability or command is refused by create, as Docker does, and
	 * not at the first start. */
	if (check_spec(c, &snap, err) < 0) {
		snapshot_free(&snap);
		goto undo;
	}
	snapshot_free(&snap);
	{
		cleanup_json json_t *rec = record_of(c);

		if (rec == NULL || (text = json_dumps(rec, JSON_COMPACT)) ==
		    NULL) {
			berth_error_sys(err, "create container");
			goto undo;
		}
	}
	row.id = c->id;
	row.name = c->name;
	row.image = c->image_id;
	row.created = c->created_ns;
	row.record = text;
	if (container_mounts_register(c, err) < 0 ||
	    db_container_add(store_db(d->store), &row, err) < 0) {
		container_mounts_release(c, true);
		goto undo;
	}
	TAILQ_INSERT_TAIL(&d->containers, c, entry);
	event_container(c, "create", NULL);
	*out = c;
	return (0);
undo:
	{
		cleanup_error struct berth_error e2 = BERTH_ERROR_INIT;
		char dir[4096];

		if (containers_dir(d, dir, sizeof(dir)) == 0)
			(void)snapshot_remove(dir, c->id, &e2);
	}
fail:
	container_free(c);
	return (-1);
}

/* ---- start and exit ------------------------------------------------ */

static void
release_running(struct container *c)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;

	if (c->stop_timer != NULL) {
		event_free(c->stop_timer);
		c->stop_timer = NULL;
	}
	if (c->exit_ev != NULL) {
		event_free(c->exit_ev);
		c->exit_ev = NULL;
	}
	if (c->status_timer != NULL) {
		event_free(c->status_timer);
		c->status_timer = NULL;
	}
	c->status_tries = 0;
	if (c->oom_ev != NULL) {
		event_free(c->oom_ev);
		c->oom_ev = NULL;
	}
	if (c->oom_event != NULL) {
		cgroup_event_close(c->oom_event);
		free(c->oom_event);
		c->oom_event = NULL;
	}
	if (c->pidfd >= 0) {
		close(c->pidfd);
		c->pidfd = -1;
	}
	network_container_teardown(c);
	if (c->cgroup != NULL) {
		if (cgroup_destroy(c->cgroup, &err) < 0)
			log_warn("container", "%.12s: remove cgroup: %s",
			    c->id, berth_error_message(&err));
		cgroup_free(c->cgroup);
		c->cgroup = NULL;
	}
}

static int remove_now(struct container *c, char trash[CTR_TRASH_MAX],
    struct berth_error *err);

/* The init exited (status from waitid), or never started. */
void
container_exited(struct container *c, int code, const char *why)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct daemon *d = c->d;
	uint64_t n = 0;

	container_pumps_finish(c);
	container_input_close(c);
	container_execs_release(c, false);
	if (c->oom_event != NULL && cgroup_event_ack(c->oom_event, &n,
	    &err) == 0 && n > 0)
		c->oom_killed = true;
	berth_error_clear(&err);
	release_running(c);
	container_mounts_stopped(c);
	c->state = CTR_EXITED;
	c->paused = false;
	c->exit_code = code;
	c->finished_ns = now_ns();
	c->pid = 0;
	free(c->error);
	c->error = why != NULL ? strdup(why) : NULL;
	if (container_save(c, &err) < 0)
		log_error("container", "%.12s: %s", c->id,
		    berth_error_message(&err));
	log_info("container", "%.12s (%s) exited with %d", c->id, c->name,
	    code);
	{
		char num[16];

		snprintf(num, sizeof(num), "%d", code);
		event_container(c, "die", json_pack("{s:s}", "exitCode",
		    num));
	}
	if (c->stopping)
		event_container(c, "stop", NULL);
	c->stopping = false;
	container_follows_end(c);
	container_attaches_end(c);
	container_notify_waits(c, false);
	if (should_restart(c, code))
		schedule_restart(c, -1);
	/* c is gone after remove_now, unless its row could not go. */
	if ((c->removing || json_is_true(json_object_get(json_object_get(
	    c->config, "host"), "auto_remove"))) && remove_now(c, NULL, &err) < 0)
		log_error("container", "%s", berth_error_message(&err));
	daemon_idle_check(d);
}

static void
exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct container *c = arg;
	siginfo_t si;

	(void)fd;
	(void)what;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED) < 0) {
		if (errno == EINTR)
			return;
		if (errno == ECHILD) {
			/* Adopted: another process reaps it. */
			container_foreign_exit(c);
			return;
		}
		log_error("container", "%.12s: wait: %s", c->id,
		    strerror(errno));
		si.si_code = CLD_KILLED;
		si.si_status = SIGKILL;
	}
	container_exited(c, rt_exit_code(si.si_status, si.si_code), NULL);
}

static void
oom_cb(evutil_socket_t fd, short what, void *arg)
{
	struct container *c = arg;
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	uint64_t n = 0;

	(void)fd;
	(void)what;
	if (c->oom_event != NULL && cgroup_event_ack(c->oom_event, &n,
	    &err) == 0 && n > 0) {
		c->oom_killed = true;
		log_info("container", "%.12s: out of memory", c->id);
		event_container(c, "oom", NULL);
	}
}

/* OOM kills through the cgroup's event fd; a host without it still
 * runs the container. */
static void watch_oom(struct container *c);

int
container_watch(struct container *c, struct berth_error *err)
{
	c->exit_ev = event_new(c->d->base, c->pidfd, EV_READ, exit_cb, c);
	if (c->exit_ev == NULL || event_add(c->exit_ev, NULL) < 0)
		return (berth_error_set(err, BERTH_E_SYSTEM, ENOMEM, "%.12s: "
		    "events", c->id));
	watch_oom(c);
	return (0);
}

static void
watch_oom(struct container *c)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct cgroup_event *ev = calloc(1, sizeof(*ev));

	if (ev == NULL)
		return;
	cgroup_event_init(ev);
	if (cgroup_event_open(c->cgroup, CGROUP_EVENT_OOM, ev, &err) < 0) {
		log_debug("container", "%.12s: no OOM events: %s", c->id,
		    berth_error_message(&err));
		free(ev);
		return;
	}
	c->oom_event = ev;
	c->oom_ev = event_new(c->d->base, ev->fd, EV_READ | EV_PERSIST,
	    oom_cb, c);
	if (c->oom_ev != NULL)
		event_add(c->oom_ev, NULL);
}

int
container_signal(struct container *c, int sig, struct berth_error *err)
{
	cleanup_error struct berth_error thaw = BERTH_ERROR_INIT;

	if (c->state != CTR_RUNNING || c->pidfd < 0) {
		if (err == NULL)
			return (-1);
		berth_error_set(err, CTR_E_STATE, 0, "container %s is not "
		    "running", c->name);
		berth_error_param_str(err, "container", c->name);
		return (berth_error_param_str(err, "state",
		    container_state_name(c->state)));
	}
	/* A frozen process takes no signal: thaw it first, as Docker
	 * does for kill and stop of a paused container. */
	if (c->paused && container_pause(c, false, &thaw) < 0)
		log_warn("container", "%.12s: %s", c->id,
		    berth_error_message(&thaw));
	if (syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0) < 0) {
		if (errno == ESRCH)
			return (0);	/* exiting: the pidfd will say */
		return (err != NULL ? berth_error_sys(err, "signal %.12s",
		    c->id) : -1);
	}
	{
		char num[16];

		snprintf(num, sizeof(num), "%d", sig);
		event_container(c, "kill", json_pack("{s:s}", "signal", num));
	}
	return (0);
}

int
container_pause(struct container *c, bool pause, struct berth_error *err)
{
	if (c->state != CTR_RUNNING || c->cgroup == NULL ||
	    c->paused == pause) {
		berth_error_set(err, CTR_E_STATE, 0, "container %s is %s",
		    c->name, c->state != CTR_RUNNING ? "not running" :
		    pause ? "already paused" : "not paused");
		berth_error_param_str(err, "container", c->name);
		return (berth_error_param_str(err, "state", c->paused ?
		    "paused" : container_state_name(c->state)));
	}
	if (cgroup_freeze(c->cgroup, pause, err) < 0)
		return (berth_error_wrap(err, "%s %.12s", pause ? "pause" :
		    "unpause", c->id));
	c->paused = pause;
	event_container(c, pause ? "pause" : "unpause", NULL);
	return (container_save(c, err));
}

static void
stop_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct container *c = arg;

	(void)fd;
	(void)what;
	log_info("container", "%.12s: did not stop in time: SIGKILL", c->id);
	(void)container_signal(c, SIGKILL, NULL);
}

int
container_stop(struct container *c, int timeout, int sig,
    struct berth_error *err)
{
	struct timeval tv = { timeout, 0 };

	if (c->state != CTR_RUNNING)
		return (0);
	if (container_signal(c, timeout == 0 ? SIGKILL : sig, err) < 0)
		return (-1);
	c->stopping = true;
	if (timeout <= 0)
		return (0);	/* SIGKILL already, or never */
	if (c->stop_timer == NULL &&
	    (c->stop_timer = evtimer_new(c->d->base, stop_timer_cb, c)) ==
	    NULL)
		return (berth_error_set(err, BERTH_E_SYSTEM, ENOMEM, "stop"));
	/* A second stop does not push the deadline back. */
	if (!evtimer_pending(c->stop_timer, NULL))
		evtimer_add(c->stop_timer, &tv);
	return (0);
}

/* ---- remove ------------------------------------------------------- */

/* berthd --helper tree-remove: {dir, names}: removed containers' or
 * volumes' files, renamed aside, which can take long for a big tree.
 * Replies {freed} (bytes given back), and {error} with the first failure:
 * the others are still removed. */
int
tree_remove_child(const msgpack_object *args, struct job_child *jc,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *names = msgpack_map_get(args, "names");
	cleanup_error struct berth_error first = BERTH_ERROR_INIT;
	char dir[4096], name[256];
	uint64_t freed = 0;
	uint32_t i;

	(void)jc;
	if (!msgpack_str_copy(msgpack_map_get(args, "dir"), dir,
	    sizeof(dir)) || names == NULL ||
	    names->type != MSGPACK_OBJECT_ARRAY)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "tree-remove: bad arguments"));
	for (i = 0; i < names->via.array.size; i++) {
		cleanup_error struct berth_error e = BERTH_ERROR_INIT;

		if (!msgpack_str_copy(&names->via.array.ptr[i], name,
		    sizeof(name)))
			berth_error_set(&e, BERTH_E_INTERNAL, 0,
			    "tree-remove: bad name");
		else if (snapshot_remove_counted(dir, name, &freed, &e) == 0 ||
		    berth_error_is(&e, SNAPSHOT_E_NOT_FOUND))
			continue;
		if (!berth_error_isset(&first))
			berth_error_move(&first, &e);
	}
	msgpack_pack_map(pk, berth_error_isset(&first) ? 2 : 1);
	pack_str(pk, "freed");
	msgpack_pack_uint64(pk, freed);
	if (berth_error_isset(&first))
		pack_kv_str(pk, "error", berth_error_message(&first));
	return (0);
}

/*
 * The row goes first (the commit point: an acknowledged removal stays
 * removed), then the container's directory is renamed aside and removed
 * by a helper: a big upper layer is no work for the loop.  What a crash
 * leaves aside is swept at the next start.
 */
static int
remove_now(struct container *c, char trash[CTR_TRASH_MAX],
    struct berth_error *err)
{
	struct daemon *d = c->d;
	char dir[4096], name[CTR_TRASH_MAX];
	int dirfd;

	if (db_container_delete(store_db(d->store), c->id, err) < 0)
		return (berth_error_wrap(err, "remove %.12s", c->id));
	/* rm -v and --rm take its anonymous volumes along. */
	container_mounts_release(c, c->remove_volumes ||
	    json_is_true(json_object_get(json_object_get(c->config, "host"),
	    "auto_remove")));
	container_cancel_restart(c);
	event_container(c, "destroy", NULL);
	container_logs_close(c);
	if (trash != NULL)
		trash[0] = '\0';
	snprintf(name, sizeof(name), CTR_TRASH_PREFIX "%s", c->id);
	if (containers_dir(d, dir, sizeof(dir)) == 0 &&
	    (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		if (renameat(dirfd, c->id, dirfd, name) == 0) {
			if (trash != NULL)
				memcpy(trash, name, sizeof(name));
			else
				job_tree_remove(d, "container", dir, name);
		} else if (errno != ENOENT)
			log_warn("container", "%.12s: move aside: %s (the "
			    "next start sweeps it)", c->id, strerror(errno));
		close(dirfd);
	}
	log_info("container", "%.12s (%s) removed", c->id, c->name);
	TAILQ_REMOVE(&d->containers, c, entry);
	container_attaches_end(c);
	container_notify_waits(c, true);
	container_free(c);
	return (0);
}

int
container_remove(struct container *c, bool force, struct berth_error *err)
{
	if (c->state == CTR_RUNNING) {
		if (!force) {
			berth_error_set(err, CTR_E_RUNNING, 0, "cannot remove "
			    "container %s: container is running: stop the "
			    "container before removing or force remove",
			    c->name);
			return (berth_error_param_str(err, "container",
			    c->name));
		}
		c->removing = true;
		return (container_signal(c, SIGKILL, err) < 0 ? -1 : 1);
	}
	if (container_restarting(c) && !force) {
		berth_error_set(err, CTR_E_RUNNING, 0, "cannot remove container "
		    "%s: container is restarting: stop the container before "
		    "removing or force remove", c->name);
		return (berth_error_param_str(err, "container", c->name));
	}
	return (remove_now(c, NULL, err));
}

int
container_remove_aside(struct container *c, char trash[CTR_TRASH_MAX],
    struct berth_error *err)
{
	if (c->state == CTR_RUNNING || c->start != NULL || c->removing ||
	    container_restarting(c))
		return (berth_error_set(err, CTR_E_RUNNING, 0, "container %s "
		    "is running", c->name));
	return (remove_now(c, trash, err));
}

/* ---- waiters ------------------------------------------------------ */

static void
wait_free(struct ctr_wait *w)
{
	if (w->c != NULL)
		TAILQ_REMOVE(&w->c->waits, w, entry);
	free(w);
}

static void
wait_gone(void *arg, struct peer *p)
{
	(void)p;
	wait_free(arg);
}

static const struct peer_session_ops wait_ops = {
	.drained = NULL,
	.gone = wait_gone,
};

struct wait_result {
	bool		 plain;
	int		 code;
	const char	*error;
};

static void
pack_wait(msgpack_packer *pk, const void *arg)
{
	const struct wait_result *r = arg;

	if (r->plain) {
		msgpack_pack_map(pk, 0);
		return;
	}
	msgpack_pack_map(pk, r->error != NULL ? 2 : 1);
	pack_str(pk, "exit_code");
	msgpack_pack_int(pk, r->code);
	if (r->error != NULL)
		pack_kv_str(pk, "error", r->error);
}

static void
wait_reply(struct ctr_wait *w, int code, const char *error)
{
	struct wait_result r = { w->plain, code, error };
	struct peer *p = w->p;

	peer_reply(p, false, pack_wait, &r);
	wait_free(w);
	peer_session_end(p);
}

int
container_wait(struct container *c, struct peer *p, enum ctr_wait_cond cond,
    bool plain, struct berth_error *err)
{
	struct ctr_wait *w;

	if (cond == WAIT_NOT_RUNNING && (c->state == CTR_EXITED ||
	    c->state == CTR_DEAD) && !c->removing)
		return (0);	/* the caller answers at once */
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return (berth_error_sys(err, "wait"));
	w->c = c;
	w->p = p;
	w->cond = cond;
	w->plain = plain;
	TAILQ_INSERT_TAIL(&c->waits, w, entry);
	peer_session_begin(p, &wait_ops, w, false);
	return (DISPATCH_DEFERRED);
}

void
container_notify_waits(struct container *c, bool removed)
{
	struct ctr_wait *w, *next;

	for (w = TAILQ_FIRST(&c->waits); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (w->cond == WAIT_REMOVED && !removed)
			continue;
		wait_reply(w, c->exit_code, c->error);
	}
}

/* ---- start-up and shutdown ---------------------------------------- */

static void
container_free(struct container *c)
{
	struct ctr_wait *w;

	while ((w = TAILQ_FIRST(&c->waits)) != NULL) {
		TAILQ_REMOVE(&c->waits, w, entry);
		w->c = NULL;
		/* The peer's session is left to end with the peer. */
	}
	container_follows_end(c);
	container_attaches_end(c);
	container_input_close(c);
	container_execs_release(c, true);
	container_cancel_restart(c);
	container_start_cancel(c, "it is being removed");
	container_logs_close(c);
	release_running(c);
	if (c->config != NULL)
		json_decref(c->config);
	if (c->image_config != NULL)
		json_decref(c->image_config);
	json_decref(c->net_state);
	free(c->name);
	free(c->error);
	free(c);
}

/*
 * A container the record says runs, found at start-up, that could not
 * be adopted (container-recover.c says why): what is left in its cgroup
 * is killed, and it is marked exited.
 */
void
container_reap_orphan(struct container *c, const char *why)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	char path[256], msg[512];
	struct rt_cgroup *cg;
	pid_t *pids = NULL;
	size_t npids = 0;

	/* What a failed adoption took (its cgroup is not destroyed here:
	 * below, once its processes are counted). */
	container_pumps_finish(c);
	if (c->cgroup != NULL) {
		cgroup_free(c->cgroup);
		c->cgroup = NULL;
	}
	release_running(c);
	snprintf(path, sizeof(path), "%s/%s", c->d->cfg.cgroup_parent, c->id);
	if (cgroup_open(path, &cg, &err) == 0) {
		(void)cgroup_pids(cg, &pids, &npids, &err);
		free(pids);
		berth_error_clear(&err);
		if (cgroup_destroy(cg, &err) < 0)
			log_warn("container", "%.12s: %s", c->id,
			    berth_error_message(&err));
		cgroup_free(cg);
	}
	berth_error_clear(&err);
	c->state = CTR_EXITED;
	c->paused = false;
	c->finished_ns = now_ns();
	c->pid = 0;
	if (npids > 0) {
		c->exit_code = 137;
		snprintf(msg, sizeof(msg), "killed at berthd's restart: %s",
		    why);
	} else {
		c->exit_code = 255;
		snprintf(msg, sizeof(msg), "it exited while berthd was down "
		    "(%s): its exit status is unknown", why);
	}
	free(c->error);
	c->error = strdup(msg);
	if (container_save(c, &err) < 0)
		log_error("container", "%.12s: %s", c->id,
		    berth_error_message(&err));
	event_container(c, "die", json_pack("{s:s}", "exitCode",
	    npids > 0 ? "137" : "255"));
}

static int
load_one(struct daemon *d, const struct db_container *row,
    struct berth_error *err)
{
	json_error_t jerr;
	cleanup_json json_t *rec = json_loads(row->record, 0, &jerr);
	struct container *c;

	if (rec == NULL || strlen(row->id) != CTR_ID_LEN ||
	    strlen(row->image) >= DIGEST_STR_SIZE)
		return (berth_error_set(err, STORE_E_DATABASE, 0, "container "
		    "%s: bad record", row->id));
	if ((c = container_new(d)) == NULL)
		return (berth_error_sys(err, "load containers"));
	memcpy(c->id, row->id, CTR_ID_LEN + 1);
	memcpy(c->image_id, row->image, strlen(row->image) + 1);
	c->name = strdup(row->name);
	c->created_ns = row->created;
	c->config = json_incref(json_object_get(rec, "config"));
	c->image_config = json_incref(json_object_get(rec, "image_config"));
	c->state = state_of(json_string_value(json_object_get(rec, "state")));
	c->exit_code = (int)json_integer_value(json_object_get(rec,
	    "exit_code"));
	c->oom_killed = json_is_true(json_object_get(rec, "oom_killed"));
	c->paused = json_is_true(json_object_get(rec, "paused"));
	if (json_is_string(json_object_get(rec, "error")))
		c->error = strdup(json_string_value(json_object_get(rec,
		    "error")));
	c->started_ns = json_integer_value(json_object_get(rec,
	    "started_ns"));
	c->restart_count = (int)json_integer_value(json_object_get(rec,
	    "restart_count"));
	c->manually_stopped = json_is_true(json_object_get(rec,
	    "manually_stopped"));
	c->pid = (pid_t)json_integer_value(json_object_get(rec, "pid"));
	c->pid_start = json_integer_value(json_object_get(rec, "pid_start"));
	c->finished_ns = json_integer_value(json_object_get(rec,
	    "finished_ns"));
	if (json_is_object(json_object_get(rec, "net")))
		c->net_state = json_incref(json_object_get(rec, "net"));
	if (c->name == NULL || !json_is_object(c->config)) {
		container_free(c);
		return (berth_error_set(err, STORE_E_DATABASE, 0, "container "
		    "%s: bad record", row->id));
	}
	TAILQ_INSERT_TAIL(&d->containers, c, entry);
	/* Adopted or reaped once the loop exists (containers_resume). */
	c->orphan = c->state == CTR_RUNNING;
	return (0);
}

/*
 * At start-up, before anything is served: directories under
 * ROOT/containers that no container owns (moved aside by a removal a
 * crash interrupted, or left by a create that died).
 */
static void
sweep(struct daemon *d, const char *dir)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_dir DIR *dp = opendir(dir);
	struct container *c;
	struct dirent *de;
	bool owned;

	if (dp == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		owned = false;
		TAILQ_FOREACH(c, &d->containers, entry)
			if (strcmp(c->id, de->d_name) == 0)
				owned = true;
		if (owned)
			continue;
		log_info("container", "sweep %s/%s", dir, de->d_name);
		if (snapshot_remove(dir, de->d_name, &err) < 0)
			log_warn("container", "%s", berth_error_message(&err));
		berth_error_clear(&err);
	}
}

/* Running ones are adopted (or marked exited); then always, and
 * unless-stopped unless it was stopped, come back when berthd starts
 * (on the loop's first turn, not counted as restarts), and those found
 * dead by their policy. */
void
containers_resume(struct daemon *d)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct container *c, *next;
	const char *n;

	containers_recover(d);
	for (c = TAILQ_FIRST(&d->containers); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state == CTR_RUNNING || c->state == CTR_CREATED)
			continue;
		/* --rm: one that stopped while no berthd could remove it. */
		if (json_is_true(json_object_get(json_object_get(c->config,
		    "host"), "auto_remove"))) {
			if (remove_now(c, NULL, &err) < 0) {
				log_warn("container", "%s",
				    berth_error_message(&err));
				berth_error_clear(&err);
			}
			continue;
		}
		n = restart_name(c->config);
		/* always comes back even after a stop; the others as their
		 * policy says of the last exit (Docker's restore). */
		if (c->started_ns > 0 && (strcmp(n, "always") == 0 ||
		    should_restart(c, c->exit_code))) {
			c->restart_count--;	/* restart_cb counts one */
			c->manually_stopped = false;
			schedule_restart(c, 0);
		}
	}
}

int
containers_init(struct daemon *d, struct berth_error *err)
{
	struct db_container *rows = NULL;
	size_t n = 0, i;
	char dir[4096];
	int rc = 0;

	if (containers_dir(d, dir, sizeof(dir)) < 0)
		return (berth_error_set(err, BERTH_E_INTERNAL, ENAMETOOLONG,
		    "containers directory"));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return (berth_error_sys(err, "create %s", dir));
	if (db_container_list(store_db(d->store), &rows, &n, err) < 0)
		return (-1);
	for (i = 0; i < n && rc == 0; i++)
		rc = load_one(d, &rows[i], err);
	db_container_list_free(rows, n);
	if (rc == 0)
		sweep(d, dir);
	if (rc == 0)
		rc = volumes_init(d, err);
	return (rc);
}

size_t
containers_running(struct daemon *d)
{
	struct container *c;
	size_t n = 0;

	TAILQ_FOREACH(c, &d->containers, entry)
		if (c->state == CTR_RUNNING || container_restarting(c) ||
		    c->start != NULL)
			n++;
	return (n);
}

bool
containers_stop_all(struct daemon *d)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct container *c;

	TAILQ_FOREACH(c, &d->containers, entry) {
		/* Not restarted now; at the next start, by its policy. */
		container_cancel_restart(c);
		container_start_cancel(c, "berthd is stopping");
		if (c->state == CTR_RUNNING &&
		    container_stop(c, container_stop_timeout(c),
		    container_stop_signal(c), &err) < 0) {
			log_warn("container", "%.12s: %s", c->id,
			    berth_error_message(&err));
			berth_error_clear(&err);
		}
	}
	return (containers_running(d) == 0);
}

/* berthd exits: what still runs is killed and reaped, and recorded. */
void
containers_free(struct daemon *d)
{
	struct container *c;
	siginfo_t si;

	while ((c = TAILQ_FIRST(&d->containers)) != NULL) {
		if (c->state == CTR_RUNNING && c->pidfd >= 0) {
			(void)syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL,
			    NULL, 0);
			if (c->paused && c->cgroup != NULL) {
				cleanup_error struct berth_error e =
				    BERTH_ERROR_INIT;

				(void)cgroup_freeze(c->cgroup, false, &e);
			}
			/* Its execs are berthd's children: the init's exit
			 * waits for them to be reaped, so they go first. */
			container_execs_release(c, true);
			memset(&si, 0, sizeof(si));
			if (waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED) < 0) {
				si.si_code = CLD_KILLED;
				si.si_status = SIGKILL;
			}
			c->removing = false;
			container_exited(c, rt_exit_code(si.si_status,
			    si.si_code), "berthd stopped");
			if (TAILQ_FIRST(&d->containers) != c)
				continue;	/* auto-removed */
		}
		TAILQ_REMOVE(&d->containers, c, entry);
		container_free(c);
	}
	/* The parent cgroup goes with its last container (another berthd
	 * may still use it: then it stays). */
	{
		cleanup_error struct berth_error err = BERTH_ERROR_INIT;

		(void)cgroup_remove_parent(d->cfg.cgroup_parent, &err);
	}
}
