/*
 * Events: what happened to containers and images, as Docker reports it
 * (type, action, actor id and attributes, time).  The last EVENTS_KEEP
 * are kept in memory for "events --since"; subscribers (Service.Events,
 * a "more" call) get each new one as it is emitted.
 */
#ifndef BERTHD_EVENTS_H
#define BERTHD_EVENTS_H

#include <jansson.h>

#include "dispatch.h"
#include "error.h"

#define EVENTS_KEEP	1024	/* as Docker keeps */

struct container;
struct daemon;

int	events_init(struct daemon *d, struct berth_error *err);
/* Subscribers get their last reply; the ring is freed. */
void	events_free(struct daemon *d);
/* Nothing more will happen (berthd is stopping and its containers have
 * stopped): subscribers get their last reply now. */
void	events_drain(struct daemon *d);

/* Record an event now and send it to every subscriber it matches.
 * attributes (stolen, may be NULL) is an object of strings. */
void	event_emit(struct daemon *d, const char *type, const char *action,
	    const char *id, json_t *attributes);
/* A container's event: its name, image and labels as attributes, plus
 * extra (stolen, may be NULL), e.g. {"exitCode": "3"} for die,
 * {"signal": "15"} for kill. */
void	event_container(struct container *c, const char *action,
	    json_t *extra);

/* An image's event, as Docker's LogImageEvent: id (an image id, or ""
 * for prune), the image's labels while it exists and name (if not NULL)
 * as attributes. */
void	event_image(struct daemon *d, const char *action, const char *id,
	    const char *name);

/* io.berth.Service.Events */
int	events_api_subscribe(struct daemon *, struct peer *,
	    const struct call *, msgpack_packer *, struct berth_error *);

#endif
