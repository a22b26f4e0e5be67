/*
 * Terminal escape sequences: the one place the CLI decides whether it may
 * write them.  berth writes no colour, only line and screen clearing, so
 * NO_COLOR (https://no-color.org: no colour, nothing else) changes
 * nothing, as with Docker's progress bars and stats.  Escapes go only
 * to a terminal, and not to one whose TERM is "dumb" (it cannot clear).
 */
#ifndef BERTH_COLOR_H
#define BERTH_COLOR_H

#include <stdbool.h>
#include <stdio.h>

#define ESC_CLEAR_LINE		"\033[K"	/* to the end of the line */
#define ESC_CLEAR_SCREEN	"\033[2J\033[H"	/* and home the cursor */

/* Whether escapes may be written to f. */
bool	term_escapes(FILE *f);
/* Write the sequence seq (one of ESC_*) to f when term_escapes(f);
 * returns whether it was written. */
bool	term_escape(FILE *f, const char *seq);

#endif
