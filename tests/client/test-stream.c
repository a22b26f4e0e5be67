/*
 * libberth's upgraded streams against a fake daemon on a thread: an
 * upload interleaves its data frames with the daemon's replies (a daemon
 * that answers every frame with a large progress reply must not stall
 * it), ends with {"eof": true}, and an early error reply ends it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "berth.h"
#include "frame.h"
#include "message.h"
#include "unit.h"

struct daemon_side {
	int	 fd;
	size_t	 received;	/* data bytes */
	size_t	 frames;
	uint32_t sum;		/* of the bytes, to check order */
	bool	 eof;
	bool	 fail_early;	/* answer the first frame with an error */
	size_t	 padding;	/* bytes of each progress reply */
};

static int
read_frame(int fd, struct frame *fr)
{
	struct berth_error err = BERTH_ERROR_INIT;
	unsigned char hdr[4];
	size_t total, len, got = 0;
	char *payload;
	ssize_t n;

	if (recv(fd, hdr, 4, MSG_WAITALL) != 4 ||
	    frame_peek(hdr, 4, FRAME_MAX_DEFAULT, &total, &err) < 0)
		return (-1);
	len = total - 4;
	payload = malloc(len + 1);
	while (got < len) {
		if ((n = read(fd, payload + got, len - got)) <= 0) {
			free(payload);
			return (-1);
		}
		got += (size_t)n;
	}
	frame_init(fr);
	if (frame_decode_payload(fr, payload, len, &err) < 0) {
		berth_error_clear(&err);
		return (-1);
	}
	return (0);
}

static void
send_reply(int fd, bool continues, bool error, size_t padding, size_t n)
{
	struct berth_error err = BERTH_ERROR_INIT;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	char *pad = calloc(1, padding + 1);
	size_t off = 0;
	ssize_t w;

	msgpack_sbuffer_init(&sb);
	frame_begin(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (error) {
		msgpack_pack_map(&pk, 3);
		pack_kv_str(&pk, "error", "io.berth.Image.InvalidArchive");
		pack_kv_str(&pk, "message", "not an archive");
		pack_str(&pk, "parameters");
		msgpack_pack_map(&pk, 0);
	} else {
		reply_pack_head(&pk, continues);
		msgpack_pack_map(&pk, 2);
		pack_str(&pk, "n");
		msgpack_pack_uint64(&pk, n);
		pack_str(&pk, "pad");
		msgpack_pack_str_with_body(&pk, pad, padding);
	}
	CHECK(frame_finish(&sb, FRAME_MAX_DEFAULT, &err) == 0);
	while (off < sb.size && (w = write(fd, sb.data + off,
	    sb.size - off)) > 0)
		off += (size_t)w;
	msgpack_sbuffer_destroy(&sb);
	free(pad);
}

static void *
daemon_run(void *arg)
{
	struct daemon_side *d = arg;
	const msgpack_object *v;
	struct frame fr;
	size_t i;

	/* The call. */
	if (read_frame(d->fd, &fr) < 0)
		return (NULL);
	frame_release(&fr);
	while (read_frame(d->fd, &fr) == 0) {
		d->frames++;
		if (d->fail_early) {
			frame_release(&fr);
			send_reply(d->fd, false, true, 0, 0);
			shutdown(d->fd, SHUT_RDWR);
			return (NULL);
		}
		if ((v = berth_map_get(fr.root, "data")) != NULL &&
		    v->type == MSGPACK_OBJECT_BIN) {
			for (i = 0; i < v->via.bin.size; i++)
				d->sum = d->sum * 31 +
				    (uint8_t)v->via.bin.ptr[i];
			d->received += v->via.bin.size;
			/* Blocking, before reading on: the client must read
			 * while it writes. */
			send_reply(d->fd, true, false, d->padding, d->received);
		} else if (berth_map_get(fr.root, "eof") != NULL) {
			d->eof = true;
			frame_release(&fr);
			send_reply(d->fd, false, false, 0, d->received);
			return (NULL);
		}
		frame_release(&fr);
	}
	return (NULL);
}

struct counter {
	size_t	replies;
};

static int
count_reply(const struct berth_reply *r, void *arg, struct berth_error *err)
{
	struct counter *c = arg;

	(void)r;
	(void)err;
	c->replies++;
	return (0);
}

/* A temporary file of len pseudo-random bytes, and their sum. */
static int
make_input(size_t len, uint32_t *sum)
{
	char path[] = "/tmp/berth-test-stream-XXXXXX";
	uint32_t x = 12345;
	int fd = mkstemp(path);
	char *buf = malloc(len);
	size_t i;

	unlink(path);
	*sum = 0;
	for (i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (char)(x >> 16);
		*sum = *sum * 31 + (uint8_t)buf[i];
	}
	CHECK(write(fd, buf, len) == (ssize_t)len);
	lseek(fd, 0, SEEK_SET);
	free(buf);
	return (fd);
}

static void
test_upload_interleaves_with_replies(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_reply r = BERTH_REPLY_INIT;
	struct daemon_side d = { .padding = 200000 };
	struct berth_client *c;
	struct counter cnt = { 0 };
	size_t len = 3u << 20;
	uint32_t sum;
	pthread_t t;
	int sv[2], in = make_input(len, &sum);
	const msgpack_object *n;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(berth_client_new_fd(sv[0], &c, &err) == 0);
	d.fd = sv[1];
	CHECK(pthread_create(&t, NULL, daemon_run, &d) == 0);
	CHECK(berth_send(c, "io.berth.Image.Load", NULL, 0,
	    BERTH_CALL_UPGRADE, &err) == 0);
	CHECK(berth_stream_upload(c, in, 64u << 10, count_reply, &cnt, &r,
	    &err) == 0);
	pthread_join(t, NULL);
	CHECK(d.eof);
	CHECK(d.received == len);
	CHECK(d.sum == sum);
	CHECK(d.frames == len / (64u << 10) + 1);
	CHECK(cnt.replies == len / (64u << 10));
	CHECK(!r.continues && !r.error);
	n = berth_map_get(r.parameters, "n");
	CHECK(n != NULL && n->via.u64 == len);
	CHECK(berth_client_pending(c) == 0);
	berth_reply_release(&r);
	berth_error_clear(&err);
	berth_close(c);
	close(sv[1]);
	close(in);
}

static void
test_upload_ends_at_an_error_reply(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_reply r = BERTH_REPLY_INIT;
	struct daemon_side d = { .fail_early = true };
	struct berth_client *c;
	uint32_t sum;
	pthread_t t;
	int sv[2], in = make_input(8u << 20, &sum);

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(berth_client_new_fd(sv[0], &c, &err) == 0);
	d.fd = sv[1];
	CHECK(pthread_create(&t, NULL, daemon_run, &d) == 0);
	CHECK(berth_send(c, "io.berth.Image.Load", NULL, 0,
	    BERTH_CALL_UPGRADE, &err) == 0);
	CHECK(berth_stream_upload(c, in, 0, NULL, NULL, &r, &err) == -1);
	pthread_join(t, NULL);
	CHECK(r.error);
	CHECK(berth_error_is(&err, "io.berth.Image.InvalidArchive"));
	CHECK(strstr(berth_error_message(&err), "not an archive") != NULL);
	berth_reply_release(&r);
	berth_error_clear(&err);
	berth_close(c);
	close(sv[1]);
	close(in);
}

static void
test_stream_frames(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_client *c;
	const msgpack_object *v;
	struct frame fr;
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(berth_client_new_fd(sv[0], &c, &err) == 0);
	CHECK(berth_stream_send_data(c, "abc", 3, &err) == 0);
	CHECK(berth_stream_send_eof(c, &err) == 0);
	CHECK(berth_stream_send(c, "\x81\xa1x\x01", 4, &err) == 0);
	CHECK(berth_stream_send(c, "\x01", 1, &err) == -1);
	berth_error_clear(&err);
	CHECK(read_frame(sv[1], &fr) == 0);
	v = berth_map_get(fr.root, "data");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_BIN &&
	    v->via.bin.size == 3 && memcmp(v->via.bin.ptr, "abc", 3) == 0);
	frame_release(&fr);
	CHECK(read_frame(sv[1], &fr) == 0);
	v = berth_map_get(fr.root, "eof");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean);
	frame_release(&fr);
	CHECK(read_frame(sv[1], &fr) == 0);
	CHECK(berth_map_get(fr.root, "x") != NULL);
	frame_release(&fr);
	berth_close(c);
	close(sv[1]);
}

int
main(void)
{
	RUN(test_stream_frames);
	RUN(test_upload_interleaves_with_replies);
	RUN(test_upload_ends_at_an_error_reply);
	UNIT_EXIT();
}
