/*
 * The foreground terminal relay (run and exec with process.terminal and
 * no console socket): our terminal in raw mode, bytes copied both ways
 * between our stdin/stdout and the pty master, our window size copied to
 * the pty (at the start and on SIGWINCH), our terminal restored at the
 * end.
 */
#include <sys/ioctl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "container.h"

#define TTY_BUF		8192

struct tty_relay {
	int		master;
	bool		raw;		/* our stdin was put in raw mode */
	struct termios	saved;
	bool		in_open;	/* stdin not at EOF yet */
	bool		master_open;	/* the pty has not hung up yet */
};

/* All of buf to fd, blocking; false when fd is gone. */
static bool
write_all(int fd, const char *buf, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EAGAIN) {
			(void)poll(&pfd, 1, -1);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (false);
		buf += n;
		len -= (size_t)n;
	}
	return (true);
}

void
tty_relay_resize(struct tty_relay *r)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 ||
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(r->master, TIOCSWINSZ, &ws);
}

int
tty_relay_begin(int master, unsigned short rows, unsigned short cols,
    struct tty_relay **out, struct berth_error *err)
{
	struct tty_relay *r;
	struct termios raw;
	struct winsize ws;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (berth_error_sys(err, "terminal relay"));
	r->master = master;
	r->in_open = r->master_open = true;
	/* The size the config asked for, then ours if we have a tty. */
	if (rows > 0 && cols > 0) {
		memset(&ws, 0, sizeof(ws));
		ws.ws_row = rows;
		ws.ws_col = cols;
		(void)ioctl(master, TIOCSWINSZ, &ws);
	}
	tty_relay_resize(r);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &r->saved) == 0) {
		raw = r->saved;
		cfmakeraw(&raw);
		/* Output post-processing stays: the container's own pty
		 * already turns \n into \r\n, and ours is raw both ways. */
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0) {
			berth_error_sys(err, "raw mode for the terminal");
			free(r);
			return (-1);
		}
		r->raw = true;
	}
	*out = r;
	return (0);
}

int
tty_relay_pollfds(struct tty_relay *r, struct pollfd *pfd)
{
	int n = 0;

	if (r->master_open) {
		pfd[n].fd = r->master;
		pfd[n++].events = POLLIN;
	}
	if (r->in_open && r->master_open) {
		pfd[n].fd = STDIN_FILENO;
		pfd[n++].events = POLLIN;
	}
	return (n);
}

/* Master to stdout; false once the pty has hung up. */
static bool
copy_out(struct tty_relay *r)
{
	char buf[TTY_BUF];
	ssize_t n;

	n = read(r->master, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return (true);
	/* EIO: every slave fd is closed. */
	if (n <= 0)
		return (false);
	(void)write_all(STDOUT_FILENO, buf, (size_t)n);
	return (true);
}

void
tty_relay_handle(struct tty_relay *r, const struct pollfd *pfd, int n)
{
	char buf[TTY_BUF];
	ssize_t got;
	int i;

	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (pfd[i].fd == r->master) {
			if (!copy_out(r))
				r->master_open = false;
			continue;
		}
		got = read(STDIN_FILENO, buf, sizeof(buf));
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		/* A pty has no half close: at EOF we stop copying, as
		 * runc does. */
		if (got <= 0)
			r->in_open = false;
		else if (!write_all(r->master, buf, (size_t)got))
			r->master_open = false;
	}
}

void
tty_relay_drain(struct tty_relay *r)
{
	int flags;

	if (!r->master_open)
		return;
	flags = fcntl(r->master, F_GETFL);
	if (flags >= 0)
		(void)fcntl(r->master, F_SETFL, flags | O_NONBLOCK);
	while (copy_out(r)) {
		struct pollfd pfd = { .fd = r->master, .events = POLLIN };

		if (poll(&pfd, 1, 0) <= 0)
			break;
	}
}

void
tty_relay_end(struct tty_relay *r)
{
	if (r == NULL)
		return;
	if (r->raw)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &r->saved);
	free(r);
}
