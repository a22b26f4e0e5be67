/*
 * The unpack helper: a child forked with clone3(CLONE_PIDFD) runs
 * unpack_layer off berthd's loop and reports over a pipe; the loop watches
 * the pipe and the pidfd, and reaps with waitid(P_PIDFD).
 *
 * The stream is text, one message a line (at most UNPACK_LINE_MAX bytes
 * with its "\n"):
 *
 *	progress <entries> <bytes>		any number, in order
 *	ok <entries> <bytes>			last: success
 *	error <name> <errnum> <message>		last: failure
 *
 * numbers in decimal; <name> is the error's reverse-domain name; control
 * characters in <message> are sent as '?'.  The helper exits 0 after "ok"
 * and 1 after "error".  It never blocks on a full pipe: progress lines are
 * dropped while the pipe holds more than its capacity less room for the
 * final line, so a loop that reads only once the helper exits still gets
 * the result.
 */
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "unpack.h"

struct helper_out {
	int	fd;
	int	room;		/* bytes that may be queued in the pipe */
};

static void
write_line(int fd, const char *line, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, line, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;		/* the parent is gone */
		}
		line += n;
		len -= (size_t)n;
	}
}

static void
helper_progress(const struct unpack_stats *st, void *arg)
{
	struct helper_out *out = arg;
	char line[128];
	int queued = 0, n;

	if (ioctl(out->fd, FIONREAD, &queued) < 0 || queued > out->room)
		return;
	n = snprintf(line, sizeof(line), "progress %" PRIu64 " %" PRIu64 "\n",
	    st->entries, st->bytes);
	write_line(out->fd, line, (size_t)n);
}

static void
helper_result(int fd, int rc, const struct unpack_stats *st,
    const struct berth_error *err)
{
	char line[UNPACK_LINE_MAX];
	int n;
	size_t i, len;

	if (rc == 0)
		n = snprintf(line, sizeof(line) - 1,
		    "ok %" PRIu64 " %" PRIu64, st->entries, st->bytes);
	else
		n = snprintf(line, sizeof(line) - 1, "error %s %d %s",
		    err->name[0] ? err->name : BERTH_E_INTERNAL, err->errnum,
		    berth_error_message(err) ? berth_error_message(err) :
		    "unpack failed");
	len = n < 0 ? 0 : (size_t)n >= sizeof(line) - 1 ?
	    sizeof(line) - 2 : (size_t)n;
	for (i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	line[len++] = '\n';
	write_line(fd, line, len);
}

/* The child: never returns. */
static void __attribute__((noreturn))
helper_main(int src_fd, int dest_dirfd, int out_fd, pid_t parent)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct unpack_stats st;
	struct helper_out out;
	int cap, rc;

	/* A helper outlives no berthd. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
	    getppid() != parent)
		_exit(1);
	(void)signal(SIGPIPE, SIG_IGN);
	cap = fcntl(out_fd, F_GETPIPE_SZ);
	out.fd = out_fd;
	out.room = (cap > 0 ? cap : 4096) - 2 * UNPACK_LINE_MAX;
	rc = unpack_layer_progress(src_fd, dest_dirfd, &st, helper_progress,
	    &out, &err);
	helper_result(out_fd, rc, &st, &err);
	_exit(rc == 0 ? 0 : 1);
}

static pid_t
helper_clone(int *pidfd)
{
	struct clone_args args;

	memset(&args, 0, sizeof(args));
	args.flags = CLONE_PIDFD;
	args.pidfd = (uint64_t)(uintptr_t)pidfd;
	args.exit_signal = SIGCHLD;
	return ((pid_t)syscall(SYS_clone3, &args, sizeof(args)));
}

void
unpack_job_close(struct unpack_job *job)
{
	if (job->pidfd >= 0)
		close(job->pidfd);
	if (job->pipe_fd >= 0)
		close(job->pipe_fd);
	job->pidfd = job->pipe_fd = -1;
}

int
unpack_spawn(int src_fd, int dest_dirfd, struct unpack_job *job,
    struct berth_error *err)
{
	int p[2], pidfd = -1;
	pid_t pid, parent = getpid();

	memset(job, 0, sizeof(*job));
	job->pidfd = job->pipe_fd = -1;
	job->error = (struct berth_error)BERTH_ERROR_INIT;
	if (pipe2(p, O_CLOEXEC) < 0)
		return (berth_error_sys(err, "unpack helper: pipe"));
	fflush(NULL);		/* nothing buffered is written twice */
	pid = helper_clone(&pidfd);
	if (pid == 0) {
		close(p[0]);
		helper_main(src_fd, dest_dirfd, p[1], parent);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return (berth_error_sys(err, "unpack helper: clone3"));
	}
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
		berth_error_sys(err, "unpack helper: pipe");
		(void)syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
		(void)waitid(P_PIDFD, (id_t)pidfd, NULL, WEXITED);
		close(pidfd);
		close(p[0]);
		return (-1);
	}
	job->pid = pid;
	job->pidfd = pidfd;
	job->pipe_fd = p[0];
	return (0);
}

static int
parse_line(struct unpack_job *job, char *line, struct berth_error *err)
{
	char name[BERTH_ERROR_NAME_MAX];
	struct unpack_stats st;
	int errnum, off = 0;

	if (job->have_result)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "unpack helper: data after its result"));
	if (sscanf(line, "progress %" SCNu64 " %" SCNu64 "%n", &st.entries,
	    &st.bytes, &off) == 2 && line[off] == '\0') {
		job->progress = st;
		return (0);
	}
	if (sscanf(line, "ok %" SCNu64 " %" SCNu64 "%n", &st.entries,
	    &st.bytes, &off) == 2 && line[off] == '\0') {
		job->have_result = job->ok = true;
		job->result = job->progress = st;
		return (0);
	}
	if (sscanf(line, "error %127s %d %n", name, &errnum, &off) == 2 &&
	    off > 0) {
		job->have_result = true;
		job->ok = false;
		berth_error_set(&job->error, name, 0, "%s", line + off);
		job->error.errnum = errnum;
		return (0);
	}
	return (berth_error_set(err, BERTH_E_INTERNAL, 0,
	    "unpack helper: malformed line"));
}

int
unpack_job_read(struct unpack_job *job, struct berth_error *err)
{
	for (;;) {
		char *nl;
		ssize_t n;

		while ((nl = memchr(job->buf, '\n', job->len)) != NULL) {
			size_t used = (size_t)(nl - job->buf) + 1;

			*nl = '\0';
			if (parse_line(job, job->buf, err) < 0)
				return (-1);
			memmove(job->buf, job->buf + used, job->len - used);
			job->len -= used;
		}
		if (job->len == sizeof(job->buf))
			return (berth_error_set(err, BERTH_E_INTERNAL, 0,
			    "unpack helper: line too long"));
		n = read(job->pipe_fd, job->buf + job->len,
		    sizeof(job->buf) - job->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return (0);
			return (berth_error_sys(err, "unpack helper: read"));
		}
		if (n == 0)
			return (job->len == 0 ? 1 : berth_error_set(err,
			    BERTH_E_INTERNAL, 0,
			    "unpack helper: truncated line"));
		job->len += (size_t)n;
	}
}

int
unpack_job_finish(struct unpack_job *job, struct unpack_stats *st,
    struct berth_error *err)
{
	siginfo_t si;
	int r;

	memset(&si, 0, sizeof(si));
	while (waitid(P_PIDFD, (id_t)job->pidfd, &si, WEXITED) < 0) {
		if (errno != EINTR) {
			berth_error_sys(err, "unpack helper: waitid");
			unpack_job_close(job);
			berth_error_clear(&job->error);
			return (-1);
		}
	}
	/* It has exited: everything it wrote is in the pipe. */
	r = unpack_job_read(job, err);
	unpack_job_close(job);
	if (r < 0) {
		berth_error_clear(&job->error);
		return (-1);
	}
	if (job->have_result && job->ok && si.si_code == CLD_EXITED &&
	    si.si_status == 0) {
		if (st != NULL)
			*st = job->result;
		return (0);
	}
	if (job->have_result && !job->ok) {
		berth_error_move(err, &job->error);
		return (-1);
	}
	if (si.si_code == CLD_EXITED)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "unpack helper exited with status %d and no result",
		    si.si_status));
	return (berth_error_set(err, BERTH_E_INTERNAL, 0,
	    "unpack helper killed by signal %d", si.si_status));
}

int
unpack_layer_in_helper(int src_fd, int dest_dirfd, struct unpack_stats *st,
    struct berth_error *err)
{
	struct unpack_job job;

	if (unpack_spawn(src_fd, dest_dirfd, &job, err) < 0)
		return (-1);
	return (unpack_job_finish(&job, st, err));
}
