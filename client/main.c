/*
 * berth: the command-line client of berthd.  Everything is in cli_main.
 */
#include <signal.h>

#include "cli.h"

int
main(int argc, char **argv)
{
	struct cmd_ctx ctx = { NULL, stdin, stdout, stderr, NULL };

	/* A closed stdout (berth ... | head) must end us quietly with an
	 * error from fflush, not a signal from the daemon's socket. */
	signal(SIGPIPE, SIG_IGN);
	return (cli_main(argc, argv, &ctx));
}
