/*
 * A client connection: its socket, buffers, credentials and the rules
 * that keep one peer from hurting the others (output high-water mark,
 * partial-frame deadline, close after an untrustworthy frame).
 */
#ifndef BERTHD_PEER_H
#define BERTHD_PEER_H

#include <sys/queue.h>
#include <sys/types.h>
#include <stdbool.h>

#include "error.h"

struct bufferevent;
struct daemon;
struct event;
struct evbuffer;

struct peer {
	TAILQ_ENTRY(peer)	 entry;
	struct daemon		*d;
	struct bufferevent	*bev;
	struct event		*frame_timer;
	unsigned long long	 id;
	pid_t			 pid;
	uid_t			 uid;
	gid_t			 gid;
	bool			 paused;	/* output above high water */
	bool			 eof;		/* the peer sends no more */
	bool			 closing;	/* close once output is out */
	bool			 dead;		/* in the graveyard */
};

/* Take a freshly accepted socket. */
void	peer_accept(struct daemon *d, int fd);
/* Queue a whole frame (header included) for the peer. */
int	peer_send(struct peer *p, const void *frame, size_t len);
/* Queue an error reply; with fatal, close the peer once it is sent. */
void	peer_send_error(struct peer *p, const struct berth_error *err,
	    bool fatal);
/* Stop reading new calls; answer what was read, then close. */
void	peer_drain(struct peer *p);
/* Free now; only the reaper and daemon_free call this. */
void	peer_free(struct peer *p);

#endif
