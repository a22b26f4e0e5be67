/*
 * Helper processes for work that grows with its input (DESIGN.md,
 * invariant 1): unpacking, hashing, packing, tree removal.  A job runs a
 * function in a child made with clone3(CLONE_PIDFD).  The child has up to
 * three pipes: fd 0, bytes the loop feeds it; fd 1, bytes the loop
 * forwards; fd 3, its reports, as frames: {"progress": {...}} any number
 * of times, then one reply-shaped frame ({"parameters": {...}} or an
 * error).  The loop watches the pidfd; when the child has exited, what is
 * left in its pipes is taken and the job is done.
 *
 * The child execs berthd again (`berthd --helper NAME`, through an fd to
 * its own binary taken at start): a fresh process, since a forked copy
 * shares SQLite's per-process lock state with the daemon and must not
 * open the database.  Its arguments arrive as one msgpack map on fd 4;
 * NAME picks the function from job_kinds[].  It has no fd but its pipes
 * and stderr, and dies with berthd (PR_SET_PDEATHSIG).
 */
#ifndef BERTHD_JOB_H
#define BERTHD_JOB_H

#include <sys/queue.h>
#include <sys/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "error.h"

struct daemon;
struct evbuffer;
struct job;
struct job_child;

enum job_flags {
	JOB_INPUT	= 1 << 0,	/* fd 0 is a pipe the loop feeds */
	JOB_OUTPUT	= 1 << 1,	/* fd 1 is a pipe the loop reads */
};

/* In the helper: do the work described by args (a map), pack the
 * result's parameters map into result, or fail with err. */
typedef int (*job_fn)(const msgpack_object *args, struct job_child *c,
    msgpack_packer *result, struct berth_error *err);

struct job_kind {
	const char	*name;
	job_fn		 fn;
};

/* Every kind of helper, NULL-terminated (defined with the handlers). */
extern const struct job_kind job_kinds[];

/* The largest argument map. */
#define JOB_ARGS_MAX	(60u << 10)

struct job_ops {
	/* A {"progress": ...} report's value. */
	void	(*progress)(void *arg, const msgpack_object *progress);
	/* Bytes the child wrote to fd 1: take what you can from buf. */
	void	(*output)(void *arg, struct evbuffer *buf);
	/* The input queued for the child fell below the low-water mark. */
	void	(*input_drained)(void *arg);
	/* Once, at the end: the result's parameters, or err. */
	void	(*done)(void *arg, const msgpack_object *result,
		    const struct berth_error *err);
	/* berthd exits before the job is done: done() never comes, arg is
	 * the callee's to free (NULL: nothing to free). */
	void	(*abandoned)(void *arg);
};

/* Below this much queued input the feeder may resume. */
#define JOB_INPUT_HIGH	(1u << 20)
#define JOB_INPUT_LOW	(256u << 10)

/* Start helper name with args (a packed msgpack map). */
int	 job_start(struct daemon *d, const char *name, unsigned flags,
	    const void *args, size_t args_len, const struct job_ops *ops,
	    void *ops_arg, struct job **out, struct berth_error *err);
/* Queue bytes for the child's fd 0. */
int	 job_write(struct job *j, const void *buf, size_t len);
/* Whether the feeder should wait for input_drained(). */
bool	 job_input_full(struct job *j);
/* No more input: fd 0 reaches EOF once the queue is out. */
void	 job_close_input(struct job *j);
/* Stop (or resume) reading the child's fd 1. */
void	 job_hold_output(struct job *j, bool hold);
/* Kill the child; no callback is called after this. */
void	 job_cancel(struct job *j);
/* Kill every job and wait for them (berthd exiting). */
void	 jobs_kill_all(struct daemon *d);
/* Remove dir/name in a tree-remove helper; a failure is only logged under
 * module (a static string), left to the next start's sweep. */
void	 job_tree_remove(struct daemon *d, const char *module,
	    const char *dir, const char *name);
/* Remove dir/names[0..n) (n > 0) in helpers, then call done (if not
 * NULL) once with the bytes the filesystem got back; failures are logged
 * as above (what they kept is not counted).  done is also called, with 0,
 * when berthd exits first. */
typedef void (*job_tree_removed_fn)(void *arg, uint64_t freed);
int	 job_tree_remove_all(struct daemon *d, const char *module,
	    const char *dir, const char *const *names, size_t n,
	    job_tree_removed_fn done, void *arg, struct berth_error *err);

/* berthd --helper NAME: run the helper; returns the exit status. */
int	 job_helper_main(const char *name);

/* In the helper. */
int	 job_child_progress(struct job_child *c, const char *action,
	    const char *id, uint64_t current, uint64_t total,
	    const char *message);

#endif
