/*
 * The OCI process object (config.json's "process", exec's --process
 * file) into struct rt_process: args, env, cwd, user, capabilities by
 * name, rlimits by name, no_new_privileges, oomScoreAdj, terminal.
 */
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "cleanup.h"
#include "config.h"

static const struct {
	const char	*name;
	int		 resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};
#define NRLIMIT_NAMES	(sizeof(rlimit_names) / sizeof(rlimit_names[0]))

static int
cfg_terminal(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	return (cfg_bool(v, path, &c->process->terminal, err));
}

static int
cfg_console_size(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	uint32_t h = 0, w = 0;
	json_t *e;

	if (!json_is_object(v))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected an object", path));
	if (json_object_size(v) != (size_t)(json_object_get(v, "height") !=
	    NULL) + (json_object_get(v, "width") != NULL))
		return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
		    "%s: only height and width are supported", path));
	if ((e = json_object_get(v, "height")) != NULL &&
	    cfg_uint32(e, path, &h, err) < 0)
		return (-1);
	if ((e = json_object_get(v, "width")) != NULL &&
	    cfg_uint32(e, path, &w, err) < 0)
		return (-1);
	if (h > 0xffff || w > 0xffff)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: larger than 65535", path));
	*c->console_height = (unsigned short)h;
	*c->console_width = (unsigned short)w;
	return (0);
}

static int
cfg_uid(struct cfg *c, json_t *v, const char *path, struct berth_error *err)
{
	uint32_t n;

	if (cfg_uint32(v, path, &n, err) < 0)
		return (-1);
	c->process->uid = n;
	return (0);
}

static int
cfg_gid(struct cfg *c, json_t *v, const char *path, struct berth_error *err)
{
	uint32_t n;

	if (cfg_uint32(v, path, &n, err) < 0)
		return (-1);
	c->process->gid = n;
	return (0);
}

static int
cfg_umask(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	uint32_t n;

	if (cfg_uint32(v, path, &n, err) < 0)
		return (-1);
	if (n > 0777)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: %o is not a umask", path, n));
	c->process->has_umask = true;
	c->process->umask = n;
	return (0);
}

static int
cfg_additional_gids(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	struct rt_process *p = c->process;
	char sub[CFG_PATH_MAX];
	uint32_t n;
	json_t *e;
	size_t i;

	if (cfg_array(v, path, err) < 0)
		return (-1);
	free(p->additional_gids);
	p->additional_gids = NULL;
	p->nadditional_gids = 0;
	if (json_array_size(v) == 0)
		return (0);
	if ((p->additional_gids = calloc(json_array_size(v),
	    sizeof(gid_t))) == NULL)
		return (berth_error_sys(err, "%s", path));
	json_array_foreach(v, i, e) {
		cfg_path(sub, "%s[%zu]", path, i);
		if (cfg_uint32(e, sub, &n, err) < 0)
			return (-1);
		p->additional_gids[p->nadditional_gids++] = n;
	}
	return (0);
}

static const struct cfg_field user_fields[] = {
	{ "uid", cfg_uid, NULL },
	{ "gid", cfg_gid, NULL },
	{ "umask", cfg_umask, NULL },
	{ "additionalGids", cfg_additional_gids, NULL },
	{ "username", NULL, "(Windows)" },
	{ NULL, NULL, NULL }
};

static int
cfg_user(struct cfg *c, json_t *v, const char *path, struct berth_error *err)
{
	return (cfg_walk(c, v, path, user_fields, err));
}

static int
cfg_args(struct cfg *c, json_t *v, const char *path, struct berth_error *err)
{
	return (cfg_string_array(v, path, &c->process->args, NULL, err));
}

static int
cfg_env(struct cfg *c, json_t *v, const char *path, struct berth_error *err)
{
	char **env;

	if (cfg_string_array(v, path, &c->process->env, NULL, err) < 0)
		return (-1);
	for (env = c->process->env; *env != NULL; env++)
		if (strchr(*env, '=') == NULL || **env == '=')
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s: \"%s\" is not KEY=VALUE", path, *env));
	return (0);
}

static int
cfg_cwd(struct cfg *c, json_t *v, const char *path, struct berth_error *err)
{
	return (cfg_abs_path(v, path, &c->process->cwd, err));
}

/* A list of capability names as a mask. */
static int
cfg_cap_set(json_t *v, const char *path, uint64_t *mask,
    struct berth_error *err)
{
	char sub[CFG_PATH_MAX];
	json_t *e;
	size_t i;
	int cap;

	if (cfg_array(v, path, err) < 0)
		return (-1);
	*mask = 0;
	json_array_foreach(v, i, e) {
		cfg_path(sub, "%s[%zu]", path, i);
		if (!json_is_string(e))
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s: expected a string", sub));
		if ((cap = caps_from_name(json_string_value(e))) < 0 ||
		    cap > 63)
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s: unknown capability \"%s\"", sub,
			    json_string_value(e)));
		*mask |= UINT64_C(1) << cap;
	}
	return (0);
}

#define CAP_SET_FN(fn, field)						\
static int								\
fn(struct cfg *c, json_t *v, const char *path, struct berth_error *err)	\
{									\
	return (cfg_cap_set(v, path, &c->process->caps.field, err));	\
}
CAP_SET_FN(cfg_cap_bounding, bounding)
CAP_SET_FN(cfg_cap_effective, effective)
CAP_SET_FN(cfg_cap_permitted, permitted)
CAP_SET_FN(cfg_cap_inheritable, inheritable)
CAP_SET_FN(cfg_cap_ambient, ambient)

static const struct cfg_field caps_fields[] = {
	{ "bounding", cfg_cap_bounding, NULL },
	{ "effective", cfg_cap_effective, NULL },
	{ "permitted", cfg_cap_permitted, NULL },
	{ "inheritable", cfg_cap_inheritable, NULL },
	{ "ambient", cfg_cap_ambient, NULL },
	{ NULL, NULL, NULL }
};

static int
cfg_caps(struct cfg *c, json_t *v, const char *path, struct berth_error *err)
{
	return (cfg_walk(c, v, path, caps_fields, err));
}

static int
rlimit_parse(json_t *e, const char *path, struct rt_rlimit *rl,
    struct berth_error *err)
{
	json_t *type, *soft, *hard;
	int64_t s, h;
	size_t i;

	if (!json_is_object(e))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected an object", path));
	type = json_object_get(e, "type");
	soft = json_object_get(e, "soft");
	hard = json_object_get(e, "hard");
	if (json_object_size(e) != (size_t)(type != NULL) + (soft != NULL) +
	    (hard != NULL))
		return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
		    "%s: only type, soft and hard are supported", path));
	if (!json_is_string(type))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s.type: expected a string", path));
	for (i = 0; i < NRLIMIT_NAMES; i++)
		if (strcmp(rlimit_names[i].name, json_string_value(type)) == 0)
			break;
	if (i == NRLIMIT_NAMES)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s.type: unknown resource limit \"%s\"", path,
		    json_string_value(type)));
	if (soft == NULL || hard == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: soft and hard are required", path));
	if (cfg_int64(soft, path, &s, err) < 0 ||
	    cfg_int64(hard, path, &h, err) < 0)
		return (-1);
	if (s < 0 || h < 0)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: negative limit", path));
	if (s > h)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: soft limit %lld above hard limit %lld", path,
		    (long long)s, (long long)h));
	rl->resource = rlimit_names[i].resource;
	rl->soft = (uint64_t)s;
	rl->hard = (uint64_t)h;
	return (0);
}

static int
cfg_rlimits(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	struct rt_process *p = c->process;
	char sub[CFG_PATH_MAX];
	json_t *e;
	size_t i, j;

	if (cfg_array(v, path, err) < 0)
		return (-1);
	free(p->rlimits);
	p->rlimits = NULL;
	p->nrlimits = 0;
	if (json_array_size(v) == 0)
		return (0);
	if ((p->rlimits = calloc(json_array_size(v),
	    sizeof(*p->rlimits))) == NULL)
		return (berth_error_sys(err, "%s", path));
	json_array_foreach(v, i, e) {
		cfg_path(sub, "%s[%zu]", path, i);
		if (rlimit_parse(e, sub, &p->rlimits[i], err) < 0)
			return (-1);
		for (j = 0; j < i; j++)
			if (p->rlimits[j].resource == p->rlimits[i].resource)
				return (berth_error_set(err, RT_E_SPEC, 0,
				    "%s: duplicate %s", sub, json_string_value(
				    json_object_get(e, "type"))));
		p->nrlimits++;
	}
	return (0);
}

static int
cfg_no_new_privileges(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	return (cfg_bool(v, path, &c->process->no_new_privileges, err));
}

static int
cfg_oom_score_adj(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	int64_t n;

	if (cfg_int64(v, path, &n, err) < 0)
		return (-1);
	if (n < -1000 || n > 1000)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: %lld is outside -1000..1000", path, (long long)n));
	c->process->oom_score_adj = (int)n;
	c->process->has_oom_score_adj = true;
	return (0);
}

static const struct cfg_field process_fields[] = {
	{ "terminal", cfg_terminal, NULL },
	{ "consoleSize", cfg_console_size, NULL },
	{ "user", cfg_user, NULL },
	{ "args", cfg_args, NULL },
	{ "commandLine", NULL, "(Windows)" },
	{ "env", cfg_env, NULL },
	{ "cwd", cfg_cwd, NULL },
	{ "capabilities", cfg_caps, NULL },
	{ "rlimits", cfg_rlimits, NULL },
	{ "noNewPrivileges", cfg_no_new_privileges, NULL },
	{ "apparmorProfile", NULL, "(AppArmor)" },
	{ "oomScoreAdj", cfg_oom_score_adj, NULL },
	{ "selinuxLabel", NULL, "(SELinux)" },
	{ "ioPriority", NULL, NULL },
	{ "scheduler", NULL, NULL },
	{ "execCPUAffinity", NULL, NULL },
	{ NULL, NULL, NULL }
};

int
cfg_process(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	return (cfg_walk(c, v, path, process_fields, err));
}

int
oci_process_parse(json_t *j, const char *where, struct rt_process *p,
    unsigned short *console_height, unsigned short *console_width,
    struct berth_error *err)
{
	unsigned short h = 0, w = 0;
	struct cfg c;

	memset(&c, 0, sizeof(c));
	c.process = p;
	c.console_height = console_height != NULL ? console_height : &h;
	c.console_width = console_width != NULL ? console_width : &w;
	if (cfg_walk(&c, j, where, process_fields, err) < 0)
		return (-1);
	if (p->args == NULL || p->args[0] == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s.args is required", where));
	if (p->cwd == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s.cwd is required", where));
	return (0);
}

void
oci_process_free(struct rt_process *p)
{
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->user);
	free(p->additional_gids);
	free(p->rlimits);
	memset(p, 0, sizeof(*p));
}
