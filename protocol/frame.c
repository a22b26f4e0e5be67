/*
 * The frame codec: length prefix, bounded structural check, msgpack-c
 * unpacking, and the evbuffer reader the daemon uses.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "frame.h"

void
frame_init(struct frame *f)
{
	memset(f, 0, sizeof(*f));
	msgpack_unpacked_init(&f->unpacked);
}

void
frame_release(struct frame *f)
{
	msgpack_unpacked_destroy(&f->unpacked);
	free(f->data);
	frame_init(f);
}

int
frame_peek(const void *buf, size_t avail, size_t max, size_t *total,
    struct berth_error *err)
{
	uint32_t be;
	size_t len;

	if (avail < FRAME_HEADER_SIZE)
		return (0);
	memcpy(&be, buf, sizeof(be));
	len = ntohl(be);
	if (len > max) {
		berth_error_set(err, BERTH_E_FRAME_TOO_LARGE, 0,
		    "frame of %zu bytes exceeds the limit of %zu", len, max);
		berth_error_param_int(err, "size", (int64_t)len);
		return (berth_error_param_int(err, "limit", (int64_t)max));
	}
	*total = FRAME_HEADER_SIZE + len;
	return (avail >= *total ? 1 : 0);
}

/* Read an n-byte big-endian number at p[*off]; false when truncated. */
static bool
read_be(const uint8_t *p, size_t len, size_t *off, int n, uint64_t *out)
{
	uint64_t v = 0;
	int i;

	if ((size_t)n > len - *off)
		return (false);
	for (i = 0; i < n; i++)
		v = (v << 8) | p[*off + (size_t)i];
	*off += (size_t)n;
	*out = v;
	return (true);
}

/*
 * Classify one msgpack type byte: how many bytes of length field follow
 * (lenbytes), a fixed payload size (fixed), and for containers how many
 * values one counted element holds (per: 1 array, 2 map).  Returns false
 * for the one byte msgpack never uses.
 */
static bool
classify(uint8_t b, int *lenbytes, size_t *fixed, uint64_t *count, int *per)
{
	*lenbytes = 0;
	*fixed = 0;
	*count = 0;
	*per = 0;
	if (b <= 0x7f || b >= 0xe0)
		return (true);				/* fixint */
	if (b <= 0x8f) {
		*count = b & 0x0f;			/* fixmap */
		*per = 2;
		return (true);
	}
	if (b <= 0x9f) {
		*count = b & 0x0f;			/* fixarray */
		*per = 1;
		return (true);
	}
	if (b <= 0xbf) {
		*fixed = b & 0x1f;			/* fixstr */
		return (true);
	}
	switch (b) {
	case 0xc0: case 0xc2: case 0xc3:		/* nil, false, true */
		return (true);
	case 0xc4: case 0xd9: *lenbytes = 1; return (true);	/* bin8 str8 */
	case 0xc5: case 0xda: *lenbytes = 2; return (true);
	case 0xc6: case 0xdb: *lenbytes = 4; return (true);
	case 0xc7: *lenbytes = 1; *fixed = 1; return (true);	/* ext: +type */
	case 0xc8: *lenbytes = 2; *fixed = 1; return (true);
	case 0xc9: *lenbytes = 4; *fixed = 1; return (true);
	case 0xca: *fixed = 4; return (true);		/* float32 */
	case 0xcb: *fixed = 8; return (true);		/* float64 */
	case 0xcc: case 0xd0: *fixed = 1; return (true);
	case 0xcd: case 0xd1: *fixed = 2; return (true);
	case 0xce: case 0xd2: *fixed = 4; return (true);
	case 0xcf: case 0xd3: *fixed = 8; return (true);
	case 0xd4: *fixed = 2; return (true);		/* fixext 1..16 */
	case 0xd5: *fixed = 3; return (true);
	case 0xd6: *fixed = 5; return (true);
	case 0xd7: *fixed = 9; return (true);
	case 0xd8: *fixed = 17; return (true);
	case 0xdc: *lenbytes = 2; *per = 1; return (true);	/* array16 */
	case 0xdd: *lenbytes = 4; *per = 1; return (true);
	case 0xde: *lenbytes = 2; *per = 2; return (true);	/* map16 */
	case 0xdf: *lenbytes = 4; *per = 2; return (true);
	}
	return (false);					/* 0xc1 */
}

int
frame_check_payload(const void *payload, size_t len, struct berth_error *err)
{
	const uint8_t *p = payload;
	uint64_t left[FRAME_DEPTH_MAX + 1], count, n, values = 0, budget;
	size_t off = 0, fixed;
	int depth = 0, lenbytes, per;

	budget = FRAME_VALUES_FREE + len / FRAME_BYTES_PER_VALUE;
	left[0] = 1;
	while (depth >= 0) {
		if (left[depth] == 0) {
			depth--;
			continue;
		}
		left[depth]--;
		if (++values > budget)
			return (berth_error_set(err, BERTH_E_INVALID_FRAME, 0,
			    "malformed msgpack: more than %llu values in %zu "
			    "bytes", (unsigned long long)budget, len));
		if (off >= len)
			goto truncated;
		if (!classify(p[off], &lenbytes, &fixed, &count, &per))
			return (berth_error_set(err, BERTH_E_INVALID_FRAME, 0,
			    "malformed msgpack: invalid type byte 0x%02x at "
			    "offset %zu", p[off], off));
		off++;
		if (lenbytes > 0) {
			if (!read_be(p, len, &off, lenbytes, &n))
				goto truncated;
			if (per > 0)
				count = n;
			else
				fixed += n;
		}
		if (fixed > len - off)
			goto truncated;
		off += fixed;
		if (per == 0 || count == 0)
			continue;
		/* Every value takes at least one byte: a count larger than
		 * what is left is a lie, refused before msgpack-c allocates
		 * room for it. */
		if (count > (len - off) / (uint64_t)per)
			goto truncated;
		if (depth + 1 > FRAME_DEPTH_MAX)
			return (berth_error_set(err, BERTH_E_INVALID_FRAME, 0,
			    "malformed msgpack: nested deeper than %d",
			    FRAME_DEPTH_MAX));
		left[++depth] = count * (uint64_t)per;
	}
	if (off != len)
		return (berth_error_set(err, BERTH_E_INVALID_FRAME, 0,
		    "malformed msgpack: %zu bytes after the value", len - off));
	return (0);
truncated:
	return (berth_error_set(err, BERTH_E_INVALID_FRAME, 0,
	    "malformed msgpack: value truncated at offset %zu of %zu", off,
	    len));
}

int
frame_decode_payload(struct frame *f, char *payload, size_t len,
    struct berth_error *err)
{
	msgpack_unpack_return rc;
	size_t off = 0;

	frame_release(f);
	f->data = payload;
	f->len = len;
	if (frame_check_payload(payload, len, err) < 0)
		return (-1);
	rc = msgpack_unpack_next(&f->unpacked, payload, len, &off);
	if (rc != MSGPACK_UNPACK_SUCCESS)
		return (berth_error_set(err, BERTH_E_INVALID_FRAME, 0,
		    "malformed msgpack (%d)", (int)rc));
	if (f->unpacked.data.type != MSGPACK_OBJECT_MAP)
		return (berth_error_set(err, BERTH_E_INVALID_FRAME, 0,
		    "a frame must hold a map, not a msgpack type %d",
		    (int)f->unpacked.data.type));
	f->root = &f->unpacked.data;
	return (0);
}

int
frame_read_evbuffer(struct evbuffer *in, size_t max, struct frame *f,
    struct berth_error *err)
{
	unsigned char hdr[FRAME_HEADER_SIZE];
	size_t total, len;
	char *payload;
	int rc;

	if (evbuffer_copyout(in, hdr, sizeof(hdr)) < (ev_ssize_t)sizeof(hdr))
		return (0);
	rc = frame_peek(hdr, evbuffer_get_length(in), max, &total, err);
	if (rc <= 0)
		return (rc);
	len = total - FRAME_HEADER_SIZE;
	/* One byte more so an empty payload still gets a buffer. */
	if ((payload = malloc(len + 1)) == NULL)
		return (berth_error_sys(err, "allocate frame"));
	evbuffer_drain(in, FRAME_HEADER_SIZE);
	evbuffer_remove(in, payload, len);
	if (frame_decode_payload(f, payload, len, err) < 0)
		return (-1);
	return (1);
}

void
frame_begin(msgpack_sbuffer *sb)
{
	static const char zero[FRAME_HEADER_SIZE];

	msgpack_sbuffer_write(sb, zero, sizeof(zero));
}

int
frame_finish(msgpack_sbuffer *sb, size_t max, struct berth_error *err)
{
	size_t len;
	uint32_t be;

	if (sb->data == NULL || sb->size < FRAME_HEADER_SIZE)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "frame_finish without frame_begin"));
	len = sb->size - FRAME_HEADER_SIZE;
	if (len > max)
		return (berth_error_set(err, BERTH_E_FRAME_TOO_LARGE, 0,
		    "frame of %zu bytes exceeds the limit of %zu", len, max));
	be = htonl((uint32_t)len);
	memcpy(sb->data, &be, sizeof(be));
	return (0);
}
