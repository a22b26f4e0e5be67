/*
 * exec: another process in a running container, described by an OCI
 * process file (--process) or by the container's own process with the
 * command line's changes (ARGS, --tty, --cwd, --env, --user, --cap ...);
 * in the foreground it waits and exits with the process's code.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "cleanup.h"
#include "container.h"

static int cmd_exec_exec(struct oci_ctx *, const struct args *);

static const struct args_flag cmd_exec_flags[] = {
	{ "console-socket", 0, "PATH", "path to an AF_UNIX socket which "
	    "will receive the master end of the console's pseudoterminal" },
	{ "cwd", 0, "DIR", "current working directory in the container" },
	{ "env", 'e', "K=V", "set environment variables" },
	{ "tty", 't', NULL, "allocate a pseudo-TTY" },
	{ "user", 'u', "UID[:GID]", "user (numeric ids, or names looked "
	    "up in the container)" },
	{ "additional-gids", 'g', "GID", "additional gids" },
	{ "process", 'p', "FILE", "path to the process.json" },
	{ "detach", 'd', NULL, "detach from the container's process" },
	{ "pid-file", 0, "FILE", "specify the file to write the process "
	    "id to" },
	{ "process-label", 0, "LABEL", "not supported (SELinux)" },
	{ "apparmor", 0, "PROFILE", "not supported (AppArmor)" },
	{ "no-new-privs", 0, NULL, "set the no new privileges value for "
	    "the process" },
	{ "cap", 'c', "CAP", "add a capability to the process's sets" },
	{ "preserve-fds", 0, "N", "pass N additional file descriptors "
	    "(3 .. 3+N-1)" },
	{ "cgroup", 0, "PATH", "not supported: the process joins the "
	    "container's cgroup" },
	{ "ignore-paused", 0, NULL, "allow exec in a paused container" },
	{ NULL, 0, NULL, NULL }
};

const struct oci_cmd cmd_exec_entry = {
	.name = "exec",
	.usage = "<container-id> <command> [command options]  || "
	    "-p process.json <container-id>",
	.summary = "execute new process inside the container",
	.flags = cmd_exec_flags,
	.args_min = 1,
	.args_max = -1,
	.flags_first = true,
	.exec = cmd_exec_exec,
};

/* Flags that change the process, refused beside --process. */
static const char *const process_flags[] = {
	"cwd", "env", "tty", "user", "additional-gids", "no-new-privs", "cap",
	NULL
};

static int
parse_uint(const char *s, const char *what, uint32_t *out,
    struct berth_error *err)
{
	unsigned long long v;
	char *end;

	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || v > UINT32_MAX)
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "%s: invalid id \"%s\"", what, s));
	*out = (uint32_t)v;
	return (0);
}

/* --env K=V: replace K where the process has it, else append. */
static int
env_set(struct rt_process *p, const char *kv, struct berth_error *err)
{
	size_t n = 0, klen;
	char **env;

	if ((klen = strcspn(kv, "=")) == 0 || kv[klen] != '=')
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "--env: \"%s\" is not KEY=VALUE", kv));
	for (n = 0; p->env != NULL && p->env[n] != NULL; n++)
		if (strncmp(p->env[n], kv, klen + 1) == 0) {
			free(p->env[n]);
			if ((p->env[n] = strdup(kv)) == NULL)
				return (berth_error_sys(err, "--env"));
			return (0);
		}
	if ((env = reallocarray(p->env, n + 2, sizeof(*env))) == NULL)
		return (berth_error_sys(err, "--env"));
	p->env = env;
	if ((env[n] = strdup(kv)) == NULL)
		return (berth_error_sys(err, "--env"));
	env[n + 1] = NULL;
	return (0);
}

/* -u UID[:GID] in numbers, or names for the container's /etc/passwd. */
static int
user_set(struct rt_process *p, const char *spec, struct berth_error *err)
{
	cleanup_free char *copy = strdup(spec);
	char *colon;
	uint32_t uid, gid;

	if (copy == NULL)
		return (berth_error_sys(err, "--user"));
	if ((colon = strchr(copy, ':')) != NULL)
		*colon++ = '\0';
	free(p->user);
	p->user = NULL;
	if (parse_uint(copy, "--user", &uid, err) == 0 && (colon == NULL ||
	    parse_uint(colon, "--user", &gid, err) == 0)) {
		p->uid = uid;
		p->gid = colon != NULL ? gid : 0;
		return (0);
	}
	berth_error_clear(err);
	if (copy[0] == '\0' || (colon != NULL && *colon == '\0'))
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "--user: invalid user \"%s\"", spec));
	if ((p->user = strdup(spec)) == NULL)
		return (berth_error_sys(err, "--user"));
	return (0);
}

/* The command line's changes to the container's own process. */
static int
process_from_args(const struct args *args, struct rt_process *p,
    struct berth_error *err)
{
	const char *const *vals;
	char **argv;
	uint32_t gid;
	int i, n, cap;
	const char *v;

	if (args->argc < 2)
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "exec: a command is required (or --process)"));
	if ((argv = calloc((size_t)args->argc, sizeof(*argv))) == NULL)
		return (berth_error_sys(err, "exec"));
	strv_free(p->args);
	p->args = argv;
	for (i = 1; i < args->argc; i++)
		if ((argv[i - 1] = strdup(args->argv[i])) == NULL)
			return (berth_error_sys(err, "exec"));
	p->terminal = args_has(args, "tty");
	if ((v = args_get(args, "cwd")) != NULL) {
		if (v[0] != '/')
			return (berth_error_set(err, OCI_E_USAGE, 0,
			    "--cwd: \"%s\" is not an absolute path", v));
		free(p->cwd);
		if ((p->cwd = strdup(v)) == NULL)
			return (berth_error_sys(err, "--cwd"));
	}
	vals = args_all(args, "env", &n);
	for (i = 0; i < n; i++)
		if (env_set(p, vals[i], err) < 0)
			return (-1);
	if ((v = args_get(args, "user")) != NULL &&
	    user_set(p, v, err) < 0)
		return (-1);
	vals = args_all(args, "additional-gids", &n);
	if (n > 0) {
		free(p->additional_gids);
		p->nadditional_gids = 0;
		if ((p->additional_gids = calloc((size_t)n,
		    sizeof(gid_t))) == NULL)
			return (berth_error_sys(err, "--additional-gids"));
		for (i = 0; i < n; i++) {
			if (parse_uint(vals[i], "--additional-gids", &gid,
			    err) < 0)
				return (-1);
			p->additional_gids[p->nadditional_gids++] = gid;
		}
	}
	vals = args_all(args, "cap", &n);
	for (i = 0; i < n; i++) {
		if ((cap = caps_from_name(vals[i])) < 0 || cap > 63)
			return (berth_error_set(err, OCI_E_USAGE, 0,
			    "--cap: unknown capability \"%s\"", vals[i]));
		p->caps.bounding |= UINT64_C(1) << cap;
		p->caps.effective |= UINT64_C(1) << cap;
		p->caps.permitted |= UINT64_C(1) << cap;
		p->caps.inheritable |= UINT64_C(1) << cap;
		p->caps.ambient |= UINT64_C(1) << cap;
	}
	if (args_has(args, "no-new-privs"))
		p->no_new_privileges = true;
	return (0);
}

static int
process_from_file(const struct args *args, const char *path,
    struct oci_config *cfg, struct berth_error *err)
{
	cleanup_free char *text = NULL;
	cleanup_json json_t *j = NULL;
	struct rt_process p;
	json_error_t jerr;
	size_t len, i;

	if (args->argc > 1)
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "exec: --process and a command cannot both be given"));
	for (i = 0; process_flags[i] != NULL; i++)
		if (args_has(args, process_flags[i]))
			return (berth_error_set(err, OCI_E_USAGE, 0,
			    "exec: --%s cannot be combined with --process",
			    process_flags[i]));
	if (oci_read_file(path, CFG_FILE_MAX, &text, &len, err) < 0)
		return (-1);
	if ((j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: line %d column %d: %s", path, jerr.line, jerr.column,
		    jerr.text));
	memset(&p, 0, sizeof(p));
	if (oci_process_parse(j, "process", &p, &cfg->console_height,
	    &cfg->console_width, err) < 0) {
		oci_process_free(&p);
		return (berth_error_wrap(err, "%s", path));
	}
	oci_process_free(&cfg->spec.process);
	cfg->spec.process = p;
	return (0);
}

static int
exec_check(const struct args *args, struct oci_container *c,
    const struct rt_process *p, struct berth_error *err)
{
	bool detach = args_has(args, "detach");
	const char *sock = args_get(args, "console-socket");
	enum oci_status st;

	if (args_has(args, "apparmor"))
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "--apparmor is not supported (AppArmor)"));
	if (args_has(args, "process-label"))
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "--process-label is not supported (SELinux)"));
	if (args_has(args, "cgroup"))
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "--cgroup is not supported"));
	if (p->terminal && detach && sock == NULL)
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "cannot allocate tty if %s will detach without setting "
		    "console socket", OCI_NAME));
	if (!p->terminal && sock != NULL)
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "cannot use console socket if %s will not detach or "
		    "allocate tty", OCI_NAME));
	if (state_status(c, &st, err) < 0)
		return (-1);
	if (st == OCI_STATUS_STOPPED)
		return (berth_error_set(err, OCI_E_STATE, 0,
		    "cannot exec in a stopped container"));
	if (st == OCI_STATUS_PAUSED && !args_has(args, "ignore-paused"))
		return (berth_error_set(err, OCI_E_STATE, 0,
		    "cannot exec in a paused container (use --ignore-paused "
		    "to override)"));
	return (0);
}

/* Join the container: its pidfd, its cgroup, the spawner. */
static int
exec_spawn(const struct args *args, struct oci_container *c,
    struct oci_config *cfg, struct rt_container *out,
    struct berth_error *err)
{
	cleanup_close int pidfd = -1;
	int fds[OCI_PRESERVE_FDS_MAX], nfds = 0, rc;
	struct rt_cgroup *cg = NULL;
	struct rt_spawn_opts opts;
	const char *v;
	char *end;

	if ((v = args_get(args, "preserve-fds")) != NULL) {
		nfds = (int)strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0')
			return (berth_error_set(err, OCI_E_USAGE, 0,
			    "--preserve-fds: invalid count %s", v));
	}
	if (state_pidfd(c, &pidfd, err) < 0 ||
	    cgroup_open(c->st.cgroup_path, &cg, err) < 0)
		return (-1);
	if (spawn_opts_fill(&opts, args_get(args, "console-socket"),
	    nfds, fds, err) < 0) {
		cgroup_free(cg);
		return (-1);
	}
	opts.console_rows = cfg->console_height;
	opts.console_cols = cfg->console_width;
	rc = rt_exec(&cfg->spec, pidfd, cg, &cfg->spec.process, &opts, out,
	    err);
	spawn_opts_release(&opts);
	cgroup_free(cg);
	return (rc);
}

static int
exec_run(struct oci_ctx *ctx, const struct args *args,
    struct oci_container *c, struct oci_config *cfg,
    struct rt_container *out, struct berth_error *err)
{
	const char *path = args_get(args, "process");
	const char *pid_file = args_get(args, "pid-file");
	struct tty_relay *relay = NULL;
	int code = OCI_EXIT_FAILURE;

	if (container_config(c, cfg, err) < 0)
		return (-1);
	if (path != NULL ? process_from_file(args, path, cfg, err) < 0 :
	    process_from_args(args, &cfg->spec.process, err) < 0)
		return (-1);
	if (exec_check(args, c, &cfg->spec.process, err) < 0 ||
	    exec_spawn(args, c, cfg, out, err) < 0)
		return (-1);
	oci_debug(ctx, "exec in %s: pid %d", c->st.id, (int)out->pid);
	if (pid_file != NULL && oci_write_pid_file(pid_file, out->pid,
	    err) < 0)
		return (-1);
	if (args_has(args, "detach"))
		return (OCI_EXIT_OK);
	if (state_unlock(c, err) < 0)
		return (-1);
	if (out->console_fd >= 0 && tty_relay_begin(out->console_fd,
	    cfg->console_height, cfg->console_width, &relay, err) < 0)
		return (-1);
	if (oci_wait(ctx, out->pidfd, relay, &code, err) < 0)
		code = -1;
	tty_relay_end(relay);
	return (code);
}

static int
cmd_exec_exec(struct oci_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct oci_container c = OCI_CONTAINER_INIT;
	struct oci_config cfg;
	struct rt_container out;
	const char *id;
	int code;

	memset(&cfg, 0, sizeof(cfg));
	memset(&out, 0, sizeof(out));
	out.pidfd = out.console_fd = -1;
	if ((id = oci_arg_id(ctx, args)) == NULL)
		return (OCI_EXIT_FAILURE);
	if (state_open(ctx->root, id, true, &c, &err) < 0)
		code = -1;
	else
		code = exec_run(ctx, args, &c, &cfg, &out, &err);
	if (code < 0) {
		oci_fail(ctx, &err);
		code = spawn_error_code(&err);
	}
	rt_container_release(&out);
	oci_config_free(&cfg);
	state_close(&c);
	return (code);
}
