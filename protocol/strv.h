/*
 * NULL-terminated vectors of owned strings, the shape argv and environ
 * have, as the runtime, the store and the daemon pass them around.
 */
#ifndef BERTH_STRV_H
#define BERTH_STRV_H

/* Free every string of v, then v; NULL is allowed. */
void	strv_free(char **v);

#endif
