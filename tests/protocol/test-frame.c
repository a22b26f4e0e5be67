/*
 * Frame codec: round trips, frames split across reads, many frames in one
 * read, the size limit checked before allocation, malformed msgpack.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "frame.h"
#include "message.h"
#include "unit.h"

/* Build a call frame into sb. */
static void
build_call(msgpack_sbuffer *sb, const char *method, const char *payload)
{
	struct berth_error err = BERTH_ERROR_INIT;
	msgpack_packer pk;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	frame_begin(sb);
	call_pack_head(&pk, method, CALL_MORE);
	msgpack_pack_map(&pk, 1);
	pack_kv_str(&pk, "payload", payload);
	CHECK(frame_finish(sb, FRAME_MAX_DEFAULT, &err) == 0);
	berth_error_clear(&err);
}

/* A raw frame: header + payload bytes. */
static void
add_raw(struct evbuffer *b, const void *payload, uint32_t len)
{
	unsigned char hdr[4] = { len >> 24, len >> 16, len >> 8, len };

	evbuffer_add(b, hdr, 4);
	evbuffer_add(b, payload, len);
}

/*
 * The largest single malloc since the last reset: a frame must never make
 * the decoder ask for more than a small multiple of its own size.  (Not
 * under ASan, which owns malloc.)
 */
#if defined(__SANITIZE_ADDRESS__)
static size_t largest_seen;
#define largest_malloc_reset()	((void)0)
#define largest_malloc()	(largest_seen)
#else
extern void *__libc_malloc(size_t);
static size_t largest_seen;

void *
malloc(size_t n)
{
	if (n > largest_seen)
		largest_seen = n;
	return (__libc_malloc(n));
}
#define largest_malloc_reset()	(largest_seen = 0)
#define largest_malloc()	(largest_seen)
#endif

static void
round_trip(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct evbuffer *b = evbuffer_new();
	msgpack_sbuffer sb;
	struct call call;
	struct frame f;
	const msgpack_object *v;

	build_call(&sb, "io.berth.Service.Ping", "hello");
	evbuffer_add(b, sb.data, sb.size);
	frame_init(&f);
	CHECK(frame_read_evbuffer(b, FRAME_MAX_DEFAULT, &f, &err) == 1);
	CHECK(evbuffer_get_length(b) == 0);
	CHECK(call_parse(f.root, &call, &err) == 0);
	CHECK_STR(call.method, "io.berth.Service.Ping");
	CHECK(call.flags == CALL_MORE);
	v = msgpack_map_get(call.parameters, "payload");
	CHECK(v != NULL && msgpack_str_eq(v, "hello"));
	frame_release(&f);
	msgpack_sbuffer_destroy(&sb);
	evbuffer_free(b);
	berth_error_clear(&err);
}

static void
split_over_many_reads(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct evbuffer *b = evbuffer_new();
	msgpack_sbuffer sb;
	struct call call;
	struct frame f;
	size_t i;
	int rc = 0;

	build_call(&sb, "io.berth.Service.Ping", "split");
	frame_init(&f);
	for (i = 0; i < sb.size; i++) {
		evbuffer_add(b, sb.data + i, 1);
		rc = frame_read_evbuffer(b, FRAME_MAX_DEFAULT, &f, &err);
		if (i + 1 < sb.size)
			CHECK(rc == 0);
	}
	CHECK(rc == 1);
	CHECK(call_parse(f.root, &call, &err) == 0);
	CHECK_STR(call.method, "io.berth.Service.Ping");
	frame_release(&f);
	msgpack_sbuffer_destroy(&sb);
	evbuffer_free(b);
	berth_error_clear(&err);
}

static void
many_frames_in_one_read(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct evbuffer *b = evbuffer_new();
	msgpack_sbuffer sb;
	struct call call;
	struct frame f;
	char payload[16];
	int i, n = 0;

	for (i = 0; i < 100; i++) {
		snprintf(payload, sizeof(payload), "p%d", i);
		build_call(&sb, "io.berth.Service.Ping", payload);
		evbuffer_add(b, sb.data, sb.size);
		msgpack_sbuffer_destroy(&sb);
	}
	/* Half of one more frame at the end. */
	build_call(&sb, "io.berth.Service.Ping", "tail");
	evbuffer_add(b, sb.data, sb.size / 2);
	frame_init(&f);
	while (frame_read_evbuffer(b, FRAME_MAX_DEFAULT, &f, &err) == 1) {
		CHECK(call_parse(f.root, &call, &err) == 0);
		snprintf(payload, sizeof(payload), "p%d", n++);
		CHECK(msgpack_str_eq(msgpack_map_get(call.parameters,
		    "payload"), payload));
	}
	CHECK(n == 100);
	CHECK(evbuffer_get_length(b) == sb.size / 2);
	frame_release(&f);
	msgpack_sbuffer_destroy(&sb);
	evbuffer_free(b);
	berth_error_clear(&err);
}

static void
oversize_refused_before_allocation(void)
{
	static const unsigned char hdr[4] = { 0xf0, 0, 0, 0 };
	struct berth_error err = BERTH_ERROR_INIT;
	struct evbuffer *b = evbuffer_new();
	struct frame f;
	size_t before;

	/* Only the header is there: refused at once, without waiting for
	 * (or allocating) the 3.75 GiB it announces. */
	evbuffer_add(b, hdr, sizeof(hdr));
	frame_init(&f);
	largest_malloc_reset();
	CHECK(frame_read_evbuffer(b, FRAME_MAX_DEFAULT, &f, &err) == -1);
	CHECK(largest_malloc() < 4096);
	CHECK(berth_error_is(&err, BERTH_E_FRAME_TOO_LARGE));
	CHECK(err.nparams == 2 && err.params[0].num == 0xf0000000LL);
	/* The limit is the caller's: the same frame fits a larger one. */
	berth_error_clear(&err);
	CHECK(frame_peek(hdr, 4, 0xf0000000u, &before, &err) == 0);
	frame_release(&f);
	evbuffer_free(b);
	berth_error_clear(&err);
}

static void
lying_counts_refused_before_allocation(void)
{
	/* A map announcing 2^24 entries, and an array announcing 2^24
	 * elements, in a few bytes: msgpack-c reserves room for every
	 * announced element up front (400 MiB and more). */
	static const unsigned char map[] = { 0xdf, 0x01, 0, 0, 0, 0xa1, 'a' };
	static const unsigned char arr[] = { 0x81, 0xa1, 'a',
	    0xdd, 0x01, 0, 0, 0, 0xc0 };
	struct berth_error err = BERTH_ERROR_INIT;
	struct evbuffer *b = evbuffer_new();
	struct frame f;

	frame_init(&f);
	add_raw(b, map, sizeof(map));
	add_raw(b, arr, sizeof(arr));
	largest_malloc_reset();
	CHECK(frame_read_evbuffer(b, FRAME_MAX_DEFAULT, &f, &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_INVALID_FRAME));
	CHECK(frame_read_evbuffer(b, FRAME_MAX_DEFAULT, &f, &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_INVALID_FRAME));
	CHECK(largest_malloc() < 65536);
	frame_release(&f);
	evbuffer_free(b);
	berth_error_clear(&err);
}

static int
decode(const void *bytes, size_t len, struct berth_error *err)
{
	struct frame f;
	char *copy = malloc(len + 1);
	int rc;

	memcpy(copy, bytes, len);
	frame_init(&f);
	rc = frame_decode_payload(&f, copy, len, err);
	frame_release(&f);
	return (rc);
}

static void
malformed_msgpack(void)
{
	static const unsigned char never_used[] = { 0x81, 0xa1, 'a', 0xc1 };
	static const unsigned char truncated_str[] = { 0x81, 0xa1, 'a', 0xa5,
	    'x' };
	static const unsigned char trailing[] = { 0x80, 0x01 };
	static const unsigned char not_a_map[] = { 0x92, 0x01, 0x02 };
	static const unsigned char empty_map[] = { 0x80 };
	struct berth_error err = BERTH_ERROR_INIT;

	CHECK(decode(never_used, sizeof(never_used), &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_INVALID_FRAME));
	CHECK(strstr(berth_error_message(&err), "0xc1") != NULL);
	CHECK(decode(truncated_str, sizeof(truncated_str), &err) == -1);
	CHECK(strstr(berth_error_message(&err), "truncated") != NULL);
	CHECK(decode(trailing, sizeof(trailing), &err) == -1);
	CHECK(strstr(berth_error_message(&err), "after the value") != NULL);
	CHECK(decode(not_a_map, sizeof(not_a_map), &err) == -1);
	CHECK(strstr(berth_error_message(&err), "map") != NULL);
	CHECK(decode("", 0, &err) == -1);
	CHECK(decode(empty_map, sizeof(empty_map), &err) == 0);
	berth_error_clear(&err);
}

static void
nesting_limit(void)
{
	unsigned char buf[64];
	struct berth_error err = BERTH_ERROR_INIT;
	int depth;

	/* A map, then arrays nested inside it down to a depth. */
	for (depth = FRAME_DEPTH_MAX; depth <= FRAME_DEPTH_MAX + 1; depth++) {
		size_t n = 0;
		int i;

		buf[n++] = 0x81;
		buf[n++] = 0xa1;
		buf[n++] = 'k';
		for (i = 1; i < depth; i++)
			buf[n++] = 0x91;
		buf[n++] = 0xc0;
		if (depth == FRAME_DEPTH_MAX)
			CHECK(decode(buf, n, &err) == 0);
		else {
			CHECK(decode(buf, n, &err) == -1);
			CHECK(strstr(berth_error_message(&err), "deeper") !=
			    NULL);
		}
	}
	berth_error_clear(&err);
}

static void
value_count_bounded_by_size(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	size_t n, len, i, accepted = 0, refused = 0;
	unsigned char *buf;

	/* {"k": [nil, nil, ...]}: one byte per value.  Up to the budget it
	 * decodes (costing at most a small multiple of the frame); past it
	 * it is refused before msgpack-c allocates.  The range straddles
	 * the boundary. */
	for (n = 74880; n <= 74910; n++) {
		len = 3 + 5 + n;
		buf = malloc(len);
		buf[0] = 0x81;
		buf[1] = 0xa1;
		buf[2] = 'k';
		buf[3] = 0xdd;
		buf[4] = n >> 24;
		buf[5] = n >> 16;
		buf[6] = n >> 8;
		buf[7] = n;
		for (i = 8; i < len; i++)
			buf[i] = 0xc0;
		largest_malloc_reset();
		if (n + 3 <= FRAME_VALUES_FREE + len / FRAME_BYTES_PER_VALUE) {
			CHECK(decode(buf, len, &err) == 0);
			CHECK(largest_malloc() <= 32 * len);
			accepted++;
		} else {
			refused++;
			CHECK(decode(buf, len, &err) == -1);
			CHECK(strstr(berth_error_message(&err), "values") !=
			    NULL);
			CHECK(largest_malloc() <= 2 * len);
		}
		free(buf);
	}
	CHECK(accepted > 0 && refused > 0);
	berth_error_clear(&err);
}

static void
finish_enforces_limit(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	static char big[2048];

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	frame_begin(&sb);
	msgpack_pack_map(&pk, 1);
	pack_str(&pk, "x");
	msgpack_pack_bin(&pk, sizeof(big));
	msgpack_pack_bin_body(&pk, big, sizeof(big));
	CHECK(frame_finish(&sb, 1024, &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_FRAME_TOO_LARGE));
	CHECK(frame_finish(&sb, 4096, &err) == 0);
	CHECK(sb.data[0] == 0 && sb.data[1] == 0 &&
	    (unsigned char)sb.data[2] == ((sb.size - 4) >> 8));
	msgpack_sbuffer_destroy(&sb);
	berth_error_clear(&err);
}

int
main(void)
{
	RUN(round_trip);
	RUN(split_over_many_reads);
	RUN(many_frames_in_one_read);
	RUN(oversize_refused_before_allocation);
	RUN(lying_counts_refused_before_allocation);
	RUN(malformed_msgpack);
	RUN(nesting_limit);
	RUN(value_count_bounded_by_size);
	RUN(finish_enforces_limit);
	UNIT_EXIT();
}
