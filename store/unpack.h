/*
 * Layer extraction: one layer tarball (uncompressed, gzip or zstd) unpacked
 * into a directory of its own, every path resolved inside that directory
 * (openat2 with RESOLVE_IN_ROOT), OCI whiteouts turned into overlayfs
 * whiteouts; and the forked helper process that runs it off berthd's loop.
 */
#ifndef BERTH_STORE_UNPACK_H
#define BERTH_STORE_UNPACK_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* A layer whose entries are hostile or malformed ("..", a link out, a bad
 * whiteout, a broken archive); the message names the entry. */
#define UNPACK_E_INVALID_LAYER	"io.berth.Image.InvalidLayer"
/* A layer over one of the limits below. */
#define UNPACK_E_LAYER_TOO_LARGE "io.berth.Image.LayerTooLarge"

/* Limits a layer can push on. */
#define UNPACK_MAX_ENTRIES	(1u << 20)	/* entries per layer */
#define UNPACK_MAX_BYTES	(64ull << 30)	/* file data per layer */
#define UNPACK_MAX_XATTR	(64u << 10)	/* one xattr value */
/* One line on the helper's pipe (see unpack.c for the format). */
#define UNPACK_LINE_MAX		4096

struct unpack_stats {
	uint64_t	entries;	/* archive entries processed */
	uint64_t	bytes;		/* regular-file data written */
};

/* A helper process unpacking one layer.  The loop watches pipe_fd
 * (non-blocking; progress lines) and pidfd (readable when it exits), and
 * calls unpack_job_read() on the first and unpack_job_finish() on the
 * second. */
struct unpack_job {
	pid_t			pid;
	int			pidfd;
	int			pipe_fd;
	struct unpack_stats	progress;	/* last progress reported */
	/* The final line, once read. */
	bool			have_result;
	bool			ok;
	struct unpack_stats	result;
	struct berth_error	error;
	char			buf[UNPACK_LINE_MAX];
	size_t			len;
};

/* Unpack the layer read from src_fd into the empty directory dest_dirfd,
 * here, synchronously.  Returns 0 or -1; on failure dest_dirfd holds a
 * partial tree the caller removes (unpack_remove_tree). */
int	unpack_layer(int src_fd, int dest_dirfd, struct unpack_stats *st,
	    struct berth_error *err);

/* The same, calling progress(st, arg) every few hundred entries. */
typedef void (*unpack_progress_fn)(const struct unpack_stats *, void *);
int	unpack_layer_progress(int src_fd, int dest_dirfd,
	    struct unpack_stats *st, unpack_progress_fn progress, void *arg,
	    struct berth_error *err);

/* Fork a helper (clone3 with CLONE_PIDFD) that runs unpack_layer. */
int	unpack_spawn(int src_fd, int dest_dirfd, struct unpack_job *job,
	    struct berth_error *err);
/* Read what the helper wrote so far.  Returns 1 at end of stream, 0 when
 * more may come, -1 on a malformed stream. */
int	unpack_job_read(struct unpack_job *job, struct berth_error *err);
/* Reap the helper (waitid P_PIDFD; blocks until it exits), read the rest
 * of its stream, close the job's fds and return its result: 0 with *st
 * filled, or -1 with the helper's error. */
int	unpack_job_finish(struct unpack_job *job, struct unpack_stats *st,
	    struct berth_error *err);
/* Close a job's fds without reaping (an aborted spawn's clean-up). */
void	unpack_job_close(struct unpack_job *job);
/* unpack_spawn then unpack_job_finish: for tests and tools. */
int	unpack_layer_in_helper(int src_fd, int dest_dirfd,
	    struct unpack_stats *st, struct berth_error *err);

/* Remove parentfd/name and everything below it without following any
 * symlink.  A missing name is not an error. */
int	unpack_remove_tree(int parentfd, const char *name,
	    struct berth_error *err);

#endif
