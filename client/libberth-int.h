/*
 * libberth's private half: the client struct and the socket I/O helpers
 * the library's files share.  Not installed.
 */
#ifndef BERTH_LIBBERTH_INT_H
#define BERTH_LIBBERTH_INT_H

#include <limits.h>
#include <sys/types.h>

#include "berth.h"

#define BERTH_UNIX_SCHEME	"unix://"

struct berth_client {
	int	 fd;
	char	 address[sizeof(BERTH_UNIX_SCHEME) + PATH_MAX];
	size_t	 max_frame;
	size_t	 pending;	/* replies the daemon still owes */
	bool	 broken;	/* the stream is out of step: refuse more */
};

/* Not part of libberth.so's interface. */
#define LIBBERTH_HIDDEN	__attribute__((visibility("hidden")))

/* Write all of buf, through EINTR and short writes; never raises
 * SIGPIPE.  A peer that hung up is BERTH_E_CLOSED. */
LIBBERTH_HIDDEN int libberth_write_all(int fd, const void *buf, size_t len,
	    struct berth_error *err);
/* Read exactly len bytes unless the peer closes first: returns how many
 * were read (< len at end of stream), or -1. */
LIBBERTH_HIDDEN ssize_t libberth_read_all(int fd, void *buf, size_t len,
	    struct berth_error *err);

static inline void
libberth_sbuffer_destroyp(msgpack_sbuffer *sb)
{
	msgpack_sbuffer_destroy(sb);
}
#define cleanup_sbuffer	__attribute__((cleanup(libberth_sbuffer_destroyp)))

#endif
