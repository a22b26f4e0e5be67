/*
 * What the store's libarchive readers share: a cleanup attribute for a
 * read handle.
 */
#ifndef BERTH_STORE_ARCHIVE_UTIL_H
#define BERTH_STORE_ARCHIVE_UTIL_H

#include <archive.h>

static inline void
cleanup_archivep(struct archive **a)
{
	if (*a != NULL)
		archive_read_free(*a);
}

#define cleanup_archive	__attribute__((cleanup(cleanup_archivep)))

#endif
