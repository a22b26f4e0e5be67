/*
 * An interactive session on an upgraded connection (Container.Attach,
 * Container.Exec): the daemon's {"stdout"}/{"stderr"} replies written
 * out as they come, the client's stdin sent as {"stdin"} frames (then
 * {"eof"}), the terminal put in raw mode and its size sent as
 * {"resize"} when it changes.  Reading and writing interleave with
 * poll(2), so neither side can stall the other.
 */
#ifndef BERTH_SESSION_H
#define BERTH_SESSION_H

#include <stdbool.h>

#include "berth.h"

struct session_opts {
	int	 in;		/* stdin to send, or -1 */
	int	 out, err;	/* where the output goes */
	bool	 tty;		/* the process has a terminal */
	int	 sigfd;		/* signals to serve meanwhile, or -1 */
	/* A signal read from sigfd (SIGWINCH is handled here): true when
	 * it was dealt with (sent on to the container); otherwise, or
	 * without on_signal, the session ends with end->signal set, for
	 * the caller to die of it once the terminal is restored. */
	bool	(*on_signal)(int sig, void *arg);
	void	*arg;
	/* Called once, with the first reply (the session is in place). */
	int	(*on_ready)(void *arg, struct berth_error *err);
};

struct session_end {
	bool	 detached;
	bool	 has_code;
	int	 exit_code;
	int	 signal;	/* the session ended on this signal */
};

/* Die of end->signal, if any, as the default action would. */
void	session_raise(const struct session_end *end);

/* Run until the last reply; -1 with err on a daemon error (reply then
 * holds it, with its parameters) or a broken connection.  The caller
 * releases reply. */
int	session_run(struct berth_client *c, const struct session_opts *o,
	    struct session_end *end, struct berth_reply *reply,
	    struct berth_error *err);
/* The terminal's size frame ({"resize": {rows, cols}}) for fd, packed
 * into a map by the caller's packer; false when fd is no terminal. */
bool	session_term_size(int fd, unsigned *rows, unsigned *cols);

#endif
