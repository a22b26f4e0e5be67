/*
 * Progress of long store work (load, save, import), reported to whoever
 * runs it: berthd's helper turns each report into a progress reply.
 */
#ifndef BERTH_STORE_PROGRESS_H
#define BERTH_STORE_PROGRESS_H

#include <stdint.h>

/*
 * action: what is happening ("Loading layer", "Writing"); id: the layer
 * or image it concerns, or NULL; total 0 when unknown; message: a line
 * meant to be shown as it is ("Loaded image: busybox:latest"), or NULL.
 * Reports may come often: the receiver rate-limits.
 */
typedef void (*store_progress_fn)(void *arg, const char *action,
    const char *id, uint64_t current, uint64_t total, const char *message);

struct store_progress {
	store_progress_fn	 fn;
	void			*arg;
};

static inline void
store_progress_report(const struct store_progress *p, const char *action,
    const char *id, uint64_t current, uint64_t total, const char *message)
{
	if (p != NULL && p->fn != NULL)
		p->fn(p->arg, action, id, current, total, message);
}

#endif
