/*
 * config.json's "linux.seccomp" into a seccomp profile.  OCI's object is
 * Docker's profile format without includes/excludes, so it is checked
 * field by field (the ones the spawner cannot honour refused: flags, the
 * notify listener), rebuilt as Docker-format JSON text and handed to
 * seccomp_profile_from_json, which knows the action, operator and
 * architecture names.
 */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config.h"
#include "seccomp.h"

static int
keys_check(json_t *obj, const char *path, const char *const *keys,
    struct berth_error *err)
{
	const char *key;
	size_t i;
	json_t *v;

	if (!json_is_object(obj))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected an object", path));
	json_object_foreach(obj, key, v) {
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(keys[i], key) == 0)
				break;
		if (keys[i] == NULL)
			return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
			    "%s.%s is not supported (unknown field)", path,
			    key));
	}
	return (0);
}

/* Copy obj's keys (when present) into out. */
static int
keys_copy(json_t *out, json_t *obj, const char *const *keys,
    struct berth_error *err)
{
	size_t i;
	json_t *v;

	for (i = 0; keys[i] != NULL; i++) {
		if ((v = json_object_get(obj, keys[i])) == NULL ||
		    json_is_null(v))
			continue;
		if (json_object_set(out, keys[i], v) < 0)
			return (berth_error_set(err, BERTH_E_INTERNAL, 0,
			    "seccomp: out of memory"));
	}
	return (0);
}

static int
action_check(json_t *v, const char *path, struct berth_error *err)
{
	if (!json_is_string(v))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected a string", path));
	if (strcmp(json_string_value(v), "SCMP_ACT_NOTIFY") == 0)
		return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
		    "%s: SCMP_ACT_NOTIFY is not supported (no seccomp "
		    "listener)", path));
	return (0);
}

static json_t *
syscall_convert(json_t *e, const char *path, struct berth_error *err)
{
	static const char *const keys[] = { "names", "action", "errnoRet",
	    "args", NULL };
	static const char *const arg_keys[] = { "index", "value",
	    "valueTwo", "op", NULL };
	cleanup_json json_t *out = json_object();
	char sub[CFG_PATH_MAX];
	json_t *args, *a;
	size_t i;

	if (out == NULL) {
		berth_error_set(err, BERTH_E_INTERNAL, 0, "out of memory");
		return (NULL);
	}
	if (keys_check(e, path, keys, err) < 0)
		return (NULL);
	if (!json_is_array(json_object_get(e, "names"))) {
		berth_error_set(err, RT_E_SPEC, 0,
		    "%s.names: expected an array", path);
		return (NULL);
	}
	cfg_path(sub, "%s.action", path);
	if (action_check(json_object_get(e, "action"), sub, err) < 0)
		return (NULL);
	args = json_object_get(e, "args");
	if (args != NULL && !json_is_null(args) && !json_is_array(args)) {
		berth_error_set(err, RT_E_SPEC, 0,
		    "%s.args: expected an array", path);
		return (NULL);
	}
	json_array_foreach(args, i, a) {
		cfg_path(sub, "%s.args[%zu]", path, i);
		if (keys_check(a, sub, arg_keys, err) < 0)
			return (NULL);
	}
	if (keys_copy(out, e, keys, err) < 0)
		return (NULL);
	return (steal_pointer(&out));
}

int
oci_seccomp_to_profile_json(json_t *oci, const char *path, char **out,
    struct berth_error *err)
{
	static const char *const keys[] = { "defaultAction",
	    "defaultErrnoRet", "architectures", "flags", "listenerPath",
	    "listenerMetadata", "syscalls", NULL };
	static const char *const copied[] = { "defaultAction",
	    "defaultErrnoRet", "architectures", NULL };
	cleanup_json json_t *profile = json_object();
	cleanup_json json_t *syscalls = json_array();
	char sub[CFG_PATH_MAX];
	json_t *list, *e, *conv;
	size_t i;

	if (profile == NULL || syscalls == NULL)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "%s: out of memory", path));
	if (keys_check(oci, path, keys, err) < 0)
		return (-1);
	cfg_path(sub, "%s.flags", path);
	if ((e = json_object_get(oci, "flags")) != NULL &&
	    cfg_refuse(e, sub, "(seccomp filter flags)", err) < 0)
		return (-1);
	cfg_path(sub, "%s.listenerPath", path);
	if ((e = json_object_get(oci, "listenerPath")) != NULL &&
	    cfg_refuse(e, sub, "(seccomp notify)", err) < 0)
		return (-1);
	cfg_path(sub, "%s.listenerMetadata", path);
	if ((e = json_object_get(oci, "listenerMetadata")) != NULL &&
	    cfg_refuse(e, sub, "(seccomp notify)", err) < 0)
		return (-1);
	cfg_path(sub, "%s.defaultAction", path);
	if ((e = json_object_get(oci, "defaultAction")) == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0, "%s is required",
		    sub));
	if (action_check(e, sub, err) < 0)
		return (-1);
	if (keys_copy(profile, oci, copied, err) < 0)
		return (-1);
	list = json_object_get(oci, "syscalls");
	if (list != NULL && !json_is_null(list) && !json_is_array(list))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s.syscalls: expected an array", path));
	json_array_foreach(list, i, e) {
		cfg_path(sub, "%s.syscalls[%zu]", path, i);
		if ((conv = syscall_convert(e, sub, err)) == NULL)
			return (-1);
		if (json_array_append_new(syscalls, conv) < 0)
			return (berth_error_set(err, BERTH_E_INTERNAL, 0,
			    "%s: out of memory", path));
	}
	if (json_object_set(profile, "syscalls", syscalls) < 0 ||
	    (*out = json_dumps(profile, JSON_COMPACT)) == NULL)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "%s: out of memory", path));
	return (0);
}

int
cfg_seccomp(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	cleanup_free char *text = NULL;

	if (oci_seccomp_to_profile_json(v, path, &text, err) < 0)
		return (-1);
	if (c->spec->seccomp != NULL) {
		seccomp_profile_free(c->spec->seccomp);
		c->spec->seccomp = NULL;
	}
	if (seccomp_profile_from_json(text, &c->spec->seccomp, err) < 0)
		return (berth_error_wrap(err, "%s", path));
	return (0);
}
