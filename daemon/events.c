/*
 * Events: a ring of the last EVENTS_KEEP events in memory, and the
 * subscribers of io.berth.Service.Events, each a peer held in a "more"
 * session.
 *
 * Every event gets a sequence number; a subscriber keeps the number of
 * the next one it has to consider (its cursor) and is sent events from
 * the ring while its peer takes them.  Nothing is queued per subscriber
 * beyond the peer's output buffer: one whose output is full
 * (peer_output_full) waits for drained() and goes on from its cursor.
 * Memory stays bounded by the ring; a subscriber that falls so far
 * behind that the ring has overwritten events it was still to consider
 * gets a SystemError (ENOBUFS) naming how many it lost, and its session
 * ends: Docker drops such events silently, berth says so.
 *
 * since, until (unix nanoseconds) as Docker's: with either, the ring's
 * events with since <= time <= until are replayed; without until new
 * events follow as they happen; with until, they follow until that time
 * (a timer) and the stream ends with its final empty reply.
 *
 * An event carries at most EVENT_LABELS_MAX bytes of labels, so the ring
 * holds at most EVENTS_KEEP times that.
 *
 * Filters as Docker's (daemon/events/filter.go): type, event, scope and
 * image match exactly, container, network, volume and daemon match a
 * prefix of the actor's id or of its name attribute; the values of one
 * key OR, keys AND; every label value must hold (key, or key=value over
 * the attributes), as Docker's MatchKVList.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "events.h"
#include "image-info.h"
#include "json-util.h"
#include "log.h"
#include "message.h"
#include "peer.h"
#include "store.h"

/* Labels an event carries, in bytes: the ring holds EVENTS_KEEP events,
 * and an image's or a container's labels can be large; those past this
 * are left out of the event. */
#define EVENT_LABELS_MAX	(32u << 10)

struct event_rec {
	char		*type;
	char		*action;
	char		*id;
	json_t		*attributes;	/* object of strings */
	int64_t		 time_ns;
};

struct ev_sub;
TAILQ_HEAD(ev_sub_list, ev_sub);

struct events {
	struct daemon		*d;
	struct event_rec	 ring[EVENTS_KEEP];
	uint64_t		 next_seq;	/* ring[seq % EVENTS_KEEP] */
	struct ev_sub_list	 subs;
};

struct ev_sub {
	TAILQ_ENTRY(ev_sub)	 entry;
	struct events		*ev;
	struct peer		*p;
	uint64_t		 cursor;	/* next event to consider */
	int64_t			 since_ns;
	int64_t			 until_ns;	/* 0: none */
	bool			 expired;	/* until has passed */
	struct event		*until_timer;
	json_t			*filters;	/* key: [values] */
};

/* The filter keys Docker takes that berth has actors for; the others are
 * refused rather than silently ignored. */
static const char *const filter_keys[] = {
	"container", "daemon", "event", "image", "label", "network", "scope",
	"type", "volume", NULL
};

static int64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec);
}

static void
rec_clear(struct event_rec *r)
{
	free(r->type);
	free(r->action);
	free(r->id);
	if (r->attributes != NULL)
		json_decref(r->attributes);
	memset(r, 0, sizeof(*r));
}

static uint64_t
oldest_seq(const struct events *ev)
{
	return (ev->next_seq > EVENTS_KEEP ? ev->next_seq - EVENTS_KEEP : 0);
}

/* ---- matching ----------------------------------------------------- */

static const char *
attr(const struct event_rec *r, const char *key)
{
	const char *v = json_string_value(json_object_get(r->attributes,
	    key));

	return (v != NULL ? v : "");
}

/* Whether filter key lets r through: true when the key is not given or
 * one of its values is accepted by match. */
static bool
key_matches(const json_t *filters, const char *key,
    bool (*match)(const struct event_rec *, const char *, const char *),
    const struct event_rec *r, const char *arg)
{
	const json_t *values = json_object_get(filters, key), *v;
	size_t i;

	if (json_array_size(values) == 0)
		return (true);
	json_array_foreach(values, i, v)
		if (match(r, json_string_value(v), arg))
			return (true);
	return (false);
}

/* type, scope: the field itself, in arg. */
static bool
match_exact(const struct event_rec *r, const char *value, const char *arg)
{
	(void)r;
	return (strcmp(value, arg) == 0);
}

/* event: the action, or for "exec_start: sh" and the like its part
 * before ':' when the value names only that (Docker's FuzzyMatch for
 * exec_create, exec_start, health_status). */
static bool
match_action(const struct event_rec *r, const char *value, const char *arg)
{
	(void)arg;
	if (strcmp(r->action, value) == 0)
		return (true);
	return (strchr(value, ':') == NULL && strncmp(r->action, value,
	    strlen(value)) == 0 && r->action[strlen(value)] == ':');
}

/* container, network, volume, daemon: a prefix of the id or the name,
 * as Docker's fuzzyMatchName. */
static bool
match_actor(const struct event_rec *r, const char *value, const char *arg)
{
	(void)arg;
	return (strncmp(r->id, value, strlen(value)) == 0 ||
	    strncmp(attr(r, "name"), value, strlen(value)) == 0);
}

/* "busybox:latest" -> "busybox", "x@sha256:..." -> "x"; a tag is after
 * the last '/'. */
static void
strip_tag(const char *s, char *buf, size_t size)
{
	char *at, *colon, *slash;

	snprintf(buf, size, "%s", s);
	if (strncmp(buf, "sha256:", 7) == 0)
		return;
	if ((at = strchr(buf, '@')) != NULL)
		*at = '\0';
	colon = strrchr(buf, ':');
	slash = strrchr(buf, '/');
	if (colon != NULL && (slash == NULL || colon > slash))
		*colon = '\0';
}

/* image: the id, or the image's name (an image event's name, a
 * container's image), with or without its tag. */
static bool
match_image(const struct event_rec *r, const char *value, const char *arg)
{
	const char *name = attr(r, strcmp(r->type, "image") == 0 ? "name" :
	    "image");
	char a[1024], b[1024];

	(void)arg;
	strip_tag(r->id, a, sizeof(a));
	strip_tag(name, b, sizeof(b));
	return (strcmp(value, r->id) == 0 || strcmp(value, name) == 0 ||
	    strcmp(value, a) == 0 || strcmp(value, b) == 0);
}

/* label: every value must hold. */
static bool
labels_match(const json_t *filters, const struct event_rec *r)
{
	const json_t *values = json_object_get(filters, "label"), *v;
	const char *s, *eq, *have;
	char key[1024];
	size_t i;

	json_array_foreach(values, i, v) {
		s = json_string_value(v);
		eq = strchr(s, '=');
		snprintf(key, sizeof(key), "%.*s", eq != NULL ?
		    (int)(eq - s) : (int)strlen(s), s);
		have = json_string_value(json_object_get(r->attributes, key));
		if (have == NULL || (eq != NULL && strcmp(have, eq + 1) != 0))
			return (false);
	}
	return (true);
}

static bool
event_matches(const json_t *filters, const struct event_rec *r)
{
	if (filters == NULL)
		return (true);
	return (key_matches(filters, "type", match_exact, r, r->type) &&
	    key_matches(filters, "event", match_action, r, NULL) &&
	    key_matches(filters, "scope", match_exact, r, "local") &&
	    key_matches(filters, "container", match_actor, r, NULL) &&
	    key_matches(filters, "network", match_actor, r, NULL) &&
	    key_matches(filters, "volume", match_actor, r, NULL) &&
	    key_matches(filters, "daemon", match_actor, r, NULL) &&
	    key_matches(filters, "image", match_image, r, NULL) &&
	    labels_match(filters, r));
}

/* ---- replies ------------------------------------------------------ */

static void
pack_event(msgpack_packer *pk, const void *arg)
{
	const struct event_rec *r = arg;
	const char *key;
	json_t *v;

	msgpack_pack_map(pk, 1);
	pack_str(pk, "event");
	msgpack_pack_map(pk, 6);
	pack_kv_str(pk, "type", r->type);
	pack_kv_str(pk, "action", r->action);
	pack_str(pk, "actor");
	msgpack_pack_map(pk, 2);
	pack_kv_str(pk, "id", r->id);
	pack_str(pk, "attributes");
	msgpack_pack_map(pk, json_object_size(r->attributes));
	json_object_foreach(r->attributes, key, v)
		pack_kv_str(pk, key, json_string_value(v) != NULL ?
		    json_string_value(v) : "");
	pack_kv_str(pk, "scope", "local");
	pack_str(pk, "time");
	msgpack_pack_int64(pk, r->time_ns / 1000000000LL);
	pack_str(pk, "time_nano");
	msgpack_pack_int64(pk, r->time_ns);
}

static void
sub_free(struct ev_sub *s)
{
	TAILQ_REMOVE(&s->ev->subs, s, entry);
	if (s->until_timer != NULL)
		event_free(s->until_timer);
	if (s->filters != NULL)
		json_decref(s->filters);
	free(s);
}

/* The last reply (or an error); the peer goes on with its next call. */
static void
sub_end(struct ev_sub *s, const struct berth_error *e)
{
	struct peer *p = s->p;

	if (e != NULL)
		peer_send_error(p, e, false);
	else
		peer_reply(p, false, peer_pack_empty, NULL);
	sub_free(s);
	peer_session_end(p);
}

/* Send what the ring holds for s while its peer takes it; end once until
 * has passed and all is out. */
static void
sub_pump(struct ev_sub *s)
{
	struct events *ev = s->ev;
	struct berth_error err = BERTH_ERROR_INIT;
	const struct event_rec *r;

	while (s->cursor < ev->next_seq) {
		if (s->cursor < oldest_seq(ev)) {
			berth_error_set(&err, BERTH_E_SYSTEM, ENOBUFS,
			    "events: %llu events were lost: the client "
			    "read them more slowly than they happened",
			    (unsigned long long)(oldest_seq(ev) - s->cursor));
			log_info("events", "peer %llu: %s", s->p->id,
			    berth_error_message(&err));
			sub_end(s, &err);
			berth_error_clear(&err);
			return;
		}
		r = &ev->ring[s->cursor % EVENTS_KEEP];
		/* While the peer is full, events it does not want are still
		 * passed over: only those it would get can be lost. */
		if (r->time_ns < s->since_ns || (s->until_ns != 0 &&
		    r->time_ns > s->until_ns) ||
		    !event_matches(s->filters, r)) {
			s->cursor++;
			continue;
		}
		if (peer_output_full(s->p))
			return;		/* on with drained() */
		s->cursor++;
		peer_reply(s->p, true, pack_event, r);
	}
	if (s->expired)
		sub_end(s, NULL);
}

static void
sub_drained(void *arg, struct peer *p)
{
	(void)p;
	sub_pump(arg);
}

static void
sub_gone(void *arg, struct peer *p)
{
	(void)p;
	sub_free(arg);
}

static const struct peer_session_ops sub_ops = {
	.drained = sub_drained,
	.gone = sub_gone,
};

static void
until_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ev_sub *s = arg;

	(void)fd;
	(void)what;
	s->expired = true;
	sub_pump(s);
}

/* ---- the ring ----------------------------------------------------- */

int
events_init(struct daemon *d, struct berth_error *err)
{
	struct events *ev;

	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return (berth_error_sys(err, "events"));
	ev->d = d;
	TAILQ_INIT(&ev->subs);
	d->events = ev;
	return (0);
}

void
events_drain(struct daemon *d)
{
	struct ev_sub *s;

	if (d->events == NULL)
		return;
	while ((s = TAILQ_FIRST(&d->events->subs)) != NULL)
		sub_end(s, NULL);
}

void
events_free(struct daemon *d)
{
	struct events *ev = d->events;
	size_t i;

	if (ev == NULL)
		return;
	events_drain(d);
	for (i = 0; i < EVENTS_KEEP; i++)
		rec_clear(&ev->ring[i]);
	free(ev);
	d->events = NULL;
}

void
event_emit(struct daemon *d, const char *type, const char *action,
    const char *id, json_t *attributes)
{
	struct events *ev = d->events;
	struct event_rec *r;
	struct ev_sub *s, *next;

	if (ev == NULL) {
		if (attributes != NULL)
			json_decref(attributes);
		return;
	}
	r = &ev->ring[ev->next_seq % EVENTS_KEEP];
	rec_clear(r);
	r->type = strdup(type);
	r->action = strdup(action);
	r->id = strdup(id != NULL ? id : "");
	r->attributes = attributes != NULL ? attributes : json_object();
	r->time_ns = realtime_ns();
	if (r->type == NULL || r->action == NULL || r->id == NULL ||
	    r->attributes == NULL) {
		log_error("events", "%s %s: out of memory", type, action);
		rec_clear(r);
		return;
	}
	ev->next_seq++;
	log_debug("events", "%s %s %s", type, action, r->id);
	for (s = TAILQ_FIRST(&ev->subs); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		sub_pump(s);
	}
}

/* Each string of a JSON object into attrs (labels), while their keys and
 * values stay within EVENT_LABELS_MAX bytes in all. */
static void
copy_strings(json_t *attrs, const json_t *from)
{
	size_t used = 0, n;
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)from, key, v) {
		if (!json_is_string(v))
			continue;
		n = strlen(key) + json_string_length(v);
		if (n > EVENT_LABELS_MAX - used)
			continue;
		used += n;
		json_object_set(attrs, key, v);
	}
}

void
event_container(struct container *c, const char *action, json_t *extra)
{
	json_t *attrs;
	const char *image;

	if ((attrs = json_object()) == NULL) {
		if (extra != NULL)
			json_decref(extra);
		return;
	}
	/* Labels first: name, image and extra are what Docker puts over
	 * them. */
	copy_strings(attrs, json_object_get(c->config, "labels"));
	image = json_string_value(json_object_get(c->config, "image"));
	json_object_set_new(attrs, "image", json_string(image != NULL ?
	    image : c->image_id));
	json_object_set_new(attrs, "name", json_string(c->name != NULL ?
	    c->name : ""));
	if (extra != NULL) {
		json_object_update(attrs, extra);
		json_decref(extra);
	}
	event_emit(c->d, "container", action, c->id, attrs);
}

void
event_image(struct daemon *d, const char *action, const char *id,
    const char *name)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_json json_t *doc = NULL;
	json_t *attrs;

	if ((attrs = json_object()) == NULL)
		return;
	/* The image's labels, while it exists (not for delete). */
	if (id != NULL && id[0] != '\0' && d->store != NULL &&
	    store_image_inspect(d->store, id, &doc, &err) == 0)
		copy_strings(attrs, json_object_get(json_object_get(doc,
		    "Config"), "Labels"));
	if (name != NULL)
		json_object_set_new(attrs, "name", json_string(name));
	event_emit(d, "image", action, id, attrs);
}

/* ---- Events ------------------------------------------------------- */

static int64_t
param_int(const struct call *call, const char *key)
{
	const msgpack_object *v = msgpack_map_get(call->parameters, key);

	if (v == NULL)
		return (0);
	if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return (v->via.u64 > INT64_MAX ? INT64_MAX :
		    (int64_t)v->via.u64);
	if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return (v->via.i64);
	return (0);
}

static int
bad_filter(struct berth_error *err, const char *fmt, const char *what)
{
	berth_error_set(err, BERTH_E_INVALID_PARAM, 0, fmt, what);
	return (berth_error_param_str(err, "parameter", "filters"));
}

static bool
filter_key_known(const char *key)
{
	size_t i;

	for (i = 0; filter_keys[i] != NULL; i++)
		if (strcmp(filter_keys[i], key) == 0)
			return (true);
	return (false);
}

/* filters ({key: [values]}, checked against the description already)
 * as JSON; *out NULL when none. */
static int
parse_filters(const struct call *call, json_t **out, struct berth_error *err)
{
	const msgpack_object *f = msgpack_map_get(call->parameters,
	    "filters");
	cleanup_json json_t *filters = NULL;
	char key[64], value[1024];
	uint32_t i, j;

	*out = NULL;
	if (f == NULL || f->type != MSGPACK_OBJECT_MAP ||
	    f->via.map.size == 0)
		return (0);
	if ((filters = json_object()) == NULL)
		return (berth_error_sys(err, "filters"));
	for (i = 0; i < f->via.map.size; i++) {
		const msgpack_object_kv *kv = &f->via.map.ptr[i];
		json_t *values;

		if (!msgpack_str_copy(&kv->key, key, sizeof(key)) ||
		    !filter_key_known(key))
			return (bad_filter(err, "invalid filter '%s'",
			    kv->key.type == MSGPACK_OBJECT_STR ? key : "?"));
		if (kv->val.type != MSGPACK_OBJECT_ARRAY)
			return (bad_filter(err, "filter '%s': expected a "
			    "list of values", key));
		if ((values = json_object_get(filters, key)) == NULL) {
			if ((values = json_array()) == NULL ||
			    json_object_set_new(filters, key, values) < 0)
				return (berth_error_sys(err, "filters"));
		}
		for (j = 0; j < kv->val.via.array.size; j++) {
			if (!msgpack_str_copy(&kv->val.via.array.ptr[j],
			    value, sizeof(value)))
				return (bad_filter(err, "filter '%s': a value "
				    "is not a string of at most 1023 bytes",
				    key));
			if (json_array_append_new(values,
			    json_string(value)) < 0)
				return (berth_error_sys(err, "filters"));
		}
	}
	*out = steal_pointer(&filters);
	return (0);
}

int
events_api_subscribe(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err)
{
	struct events *ev = d->events;
	cleanup_json json_t *filters = NULL;
	int64_t since, until, now = realtime_ns();
	struct ev_sub *s;

	if (!(call->flags & CALL_MORE)) {
		berth_error_set(err, BERTH_E_INVALID_CALL, 0, "%s streams: "
		    "call it with \"more\": true", call->method);
		return (berth_error_param_str(err, "reason", "more required"));
	}
	since = param_int(call, "since");
	until = param_int(call, "until");
	if (since < 0 || until < 0) {
		berth_error_set(err, BERTH_E_INVALID_PARAM, 0, "events: "
		    "since and until are unix times in nanoseconds");
		return (berth_error_param_str(err, "parameter", since < 0 ?
		    "since" : "until"));
	}
	if (since != 0 && until != 0 && until < since) {
		berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "since time cannot be after until time");
		return (berth_error_param_str(err, "parameter", "until"));
	}
	if (parse_filters(call, &filters, err) < 0)
		return (-1);
	if (ev == NULL || d->draining) {
		/* Nothing more will happen: the final reply at once. */
		msgpack_pack_map(pk, 0);
		return (0);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (berth_error_sys(err, "events"));
	s->ev = ev;
	s->p = p;
	s->since_ns = since;
	s->until_ns = until;
	s->filters = steal_pointer(&filters);
	/* Docker replays only when given since or until. */
	s->cursor = since != 0 || until != 0 ? oldest_seq(ev) : ev->next_seq;
	if (until != 0 && until <= now)
		s->expired = true;
	else if (until != 0) {
		struct timeval tv;
		int64_t left = until - now;

		/* Rounded up: the timer must not fire before until. */
		left = (left + 999) / 1000;
		tv.tv_sec = (time_t)(left / 1000000);
		tv.tv_usec = (suseconds_t)(left % 1000000);
		if ((s->until_timer = evtimer_new(d->base, until_cb, s)) ==
		    NULL || evtimer_add(s->until_timer, &tv) < 0) {
			if (s->until_timer != NULL)
				event_free(s->until_timer);
			json_decref(s->filters);
			free(s);
			return (berth_error_set(err, BERTH_E_SYSTEM, ENOMEM,
			    "events: until timer"));
		}
	}
	TAILQ_INSERT_TAIL(&ev->subs, s, entry);
	peer_session_begin(p, &sub_ops, s, false);
	sub_pump(s);
	return (DISPATCH_DEFERRED);
}
