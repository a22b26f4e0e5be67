/*
 * Checks run in a forked child, so that what they change (capabilities,
 * seccomp filters, user ids) never reaches the test process.  The child
 * reports each failed check as a line on a pipe; the parent turns every
 * line, and an abnormal exit, into a failed CHECK.
 */
#ifndef BERTH_TESTS_FORK_CHECK_H
#define BERTH_TESTS_FORK_CHECK_H

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

/* In the child: write the failure on fd and go on. */
#define CCHECK(fd, cond) do {						\
	if (!(cond))							\
		dprintf((fd), "%s:%d: CCHECK(%s) failed (errno %d)\n",	\
		    __FILE__, __LINE__, #cond, errno);			\
} while (0)

/* Run fn(fd, arg) in a child; every line it writes to fd is a failure. */
static void
fork_check(void (*fn)(int, void *), void *arg)
{
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	int p[2], status;
	pid_t pid;

	CHECK(pipe2(p, O_CLOEXEC) == 0);
	fflush(NULL);
	pid = fork();
	CHECK(pid >= 0);
	if (pid < 0)
		return;
	if (pid == 0) {
		close(p[0]);
		fn(p[1], arg);
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0 ||
	    (n < 0 && errno == EINTR)) {
		if (n > 0)
			len += n;
		if (len == sizeof(buf) - 1)
			break;
	}
	buf[len] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (len != 0)
		fprintf(stderr, "# child: %s", buf);
	CHECK(len == 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "# child: status %#x\n", status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#endif
