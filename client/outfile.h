/*
 * A file the CLI writes whole or not at all (save -o, export -o): a
 * temporary file beside it, made only once there is something to write,
 * renamed over it once everything is written and synced; removed when
 * anything fails, or when a signal ends the client meanwhile.  An
 * existing file of that name is never touched by a failure.
 */
#ifndef BERTH_OUTFILE_H
#define BERTH_OUTFILE_H

struct outfile {
	const char	*path;
	char		*tmp;
	int		 fd;		/* -1 until opened */
};

void	outfile_init(struct outfile *f, const char *path);
/* Make the temporary file (with the mode a new file gets); -1 with
 * errno. */
int	outfile_open(struct outfile *f);
/* Sync, close and rename it over path; -1 with errno (then aborted). */
int	outfile_commit(struct outfile *f);
/* Close and remove the temporary file, if any. */
void	outfile_abort(struct outfile *f);

#endif
