/*
 * Small things every part of berthd's loop does to its events and fds.
 */
#ifndef BERTHD_LOOP_UTIL_H
#define BERTHD_LOOP_UTIL_H

#include <unistd.h>

#include <event2/event.h>

/* Free *ev and close *fd (either may be NULL or -1), leaving them so. */
static inline void
event_close_fd(struct event **ev, int *fd)
{
	if (ev != NULL && *ev != NULL) {
		event_free(*ev);
		*ev = NULL;
	}
	if (fd != NULL && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

#endif
