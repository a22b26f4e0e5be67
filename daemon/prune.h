/*
 * The end of a prune call (containers, volumes): the handler has removed
 * the rows and moved their files aside; the files go in tree-remove
 * helpers, whose count of the bytes the filesystem got back is the
 * reply's space_reclaimed, as Docker's is: so the reply waits for them.
 * Then comes Docker's "prune" event of the module's type, {reclaimed}.
 */
#ifndef BERTHD_PRUNE_H
#define BERTHD_PRUNE_H

#include <stddef.h>

#include <jansson.h>
#include <msgpack.h>

struct daemon;
struct peer;

/* Add a copy of name to trash (room for one more, NULL-terminated) and
 * count it in *n; "" is nothing to add.  Out of memory, the files are
 * left to the next start's sweep, logged under module (static). */
void	prune_add_trash(char **trash, size_t *n, const char *module,
	    const char *name);

/* Reply {deleted, space_reclaimed} to p (module: "container" or "volume",
 * static): at once (packed into pk, 0) when there is nothing to remove,
 * else once dir/trash[0..n) are removed (DISPATCH_DEFERRED, the call held
 * meanwhile). */
int	prune_reply(struct daemon *d, struct peer *p, const char *module,
	    const char *dir, json_t *deleted, char *const *trash, size_t n,
	    msgpack_packer *pk);

#endif
