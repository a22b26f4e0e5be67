/*
 * Whether the CLI may write escape sequences (see color.h).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "color.h"

bool
term_escapes(FILE *f)
{
	const char *term = getenv("TERM");
	int fd;

	if (term != NULL && strcmp(term, "dumb") == 0)
		return (false);
	return (f != NULL && (fd = fileno(f)) >= 0 && isatty(fd));
}

bool
term_escape(FILE *f, const char *seq)
{
	if (!term_escapes(f))
		return (false);
	fputs(seq, f);
	return (true);
}
