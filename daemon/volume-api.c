/*
 * io.berth.Volume's calls: Create, List, Inspect, Remove, Prune.  Each is
 * a few rows and a directory or two, on the loop; a removed volume's
 * files go in a helper (volume_destroy).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "db.h"
#include "events.h"
#include "json-pack.h"
#include "json-util.h"
#include "job.h"
#include "log.h"
#include "prune.h"
#include "strv.h"
#include "store.h"
#include "volume.h"

static int
bad_param(struct berth_error *err, const char *name)
{
	berth_error_set(err, BERTH_E_INVALID_PARAM, 0, "parameter '%s': "
	    "invalid", name);
	return (berth_error_param_str(err, "parameter", name));
}

/* A [string]string map as a JSON object. */
static json_t *
string_map(const msgpack_object *o)
{
	json_t *j = json_object();
	char k[1024], v[4096];
	uint32_t i;

	if (j == NULL || o == NULL || o->type != MSGPACK_OBJECT_MAP)
		return (j);
	for (i = 0; i < o->via.map.size; i++) {
		if (!msgpack_str_copy(&o->via.map.ptr[i].key, k, sizeof(k)) ||
		    !msgpack_str_copy(&o->via.map.ptr[i].val, v, sizeof(v)) ||
		    json_object_set_new(j, k, json_string(v)) < 0) {
			json_decref(j);
			return (NULL);
		}
	}
	return (j);
}

/* Docker's volume events: the driver as an attribute. */
static void
volume_event(struct daemon *d, const char *action, const char *name)
{
	event_emit(d, "volume", action, name, json_pack("{s:s}", "driver",
	    "local"));
}

static int
param_name(const struct call *call, const char *key, char *buf,
    size_t size, struct berth_error *err)
{
	if (!msgpack_str_copy(msgpack_map_get(call->parameters, key), buf,
	    size))
		return (bad_param(err, key));
	return (0);
}

int
volume_api_create(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *nv = msgpack_map_get(call->parameters, "name");
	const msgpack_object *dv = msgpack_map_get(call->parameters, "driver");
	cleanup_json json_t *labels = NULL, *options = NULL, *doc = NULL;
	cleanup_free char *ltext = NULL, *otext = NULL;
	char name[VOLUME_NAME_MAX + 2], driver[64] = "local";
	struct volume v, got;
	bool created;

	(void)p;
	memset(&v, 0, sizeof(v));
	if (nv != NULL && nv->type == MSGPACK_OBJECT_STR &&
	    nv->via.str.size > 0) {
		if (!msgpack_str_copy(nv, name, sizeof(name))) {
			berth_error_set(err, VOLUME_E_CONFIG, 0, "create: the "
			    "volume name is longer than %d characters",
			    VOLUME_NAME_MAX);
			return (berth_error_param_str(err, "field", "name"));
		}
	} else if (volume_random_name(name, err) < 0)
		return (-1);
	if (dv != NULL && dv->type == MSGPACK_OBJECT_STR &&
	    !msgpack_str_copy(dv, driver, sizeof(driver)))
		return (bad_param(err, "driver"));
	labels = string_map(msgpack_map_get(call->parameters, "labels"));
	options = string_map(msgpack_map_get(call->parameters, "options"));
	if (labels == NULL || options == NULL ||
	    (ltext = json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS)) ==
	    NULL || (otext = json_dumps(options, JSON_COMPACT |
	    JSON_SORT_KEYS)) == NULL)
		return (berth_error_sys(err, "create volume"));
	v.name = name;
	v.driver = driver;
	v.labels = ltext;
	v.options = otext;
	if (volume_create(store_db(d->store), d->cfg.root, &v, &created,
	    err) < 0)
		return (-1);
	if (created)
		log_info("volume", "%s created", name);
	if (volume_get(store_db(d->store), name, &got, err) < 0)
		return (-1);
	doc = volume_doc(d, &got);
	volume_clear(&got);
	if (doc == NULL)
		return (berth_error_sys(err, "create volume"));
	volume_event(d, "create", name);
	msgpack_pack_map(pk, 1);
	pack_str(pk, "volume");
	json_pack_msgpack(pk, doc);
	return (0);
}

/* Filters: every key must match, a key any of its values. */
static bool
label_match(const char *labels_text, const char *want)
{
	cleanup_json json_t *l = NULL;
	json_error_t jerr;
	const char *eq = strchr(want, '=');
	cleanup_free char *key = eq != NULL ? strndup(want,
	    (size_t)(eq - want)) : strdup(want);
	json_t *v;

	l = json_loads(labels_text != NULL ? labels_text : "{}", 0, &jerr);
	if (key == NULL || (v = json_object_get(l, key)) == NULL)
		return (false);
	return (eq == NULL || (json_is_string(v) &&
	    strcmp(json_string_value(v), eq + 1) == 0));
}

static bool
one_matches(struct daemon *d, const struct volume *v, const char *key,
    const char *val)
{
	if (strcmp(key, "name") == 0)
		return (strstr(v->name, val) != NULL);
	if (strcmp(key, "driver") == 0)
		return (strcmp(v->driver, val) == 0);
	if (strcmp(key, "label") == 0)
		return (label_match(v->labels, val));
	if (strcmp(key, "label!") == 0)
		return (!label_match(v->labels, val));
	if (strcmp(key, "dangling") == 0) {
		cleanup_error struct berth_error err = BERTH_ERROR_INIT;
		char **users = NULL;
		size_t n = 0;
		bool dangling;

		if (volume_users(store_db(d->store), v->name, &users, &n,
		    &err) < 0)
			return (false);
		db_strv_free(users, n);
		dangling = n == 0;
		return ((strcmp(val, "true") == 0 || strcmp(val, "1") == 0) ==
		    dangling);
	}
	return (false);
}

static int
check_filters(const msgpack_object *f, bool prune, struct berth_error *err)
{
	static const char *const keys[] = { "name", "driver", "label",
	    "label!", "dangling", NULL };
	static const char *const prune_keys[] = { "label", "label!", NULL };
	const char *const *k;
	char key[32];
	uint32_t i;

	if (f == NULL || f->type != MSGPACK_OBJECT_MAP)
		return (0);
	for (i = 0; i < f->via.map.size; i++) {
		if (!msgpack_str_copy(&f->via.map.ptr[i].key, key,
		    sizeof(key)))
			return (bad_param(err, "filters"));
		for (k = prune ? prune_keys : keys; *k != NULL; k++)
			if (strcmp(*k, key) == 0)
				break;
		if (*k == NULL) {
			berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "invalid filter '%s'", key);
			return (berth_error_param_str(err, "parameter",
			    "filters"));
		}
	}
	return (0);
}

static bool
matches(struct daemon *d, const struct volume *v, const msgpack_object *f)
{
	const msgpack_object *vals;
	char key[32], val[1024];
	uint32_t i, k;
	bool any;

	if (f == NULL || f->type != MSGPACK_OBJECT_MAP)
		return (true);
	for (i = 0; i < f->via.map.size; i++) {
		vals = &f->via.map.ptr[i].val;
		if (!msgpack_str_copy(&f->via.map.ptr[i].key, key,
		    sizeof(key)) || vals->type != MSGPACK_OBJECT_ARRAY ||
		    vals->via.array.size == 0)
			continue;
		any = false;
		for (k = 0; k < vals->via.array.size && !any; k++)
			if (msgpack_str_copy(&vals->via.array.ptr[k], val,
			    sizeof(val)))
				any = one_matches(d, v, key, val);
		if (!any)
			return (false);
	}
	return (true);
}

int
volume_api_list(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *f = msgpack_map_get(call->parameters,
	    "filters");
	cleanup_json json_t *out = json_array();
	struct volume *vols = NULL;
	size_t n = 0, i;

	(void)p;
	if (out == NULL)
		return (berth_error_sys(err, "list volumes"));
	if (check_filters(f, false, err) < 0 ||
	    volume_list(store_db(d->store), &vols, &n, err) < 0)
		return (-1);
	for (i = 0; i < n; i++)
		if (matches(d, &vols[i], f))
			json_array_append_new(out, volume_doc(d, &vols[i]));
	volume_list_free(vols, n);
	msgpack_pack_map(pk, 1);
	pack_str(pk, "volumes");
	json_pack_msgpack(pk, out);
	return (0);
}

int
volume_api_inspect(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	cleanup_json json_t *doc = NULL;
	char name[VOLUME_NAME_MAX + 2];
	struct volume v;

	(void)p;
	if (param_name(call, "volume", name, sizeof(name), err) < 0)
		return (-1);
	if (volume_get(store_db(d->store), name, &v, err) < 0)
		return (-1);
	doc = volume_doc(d, &v);
	volume_clear(&v);
	if (doc == NULL)
		return (berth_error_sys(err, "inspect volume"));
	msgpack_pack_map(pk, 1);
	pack_str(pk, "volume");
	json_pack_msgpack(pk, doc);
	return (0);
}

int
volume_api_remove(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *fv = msgpack_map_get(call->parameters, "force");
	bool force = fv != NULL && fv->type == MSGPACK_OBJECT_BOOLEAN &&
	    fv->via.boolean;
	char name[VOLUME_NAME_MAX + 2];

	(void)p;
	if (param_name(call, "volume", name, sizeof(name), err) < 0)
		return (-1);
	if (volume_destroy(d, name, err) == 0)
		volume_event(d, "destroy", name);
	else if (force && berth_error_is(err, VOLUME_E_NOT_FOUND))
		berth_error_clear(err);	/* -f: no error, and no event */
	else
		return (-1);
	msgpack_pack_map(pk, 0);
	return (0);
}

/* Volumes are removed (rows, moves aside) here; their files by helpers,
 * whose count of the bytes freed is the reply's (prune.h). */
int
volume_api_prune(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *f = msgpack_map_get(call->parameters,
	    "filters");
	const msgpack_object *av = msgpack_map_get(call->parameters, "all");
	bool all = av != NULL && av->type == MSGPACK_OBJECT_BOOLEAN &&
	    av->via.boolean;
	cleanup_json json_t *deleted = json_array();
	struct volume *vols = NULL;
	char **trash = NULL, dir[4096];
	size_t n = 0, ntrash = 0, i;
	int rc = -1;

	if (deleted == NULL)
		return (berth_error_sys(err, "prune volumes"));
	if (check_filters(f, true, err) < 0 ||
	    volume_list(store_db(d->store), &vols, &n, err) < 0)
		return (-1);
	if ((trash = calloc(n + 1, sizeof(*trash))) == NULL) {
		berth_error_sys(err, "prune volumes");
		goto out;
	}
	for (i = 0; i < n; i++) {
		cleanup_error struct berth_error e2 = BERTH_ERROR_INIT;
		char t[VOLUME_TRASH_MAX];

		/* Docker 23: named volumes only with all. */
		if ((!all && !vols[i].anonymous) || !matches(d, &vols[i], f))
			continue;
		/* In use: refused by the store, and skipped. */
		if (volume_destroy_aside(d, vols[i].name, t, &e2) < 0) {
			if (!berth_error_is(&e2, VOLUME_E_IN_USE))
				log_warn("volume", "prune: %s",
				    berth_error_message(&e2));
			continue;
		}
		json_array_append_new(deleted, json_string(vols[i].name));
		volume_event(d, "destroy", vols[i].name);
		prune_add_trash(trash, &ntrash, "volume", t);
	}
	volume_trash_dir(d, dir, sizeof(dir));
	rc = prune_reply(d, p, "volume", dir, deleted, trash, ntrash, pk);
out:
	strv_free(trash);
	volume_list_free(vols, n);
	return (rc);
}
