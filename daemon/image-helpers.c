/*
 * The helpers' side of io.berth.Image's long calls (berthd --helper
 * image-load, image-import, image-save, image-prune): each opens the
 * store without recovery, takes the store lock, does the work with its
 * fd 0 or 1 as the archive, and packs the result for the loop
 * (image-stream.c).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "db.h"
#include "import.h"
#include "image.h"
#include "job.h"
#include "load.h"
#include "message.h"
#include "progress.h"
#include "reference.h"
#include "save.h"
#include "store.h"

static void
child_progress(void *arg, const char *action, const char *id,
    uint64_t current, uint64_t total, const char *message)
{
	(void)job_child_progress(arg, action, id, current, total, message);
}

/* A string argument, copied (NULL when absent). */
static int
arg_str(const msgpack_object *args, const char *key, char **out,
    struct berth_error *err)
{
	const msgpack_object *v = msgpack_map_get(args, key);

	*out = NULL;
	if (v == NULL || v->type != MSGPACK_OBJECT_STR)
		return (0);
	if ((*out = strndup(v->via.str.ptr, v->via.str.size)) == NULL)
		return (berth_error_sys(err, "%s", key));
	return (0);
}

/* A string array argument, copied into a NULL-terminated vector. */
static int
arg_strv(const msgpack_object *args, const char *key, char ***out,
    size_t *n, struct berth_error *err)
{
	const msgpack_object *v = msgpack_map_get(args, key);
	uint32_t i;

	*out = NULL;
	*n = 0;
	if (v == NULL || v->type != MSGPACK_OBJECT_ARRAY)
		return (0);
	if ((*out = calloc(v->via.array.size + 1, sizeof(char *))) == NULL)
		return (berth_error_sys(err, "%s", key));
	for (i = 0; i < v->via.array.size; i++) {
		const msgpack_object *o = &v->via.array.ptr[i];

		if (o->type != MSGPACK_OBJECT_STR ||
		    ((*out)[i] = strndup(o->via.str.ptr,
		    o->via.str.size)) == NULL)
			return (berth_error_sys(err, "%s", key));
		(*n)++;
	}
	return (0);
}

static int
arg_uint(const msgpack_object *args, const char *key)
{
	const msgpack_object *v = msgpack_map_get(args, key);

	return (v != NULL && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
	    (int)v->via.u64 : 0);
}

static void
cleanup_strvp(char ***v)
{
	size_t i;

	if (*v == NULL)
		return;
	for (i = 0; (*v)[i] != NULL; i++)
		free((*v)[i]);
	free(*v);
}
#define cleanup_strv	__attribute__((cleanup(cleanup_strvp)))

static int
open_locked(const msgpack_object *args, bool exclusive, struct store **st,
    struct berth_error *err)
{
	cleanup_free char *root = NULL;

	if (arg_str(args, "root", &root, err) < 0)
		return (-1);
	if (root == NULL)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0, "helper: "
		    "no root"));
	if (store_open_shared(root, st, err) < 0)
		return (-1);
	if (store_lock(*st, exclusive, err) < 0) {
		store_close(*st);
		*st = NULL;
		return (-1);
	}
	return (0);
}

static void
pack_familiar(msgpack_packer *pk, const char *full)
{
	cleanup_reference struct reference ref = REFERENCE_INIT;
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_free char *f = NULL;

	if (reference_parse(full, &ref, &err) == 0)
		f = reference_familiar(&ref);
	pack_str(pk, f != NULL ? f : full);
}

int
image_load_child(const msgpack_object *args, struct job_child *c,
    msgpack_packer *pk, struct berth_error *err)
{
	struct store_progress prog = { child_progress, c };
	cleanup_load_result struct load_result res = LOAD_RESULT_INIT;
	cleanup_store struct store *st = NULL;
	size_t i, j;

	if (open_locked(args, false, &st, err) < 0 ||
	    store_load_progress(st, 0, &prog, &res, err) < 0)
		return (-1);
	msgpack_pack_map(pk, 1);
	pack_str(pk, "images");
	msgpack_pack_array(pk, res.nimages);
	for (i = 0; i < res.nimages; i++) {
		msgpack_pack_map(pk, 2);
		pack_kv_str(pk, "id", res.images[i].id);
		pack_str(pk, "references");
		msgpack_pack_array(pk, res.images[i].nrefs);
		for (j = 0; j < res.images[i].nrefs; j++)
			pack_familiar(pk, res.images[i].refs[j]);
	}
	return (0);
}

int
image_import_child(const msgpack_object *args, struct job_child *c,
    msgpack_packer *pk, struct berth_error *err)
{
	struct store_progress prog = { child_progress, c };
	cleanup_store struct store *st = NULL;
	cleanup_free char *ref = NULL, *message = NULL, *plat = NULL;
	cleanup_strv char **changes = NULL;
	struct import_options opt = { 0 };
	char id[DIGEST_STR_SIZE], *slash;
	size_t nchanges;

	if (arg_str(args, "reference", &ref, err) < 0 ||
	    arg_str(args, "message", &message, err) < 0 ||
	    arg_str(args, "platform", &plat, err) < 0 ||
	    arg_strv(args, "changes", &changes, &nchanges, err) < 0)
		return (-1);
	opt.ref = ref;
	opt.message = message;
	opt.changes = (const char *const *)changes;
	opt.nchanges = nchanges;
	/* "os[/arch[/variant]]" */
	if (plat != NULL) {
		opt.os = plat;
		if ((slash = strchr(plat, '/')) != NULL) {
			*slash = '\0';
			opt.architecture = slash + 1;
			if ((slash = strchr(slash + 1, '/')) != NULL) {
				*slash = '\0';
				opt.variant = slash + 1;
			}
		}
	}
	if (open_locked(args, false, &st, err) < 0 ||
	    store_import(st, 0, &opt, id, &prog, err) < 0)
		return (-1);
	msgpack_pack_map(pk, 1);
	pack_kv_str(pk, "id", id);
	return (0);
}

int
image_save_child(const msgpack_object *args, struct job_child *c,
    msgpack_packer *pk, struct berth_error *err)
{
	struct store_progress prog = { child_progress, c };
	cleanup_store struct store *st = NULL;
	cleanup_strv char **ids = NULL, **refs = NULL;
	size_t nids, nrefs;

	/* Shared: a prune must not take blobs from under the archive. */
	if (arg_strv(args, "ids", &ids, &nids, err) < 0 ||
	    arg_strv(args, "refs", &refs, &nrefs, err) < 0 ||
	    open_locked(args, false, &st, err) < 0 ||
	    store_save(st, (const char *const *)ids, nids,
	    (const char *const *)refs, nrefs,
	    (enum save_format)arg_uint(args, "format"),
	    (enum save_compression)arg_uint(args, "compression"), 1, &prog,
	    err) < 0)
		return (-1);
	msgpack_pack_map(pk, 0);
	return (0);
}

/* Images prune removes: untagged ones, or with all every one; never one a
 * container holds. */
static int
prune_images(struct store *st, bool all, msgpack_packer *deleted,
    size_t *ndeleted, msgpack_packer *untagged, size_t *nuntagged,
    struct berth_error *err)
{
	struct store_db *db = store_db(st);
	struct db_image_info *list = NULL;
	size_t n = 0, i, j;
	int holders, rc = 0;

	if (db_image_list(db, &list, &n, err) < 0)
		return (-1);
	for (i = 0; i < n && rc == 0; i++) {
		if (list[i].nrefs > 0 && !all)
			continue;
		if ((rc = db_image_holders(db, list[i].id, &holders,
		    err)) < 0 || holders > 0)
			continue;
		if ((rc = db_image_delete(db, list[i].id, true, err)) < 0)
			break;
		for (j = 0; j < list[i].nrefs; j++) {
			pack_familiar(untagged, list[i].refs[j]);
			(*nuntagged)++;
		}
		pack_str(deleted, list[i].id);
		(*ndeleted)++;
	}
	db_image_list_free(list, n);
	return (rc);
}

int
image_prune_child(const msgpack_object *args, struct job_child *c,
    msgpack_packer *pk, struct berth_error *err)
{
	cleanup_store struct store *st = NULL;
	msgpack_sbuffer dbuf, ubuf;
	msgpack_packer dpk, upk;
	uint64_t l0, b0, l1, b1;
	size_t nd = 0, nu = 0, removed;
	int rc = -1;

	(void)c;
	msgpack_sbuffer_init(&dbuf);
	msgpack_sbuffer_init(&ubuf);
	msgpack_packer_init(&dpk, &dbuf, msgpack_sbuffer_write);
	msgpack_packer_init(&upk, &ubuf, msgpack_sbuffer_write);
	if (open_locked(args, true, &st, err) < 0 ||
	    db_store_usage(store_db(st), &l0, &b0, err) < 0 ||
	    prune_images(st, arg_uint(args, "all") != 0, &dpk, &nd, &upk,
	    &nu, err) < 0 ||
	    store_gc(st, &removed, err) < 0 ||
	    db_store_usage(store_db(st), &l1, &b1, err) < 0)
		goto out;
	msgpack_pack_map(pk, 3);
	pack_str(pk, "deleted");
	msgpack_pack_array(pk, nd);
	msgpack_sbuffer_write(pk->data, dbuf.data, dbuf.size);
	pack_str(pk, "untagged");
	msgpack_pack_array(pk, nu);
	msgpack_sbuffer_write(pk->data, ubuf.data, ubuf.size);
	pack_str(pk, "space_reclaimed");
	msgpack_pack_uint64(pk, l1 + b1 <= l0 + b0 ? (l0 + b0) - (l1 + b1) :
	    0);
	rc = 0;
out:
	msgpack_sbuffer_destroy(&dbuf);
	msgpack_sbuffer_destroy(&ubuf);
	return (rc);
}
