/*
 * kill: a signal (a name with or without SIG, or a number; SIGTERM by
 * default) to the container's init through a pidfd, or with --all to
 * every process in its cgroup.
 */
#include <sys/pidfd.h>
#include <ctype.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "oci.h"
#include "state.h"

static int cmd_kill_exec(struct oci_ctx *, const struct args *);

static const struct args_flag cmd_kill_flags[] = {
	{ "all", 'a', NULL, "send the specified signal to all processes "
	    "inside the container" },
	{ NULL, 0, NULL, NULL }
};

const struct oci_cmd cmd_kill_entry = {
	.name = "kill",
	.usage = "<container-id> [signal]",
	.summary = "kill sends the specified signal (default: SIGTERM) to "
	    "the container's init process",
	.flags = cmd_kill_flags,
	.args_min = 1,
	.args_max = 2,
	.exec = cmd_kill_exec,
};

static const struct {
	const char	*name;
	int		 sig;
} signal_names[] = {
	{ "ABRT", SIGABRT }, { "ALRM", SIGALRM }, { "BUS", SIGBUS },
	{ "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "FPE", SIGFPE },
	{ "HUP", SIGHUP }, { "ILL", SIGILL }, { "INT", SIGINT },
	{ "IO", SIGIO }, { "IOT", SIGIOT }, { "KILL", SIGKILL },
	{ "PIPE", SIGPIPE }, { "POLL", SIGPOLL }, { "PROF", SIGPROF },
	{ "PWR", SIGPWR }, { "QUIT", SIGQUIT }, { "SEGV", SIGSEGV },
	{ "STKFLT", SIGSTKFLT }, { "STOP", SIGSTOP }, { "SYS", SIGSYS },
	{ "TERM", SIGTERM }, { "TRAP", SIGTRAP }, { "TSTP", SIGTSTP },
	{ "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
	{ "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "VTALRM", SIGVTALRM },
	{ "WINCH", SIGWINCH }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
};

/* "KILL", "SIGKILL", "kill", "9", "RTMIN+3"; -1 when unknown. */
static int
signal_parse(const char *s)
{
	char *end;
	long n;
	size_t i;

	if (*s >= '0' && *s <= '9') {
		n = strtol(s, &end, 10);
		return (*end == '\0' && n > 0 && n < NSIG ? (int)n : -1);
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (strcasecmp(s, signal_names[i].name) == 0)
			return (signal_names[i].sig);
	if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) ==
	    0) {
		n = s[5] == '\0' ? 0 : strtol(s + 5, &end, 10);
		if (s[5] != '\0' && *end != '\0')
			return (-1);
		n += toupper((unsigned char)s[3]) == 'I' ? SIGRTMIN : SIGRTMAX;
		return (n >= SIGRTMIN && n <= SIGRTMAX ? (int)n : -1);
	}
	return (-1);
}

static int
kill_container(struct oci_container *c, int sig, bool all,
    struct berth_error *err)
{
	struct rt_cgroup *cg = NULL;
	enum oci_status st;
	int pidfd, rc;

	if (state_status(c, &st, err) < 0)
		return (-1);
	if (st == OCI_STATUS_STOPPED)
		return (berth_error_set(err, OCI_E_STATE, 0,
		    "container not running"));
	if (all) {
		if (cgroup_open(c->st.cgroup_path, &cg, err) < 0)
			return (-1);
		rc = cgroup_kill(cg, sig, err);
		cgroup_free(cg);
		return (rc);
	}
	if (state_pidfd(c, &pidfd, err) < 0)
		return (-1);
	rc = pidfd_send_signal(pidfd, sig, NULL, 0);
	close(pidfd);
	if (rc < 0)
		return (berth_error_sys(err, "signal %d to pid %d", sig,
		    (int)c->st.pid));
	return (0);
}

static int
cmd_kill_exec(struct oci_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct oci_container c = OCI_CONTAINER_INIT;
	const char *id;
	int sig = SIGTERM, rc;

	if ((id = oci_arg_id(ctx, args)) == NULL)
		return (OCI_EXIT_FAILURE);
	if (args->argc > 1 && (sig = signal_parse(args->argv[1])) < 0)
		return (oci_failf(ctx, "unknown signal \"%s\"",
		    args->argv[1]));
	rc = state_open(ctx->root, id, true, &c, &err) < 0 ||
	    kill_container(&c, sig, args_has(args, "all"), &err) < 0 ?
	    -1 : 0;
	state_close(&c);
	return (rc < 0 ? oci_fail(ctx, &err) : OCI_EXIT_OK);
}
