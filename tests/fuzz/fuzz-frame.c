/*
 * Fuzz target for the wire path a peer's bytes take in berthd: an evbuffer
 * filled in chunks, frames pulled with frame_read_evbuffer, each parsed as
 * a call (method looked up in the built-in interfaces, parameters
 * validated) and as a reply; errors are packed back into an error reply
 * and read again, as the daemon and the client would.
 *
 * Input layout: the first byte chooses how the rest is cut into chunks
 * (0: all at once), the rest is the byte stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "cleanup.h"
#include "frame.h"
#include "idl.h"
#include "interfaces.h"
#include "message.h"

#define FUZZ_FRAME_MAX	(64u << 10)

static struct idl_registry registry;

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct berth_error err = BERTH_ERROR_INIT;

	(void)argc;
	(void)argv;
	idl_registry_init(&registry);
	if (interfaces_load(&registry, &err) < 0)
		abort();
	return (0);
}

/* Pack a value as a whole frame and decode it again into f. */
static int
reframe(msgpack_sbuffer *sb, struct frame *f, struct berth_error *err)
{
	char *copy;
	size_t len;

	if (frame_finish(sb, FUZZ_FRAME_MAX * 2, err) < 0)
		return (-1);
	len = sb->size - FRAME_HEADER_SIZE;
	if ((copy = malloc(len + 1)) == NULL)
		abort();
	memcpy(copy, sb->data + FRAME_HEADER_SIZE, len);
	return (frame_decode_payload(f, copy, len, err));
}

/* An error value must survive the trip through an error reply. */
static void
check_error_reply(const struct berth_error *sent)
{
	struct berth_error err = BERTH_ERROR_INIT, got = BERTH_ERROR_INIT;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct frame f;
	struct reply r;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	frame_init(&f);
	frame_begin(&sb);
	reply_pack_error(&pk, sent);
	if (reframe(&sb, &f, &err) < 0)
		abort();
	if (reply_parse(f.root, &r, &got) != -1 || !r.is_error)
		abort();
	if (sent->name[0] != '\0' && strcmp(got.name, sent->name) != 0)
		abort();
	if (got.nparams != sent->nparams)
		abort();
	frame_release(&f);
	msgpack_sbuffer_destroy(&sb);
	berth_error_clear(&got);
	berth_error_clear(&err);
}

/* A parsed call packed again must parse to the same call. */
static void
check_call_repack(const struct call *c)
{
	struct berth_error err = BERTH_ERROR_INIT;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct frame f;
	struct call again;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	frame_init(&f);
	frame_begin(&sb);
	call_pack_head(&pk, c->method, c->flags);
	if (c->parameters != NULL)
		msgpack_pack_object(&pk, *c->parameters);
	else
		msgpack_pack_map(&pk, 0);
	if (reframe(&sb, &f, &err) < 0)
		abort();
	if (call_parse(f.root, &again, &err) < 0)
		abort();
	if (strcmp(again.method, c->method) != 0 || again.flags != c->flags)
		abort();
	frame_release(&f);
	msgpack_sbuffer_destroy(&sb);
	berth_error_clear(&err);
}

static void
handle_frame(const struct frame *f)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const struct idl_interface *iface;
	const struct idl_method *method;
	struct call c;
	struct reply r;

	if (call_parse(f->root, &c, &err) == 0) {
		check_call_repack(&c);
		if (idl_registry_method(&registry, c.method, &iface, &method,
		    &err) == 0)
			idl_validate(method->in, c.parameters, &err);
	}
	if (berth_error_isset(&err))
		check_error_reply(&err);
	berth_error_clear(&err);

	if (reply_parse(f->root, &r, &err) < 0 && r.is_error)
		check_error_reply(&err);
	berth_error_clear(&err);
}

/* The next chunk size: a small xorshift seeded by the selector byte. */
static size_t
next_chunk(uint32_t *state, uint8_t sel, size_t left)
{
	uint32_t x = *state;
	size_t n;

	if (sel == 0)
		return (left);
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	n = 1 + x % ((size_t)(sel & 0x3f) * 8 + 1);
	return (n < left ? n : left);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct evbuffer *in;
	struct frame f;
	uint32_t state;
	size_t off, n;
	uint8_t sel;
	int rc = 0;

	if (size == 0)
		return (0);
	sel = data[0];
	state = 0x9e3779b9u ^ sel;
	if ((in = evbuffer_new()) == NULL)
		abort();
	frame_init(&f);
	for (off = 1; off < size && rc >= 0; off += n) {
		n = next_chunk(&state, sel, size - off);
		evbuffer_add(in, data + off, n);
		while ((rc = frame_read_evbuffer(in, FUZZ_FRAME_MAX, &f,
		    &err)) == 1)
			handle_frame(&f);
	}
	/* -1: the stream can't be trusted; the daemon answers and closes. */
	if (rc < 0) {
		if (!berth_error_isset(&err))
			abort();
		check_error_reply(&err);
	}
	berth_error_clear(&err);
	frame_release(&f);
	evbuffer_free(in);
	return (0);
}
