/*
 * config.json's "linux.resources": memory, cpu, cpuset, pids and device
 * rules into struct rt_resources; the rest (blockIO, hugepages, network,
 * rdma, unified, realtime cpu) is refused by name.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"

static int
rules_append(struct rt_resources *r, const struct rt_device_rule *rule,
    struct berth_error *err)
{
	struct rt_device_rule *n;

	if ((n = reallocarray(r->device_rules, r->ndevice_rules + 1,
	    sizeof(*n))) == NULL)
		return (berth_error_sys(err, "device rules"));
	r->device_rules = n;
	r->device_rules[r->ndevice_rules++] = *rule;
	return (0);
}

static int
rule_number(json_t *e, const char *key, const char *path, int64_t *out,
    struct berth_error *err)
{
	json_t *v = json_object_get(e, key);

	*out = -1;
	if (v == NULL || json_is_null(v))
		return (0);
	if (cfg_int64(v, path, out, err) < 0)
		return (-1);
	if (*out < -1 || *out > UINT32_MAX)
		return (berth_error_set(err, RT_E_SPEC, 0, "%s.%s: %lld is out "
		    "of range", path, key, (long long)*out));
	return (0);
}

static int
rule_parse(json_t *e, const char *path, struct rt_device_rule *rule,
    struct berth_error *err)
{
	static const char *const keys[] = { "allow", "type", "major",
	    "minor", "access" };
	const char *key, *s;
	size_t i;
	json_t *v;

	if (!json_is_object(e))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected an object", path));
	json_object_foreach(e, key, v) {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(keys[i], key) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0]))
			return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
			    "%s.%s is not supported (unknown field)", path,
			    key));
	}
	memset(rule, 0, sizeof(*rule));
	if ((v = json_object_get(e, "allow")) == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s.allow is required", path));
	if (cfg_bool(v, path, &rule->allow, err) < 0)
		return (-1);
	rule->type = 'a';
	if ((v = json_object_get(e, "type")) != NULL && !json_is_null(v)) {
		s = json_is_string(v) ? json_string_value(v) : "?";
		if (strcmp(s, "a") != 0 && strcmp(s, "c") != 0 &&
		    strcmp(s, "b") != 0)
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s.type: expected \"a\", \"c\" or \"b\"", path));
		rule->type = s[0];
	}
	if (rule_number(e, "major", path, &rule->major, err) < 0 ||
	    rule_number(e, "minor", path, &rule->minor, err) < 0)
		return (-1);
	strcpy(rule->access, "rwm");
	if ((v = json_object_get(e, "access")) != NULL && !json_is_null(v) &&
	    !cfg_is_empty(v)) {
		s = json_is_string(v) ? json_string_value(v) : "?";
		if (strlen(s) > 3 || strspn(s, "rwm") != strlen(s))
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s.access: \"%s\" is not some of \"rwm\"", path,
			    s));
		strcpy(rule->access, s);
	}
	return (0);
}

static int
cfg_device_cgroup(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	struct rt_device_rule rule;
	char sub[CFG_PATH_MAX];
	json_t *e;
	size_t i;

	if (cfg_array(v, path, err) < 0)
		return (-1);
	json_array_foreach(v, i, e) {
		cfg_path(sub, "%s[%zu]", path, i);
		if (rule_parse(e, sub, &rule, err) < 0 ||
		    rules_append(&c->spec->resources, &rule, err) < 0)
			return (-1);
	}
	return (0);
}

/*
 * runc's rule: a container may use the nodes linux.devices made, and
 * always the default ones (its AllowedDevices), after the config's own
 * rules.  Without rules or devices the spawner's default list applies,
 * which is the same.
 */
int
cfg_device_rules_finish(struct cfg *c, struct berth_error *err)
{
	static const struct rt_device_rule defaults[] = {
		{ true, 'c', -1, -1, "m" },
		{ true, 'b', -1, -1, "m" },
		{ true, 'c', 1, 3, "rwm" },	/* null */
		{ true, 'c', 1, 8, "rwm" },	/* random */
		{ true, 'c', 1, 7, "rwm" },	/* full */
		{ true, 'c', 5, 0, "rwm" },	/* tty */
		{ true, 'c', 1, 5, "rwm" },	/* zero */
		{ true, 'c', 1, 9, "rwm" },	/* urandom */
		{ true, 'c', 5, 1, "rwm" },	/* console */
		{ true, 'c', 136, -1, "rwm" },	/* pts */
		{ true, 'c', 5, 2, "rwm" },	/* ptmx */
		{ true, 'c', 10, 200, "rwm" },	/* net/tun */
	};
	struct rt_resources *r = &c->spec->resources;
	struct rt_device_rule rule;
	size_t i;

	if (r->ndevice_rules == 0 && c->spec->ndevices == 0)
		return (0);
	for (i = 0; i < c->spec->ndevices; i++) {
		if (c->spec->devices[i].type == 'p')
			continue;
		memset(&rule, 0, sizeof(rule));
		rule.allow = true;
		rule.type = c->spec->devices[i].type;
		rule.major = c->spec->devices[i].major;
		rule.minor = c->spec->devices[i].minor;
		strcpy(rule.access, "rwm");
		if (rules_append(r, &rule, err) < 0)
			return (-1);
	}
	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (rules_append(r, &defaults[i], err) < 0)
			return (-1);
	return (0);
}

static int
cfg_memory_limit(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	int64_t n;

	if (cfg_int64(v, path, &n, err) < 0)
		return (-1);
	c->spec->resources.memory_limit = n > 0 ? n : -1;
	return (0);
}

/* OCI's swap is memory+swap, as the spec's; -1 (unlimited) and 0 ask
 * for nothing. */
static int
cfg_memory_swap(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	int64_t n;

	if (cfg_int64(v, path, &n, err) < 0)
		return (-1);
	c->spec->resources.memory_swap = n > 0 ? n : -1;
	return (0);
}

static const struct cfg_field memory_fields[] = {
	{ "limit", cfg_memory_limit, NULL },
	{ "swap", cfg_memory_swap, NULL },
	{ "reservation", NULL, NULL },
	{ "kernel", NULL, NULL },
	{ "kernelTCP", NULL, NULL },
	{ "swappiness", NULL, NULL },
	{ "disableOOMKiller", NULL, NULL },
	{ "useHierarchy", NULL, NULL },
	{ "checkBeforeUpdate", NULL, NULL },
	{ NULL, NULL, NULL }
};

static int
cfg_memory(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	struct rt_resources *r = &c->spec->resources;

	if (cfg_walk(c, v, path, memory_fields, err) < 0)
		return (-1);
	if (r->memory_swap > 0 && r->memory_limit > 0 &&
	    r->memory_swap < r->memory_limit)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: swap (memory+swap) below limit", path));
	return (0);
}

static int
cfg_cpu_shares(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	int64_t n;

	if (cfg_int64(v, path, &n, err) < 0)
		return (-1);
	if (n < 0 || n == 1 || n > 262144)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: %lld is outside 2..262144", path, (long long)n));
	c->spec->resources.cpu_shares = (uint64_t)n;
	return (0);
}

static int
cfg_cpu_quota(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	int64_t n;

	if (cfg_int64(v, path, &n, err) < 0)
		return (-1);
	c->spec->resources.cpu_quota = n > 0 ? n : -1;
	return (0);
}

static int
cfg_cpu_period(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	int64_t n;

	if (cfg_int64(v, path, &n, err) < 0)
		return (-1);
	if (n < 0)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: negative period", path));
	c->spec->resources.cpu_period = (uint64_t)n;
	return (0);
}

static int
cfg_cpu_cpus(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	if (cfg_string(v, path, &c->spec->resources.cpuset_cpus, err) < 0)
		return (-1);
	if (c->spec->resources.cpuset_cpus[0] == '\0') {
		free(c->spec->resources.cpuset_cpus);
		c->spec->resources.cpuset_cpus = NULL;
	}
	return (0);
}

static int
cfg_cpu_mems(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	if (cfg_string(v, path, &c->spec->resources.cpuset_mems, err) < 0)
		return (-1);
	if (c->spec->resources.cpuset_mems[0] == '\0') {
		free(c->spec->resources.cpuset_mems);
		c->spec->resources.cpuset_mems = NULL;
	}
	return (0);
}

static const struct cfg_field cpu_fields[] = {
	{ "shares", cfg_cpu_shares, NULL },
	{ "quota", cfg_cpu_quota, NULL },
	{ "period", cfg_cpu_period, NULL },
	{ "cpus", cfg_cpu_cpus, NULL },
	{ "mems", cfg_cpu_mems, NULL },
	{ "burst", NULL, NULL },
	{ "realtimeRuntime", NULL, NULL },
	{ "realtimePeriod", NULL, NULL },
	{ "idle", NULL, NULL },
	{ NULL, NULL, NULL }
};

static int
cfg_cpu(struct cfg *c, json_t *v, const char *path, struct berth_error *err)
{
	return (cfg_walk(c, v, path, cpu_fields, err));
}

/* 0 and -1 both mean no limit, as in runc. */
static int
cfg_pids_limit(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	int64_t n;

	if (cfg_int64(v, path, &n, err) < 0)
		return (-1);
	c->spec->resources.pids_limit = n > 0 ? n : -1;
	return (0);
}

static const struct cfg_field pids_fields[] = {
	{ "limit", cfg_pids_limit, NULL },
	{ NULL, NULL, NULL }
};

static int
cfg_pids(struct cfg *c, json_t *v, const char *path, struct berth_error *err)
{
	return (cfg_walk(c, v, path, pids_fields, err));
}

static const struct cfg_field resources_fields[] = {
	{ "devices", cfg_device_cgroup, NULL },
	{ "memory", cfg_memory, NULL },
	{ "cpu", cfg_cpu, NULL },
	{ "pids", cfg_pids, NULL },
	{ "blockIO", NULL, NULL },
	{ "hugepageLimits", NULL, NULL },
	{ "network", NULL, NULL },
	{ "rdma", NULL, NULL },
	{ "unified", NULL, NULL },
	{ NULL, NULL, NULL }
};

int
cfg_resources(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	return (cfg_walk(c, v, path, resources_fields, err));
}
