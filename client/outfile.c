/*
 * Files written whole or not at all (outfile.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "outfile.h"

/* The temporary file being written, removed if a signal ends us. */
static char *volatile outfile_tmp;

static void
on_signal(int sig)
{
	if (outfile_tmp != NULL)
		unlink(outfile_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
catch_signals(bool on)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? on_signal : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

void
outfile_init(struct outfile *f, const char *path)
{
	f->path = path;
	f->tmp = NULL;
	f->fd = -1;
}

int
outfile_open(struct outfile *f)
{
	cleanup_free char *dir = strdup(f->path), *base = strdup(f->path);
	mode_t mask;

	if (dir == NULL || base == NULL || asprintf(&f->tmp,
	    "%s/.%s.berth-XXXXXX", dirname(dir), basename(base)) < 0) {
		f->tmp = NULL;
		errno = ENOMEM;
		return (-1);
	}
	catch_signals(true);
	outfile_tmp = f->tmp;
	if ((f->fd = mkostemp(f->tmp, O_CLOEXEC)) < 0) {
		outfile_abort(f);
		return (-1);
	}
	mask = umask(0);
	umask(mask);
	(void)fchmod(f->fd, 0666 & ~mask);
	return (0);
}

int
outfile_commit(struct outfile *f)
{
	int bad = fsync(f->fd) < 0, e;

	if (close(f->fd) < 0)
		bad = 1;
	f->fd = -1;
	if (bad || rename(f->tmp, f->path) < 0) {
		e = errno;
		outfile_abort(f);
		errno = e;
		return (-1);
	}
	outfile_tmp = NULL;
	catch_signals(false);
	free(f->tmp);
	f->tmp = NULL;
	return (0);
}

void
outfile_abort(struct outfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	if (f->tmp != NULL)
		unlink(f->tmp);
	outfile_tmp = NULL;
	catch_signals(false);
	free(f->tmp);
	f->tmp = NULL;
}
