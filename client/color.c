/*
 * Whether the CLI may write escape sequences (see color.h).
 */
#include <stdlib.h>
#include <unistd.h>

#include "color.h"

bool
color_enabled(FILE *f)
{
	const char *no = getenv("NO_COLOR");
	int fd;

	if (no != NULL && *no != '\0')
		return (false);
	return (f != NULL && (fd = fileno(f)) >= 0 && isatty(fd));
}

bool
color_escape(FILE *f, const char *seq)
{
	if (!color_enabled(f))
		return (false);
	fputs(seq, f);
	return (true);
}
