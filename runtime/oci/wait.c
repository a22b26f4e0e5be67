/*
 * Waiting for a foreground process (run, exec): one poll loop over its
 * pidfd, a signalfd of the signals we forward to it, and the terminal
 * relay; then its exit status through waitid(P_PIDFD).
 *
 * The signals are blocked only once the process exists: a child made
 * while they were blocked would start with them blocked.
 */
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"

static const int forwarded[] = {
	SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
};
#define NFORWARDED	(sizeof(forwarded) / sizeof(forwarded[0]))

static void
forward_signals(struct oci_ctx *ctx, int sfd, int pidfd,
    struct tty_relay *relay)
{
	struct signalfd_siginfo si;
	ssize_t n;

	while ((n = read(sfd, &si, sizeof(si))) == sizeof(si)) {
		if (si.ssi_signo == SIGWINCH && relay != NULL) {
			tty_relay_resize(relay);
			continue;
		}
		oci_debug(ctx, "forwarding signal %u", si.ssi_signo);
		(void)pidfd_send_signal(pidfd, (int)si.ssi_signo, NULL, 0);
	}
}

static int
wait_loop(struct oci_ctx *ctx, int pidfd, int sfd, struct tty_relay *relay,
    struct berth_error *err)
{
	struct pollfd pfd[4];
	int n, extra;

	for (;;) {
		pfd[0].fd = pidfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = sfd;
		pfd[1].events = POLLIN;
		extra = relay != NULL ? tty_relay_pollfds(relay, &pfd[2]) : 0;
		n = poll(pfd, (nfds_t)(2 + extra), -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return (berth_error_sys(err, "poll"));
		if (pfd[1].revents != 0)
			forward_signals(ctx, sfd, pidfd, relay);
		if (extra > 0)
			tty_relay_handle(relay, &pfd[2], extra);
		if (pfd[0].revents != 0)
			return (0);
	}
}

int
oci_wait(struct oci_ctx *ctx, int pidfd, struct tty_relay *relay, int *code,
    struct berth_error *err)
{
	cleanup_close int sfd = -1;
	sigset_t set;
	siginfo_t si;
	size_t i;
	int rc;

	sigemptyset(&set);
	for (i = 0; i < NFORWARDED; i++)
		sigaddset(&set, forwarded[i]);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return (berth_error_sys(err, "signalfd"));
	/* A closed stdout must not kill us before the exit code.  The
	 * signals stay blocked after the wait: one arriving while the
	 * container is deleted must not end us half way. */
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return (berth_error_sys(err, "block signals"));
	if (relay != NULL)
		tty_relay_resize(relay);
	rc = wait_loop(ctx, pidfd, sfd, relay, err);
	if (relay != NULL)
		tty_relay_drain(relay);
	if (rc < 0)
		return (-1);
	memset(&si, 0, sizeof(si));
	while ((rc = waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED)) < 0 &&
	    errno == EINTR)
		;
	if (rc < 0)
		return (berth_error_sys(err, "wait for the process"));
	*code = rt_exit_code(si.si_status, si.si_code);
	return (0);
}
