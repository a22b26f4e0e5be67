/*
 * berth create and berth run: Docker's options turned into
 * io.berth.Container.Create's config; run then starts the container,
 * detached (-d: its id) or attached (its output, its exit code).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "image.h"
#include "publish.h"

/* The largest seccomp profile file taken (Docker's default is 20 KiB). */
#define SECCOMP_PROFILE_MAX	(1 << 20)

#define CREATE_FLAGS \
	{ "add-host", 0, "NAME:IP", "Add a custom host-to-IP mapping " \
	    "(NAME:IP or NAME=IP; IP host-gateway: the host)" }, \
	{ "cap-add", 0, "CAP", "Add Linux capabilities" }, \
	{ "cap-drop", 0, "CAP", "Drop Linux capabilities" }, \
	{ "cpu-shares", 'c', "N", "CPU shares (relative weight)" }, \
	{ "cpus", 0, "DECIMAL", "Number of CPUs" }, \
	{ "cpuset-cpus", 0, "CPUS", "CPUs in which to allow execution " \
	    "(0-3, 0,1)" }, \
	{ "dns", 0, "IP", "Set custom DNS servers" }, \
	{ "dns-search", 0, "DOMAIN", "Set custom DNS search domains" }, \
	{ "entrypoint", 0, "STRING", "Overwrite the default ENTRYPOINT of " \
	    "the image" }, \
	{ "env", 'e', "KEY=VALUE", "Set environment variables (KEY alone: " \
	    "its value here)" }, \
	{ "env-file", 0, "FILE", "Read in a file of environment variables" }, \
	{ "expose", 0, "PORT[/PROTO]", "Expose a port or a range of ports " \
	    "(80, 8000-8010/udp)" }, \
	{ "hostname", 'h', "NAME", "Container host name" }, \
	{ "init", 0, NULL, "Run an init inside the container that forwards " \
	    "signals and reaps processes" }, \
	{ "interactive", 'i', NULL, "Keep STDIN open even if not attached" }, \
	{ "ip", 0, "IPV4", "IPv4 address on a user-defined network " \
	    "(172.30.100.104)" }, \
	{ "label", 'l', "KEY=VALUE", "Set meta data on a container" }, \
	{ "label-file", 0, "FILE", "Read in a line delimited file of labels" }, \
	{ "memory", 'm', "BYTES", "Memory limit (512m, 1g)" }, \
	{ "memory-swap", 0, "BYTES", "Swap limit equal to memory plus swap: " \
	    "'-1' to enable unlimited swap" }, \
	{ "mount", 0, "type=bind|volume|tmpfs,...", "Attach a filesystem " \
	    "mount to the container (source, target, readonly, " \
	    "bind-propagation, volume-nocopy, tmpfs-size, tmpfs-mode)" }, \
	{ "name", 0, "NAME", "Assign a name to the container" }, \
	{ "network", 0, "NETWORK", "Connect a container to a network " \
	    "(bridge, none, host, container:NAME|ID, or a network's name)" }, \
	{ "network-alias", 0, "ALIAS", "Add a network-scoped alias for the " \
	    "container (user-defined networks)" }, \
	{ "pids-limit", 0, "N", "Tune container pids limit (-1 for " \
	    "unlimited)" }, \
	{ "privileged", 0, NULL, "Give extended privileges to this " \
	    "container" }, \
	{ "publish", 'p', "PORTS", "Publish a container's port(s) to the " \
	    "host: [IP:][HOSTPORT:]PORT[/PROTO], ports may be ranges" }, \
	{ "publish-all", 'P', NULL, "Publish all exposed ports to random " \
	    "ports" }, \
	{ "read-only", 0, NULL, "Mount the container's root filesystem as " \
	    "read only" }, \
	{ "restart", 0, "POLICY", "Restart policy to apply when a container " \
	    "exits (no, on-failure[:max-retries], always, unless-stopped)" }, \
	{ "rm", 0, NULL, "Automatically remove the container when it exits" }, \
	{ "security-opt", 0, "OPT", "Security options " \
	    "(no-new-privileges[:true], seccomp=unconfined|PROFILE.json)" }, \
	{ "stop-signal", 0, "SIGNAL", "Signal to stop the container" }, \
	{ "stop-timeout", 0, "SECONDS", "Timeout (in seconds) to stop a " \
	    "container" }, \
	{ "tmpfs", 0, "PATH[:OPTS]", "Mount a tmpfs directory" }, \
	{ "tty", 't', NULL, "Allocate a pseudo-TTY" }, \
	{ "ulimit", 0, "NAME=SOFT[:HARD]", "Ulimit options" }, \
	{ "user", 'u', "USER", "Username or UID (format: " \
	    "<name|uid>[:<group|gid>])" }, \
	{ "volume", 'v', "[SRC:]CONTAINER[:OPTS]", "Bind mount a volume " \
	    "(a host path, a volume's name, or none: an anonymous volume)" }, \
	{ "volumes-from", 0, "CONTAINER[:ro|rw]", "Mount volumes from the " \
	    "specified container(s)" }, \
	{ "workdir", 'w', "DIR", "Working directory inside the container" }

static const struct args_flag cmd_create_flags[] = {
	CREATE_FLAGS,
	{ NULL, 0, NULL, NULL }
};

static const struct args_flag cmd_run_flags[] = {
	{ "detach", 'd', NULL, "Run container in background and print "
	    "container ID" },
	{ "detach-keys", 0, "STRING", "Override the key sequence for "
	    "detaching a container" },
	{ "sig-proxy", 0, "BOOL", "Proxy received signals to the process "
	    "(default true; never with -t)" },
	CREATE_FLAGS,
	{ NULL, 0, NULL, NULL }
};

static int cmd_create_exec(struct cmd_ctx *, const struct args *);
static int cmd_run_exec(struct cmd_ctx *, const struct args *);

const struct cmd_entry cmd_create_entry = {
	.name = "create",
	.usage = "IMAGE [COMMAND] [ARG...]",
	.summary = "Create a new container",
	.flags = cmd_create_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_create_exec,
	.stop_at_positional = true,
};

const struct cmd_entry cmd_container_create_entry =
    CMD_SAME_AS("container create", cmd_create_entry, NULL);

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.usage = "IMAGE [COMMAND] [ARG...]",
	.summary = "Create and run a new container from an image",
	.flags = cmd_run_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_run_exec,
	.stop_at_positional = true,
};

const struct cmd_entry cmd_container_run_entry =
    CMD_SAME_AS("container run", cmd_run_entry, NULL);

static int
set_str(json_t *o, const char *key, const char *value)
{
	return (value == NULL ? 0 : json_object_set_new(o, key,
	    json_string(value)));
}

/* "KEY=VALUE" kept; "KEY" from the environment when set there. */
static int
add_env(json_t *env, const char *v, char *(*get_env)(const char *))
{
	cleanup_free char *kv = NULL;
	const char *val;

	if (strchr(v, '=') != NULL)
		return (json_array_append_new(env, json_string(v)));
	if ((val = get_env(v)) == NULL)
		return (0);
	if (asprintf(&kv, "%s=%s", v, val) < 0)
		return (-1);
	return (json_array_append_new(env, json_string(kv)));
}

/* Docker's ParseEnvFile: "KEY=VALUE" lines, "KEY" lines, # comments. */
static int
read_kv_file(const char *path, const char *what, json_t *out, bool env,
    char *(*get_env)(const char *), struct berth_error *err)
{
	cleanup_fclose FILE *f = fopen(path, "r");
	cleanup_free char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	char *p, *eq, *q;
	int lineno = 0;

	if (f == NULL)
		return (berth_error_set(err, CLI_E_USAGE, errno, "open %s",
		    path));
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		p = line;
		if (lineno == 1 && strncmp(p, "\xef\xbb\xbf", 3) == 0)
			p += 3;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		if ((eq = strchr(p, '=')) != NULL) {
			for (q = p; q < eq; q++)
				if (isspace((unsigned char)*q))
					return (berth_error_set(err,
					    CLI_E_USAGE, 0, "%s '%.*s' in %s "
					    "contains whitespaces", what,
					    (int)(eq - p), p, path));
			if (json_array_append_new(out, json_string(p)) < 0)
				return (berth_error_sys(err, "read %s", path));
			continue;
		}
		q = p + strlen(p);
		while (q > p && isspace((unsigned char)q[-1]))
			*--q = '\0';
		if ((env ? add_env(out, p, get_env) :
		    json_array_append_new(out, json_string(p))) < 0)
			return (berth_error_sys(err, "read %s", path));
	}
	return (0);
}

static int
parse_int(const char *flag, const char *s, int64_t *out,
    struct berth_error *err)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0)
		return (berth_error_set(err, CLI_E_USAGE, 0, "invalid argument "
		    "\"%s\" for \"--%s\" flag: not an integer", s, flag));
	return (0);
}

/* seccomp=FILE: the profile (Docker's JSON format) goes to berthd as
 * text, which checks it at create, as Docker's CLI sends it. */
static int
seccomp_file(json_t *host, const char *path, struct berth_error *err)
{
	cleanup_fclose FILE *f = fopen(path, "re");
	char *text;
	size_t n;

	if (f == NULL)
		return (berth_error_set(err, CLI_E_USAGE, errno, "opening "
		    "seccomp profile (%s) failed", path));
	if ((text = malloc(SECCOMP_PROFILE_MAX + 1)) == NULL)
		return (berth_error_sys(err, "seccomp profile"));
	n = fread(text, 1, SECCOMP_PROFILE_MAX + 1, f);
	if (ferror(f) || n > SECCOMP_PROFILE_MAX) {
		free(text);
		return (berth_error_set(err, CLI_E_USAGE, 0, "seccomp profile "
		    "(%s): unreadable, or larger than %d bytes", path,
		    SECCOMP_PROFILE_MAX));
	}
	text[n] = '\0';
	json_object_set_new(host, "seccomp_profile", json_string(text));
	free(text);
	if (json_object_get(host, "seccomp_profile") == NULL)
		return (berth_error_set(err, CLI_E_USAGE, 0, "seccomp profile "
		    "(%s): not UTF-8 text", path));
	return (0);
}

static int
security_opt(json_t *host, const char *opt, struct berth_error *err)
{
	const char *v;

	if (strncmp(opt, "no-new-privileges", 17) == 0) {
		v = opt + 17;
		if (*v == '\0' || strcmp(v, ":true") == 0 ||
		    strcmp(v, "=true") == 0)
			return (json_object_set_new(host, "no_new_privileges",
			    json_true()));
		if (strcmp(v, ":false") == 0 || strcmp(v, "=false") == 0)
			return (json_object_set_new(host, "no_new_privileges",
			    json_false()));
	} else if (strncmp(opt, "seccomp", 7) == 0 && (opt[7] == '=' ||
	    opt[7] == ':')) {
		if (strcmp(opt + 8, "unconfined") == 0)
			return (json_object_set_new(host,
			    "seccomp_unconfined", json_true()));
		return (seccomp_file(host, opt + 8, err));
	} else if (strncmp(opt, "apparmor", 8) == 0 || strncmp(opt, "label",
	    5) == 0 || strncmp(opt, "systempaths", 11) == 0)
		return (berth_error_set(err, CLI_E_USAGE, 0, "--security-opt "
		    "%s is not supported yet", opt));
	return (berth_error_set(err, CLI_E_USAGE, 0, "invalid --security-opt: "
	    "\"%s\"", opt));
}

/* --restart NAME[:MAX], as Docker's ParseRestartPolicy; the daemon
 * checks the name and where MAX may go. */
static json_t *
restart_policy(const char *s, bool rm, struct berth_error *err)
{
	const char *colon = strchr(s, ':');
	char *end;
	long max = 0;

	if (colon != NULL) {
		errno = 0;
		max = strtol(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || errno != 0 ||
		    max < 0 || max > INT32_MAX) {
			berth_error_set(err, CLI_E_USAGE, 0, "invalid restart "
			    "policy format: maximum retry count must be an "
			    "integer");
			return (NULL);
		}
	}
	if (rm && strncmp(s, "no", colon != NULL ? (size_t)(colon - s) :
	    strlen(s) + 1) != 0) {
		berth_error_set(err, CLI_E_USAGE, 0, "conflicting options: "
		    "cannot specify both --restart and --rm");
		return (NULL);
	}
	return (json_pack("{s:s%, s:i}", "name", s, colon != NULL ?
	    (size_t)(colon - s) : strlen(s), "maximum_retry_count",
	    (int)max));
}

/* The HostConfig; an empty object when nothing was set. */
static json_t *
host_config(const struct args *a, struct berth_error *err)
{
	cleanup_json json_t *h = json_object();
	json_t *rp;
	const char *const *v;
	const char *s;
	int64_t n;
	double cpus;
	char *end;
	int i, nv;

	if (h == NULL)
		goto oom;
	if (args_has(a, "rm"))
		json_object_set_new(h, "auto_remove", json_true());
	if ((s = args_get(a, "restart")) != NULL && *s != '\0') {
		if ((rp = restart_policy(s, args_has(a, "rm"), err)) == NULL)
			return (NULL);
		json_object_set_new(h, "restart_policy", rp);
	}
	if ((s = args_get(a, "memory")) != NULL) {
		if (parse_ram_bytes(s, &n, err) < 0)
			return (NULL);
		json_object_set_new(h, "memory", json_integer(n));
	}
	if ((s = args_get(a, "memory-swap")) != NULL) {
		if (strcmp(s, "-1") == 0)
			n = -1;
		else if (parse_ram_bytes(s, &n, err) < 0)
			return (NULL);
		json_object_set_new(h, "memory_swap", json_integer(n));
	}
	if ((s = args_get(a, "cpus")) != NULL) {
		errno = 0;
		cpus = strtod(s, &end);
		if (end == s || *end != '\0' || errno != 0 || cpus < 0 ||
		    cpus > 1e6) {
			berth_error_set(err, CLI_E_USAGE, 0, "invalid argument "
			    "\"%s\" for \"--cpus\" flag: not a number", s);
			return (NULL);
		}
		json_object_set_new(h, "nano_cpus", json_integer(
		    (json_int_t)(cpus * 1e9 + 0.5)));
	}
	if ((s = args_get(a, "cpu-shares")) != NULL) {
		if (parse_int("cpu-shares", s, &n, err) < 0)
			return (NULL);
		json_object_set_new(h, "cpu_shares", json_integer(n));
	}
	if (set_str(h, "cpuset_cpus", args_get(a, "cpuset-cpus")) < 0)
		goto oom;
	if ((s = args_get(a, "pids-limit")) != NULL) {
		if (parse_int("pids-limit", s, &n, err) < 0)
			return (NULL);
		json_object_set_new(h, "pids_limit", json_integer(n));
	}
	if (args_has(a, "privileged"))
		json_object_set_new(h, "privileged", json_true());
	if (args_has(a, "read-only"))
		json_object_set_new(h, "read_only", json_true());
	if (args_has(a, "init"))
		json_object_set_new(h, "init", json_true());
	v = args_all(a, "cap-add", &nv);
	if (nv > 0)
		json_object_set_new(h, "cap_add", json_strings(v, nv));
	v = args_all(a, "cap-drop", &nv);
	if (nv > 0)
		json_object_set_new(h, "cap_drop", json_strings(v, nv));
	v = args_all(a, "security-opt", &nv);
	for (i = 0; i < nv; i++)
		if (security_opt(h, v[i], err) < 0)
			return (NULL);
	v = args_all(a, "ulimit", &nv);
	if (nv > 0) {
		json_t *ul = json_array(), *u;

		json_object_set_new(h, "ulimits", ul);
		for (i = 0; i < nv; i++) {
			if ((u = parse_ulimit(v[i], err)) == NULL)
				return (NULL);
			json_array_append_new(ul, u);
		}
	}
	v = args_all(a, "tmpfs", &nv);
	if (nv > 0) {
		json_t *t = json_object();
		const char *colon;
		cleanup_free char *path = NULL;

		json_object_set_new(h, "tmpfs", t);
		for (i = 0; i < nv; i++) {
			colon = strchr(v[i], ':');
			free(path);
			path = colon != NULL ? strndup(v[i],
			    (size_t)(colon - v[i])) : strdup(v[i]);
			if (path == NULL)
				goto oom;
			if (path[0] != '/') {
				berth_error_set(err, CLI_E_USAGE, 0, "invalid "
				    "--tmpfs %s: the path must be absolute",
				    v[i]);
				return (NULL);
			}
			json_object_set_new(t, path, json_string(colon !=
			    NULL ? colon + 1 : ""));
		}
	}
	v = args_all(a, "volume", &nv);
	if (nv > 0) {
		json_t *b = json_array();
		char *bind;

		json_object_set_new(h, "binds", b);
		for (i = 0; i < nv; i++) {
			if ((bind = parse_bind(v[i], err)) == NULL)
				return (NULL);
			json_array_append_new(b, json_string(bind));
			free(bind);
		}
	}
	v = args_all(a, "mount", &nv);
	if (nv > 0) {
		json_t *m = json_array();

		json_object_set_new(h, "mounts", m);
		for (i = 0; i < nv; i++)
			if (parse_mount(v[i], m, err) < 0)
				return (NULL);
	}
	v = args_all(a, "volumes-from", &nv);
	if (nv > 0) {
		json_t *f = json_array();

		json_object_set_new(h, "volumes_from", f);
		for (i = 0; i < nv; i++)
			json_array_append_new(f, json_string(v[i]));
	}
	return (steal_pointer(&h));
oom:
	berth_error_sys(err, "create");
	return (NULL);
}

json_t *
container_env(const struct args *a, char *(*get_env)(const char *),
    struct berth_error *err)
{
	cleanup_json json_t *env = json_array();
	const char *const *v;
	int i, nv;

	if (env == NULL)
		return (NULL);
	v = args_all(a, "env-file", &nv);
	for (i = 0; i < nv; i++)
		if (read_kv_file(v[i], "variable", env, true, get_env,
		    err) < 0)
			return (NULL);
	v = args_all(a, "env", &nv);
	for (i = 0; i < nv; i++)
		if (add_env(env, v[i], get_env) < 0) {
			berth_error_sys(err, "env");
			return (NULL);
		}
	return (json_incref(env));
}

json_t *
container_create_params(const struct args *a,
    char *(*get_env)(const char *), struct berth_error *err)
{
	cleanup_json json_t *p = json_object(), *cfg = json_object(),
	    *env = NULL, *labels = json_object(), *lines = NULL;
	json_t *host, *l;
	const char *const *v;
	const char *s, *eq;
	int i, nv;
	size_t k;
	int64_t n;

	if (p == NULL || cfg == NULL || labels == NULL)
		goto oom;
	if (a->argc < 1) {
		berth_error_set(err, CLI_E_USAGE, 0, "requires at least 1 "
		    "argument.");
		return (NULL);
	}
	if (set_str(p, "name", args_get(a, "name")) < 0 ||
	    set_str(cfg, "image", a->argv[0]) < 0)
		goto oom;
	if (a->argc > 1)
		json_object_set_new(cfg, "cmd", json_strings(
		    (const char *const *)a->argv + 1, a->argc - 1));
	if ((s = args_get(a, "entrypoint")) != NULL) {
		json_object_set_new(cfg, "entrypoint", *s == '\0' ?
		    json_array() : json_pack("[s]", s));
		if (a->argc == 1)
			json_object_set_new(cfg, "cmd", json_array());
	}
	if ((env = container_env(a, get_env, err)) == NULL)
		return (NULL);
	if (json_array_size(env) > 0)
		json_object_set(cfg, "env", env);
	if ((lines = json_array()) == NULL)
		goto oom;
	v = args_all(a, "label-file", &nv);
	for (i = 0; i < nv; i++)
		if (read_kv_file(v[i], "label", lines, false, NULL, err) < 0)
			return (NULL);
	v = args_all(a, "label", &nv);
	for (i = 0; i < nv; i++)
		json_array_append_new(lines, json_string(v[i]));
	json_array_foreach(lines, k, l) {
		cleanup_free char *key = NULL;

		s = json_string_value(l);
		eq = strchr(s, '=');
		key = eq != NULL ? strndup(s, (size_t)(eq - s)) : strdup(s);
		if (key == NULL)
			goto oom;
		if (*key == '\0') {
			berth_error_set(err, CLI_E_USAGE, 0, "invalid label "
			    "'%s': empty name", s);
			return (NULL);
		}
		json_object_set_new(labels, key, json_string(eq != NULL ?
		    eq + 1 : ""));
	}
	if (json_object_size(labels) > 0)
		json_object_set(cfg, "labels", labels);
	if (set_str(cfg, "working_dir", args_get(a, "workdir")) < 0 ||
	    set_str(cfg, "user", args_get(a, "user")) < 0 ||
	    set_str(cfg, "hostname", args_get(a, "hostname")) < 0)
		goto oom;
	if ((s = args_get(a, "stop-signal")) != NULL) {
		if (!signal_valid(s)) {
			berth_error_set(err, CLI_E_USAGE, 0, "invalid signal: "
			    "%s", s);
			return (NULL);
		}
		json_object_set_new(cfg, "stop_signal", json_string(s));
	}
	if ((s = args_get(a, "stop-timeout")) != NULL) {
		if (parse_int("stop-timeout", s, &n, err) < 0)
			return (NULL);
		json_object_set_new(cfg, "stop_timeout", json_integer(n));
	}
	if (args_has(a, "tty"))
		json_object_set_new(cfg, "tty", json_true());
	if (args_has(a, "interactive"))
		json_object_set_new(cfg, "open_stdin", json_true());
	if ((host = host_config(a, err)) == NULL)
		return (NULL);
	/* -p, --network and the like: publish.c. */
	if (publish_network_options(a, cfg, host, err) < 0) {
		json_decref(host);
		return (NULL);
	}
	if (json_object_size(host) > 0)
		json_object_set_new(cfg, "host", host);
	else
		json_decref(host);
	json_object_set(p, "config", cfg);
	return (steal_pointer(&p));
oom:
	berth_error_sys(err, "create");
	return (NULL);
}

static char *
client_getenv(const char *name)
{
	return (getenv(name));
}

/* Create; the new id (to free), or NULL after printing why. */
static char *
create(struct cmd_ctx *ctx, const struct args *a, struct berth_client **c,
    int *rc)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_json json_t *p = NULL;
	const msgpack_object *w;
	char *id;
	uint32_t i;

	*rc = CLI_EXIT_ENGINE;
	if ((p = container_create_params(a, client_getenv, &err)) == NULL) {
		if (berth_error_is(&err, CLI_E_USAGE))
			cli_usage_error(ctx, ctx->entry, "%s",
			    berth_error_message(&err));
		else
			cli_fail(ctx, &err);
		return (NULL);
	}
	if (publish_discarded(a))
		fprintf(ctx->err, "WARNING: %s\n", PUBLISH_DISCARDED_WARNING);
	/* run -i in the foreground: the client's end of input closes
	 * the container's stdin (Docker's StdinOnce). */
	if (strcmp(ctx->entry->name, "run") == 0 && args_has(a,
	    "interactive") && !args_has(a, "detach"))
		json_object_set_new(json_object_get(p, "config"),
		    "stdin_once", json_true());
	if (cli_connect(ctx, c, &err) < 0) {
		cli_fail(ctx, &err);
		return (NULL);
	}
	if (container_call(*c, "io.berth.Container.Create", p, &reply,
	    &err) < 0) {
		cli_fail_reply(ctx, &reply, &err);
		return (NULL);
	}
	w = berth_map_get(reply.parameters, "warnings");
	if (w != NULL && w->type == MSGPACK_OBJECT_ARRAY)
		for (i = 0; i < w->via.array.size; i++)
			if (w->via.array.ptr[i].type == MSGPACK_OBJECT_STR)
				fprintf(ctx->err, "WARNING: %.*s\n",
				    (int)w->via.array.ptr[i].via.str.size,
				    w->via.array.ptr[i].via.str.ptr);
	if ((id = image_str(reply.parameters, "id")) == NULL) {
		fprintf(ctx->err, "Error: the daemon's reply has no id\n");
		return (NULL);
	}
	*rc = CLI_EXIT_OK;
	return (id);
}

static int
cmd_create_exec(struct cmd_ctx *ctx, const struct args *a)
{
	cleanup_client struct berth_client *c = NULL;
	cleanup_free char *id = NULL;
	int rc;

	id = create(ctx, a, &c, &rc);
	if (id != NULL) {
		fprintf(ctx->out, "%s\n", id);
		fflush(ctx->out);
	}
	return (rc);
}

static int
cmd_run_exec(struct cmd_ctx *ctx, const struct args *a)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_free char *id = NULL;
	cleanup_json json_t *sp = NULL;
	struct attach_opts ao;
	const char *proxy;
	bool detach, rm;
	int rc;

	detach = args_has(a, "detach");
	rm = args_has(a, "rm");
	memset(&ao, 0, sizeof(ao));
	ao.in = args_has(a, "interactive");
	ao.tty = args_has(a, "tty");
	ao.detach_keys = args_get(a, "detach-keys");
	proxy = args_get(a, "sig-proxy");
	ao.sig_proxy = !ao.tty && (proxy == NULL || strcmp(proxy, "true") ==
	    0 || strcmp(proxy, "1") == 0);
	if (!detach && ao.in && ao.tty && !isatty(fileno(ctx->in))) {
		fprintf(ctx->err, "the input device is not a TTY\n");
		return (CLI_EXIT_FAILURE);
	}
	id = create(ctx, a, &c, &rc);
	if (id == NULL)
		return (rc);
	if (!detach)
		return (container_attach_start(ctx, c, id, rm, &ao));
	if ((sp = container_params(id, NULL, NULL)) == NULL)
		return (CLI_EXIT_ENGINE);
	if (container_call(c, "io.berth.Container.Start", sp, &reply,
	    &err) < 0) {
		return (container_start_failed(ctx, id, rm, &reply, &err));
	}
	fprintf(ctx->out, "%s\n", id);
	fflush(ctx->out);
	return (CLI_EXIT_OK);
}
