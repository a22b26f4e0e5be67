/*
 * The input side of an interactive session: bytes a client typed or
 * piped, on their way to a process's stdin (a pipe or a pty master), and
 * the detach keys that end the session instead.
 *
 * Input is queued in an evbuffer and written as the fd takes it; above
 * STDIO_INPUT_HIGH bytes queued the session stops reading its peer
 * (stdio_input_full) until drained() is called: a process that does not
 * read its stdin never grows berthd's memory.
 */
#ifndef BERTHD_STDIO_INPUT_H
#define BERTHD_STDIO_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define STDIO_INPUT_HIGH	(256u << 10)
#define DETACH_KEYS_MAX		16
#define DETACH_KEYS_DEFAULT	"ctrl-p,ctrl-q"
/* The longest spec: DETACH_KEYS_MAX keys of "ctrl-x,". */
#define DETACH_KEYS_SPEC_MAX	(DETACH_KEYS_MAX * 8)

struct event_base;
struct stdio_input;

struct detach_keys {
	unsigned char	 seq[DETACH_KEYS_MAX];
	size_t		 len;
	size_t		 matched;	/* bytes of seq seen, held back */
};

struct call;

/* The call's detach_keys into buf ("" when absent); InvalidParameter
 * when it is not a string that fits. */
int	detach_keys_param(const struct call *call, char *buf, size_t size,
	    struct berth_error *err);
/* Docker's --detach-keys: "ctrl-p,ctrl-q", "a,ctrl-@"; NULL or "" is
 * the default. */
int	detach_keys_parse(const char *spec, struct detach_keys *k,
	    struct berth_error *err);
/*
 * Pass buf through the detach sequence: bytes that go on to the process
 * are appended to in; a prefix of the sequence is held back until the
 * next bytes show whether it completes.  True when the sequence was
 * typed (what followed it in buf is dropped).
 */
bool	detach_keys_scan(struct detach_keys *k, const unsigned char *buf,
	    size_t len, struct stdio_input *in);

/* Take fd (made non-blocking); drained(arg) is called when the queue
 * falls below the high-water mark again. */
int	stdio_input_new(struct event_base *base, int fd,
	    void (*drained)(void *), void *arg, struct stdio_input **out,
	    struct berth_error *err);
/* Queue bytes for the process (dropped once the fd failed). */
void	stdio_input_write(struct stdio_input *in, const void *buf,
	    size_t len);
bool	stdio_input_full(const struct stdio_input *in);
/* Close the fd once what is queued is written: the process reads EOF. */
void	stdio_input_eof(struct stdio_input *in);
/* The fd, for a terminal's resize; -1 once closed. */
int	stdio_input_fd(const struct stdio_input *in);
void	stdio_input_free(struct stdio_input *in);

#endif
