/*
 * config.json: reading the file, the top level (ociVersion, root, mounts,
 * hostname, hooks, annotations), and the walker and typed getters every
 * config*.c file uses to accept, fill or refuse each field by name.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"

/* --- the walker and getters --- */

void
cfg_path(char buf[CFG_PATH_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, CFG_PATH_MAX, fmt, ap);
	va_end(ap);
}

/* An object is empty when each of its values is: Docker sends fields it
 * does not use with zero values ("blockIO": {"weight": 0}). */
bool
cfg_is_empty(json_t *v)
{
	const char *key;
	json_t *e;

	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE:
		return (true);
	case JSON_STRING:
		return (json_string_length(v) == 0);
	case JSON_ARRAY:
		return (json_array_size(v) == 0);
	case JSON_OBJECT:
		json_object_foreach(v, key, e)
			if (!cfg_is_empty(e))
				return (false);
		return (true);
	case JSON_INTEGER:
		return (json_integer_value(v) == 0);
	case JSON_REAL:
		return (json_real_value(v) == 0);
	default:
		return (false);
	}
}

int
cfg_refuse(json_t *v, const char *path, const char *why,
    struct berth_error *err)
{
	if (cfg_is_empty(v))
		return (0);
	return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
	    "%s is not supported%s%s", path, why != NULL ? " " : "",
	    why != NULL ? why : ""));
}

int
cfg_walk(struct cfg *c, json_t *obj, const char *path,
    const struct cfg_field *fields, struct berth_error *err)
{
	char sub[CFG_PATH_MAX];
	const char *key;
	json_t *v;
	int i;

	if (!json_is_object(obj))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected an object", path));
	json_object_foreach(obj, key, v) {
		if (path[0] != '\0')
			cfg_path(sub, "%s.%s", path, key);
		else
			cfg_path(sub, "%s", key);
		for (i = 0; fields[i].key != NULL; i++)
			if (strcmp(fields[i].key, key) == 0)
				break;
		if (fields[i].key == NULL && c->out != NULL) {
			/* Not an OCI property: the spec says to ignore it;
			 * the caller warns so it is not ignored silently. */
			size_t used = strlen(c->out->ignored);

			snprintf(c->out->ignored + used,
			    sizeof(c->out->ignored) - used, "%s%s",
			    used > 0 ? ", " : "", sub);
			continue;
		}
		if (fields[i].key == NULL)
			return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
			    "%s is not supported (unknown field)", sub));
		if (fields[i].parse == NULL) {
			if (cfg_refuse(v, sub, fields[i].why, err) < 0)
				return (-1);
			continue;
		}
		if (json_is_null(v))
			continue;
		if (fields[i].parse(c, v, sub, err) < 0)
			return (-1);
	}
	return (0);
}

int
cfg_string(json_t *v, const char *path, char **out, struct berth_error *err)
{
	if (!json_is_string(v))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected a string", path));
	if (memchr(json_string_value(v), '\0', json_string_length(v)) != NULL)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: NUL byte in string", path));
	free(*out);
	if ((*out = strdup(json_string_value(v))) == NULL)
		return (berth_error_sys(err, "%s", path));
	return (0);
}

int
cfg_array(json_t *v, const char *path, struct berth_error *err)
{
	if (!json_is_array(v))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected an array", path));
	return (0);
}

int
cfg_abs_path(json_t *v, const char *path, char **out, struct berth_error *err)
{
	if (cfg_string(v, path, out, err) < 0)
		return (-1);
	if ((*out)[0] != '/')
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: \"%s\" is not an absolute path", path, *out));
	return (0);
}

int
cfg_string_array(json_t *v, const char *path, char ***out, size_t *n,
    struct berth_error *err)
{
	char sub[CFG_PATH_MAX], **strv;
	size_t i, count;
	json_t *e;

	if (cfg_array(v, path, err) < 0)
		return (-1);
	count = json_array_size(v);
	if ((strv = calloc(count + 1, sizeof(*strv))) == NULL)
		return (berth_error_sys(err, "%s", path));
	json_array_foreach(v, i, e) {
		cfg_path(sub, "%s[%zu]", path, i);
		if (cfg_string(e, sub, &strv[i], err) < 0) {
			strv_free(strv);
			return (-1);
		}
	}
	strv_free(*out);
	*out = strv;
	if (n != NULL)
		*n = count;
	return (0);
}

int
cfg_bool(json_t *v, const char *path, bool *out, struct berth_error *err)
{
	if (!json_is_boolean(v))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected true or false", path));
	*out = json_is_true(v);
	return (0);
}

int
cfg_int64(json_t *v, const char *path, int64_t *out, struct berth_error *err)
{
	if (!json_is_integer(v))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected an integer", path));
	*out = json_integer_value(v);
	return (0);
}

int
cfg_uint32(json_t *v, const char *path, uint32_t *out,
    struct berth_error *err)
{
	int64_t n;

	if (cfg_int64(v, path, &n, err) < 0)
		return (-1);
	if (n < 0 || n > UINT32_MAX)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: %lld is out of range", path, (long long)n));
	*out = (uint32_t)n;
	return (0);
}

int
oci_read_file(const char *path, size_t max, char **out, size_t *len,
    struct berth_error *err)
{
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	size_t n = 0;
	ssize_t r;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (berth_error_sys(err, "open %s", path));
	if ((buf = malloc(max + 1)) == NULL)
		return (berth_error_sys(err, "read %s", path));
	while (n <= max) {
		r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return (berth_error_sys(err, "read %s", path));
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: larger than %zu bytes", path, max));
	buf[n] = '\0';
	*len = n;
	*out = steal_pointer(&buf);
	return (0);
}

/* --- the top level --- */

/* 1.0.x, 1.1.x and 1.2.x, with suffixes such as "1.0.2-dev". */
static int
cfg_oci_version(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	static const char *const known[] = { "1.0.", "1.1.", "1.2." };
	const char *s;
	size_t i;

	(void)c;
	if (!json_is_string(v))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected a string", path));
	s = json_string_value(v);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strncmp(s, known[i], 4) == 0 && s[4] >= '0' && s[4] <= '9')
			return (0);
	return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
	    "%s \"%s\" is not supported (1.0.x, 1.1.x or 1.2.x)", path, s));
}

static int
cfg_root_path(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	cleanup_free char *rel = NULL, *joined = NULL;
	char real[PATH_MAX];

	if (cfg_string(v, path, &rel, err) < 0)
		return (-1);
	if (rel[0] == '\0')
		return (berth_error_set(err, RT_E_SPEC, 0, "%s is empty",
		    path));
	if (rel[0] != '/' && asprintf(&joined, "%s/%s", c->out->bundle,
	    rel) < 0)
		return (berth_error_sys(err, "%s", path));
	if (realpath(joined != NULL ? joined : rel, real) == NULL)
		return (berth_error_sys(err, "%s: %s", path,
		    joined != NULL ? joined : rel));
	free(c->spec->root_path);
	if ((c->spec->root_path = strdup(real)) == NULL)
		return (berth_error_sys(err, "%s", path));
	return (0);
}

static int
cfg_root_readonly(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	return (cfg_bool(v, path, &c->spec->root_readonly, err));
}

static const struct cfg_field root_fields[] = {
	{ "path", cfg_root_path, NULL },
	{ "readonly", cfg_root_readonly, NULL },
	{ NULL, NULL, NULL }
};

static int
cfg_root(struct cfg *c, json_t *v, const char *path, struct berth_error *err)
{
	if (cfg_walk(c, v, path, root_fields, err) < 0)
		return (-1);
	if (c->spec->root_path == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s.path is required", path));
	return (0);
}

static int
cfg_hostname(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	return (cfg_string(v, path, &c->spec->hostname, err));
}

static int
cfg_mount_destination(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	struct rt_mount *m = c->item;

	return (cfg_abs_path(v, path, &m->destination, err));
}

static int
cfg_mount_type(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	return (cfg_string(v, path, &((struct rt_mount *)c->item)->type, err));
}

static int
cfg_mount_source(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	return (cfg_string(v, path, &((struct rt_mount *)c->item)->source,
	    err));
}

static int
cfg_mount_options(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	char **opts = NULL;
	size_t n;
	int rc;

	if (cfg_string_array(v, path, &opts, &n, err) < 0)
		return (-1);
	rc = mount_options_parse(c->item, (const char *const *)opts, n, err);
	strv_free(opts);
	if (rc < 0)
		return (berth_error_wrap(err, "%s", path));
	return (0);
}

static const struct cfg_field mount_fields[] = {
	{ "destination", cfg_mount_destination, NULL },
	{ "type", cfg_mount_type, NULL },
	{ "source", cfg_mount_source, NULL },
	{ "options", cfg_mount_options, NULL },
	{ "uidMappings", NULL, "(idmapped mounts)" },
	{ "gidMappings", NULL, "(idmapped mounts)" },
	{ NULL, NULL, NULL }
};

static int
cfg_mounts(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	struct rt_spec *spec = c->spec;
	char sub[CFG_PATH_MAX];
	struct rt_mount *m;
	json_t *e;
	size_t i;

	if (cfg_array(v, path, err) < 0)
		return (-1);
	if (json_array_size(v) == 0)
		return (0);
	if ((spec->mounts = calloc(json_array_size(v),
	    sizeof(*spec->mounts))) == NULL)
		return (berth_error_sys(err, "%s", path));
	json_array_foreach(v, i, e) {
		cfg_path(sub, "%s[%zu]", path, i);
		m = &spec->mounts[spec->nmounts++];
		c->item = m;
		if (cfg_walk(c, e, sub, mount_fields, err) < 0)
			return (-1);
		if (m->destination == NULL)
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s.destination is required", sub));
		if (m->type == NULL && m->bind && (m->type =
		    strdup("bind")) == NULL)
			return (berth_error_sys(err, "%s", sub));
		if (m->type == NULL)
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s.type is required unless it is a bind mount",
			    sub));
	}
	c->item = NULL;
	return (0);
}

static int
cfg_annotations(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	const char *key;
	json_t *e;

	if (!json_is_object(v))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected an object", path));
	json_object_foreach(v, key, e)
		if (!json_is_string(e))
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s.%s: expected a string", path, key));
	json_decref(c->out->annotations);
	c->out->annotations = json_deep_copy(v);
	return (0);
}

static int
cfg_hooks(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	return (oci_hooks_parse(v, path, &c->out->hooks, err));
}

static const struct cfg_field top_fields[] = {
	{ "ociVersion", cfg_oci_version, NULL },
	{ "root", cfg_root, NULL },
	{ "mounts", cfg_mounts, NULL },
	{ "process", cfg_process, NULL },
	{ "hostname", cfg_hostname, NULL },
	{ "domainname", NULL, NULL },
	{ "hooks", cfg_hooks, NULL },
	{ "annotations", cfg_annotations, NULL },
	{ "linux", cfg_linux, NULL },
	{ "solaris", NULL, "(Solaris)" },
	{ "windows", NULL, "(Windows)" },
	{ "vm", NULL, "(virtual machines)" },
	{ "zos", NULL, "(z/OS)" },
	{ NULL, NULL, NULL }
};

/* What the fields together must say. */
static int
cfg_check(struct oci_config *out, json_t *root, struct berth_error *err)
{
	struct rt_spec *spec = &out->spec;

	if (json_object_get(root, "ociVersion") == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "ociVersion is required"));
	if (spec->root_path == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "root is required"));
	if (spec->process.args == NULL || spec->process.args[0] == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "process.args is required"));
	if (spec->process.cwd == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "process.cwd is required"));
	if (spec->hostname != NULL && spec->hostname[0] != '\0' &&
	    !spec->namespaces[RT_NS_UTS].enabled)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "hostname needs a uts namespace of its own "
		    "(linux.namespaces)"));
	if (out->annotations == NULL && (out->annotations =
	    json_object()) == NULL)
		return (berth_error_sys(err, "annotations"));
	/* runc's default is "/ID" beside its own cgroup; ours groups
	 * berth-runtime's containers in one place. */
	if (spec->cgroup_path == NULL && asprintf(&spec->cgroup_path,
	    "berth-runtime/%s", spec->id) < 0) {
		spec->cgroup_path = NULL;
		return (berth_error_sys(err, "cgroupsPath"));
	}
	return (0);
}

static int
config_parse(const char *text, size_t len, const char *bundle,
    const char *id, struct oci_config *out, struct berth_error *err)
{
	cleanup_json json_t *root = NULL;
	struct cfg c;
	json_error_t jerr;
	char real[PATH_MAX];

	memset(out, 0, sizeof(*out));
	rt_resources_init(&out->spec.resources);
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "line %d column %d: %s", jerr.line, jerr.column,
		    jerr.text));
	if (realpath(bundle, real) == NULL)
		return (berth_error_sys(err, "bundle %s", bundle));
	if ((out->bundle = strdup(real)) == NULL ||
	    (out->spec.id = strdup(id)) == NULL)
		return (berth_error_sys(err, "config"));
	memset(&c, 0, sizeof(c));
	c.out = out;
	c.spec = &out->spec;
	c.process = &out->spec.process;
	c.console_height = &out->console_height;
	c.console_width = &out->console_width;
	if (cfg_walk(&c, root, "", top_fields, err) < 0 ||
	    cfg_check(out, root, err) < 0 ||
	    cfg_device_rules_finish(&c, err) < 0)
		return (-1);
	return (0);
}

int
oci_config_parse(const char *text, size_t len, const char *bundle,
    const char *id, struct oci_config *out, struct berth_error *err)
{
	struct rt_caps *caps;

	if (config_parse(text, len, bundle, id, out, err) < 0) {
		oci_config_free(out);
		return (-1);
	}
	/* runc's own default config asks ambient capabilities without the
	 * inheritable ones the kernel needs to raise them, and runc only
	 * warns: do the same, rather than refuse the bundles it runs. */
	caps = &out->spec.process.caps;
	out->ambient_dropped = caps->ambient & ~(caps->permitted &
	    caps->inheritable);
	caps->ambient &= ~out->ambient_dropped;
	return (0);
}

int
oci_config_load(const char *bundle, const char *id, struct oci_config *out,
    struct berth_error *err)
{
	cleanup_free char *path = NULL, *text = NULL;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (asprintf(&path, "%s/config.json", bundle) < 0)
		return (berth_error_sys(err, "config.json"));
	if (oci_read_file(path, CFG_FILE_MAX, &text, &len, err) < 0)
		return (-1);
	if (oci_config_parse(text, len, bundle, id, out, err) < 0)
		return (berth_error_wrap(err, "%s", path));
	return (0);
}

void
oci_config_free(struct oci_config *c)
{
	spec_free(&c->spec);
	free(c->bundle);
	if (c->annotations != NULL)
		json_decref(c->annotations);
	oci_hooks_free(&c->hooks);
	memset(c, 0, sizeof(*c));
}
