/*
 * Cleanup attributes for owned locals, and explicit ownership transfer.
 *
 *	cleanup_free char *s = strdup(x);	freed when s goes out of scope
 *	return steal_pointer(&s);		unless handed out
 */
#ifndef BERTH_CLEANUP_H
#define BERTH_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"

static inline void
cleanup_freep(void *p)
{
	void **pp = p;

	free(*pp);
}

static inline void
cleanup_closep(int *fd)
{
	int saved = errno;

	if (*fd >= 0)
		close(*fd);
	errno = saved;
}

static inline void
cleanup_fclosep(FILE **f)
{
	if (*f != NULL)
		fclose(*f);
}

static inline void
cleanup_dirp(DIR **d)
{
	if (*d != NULL)
		closedir(*d);
}

static inline void
cleanup_berth_errorp(struct berth_error *err)
{
	berth_error_clear(err);
}

#define cleanup_free	__attribute__((cleanup(cleanup_freep)))
#define cleanup_close	__attribute__((cleanup(cleanup_closep)))
#define cleanup_fclose	__attribute__((cleanup(cleanup_fclosep)))
#define cleanup_dir	__attribute__((cleanup(cleanup_dirp)))
#define cleanup_error	__attribute__((cleanup(cleanup_berth_errorp)))

static inline void *
steal_pointer_impl(void *pp)
{
	void **p = pp;
	void *v = *p;

	*p = NULL;
	return (v);
}
#define steal_pointer(pp)	((__typeof__(*(pp)))steal_pointer_impl(pp))

static inline int
steal_fd(int *fd)
{
	int v = *fd;

	*fd = -1;
	return (v);
}

#endif
