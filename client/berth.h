/*
 * libberth: a small blocking client for berthd's protocol.
 *
 * One connection to the daemon's UNIX socket; calls go out as frames
 * (a 4-byte big-endian length and one msgpack map), replies come back in
 * the order the calls were sent, so calls may be pipelined: send several,
 * then read their replies one by one.
 *
 *	struct berth_error err = BERTH_ERROR_INIT;
 *	struct berth_reply reply = BERTH_REPLY_INIT;
 *	struct berth_client *c;
 *
 *	if (berth_connect(NULL, &c, &err) < 0)	// $BERTH_HOST or the default
 *		...
 *	if (berth_call(c, "io.berth.Service.GetInfo", NULL, 0, &reply,
 *	    &err) < 0)
 *		...				// err says what went wrong
 *	v = berth_map_get(reply.parameters, "version");
 *	berth_reply_release(&reply);
 *	berth_close(c);
 *
 * Every fallible function returns -1 and fills the struct berth_error
 * given as its last argument (see error.h); a reply that is an error
 * carries the daemon's error name, message, errno and parameters there.
 */
#ifndef BERTH_BERTH_H
#define BERTH_BERTH_H

#include <stdbool.h>
#include <stddef.h>

#include <msgpack.h>

#include "error.h"

/* Where the daemon listens unless told otherwise. */
#define BERTH_DEFAULT_ADDRESS	"unix:///run/berth/berth.sock"
#define BERTH_HOST_ENV		"BERTH_HOST"

/* The largest frame accepted from the daemon unless set otherwise, and
 * the most berth_client_set_max_frame allows. */
#define BERTH_FRAME_MAX_DEFAULT	(4u << 20)
#define BERTH_FRAME_MAX_LIMIT	(256u << 20)

/* Call flags (the same bits as the protocol's). */
#define BERTH_CALL_MORE		(1u << 0)	/* a stream of replies */
#define BERTH_CALL_ONEWAY	(1u << 1)	/* no reply at all */
#define BERTH_CALL_UPGRADE	(1u << 2)	/* raw stream after the reply */

/* Errors raised on the client's side of the socket, besides
 * BERTH_E_CONNECT and BERTH_E_PROTOCOL from error.h. */
#define BERTH_E_ADDRESS		"io.berth.Client.InvalidAddress"
#define BERTH_E_CLOSED		"io.berth.Client.ConnectionClosed"

struct berth_client;

/*
 * A reply.  It owns the frame it was decoded from: parameters (always a
 * map, empty when the reply had none) and everything in it stay valid
 * until berth_reply_release.  Fields whose names end in '_' are private.
 */
struct berth_reply {
	const msgpack_object	*parameters;
	bool			 continues;	/* more replies follow */
	bool			 error;		/* an error reply */
	void			*frame_;
};

#define BERTH_REPLY_INIT	{ NULL, false, false, NULL }

/* Packs one msgpack map (the call's parameters) into pk. */
typedef int (*berth_pack_fn)(msgpack_packer *pk, void *arg,
	    struct berth_error *err);

/* The library's version, e.g. "0.1.0". */
const char *berth_version(void);

/*
 * Resolve an address to a socket path: address if not NULL, else
 * $BERTH_HOST if set and not empty, else BERTH_DEFAULT_ADDRESS.  Accepts
 * "unix:///path" and "/path"; anything else is BERTH_E_ADDRESS, naming
 * the address (and BERTH_HOST when it came from there).
 */
int	berth_address_resolve(const char *address, char *path, size_t size,
	    struct berth_error *err);

/*
 * Connect to the daemon at address (resolved as above).  On failure err
 * is BERTH_E_CONNECT with the errno and an "address" parameter holding
 * "unix:///path", or BERTH_E_ADDRESS.
 */
int	berth_connect(const char *address, struct berth_client **out,
	    struct berth_error *err);
/* A client over a connected stream socket; it owns fd from then on, even
 * on failure. */
int	berth_client_new_fd(int fd, struct berth_client **out,
	    struct berth_error *err);
/* Close the connection and free the client; NULL is fine. */
void	berth_close(struct berth_client *c);

/* The connection's fd, for poll(2); and "unix:///path" ("" for a client
 * made from an fd). */
int	berth_client_fd(const struct berth_client *c);
const char *berth_client_address(const struct berth_client *c);
/* Refuse replies whose frames are larger than max bytes (1 up to
 * BERTH_FRAME_MAX_LIMIT); also the limit on calls sent. */
int	berth_client_set_max_frame(struct berth_client *c, size_t max,
	    struct berth_error *err);
/* Replies still owed by the daemon for the calls sent so far. */
size_t	berth_client_pending(const struct berth_client *c);

/*
 * Send a call.  params is one packed msgpack map of len bytes, or NULL
 * for an empty map; flags are BERTH_CALL_*.  Nothing is read: pipeline
 * as many calls as wanted, then berth_recv their replies in order.
 */
int	berth_send(struct berth_client *c, const char *method,
	    const void *params, size_t len, unsigned flags,
	    struct berth_error *err);
/* The same, with the parameters packed by fn(pk, arg, err), which must
 * pack exactly one map. */
int	berth_send_packed(struct berth_client *c, const char *method,
	    unsigned flags, berth_pack_fn fn, void *arg,
	    struct berth_error *err);

/*
 * Read the next reply (releasing what reply held).  On an error reply:
 * -1, err holds the daemon's error, and reply still holds the frame with
 * reply->error set and reply->parameters the error's parameters.  On any
 * other failure reply is empty and err is BERTH_E_PROTOCOL (malformed or
 * too large a frame), BERTH_E_CLOSED (the daemon hung up) or
 * BERTH_E_SYSTEM, and the connection is unusable from then on; except
 * when no reply is owed (BERTH_E_PROTOCOL, nothing read).  There is no
 * timeout: poll berth_client_fd first to bound the wait.
 *
 * Only the reply's bytes are read from the socket, never more, so after
 * the reply to a BERTH_CALL_UPGRADE call the fd carries the raw stream.
 */
int	berth_recv(struct berth_client *c, struct berth_reply *reply,
	    struct berth_error *err);
void	berth_reply_release(struct berth_reply *reply);

/* One call, one reply: berth_send with no flags, then berth_recv; no
 * other reply may be pending. */
int	berth_call(struct berth_client *c, const char *method,
	    const void *params, size_t len, struct berth_reply *reply,
	    struct berth_error *err);

/* The value of a string key in a map; NULL when absent or map is not a
 * map. */
const msgpack_object *berth_map_get(const msgpack_object *map,
	    const char *key);

/*
 * Upgraded streams.  After a BERTH_CALL_UPGRADE call (io.berth.Image.Load,
 * Import) the client sends stream frames, one msgpack map each, framed
 * like calls, while the daemon answers the call with replies
 * ("continues" on all but the last), read with berth_recv.
 *
 * berth_stream_send writes one packed map; berth_stream_send_data writes
 * {"data": <bin of len bytes>} and berth_stream_send_eof {"eof": true}.
 * They block until written: when the daemon may answer meanwhile, poll
 * berth_client_fd or use berth_stream_upload.
 */
int	berth_stream_send(struct berth_client *c, const void *map, size_t len,
	    struct berth_error *err);
int	berth_stream_send_data(struct berth_client *c, const void *data,
	    size_t len, struct berth_error *err);
int	berth_stream_send_eof(struct berth_client *c, struct berth_error *err);

/* Called with each reply that continues (progress); a -1 stops the
 * upload with err as its error. */
typedef int (*berth_reply_fn)(const struct berth_reply *reply, void *arg,
	    struct berth_error *err);

/*
 * Send everything read from fd in as {"data"} frames of at most chunk
 * bytes (0: 256 KiB; kept below the frame limit), then {"eof": true},
 * while reading the replies to the one pending upgraded call: each reply
 * that continues goes to on_reply (if not NULL), the final one is left
 * in final and ends the upload (0), even when not all was sent.  An error
 * reply returns -1 with final->error set, as berth_recv.  Writes never
 * block the reading of replies, so neither side can stall the other.
 */
int	berth_stream_upload(struct berth_client *c, int in, size_t chunk,
	    berth_reply_fn on_reply, void *arg, struct berth_reply *final,
	    struct berth_error *err);

#endif
