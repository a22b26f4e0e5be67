/*
 * A prune's reply after its helpers: see prune.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "dispatch.h"
#include "events.h"
#include "job.h"
#include "json-pack.h"
#include "log.h"
#include "message.h"
#include "peer.h"
#include "prune.h"

/* A call waiting for its helpers. */
struct prune_wait {
	struct daemon	*d;
	const char	*module;	/* also the event's type */
	struct peer	*p;		/* NULL once gone */
	json_t		*deleted;
};

struct prune_result {
	json_t		*deleted;
	uint64_t	 space;
};

void
prune_add_trash(char **trash, size_t *n, const char *module,
    const char *name)
{
	if (name[0] == '\0')
		return;
	if ((trash[*n] = strdup(name)) != NULL)
		(*n)++;
	else
		log_warn(module, "%s: no memory to remove it (the next start "
		    "sweeps it)", name);
}

/* Docker's "prune" event, with what it gave back. */
static void
prune_event(struct daemon *d, const char *type, uint64_t space)
{
	char n[32];

	snprintf(n, sizeof(n), "%llu", (unsigned long long)space);
	event_emit(d, type, "prune", "", json_pack("{s:s}", "reclaimed", n));
}

static void
pack_prune(msgpack_packer *pk, const void *arg)
{
	const struct prune_result *r = arg;

	msgpack_pack_map(pk, 2);
	pack_str(pk, "deleted");
	json_pack_msgpack(pk, r->deleted);
	pack_str(pk, "space_reclaimed");
	msgpack_pack_int64(pk, r->space > INT64_MAX ? INT64_MAX :
	    (int64_t)r->space);
}

static void
prune_gone(void *arg, struct peer *p)
{
	struct prune_wait *w = arg;

	(void)p;
	w->p = NULL;	/* the helpers still remove, for no one */
}

static const struct peer_session_ops prune_ops = { .gone = prune_gone };

static void
prune_removed(void *arg, uint64_t freed)
{
	struct prune_wait *w = arg;
	struct prune_result r = { w->deleted, freed };
	struct peer *p = w->p;

	prune_event(w->d, w->module, freed);
	if (p != NULL) {
		peer_reply(p, false, pack_prune, &r);
		peer_session_end(p);
	}
	json_decref(w->deleted);
	free(w);
}

int
prune_reply(struct daemon *d, struct peer *p, const char *module,
    const char *dir, json_t *deleted, char *const *trash, size_t n,
    msgpack_packer *pk)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct prune_result now = { deleted, 0 };
	struct prune_wait *w;

	if (n == 0)
		goto now;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn(module, "prune: no memory to remove files (the next "
		    "start sweeps them)");
		goto now;
	}
	w->d = d;
	w->module = module;
	w->p = p;
	w->deleted = json_incref(deleted);
	if (job_tree_remove_all(d, module, dir, (const char *const *)trash,
	    n, prune_removed, w, &err) == 0) {
		peer_session_begin(p, &prune_ops, w, false);
		return (DISPATCH_DEFERRED);
	}
	log_warn(module, "prune: remove files: %s (the next start sweeps "
	    "them)", berth_error_message(&err));
	json_decref(w->deleted);
	free(w);
now:
	/* Removed, with nothing measured. */
	prune_event(d, module, 0);
	pack_prune(pk, &now);
	return (0);
}
