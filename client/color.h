/*
 * Terminal escape sequences: the one place the CLI decides whether it may
 * write them.  Never to something that is not a terminal, never when
 * NO_COLOR is set to anything but the empty string (https://no-color.org).
 */
#ifndef BERTH_COLOR_H
#define BERTH_COLOR_H

#include <stdbool.h>
#include <stdio.h>

#define ESC_CLEAR_LINE		"\033[K"	/* to the end of the line */
#define ESC_CLEAR_SCREEN	"\033[2J\033[H"	/* and home the cursor */

/* Whether escapes may be written to f. */
bool	color_enabled(FILE *f);
/* Write the sequence seq (one of ESC_*) to f when color_enabled(f);
 * returns whether it was written. */
bool	color_escape(FILE *f, const char *seq);

#endif
