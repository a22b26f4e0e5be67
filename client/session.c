/*
 * Interactive sessions (session.h).
 */
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <msgpack.h>

#include "cleanup.h"
#include "cli.h"
#include "frame.h"
#include "session.h"

#define SESSION_CHUNK	32768

struct outq {
	char	*data;
	size_t	 size, off, cap;
};

static int
outq_add(struct outq *q, const msgpack_sbuffer *sb, struct berth_error *err)
{
	char *p;

	if (q->off == q->size)
		q->off = q->size = 0;
	if (q->size + sb->size > q->cap) {
		if ((p = realloc(q->data, q->size + sb->size)) == NULL)
			return (berth_error_sys(err, "session"));
		q->data = p;
		q->cap = q->size + sb->size;
	}
	memcpy(q->data + q->size, sb->data, sb->size);
	q->size += sb->size;
	return (0);
}

/* One stream frame, {key: value}: bin data, true, or a size map. */
static int
queue_frame(struct outq *q, const char *key, const void *data, size_t len,
    unsigned rows, unsigned cols, struct berth_error *err)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	int rc;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	frame_begin(&sb);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str_with_body(&pk, key, strlen(key));
	if (data != NULL)
		msgpack_pack_bin_with_body(&pk, data, len);
	else if (strcmp(key, "resize") == 0) {
		msgpack_pack_map(&pk, 2);
		msgpack_pack_str_with_body(&pk, "rows", 4);
		msgpack_pack_unsigned_int(&pk, rows);
		msgpack_pack_str_with_body(&pk, "cols", 4);
		msgpack_pack_unsigned_int(&pk, cols);
	} else
		msgpack_pack_true(&pk);
	rc = frame_finish(&sb, BERTH_FRAME_MAX_DEFAULT, err) < 0 ? -1 :
	    outq_add(q, &sb, err);
	msgpack_sbuffer_destroy(&sb);
	return (rc);
}

void
session_raise(const struct session_end *end)
{
	sigset_t mask;

	if (end->signal <= 0)
		return;
	signal(end->signal, SIG_DFL);
	sigemptyset(&mask);
	sigaddset(&mask, end->signal);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	raise(end->signal);
}

bool
session_term_size(int fd, unsigned *rows, unsigned *cols)
{
	struct winsize ws;

	if (fd < 0 || ioctl(fd, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0)
		return (false);
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return (true);
}

static int
queue_size(struct outq *q, int fd, struct berth_error *err)
{
	unsigned rows, cols;

	if (!session_term_size(fd, &rows, &cols))
		return (0);
	return (queue_frame(q, "resize", NULL, 0, rows, cols, err));
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return (-1);
		p += w;
		n -= (size_t)w;
	}
	return (0);
}

static int64_t
int_of(const msgpack_object *v)
{
	if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return ((int64_t)v->via.u64);
	if (v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return (v->via.i64);
	return (-1);
}

/* A reply: output written; 1 when it was the last. */
static int
take_reply(const struct berth_reply *r, const struct session_opts *o,
    struct session_end *end)
{
	const msgpack_object *v;

	if ((v = berth_map_get(r->parameters, "stdout")) != NULL &&
	    (v->type == MSGPACK_OBJECT_BIN || v->type == MSGPACK_OBJECT_STR))
		(void)write_all(o->out, v->via.bin.ptr, v->via.bin.size);
	if ((v = berth_map_get(r->parameters, "stderr")) != NULL &&
	    (v->type == MSGPACK_OBJECT_BIN || v->type == MSGPACK_OBJECT_STR))
		(void)write_all(o->err, v->via.bin.ptr, v->via.bin.size);
	if (r->continues)
		return (0);
	if ((v = berth_map_get(r->parameters, "exit_code")) != NULL) {
		end->has_code = true;
		end->exit_code = (int)int_of(v);
	}
	if ((v = berth_map_get(r->parameters, "detached")) != NULL &&
	    v->type == MSGPACK_OBJECT_BOOLEAN)
		end->detached = v->via.boolean;
	return (1);
}

struct raw_term {
	int		 fd;
	bool		 set;
	struct termios	 saved;
};

static void
raw_enter(struct raw_term *t, int fd)
{
	struct termios tio;

	t->fd = fd;
	t->set = false;
	if (fd < 0 || !isatty(fd) || tcgetattr(fd, &t->saved) < 0)
		return;
	tio = t->saved;
	/* Raw both ways: the container's pty does the line discipline
	 * (echo, ^C, CR-LF), as docker run -t does. */
	cfmakeraw(&tio);
	if (tcsetattr(fd, TCSADRAIN, &tio) == 0)
		t->set = true;
}

static void
raw_leave(struct raw_term *t)
{
	if (t->set)
		(void)tcsetattr(t->fd, TCSADRAIN, &t->saved);
	t->set = false;
}

int
session_run(struct berth_client *c, const struct session_opts *o,
    struct session_end *end, struct berth_reply *reply,
    struct berth_error *err)
{
	struct outq q = { NULL, 0, 0, 0 };
	struct raw_term term = { -1, false, { 0 } };
	struct signalfd_siginfo si;
	struct pollfd pfd[3];
	char buf[SESSION_CHUNK];
	bool ready = false, writing = true, in_open = o->in >= 0;
	int fd = berth_client_fd(c), rc = -1, n;
	ssize_t w;

	memset(end, 0, sizeof(*end));
	if (o->tty) {
		raw_enter(&term, o->in);
		if (queue_size(&q, o->in >= 0 ? o->in : o->out, err) < 0)
			goto out;
	}
	for (;;) {
		pfd[0].fd = fd;
		pfd[0].events = POLLIN | (writing && q.off < q.size ?
		    POLLOUT : 0);
		/* Read more input only once the last is out. */
		pfd[1].fd = in_open && ready && q.off == q.size ? o->in : -1;
		pfd[1].events = POLLIN;
		pfd[2].fd = o->sigfd;
		pfd[2].events = POLLIN;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			berth_error_sys(err, "poll");
			goto out;
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (berth_recv(c, reply, err) < 0)
				goto out;
			if (!ready) {
				ready = true;
				if (o->on_ready != NULL &&
				    o->on_ready(o->arg, err) < 0)
					goto out;
			}
			if (take_reply(reply, o, end) == 1)
				break;
			continue;
		}
		if (pfd[0].revents & POLLOUT) {
			w = send(fd, q.data + q.off, q.size - q.off,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w < 0 && errno != EINTR && errno != EAGAIN)
				writing = false;	/* its reply says why */
			else if (w > 0)
				q.off += (size_t)w;
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			do
				n = (int)read(o->in, buf, sizeof(buf));
			while (n < 0 && errno == EINTR);
			if (n <= 0) {
				in_open = false;
				if (queue_frame(&q, "eof", NULL, 0, 0, 0,
				    err) < 0)
					goto out;
			} else if (queue_frame(&q, "stdin", buf, (size_t)n, 0,
			    0, err) < 0)
				goto out;
		}
		if (pfd[2].revents & POLLIN &&
		    read(o->sigfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGWINCH && o->tty) {
				if (queue_size(&q, o->in >= 0 ? o->in : o->out,
				    err) < 0)
					goto out;
			} else if (si.ssi_signo != SIGWINCH &&
			    (o->on_signal == NULL ||
			    !o->on_signal((int)si.ssi_signo, o->arg))) {
				end->signal = (int)si.ssi_signo;
				break;
			}
		}
	}
	rc = 0;
out:
	raw_leave(&term);
	free(q.data);
	return (rc);
}
