/*
 * libberth against a fake daemon: the test holds the other end of a
 * socketpair, reads the calls the library writes and writes replies by
 * hand, whole, in pieces, too large, or cut off.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "berth.h"
#include "cleanup.h"
#include "frame.h"
#include "message.h"
#include "unit.h"

struct fake {
	struct berth_client	*c;
	int			 peer;		/* the daemon's end */
};

static void
fake_open(struct fake *f)
{
	struct berth_error err = BERTH_ERROR_INIT;
	int sv[2];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
	CHECK(berth_client_new_fd(sv[0], &f->c, &err) == 0);
	f->peer = sv[1];
}

static void
fake_close(struct fake *f)
{
	berth_close(f->c);
	if (f->peer >= 0)
		close(f->peer);
}

/* Read one call frame from the client's side into fr and parse it. */
static int
fake_read_call(struct fake *f, struct frame *fr, struct call *call)
{
	struct berth_error err = BERTH_ERROR_INIT;
	unsigned char hdr[4];
	size_t total = 0, len, got = 0;
	char *payload;
	ssize_t n;

	if (read(f->peer, hdr, 4) != 4)
		return (-1);
	if (frame_peek(hdr, 4, FRAME_MAX_DEFAULT, &total, &err) < 0)
		return (-1);
	len = total - 4;
	payload = malloc(len + 1);
	while (got < len) {
		if ((n = read(f->peer, payload + got, len - got)) <= 0) {
			free(payload);
			return (-1);
		}
		got += (size_t)n;
	}
	if (frame_decode_payload(fr, payload, len, &err) < 0 ||
	    call_parse(fr->root, call, &err) < 0) {
		berth_error_clear(&err);
		return (-1);
	}
	return (0);
}

/* A reply frame: {parameters: {key: value}} with optional continues. */
static void
pack_reply(msgpack_sbuffer *sb, bool continues, const char *key,
    const char *value)
{
	struct berth_error err = BERTH_ERROR_INIT;
	msgpack_packer pk;

	msgpack_sbuffer_init(sb);
	frame_begin(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	reply_pack_head(&pk, continues);
	msgpack_pack_map(&pk, key != NULL ? 1 : 0);
	if (key != NULL)
		pack_kv_str(&pk, key, value);
	CHECK(frame_finish(sb, FRAME_MAX_DEFAULT, &err) == 0);
}

static void
write_reply(struct fake *f, bool continues, const char *key,
    const char *value)
{
	msgpack_sbuffer sb;

	pack_reply(&sb, continues, key, value);
	CHECK(write(f->peer, sb.data, sb.size) == (ssize_t)sb.size);
	msgpack_sbuffer_destroy(&sb);
}

static bool
param_is(const struct berth_reply *r, const char *key, const char *value)
{
	const msgpack_object *v = berth_map_get(r->parameters, key);

	return (v != NULL && msgpack_str_eq(v, value));
}

static int
pack_two_keys(msgpack_packer *pk, void *arg, struct berth_error *err)
{
	(void)err;
	msgpack_pack_map(pk, 2);
	pack_kv_str(pk, "a", arg);
	pack_str(pk, "n");
	msgpack_pack_int(pk, -7);
	return (0);
}

static int
pack_two_values(msgpack_packer *pk, void *arg, struct berth_error *err)
{
	(void)arg;
	(void)err;
	msgpack_pack_map(pk, 0);
	msgpack_pack_map(pk, 0);
	return (0);
}

static void
test_pipelined_calls_reach_the_daemon_in_order(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_reply r = BERTH_REPLY_INIT;
	struct frame fr;
	struct call call;
	struct fake f;
	/* {"payload": "hi"} */
	static const char params[] = "\x81\xa7payload\xa2hi";
	const msgpack_object *v;

	fake_open(&f);
	frame_init(&fr);
	CHECK(berth_send(f.c, "io.berth.Service.Ping", params,
	    sizeof(params) - 1, 0, &err) == 0);
	CHECK(berth_send_packed(f.c, "io.berth.Test.Packed", BERTH_CALL_MORE,
	    pack_two_keys, "x", &err) == 0);
	CHECK(berth_send(f.c, "io.berth.Test.Oneway", NULL, 0,
	    BERTH_CALL_ONEWAY, &err) == 0);
	CHECK(berth_client_pending(f.c) == 2);

	CHECK(fake_read_call(&f, &fr, &call) == 0);
	CHECK_STR(call.method, "io.berth.Service.Ping");
	CHECK(call.flags == 0);
	v = msgpack_map_get(call.parameters, "payload");
	CHECK(v != NULL && msgpack_str_eq(v, "hi"));
	CHECK(fake_read_call(&f, &fr, &call) == 0);
	CHECK_STR(call.method, "io.berth.Test.Packed");
	CHECK(call.flags == CALL_MORE);
	v = msgpack_map_get(call.parameters, "n");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
	    v->via.i64 == -7);
	CHECK(fake_read_call(&f, &fr, &call) == 0);
	CHECK_STR(call.method, "io.berth.Test.Oneway");
	CHECK(call.flags == CALL_ONEWAY);
	CHECK(call.parameters != NULL && call.parameters->via.map.size == 0);

	/* The replies: one for Ping, a stream of two for Packed. */
	write_reply(&f, false, "payload", "hi");
	write_reply(&f, true, "step", "1");
	write_reply(&f, false, "step", "2");
	CHECK(berth_recv(f.c, &r, &err) == 0);
	CHECK(param_is(&r, "payload", "hi") && !r.continues && !r.error);
	CHECK(berth_recv(f.c, &r, &err) == 0);
	CHECK(param_is(&r, "step", "1") && r.continues);
	CHECK(berth_client_pending(f.c) == 1);
	CHECK(berth_recv(f.c, &r, &err) == 0);
	CHECK(param_is(&r, "step", "2") && !r.continues);
	CHECK(berth_client_pending(f.c) == 0);
	/* Nothing is owed: no blocking read. */
	CHECK(berth_recv(f.c, &r, &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_PROTOCOL));

	berth_reply_release(&r);
	berth_error_clear(&err);
	frame_release(&fr);
	fake_close(&f);
}

static void
test_send_refuses_parameters_that_are_not_one_map(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct fake f;
	static const char array[] = "\x91\x01";		/* [1] */
	static const char two[] = "\x80\x80";		/* {} {} */
	static const char cut[] = "\x81\xa1";		/* {"" truncated */
	char b;

	fake_open(&f);
	CHECK(berth_send(f.c, "a.b.C", array, 2, 0, &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_INVALID_PARAM));
	CHECK(berth_send(f.c, "a.b.C", two, 2, 0, &err) == -1);
	CHECK(berth_send(f.c, "a.b.C", cut, 2, 0, &err) == -1);
	CHECK(berth_send(f.c, "a.b.C", two, 0, 0, &err) == -1);
	CHECK(berth_send_packed(f.c, "a.b.C", 0, pack_two_values, NULL,
	    &err) == -1);
	CHECK(berth_send(f.c, "", NULL, 0, 0, &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_INVALID_CALL));
	CHECK(berth_send(f.c, "a.b.C", NULL, 0,
	    BERTH_CALL_MORE | BERTH_CALL_ONEWAY, &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_INVALID_CALL));
	/* Nothing reached the daemon and nothing is owed. */
	CHECK(berth_client_pending(f.c) == 0);
	CHECK(recv(f.peer, &b, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN);
	berth_error_clear(&err);
	fake_close(&f);
}

/*
 * Write a frame in pieces, each only once the reader is blocked in
 * read(2), so that every piece is a short read for it.  The wait polls
 * /proc for the reader's state; where /proc does not tell, the pieces
 * still arrive in order and the test stays valid, only less sharp.
 */
struct splitter {
	int		 fd;
	pid_t		 reader;
	const char	*data;
	size_t		 len;
	const size_t	*cuts;		/* piece ends, the last == len */
};

static bool
in_read(pid_t tid)
{
	char path[64], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (true);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return (true);
	buf[n] = '\0';
	/* "running" while on a CPU, else the syscall number. */
	return (buf[0] >= '0' && buf[0] <= '9' && atol(buf) == SYS_read);
}

static void *
splitter_run(void *arg)
{
	struct splitter *s = arg;
	size_t off = 0;
	int i, spins;

	for (i = 0; off < s->len; i++) {
		for (spins = 0; !in_read(s->reader) && spins < 100000; spins++)
			usleep(100);
		if (write(s->fd, s->data + off, s->cuts[i] - off) < 0)
			break;
		off = s->cuts[i];
	}
	return (NULL);
}

static void
test_reply_split_over_several_writes(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_reply r = BERTH_REPLY_INIT;
	struct splitter s;
	msgpack_sbuffer sb;
	struct fake f;
	pthread_t t;
	size_t cuts[4];

	fake_open(&f);
	CHECK(berth_send(f.c, "io.berth.Service.Ping", NULL, 0, 0, &err) == 0);
	pack_reply(&sb, false, "payload", "split in four");
	/* Mid-header, end of header, mid-payload, end. */
	cuts[0] = 2;
	cuts[1] = 4;
	cuts[2] = 9;
	cuts[3] = sb.size;
	s.fd = f.peer;
	s.reader = (pid_t)syscall(SYS_gettid);
	s.data = sb.data;
	s.len = sb.size;
	s.cuts = cuts;
	CHECK(pthread_create(&t, NULL, splitter_run, &s) == 0);
	CHECK(berth_recv(f.c, &r, &err) == 0);
	CHECK(param_is(&r, "payload", "split in four"));
	pthread_join(t, NULL);
	berth_reply_release(&r);
	msgpack_sbuffer_destroy(&sb);
	berth_error_clear(&err);
	fake_close(&f);
}

static void
test_oversize_reply_refused_before_reading_it(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_reply r = BERTH_REPLY_INIT;
	uint32_t be = htonl(FRAME_MAX_DEFAULT + 1);
	msgpack_sbuffer sb;
	struct fake f;

	fake_open(&f);
	CHECK(berth_send(f.c, "a.b.C", NULL, 0, 0, &err) == 0);
	CHECK(write(f.peer, &be, 4) == 4);
	CHECK(berth_recv(f.c, &r, &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_PROTOCOL));
	CHECK(strstr(berth_error_message(&err), "exceeds") != NULL);
	CHECK(!r.error && r.parameters == NULL);
	/* The stream is out of step: the client says so from now on. */
	CHECK(berth_send(f.c, "a.b.C", NULL, 0, 0, &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_CLOSED));
	fake_close(&f);

	/* A limit set lower than the default applies too. */
	fake_open(&f);
	CHECK(berth_client_set_max_frame(f.c, 8, &err) == 0);
	CHECK(berth_client_set_max_frame(f.c, 0, &err) == -1);
	CHECK(berth_client_set_max_frame(f.c, BERTH_FRAME_MAX_LIMIT + 1,
	    &err) == -1);
	CHECK(berth_send(f.c, "a.b.C", NULL, 0, 0, &err) == -1);  /* > 8 */
	CHECK(berth_client_set_max_frame(f.c, 64, &err) == 0);
	CHECK(berth_send(f.c, "a.b.C", NULL, 0, 0, &err) == 0);
	CHECK(berth_client_set_max_frame(f.c, 8, &err) == 0);
	pack_reply(&sb, false, "payload", "more than eight bytes");
	CHECK(write(f.peer, sb.data, sb.size) == (ssize_t)sb.size);
	CHECK(berth_recv(f.c, &r, &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_PROTOCOL));
	msgpack_sbuffer_destroy(&sb);
	berth_error_clear(&err);
	fake_close(&f);
}

/* The daemon hangs up after writing only `cut` bytes of a reply. */
static void
hang_up_after(size_t cut, const char *want_name, const char *want_text)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_reply r = BERTH_REPLY_INIT;
	msgpack_sbuffer sb;
	struct fake f;

	fake_open(&f);
	CHECK(berth_send(f.c, "a.b.C", NULL, 0, 0, &err) == 0);
	pack_reply(&sb, false, "payload", "cut short");
	CHECK(cut < sb.size);
	if (cut > 0)
		CHECK(write(f.peer, sb.data, cut) == (ssize_t)cut);
	close(f.peer);
	f.peer = -1;
	CHECK(berth_recv(f.c, &r, &err) == -1);
	CHECK_STR(err.name, want_name);
	CHECK(strstr(berth_error_message(&err), want_text) != NULL);
	CHECK(!r.error && r.parameters == NULL);
	msgpack_sbuffer_destroy(&sb);
	berth_error_clear(&err);
	fake_close(&f);
}

static void
test_peer_closing_mid_frame_is_a_clear_error(void)
{
	hang_up_after(0, BERTH_E_CLOSED, "closed the connection");
	hang_up_after(2, BERTH_E_PROTOCOL, "middle of a frame header");
	hang_up_after(7, BERTH_E_PROTOCOL, "middle of a frame");
}

static void
test_write_to_closed_peer_fails_without_sigpipe(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct sigaction sa, old;
	struct fake f;

	/* With SIGPIPE at its default, a signal would end the test. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, &old);
	fake_open(&f);
	close(f.peer);
	f.peer = -1;
	CHECK(berth_send(f.c, "a.b.C", NULL, 0, 0, &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_CLOSED));
	sigaction(SIGPIPE, &old, NULL);
	berth_error_clear(&err);
	fake_close(&f);
}

static void
test_error_reply_fills_err_and_keeps_parameters(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_error remote = BERTH_ERROR_INIT;
	struct berth_reply r = BERTH_REPLY_INIT;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	struct fake f;

	fake_open(&f);
	CHECK(berth_send(f.c, "a.b.C", NULL, 0, 0, &err) == 0);
	berth_error_set(&remote, "io.berth.Container.NotFound", ENOENT,
	    "no such container: web");
	berth_error_param_str(&remote, "container", "web");
	msgpack_sbuffer_init(&sb);
	frame_begin(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	reply_pack_error(&pk, &remote);
	CHECK(frame_finish(&sb, FRAME_MAX_DEFAULT, &err) == 0);
	CHECK(write(f.peer, sb.data, sb.size) == (ssize_t)sb.size);

	CHECK(berth_recv(f.c, &r, &err) == -1);
	CHECK(r.error);
	CHECK_STR(err.name, "io.berth.Container.NotFound");
	CHECK(err.errnum == ENOENT);
	CHECK(strstr(berth_error_message(&err), "no such container: web") !=
	    NULL);
	CHECK(err.nparams == 1 && strcmp(err.params[0].key, "container") == 0);
	CHECK(param_is(&r, "container", "web"));
	/* The connection is still good after an error reply. */
	CHECK(berth_client_pending(f.c) == 0);
	CHECK(berth_send(f.c, "a.b.C", NULL, 0, 0, &err) == 0);

	berth_reply_release(&r);
	CHECK(r.parameters == NULL && !r.error);
	msgpack_sbuffer_destroy(&sb);
	berth_error_clear(&remote);
	berth_error_clear(&err);
	fake_close(&f);
}

static void
test_call_returns_one_reply_and_refuses_when_pipelined(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_reply r = BERTH_REPLY_INIT;
	struct fake f;

	fake_open(&f);
	/* The reply is already waiting when berth_call reads. */
	write_reply(&f, false, "payload", "one shot");
	CHECK(berth_call(f.c, "io.berth.Service.Ping", NULL, 0, &r,
	    &err) == 0);
	CHECK(param_is(&r, "payload", "one shot"));
	/* A reply without parameters still has an (empty) map. */
	CHECK(berth_send(f.c, "a.b.C", NULL, 0, 0, &err) == 0);
	write_reply(&f, false, NULL, NULL);
	CHECK(berth_recv(f.c, &r, &err) == 0);
	CHECK(r.parameters != NULL &&
	    r.parameters->type == MSGPACK_OBJECT_MAP);
	CHECK(berth_send(f.c, "a.b.C", NULL, 0, 0, &err) == 0);
	CHECK(berth_call(f.c, "a.b.D", NULL, 0, &r, &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_INVALID_CALL));
	berth_reply_release(&r);
	berth_error_clear(&err);
	fake_close(&f);
}

static void
test_upgrade_leaves_stream_bytes_unread(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_reply r = BERTH_REPLY_INIT;
	msgpack_sbuffer sb;
	struct fake f;
	char raw[8] = "";

	fake_open(&f);
	CHECK(berth_send(f.c, "a.b.Attach", NULL, 0, BERTH_CALL_UPGRADE,
	    &err) == 0);
	pack_reply(&sb, false, NULL, NULL);
	msgpack_sbuffer_write(&sb, "RAW", 3);	/* in the same write */
	CHECK(write(f.peer, sb.data, sb.size) == (ssize_t)sb.size);
	CHECK(berth_recv(f.c, &r, &err) == 0);
	CHECK(read(berth_client_fd(f.c), raw, sizeof(raw)) == 3);
	CHECK(memcmp(raw, "RAW", 3) == 0);
	berth_reply_release(&r);
	msgpack_sbuffer_destroy(&sb);
	fake_close(&f);
}

int
main(void)
{
	RUN(test_pipelined_calls_reach_the_daemon_in_order);
	RUN(test_send_refuses_parameters_that_are_not_one_map);
	RUN(test_reply_split_over_several_writes);
	RUN(test_oversize_reply_refused_before_reading_it);
	RUN(test_peer_closing_mid_frame_is_a_clear_error);
	RUN(test_write_to_closed_peer_fails_without_sigpipe);
	RUN(test_error_reply_fills_err_and_keeps_parameters);
	RUN(test_call_returns_one_reply_and_refuses_when_pipelined);
	RUN(test_upgrade_leaves_stream_bytes_unread);
	UNIT_EXIT();
}
