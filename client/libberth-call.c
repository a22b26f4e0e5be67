/*
 * libberth calls and replies: packing a call into a frame and writing it,
 * reading a reply's frame exactly and decoding it.
 */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "frame.h"
#include "message.h"
#include "libberth-int.h"

/* What parameters point at when a reply has none. */
static const msgpack_object empty_map = { .type = MSGPACK_OBJECT_MAP };

/* Mark the stream unusable; returns -1 for "return (broken(c))". */
static int
broken(struct berth_client *c)
{
	c->broken = true;
	c->pending = 0;
	return (-1);
}

static int
check_usable(struct berth_client *c, struct berth_error *err)
{
	if (c->broken)
		return (berth_error_set(err, BERTH_E_CLOSED, 0, "the "
		    "connection to the daemon failed earlier and is closed"));
	return (0);
}

/* Errors about the daemon's bytes are the client's protocol errors, not
 * the daemon's own (FrameTooLarge, InvalidFrame). */
static int
protocol_error(struct berth_error *err, const char *context)
{
	snprintf(err->name, sizeof(err->name), "%s", BERTH_E_PROTOCOL);
	return (berth_error_wrap(err, "%s", context));
}

static int
check_call(const char *method, unsigned flags, struct berth_error *err)
{
	if (method == NULL || method[0] == '\0' ||
	    strlen(method) >= CALL_METHOD_MAX)
		return (berth_error_set(err, BERTH_E_INVALID_CALL, 0,
		    "a method name must be 1 to %d bytes", CALL_METHOD_MAX - 1));
	if (flags & ~(unsigned)(CALL_MORE | CALL_ONEWAY | CALL_UPGRADE))
		return (berth_error_set(err, BERTH_E_INVALID_CALL, 0,
		    "unknown call flags 0x%x", flags));
	if ((flags & CALL_MORE) && (flags & CALL_ONEWAY))
		return (berth_error_set(err, BERTH_E_INVALID_CALL, 0,
		    "a call cannot be both 'more' and 'oneway'"));
	return (0);
}

/* True when p[0..len) is exactly one well-formed msgpack map. */
static int
check_params(const char *p, size_t len, struct berth_error *err)
{
	uint8_t b;

	if (len == 0)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "parameters are empty: pack a map"));
	if (frame_check_payload(p, len, err) < 0) {
		snprintf(err->name, sizeof(err->name), "%s",
		    BERTH_E_INVALID_PARAM);
		return (berth_error_wrap(err, "parameters"));
	}
	b = (uint8_t)p[0];
	if (!((b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf))
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "parameters must be a msgpack map"));
	return (0);
}

/* Finish the frame in sb and write it out. */
static int
call_write(struct berth_client *c, msgpack_sbuffer *sb, const char *method,
    unsigned flags, struct berth_error *err)
{
	if (frame_finish(sb, c->max_frame, err) < 0)
		return (berth_error_wrap(err, "call %s", method));
	if (libberth_write_all(c->fd, sb->data, sb->size, err) < 0) {
		berth_error_wrap(err, "call %s", method);
		return (broken(c));
	}
	if (!(flags & CALL_ONEWAY))
		c->pending++;
	return (0);
}

int
berth_send(struct berth_client *c, const char *method, const void *params,
    size_t len, unsigned flags, struct berth_error *err)
{
	cleanup_sbuffer msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	if (check_usable(c, err) < 0 || check_call(method, flags, err) < 0)
		return (-1);
	if (params != NULL && check_params(params, len, err) < 0)
		return (berth_error_wrap(err, "call %s", method));
	frame_begin(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	call_pack_head(&pk, method, flags);
	if (params != NULL)
		msgpack_sbuffer_write(&sb, params, len);
	else
		msgpack_pack_map(&pk, 0);
	return (call_write(c, &sb, method, flags, err));
}

int
berth_send_packed(struct berth_client *c, const char *method,
    unsigned flags, berth_pack_fn fn, void *arg, struct berth_error *err)
{
	cleanup_sbuffer msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t mark;

	msgpack_sbuffer_init(&sb);
	if (check_usable(c, err) < 0 || check_call(method, flags, err) < 0)
		return (-1);
	frame_begin(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	call_pack_head(&pk, method, flags);
	mark = sb.size;
	if (fn(&pk, arg, err) < 0)
		return (berth_error_wrap(err, "call %s: pack parameters",
		    method));
	if (check_params(sb.data + mark, sb.size - mark, err) < 0)
		return (berth_error_wrap(err, "call %s", method));
	return (call_write(c, &sb, method, flags, err));
}

void
berth_reply_release(struct berth_reply *reply)
{
	struct frame *f = reply->frame_;

	if (f != NULL) {
		frame_release(f);
		free(f);
	}
	memset(reply, 0, sizeof(*reply));
}

/* Read one frame, header then payload, and nothing beyond it. */
static int
read_frame(struct berth_client *c, struct frame *f, struct berth_error *err)
{
	unsigned char hdr[FRAME_HEADER_SIZE];
	size_t total, len;
	char *payload;
	ssize_t n;

	if ((n = libberth_read_all(c->fd, hdr, sizeof(hdr), err)) < 0)
		return (-1);
	if (n == 0)
		return (berth_error_set(err, BERTH_E_CLOSED, 0,
		    "the daemon closed the connection"));
	if ((size_t)n < sizeof(hdr))
		return (berth_error_set(err, BERTH_E_PROTOCOL, 0, "the daemon "
		    "closed the connection in the middle of a frame header"));
	if (frame_peek(hdr, sizeof(hdr), c->max_frame, &total, err) < 0)
		return (protocol_error(err, "reply refused"));
	len = total - FRAME_HEADER_SIZE;
	/* One byte more so that an empty payload still gets a buffer. */
	if ((payload = malloc(len + 1)) == NULL)
		return (berth_error_sys(err, "allocate a frame of %zu bytes",
		    len));
	if ((n = libberth_read_all(c->fd, payload, len, err)) < 0) {
		free(payload);
		return (-1);
	}
	if ((size_t)n < len) {
		free(payload);
		return (berth_error_set(err, BERTH_E_PROTOCOL, 0, "the daemon "
		    "closed the connection in the middle of a frame (%zd of "
		    "%zu bytes)", n, len));
	}
	if (frame_decode_payload(f, payload, len, err) < 0)
		return (protocol_error(err, "reply"));
	return (0);
}

int
berth_recv(struct berth_client *c, struct berth_reply *reply,
    struct berth_error *err)
{
	cleanup_free struct frame *f = NULL;
	struct reply r;
	int rc;

	berth_reply_release(reply);
	if (check_usable(c, err) < 0)
		return (-1);
	if (c->pending == 0)
		return (berth_error_set(err, BERTH_E_PROTOCOL, 0,
		    "no call is waiting for a reply"));
	if ((f = malloc(sizeof(*f))) == NULL)
		return (berth_error_sys(err, "allocate a reply"));
	frame_init(f);
	if (read_frame(c, f, err) < 0) {
		frame_release(f);
		return (broken(c));
	}
	rc = reply_parse(f->root, &r, err);
	if (rc < 0 && (!r.is_error || berth_error_is(err, BERTH_E_PROTOCOL) ||
	    !berth_error_isset(err))) {
		if (!berth_error_isset(err))
			berth_error_set(err, BERTH_E_PROTOCOL, 0,
			    "an error reply without an error name");
		frame_release(f);
		berth_error_wrap(err, "reply");
		return (broken(c));
	}
	reply->parameters = r.parameters != NULL ? r.parameters : &empty_map;
	reply->continues = r.continues && !r.is_error;
	reply->error = r.is_error;
	reply->frame_ = steal_pointer(&f);
	if (!reply->continues)
		c->pending--;
	return (rc);
}

int
berth_call(struct berth_client *c, const char *method, const void *params,
    size_t len, struct berth_reply *reply, struct berth_error *err)
{
	berth_reply_release(reply);
	if (c->pending != 0)
		return (berth_error_set(err, BERTH_E_INVALID_CALL, 0,
		    "berth_call %s with %zu replies still to read", method,
		    c->pending));
	if (berth_send(c, method, params, len, 0, err) < 0)
		return (-1);
	return (berth_recv(c, reply, err));
}
