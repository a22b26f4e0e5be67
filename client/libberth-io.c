/*
 * Blocking socket I/O for libberth: whole writes and exact reads, through
 * EINTR and short transfers.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libberth-int.h"

/* send(2) without SIGPIPE on sockets, write(2) on anything else. */
static ssize_t
write_some(int fd, const void *buf, size_t len)
{
	ssize_t n;

	n = send(fd, buf, len, MSG_NOSIGNAL);
	if (n < 0 && errno == ENOTSOCK)
		n = write(fd, buf, len);
	return (n);
}

int
libberth_write_all(int fd, const void *buf, size_t len,
    struct berth_error *err)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write_some(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
			return (berth_error_set(err, BERTH_E_CLOSED, errno,
			    "the daemon closed the connection"));
		if (n < 0)
			return (berth_error_sys(err, "write to the daemon"));
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

ssize_t
libberth_read_all(int fd, void *buf, size_t len, struct berth_error *err)
{
	char *p = buf;
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ECONNRESET)
			break;		/* a hang-up, as end of stream */
		if (n < 0)
			return (berth_error_sys(err, "read from the daemon"));
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return ((ssize_t)got);
}
