/*
 * Attach: an upgraded connection that carries a container's output as it
 * is read (besides its log) and the client's input to its stdin, until
 * the container stops or the client detaches.
 *
 * Output reaches attached peers straight from the pumps
 * (container-logs.c): when one of them is full the pumps stop reading,
 * so the container waits on its pipe, as Docker's attached clients hold
 * a container back; nothing is queued in berthd beyond one chunk.
 * Input from any attached peer goes to one queue per container
 * (stdio-input.h).
 */
#include <sys/ioctl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>

#include "cleanup.h"
#include "container.h"
#include "container-log.h"
#include "daemon.h"
#include "events.h"
#include "log.h"
#include "message.h"
#include "peer.h"
#include "stdio-input.h"

struct ctr_attach {
	TAILQ_ENTRY(ctr_attach)	 entry;
	struct container	*c;
	struct peer		*p;
	bool			 in, out, err;	/* streams attached */
	bool			 held;		/* its input waits */
	struct detach_keys	 keys;
};

static void
attach_free(struct ctr_attach *a)
{
	struct container *c = a->c;

	if (c != NULL) {
		TAILQ_REMOVE(&c->attaches, a, entry);
		container_pumps_resume(c);
	}
	free(a);
}

/* The last reply: {"exit_code": N} or {"detached": true}. */
static void
attach_end(struct ctr_attach *a, bool detached)
{
	struct peer_kv o = { detached ? "detached" : "exit_code", NULL, 0,
	    a->c != NULL ? a->c->exit_code : 0 };
	struct peer *p = a->p;

	if (detached && a->c != NULL)
		event_container(a->c, "detach", NULL);
	peer_reply(p, false, detached ? peer_pack_true : peer_pack_int, &o);
	attach_free(a);
	peer_session_end(p);
}

bool
container_attach_output(struct container *c, int stream, const void *buf,
    size_t len)
{
	struct peer_kv o = { stream == LOG_STDERR ? "stderr" : "stdout",
	    buf, len, 0 };
	struct ctr_attach *a;
	bool full = false;

	TAILQ_FOREACH(a, &c->attaches, entry) {
		if (stream == LOG_STDERR ? !a->err : !a->out)
			continue;
		peer_reply(a->p, true, peer_pack_bin, &o);
		if (peer_output_full(a->p))
			full = true;
	}
	return (full);
}

bool
container_attach_full(struct container *c)
{
	struct ctr_attach *a;

	TAILQ_FOREACH(a, &c->attaches, entry)
		if ((a->out || a->err) && peer_output_full(a->p))
			return (true);
	return (false);
}

void
container_attaches_end(struct container *c)
{
	struct ctr_attach *a;

	while ((a = TAILQ_FIRST(&c->attaches)) != NULL)
		attach_end(a, false);
}

/* ---- stdin --------------------------------------------------------- */

static void
input_drained(void *arg)
{
	struct container *c = arg;
	struct ctr_attach *a;

	TAILQ_FOREACH(a, &c->attaches, entry)
		if (a->held) {
			a->held = false;
			peer_hold_input(a->p, false);
		}
}

int
container_input_open(struct container *c, int fd, struct berth_error *err)
{
	container_input_close(c);
	return (stdio_input_new(c->d->base, fd, input_drained, c, &c->input,
	    err));
}

void
container_input_close(struct container *c)
{
	stdio_input_free(c->input);
	c->input = NULL;
	input_drained(c);
}

static void
set_size(struct container *c, const msgpack_object *size)
{
	const msgpack_object *r = msgpack_map_get(size, "rows");
	const msgpack_object *k = msgpack_map_get(size, "cols");
	struct winsize ws;

	if (r == NULL || k == NULL ||
	    r->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    k->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    r->via.u64 > 0xffff || k->via.u64 > 0xffff)
		return;
	c->rows = (unsigned short)r->via.u64;
	c->cols = (unsigned short)k->via.u64;
	if (!json_is_true(json_object_get(c->config, "tty")) ||
	    stdio_input_fd(c->input) < 0)
		return;	/* applied when it starts */
	memset(&ws, 0, sizeof(ws));
	ws.ws_row = c->rows;
	ws.ws_col = c->cols;
	if (ioctl(stdio_input_fd(c->input), TIOCSWINSZ, &ws) < 0)
		log_debug("container", "%.12s: resize: %s", c->id,
		    strerror(errno));
}

static void
attach_frame(void *arg, struct peer *p, const msgpack_object *root)
{
	struct ctr_attach *a = arg;
	struct container *c = a->c;
	const msgpack_object *v;
	struct berth_error err = BERTH_ERROR_INIT;

	if (root == NULL) {
		/* The client sends no more: as an end of its input. */
		if (c != NULL && a->in && c->input != NULL &&
		    json_is_true(json_object_get(c->config, "stdin_once")) &&
		    !json_is_true(json_object_get(c->config, "tty")))
			stdio_input_eof(c->input);
		return;
	}
	if ((v = msgpack_map_get(root, "stdin")) != NULL &&
	    (v->type == MSGPACK_OBJECT_BIN || v->type == MSGPACK_OBJECT_STR)) {
		if (!a->in || c->input == NULL)
			return;
		/* Detach keys are typed: only a terminal has them (as
		 * Docker), piped bytes go through whatever they are. */
		if (!json_is_true(json_object_get(c->config, "tty")))
			stdio_input_write(c->input, v->via.bin.ptr,
			    v->via.bin.size);
		else if (detach_keys_scan(&a->keys, (const unsigned char *)
		    v->via.bin.ptr, v->via.bin.size, c->input)) {
			attach_end(a, true);
			return;
		}
		if (stdio_input_full(c->input) && !a->held) {
			a->held = true;
			peer_hold_input(p, true);
		}
		return;
	}
	if ((v = msgpack_map_get(root, "eof")) != NULL) {
		/* Only run -i's own client closes the container's stdin
		 * (StdinOnce); a terminal has no end of input. */
		if (a->in && c->input != NULL &&
		    json_is_true(json_object_get(c->config, "stdin_once")) &&
		    !json_is_true(json_object_get(c->config, "tty")))
			stdio_input_eof(c->input);
		return;
	}
	if ((v = msgpack_map_get(root, "resize")) != NULL) {
		set_size(c, v);
		return;
	}
	if ((v = msgpack_map_get(root, "detach")) != NULL) {
		attach_end(a, true);
		return;
	}
	berth_error_set(&err, BERTH_E_INVALID_CALL, 0, "an attach stream "
	    "frame has stdin, eof, resize or detach");
	berth_error_param_str(&err, "reason", "bad stream frame");
	peer_send_error(p, &err, false);
	berth_error_clear(&err);
	attach_free(a);
	peer_session_end(p);
}

static void
attach_drained(void *arg, struct peer *p)
{
	struct ctr_attach *a = arg;

	(void)p;
	if (a->c != NULL)
		container_pumps_resume(a->c);
}

static void
attach_gone(void *arg, struct peer *p)
{
	(void)p;
	attach_free(arg);
}

static const struct peer_session_ops attach_ops = {
	.frame = attach_frame,
	.drained = attach_drained,
	.gone = attach_gone,
};

static bool
param_bool(const struct call *call, const char *key, bool def)
{
	const msgpack_object *v = msgpack_map_get(call->parameters, key);

	return (v != NULL && v->type == MSGPACK_OBJECT_BOOLEAN ?
	    v->via.boolean : def);
}

int
container_api_attach(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err)
{
	struct ctr_attach *a;
	struct container *c;
	struct detach_keys keys;
	char name[256], kspec[DETACH_KEYS_SPEC_MAX];

	if (!(call->flags & CALL_UPGRADE)) {
		berth_error_set(err, BERTH_E_INVALID_CALL, 0, "%s takes over "
		    "the connection: call it with \"upgrade\": true",
		    call->method);
		return (berth_error_param_str(err, "reason",
		    "upgrade required"));
	}
	if (!msgpack_str_copy(msgpack_map_get(call->parameters, "container"),
	    name, sizeof(name)))
		name[0] = '\0';
	if (detach_keys_param(call, kspec, sizeof(kspec), err) < 0 ||
	    container_find(d, name, &c, err) < 0 ||
	    detach_keys_parse(kspec, &keys, err) < 0)
		return (-1);
	if (c->paused) {
		berth_error_set(err, CTR_E_STATE, 0, "container %s is paused, "
		    "unpause the container before attach", c->name);
		berth_error_param_str(err, "container", c->name);
		return (berth_error_param_str(err, "state", "paused"));
	}
	if (c->state != CTR_RUNNING && c->state != CTR_CREATED) {
		berth_error_set(err, CTR_E_STATE, 0, "you cannot attach to a "
		    "stopped container, start it first");
		berth_error_param_str(err, "container", c->name);
		return (berth_error_param_str(err, "state",
		    container_state_name(c->state)));
	}
	if (c->removing) {
		berth_error_set(err, CTR_E_STATE, 0, "container %s is being "
		    "removed", c->name);
		berth_error_param_str(err, "container", c->name);
		return (berth_error_param_str(err, "state", "removing"));
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (berth_error_sys(err, "attach"));
	a->c = c;
	a->p = p;
	a->keys = keys;
	a->in = param_bool(call, "stdin", false) &&
	    json_is_true(json_object_get(c->config, "open_stdin"));
	a->out = param_bool(call, "stdout", true);
	a->err = param_bool(call, "stderr", true);
	TAILQ_INSERT_TAIL(&c->attaches, a, entry);
	event_container(c, "attach", NULL);
	/* The first reply says the session is in place: a client may
	 * start the container now and miss nothing. */
	(void)pk;
	peer_session_begin(p, &attach_ops, a, true);
	peer_reply(p, true, peer_pack_empty, NULL);
	return (DISPATCH_DEFERRED);
}
