/*
 * berth-init: the tiny init of "berth run --init", bind-mounted read-only
 * at /dev/init and run as the container's pid 1 in place of the command:
 *
 *	berth-init [--] CMD [ARG...]
 *
 * It starts CMD in a process group of its own (the terminal's foreground
 * group when stdin is a terminal), forwards every signal it can catch to
 * it, reaps every process that ends up its child (orphans are re-parented
 * to pid 1), and exits as CMD did: its exit code, or 128 plus the signal
 * that killed it.  Outside a container it makes itself a child subreaper,
 * so it behaves the same.
 *
 * Built static (no NSS, nothing loaded at run time): it runs in any image.
 * Every signal but the synchronous faults stays blocked and is taken with
 * sigwaitinfo(), so the loop sleeps until something happens.
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Faults raised by our own code: never blocked, never forwarded. */
static const int fault_signals[] = {
	SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGSYS, SIGTRAP,
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: berth-init [--] command [argument ...]\n");
	exit(2);
}

/* The child: own process group, the terminal's foreground when there is
 * one (while SIGTTOU is still blocked, so the call from a background group
 * is allowed), the signal mask berth-init was started with, then exec.
 * Docker's codes on failure: 127 not found, 126 cannot execute. */
static void __attribute__((noreturn))
run_command(char **argv, const sigset_t *mask)
{
	int e;

	(void)setpgid(0, 0);
	if (isatty(STDIN_FILENO))
		(void)tcsetpgrp(STDIN_FILENO, getpgrp());
	(void)sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(argv[0], argv);
	e = errno;
	if ((e == ENOENT || e == ENOTDIR) && strchr(argv[0], '/') == NULL)
		fprintf(stderr, "berth-init: exec \"%s\": executable file not "
		    "found in $PATH\n", argv[0]);
	else
		fprintf(stderr, "berth-init: exec \"%s\": %s\n", argv[0],
		    strerror(e));
	_exit(e == ENOENT || e == ENOTDIR ? 127 : 126);
}

/* Reap every child that has exited; true once the command has, with its
 * wait status in *status. */
static bool
reap(pid_t child, int *status)
{
	pid_t pid;
	bool done = false;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if (pid == child) {
			*status = st;
			done = true;
		}
	return (done);
}

int
main(int argc, char **argv)
{
	sigset_t all, saved;
	siginfo_t si;
	pid_t child;
	size_t i;
	int sig, status = 0;

	if (argc > 1 && strcmp(argv[1], "--") == 0) {
		argv++;
		argc--;
	}
	if (argc < 2 || argv[1][0] == '\0')
		usage();
	/* Blocked before the fork: nothing arriving in between is lost. */
	sigfillset(&all);
	for (i = 0; i < sizeof(fault_signals) / sizeof(fault_signals[0]); i++)
		sigdelset(&all, fault_signals[i]);
	if (sigprocmask(SIG_SETMASK, &all, &saved) < 0) {
		fprintf(stderr, "berth-init: block signals: %s\n",
		    strerror(errno));
		return (1);
	}
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		fprintf(stderr, "berth-init: become a subreaper: %s\n",
		    strerror(errno));
	if ((child = fork()) < 0) {
		fprintf(stderr, "berth-init: fork: %s\n", strerror(errno));
		return (1);
	}
	if (child == 0)
		run_command(argv + 1, &saved);
	/* Both sides set the group, so a signal forwarded before the child
	 * runs reaches it in its own group. */
	(void)setpgid(child, child);
	for (;;) {
		if ((sig = sigwaitinfo(&all, &si)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "berth-init: wait for signals: %s\n",
			    strerror(errno));
			return (1);
		}
		if (sig != SIGCHLD) {
			if (kill(child, sig) < 0 && errno != ESRCH)
				fprintf(stderr, "berth-init: forward signal "
				    "%d: %s\n", sig, strerror(errno));
			continue;
		}
		if (reap(child, &status))
			break;
	}
	if (WIFSIGNALED(status))
		return (128 + WTERMSIG(status));
	return (WEXITSTATUS(status));
}
