/*
 * libberth upgraded streams: after a BERTH_CALL_UPGRADE call the client
 * sends stream frames (one msgpack map each, framed like calls) while the
 * daemon answers with replies.  berth_stream_upload interleaves the two
 * with poll(2) so that neither side waits on the other.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "frame.h"
#include "libberth-int.h"

#define STREAM_CHUNK_MAX	(1u << 20)

static int
stream_check(struct berth_client *c, struct berth_error *err)
{
	if (c->broken)
		return (berth_error_set(err, BERTH_E_CLOSED, 0, "the "
		    "connection to the daemon failed earlier and is closed"));
	return (0);
}

/* Frame the map p[0..len) into sb. */
static int
stream_frame(struct berth_client *c, msgpack_sbuffer *sb, const void *p,
    size_t len, struct berth_error *err)
{
	uint8_t b;

	if (len == 0 || frame_check_payload(p, len, err) < 0)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "a stream frame must be one msgpack map"));
	b = *(const uint8_t *)p;
	if (!((b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf))
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "a stream frame must be a msgpack map"));
	frame_begin(sb);
	msgpack_sbuffer_write(sb, p, len);
	return (frame_finish(sb, c->max_frame, err));
}

/* {"data": bin} or {"eof": true} into sb, framed. */
static int
stream_data_frame(struct berth_client *c, msgpack_sbuffer *sb,
    const void *data, size_t len, bool eof, struct berth_error *err)
{
	msgpack_packer pk;

	frame_begin(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	if (eof) {
		msgpack_pack_str_with_body(&pk, "eof", 3);
		msgpack_pack_true(&pk);
	} else {
		msgpack_pack_str_with_body(&pk, "data", 4);
		msgpack_pack_bin_with_body(&pk, data, len);
	}
	return (frame_finish(sb, c->max_frame, err));
}

int
berth_stream_send(struct berth_client *c, const void *map, size_t len,
    struct berth_error *err)
{
	cleanup_sbuffer msgpack_sbuffer sb;

	msgpack_sbuffer_init(&sb);
	if (stream_check(c, err) < 0 || stream_frame(c, &sb, map, len,
	    err) < 0)
		return (-1);
	if (libberth_write_all(c->fd, sb.data, sb.size, err) < 0) {
		c->broken = true;
		return (berth_error_wrap(err, "send a stream frame"));
	}
	return (0);
}

int
berth_stream_send_data(struct berth_client *c, const void *data,
    size_t len, struct berth_error *err)
{
	cleanup_sbuffer msgpack_sbuffer sb;

	msgpack_sbuffer_init(&sb);
	if (stream_check(c, err) < 0 || stream_data_frame(c, &sb, data, len,
	    false, err) < 0)
		return (-1);
	if (libberth_write_all(c->fd, sb.data, sb.size, err) < 0) {
		c->broken = true;
		return (berth_error_wrap(err, "send data"));
	}
	return (0);
}

int
berth_stream_send_eof(struct berth_client *c, struct berth_error *err)
{
	cleanup_sbuffer msgpack_sbuffer sb;

	msgpack_sbuffer_init(&sb);
	if (stream_check(c, err) < 0 || stream_data_frame(c, &sb, NULL, 0,
	    true, err) < 0)
		return (-1);
	if (libberth_write_all(c->fd, sb.data, sb.size, err) < 0) {
		c->broken = true;
		return (berth_error_wrap(err, "send end of stream"));
	}
	return (0);
}

/* Read up to len bytes of in; 0 at its end. */
static ssize_t
read_input(int in, void *buf, size_t len, struct berth_error *err)
{
	ssize_t n;

	do
		n = read(in, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return (berth_error_sys(err, "read the input"));
	return (n);
}

int
berth_stream_upload(struct berth_client *c, int in, size_t chunk,
    berth_reply_fn on_reply, void *arg, struct berth_reply *final,
    struct berth_error *err)
{
	cleanup_sbuffer msgpack_sbuffer sb;
	cleanup_free char *buf = NULL;
	size_t off = 0;
	bool eof_sent = false, writing = true;
	struct pollfd pfd;
	ssize_t n;
	int rc;

	berth_reply_release(final);
	msgpack_sbuffer_init(&sb);
	if (stream_check(c, err) < 0)
		return (-1);
	if (c->pending != 1)
		return (berth_error_set(err, BERTH_E_PROTOCOL, 0, "an upload "
		    "needs exactly one call waiting for its replies, not %zu",
		    c->pending));
	if (chunk == 0 || chunk > STREAM_CHUNK_MAX)
		chunk = 256u << 10;
	/* Room for the frame header and the map around the bin. */
	if (chunk + 64 > c->max_frame)
		chunk = c->max_frame - 64;
	if ((buf = malloc(chunk)) == NULL)
		return (berth_error_sys(err, "allocate %zu bytes", chunk));
	for (;;) {
		/* Next frame to write, once the last one is out. */
		if (writing && off == sb.size && !eof_sent) {
			sb.size = 0;
			off = 0;
			if ((n = read_input(in, buf, chunk, err)) < 0)
				return (-1);
			if (stream_data_frame(c, &sb, buf, (size_t)n, n == 0,
			    err) < 0)
				return (-1);
			eof_sent = n == 0;
		}
		if (writing && off == sb.size && eof_sent)
			writing = false;
		pfd.fd = c->fd;
		pfd.events = POLLIN | (writing ? POLLOUT : 0);
		pfd.revents = 0;
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return (berth_error_sys(err, "poll the connection"));
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			rc = berth_recv(c, final, err);
			if (rc < 0)
				return (-1);
			if (!final->continues)
				return (0);
			if (on_reply != NULL && on_reply(final, arg, err) < 0)
				return (-1);
			berth_reply_release(final);
			continue;
		}
		if (writing && (pfd.revents & POLLOUT)) {
			n = send(c->fd, sb.data + off, sb.size - off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK))
				continue;
			if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
				/* The daemon gave up on the stream: its
				 * reply says why. */
				writing = false;
				continue;
			}
			if (n < 0) {
				c->broken = true;
				return (berth_error_sys(err, "write to the "
				    "daemon"));
			}
			off += (size_t)n;
		}
	}
}
