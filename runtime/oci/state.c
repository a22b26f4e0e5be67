/*
 * The state directory ROOT/ID/: making, locking, reading and writing
 * state.json, the container's status from its pid (with the start time
 * against pid reuse), its fifo and its cgroup, and removal.
 */
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "config.h"
#include "oci.h"
#include "state.h"

int
state_id_check(const char *id, struct berth_error *err)
{
	size_t len = strlen(id);

	if (len == 0)
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "container id cannot be empty"));
	if (len > STATE_ID_MAX || strcmp(id, ".") == 0 ||
	    strcmp(id, "..") == 0 || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.+-") != len)
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "invalid container id format: %s", id));
	return (0);
}

int
proc_start_time(pid_t pid, uint64_t *start, char *state)
{
	cleanup_free char *text = NULL;
	char path[64], *p;
	unsigned long long v;
	size_t len;
	int field;
	struct berth_error err = BERTH_ERROR_INIT;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (oci_read_file(path, 4096, &text, &len, &err) < 0) {
		berth_error_clear(&err);
		return (-1);
	}
	/* The command name may hold spaces and parentheses: fields count
	 * from the last ')'. */
	if ((p = strrchr(text, ')')) == NULL || p[1] != ' ')
		return (-1);
	p += 2;
	if (state != NULL)
		*state = *p;
	for (field = 3; field < 22; field++) {
		if ((p = strchr(p, ' ')) == NULL)
			return (-1);
		p++;
	}
	if (sscanf(p, "%llu", &v) != 1)
		return (-1);
	*start = v;
	return (0);
}

void
state_now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char stamp[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", stamp, ts.tv_nsec);
}

/*
 * A POSIX record lock on ROOT/ID/lock, not flock: a flock belongs to the
 * open file description, which the spawned init shares (it is a clone of
 * us) until it execs, so a created container would hold its own lock
 * until started.  Record locks belong to the process and are not
 * inherited.  (They also drop when this process closes any fd of the
 * lock file: only lockfd ever opens it.)
 */
static int
container_lock(struct oci_container *c, bool shared, struct berth_error *err)
{
	struct flock fl;

	if (c->lockfd < 0 && (c->lockfd = openat(c->dirfd, STATE_LOCK,
	    O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		if (errno == ENOENT)	/* deleted while we opened it */
			return (berth_error_set(err, OCI_E_NOT_FOUND, 0,
			    "container does not exist"));
		return (berth_error_sys(err, "open %s/%s", c->dir,
		    STATE_LOCK));
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = shared ? F_RDLCK : F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(c->lockfd, F_SETLKW, &fl) < 0)
		if (errno != EINTR)
			return (berth_error_sys(err, "lock %s", c->dir));
	return (0);
}

/* The root and its missing parents, as runc's MkdirAll: containerd's
 * shim passes ROOT/NAMESPACE below a directory it has not made. */
static int
root_make(const char *root, struct berth_error *err)
{
	char path[PATH_MAX], *p;

	if (mkdir(root, 0711) == 0 || errno == EEXIST)
		return (0);
	if (errno != ENOENT || strlen(root) >= sizeof(path))
		return (berth_error_sys(err, "make state root %s", root));
	strcpy(path, root);
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0711) < 0 && errno != EEXIST)
			return (berth_error_sys(err, "make state root %s",
			    path));
		*p = '/';
	}
	if (mkdir(path, 0711) < 0 && errno != EEXIST)
		return (berth_error_sys(err, "make state root %s", root));
	return (0);
}

int
state_create(const char *root, const char *id, struct oci_container *c,
    struct berth_error *err)
{
	if (state_id_check(id, err) < 0 || root_make(root, err) < 0)
		return (-1);
	if (asprintf(&c->dir, "%s/%s", root, id) < 0) {
		c->dir = NULL;
		return (berth_error_sys(err, "state"));
	}
	if (mkdir(c->dir, 0711) < 0) {
		if (errno == EEXIST)
			return (berth_error_set(err, OCI_E_EXISTS, 0,
			    "container with id exists: %s", id));
		return (berth_error_sys(err, "make %s", c->dir));
	}
	if ((c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return (berth_error_sys(err, "open %s", c->dir));
	if ((c->st.id = strdup(id)) == NULL)
		return (berth_error_sys(err, "state"));
	return (container_lock(c, false, err));
}

static int
state_string(json_t *j, const char *key, char **out, bool required,
    struct berth_error *err)
{
	json_t *v = json_object_get(j, key);

	if (v == NULL && !required)
		return (0);
	if (!json_is_string(v))
		return (berth_error_set(err, OCI_E_STATE, 0,
		    "state.json: %s is missing", key));
	if ((*out = strdup(json_string_value(v))) == NULL)
		return (berth_error_sys(err, "state.json"));
	return (0);
}

static int
state_read(struct oci_container *c, struct berth_error *err)
{
	cleanup_json json_t *j = NULL;
	struct oci_state *st = &c->st;
	json_error_t jerr;
	json_t *v;
	int fd;

	if ((fd = openat(c->dirfd, STATE_FILE, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return (berth_error_set(err, OCI_E_NOT_FOUND, 0,
			    "container does not exist"));
		return (berth_error_sys(err, "open %s/%s", c->dir,
		    STATE_FILE));
	}
	j = json_loadfd(fd, 0, &jerr);
	close(fd);
	if (j == NULL)
		return (berth_error_set(err, OCI_E_STATE, 0,
		    "%s/%s: line %d: %s", c->dir, STATE_FILE, jerr.line,
		    jerr.text));
	free(st->id);
	st->id = NULL;
	if (state_string(j, "id", &st->id, true, err) < 0 ||
	    state_string(j, "bundle", &st->bundle, true, err) < 0 ||
	    state_string(j, "rootfs", &st->rootfs, false, err) < 0 ||
	    state_string(j, "created", &st->created, true, err) < 0 ||
	    state_string(j, "owner", &st->owner, false, err) < 0 ||
	    state_string(j, "cgroup_path", &st->cgroup_path, true, err) < 0)
		return (-1);
	st->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	st->start_time = (uint64_t)json_integer_value(json_object_get(j,
	    "pid_start_time"));
	st->started = json_is_true(json_object_get(j, "started"));
	v = json_object_get(j, "annotations");
	st->annotations = json_is_object(v) ? json_incref(v) : json_object();
	return (0);
}

int
state_open(const char *root, const char *id, bool shared,
    struct oci_container *c, struct berth_error *err)
{
	if (state_id_check(id, err) < 0)
		return (-1);
	if (asprintf(&c->dir, "%s/%s", root, id) < 0) {
		c->dir = NULL;
		return (berth_error_sys(err, "state"));
	}
	if ((c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return (berth_error_set(err, OCI_E_NOT_FOUND, 0,
			    "container does not exist"));
		return (berth_error_sys(err, "open %s", c->dir));
	}
	if (container_lock(c, shared, err) < 0)
		return (-1);
	/* A delete that held the lock before us leaves the directory
	 * gone or empty. */
	return (state_read(c, err));
}

int
state_write_file(struct oci_container *c, const char *name, const char *data,
    size_t len, struct berth_error *err)
{
	char tmp[64];
	cleanup_close int fd = -1;
	size_t off = 0;
	ssize_t n;

	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	if ((fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600)) < 0)
		return (berth_error_sys(err, "write %s/%s", c->dir, name));
	while (off < len) {
		if ((n = write(fd, data + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			return (berth_error_sys(err, "write %s/%s", c->dir,
			    name));
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || renameat(c->dirfd, tmp, c->dirfd, name) < 0)
		return (berth_error_sys(err, "write %s/%s", c->dir, name));
	return (0);
}

int
state_save(struct oci_container *c, struct berth_error *err)
{
	cleanup_json json_t *j = NULL;
	cleanup_free char *text = NULL;
	struct oci_state *st = &c->st;
	struct passwd *pw;

	if (st->owner == NULL) {
		pw = getpwuid(geteuid());
		if ((st->owner = strdup(pw != NULL ? pw->pw_name : "")) == NULL)
			return (berth_error_sys(err, "state"));
	}
	j = json_pack("{s:s, s:I, s:I, s:s, s:s?, s:s, s:s, s:s, s:O?, s:b}",
	    "id", st->id, "pid", (json_int_t)st->pid,
	    "pid_start_time", (json_int_t)st->start_time,
	    "bundle", st->bundle, "rootfs", st->rootfs,
	    "created", st->created, "owner", st->owner,
	    "cgroup_path", st->cgroup_path, "annotations", st->annotations,
	    "started", st->started);
	if (j == NULL || (text = json_dumps(j, JSON_INDENT(2))) == NULL)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "encode %s/%s", c->dir, STATE_FILE));
	return (state_write_file(c, STATE_FILE, text, strlen(text), err));
}

const char *
state_status_name(enum oci_status s)
{
	static const char *const names[] = {
		[OCI_STATUS_CREATED] = "created",
		[OCI_STATUS_RUNNING] = "running",
		[OCI_STATUS_PAUSED] = "paused",
		[OCI_STATUS_STOPPED] = "stopped",
	};

	return (names[s]);
}

/* Alive: the pid is there, started when we saw it start, not a zombie. */
static bool
state_alive(const struct oci_state *st)
{
	uint64_t start;
	char letter;

	if (st->pid <= 0 || proc_start_time(st->pid, &start, &letter) < 0)
		return (false);
	return (start == st->start_time && letter != 'Z' && letter != 'X');
}

int
state_status(struct oci_container *c, enum oci_status *out,
    struct berth_error *err)
{
	struct rt_cgroup *cg = NULL;
	bool frozen = false;
	int rc;

	if (!state_alive(&c->st)) {
		*out = OCI_STATUS_STOPPED;
		return (0);
	}
	if (faccessat(c->dirfd, STATE_FIFO, F_OK, 0) == 0) {
		*out = OCI_STATUS_CREATED;
		return (0);
	}
	if (cgroup_open(c->st.cgroup_path, &cg, err) < 0)
		return (berth_error_wrap(err, "container %s", c->st.id));
	rc = cgroup_frozen(cg, &frozen, err);
	cgroup_free(cg);
	if (rc < 0)
		return (berth_error_wrap(err, "container %s", c->st.id));
	*out = frozen ? OCI_STATUS_PAUSED : OCI_STATUS_RUNNING;
	return (0);
}

int
state_pidfd(struct oci_container *c, int *out, struct berth_error *err)
{
	cleanup_close int fd = -1;

	if (c->st.pid <= 0 || (fd = pidfd_open(c->st.pid, 0)) < 0)
		return (berth_error_set(err, OCI_E_STATE, 0,
		    "container not running"));
	/* Checked after the pidfd is open: the pidfd pins the process, so
	 * a matching start time means this is the container's. */
	if (!state_alive(&c->st))
		return (berth_error_set(err, OCI_E_STATE, 0,
		    "container not running"));
	*out = steal_fd(&fd);
	return (0);
}

json_t *
state_to_json(const struct oci_container *c, enum oci_status s)
{
	const struct oci_state *st = &c->st;

	return (json_pack("{s:s, s:s, s:s, s:I, s:s, s:s?, s:s, s:s, s:O}",
	    "ociVersion", OCI_VERSION, "id", st->id, "status",
	    state_status_name(s), "pid", (json_int_t)(s == OCI_STATUS_STOPPED ?
	    0 : st->pid), "bundle", st->bundle, "rootfs", st->rootfs,
	    "created", st->created, "owner", st->owner != NULL ? st->owner :
	    "", "annotations", st->annotations));
}

int
state_unlock(struct oci_container *c, struct berth_error *err)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_UNLCK;
	fl.l_whence = SEEK_SET;
	if (c->lockfd >= 0 && fcntl(c->lockfd, F_SETLK, &fl) < 0)
		return (berth_error_sys(err, "unlock %s", c->dir));
	return (0);
}

int
state_relock(struct oci_container *c, struct berth_error *err)
{
	return (container_lock(c, false, err));
}

static int
remove_entries(struct oci_container *c, struct berth_error *err)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = dup(c->dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return (berth_error_sys(err, "remove %s", c->dir));
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(c->dirfd, de->d_name, 0) < 0 && errno != ENOENT) {
			berth_error_sys(err, "remove %s/%s", c->dir,
			    de->d_name);
			closedir(d);
			return (-1);
		}
	}
	closedir(d);
	return (0);
}

/* A command about to wait for our lock may make a new lock file between
 * the unlinks and the rmdir: then once more. */
int
state_remove(struct oci_container *c, struct berth_error *err)
{
	int tries;

	for (tries = 0; tries < 3; tries++) {
		if (remove_entries(c, err) < 0)
			return (-1);
		if (rmdir(c->dir) == 0 || errno == ENOENT)
			return (0);
		if (errno != ENOTEMPTY)
			break;
	}
	return (berth_error_sys(err, "remove %s", c->dir));
}

void
state_close(struct oci_container *c)
{
	struct oci_state *st = &c->st;

	if (c->lockfd >= 0)
		close(c->lockfd);
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c->dir);
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->owner);
	free(st->cgroup_path);
	if (st->annotations != NULL)
		json_decref(st->annotations);
	memset(c, 0, sizeof(*c));
	c->dirfd = c->lockfd = -1;
}
