/*
 * What a container runs: Docker's defaults (spec_init_default), the
 * image's config, then what Create asked, into an rt_spec for the
 * spawner.  The rules are Docker's: --entrypoint clears the image's Cmd
 * unless a command is given; env adds to and overrides the image's by
 * name; HOSTNAME and a default PATH are set when missing.
 */
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "db.h"
#include "json-util.h"
#include "seccomp.h"
#include "snapshot.h"
#include "spec.h"
#include "strv.h"
#include "volume.h"

#define DEFAULT_PATH \
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
/* Where --init's init appears: on /dev's tmpfs, as Docker puts it. */
#define INIT_TARGET	"/dev/init"

static int
bad(struct berth_error *err, const char *field, const char *fmt,
    const char *detail)
{
	berth_error_set(err, CTR_E_CONFIG, 0, fmt, detail);
	return (berth_error_param_str(err, "field", field));
}

json_t *
container_setting(struct container *c, const char *key, const char *image_key)
{
	json_t *v = json_object_get(c->config, key);

	if (v != NULL && !json_is_null(v))
		return (v);
	return (image_key != NULL ? json_object_get(c->image_config,
	    image_key) : NULL);
}

static json_t *
host_setting(struct container *c, const char *key)
{
	json_t *v = json_object_get(json_object_get(c->config, "host"), key);

	return (json_is_null(v) ? NULL : v);
}

/* A NULL-terminated copy of the strings of one or two JSON arrays. */
static char **
strv_of(json_t *a, json_t *b)
{
	size_t n = json_array_size(a) + json_array_size(b), i, k = 0;
	char **v = calloc(n + 1, sizeof(*v));
	json_t *x;

	if (v == NULL)
		return (NULL);
	json_array_foreach(a, i, x)
		if ((v[k++] = strdup(json_string_value(x) != NULL ?
		    json_string_value(x) : "")) == NULL)
			goto fail;
	json_array_foreach(b, i, x)
		if ((v[k++] = strdup(json_string_value(x) != NULL ?
		    json_string_value(x) : "")) == NULL)
			goto fail;
	return (v);
fail:
	db_strv_free(v, k);
	return (NULL);
}

/* The command: Docker's entrypoint and cmd rules. */
static int
set_args(struct container *c, struct rt_spec *spec, struct berth_error *err)
{
	json_t *cfg_ep = json_object_get(c->config, "entrypoint");
	json_t *cfg_cmd = json_object_get(c->config, "cmd");
	bool ep_given = cfg_ep != NULL && !json_is_null(cfg_ep);
	bool cmd_given = cfg_cmd != NULL && !json_is_null(cfg_cmd);
	json_t *ep, *cmd;

	ep = ep_given ? cfg_ep : json_object_get(c->image_config,
	    "Entrypoint");
	/* --entrypoint drops the image's Cmd. */
	cmd = cmd_given ? cfg_cmd : ep_given ? NULL :
	    json_object_get(c->image_config, "Cmd");
	if (json_array_size(ep) + json_array_size(cmd) == 0)
		return (bad(err, "cmd", "%s", "no command specified"));
	strv_free(spec->process.args);
	if ((spec->process.args = strv_of(ep, cmd)) == NULL)
		return (berth_error_sys(err, "command"));
	return (0);
}

/* The index of kv's name in v[0..n), or -1. */
static ssize_t
env_find(char **v, size_t n, const char *kv)
{
	size_t len = strcspn(kv, "="), i;

	for (i = 0; i < n; i++)
		if (strncmp(v[i], kv, len) == 0 && v[i][len] == '=')
			return ((ssize_t)i);
	return (-1);
}

/* Docker's order: the image's env, each name the config sets replaced in
 * place, the config's new names after; then PATH, HOSTNAME (and TERM with
 * a terminal) when missing. */
static int
set_env(struct container *c, struct rt_spec *spec, const char *hostname,
    struct berth_error *err)
{
	json_t *img = json_object_get(c->image_config, "Env");
	json_t *mine = json_object_get(c->config, "env");
	size_t max = json_array_size(img) + json_array_size(mine) + 3, n = 0;
	size_t i;
	ssize_t at;
	char **v = calloc(max + 1, sizeof(*v)), *dup;
	const char *s;
	json_t *x;

	if (v == NULL)
		return (berth_error_sys(err, "env"));
	json_array_foreach(img, i, x) {
		s = json_string_value(x);
		if (s != NULL && strchr(s, '=') != NULL &&
		    (v[n++] = strdup(s)) == NULL)
			goto oom;
	}
	json_array_foreach(mine, i, x) {
		s = json_string_value(x);
		if (s == NULL || strchr(s, '=') == NULL)
			continue;
		if ((dup = strdup(s)) == NULL)
			goto oom;
		if ((at = env_find(v, n, s)) >= 0) {
			free(v[at]);
			v[at] = dup;
		} else
			v[n++] = dup;
	}
	if (env_find(v, n, "PATH=") < 0 && (v[n++] = strdup(DEFAULT_PATH)) ==
	    NULL)
		goto oom;
	if (env_find(v, n, "HOSTNAME=") < 0 && asprintf(&v[n++],
	    "HOSTNAME=%s", hostname) < 0) {
		v[--n] = NULL;
		goto oom;
	}
	if (json_is_true(json_object_get(c->config, "tty")) &&
	    env_find(v, n, "TERM=") < 0 && (v[n++] = strdup("TERM=xterm")) ==
	    NULL)
		goto oom;
	strv_free(spec->process.env);
	spec->process.env = v;
	return (0);
oom:
	db_strv_free(v, n);
	return (berth_error_sys(err, "env"));
}

static int
set_caps(struct container *c, struct rt_spec *spec, struct berth_error *err)
{
	json_t *add = host_setting(c, "cap_add"), *drop = host_setting(c,
	    "cap_drop"), *x;
	uint64_t caps = spec->process.caps.bounding;
	size_t i;
	int cap;

	json_array_foreach(add, i, x) {
		const char *n = json_string_value(x);

		if (n != NULL && strcasecmp(n, "ALL") == 0) {
			caps = caps_all() & caps_bounding_self();
			continue;
		}
		if (n == NULL || (cap = caps_from_name(n)) < 0)
			return (bad(err, "cap_add", "unknown capability: %s",
			    n != NULL ? n : "?"));
		caps |= 1ULL << cap;
	}
	json_array_foreach(drop, i, x) {
		const char *n = json_string_value(x);

		if (n != NULL && strcasecmp(n, "ALL") == 0) {
			caps = 0;
			continue;
		}
		if (n == NULL || (cap = caps_from_name(n)) < 0)
			return (bad(err, "cap_drop", "unknown capability: %s",
			    n != NULL ? n : "?"));
		caps &= ~(1ULL << cap);
	}
	spec->process.caps.bounding = caps;
	spec->process.caps.effective = caps;
	spec->process.caps.permitted = caps;
	return (0);
}

int
spec_add_mount(struct rt_spec *spec, const char *dst, const char *type,
    const char *src, const char *const *opts, size_t nopts,
    struct berth_error *err)
{
	struct rt_mount *m, *grown;

	grown = reallocarray(spec->mounts, spec->nmounts + 1, sizeof(*grown));
	if (grown == NULL)
		return (berth_error_sys(err, "mount %s", dst));
	spec->mounts = grown;
	m = &spec->mounts[spec->nmounts];
	memset(m, 0, sizeof(*m));
	if ((m->destination = strdup(dst)) == NULL ||
	    (m->type = strdup(type)) == NULL ||
	    (m->source = strdup(src)) == NULL) {
		free(m->destination);
		free(m->type);
		return (berth_error_sys(err, "mount %s", dst));
	}
	spec->nmounts++;
	return (mount_options_parse(m, opts, nopts, err));
}

static const struct {
	const char	*name;
	int		 res;
} rlimit_names[] = {
	{ "core", RLIMIT_CORE }, { "cpu", RLIMIT_CPU },
	{ "data", RLIMIT_DATA }, { "fsize", RLIMIT_FSIZE },
	{ "locks", RLIMIT_LOCKS }, { "memlock", RLIMIT_MEMLOCK },
	{ "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
	{ "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC },
	{ "rss", RLIMIT_RSS }, { "rtprio", RLIMIT_RTPRIO },
	{ "rttime", RLIMIT_RTTIME }, { "sigpending", RLIMIT_SIGPENDING },
	{ "stack", RLIMIT_STACK },
};

static int
set_rlimits(struct container *c, struct rt_spec *spec,
    struct berth_error *err)
{
	json_t *ul = host_setting(c, "ulimits"), *x;
	struct rt_rlimit *v;
	size_t i, k;

	if (json_array_size(ul) == 0)
		return (0);
	if ((v = calloc(json_array_size(ul), sizeof(*v))) == NULL)
		return (berth_error_sys(err, "ulimits"));
	json_array_foreach(ul, i, x) {
		const char *n = json_string_value(json_object_get(x, "name"));

		for (k = 0; k < sizeof(rlimit_names) / sizeof(rlimit_names[0]);
		    k++)
			if (n != NULL && strcmp(n, rlimit_names[k].name) == 0)
				break;
		if (k == sizeof(rlimit_names) / sizeof(rlimit_names[0])) {
			free(v);
			return (bad(err, "ulimits", "unknown ulimit: %s",
			    n != NULL ? n : "?"));
		}
		v[i].resource = rlimit_names[k].res;
		v[i].soft = (uint64_t)json_integer_value(json_object_get(x,
		    "soft"));
		v[i].hard = (uint64_t)json_integer_value(json_object_get(x,
		    "hard"));
		if (v[i].soft > v[i].hard) {
			free(v);
			return (bad(err, "ulimits", "ulimit %s: soft above "
			    "hard", n));
		}
	}
	free(spec->process.rlimits);
	spec->process.rlimits = v;
	spec->process.nrlimits = json_array_size(ul);
	return (0);
}

static int
set_resources(struct container *c, struct rt_spec *spec,
    struct berth_error *err)
{
	struct rt_resources *r = &spec->resources;
	json_t *v;

	if ((v = host_setting(c, "memory")) != NULL)
		r->memory_limit = json_integer_value(v);
	if ((v = host_setting(c, "memory_swap")) != NULL)
		r->memory_swap = json_integer_value(v);
	if ((v = host_setting(c, "nano_cpus")) != NULL &&
	    json_integer_value(v) > 0) {
		r->cpu_period = 100000;
		r->cpu_quota = json_integer_value(v) / 10000;
	}
	if ((v = host_setting(c, "cpu_shares")) != NULL &&
	    json_integer_value(v) > 0)
		r->cpu_shares = (uint64_t)json_integer_value(v);
	if ((v = host_setting(c, "cpuset_cpus")) != NULL &&
	    json_string_length(v) > 0 &&
	    (r->cpuset_cpus = strdup(json_string_value(v))) == NULL)
		return (berth_error_sys(err, "cpuset"));
	if ((v = host_setting(c, "pids_limit")) != NULL &&
	    json_integer_value(v) > 0)
		r->pids_limit = json_integer_value(v);
	if (r->memory_limit == 0 || r->memory_limit < -1)
		return (bad(err, "memory", "%s", "invalid memory limit"));
	return (0);
}

/*
 * --init: berthd's init (--init-path) bound read-only on /dev/init and run
 * as pid 1 with the command after "--", as Docker's docker-init.  /dev is
 * a tmpfs of the container's own, so the image's root is not touched and
 * --read-only still works.  Last of the mounts: a bind on /dev would hide
 * it.  Inspect and ps still show the command alone (set_args).
 */
static int
set_init(struct container *c, struct rt_spec *spec, struct berth_error *err)
{
	static const char *const opts[] = { "bind", "ro", "nosuid", "nodev" };
	const char *path = c->d->cfg.init_path;
	struct stat st;
	char **args;
	size_t n;
	int e;

	if (!json_is_true(host_setting(c, "init")))
		return (0);
	if (path == NULL)
		return (bad(err, "init", "%s", "--init: berthd has no init "
		    "(berthd --init-path)"));
	/* What execve would say: a directory is EACCES too. */
	e = stat(path, &st) < 0 ? errno : !S_ISREG(st.st_mode) ? EACCES :
	    access(path, X_OK) < 0 ? errno : 0;
	if (e != 0) {
		berth_error_set(err, CTR_E_CONFIG, e, "--init: cannot run "
		    "berthd's init %s (berthd --init-path)", path);
		berth_error_param_str(err, "path", path);
		return (berth_error_param_str(err, "field", "init"));
	}
	if (spec_add_mount(spec, INIT_TARGET, "bind", path, opts,
	    sizeof(opts) / sizeof(opts[0]), err) < 0)
		return (-1);
	for (n = 0; spec->process.args[n] != NULL; n++)
		;
	if ((args = calloc(n + 3, sizeof(*args))) == NULL ||
	    (args[0] = strdup(INIT_TARGET)) == NULL ||
	    (args[1] = strdup("--")) == NULL) {
		if (args != NULL)
			free(args[0]);
		free(args);
		return (berth_error_sys(err, "init"));
	}
	memcpy(args + 2, spec->process.args, n * sizeof(*args));
	free(spec->process.args);
	spec->process.args = args;
	return (0);
}

int
container_spec(struct container *c, const struct snapshot *snap,
    struct rt_spec *spec, struct berth_error *err)
{
	json_t *v;
	const char *hostname;
	char shortid[13], hostbuf[HOST_NAME_MAX + 1] = "";

	memcpy(shortid, c->id, 12);
	shortid[12] = '\0';
	free(spec->id);
	if ((spec->id = strdup(c->id)) == NULL ||
	    snapshot_fill_spec(snap, spec, err) < 0)
		return (berth_error_isset(err) ? -1 :
		    berth_error_sys(err, "spec"));
	spec->root_readonly = json_is_true(host_setting(c, "read_only"));
	v = json_object_get(c->config, "hostname");
	hostname = json_string_length(v) > 0 ? json_string_value(v) : shortid;
	/* With the host's network, the host's name (Docker's). */
	if (json_string_length(v) == 0 && json_is_string(host_setting(c,
	    "network_mode")) && strcmp(json_string_value(host_setting(c,
	    "network_mode")), "host") == 0 && gethostname(hostbuf,
	    sizeof(hostbuf)) == 0)
		hostname = hostbuf;
	free(spec->hostname);
	if ((spec->hostname = strdup(hostname)) == NULL)
		return (berth_error_sys(err, "hostname"));
	if (set_args(c, spec, err) < 0 ||
	    set_env(c, spec, hostname, err) < 0)
		return (-1);
	v = container_setting(c, "working_dir", "WorkingDir");
	free(spec->process.cwd);
	if ((spec->process.cwd = strdup(json_string_length(v) > 0 ?
	    json_string_value(v) : "/")) == NULL)
		return (berth_error_sys(err, "cwd"));
	if (spec->process.cwd[0] != '/')
		return (bad(err, "working_dir", "the working directory %s is "
		    "not absolute", spec->process.cwd));
	v = container_setting(c, "user", "User");
	free(spec->process.user);
	spec->process.user = NULL;
	if (json_string_length(v) > 0 &&
	    (spec->process.user = strdup(json_string_value(v))) == NULL)
		return (berth_error_sys(err, "user"));
	spec->process.terminal = false;
	spec->process.no_new_privileges = json_is_true(host_setting(c,
	    "no_new_privileges"));
	v = host_setting(c, "network_mode");
	if (v != NULL && strcmp(json_string_value(v), "host") == 0)
		spec->namespaces[RT_NS_NET].enabled = false;
	free(spec->cgroup_path);
	if (asprintf(&spec->cgroup_path, "%s/%s", c->d->cfg.cgroup_parent,
	    c->id) < 0) {
		spec->cgroup_path = NULL;
		return (berth_error_sys(err, "cgroup path"));
	}
	if (set_caps(c, spec, err) < 0 ||
	    container_mounts_spec(c, spec, err) < 0 ||
	    set_rlimits(c, spec, err) < 0 || set_resources(c, spec, err) < 0 ||
	    set_init(c, spec, err) < 0)
		return (-1);
	if (json_is_true(host_setting(c, "seccomp_unconfined"))) {
		seccomp_profile_free(spec->seccomp);
		spec->seccomp = NULL;
	} else if (json_is_string(v = host_setting(c, "seccomp_profile"))) {
		struct seccomp_profile *prof;

		if (seccomp_profile_from_json(json_string_value(v), &prof,
		    err) < 0) {
			char msg[512];

			snprintf(msg, sizeof(msg), "%s",
			    berth_error_message(err));
			berth_error_clear(err);
			return (bad(err, "seccomp_profile", "seccomp profile: "
			    "%s", msg));
		}
		seccomp_profile_free(spec->seccomp);
		spec->seccomp = prof;
	}
	if (json_is_true(host_setting(c, "privileged")))
		spec->privileged = true;
	return (0);
}

/* "sh -c 'echo hi'": the command as ps shows it. */
char *
container_command(struct container *c)
{
	struct rt_spec tmp;
	struct berth_error err = BERTH_ERROR_INIT;
	char *out = NULL, *next;
	size_t i;

	memset(&tmp, 0, sizeof(tmp));
	if (set_args(c, &tmp, &err) < 0) {
		berth_error_clear(&err);
		return (strdup(""));
	}
	for (i = 0; tmp.process.args[i] != NULL; i++) {
		if (asprintf(&next, "%s%s%s", out != NULL ? out : "",
		    i > 0 ? " " : "", tmp.process.args[i]) < 0) {
			next = NULL;
			break;
		}
		free(out);
		out = next;
	}
	strv_free(tmp.process.args);
	return (out != NULL ? out : strdup(""));
}
