/*
 * A container's mounts, Docker's way: -v (binds, named and anonymous
 * volumes), --mount, --volumes-from and the image's VOLUMEs resolved at
 * create into the config's "mount_points"; the spec's mounts from them
 * at each start; the volumes made and their users recorded; the host
 * side prepared before the spawn (missing -v directories, tmpfs- and
 * bind-backed volumes mounted, copy-up of the image's content into new
 * volumes by a helper) and undone when the last user stops.
 *
 * A mount point: {Type: volume|bind|tmpfs, Name (volume), Source (bind),
 * Destination, RW, Mode (as given: "ro", "z", ...), Propagation (bind),
 * Anonymous, NoCopy, Create (a -v bind whose missing source is made),
 * Options (tmpfs)}.  --tmpfs stays in host.tmpfs, as Docker keeps it out
 * of Mounts.
 */
#include <sys/mount.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cleanup.h"
#include "container.h"
#include "container-info.h"
#include "daemon.h"
#include "db.h"
#include "events.h"
#include "job.h"
#include "json-pack.h"
#include "json-util.h"
#include "log.h"
#include "snapshot.h"
#include "spec.h"
#include "store.h"
#include "volume.h"

#define MOUNT_POINTS	"mount_points"

static json_t *
host_setting(struct container *c, const char *key)
{
	json_t *v = json_object_get(json_object_get(c->config, "host"), key);

	return (json_is_null(v) ? NULL : v);
}

static int
bad(struct berth_error *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(struct berth_error *err, const char *field, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	berth_error_set(err, CTR_E_CONFIG, 0, "%s", msg);
	return (berth_error_param_str(err, "field", field));
}

static const char *
str_of(json_t *m, const char *key)
{
	const char *s = json_string_value(json_object_get(m, key));

	return (s != NULL ? s : "");
}

static const char *const propagations[] = {
	"rprivate", "private", "rshared", "shared", "rslave", "slave", NULL
};

static bool
is_propagation(const char *s)
{
	const char *const *p;

	for (p = propagations; *p != NULL; p++)
		if (strcmp(*p, s) == 0)
			return (true);
	return (false);
}

/* /a/b/ as /a/b; "/" stays. */
static void
clean_path(char *p)
{
	size_t n = strlen(p);

	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
}

static json_t *
volume_point(const char *name, const char *dst, bool rw, const char *mode,
    bool anonymous, bool nocopy)
{
	return (json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:b, s:b}",
	    "Type", "volume", "Name", name, "Source", "", "Destination", dst,
	    "RW", rw, "Mode", mode, "Propagation", "", "Anonymous",
	    anonymous, "NoCopy", nocopy));
}

static int
new_anonymous(json_t *points, const char *dst, const char *mode,
    bool rw, bool nocopy, struct berth_error *err)
{
	char name[65];

	if (volume_random_name(name, err) < 0)
		return (-1);
	return (json_array_append_new(points, volume_point(name, dst, rw, mode,
	    true, nocopy)) < 0 ? berth_error_sys(err, "mounts") : 0);
}

static int
check_name(const char *field, const char *name, struct berth_error *err)
{
	if (volume_name_valid(name))
		return (0);
	return (bad(err, field, "create %s: \"%s\" includes invalid "
	    "characters for a local volume name, only "
	    "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to "
	    "pass a host directory, use absolute path", name, name));
}

static int
check_destination(const char *spec, const char *type, const char *dst,
    struct berth_error *err)
{
	if (dst[0] != '/')
		return (bad(err, "binds", "invalid volume specification: "
		    "'%s': invalid mount config for type \"%s\": invalid mount "
		    "path: '%s' mount path must be absolute", spec, type, dst));
	if (strcmp(dst, "/") == 0)
		return (bad(err, "binds", "invalid volume specification: "
		    "'%s': invalid mount config for type \"%s\": invalid "
		    "specification: destination can't be '/'", spec, type));
	return (0);
}

/* -v: SRC:DST[:OPTS], or DST alone (an anonymous volume). */
static int
parse_bind(const char *spec, json_t *points, struct berth_error *err)
{
	cleanup_free char *copy = strdup(spec);
	char *f[4], *save, *tok, *opt;
	char modes[256] = "";
	const char *prop = "", *type;
	bool rw = true, nocopy = false;
	size_t n = 0;

	if (copy == NULL)
		return (berth_error_sys(err, "binds"));
	for (tok = strtok_r(copy, ":", &save); tok != NULL && n < 4;
	    tok = strtok_r(NULL, ":", &save))
		f[n++] = tok;
	if (n == 0 || n > 3 || spec[strlen(spec) - 1] == ':' ||
	    strstr(spec, "::") != NULL || spec[0] == ':')
		return (bad(err, "binds", "invalid volume specification: "
		    "'%s'", spec));
	if (n == 1) {
		clean_path(f[0]);
		if (check_destination(spec, "volume", f[0], err) < 0)
			return (-1);
		return (new_anonymous(points, f[0], "", true, false, err));
	}
	type = f[0][0] == '/' ? "bind" : "volume";
	clean_path(f[1]);
	if (check_destination(spec, type, f[1], err) < 0)
		return (-1);
	if (n == 3) {
		snprintf(modes, sizeof(modes), "%s", f[2]);
		for (opt = strtok_r(f[2], ",", &save); opt != NULL;
		    opt = strtok_r(NULL, ",", &save)) {
			if (strcmp(opt, "ro") == 0)
				rw = false;
			else if (strcmp(opt, "rw") == 0)
				rw = true;
			else if (strcmp(opt, "z") == 0 ||
			    strcmp(opt, "Z") == 0 ||
			    strcmp(opt, "consistent") == 0 ||
			    strcmp(opt, "cached") == 0 ||
			    strcmp(opt, "delegated") == 0)
				;	/* SELinux labels, macOS: nothing */
			else if (strcmp(opt, "nocopy") == 0 &&
			    strcmp(type, "volume") == 0)
				nocopy = true;
			else if (is_propagation(opt) &&
			    strcmp(type, "bind") == 0)
				prop = opt;
			else
				return (bad(err, "binds", "invalid volume "
				    "specification: '%s': invalid mode: %s",
				    spec, opt));
		}
	}
	if (strcmp(type, "volume") == 0) {
		if (check_name("binds", f[0], err) < 0)
			return (-1);
		/* Docker shows "z" for a named -v without a mode. */
		return (json_array_append_new(points, volume_point(f[0], f[1],
		    rw, n == 3 ? modes : "z", false, nocopy)) < 0 ?
		    berth_error_sys(err, "binds") : 0);
	}
	clean_path(f[0]);
	return (json_array_append_new(points, json_pack("{s:s, s:s, s:s, "
	    "s:b, s:s, s:s, s:b}", "Type", "bind", "Source", f[0],
	    "Destination", f[1], "RW", rw, "Mode", modes, "Propagation",
	    prop[0] != '\0' ? prop : "rprivate", "Create", true)) < 0 ?
	    berth_error_sys(err, "binds") : 0);
}

/* --mount, as the client sent it: {type, source, target, read_only,
 * bind_propagation, volume_nocopy, tmpfs_size, tmpfs_mode}. */
static int
parse_mount(json_t *m, json_t *points, struct berth_error *err)
{
	const char *type = str_of(m, "type"), *src = str_of(m, "source");
	const char *prop = str_of(m, "bind_propagation");
	char dst[4096], opts[256] = "";
	bool ro = json_is_true(json_object_get(m, "read_only"));
	bool nocopy = json_is_true(json_object_get(m, "volume_nocopy"));
	json_t *size = json_object_get(m, "tmpfs_size");
	json_t *mode = json_object_get(m, "tmpfs_mode");
	struct stat st;

	snprintf(dst, sizeof(dst), "%s", str_of(m, "target"));
	clean_path(dst);
	if (dst[0] == '\0')
		return (bad(err, "mounts", "invalid mount config for type "
		    "\"%s\": field Target must not be empty", type));
	if (dst[0] != '/' || strcmp(dst, "/") == 0)
		return (bad(err, "mounts", "invalid mount config for type "
		    "\"%s\": invalid mount path: '%s' mount path must be "
		    "absolute", type, dst));
	if (prop[0] != '\0' && (strcmp(type, "bind") != 0 ||
	    !is_propagation(prop)))
		return (bad(err, "mounts", "invalid mount config for type "
		    "\"%s\": invalid propagation %s", type, prop));
	if (nocopy && strcmp(type, "volume") != 0)
		return (bad(err, "mounts", "invalid mount config for type "
		    "\"%s\": field VolumeOptions must not be specified",
		    type));
	if ((size != NULL || mode != NULL) && strcmp(type, "tmpfs") != 0)
		return (bad(err, "mounts", "invalid mount config for type "
		    "\"%s\": field TmpfsOptions must not be specified", type));
	if (strcmp(type, "volume") == 0) {
		if (src[0] == '\0')
			return (new_anonymous(points, dst, ro ? "ro" : "",
			    !ro, nocopy, err));
		if (check_name("mounts", src, err) < 0)
			return (-1);
		return (json_array_append_new(points, volume_point(src, dst,
		    !ro, ro ? "ro" : "", false, nocopy)) < 0 ?
		    berth_error_sys(err, "mounts") : 0);
	}
	if (strcmp(type, "bind") == 0) {
		if (src[0] == '\0')
			return (bad(err, "mounts", "invalid mount config for "
			    "type \"bind\": field Source must not be empty"));
		if (src[0] != '/')
			return (bad(err, "mounts", "invalid mount config for "
			    "type \"bind\": invalid mount path: '%s' mount "
			    "path must be absolute", src));
		if (stat(src, &st) < 0)
			return (bad(err, "mounts", "invalid mount config for "
			    "type \"bind\": bind source path does not exist: "
			    "%s", src));
		return (json_array_append_new(points, json_pack("{s:s, s:s, "
		    "s:s, s:b, s:s, s:s, s:b}", "Type", "bind", "Source", src,
		    "Destination", dst, "RW", !ro, "Mode", ro ? "ro" : "",
		    "Propagation", prop[0] != '\0' ? prop : "rprivate",
		    "Create", false)) < 0 ? berth_error_sys(err, "mounts") :
		    0);
	}
	if (strcmp(type, "tmpfs") == 0) {
		if (src[0] != '\0')
			return (bad(err, "mounts", "invalid mount config for "
			    "type \"tmpfs\": field Source must not be "
			    "specified"));
		if (json_integer_value(size) < 0)
			return (bad(err, "mounts", "invalid tmpfs size %lld",
			    (long long)json_integer_value(size)));
		if (json_is_integer(size) && json_integer_value(size) > 0)
			snprintf(opts, sizeof(opts), "size=%lld",
			    (long long)json_integer_value(size));
		if (json_is_integer(mode))
			snprintf(opts + strlen(opts), sizeof(opts) -
			    strlen(opts), "%smode=%llo", opts[0] != '\0' ?
			    "," : "", (unsigned long long)
			    json_integer_value(mode) & 07777);
		return (json_array_append_new(points, json_pack("{s:s, s:s, "
		    "s:s, s:b, s:s, s:s, s:s}", "Type", "tmpfs", "Source", "",
		    "Destination", dst, "RW", !ro, "Mode", "", "Propagation",
		    "", "Options", opts)) < 0 ? berth_error_sys(err,
		    "mounts") : 0);
	}
	return (bad(err, "mounts", "invalid mount config: mount type \"%s\" "
	    "is not bind, volume or tmpfs", type));
}

static bool
has_destination(json_t *points, const char *dst)
{
	json_t *m;
	size_t i;

	json_array_foreach(points, i, m)
		if (strcmp(str_of(m, "Destination"), dst) == 0)
			return (true);
	return (false);
}

/* --volumes-from CTR[:ro|rw]: its volumes and binds (not tmpfs), at the
 * same places, unless this container mounts something there. */
static int
volumes_from(struct container *c, const char *spec, json_t *points,
    struct berth_error *err)
{
	cleanup_free char *name = strdup(spec);
	struct container *from;
	char *mode;
	json_t *m, *copy;
	size_t i;

	if (name == NULL)
		return (berth_error_sys(err, "volumes_from"));
	if ((mode = strrchr(name, ':')) != NULL) {
		*mode++ = '\0';
		if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
			return (bad(err, "volumes_from", "invalid mode for "
			    "--volumes-from %s: %s", spec, mode));
	}
	if (container_find(c->d, name, &from, err) < 0)
		return (-1);
	if (from == c)
		return (bad(err, "volumes_from", "%s", "a container cannot "
		    "take volumes from itself"));
	json_array_foreach(json_object_get(from->config, MOUNT_POINTS), i,
	    m) {
		if (strcmp(str_of(m, "Type"), "tmpfs") == 0 ||
		    has_destination(points, str_of(m, "Destination")))
			continue;
		if ((copy = json_deep_copy(m)) == NULL)
			return (berth_error_sys(err, "volumes_from"));
		if (mode != NULL) {
			json_object_set_new(copy, "RW", json_boolean(
			    strcmp(mode, "rw") == 0));
			json_object_set_new(copy, "Mode", json_string(mode));
		}
		/* The volume is made already: nothing to copy into it. */
		json_object_set_new(copy, "Create", json_false());
		json_array_append_new(points, copy);
	}
	return (0);
}

/* image_volumes: the image's VOLUMEs too (not for a container made
 * before mount points were kept: it has no volumes for them). */
static int
resolve(struct container *c, bool image_volumes, struct berth_error *err)
{
	cleanup_json json_t *points = json_array();
	json_t *x, *vols;
	const char *key;
	size_t i, k;

	if (points == NULL)
		return (berth_error_sys(err, "mounts"));
	json_array_foreach(host_setting(c, "binds"), i, x) {
		if (!json_is_string(x))
			return (bad(err, "binds", "%s", "invalid bind"));
		if (parse_bind(json_string_value(x), points, err) < 0)
			return (-1);
	}
	json_array_foreach(host_setting(c, "mounts"), i, x)
		if (parse_mount(x, points, err) < 0)
			return (-1);
	/* Two mounts on one path: refused, as Docker. */
	for (i = 0; i < json_array_size(points); i++)
		for (k = i + 1; k < json_array_size(points); k++)
			if (strcmp(str_of(json_array_get(points, i),
			    "Destination"), str_of(json_array_get(points, k),
			    "Destination")) == 0)
				return (bad(err, "mounts", "Duplicate mount "
				    "point: %s", str_of(json_array_get(points,
				    i), "Destination")));
	json_object_foreach(host_setting(c, "tmpfs"), key, x)
		if (has_destination(points, key))
			return (bad(err, "tmpfs", "Duplicate mount point: %s",
			    key));
	json_array_foreach(host_setting(c, "volumes_from"), i, x)
		if (!json_is_string(x) || volumes_from(c,
		    json_string_value(x), points, err) < 0)
			return (berth_error_isset(err) ? -1 : bad(err,
			    "volumes_from", "%s", "invalid --volumes-from"));
	/* The image's VOLUMEs: anonymous volumes where nothing else is. */
	vols = image_volumes ? json_object_get(c->image_config, "Volumes") :
	    NULL;
	json_object_foreach(vols, key, x) {
		char dst[4096];

		snprintf(dst, sizeof(dst), "%s", key);
		clean_path(dst);
		if (dst[0] != '/' || strcmp(dst, "/") == 0 ||
		    has_destination(points, dst) ||
		    json_object_get(host_setting(c, "tmpfs"), dst) != NULL)
			continue;
		if (new_anonymous(points, dst, "", true, false, err) < 0)
			return (-1);
	}
	if (json_object_set(c->config, MOUNT_POINTS, points) < 0)
		return (berth_error_sys(err, "mounts"));
	return (0);
}

int
container_mounts_resolve(struct container *c, struct berth_error *err)
{
	return (resolve(c, true, err));
}

/* ---- the spec ----------------------------------------------------- */

static size_t
depth_of(const char *p)
{
	size_t n = 0;

	for (; *p != '\0'; p++)
		n += *p == '/';
	return (n);
}

static int
add_point(struct container *c, json_t *m, struct rt_spec *spec,
    struct berth_error *err)
{
	const char *type = str_of(m, "Type"), *opts[8];
	char src[4096], data[300];
	size_t n = 0;
	char *tok, *save;

	if (strcmp(type, "tmpfs") == 0) {
		opts[n++] = "nosuid";
		opts[n++] = "nodev";
		opts[n++] = "noexec";
		if (!json_is_true(json_object_get(m, "RW")))
			opts[n++] = "ro";
		snprintf(data, sizeof(data), "%s", str_of(m, "Options"));
		for (tok = strtok_r(data, ",", &save); tok != NULL && n < 8;
		    tok = strtok_r(NULL, ",", &save))
			opts[n++] = tok;
		return (spec_add_mount(spec, str_of(m,
		    "Destination"), "tmpfs", "tmpfs", opts, n, err));
	}
	opts[n++] = "rbind";
	opts[n++] = json_is_true(json_object_get(m, "RW")) ? "rw" : "ro";
	if (strcmp(type, "volume") == 0) {
		if (volume_data_path(c->d->cfg.root, str_of(m, "Name"), src,
		    sizeof(src)) < 0)
			return (bad(err, "mounts", "%s", "volume path too "
			    "long"));
		opts[n++] = "rprivate";
	} else {
		snprintf(src, sizeof(src), "%s", str_of(m, "Source"));
		opts[n++] = str_of(m, "Propagation")[0] != '\0' ?
		    str_of(m, "Propagation") : "rprivate";
	}
	return (spec_add_mount(spec, str_of(m, "Destination"),
	    "bind", src, opts, n, err));
}

int
container_mounts_spec(struct container *c, struct rt_spec *spec,
    struct berth_error *err)
{
	json_t *points = json_object_get(c->config, MOUNT_POINTS), *x;
	const char *key;
	size_t i, depth, max = 0;

	/* A container made before mount points were kept: its binds. */
	if (points == NULL && json_array_size(host_setting(c, "binds")) > 0) {
		if (resolve(c, false, err) < 0)
			return (-1);
		points = json_object_get(c->config, MOUNT_POINTS);
	}
	/* Parents before what is mounted inside them, as Docker sorts. */
	json_array_foreach(points, i, x)
		if (depth_of(str_of(x, "Destination")) > max)
			max = depth_of(str_of(x, "Destination"));
	for (depth = 0; depth <= max; depth++)
		json_array_foreach(points, i, x)
			if (depth_of(str_of(x, "Destination")) == depth &&
			    add_point(c, x, spec, err) < 0)
				return (-1);
	/* Docker's: the root is rslave (the default), rshared when a bind
	 * asks to share (under a slave root its mounts would never reach
	 * the host). */
	json_array_foreach(points, i, x)
		if (strcmp(str_of(x, "Type"), "bind") == 0 &&
		    (strcmp(str_of(x, "Propagation"), "shared") == 0 ||
		    strcmp(str_of(x, "Propagation"), "rshared") == 0))
			spec->rootfs_propagation = MS_SHARED | MS_REC;
	json_object_foreach(host_setting(c, "tmpfs"), key, x) {
		cleanup_free char *o = NULL;
		const char *opts[16];
		size_t n = 0;
		char *tok, *save;

		if (key[0] != '/')
			return (bad(err, "tmpfs", "invalid tmpfs path %s: it "
			    "must be absolute", key));
		if (asprintf(&o, "nosuid,nodev,noexec%s%s",
		    json_string_length(x) > 0 ? "," : "",
		    json_string_value(x) != NULL ? json_string_value(x) :
		    "") < 0) {
			o = NULL;
			return (berth_error_sys(err, "tmpfs"));
		}
		for (tok = strtok_r(o, ",", &save); tok != NULL && n < 16;
		    tok = strtok_r(NULL, ",", &save))
			opts[n++] = tok;
		if (spec_add_mount(spec, key, "tmpfs", "tmpfs", opts,
		    n, err) < 0)
			return (-1);
	}
	return (0);
}

/* ---- volumes and their users --------------------------------------- */

static void	copy_up_abandon(struct container *c);

int
container_mounts_register(struct container *c, struct berth_error *err)
{
	struct store_db *db = store_db(c->d->store);
	json_t *points = json_object_get(c->config, MOUNT_POINTS), *m;
	const char **names;
	struct volume v;
	size_t i, n = 0;
	bool created;
	int rc = -1;

	if ((names = calloc(json_array_size(points) + 1, sizeof(*names))) ==
	    NULL)
		return (berth_error_sys(err, "volumes"));
	json_array_foreach(points, i, m) {
		if (strcmp(str_of(m, "Type"), "volume") != 0)
			continue;
		memset(&v, 0, sizeof(v));
		v.name = (char *)str_of(m, "Name");
		v.anonymous = json_is_true(json_object_get(m, "Anonymous"));
		/* Docker 23's mark of an anonymous volume. */
		if (v.anonymous)
			v.labels = "{\"com.docker.volume.anonymous\":\"\"}";
		if (volume_create(db, c->d->cfg.root, &v, &created, err) < 0)
			goto out;
		if (created) {
			log_info("volume", "%s created for %.12s", v.name,
			    c->id);
			event_emit(c->d, "volume", "create", v.name,
			    json_pack("{s:s}", "driver", "local"));
		}
		names[n++] = v.name;
	}
	rc = volume_use(db, c->id, names, n, err);
out:
	free(names);
	return (rc);
}

void
container_mounts_release(struct container *c, bool remove_anonymous)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store_db *db = store_db(c->d->store);
	json_t *m;
	size_t i;

	copy_up_abandon(c);
	if (volume_release(db, c->id, &err) < 0) {
		log_warn("volume", "%.12s: %s", c->id,
		    berth_error_message(&err));
		return;
	}
	if (!remove_anonymous)
		return;
	json_array_foreach(json_object_get(c->config, MOUNT_POINTS), i, m) {
		if (strcmp(str_of(m, "Type"), "volume") != 0 ||
		    !json_is_true(json_object_get(m, "Anonymous")))
			continue;
		/* Still used by another (--volumes-from): kept. */
		if (volume_destroy(c->d, str_of(m, "Name"), &err) == 0)
			event_emit(c->d, "volume", "destroy", str_of(m,
			    "Name"), json_pack("{s:s}", "driver", "local"));
		else if (!berth_error_is(&err, VOLUME_E_IN_USE) &&
		    !berth_error_is(&err, VOLUME_E_NOT_FOUND))
			log_warn("volume", "%s", berth_error_message(&err));
		berth_error_clear(&err);
	}
}

/* ---- before the spawn, after the exit ------------------------------ */

/* Docker's volume mount and unmount events, for each container start
 * and stop. */
static void
volume_event(struct container *c, const char *action, json_t *m)
{
	json_t *attrs = strcmp(action, "mount") == 0 ? json_pack("{s:s, s:s, "
	    "s:s, s:s, s:s}", "container", c->id, "destination", str_of(m,
	    "Destination"), "driver", "local", "propagation", "",
	    "read/write", json_is_true(json_object_get(m, "RW")) ? "true" :
	    "false") : json_pack("{s:s, s:s}", "container", c->id, "driver",
	    "local");

	event_emit(c->d, "volume", action, str_of(m, "Name"), attrs);
}

/* mkdir -p of a -v host path (Docker makes it, 0755). */
static int
make_host_dir(const char *path, struct berth_error *err)
{
	char buf[4096], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = buf + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		{
			char c = *p;

			*p = '\0';
			if (mkdir(buf, 0755) < 0 && errno != EEXIST)
				return (berth_error_sys(err, "create the bind "
				    "source %s", path));
			*p = c;
		}
		if (*p == '\0')
			break;
	}
	return (0);
}

/*
 * Copy-ups in flight and the starts waiting for them.  A volume is
 * filled by one copy at a time: a second start that mounts it waits
 * for that copy's end (or cancellation) and then prepares again (it
 * finds the volume populated, or fills it itself).  berthd owns the
 * helper jobs here, not the start: a stop, kill or removal of the
 * starting container cancels its copy in container_mounts_stopped.
 */
struct vol_copy {
	TAILQ_ENTRY(vol_copy)	 entry;
	struct daemon		*d;
	struct container	*owner;
	struct job		*job;
	json_t			*names;		/* the volumes it fills */
};

struct vol_wait {
	TAILQ_ENTRY(vol_wait)	 entry;
	struct container	*c;
	bool			 woken;
};

static TAILQ_HEAD(, vol_copy) vol_copies =
    TAILQ_HEAD_INITIALIZER(vol_copies);
static TAILQ_HEAD(, vol_wait) vol_waits = TAILQ_HEAD_INITIALIZER(vol_waits);

static struct vol_copy *
copy_in_flight(struct daemon *d, const char *name)
{
	struct vol_copy *vc;
	json_t *x;
	size_t i;

	TAILQ_FOREACH(vc, &vol_copies, entry)
		if (vc->d == d)
			json_array_foreach(vc->names, i, x)
				if (strcmp(json_string_value(x), name) == 0)
					return (vc);
	return (NULL);
}

static struct vol_wait *
waiting(struct container *c)
{
	struct vol_wait *w;

	TAILQ_FOREACH(w, &vol_waits, entry)
		if (w->c == c)
			return (w);
	return (NULL);
}

static void
vol_copy_free(struct vol_copy *vc)
{
	TAILQ_REMOVE(&vol_copies, vc, entry);
	json_decref(vc->names);
	free(vc);
}

static void wake_waiters(evutil_socket_t, short, void *);

/* After a copy's end: the waiters prepare again, from the loop (not
 * from inside whatever ended the copy). */
static void
schedule_wake(struct daemon *d)
{
	struct timeval now = { 0, 0 };
	struct vol_wait *w;

	TAILQ_FOREACH(w, &vol_waits, entry)
		if (w->c->d == d) {
			if (event_base_once(d->base, -1, EV_TIMEOUT,
			    wake_waiters, d, &now) < 0)
				log_warn("volume", "cannot wake the starts "
				    "waiting for a copy-up");
			return;
		}
}

static void
prep_done(void *arg, const msgpack_object *result,
    const struct berth_error *jerr)
{
	struct vol_copy *vc = arg;
	struct container *c = vc->owner;
	struct daemon *d = vc->d;
	struct berth_error err = BERTH_ERROR_INIT;

	(void)result;
	vol_copy_free(vc);
	if (jerr != NULL)
		berth_error_set(&err, CTR_E_START, 0, "copy-up into a new "
		    "volume: %s", berth_error_message(jerr));
	container_start_continue(c, &err);
	berth_error_clear(&err);
	schedule_wake(d);
}

static const struct job_ops prep_ops = { .done = prep_done };

static int
start_copy_up(struct container *c, json_t *copies, json_t *names,
    struct berth_error *err)
{
	struct vol_copy *vc;
	struct snapshot snap;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t i;
	int rc;

	if ((vc = calloc(1, sizeof(*vc))) == NULL)
		return (berth_error_sys(err, "copy-up"));
	if (container_snapshot(c, false, &snap, err) < 0) {
		free(vc);
		return (-1);
	}
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 4);
	pack_kv_str(&pk, "snapdir", dirname(snap.dir));
	pack_kv_str(&pk, "id", c->id);
	pack_str(&pk, "lowers");
	msgpack_pack_array(&pk, snap.nlowers);
	for (i = 0; i < snap.nlowers; i++)
		pack_str(&pk, snap.lowers[i]);
	snapshot_free(&snap);
	pack_str(&pk, "copies");
	json_pack_msgpack(&pk, copies);
	rc = job_start(c->d, "volume-copy-up", 0, sb.data, sb.size,
	    &prep_ops, vc, &vc->job, err);
	msgpack_sbuffer_destroy(&sb);
	if (rc < 0) {
		free(vc);
		return (-1);
	}
	vc->d = c->d;
	vc->owner = c;
	vc->names = json_incref(names);
	TAILQ_INSERT_TAIL(&vol_copies, vc, entry);
	return (0);
}

/* Waits, copies and host mounts of c's let go (c stopped or gone). */
static void
copy_up_abandon(struct container *c)
{
	struct vol_copy *vc, *next;
	struct vol_wait *w;
	bool wake = false;

	if ((w = waiting(c)) != NULL) {
		TAILQ_REMOVE(&vol_waits, w, entry);
		free(w);
	}
	for (vc = TAILQ_FIRST(&vol_copies); vc != NULL; vc = next) {
		next = TAILQ_NEXT(vc, entry);
		if (vc->owner != c)
			continue;
		/* The helper dies; _data is as it was (the copy went to
		 * _staging), and the next copy starts over. */
		log_info("volume", "%.12s: copy-up cancelled", c->id);
		job_cancel(vc->job);
		vol_copy_free(vc);
		wake = true;
	}
	if (wake)
		schedule_wake(c->d);
}

/* A container other than c, running or starting (not waiting here),
 * mounts the volume: it is never copied into then, as what a container
 * holds can be changed under the copy. */
static bool
used_elsewhere(struct container *c, const char *name)
{
	struct container *o;
	json_t *m;
	size_t i;

	TAILQ_FOREACH(o, &c->d->containers, entry) {
		if (o == c || !(o->state == CTR_RUNNING ||
		    (o->start != NULL && waiting(o) == NULL)))
			continue;
		json_array_foreach(json_object_get(o->config, MOUNT_POINTS),
		    i, m)
			if (strcmp(str_of(m, "Type"), "volume") == 0 &&
			    strcmp(str_of(m, "Name"), name) == 0)
				return (true);
	}
	return (false);
}

/* A copy-up in flight fills one of c's volumes: c waits for it. */
static bool
must_wait(struct container *c)
{
	struct vol_copy *vc;
	struct vol_wait *w;
	json_t *m;
	size_t i;

	json_array_foreach(json_object_get(c->config, MOUNT_POINTS), i, m) {
		if (strcmp(str_of(m, "Type"), "volume") != 0 ||
		    (vc = copy_in_flight(c->d, str_of(m, "Name"))) == NULL ||
		    vc->owner == c)
			continue;
		if (waiting(c) == NULL && (w = calloc(1, sizeof(*w))) != NULL) {
			w->c = c;
			TAILQ_INSERT_TAIL(&vol_waits, w, entry);
		}
		log_info("volume", "%.12s: waits for the copy-up into %s by "
		    "%.12s", c->id, str_of(m, "Name"), vc->owner->id);
		return (true);
	}
	return (false);
}

static void
wake_waiters(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct vol_wait *w;
	struct container *c;
	struct job *job;
	int rc;

	(void)fd;
	(void)what;
	TAILQ_FOREACH(w, &vol_waits, entry)
		w->woken = w->c->d == d;
	/* One at a time from the list itself: preparing one may end (and
	 * so take off the list) another. */
	for (;;) {
		struct berth_error err = BERTH_ERROR_INIT;

		TAILQ_FOREACH(w, &vol_waits, entry)
			if (w->woken)
				break;
		if (w == NULL)
			break;
		c = w->c;
		TAILQ_REMOVE(&vol_waits, w, entry);
		free(w);
		if (c->start == NULL)
			continue;
		if ((rc = container_mounts_prepare(c, &job, &err)) != 1)
			container_start_continue(c, &err);
		berth_error_clear(&err);
	}
}

int
container_mounts_prepare(struct container *c, struct job **job,
    struct berth_error *err)
{
	struct store_db *db = store_db(c->d->store);
	cleanup_json json_t *copies = json_array();
	cleanup_json json_t *names = json_array();
	struct volume_mount vm;
	char dir[4096];
	struct volume v;
	struct stat st;
	const char *name;
	json_t *m;
	size_t i;
	int rc;

	/* The job is this file's (copy_up_abandon cancels it). */
	*job = NULL;
	if (must_wait(c))
		return (1);
	json_array_foreach(json_object_get(c->config, MOUNT_POINTS), i, m) {
		if (strcmp(str_of(m, "Type"), "bind") == 0) {
			if (json_is_true(json_object_get(m, "Create")) &&
			    stat(str_of(m, "Source"), &st) < 0 &&
			    make_host_dir(str_of(m, "Source"), err) < 0)
				return (-1);
			continue;
		}
		if (strcmp(str_of(m, "Type"), "volume") != 0)
			continue;
		name = str_of(m, "Name");
		if (volume_get(db, name, &v, err) < 0)
			return (berth_error_wrap(err, "start %.12s", c->id));
		rc = volume_options_parse(v.options, &vm, err);
		if (rc == 0)
			rc = volume_mount(c->d->cfg.root, &v, err);
		volume_clear(&v);
		if (rc < 0)
			return (-1);
		volume_event(c, "mount", m);
		/* Docker's copy-up: once, into a new volume that is empty
		 * and that no other container holds. */
		if (vm.kind != VOLUME_PLAIN ||
		    json_is_true(json_object_get(m, "NoCopy")) ||
		    volume_populated(c->d->cfg.root, name) ||
		    used_elsewhere(c, name))
			continue;
		if (!volume_empty(c->d->cfg.root, name)) {
			cleanup_error struct berth_error e2 = BERTH_ERROR_INIT;

			if (volume_set_populated(c->d->cfg.root, name,
			    &e2) < 0)
				log_warn("volume", "%s", berth_error_message(
				    &e2));
			continue;
		}
		snprintf(dir, sizeof(dir), "%s/" VOLUME_DIR "/%s",
		    c->d->cfg.root, name);
		json_array_append_new(copies, json_pack("{s:s, s:s}", "path",
		    str_of(m, "Destination"), "volume", dir));
		json_array_append_new(names, json_string(name));
	}
	if (json_array_size(copies) == 0)
		return (0);
	if (start_copy_up(c, copies, names, err) < 0)
		return (-1);
	return (1);
}

/* A tmpfs- or bind-backed volume mounted now (a plain one is never:
 * its options say so without a look at the mount table). */
static bool
host_mounted(struct daemon *d, const char *name)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct volume_mount vm;
	struct volume v;
	int rc;

	if (volume_get(store_db(d->store), name, &v, &err) < 0)
		return (false);
	rc = volume_options_parse(v.options, &vm, &err);
	volume_clear(&v);
	return (rc == 0 && vm.kind != VOLUME_PLAIN &&
	    volume_mounted(d->cfg.root, name));
}

void
container_mounts_stopped(struct container *c)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	json_t *m;
	size_t i;
	const char *name;

	copy_up_abandon(c);
	json_array_foreach(json_object_get(c->config, MOUNT_POINTS), i, m) {
		name = str_of(m, "Name");
		if (strcmp(str_of(m, "Type"), "volume") != 0)
			continue;
		volume_event(c, "unmount", m);
		if (!host_mounted(c->d, name) || volume_busy(c->d, name, c))
			continue;
		if (volume_unmount(c->d->cfg.root, name, &err) < 0) {
			log_warn("volume", "%s", berth_error_message(&err));
			berth_error_clear(&err);
		}
	}
}

json_t *
container_mounts_doc(struct container *c)
{
	json_t *out = json_array(), *m, *doc;
	const char *type;
	char src[4096];
	size_t i;

	json_array_foreach(json_object_get(c->config, MOUNT_POINTS), i, m) {
		type = str_of(m, "Type");
		if (strcmp(type, "volume") == 0) {
			volume_data_path(c->d->cfg.root, str_of(m, "Name"),
			    src, sizeof(src));
			doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, "
			    "s:s}", "Type", type, "Name", str_of(m, "Name"),
			    "Source", src, "Destination", str_of(m,
			    "Destination"), "Driver", "local", "Mode",
			    str_of(m, "Mode"), "RW", json_object_get(m, "RW"),
			    "Propagation", "");
		} else
			doc = json_pack("{s:s, s:s, s:s, s:s, s:O, s:s}",
			    "Type", type, "Source", str_of(m, "Source"),
			    "Destination", str_of(m, "Destination"), "Mode",
			    str_of(m, "Mode"), "RW", json_object_get(m, "RW"),
			    "Propagation", str_of(m, "Propagation"));
		json_array_append_new(out, doc);
	}
	return (out);
}

/* ---- the copy-up helper ------------------------------------------- */

static int
open_in_root(int rootfd, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	while (*path == '/')
		path++;
	return ((int)syscall(SYS_openat2, rootfd, *path != '\0' ? path : ".",
	    &how, sizeof(how)));
}

/*
 * The container's files (its upper over the image's layers) as a
 * read-only overlay in this helper's own mount namespace, as export
 * sees them; each image path resolved inside that root (openat2
 * RESOLVE_IN_ROOT: a symlink out of it stays in it), each volume's
 * directory opened without following a link, and the tree copied
 * through fds into the volume's _staging, renamed onto its _data at the
 * end (volume_copy_staged): no container sees a half-filled volume,
 * and a copy cut short leaves _data empty.
 */
int
volume_copy_up_child(const msgpack_object *args, struct job_child *jc,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *cv = msgpack_map_get(args, "copies");
	cleanup_close int rootfd = -1;
	struct snapshot snap;
	char path[4096], vol[4096];
	uint32_t i;
	int rc = 0;

	(void)jc;
	if (cv == NULL || cv->type != MSGPACK_OBJECT_ARRAY)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "volume-copy-up: bad arguments"));
	if (container_arg_snapshot(args, "volume-copy-up", &snap, err) < 0)
		return (-1);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL,
	    MS_REC | MS_PRIVATE, NULL) < 0)
		rc = berth_error_sys(err, "copy-up: mount namespace");
	else if ((rc = snapshot_mount_readonly(&snap, err)) == 0 &&
	    (rootfd = open(snap.merged, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		rc = berth_error_sys(err, "copy-up: open %s", snap.merged);
	snapshot_free(&snap);
	for (i = 0; rc == 0 && i < cv->via.array.size; i++) {
		cleanup_close int src = -1;
		cleanup_close int vfd = -1;
		const msgpack_object *o = &cv->via.array.ptr[i];

		if (!msgpack_str_copy(msgpack_map_get(o, "path"), path,
		    sizeof(path)) || !msgpack_str_copy(msgpack_map_get(o,
		    "volume"), vol, sizeof(vol)))
			return (berth_error_set(err, BERTH_E_INTERNAL, 0,
			    "volume-copy-up: bad arguments"));
		if ((vfd = open(vol, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC)) < 0) {
			rc = berth_error_sys(err, "copy-up: open %s", vol);
			break;
		}
		/* Nothing there in the image (or not a directory):
		 * nothing to copy, as Docker. */
		if ((src = open_in_root(rootfd, path)) < 0)
			continue;
		rc = volume_copy_staged(src, vfd, err);
		if (rc < 0)
			berth_error_wrap(err, "copy %s", path);
	}
	if (rc < 0)
		return (-1);
	msgpack_pack_map(pk, 0);
	return (0);
}
