/*
 * Calls and replies as DESIGN.md defines them, on top of frames.
 *
 *   call:  {method: "io.berth.Service.Ping", parameters: {...},
 *           more: true, oneway: true, upgrade: true}
 *   reply: {parameters: {...}, continues: true}
 *          {error: "io.berth.X.Name", parameters: {...}, message: "...",
 *           errno: 2}
 *
 * "message" and "errno" on error replies are berth's additions to the
 * varlink shape: the human text and the system error behind it.
 */
#ifndef BERTH_MESSAGE_H
#define BERTH_MESSAGE_H

#include <stdbool.h>

#include <msgpack.h>

#include "error.h"

#define CALL_METHOD_MAX	256

enum call_flags {
	CALL_MORE	= 1 << 0,	/* a stream of replies */
	CALL_ONEWAY	= 1 << 1,	/* no reply at all */
	CALL_UPGRADE	= 1 << 2,	/* raw stream frames after the reply */
};

struct call {
	char			 method[CALL_METHOD_MAX];
	const msgpack_object	*parameters;	/* a map, or NULL for none */
	unsigned		 flags;
};

struct reply {
	const msgpack_object	*parameters;	/* a map, or NULL */
	bool			 continues;
	bool			 is_error;
};

/* Parse a decoded frame as a call; InvalidCall when it is not one. */
int	call_parse(const msgpack_object *root, struct call *call,
	    struct berth_error *err);

/* Parse a frame as a reply.  An error reply returns -1 with err holding
 * the remote name, message, errno and (string or integer) parameters;
 * r->parameters still points at the error's parameters. */
int	reply_parse(const msgpack_object *root, struct reply *r,
	    struct berth_error *err);

/* Pack the head of a call; the caller packs the parameters map next
 * (always, even if empty). */
void	call_pack_head(msgpack_packer *pk, const char *method,
	    unsigned flags);

/* Pack the head of a reply; the caller packs the parameters map next. */
void	reply_pack_head(msgpack_packer *pk, bool continues);

/* Pack a whole error reply from an error value. */
void	reply_pack_error(msgpack_packer *pk, const struct berth_error *err);

/* Helpers for the rest of the code. */
void	pack_str(msgpack_packer *pk, const char *s);
void	pack_kv_str(msgpack_packer *pk, const char *key, const char *value);
bool	msgpack_str_eq(const msgpack_object *o, const char *s);
/* Copy a msgpack string into a buffer; false if not a string or too long. */
bool	msgpack_str_copy(const msgpack_object *o, char *buf, size_t size);
/* Find a key in a map; NULL if absent. */
const msgpack_object *msgpack_map_get(const msgpack_object *map,
	    const char *key);

#endif
