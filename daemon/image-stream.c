/*
 * io.berth.Image's long calls: Load, Import, Save and Prune.  Each runs
 * its store work in a helper process (job.h; the helpers' side is
 * image-helpers.c) and holds the peer in a session (peer.h) until the
 * helper is done:
 *
 *   Load, Import (upgraded): the peer's {"data"} frames are fed to the
 *   helper's fd 0, {"eof"} closes it; progress replies go back; a peer
 *   that goes before {"eof"} cancels the helper, which leaves nothing
 *   the next gc or start does not clean.
 *   Save (more): the helper's fd 1 goes back as {"data"} replies, paced
 *   by the peer's output buffer.
 *   Prune: a helper holding the store lock exclusive, so that no load's
 *   work in progress is taken for garbage.
 *
 * Each that succeeds reports Docker's image events (events.h): load,
 * import and save for each image, delete for each image prune removed,
 * then prune with the space reclaimed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>

#include "cleanup.h"
#include "daemon.h"
#include "dispatch.h"
#include "events.h"
#include "frame.h"
#include "image.h"
#include "job.h"
#include "log.h"
#include "message.h"
#include "peer.h"
#include "save.h"
#include "store.h"

#define DATA_CHUNK		(256u << 10)
#define PROGRESS_EVERY_NS	100000000LL

enum stream_kind { STREAM_LOAD, STREAM_IMPORT, STREAM_SAVE, STREAM_PRUNE };

struct stream {
	struct daemon		*d;
	struct peer		*p;		/* NULL once gone */
	struct job		*job;		/* NULL once done */
	enum stream_kind	 kind;
	const char		*what;		/* "load" */
	uint64_t		 bytes;		/* received or sent */
	uint64_t		 size;		/* announced, 0 unknown */
	long long		 last_ns;
	bool			 input_done;
	char			**ids;		/* Save's images, for events */
	size_t			 nids;
	msgpack_sbuffer		 args;		/* the helper's arguments */
	msgpack_packer		 apk;
};

static int
strv_add(char ***v, size_t *n, const char *s)
{
	char **grown;

	if ((grown = reallocarray(*v, *n + 1, sizeof(**v))) == NULL)
		return (-1);
	*v = grown;
	if ((grown[*n] = strdup(s)) == NULL)
		return (-1);
	(*n)++;
	return (0);
}

static void
stream_free(struct stream *s)
{
	db_strv_free(s->ids, s->nids);
	msgpack_sbuffer_destroy(&s->args);
	free(s);
}

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

/* ---- replies ------------------------------------------------------ */

/* Send a reply whose parameters pack_fn packs. */
static void
send_reply(struct stream *s, bool continues, peer_pack_fn pack_fn,
    const void *arg)
{
	if (s->p != NULL)
		peer_reply(s->p, continues, pack_fn, arg);
}

static void
pack_progress_wrapped(msgpack_packer *pk, const void *arg)
{
	msgpack_pack_map(pk, 1);
	pack_str(pk, "progress");
	msgpack_pack_object(pk, *(const msgpack_object *)arg);
}

struct receiving {
	uint64_t	current, total;
};

static void
pack_receiving(msgpack_packer *pk, const void *arg)
{
	const struct receiving *r = arg;

	msgpack_pack_map(pk, 1);
	pack_str(pk, "progress");
	msgpack_pack_map(pk, r->total > 0 ? 3 : 2);
	pack_kv_str(pk, "action", "Receiving");
	pack_str(pk, "current");
	msgpack_pack_uint64(pk, r->current);
	if (r->total > 0) {
		pack_str(pk, "total");
		msgpack_pack_uint64(pk, r->total);
	}
}

static void
pack_object(msgpack_packer *pk, const void *arg)
{
	msgpack_pack_object(pk, *(const msgpack_object *)arg);
}

/* The last reply: an error, or the helper's result. */
static void
finish(struct stream *s, const msgpack_object *result,
    const struct berth_error *err)
{
	struct peer *p = s->p;

	if (p != NULL) {
		if (err != NULL) {
			log_debug("image", "%s: %s", s->what,
			    berth_error_message(err));
			peer_send_error(p, err, false);
		} else if (s->kind == STREAM_SAVE) {
			struct peer_kv size = { "size", NULL, 0,
			    (int64_t)s->bytes };

			send_reply(s, false, peer_pack_int, &size);
		} else
			send_reply(s, false, pack_object, result);
		peer_session_end(p);
	}
	if (s->job != NULL)
		job_cancel(s->job);
	stream_free(s);
}

/* ---- the loop's side ---------------------------------------------- */

static void
on_progress(void *arg, const msgpack_object *progress)
{
	struct stream *s = arg;

	send_reply(s, true, pack_progress_wrapped, progress);
}

/* Save: the archive's bytes as data replies while the peer keeps up. */
static void
on_output(void *arg, struct evbuffer *buf)
{
	struct stream *s = arg;
	unsigned char *data;
	struct peer_kv c = { "data", NULL, 0, 0 };
	size_t len;

	if (s->p == NULL) {
		evbuffer_drain(buf, evbuffer_get_length(buf));
		return;
	}
	while ((len = evbuffer_get_length(buf)) > 0) {
		if (peer_output_full(s->p)) {
			job_hold_output(s->job, true);
			return;
		}
		if (len > DATA_CHUNK)
			len = DATA_CHUNK;
		if ((data = evbuffer_pullup(buf, (ssize_t)len)) == NULL)
			return;
		c.data = data;
		c.len = len;
		send_reply(s, true, peer_pack_bin, &c);
		evbuffer_drain(buf, len);
		s->bytes += len;
	}
}

static void
on_input_drained(void *arg)
{
	struct stream *s = arg;

	if (s->p != NULL)
		peer_hold_input(s->p, false);
}

/* A string of a result map, copied into buf; false if it has none. */
static bool
result_str(const msgpack_object *map, const char *key, char *buf,
    size_t size)
{
	return (map != NULL && map->type == MSGPACK_OBJECT_MAP &&
	    msgpack_str_copy(msgpack_map_get(map, key), buf, size));
}

/* The events of a stream that succeeded, from the helper's result. */
static void
emit_events(struct stream *s, const msgpack_object *result)
{
	const msgpack_object *list;
	char id[DIGEST_STR_SIZE], n[32];
	uint32_t i;
	size_t j;

	switch (s->kind) {
	case STREAM_LOAD:
		list = result != NULL && result->type == MSGPACK_OBJECT_MAP ?
		    msgpack_map_get(result, "images") : NULL;
		for (i = 0; list != NULL && list->type ==
		    MSGPACK_OBJECT_ARRAY && i < list->via.array.size; i++)
			if (result_str(&list->via.array.ptr[i], "id", id,
			    sizeof(id)))
				event_image(s->d, "load", id, id);
		break;
	case STREAM_IMPORT:
		if (result_str(result, "id", id, sizeof(id)))
			event_image(s->d, "import", id, id);
		break;
	case STREAM_SAVE:
		for (j = 0; j < s->nids; j++)
			event_image(s->d, "save", s->ids[j], s->ids[j]);
		break;
	case STREAM_PRUNE:
		list = result != NULL && result->type == MSGPACK_OBJECT_MAP ?
		    msgpack_map_get(result, "deleted") : NULL;
		for (i = 0; list != NULL && list->type ==
		    MSGPACK_OBJECT_ARRAY && i < list->via.array.size; i++)
			if (msgpack_str_copy(&list->via.array.ptr[i], id,
			    sizeof(id)))
				event_image(s->d, "delete", id, id);
		list = result != NULL && result->type == MSGPACK_OBJECT_MAP ?
		    msgpack_map_get(result, "space_reclaimed") : NULL;
		snprintf(n, sizeof(n), "%llu", list != NULL && list->type ==
		    MSGPACK_OBJECT_POSITIVE_INTEGER ?
		    (unsigned long long)list->via.u64 : 0ULL);
		event_emit(s->d, "image", "prune", "", json_pack("{s:s}",
		    "reclaimed", n));
		break;
	}
}

static void
on_done(void *arg, const msgpack_object *result,
    const struct berth_error *err)
{
	struct stream *s = arg;

	s->job = NULL;
	if (err == NULL)
		emit_events(s, result);
	finish(s, result, err);
}

static const struct job_ops stream_job_ops = {
	.progress = on_progress,
	.output = on_output,
	.input_drained = on_input_drained,
	.done = on_done,
};

static void
stream_fail(struct stream *s, const char *name, const char *fmt,
    const char *detail)
{
	struct berth_error err = BERTH_ERROR_INIT;

	berth_error_set(&err, name, 0, fmt, detail);
	finish(s, NULL, &err);
	berth_error_clear(&err);
}

/* Upgraded sessions: the peer's stream frames. */
static void
on_frame(void *arg, struct peer *p, const msgpack_object *root)
{
	struct stream *s = arg;
	const msgpack_object *data, *eof;
	struct receiving r;
	long long now;

	(void)p;
	if (root == NULL) {
		if (!s->input_done)
			stream_fail(s, IMAGE_E_INCOMPLETE, "%s: the client "
			    "closed the stream before its end", s->what);
		return;
	}
	data = msgpack_map_get(root, "data");
	eof = msgpack_map_get(root, "eof");
	if (s->input_done || root->via.map.size != 1 ||
	    (data == NULL && eof == NULL) ||
	    (data != NULL && data->type != MSGPACK_OBJECT_BIN) ||
	    (eof != NULL && (eof->type != MSGPACK_OBJECT_BOOLEAN ||
	    !eof->via.boolean))) {
		stream_fail(s, BERTH_E_INVALID_CALL, "%s: expected a "
		    "{\"data\": <bin>} or {\"eof\": true} stream frame",
		    s->what);
		return;
	}
	if (eof != NULL) {
		s->input_done = true;
		job_close_input(s->job);
		return;
	}
	s->bytes += data->via.bin.size;
	if (job_write(s->job, data->via.bin.ptr, data->via.bin.size) < 0) {
		stream_fail(s, BERTH_E_SYSTEM, "%s: out of memory", s->what);
		return;
	}
	if (job_input_full(s->job))
		peer_hold_input(s->p, true);
	now = now_ns();
	if (now - s->last_ns >= PROGRESS_EVERY_NS) {
		s->last_ns = now;
		r.current = s->bytes;
		r.total = s->size;
		send_reply(s, true, pack_receiving, &r);
	}
}

static void
on_drained(void *arg, struct peer *p)
{
	struct stream *s = arg;

	(void)p;
	if (s->job != NULL && s->kind == STREAM_SAVE)
		job_hold_output(s->job, false);
}

static void
on_gone(void *arg, struct peer *p)
{
	struct stream *s = arg;

	(void)p;
	s->p = NULL;
	/* A prune goes on (it is safe to stop, but its work is wanted);
	 * anything else without its peer is pointless. */
	if (s->kind == STREAM_PRUNE && s->job != NULL)
		return;
	if (s->job != NULL)
		job_cancel(s->job);
	s->job = NULL;
	stream_free(s);
}

static const struct peer_session_ops stream_session_ops = {
	.frame = on_frame,
	.drained = on_drained,
	.gone = on_gone,
};

static struct stream *
stream_new(struct daemon *d, struct peer *p, enum stream_kind kind,
    const char *what, struct berth_error *err)
{
	struct stream *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		berth_error_sys(err, "%s", what);
		return (NULL);
	}
	s->d = d;
	s->p = p;
	s->kind = kind;
	s->what = what;
	s->last_ns = now_ns();
	msgpack_sbuffer_init(&s->args);
	msgpack_packer_init(&s->apk, &s->args, msgpack_sbuffer_write);
	return (s);
}

static int
stream_start(struct stream *s, const char *kind, unsigned flags,
    bool upgraded, struct berth_error *err)
{
	if (job_start(s->d, kind, flags, s->args.data, s->args.size,
	    &stream_job_ops, s, &s->job, err) < 0) {
		stream_free(s);
		return (-1);
	}
	peer_session_begin(s->p, &stream_session_ops, s, upgraded);
	return (DISPATCH_DEFERRED);
}

/* Pack a string parameter of the call, if given, as an argument. */
static void
copy_str_param(struct stream *s, const struct call *call, const char *key,
    const char *as)
{
	const msgpack_object *v = msgpack_map_get(call->parameters, key);

	pack_str(&s->apk, as);
	if (v != NULL && v->type == MSGPACK_OBJECT_STR)
		msgpack_pack_object(&s->apk, *v);
	else
		msgpack_pack_nil(&s->apk);
}

static int
need_flag(const struct call *call, unsigned flag, const char *what,
    struct berth_error *err)
{
	if (call->flags & flag)
		return (0);
	berth_error_set(err, BERTH_E_INVALID_CALL, 0, "%s streams: call it "
	    "with \"%s\": true", call->method, what);
	berth_error_param_str(err, "reason", flag == CALL_UPGRADE ?
	    "upgrade required" : "more required");
	return (-1);
}

static uint64_t
param_uint(const struct call *call, const char *key)
{
	const msgpack_object *v = msgpack_map_get(call->parameters, key);

	if (v != NULL && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return (v->via.u64);
	return (0);
}

/* A string parameter, copied; NULL when absent or nil. */
static int
param_strdup(const struct call *call, const char *key, char **out,
    struct berth_error *err)
{
	const msgpack_object *v = msgpack_map_get(call->parameters, key);

	*out = NULL;
	if (v == NULL || v->type != MSGPACK_OBJECT_STR)
		return (0);
	if ((*out = strndup(v->via.str.ptr, v->via.str.size)) == NULL)
		return (berth_error_sys(err, "%s", key));
	return (0);
}

int
image_load(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	struct stream *s;

	(void)pk;
	if (need_flag(call, CALL_UPGRADE, "upgrade", err) < 0 ||
	    (s = stream_new(d, p, STREAM_LOAD, "load", err)) == NULL)
		return (-1);
	s->size = param_uint(call, "size");
	msgpack_pack_map(&s->apk, 1);
	pack_kv_str(&s->apk, "root", d->cfg.root);
	return (stream_start(s, "image-load", JOB_INPUT, true, err));
}

int
image_import(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *changes;
	cleanup_free char *name = NULL, *ref = NULL;
	struct stream *s;

	(void)pk;
	if (need_flag(call, CALL_UPGRADE, "upgrade", err) < 0 ||
	    param_strdup(call, "reference", &name, err) < 0 ||
	    (name != NULL && image_normalize_tag(name, &ref, err) < 0) ||
	    (s = stream_new(d, p, STREAM_IMPORT, "import", err)) == NULL)
		return (-1);
	s->size = param_uint(call, "size");
	msgpack_pack_map(&s->apk, 5);
	pack_kv_str(&s->apk, "root", d->cfg.root);
	pack_str(&s->apk, "reference");
	if (ref != NULL)
		pack_str(&s->apk, ref);
	else
		msgpack_pack_nil(&s->apk);
	copy_str_param(s, call, "message", "message");
	copy_str_param(s, call, "platform", "platform");
	pack_str(&s->apk, "changes");
	changes = msgpack_map_get(call->parameters, "changes");
	if (changes != NULL)
		msgpack_pack_object(&s->apk, *changes);
	else
		msgpack_pack_array(&s->apk, 0);
	return (stream_start(s, "image-import", JOB_INPUT, true, err));
}

/* What an archive holds for one name: the image, and the reference given
 * or, for an id, every tag of the image. */
static int
save_names(struct daemon *d, const char *name, char ***ids, size_t *nids,
    char ***refs, size_t *nrefs, struct berth_error *err)
{
	char id[DIGEST_STR_SIZE];
	cleanup_free char *full = NULL;
	char **tags = NULL;
	size_t ntags = 0, i;
	int rc = 0;

	if (image_resolve(d, name, id, &full, err) < 0)
		return (-1);
	for (i = 0; i < *nids; i++)
		if (strcmp((*ids)[i], id) == 0)
			break;
	if (i == *nids && strv_add(ids, nids, id) < 0)
		return (berth_error_sys(err, "save"));
	if (full != NULL)
		return (strv_add(refs, nrefs, full) < 0 ?
		    berth_error_sys(err, "save") : 0);
	if (image_refs(d, id, &tags, &ntags, err) < 0)
		return (-1);
	for (i = 0; i < ntags && rc == 0; i++)
		if (strv_add(refs, nrefs, tags[i]) < 0)
			rc = berth_error_sys(err, "save");
	db_strv_free(tags, ntags);
	return (rc);
}

static void
pack_strv(msgpack_packer *pk, const char *key, char **v, size_t n)
{
	size_t i;

	pack_str(pk, key);
	msgpack_pack_array(pk, n);
	for (i = 0; i < n; i++)
		pack_str(pk, v[i]);
}

int
image_save(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *images, *v;
	char **ids = NULL, **refs = NULL;
	size_t nids = 0, nrefs = 0;
	struct stream *s = NULL;
	char name[1024];
	uint32_t i;
	int rc = -1, format, comp;

	(void)pk;
	if (need_flag(call, CALL_MORE, "more", err) < 0)
		return (-1);
	v = msgpack_map_get(call->parameters, "format");
	format = v != NULL && msgpack_str_eq(v, "oci") ? SAVE_OCI :
	    SAVE_DOCKER;
	v = msgpack_map_get(call->parameters, "compression");
	comp = v == NULL || v->type != MSGPACK_OBJECT_STR ? SAVE_AS_STORED :
	    msgpack_str_eq(v, "gzip") ? SAVE_GZIP :
	    msgpack_str_eq(v, "zstd") ? SAVE_ZSTD : SAVE_AS_STORED;
	images = msgpack_map_get(call->parameters, "images");
	if (images->via.array.size == 0) {
		berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "save: name at least one image");
		berth_error_param_str(err, "parameter", "images");
		goto out;
	}
	for (i = 0; i < images->via.array.size; i++) {
		if (!msgpack_str_copy(&images->via.array.ptr[i], name,
		    sizeof(name))) {
			berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "save: image name too long");
			berth_error_param_str(err, "parameter", "images");
			goto out;
		}
		if (save_names(d, name, &ids, &nids, &refs, &nrefs, err) < 0)
			goto out;
	}
	if ((s = stream_new(d, p, STREAM_SAVE, "save", err)) == NULL)
		goto out;
	/* The archive's images, for their events once it is written. */
	s->ids = ids;
	s->nids = nids;
	ids = NULL;
	nids = 0;
	msgpack_pack_map(&s->apk, 5);
	pack_kv_str(&s->apk, "root", d->cfg.root);
	pack_strv(&s->apk, "ids", s->ids, s->nids);
	pack_strv(&s->apk, "refs", refs, nrefs);
	pack_str(&s->apk, "format");
	msgpack_pack_int(&s->apk, format);
	pack_str(&s->apk, "compression");
	msgpack_pack_int(&s->apk, comp);
	rc = stream_start(s, "image-save", JOB_OUTPUT, false, err);
out:
	db_strv_free(ids, nids);
	db_strv_free(refs, nrefs);
	return (rc);
}

int
image_prune(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	struct stream *s;

	(void)pk;
	if ((s = stream_new(d, p, STREAM_PRUNE, "prune", err)) == NULL)
		return (-1);
	msgpack_pack_map(&s->apk, 2);
	pack_kv_str(&s->apk, "root", d->cfg.root);
	pack_str(&s->apk, "all");
	msgpack_pack_int(&s->apk, image_param_bool(call, "all") ? 1 : 0);
	return (stream_start(s, "image-prune", 0, false, err));
}
