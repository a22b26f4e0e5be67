/*
 * The frame codec: a 4-byte big-endian length, then one msgpack map.
 *
 * The length is checked against a limit before anything is allocated, and
 * the payload's structure is checked (every count against the bytes that
 * remain, nesting against a depth limit) before msgpack-c unpacks it, so a
 * frame can never make the reader allocate more than a small multiple of
 * its own size.
 */
#ifndef BERTH_FRAME_H
#define BERTH_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "error.h"

struct evbuffer;

#define FRAME_HEADER_SIZE	4
#define FRAME_MAX_DEFAULT	(4u << 20)	/* 4 MiB */
#define FRAME_MAX_LIMIT		(256u << 20)	/* what --max-frame may set */
#define FRAME_DEPTH_MAX		24		/* nested maps and arrays */
/* msgpack-c spends 24 bytes on every value, which a frame can encode in
 * one: a frame may hold FRAME_VALUES_FREE values, plus one per
 * FRAME_BYTES_PER_VALUE bytes of its length, so decoding never costs more
 * than about 3 times the frame plus 1.5 MiB. */
#define FRAME_VALUES_FREE	65536
#define FRAME_BYTES_PER_VALUE	8

/* A decoded frame.  It owns its bytes: msgpack strings point into them. */
struct frame {
	char			*data;
	size_t			 len;
	msgpack_unpacked	 unpacked;
	const msgpack_object	*root;		/* a map */
};

void	frame_init(struct frame *f);
void	frame_release(struct frame *f);

/*
 * Look at the first avail bytes of a stream.  Returns 1 when a whole frame
 * is there (*total = header + payload), 0 when more bytes are needed, -1
 * (FrameTooLarge) when the announced length exceeds max.
 */
int	frame_peek(const void *buf, size_t avail, size_t max, size_t *total,
	    struct berth_error *err);

/* Check that payload is exactly one msgpack value within the bounds above. */
int	frame_check_payload(const void *payload, size_t len,
	    struct berth_error *err);

/* Decode a payload (without header) into f; f takes ownership of payload
 * (a malloc'd buffer) in every case.  The value must be a map. */
int	frame_decode_payload(struct frame *f, char *payload, size_t len,
	    struct berth_error *err);

/* Take the next whole frame out of an evbuffer: 1 got one, 0 need more,
 * -1 error (the stream can no longer be trusted). */
int	frame_read_evbuffer(struct evbuffer *in, size_t max, struct frame *f,
	    struct berth_error *err);

/* Building frames: reserve the header in a msgpack_sbuffer, pack the map,
 * then patch the length in.  frame_finish fails when the frame exceeds
 * max. */
void	frame_begin(msgpack_sbuffer *sb);
int	frame_finish(msgpack_sbuffer *sb, size_t max, struct berth_error *err);

#endif
