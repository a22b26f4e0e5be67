/*
 * io.berth.Image calls answered on the loop: they read or change a few
 * rows and at most a config of bounded size (IMAGE_JSON_MAX) per image.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cleanup.h"
#include "daemon.h"
#include "db.h"
#include "events.h"
#include "image-info.h"
#include "image.h"
#include "json-pack.h"
#include "json-util.h"
#include "message.h"
#include "reference.h"
#include "store.h"

#define NAME_MAX_LEN	1024

static int
param_name(const struct call *call, const char *key, char *buf, size_t size,
    struct berth_error *err)
{
	const msgpack_object *v = msgpack_map_get(call->parameters, key);

	if (v == NULL || !msgpack_str_copy(v, buf, size)) {
		berth_error_set(err, BERTH_E_INVALID_PARAM, 0, "parameter "
		    "'%s': expected an image name of at most %zu bytes", key,
		    size - 1);
		return (berth_error_param_str(err, "parameter", key));
	}
	return (0);
}

bool
image_param_bool(const struct call *call, const char *key)
{
	const msgpack_object *v = msgpack_map_get(call->parameters, key);

	return (v != NULL && v->type == MSGPACK_OBJECT_BOOLEAN &&
	    v->via.boolean);
}

int
image_normalize_tag(const char *s, char **out, struct berth_error *err)
{
	cleanup_reference struct reference ref = REFERENCE_INIT;

	*out = NULL;
	if (reference_parse(s, &ref, err) < 0) {
		berth_error_param_str(err, "reference", s);
		return (-1);
	}
	if (ref.digest != NULL) {
		berth_error_set(err, IMAGE_E_INVALID_REF, 0, "%s: a tag "
		    "cannot name a digest", s);
		return (berth_error_param_str(err, "reference", s));
	}
	if ((*out = reference_string(&ref)) == NULL)
		return (berth_error_sys(err, "reference %s", s));
	return (0);
}

int
image_resolve(struct daemon *d, const char *name, char id[DIGEST_STR_SIZE],
    char **ref, struct berth_error *err)
{
	cleanup_error struct berth_error ignored = BERTH_ERROR_INIT;
	char *full = NULL;

	if (ref != NULL)
		*ref = NULL;
	if (store_image_find(d->store, name, id, err) < 0)
		return (-1);
	/* Was it found as a reference? Then that reference resolves to
	 * this very id. */
	if (ref != NULL && reference_normalize(name, &full, &ignored) == 0) {
		char rid[DIGEST_STR_SIZE];

		if (db_resolve(store_db(d->store), full, rid, &ignored) == 0 &&
		    strcmp(rid, id) == 0)
			*ref = full;
		else
			free(full);
	}
	return (0);
}

int
image_refs(struct daemon *d, const char *id, char ***refs, size_t *n,
    struct berth_error *err)
{
	struct db_image_info *list = NULL;
	size_t count = 0, i;

	*refs = NULL;
	*n = 0;
	if (db_image_list(store_db(d->store), &list, &count, err) < 0)
		return (-1);
	for (i = 0; i < count; i++)
		if (strcmp(list[i].id, id) == 0) {
			*refs = steal_pointer(&list[i].refs);
			*n = list[i].nrefs;
			list[i].nrefs = 0;
			break;
		}
	db_image_list_free(list, count);
	return (0);
}

static char *
familiar(const char *full)
{
	cleanup_reference struct reference ref = REFERENCE_INIT;
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;

	if (reference_parse(full, &ref, &err) < 0)
		return (strdup(full));
	return (reference_familiar(&ref));
}

/* ---- List --------------------------------------------------------- */

static void
pack_json_or(msgpack_packer *pk, json_t *v, int empty_map)
{
	if (v != NULL && !json_is_null(v))
		json_pack_msgpack(pk, v);
	else if (empty_map)
		msgpack_pack_map(pk, 0);
	else
		msgpack_pack_array(pk, 0);
}

static int
pack_summary(struct daemon *d, msgpack_packer *pk,
    const struct db_image_info *info, struct berth_error *err)
{
	struct store_db *db = store_db(d->store);
	cleanup_json json_t *doc = NULL;
	uint64_t size, shared;
	int holders;
	json_t *config;

	if (store_image_inspect(d->store, info->id, &doc, err) < 0 ||
	    db_image_usage(db, info->id, &size, &shared, err) < 0 ||
	    db_image_holders(db, info->id, &holders, err) < 0)
		return (-1);
	config = json_object_get(doc, "Config");
	msgpack_pack_map(pk, 8);
	pack_kv_str(pk, "id", info->id);
	pack_str(pk, "repo_tags");
	pack_json_or(pk, json_object_get(doc, "RepoTags"), 0);
	pack_str(pk, "repo_digests");
	pack_json_or(pk, json_object_get(doc, "RepoDigests"), 0);
	pack_str(pk, "created");
	msgpack_pack_int64(pk, info->created);
	pack_str(pk, "size");
	msgpack_pack_uint64(pk, size);
	pack_str(pk, "shared_size");
	msgpack_pack_uint64(pk, shared);
	pack_str(pk, "labels");
	pack_json_or(pk, config != NULL ? json_object_get(config, "Labels") :
	    NULL, 1);
	pack_str(pk, "containers");
	msgpack_pack_int(pk, holders);
	return (0);
}

int
image_list(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	struct db_image_info *list = NULL;
	size_t n = 0, i;
	int rc = 0;

	(void)p;
	(void)call;
	if (db_image_list(store_db(d->store), &list, &n, err) < 0)
		return (-1);
	msgpack_pack_map(pk, 1);
	pack_str(pk, "images");
	msgpack_pack_array(pk, n);
	for (i = 0; i < n && rc == 0; i++)
		rc = pack_summary(d, pk, &list[i], err);
	db_image_list_free(list, n);
	return (rc);
}

/* ---- Inspect, History --------------------------------------------- */

/* A document of the image the call names, under key. */
static int
pack_document(struct daemon *d, const struct call *call, const char *key,
    int (*doc_fn)(struct store *, const char *, json_t **,
    struct berth_error *), msgpack_packer *pk, struct berth_error *err)
{
	cleanup_json json_t *doc = NULL;
	char name[NAME_MAX_LEN], id[DIGEST_STR_SIZE];

	if (param_name(call, "image", name, sizeof(name), err) < 0 ||
	    image_resolve(d, name, id, NULL, err) < 0 ||
	    doc_fn(d->store, id, &doc, err) < 0)
		return (-1);
	msgpack_pack_map(pk, 1);
	pack_str(pk, key);
	json_pack_msgpack(pk, doc);
	return (0);
}

int
image_inspect(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	(void)p;
	return (pack_document(d, call, "image", store_image_inspect, pk, err));
}

int
image_history(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	(void)p;
	return (pack_document(d, call, "history", store_image_history, pk,
	    err));
}

/* ---- Tag, Remove -------------------------------------------------- */

int
image_tag(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	char source[NAME_MAX_LEN], target[NAME_MAX_LEN], id[DIGEST_STR_SIZE];
	cleanup_free char *ref = NULL, *name = NULL;

	(void)p;
	if (param_name(call, "source", source, sizeof(source), err) < 0 ||
	    param_name(call, "target", target, sizeof(target), err) < 0 ||
	    image_resolve(d, source, id, NULL, err) < 0 ||
	    image_normalize_tag(target, &ref, err) < 0 ||
	    db_tag(store_db(d->store), ref, id, err) < 0)
		return (-1);
	/* Docker names the new tag in its short form. */
	name = familiar(ref);
	event_image(d, "tag", id, name != NULL ? name : ref);
	msgpack_pack_map(pk, 0);
	return (0);
}

static int
in_use(struct berth_error *err, const char *name, const char *fmt,
    const char *detail)
{
	berth_error_set(err, IMAGE_E_IN_USE, 0, fmt, name, detail);
	berth_error_param_str(err, "image", name);
	return (berth_error_param_str(err, "reason", detail));
}

/*
 * Docker's rmi: a reference is untagged, and its image deleted once no
 * reference is left and no container holds it.  An id deletes the image:
 * refused while it has several references or a holder, unless force,
 * which untags every reference (and deletes the image when no container
 * holds it: a container's layers stay while it exists).
 */
int
image_remove(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	struct store_db *db = store_db(d->store);
	char name[NAME_MAX_LEN], id[DIGEST_STR_SIZE];
	cleanup_free char *ref = NULL;
	char **refs = NULL;
	size_t nrefs = 0, i, nuntag = 0;
	bool force = image_param_bool(call, "force"), delete;
	int holders, rc = -1;

	(void)p;
	if (param_name(call, "image", name, sizeof(name), err) < 0 ||
	    image_resolve(d, name, id, &ref, err) < 0 ||
	    image_refs(d, id, &refs, &nrefs, err) < 0 ||
	    db_image_holders(db, id, &holders, err) < 0)
		goto out;
	if (ref != NULL) {
		/* The last reference of a held image stays unless forced. */
		if (nrefs == 1 && holders > 0 && !force) {
			in_use(err, name, "unable to remove %s: %s (must "
			    "force)", "a container is using it");
			goto out;
		}
		nuntag = 1;
		delete = nrefs == 1 && holders == 0;
	} else {
		if (nrefs > 1 && !force) {
			in_use(err, name, "unable to delete %s: %s (must be "
			    "forced)", "it is referenced in multiple "
			    "repositories");
			goto out;
		}
		if (holders > 0 && !force) {
			in_use(err, name, "unable to delete %s: %s (must be "
			    "forced)", "a container is using it");
			goto out;
		}
		nuntag = nrefs;
		delete = holders == 0;
	}
	if (db_image_remove(db, ref != NULL ? (const char *const *)&ref :
	    (const char *const *)refs, nuntag, delete ? id : NULL, err) < 0)
		goto out;
	/* Docker's events: one untag per reference, naming the image. */
	for (i = 0; i < nuntag; i++)
		event_image(d, "untag", id, id);
	if (delete)
		event_image(d, "delete", id, id);
	msgpack_pack_map(pk, 2);
	pack_str(pk, "untagged");
	msgpack_pack_array(pk, nuntag);
	for (i = 0; i < nuntag; i++) {
		cleanup_free char *f = familiar(ref != NULL ? ref : refs[i]);

		pack_str(pk, f != NULL ? f : "");
	}
	pack_str(pk, "deleted");
	msgpack_pack_array(pk, delete ? 1 : 0);
	if (delete)
		pack_str(pk, id);
	rc = 0;
out:
	db_strv_free(refs, nrefs);
	return (rc);
}

/* ---- DiskUsage ---------------------------------------------------- */

int
image_disk_usage(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	struct store_db *db = store_db(d->store);
	struct db_image_info *list = NULL;
	uint64_t size, shared, layers, blobs;
	size_t n = 0, i, j;
	int holders, rc = -1;

	(void)p;
	(void)call;
	if (db_image_list(db, &list, &n, err) < 0)
		return (-1);
	if (db_store_usage(db, &layers, &blobs, err) < 0)
		goto out;
	msgpack_pack_map(pk, 3);
	pack_str(pk, "images");
	msgpack_pack_array(pk, n);
	for (i = 0; i < n; i++) {
		if (db_image_usage(db, list[i].id, &size, &shared, err) < 0 ||
		    db_image_holders(db, list[i].id, &holders, err) < 0)
			goto out;
		msgpack_pack_map(pk, 7);
		pack_kv_str(pk, "id", list[i].id);
		pack_str(pk, "repo_tags");
		msgpack_pack_array(pk, list[i].nrefs);
		for (j = 0; j < list[i].nrefs; j++) {
			cleanup_free char *f = familiar(list[i].refs[j]);

			pack_str(pk, f != NULL ? f : list[i].refs[j]);
		}
		pack_str(pk, "created");
		msgpack_pack_int64(pk, list[i].created);
		pack_str(pk, "size");
		msgpack_pack_uint64(pk, size);
		pack_str(pk, "shared_size");
		msgpack_pack_uint64(pk, shared);
		pack_str(pk, "unique_size");
		msgpack_pack_uint64(pk, size - shared);
		pack_str(pk, "containers");
		msgpack_pack_int(pk, holders);
	}
	pack_str(pk, "layers_size");
	msgpack_pack_uint64(pk, layers);
	pack_str(pk, "blobs_size");
	msgpack_pack_uint64(pk, blobs);
	rc = 0;
out:
	db_image_list_free(list, n);
	return (rc);
}
