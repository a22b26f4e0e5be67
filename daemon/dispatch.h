/*
 * From a decoded frame to a reply: parse the call, find the method in the
 * interface descriptions, check the parameters against them, run the
 * handler from the method table, queue the reply.
 */
#ifndef BERTHD_DISPATCH_H
#define BERTHD_DISPATCH_H

#include <msgpack.h>

#include "error.h"
#include "message.h"

struct daemon;
struct idl_registry;
struct peer;

/* A handler packs its reply's parameters map into pk, or fails with err
 * (nothing it packed is sent then), or returns DISPATCH_DEFERRED after
 * starting a session (peer.h) that sends the replies itself.  The
 * parameters were checked against the method's input type already. */
#define DISPATCH_DEFERRED	1
typedef int (*method_fn)(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err);

struct method_entry {
	const char	*name;		/* "io.berth.Service.Ping" */
	method_fn	 fn;
	unsigned	 flags;		/* CALL_MORE, CALL_UPGRADE it supports */
};

/* The method table, checked against the descriptions: every described
 * method has a handler and every handler a description. */
extern const struct method_entry dispatch_methods[];

int	dispatch_check(const struct idl_registry *reg,
	    const struct method_entry *methods, struct berth_error *err);
void	dispatch_frame(struct daemon *d, struct peer *p,
	    const msgpack_object *root);

#endif
