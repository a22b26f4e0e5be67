/*
 * A process's stdin fed from the loop, and detach keys (stdio-input.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "message.h"
#include "stdio-input.h"

struct stdio_input {
	int		 fd;
	struct event	*ev;
	struct evbuffer	*buf;
	bool		 eof;		/* close once written */
	bool		 was_full;
	void		(*drained)(void *);
	void		*arg;
};

/* ---- detach keys --------------------------------------------------- */

static int
key_of(const char *k, size_t len, unsigned char *out)
{
	if (len == 1) {
		*out = (unsigned char)k[0];
		return (0);
	}
	if (len == 6 && strncmp(k, "ctrl-", 5) == 0) {
		char c = k[5];

		if (c >= 'a' && c <= 'z') {
			*out = (unsigned char)(c - 'a' + 1);
			return (0);
		}
		if (c == '@' || c == '[' || c == '\\' || c == ']' ||
		    c == '^' || c == '_') {
			*out = c == '@' ? 0 : (unsigned char)(c - '[' + 27);
			return (0);
		}
	}
	return (-1);
}

int
detach_keys_parse(const char *spec, struct detach_keys *k,
    struct berth_error *err)
{
	const char *p, *comma;
	size_t len;

	memset(k, 0, sizeof(*k));
	if (spec == NULL || *spec == '\0')
		spec = DETACH_KEYS_DEFAULT;
	for (p = spec; ; p = comma + 1) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (k->len == DETACH_KEYS_MAX ||
		    key_of(p, len, &k->seq[k->len]) < 0) {
			berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "invalid detach keys \"%s\": unknown character "
			    "'%.*s'", spec, (int)len, p);
			return (berth_error_param_str(err, "parameter",
			    "detach_keys"));
		}
		k->len++;
		if (comma == NULL)
			break;
	}
	return (0);
}

int
detach_keys_param(const struct call *call, char *buf, size_t size,
    struct berth_error *err)
{
	const msgpack_object *v = msgpack_map_get(call->parameters,
	    "detach_keys");

	buf[0] = '\0';
	if (v == NULL || v->type == MSGPACK_OBJECT_NIL ||
	    msgpack_str_copy(v, buf, size))
		return (0);
	berth_error_set(err, BERTH_E_INVALID_PARAM, 0, "invalid detach keys: "
	    "longer than %zu characters", size - 1);
	return (berth_error_param_str(err, "parameter", "detach_keys"));
}

bool
detach_keys_scan(struct detach_keys *k, const unsigned char *buf,
    size_t len, struct stdio_input *in)
{
	size_t i, start = 0;

	for (i = 0; i < len; i++) {
		if (buf[i] == k->seq[k->matched]) {
			/* Bytes before the candidate go on now. */
			if (i > start && in != NULL)
				stdio_input_write(in, buf + start, i - start);
			start = i + 1;
			if (++k->matched == k->len) {
				k->matched = 0;
				return (true);
			}
			continue;
		}
		if (k->matched > 0) {
			/* Not the sequence after all: what was held back
			 * goes on, then this byte is looked at afresh. */
			if (in != NULL)
				stdio_input_write(in, k->seq, k->matched);
			k->matched = 0;
			start = i;
			i--;
		}
	}
	if (len > start && in != NULL)
		stdio_input_write(in, buf + start, len - start);
	return (false);
}

/* ---- input --------------------------------------------------------- */

static void
input_close_fd(struct stdio_input *in)
{
	if (in->ev != NULL) {
		event_free(in->ev);
		in->ev = NULL;
	}
	if (in->fd >= 0) {
		close(in->fd);
		in->fd = -1;
	}
	evbuffer_drain(in->buf, evbuffer_get_length(in->buf));
}

static void
input_flush(struct stdio_input *in)
{
	int n;

	while (in->fd >= 0 && evbuffer_get_length(in->buf) > 0) {
		n = evbuffer_write(in->buf, in->fd);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			/* The process closed its stdin or exited: what it
			 * will not read is dropped. */
			input_close_fd(in);
			break;
		}
	}
	if (in->fd >= 0 && evbuffer_get_length(in->buf) == 0 && in->eof)
		input_close_fd(in);
	if (in->fd >= 0 && evbuffer_get_length(in->buf) > 0)
		event_add(in->ev, NULL);
	if (in->was_full && !stdio_input_full(in)) {
		in->was_full = false;
		if (in->drained != NULL)
			in->drained(in->arg);
	}
}

static void
input_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	input_flush(arg);
}

int
stdio_input_new(struct event_base *base, int fd, void (*drained)(void *),
    void *arg, struct stdio_input **out, struct berth_error *err)
{
	struct stdio_input *in;
	int flags;

	if ((in = calloc(1, sizeof(*in))) == NULL ||
	    (in->buf = evbuffer_new()) == NULL ||
	    (in->ev = event_new(base, fd, EV_WRITE, input_cb, in)) == NULL) {
		if (in != NULL && in->buf != NULL)
			evbuffer_free(in->buf);
		free(in);
		close(fd);
		return (berth_error_set(err, BERTH_E_SYSTEM, ENOMEM, "stdin"));
	}
	in->fd = fd;
	in->drained = drained;
	in->arg = arg;
	if ((flags = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		berth_error_sys(err, "stdin");
		stdio_input_free(in);
		return (-1);
	}
	*out = in;
	return (0);
}

void
stdio_input_write(struct stdio_input *in, const void *buf, size_t len)
{
	if (in->fd < 0 || in->eof || len == 0)
		return;
	if (evbuffer_add(in->buf, buf, len) < 0)
		return;
	if (stdio_input_full(in))
		in->was_full = true;
	input_flush(in);
}

bool
stdio_input_full(const struct stdio_input *in)
{
	return (evbuffer_get_length(in->buf) >= STDIO_INPUT_HIGH);
}

void
stdio_input_eof(struct stdio_input *in)
{
	in->eof = true;
	input_flush(in);
}

int
stdio_input_fd(const struct stdio_input *in)
{
	return (in != NULL ? in->fd : -1);
}

void
stdio_input_free(struct stdio_input *in)
{
	if (in == NULL)
		return;
	input_close_fd(in);
	evbuffer_free(in->buf);
	free(in);
}
