/*
 * config.json's "linux" object: namespaces, uid/gid mappings, devices,
 * cgroupsPath, rootfsPropagation, masked and read-only paths; resources
 * and seccomp are handed to their own files.
 */
#include <sys/mount.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config.h"

static const char *const ns_names[RT_NS_COUNT] = {
	[RT_NS_USER] = "user",
	[RT_NS_MOUNT] = "mount",
	[RT_NS_PID] = "pid",
	[RT_NS_UTS] = "uts",
	[RT_NS_IPC] = "ipc",
	[RT_NS_NET] = "network",
	[RT_NS_CGROUP] = "cgroup",
};

static int
namespace_parse(struct cfg *c, json_t *e, const char *path,
    struct berth_error *err)
{
	char sub[CFG_PATH_MAX];
	json_t *type, *nspath;
	struct rt_namespace *ns;
	int i;

	if (!json_is_object(e))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected an object", path));
	type = json_object_get(e, "type");
	nspath = json_object_get(e, "path");
	if (json_object_size(e) != (size_t)(type != NULL) + (nspath != NULL))
		return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
		    "%s: only type and path are supported", path));
	if (!json_is_string(type))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s.type: expected a string", path));
	for (i = 0; i < RT_NS_COUNT; i++)
		if (strcmp(ns_names[i], json_string_value(type)) == 0)
			break;
	if (i == RT_NS_COUNT) {
		if (strcmp(json_string_value(type), "time") == 0)
			return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
			    "%s: the time namespace is not supported", path));
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s.type: unknown namespace \"%s\"", path,
		    json_string_value(type)));
	}
	ns = &c->spec->namespaces[i];
	if (ns->enabled)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: duplicate %s namespace", path, ns_names[i]));
	ns->enabled = true;
	if (nspath == NULL || cfg_is_empty(nspath))
		return (0);
	cfg_path(sub, "%s.path", path);
	return (cfg_abs_path(nspath, sub, &ns->path, err));
}

static int
cfg_namespaces(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	char sub[CFG_PATH_MAX];
	json_t *e;
	size_t i;

	if (cfg_array(v, path, err) < 0)
		return (-1);
	json_array_foreach(v, i, e) {
		cfg_path(sub, "%s[%zu]", path, i);
		if (namespace_parse(c, e, sub, err) < 0)
			return (-1);
	}
	return (0);
}

static int
idmaps_parse(json_t *v, const char *path, struct rt_idmap **out, size_t *n,
    struct berth_error *err)
{
	char sub[CFG_PATH_MAX];
	struct rt_idmap *m;
	json_t *e, *f;
	size_t i;

	if (cfg_array(v, path, err) < 0)
		return (-1);
	if (json_array_size(v) == 0)
		return (0);
	if ((*out = calloc(json_array_size(v), sizeof(**out))) == NULL)
		return (berth_error_sys(err, "%s", path));
	json_array_foreach(v, i, e) {
		cfg_path(sub, "%s[%zu]", path, i);
		m = &(*out)[i];
		if (!json_is_object(e) || json_object_size(e) != 3)
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s: expected containerID, hostID and size", sub));
		if ((f = json_object_get(e, "containerID")) == NULL ||
		    cfg_uint32(f, sub, &m->container, err) < 0 ||
		    (f = json_object_get(e, "hostID")) == NULL ||
		    cfg_uint32(f, sub, &m->host, err) < 0 ||
		    (f = json_object_get(e, "size")) == NULL ||
		    cfg_uint32(f, sub, &m->size, err) < 0) {
			if (!berth_error_isset(err))
				berth_error_set(err, RT_E_SPEC, 0,
				    "%s: expected containerID, hostID and "
				    "size", sub);
			return (-1);
		}
		(*n)++;
	}
	return (0);
}

static int
cfg_uid_mappings(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	return (idmaps_parse(v, path, &c->spec->uid_mappings,
	    &c->spec->nuid_mappings, err));
}

static int
cfg_gid_mappings(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	return (idmaps_parse(v, path, &c->spec->gid_mappings,
	    &c->spec->ngid_mappings, err));
}

static int
cfg_device_path(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	struct rt_device *d = c->item;

	if (cfg_string(v, path, &d->path, err) < 0)
		return (-1);
	if (strncmp(d->path, "/dev/", 5) != 0 || strstr(d->path, "/../"))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: \"%s\" is not below /dev", path, d->path));
	return (0);
}

static int
cfg_device_type(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	struct rt_device *d = c->item;
	const char *t;

	if (!json_is_string(v))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected a string", path));
	t = json_string_value(v);
	/* "u", an unbuffered character device, is made as one. */
	if (strcmp(t, "c") == 0 || strcmp(t, "u") == 0)
		d->type = 'c';
	else if (strcmp(t, "b") == 0 || strcmp(t, "p") == 0)
		d->type = t[0];
	else
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: unknown device type \"%s\"", path, t));
	return (0);
}

#define DEVICE_U32_FN(fn, field, type)					\
static int								\
fn(struct cfg *c, json_t *v, const char *path, struct berth_error *err)	\
{									\
	uint32_t n;							\
									\
	if (cfg_uint32(v, path, &n, err) < 0)				\
		return (-1);						\
	((struct rt_device *)c->item)->field = (type)n;			\
	return (0);							\
}
DEVICE_U32_FN(cfg_device_major, major, uint32_t)
DEVICE_U32_FN(cfg_device_minor, minor, uint32_t)
DEVICE_U32_FN(cfg_device_mode, mode, mode_t)
DEVICE_U32_FN(cfg_device_uid, uid, uid_t)
DEVICE_U32_FN(cfg_device_gid, gid, gid_t)

static const struct cfg_field device_fields[] = {
	{ "path", cfg_device_path, NULL },
	{ "type", cfg_device_type, NULL },
	{ "major", cfg_device_major, NULL },
	{ "minor", cfg_device_minor, NULL },
	{ "fileMode", cfg_device_mode, NULL },
	{ "uid", cfg_device_uid, NULL },
	{ "gid", cfg_device_gid, NULL },
	{ NULL, NULL, NULL }
};

static int
cfg_devices(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	struct rt_spec *spec = c->spec;
	char sub[CFG_PATH_MAX];
	struct rt_device *d;
	json_t *e;
	size_t i;

	if (cfg_array(v, path, err) < 0)
		return (-1);
	if (json_array_size(v) == 0)
		return (0);
	if ((spec->devices = calloc(json_array_size(v),
	    sizeof(*spec->devices))) == NULL)
		return (berth_error_sys(err, "%s", path));
	json_array_foreach(v, i, e) {
		cfg_path(sub, "%s[%zu]", path, i);
		d = &spec->devices[spec->ndevices++];
		d->mode = 0666;		/* runc's default fileMode */
		c->item = d;
		if (cfg_walk(c, e, sub, device_fields, err) < 0)
			return (-1);
		if (d->path == NULL || d->type == '\0')
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s: path and type are required", sub));
		if (d->mode > 07777)
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s.fileMode: %o has file type bits; only the "
			    "permissions are supported", sub,
			    (unsigned)d->mode));
		if (d->type != 'p' && json_object_get(e, "major") == NULL)
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s: major and minor are required", sub));
	}
	c->item = NULL;
	return (0);
}

/*
 * runc reads cgroupsPath as a path: absolute paths are taken from the
 * hierarchies' roots, relative ones below the runtime's own cgroup.  The
 * spawner's cgroup paths are relative to berth's parent cgroup: an
 * absolute path loses its leading slashes, so both forms name a cgroup
 * the cgroup module creates and owns.
 */
static int
cfg_cgroups_path(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	cleanup_free char *s = NULL;
	const char *p;

	if (cfg_string(v, path, &s, err) < 0)
		return (-1);
	if (strchr(s, ':') != NULL)
		return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
		    "%s \"%s\": the systemd form slice:prefix:name is not "
		    "supported", path, s));
	for (p = s; *p == '/'; p++)
		;
	if (*p == '\0')
		return (0);
	if (strcmp(p, "..") == 0 || strncmp(p, "../", 3) == 0 ||
	    strstr(p, "/../") != NULL || (strlen(p) >= 3 &&
	    strcmp(p + strlen(p) - 3, "/..") == 0))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s \"%s\": \"..\" is not allowed", path, s));
	free(c->spec->cgroup_path);
	if ((c->spec->cgroup_path = strdup(p)) == NULL)
		return (berth_error_sys(err, "%s", path));
	return (0);
}

static int
cfg_rootfs_propagation(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	static const struct {
		const char	*name;
		unsigned long	 flags;
	} modes[] = {
		{ "private", MS_PRIVATE },
		{ "rprivate", MS_PRIVATE | MS_REC },
		{ "slave", MS_SLAVE },
		{ "rslave", MS_SLAVE | MS_REC },
		{ "shared", MS_SHARED },
		{ "rshared", MS_SHARED | MS_REC },
		{ "unbindable", MS_UNBINDABLE },
		{ "runbindable", MS_UNBINDABLE | MS_REC },
	};
	size_t i;

	if (!json_is_string(v))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected a string", path));
	if (json_string_length(v) == 0)
		return (0);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(modes[i].name, json_string_value(v)) == 0) {
			c->spec->rootfs_propagation = modes[i].flags;
			return (0);
		}
	return (berth_error_set(err, RT_E_SPEC, 0,
	    "%s: unknown propagation \"%s\"", path, json_string_value(v)));
}

static int
cfg_masked_paths(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	return (cfg_string_array(v, path, &c->spec->masked_paths, NULL, err));
}

static int
cfg_readonly_paths(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	return (cfg_string_array(v, path, &c->spec->readonly_paths, NULL,
	    err));
}

/* linux.sysctl: {"net.ipv4.ip_forward": "1"} -> "net.ipv4.ip_forward=1";
 * the spawner refuses the ones no namespace of the container covers. */
static int
cfg_sysctl(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	const char *key;
	size_t n = 0;
	json_t *val;
	char **out;

	if (!json_is_object(v))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected an object", path));
	if ((out = calloc(json_object_size(v) + 1, sizeof(*out))) == NULL)
		return (berth_error_sys(err, "%s", path));
	c->spec->sysctls = out;
	json_object_foreach(v, key, val) {
		if (!json_is_string(val))
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s.%s: expected a string", path, key));
		if (asprintf(&out[n], "%s=%s", key, json_string_value(val)) < 0) {
			out[n] = NULL;
			return (berth_error_sys(err, "%s", path));
		}
		n++;
	}
	return (0);
}

static const struct cfg_field linux_fields[] = {
	{ "namespaces", cfg_namespaces, NULL },
	{ "uidMappings", cfg_uid_mappings, NULL },
	{ "gidMappings", cfg_gid_mappings, NULL },
	{ "timeOffsets", NULL, "(time namespace)" },
	{ "devices", cfg_devices, NULL },
	{ "cgroupsPath", cfg_cgroups_path, NULL },
	{ "resources", cfg_resources, NULL },
	{ "rootfsPropagation", cfg_rootfs_propagation, NULL },
	{ "seccomp", cfg_seccomp, NULL },
	{ "sysctl", cfg_sysctl, NULL },
	{ "maskedPaths", cfg_masked_paths, NULL },
	{ "readonlyPaths", cfg_readonly_paths, NULL },
	{ "mountLabel", NULL, "(SELinux)" },
	{ "intelRdt", NULL, NULL },
	{ "personality", NULL, NULL },
	{ "memoryPolicy", NULL, NULL },
	{ "netDevices", NULL, NULL },
	{ NULL, NULL, NULL }
};

int
cfg_linux(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	return (cfg_walk(c, v, path, linux_fields, err));
}
