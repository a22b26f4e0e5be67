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

#include <msgpack.h>

#include "error.h"

struct bufferevent;
struct daemon;
struct event;
struct evbuffer;

/*
 * A call that outlives its handler (a stream of replies, an upgraded
 * connection) holds the peer in a session until it ends: no other call is
 * read meanwhile, so replies stay in call order.  An upgraded session
 * gets every further frame the peer sends.
 */
struct peer_session_ops {
	/* A frame from the peer (upgraded sessions only: NULL for one that
	 * is not, which reads nothing); root NULL when the peer
	 * half-closed. */
	void	(*frame)(void *arg, struct peer *p, const msgpack_object *root);
	/* Output fell below the low-water mark: the session may send more. */
	void	(*drained)(void *arg, struct peer *p);
	/* The peer is gone: the session must let go of it now. */
	void	(*gone)(void *arg, struct peer *p);
};

struct peer {
	TAILQ_ENTRY(peer)	 entry;
	struct daemon		*d;
	struct bufferevent	*bev;
	struct event		*frame_timer;
	struct event		*resume;	/* process on the next turn */
	struct event		*hangup;	/* the socket shut down */
	int			 hangup_fd;	/* its own dup, for epoll */
	unsigned long long	 id;
	pid_t			 pid;
	uid_t			 uid;
	gid_t			 gid;
	bool			 paused;	/* output above high water */
	bool			 eof;		/* the peer sends no more */
	bool			 closing;	/* close once output is out */
	bool			 dead;		/* in the graveyard */
	bool			 held;		/* session asked: read no more */
	bool			 upgraded;
	bool			 eof_told;	/* the session heard of EOF */
	bool			 processing;	/* inside peer_process */
	const struct peer_session_ops *sops;	/* NULL: no session */
	void			*sarg;
};

/* Take a freshly accepted socket. */
void	peer_accept(struct daemon *d, int fd);
/* Queue a whole frame (header included) for the peer. */
int	peer_send(struct peer *p, const void *frame, size_t len);
/* Queue a reply whose parameters map pack packs, built in a buffer of
 * its own: sessions reply from inside other calls' handlers, whose own
 * reply is still being packed in the daemon's scratch buffer.  A reply
 * over --max-frame is logged and dropped. */
typedef void (*peer_pack_fn)(msgpack_packer *pk, const void *arg);
void	peer_reply(struct peer *p, bool continues, peer_pack_fn pack,
	    const void *arg);
/* Packers for peer_reply's common replies: {} (arg NULL), and a map of
 * one key whose value is bytes, an integer or true. */
struct peer_kv {
	const char	*key;
	const void	*data;		/* peer_pack_bin */
	size_t		 len;
	int64_t		 num;		/* peer_pack_int */
};
void	peer_pack_empty(msgpack_packer *pk, const void *arg);
void	peer_pack_bin(msgpack_packer *pk, const void *arg);
void	peer_pack_int(msgpack_packer *pk, const void *arg);
void	peer_pack_true(msgpack_packer *pk, const void *arg);
/* Queue an error reply; with fatal, close the peer once it is sent. */
void	peer_send_error(struct peer *p, const struct berth_error *err,
	    bool fatal);
/* Start a session (see above); the handler then returns
 * DISPATCH_DEFERRED and replies through peer_send. */
void	peer_session_begin(struct peer *p, const struct peer_session_ops *ops,
	    void *arg, bool upgraded);
/* The session sent its last reply: an upgraded connection closes once it
 * is out, any other goes on with the next call. */
void	peer_session_end(struct peer *p);
/* Stop (or resume) reading the peer's frames, for a session whose
 * consumer is full. */
void	peer_hold_input(struct peer *p, bool hold);
/* Whether the session should wait for drained() before sending more. */
bool	peer_output_full(struct peer *p);
/* Stop reading new calls; answer what was read, then close. */
void	peer_drain(struct peer *p);
/* Free now; only the reaper and daemon_free call this. */
void	peer_free(struct peer *p);

#endif
