/*
 * OCI hooks: config.json's "hooks" parsed (path, args, env, timeout per
 * hook), and a hook run as the runtime spec says: a process of the
 * runtime's namespaces, path executed with args (or just path) and env
 * (or berth-runtime's environment when absent, as runc), the state JSON
 * on its stdin, bounded by its timeout; its stdout and stderr kept (the
 * first OCI_HOOK_OUTPUT_MAX bytes) for the error when it fails.
 */
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "hooks.h"

extern char **environ;

static const char *const kind_names[OCI_HOOK_KINDS] = {
	[OCI_HOOK_PRESTART] = "prestart",
	[OCI_HOOK_CREATE_RUNTIME] = "createRuntime",
	[OCI_HOOK_CREATE_CONTAINER] = "createContainer",
	[OCI_HOOK_START_CONTAINER] = "startContainer",
	[OCI_HOOK_POSTSTART] = "poststart",
	[OCI_HOOK_POSTSTOP] = "poststop",
};

/* Why a kind is refused when not empty, or NULL: supported. */
static const char *const kind_refused[OCI_HOOK_KINDS] = {
	[OCI_HOOK_CREATE_CONTAINER] = "(hooks run in the container's "
	    "namespaces before pivot_root)",
	[OCI_HOOK_START_CONTAINER] = "(hooks run in the container's "
	    "namespaces before the process's exec)",
};

const char *
oci_hook_kind_name(enum oci_hook_kind kind)
{
	return (kind_names[kind]);
}

bool
oci_hook_kind_supported(enum oci_hook_kind kind)
{
	return (kind_refused[kind] == NULL);
}

/* --- parsing --- */

static int
hook_path(struct cfg *c, json_t *v, const char *path, struct berth_error *err)
{
	struct oci_hook *h = c->item;

	return (cfg_abs_path(v, path, &h->path, err));
}

static int
hook_args(struct cfg *c, json_t *v, const char *path, struct berth_error *err)
{
	struct oci_hook *h = c->item;
	size_t n;

	if (cfg_string_array(v, path, &h->args, &n, err) < 0)
		return (-1);
	if (n == 0) {		/* as absent: argv is { path } */
		strv_free(h->args);
		h->args = NULL;
	}
	return (0);
}

static int
hook_env(struct cfg *c, json_t *v, const char *path, struct berth_error *err)
{
	struct oci_hook *h = c->item;
	char **e;

	if (cfg_string_array(v, path, &h->env, NULL, err) < 0)
		return (-1);
	for (e = h->env; *e != NULL; e++)
		if (strchr(*e, '=') == NULL || **e == '=')
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s: \"%s\" is not KEY=VALUE", path, *e));
	return (0);
}

static int
hook_timeout(struct cfg *c, json_t *v, const char *path,
    struct berth_error *err)
{
	struct oci_hook *h = c->item;
	int64_t n;

	if (cfg_int64(v, path, &n, err) < 0)
		return (-1);
	if (n <= 0 || n > 86400)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: %lld is not a number of seconds in 1..86400", path,
		    (long long)n));
	h->timeout = (int)n;
	return (0);
}

static const struct cfg_field hook_fields[] = {
	{ "path", hook_path, NULL },
	{ "args", hook_args, NULL },
	{ "env", hook_env, NULL },
	{ "timeout", hook_timeout, NULL },
	{ NULL, NULL, NULL }
};

static int
hooks_kind_parse(json_t *v, const char *path, enum oci_hook_kind kind,
    struct oci_hooks *hs, struct berth_error *err)
{
	char sub[CFG_PATH_MAX];
	struct oci_hook *h;
	struct cfg c;
	json_t *e;
	size_t i;

	if (cfg_array(v, path, err) < 0)
		return (-1);
	if (json_array_size(v) == 0)
		return (0);
	if (kind_refused[kind] != NULL)
		return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
		    "%s is not supported %s", path, kind_refused[kind]));
	if (json_array_size(v) > OCI_HOOKS_MAX)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: more than %d hooks", path, OCI_HOOKS_MAX));
	if ((hs->list[kind] = calloc(json_array_size(v),
	    sizeof(*hs->list[kind]))) == NULL)
		return (berth_error_sys(err, "%s", path));
	memset(&c, 0, sizeof(c));
	json_array_foreach(v, i, e) {
		cfg_path(sub, "%s[%zu]", path, i);
		h = &hs->list[kind][hs->n[kind]++];
		c.item = h;
		if (cfg_walk(&c, e, sub, hook_fields, err) < 0)
			return (-1);
		if (h->path == NULL)
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s.path is required", sub));
	}
	return (0);
}

int
oci_hooks_parse(json_t *v, const char *path, struct oci_hooks *hs,
    struct berth_error *err)
{
	char sub[CFG_PATH_MAX];
	const char *key;
	json_t *e;
	int k;

	if (!json_is_object(v))
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "%s: expected an object", path));
	json_object_foreach(v, key, e) {
		cfg_path(sub, "%s.%s", path, key);
		for (k = 0; k < OCI_HOOK_KINDS; k++)
			if (strcmp(kind_names[k], key) == 0)
				break;
		if (k == OCI_HOOK_KINDS)
			return (berth_error_set(err, RT_E_UNSUPPORTED, 0,
			    "%s is not supported (unknown field)", sub));
		if (json_is_null(e))
			continue;
		if (hs->n[k] > 0)
			return (berth_error_set(err, RT_E_SPEC, 0,
			    "%s: given twice", sub));
		if (hooks_kind_parse(e, sub, k, hs, err) < 0)
			return (-1);
	}
	return (0);
}

int
oci_hooks_from_config(const char *text, size_t len, struct oci_hooks *h,
    struct berth_error *err)
{
	cleanup_json json_t *root = NULL;
	json_error_t jerr;
	json_t *v;

	memset(h, 0, sizeof(*h));
	if ((root = json_loadb(text, len, 0, &jerr)) == NULL)
		return (berth_error_set(err, RT_E_SPEC, 0,
		    "line %d column %d: %s", jerr.line, jerr.column,
		    jerr.text));
	if ((v = json_object_get(root, "hooks")) == NULL || json_is_null(v))
		return (0);
	if (oci_hooks_parse(v, "hooks", h, err) < 0) {
		oci_hooks_free(h);
		return (-1);
	}
	return (0);
}

void
oci_hooks_free(struct oci_hooks *hs)
{
	size_t i;
	int k;

	for (k = 0; k < OCI_HOOK_KINDS; k++) {
		for (i = 0; i < hs->n[k]; i++) {
			free(hs->list[k][i].path);
			strv_free(hs->list[k][i].args);
			strv_free(hs->list[k][i].env);
		}
		free(hs->list[k]);
	}
	memset(hs, 0, sizeof(*hs));
}

/* --- running --- */

/* In the forked child: stdin, stdout and stderr, nothing else open, the
 * signals a caller may have blocked or ignored back to default. */
static void __attribute__((noreturn))
hook_child(const struct oci_hook *h, int in, int out)
{
	char *argv0[2] = { h->path, NULL };
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)signal(sig, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	(void)close_range(3, ~0U, 0);
	execve(h->path, h->args != NULL ? h->args : argv0,
	    h->env != NULL ? h->env : environ);
	dprintf(2, "exec %s: %s", h->path, strerror(errno));
	_exit(127);
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

struct hook_io {
	int		 in;		/* our end of its stdin, or -1 */
	int		 out;		/* our end of its stdout+stderr */
	const char	*state;
	size_t		 state_len, state_off;
	char		 buf[OCI_HOOK_OUTPUT_MAX + 1];
	size_t		 len;
};

/* Feed stdin, read output; false once stdout is at end of file. */
static bool
hook_io_step(struct hook_io *io, const struct pollfd *pfd)
{
	char scratch[4096];
	ssize_t n;

	if (io->in >= 0 && pfd[0].revents != 0) {
		n = write(io->in, io->state + io->state_off,
		    io->state_len - io->state_off);
		if (n > 0)
			io->state_off += (size_t)n;
		if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
		    io->state_off == io->state_len) {
			close(io->in);	/* EPIPE: it did not read it */
			io->in = -1;
		}
	}
	if (pfd[1].revents == 0)
		return (true);
	n = read(io->out, scratch, sizeof(scratch));
	if (n < 0)
		return (errno == EAGAIN || errno == EINTR);
	if (n == 0)
		return (false);
	if (io->len < OCI_HOOK_OUTPUT_MAX) {
		if ((size_t)n > OCI_HOOK_OUTPUT_MAX - io->len)
			n = (ssize_t)(OCI_HOOK_OUTPUT_MAX - io->len);
		memcpy(io->buf + io->len, scratch, (size_t)n);
		io->len += (size_t)n;
	}
	return (true);
}

/* Wait for the hook, feeding and reading it; *timed_out when killed for
 * its timeout. */
static int
hook_wait(const struct oci_hook *h, pid_t pid, int pidfd, struct hook_io *io,
    int *status, bool *timed_out, struct berth_error *err)
{
	long deadline = h->timeout > 0 ? now_ms() + h->timeout * 1000L : 0;
	struct pollfd pfd[3];
	bool exited = false, open_out = true;
	int n, wait_ms;

	*timed_out = false;
	while (!exited) {
		pfd[0] = (struct pollfd){ .fd = io->in, .events = POLLOUT };
		pfd[1] = (struct pollfd){ .fd = open_out ? io->out : -1,
		    .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		wait_ms = -1;
		if (deadline > 0 && (wait_ms = (int)(deadline - now_ms())) < 0)
			wait_ms = 0;
		n = poll(pfd, 3, wait_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return (berth_error_sys(err, "poll"));
		if (n == 0) {
			(void)pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
			*timed_out = true;
			break;
		}
		if (!hook_io_step(io, pfd))
			open_out = false;
		exited = pfd[2].revents != 0;
	}
	/* What it wrote before it exited; a child it left behind may hold
	 * the pipe open, so only what is there now. */
	while (open_out && !*timed_out) {
		pfd[0] = (struct pollfd){ .fd = -1 };
		pfd[1] = (struct pollfd){ .fd = io->out, .events = POLLIN };
		if (poll(&pfd[1], 1, 0) <= 0 || !hook_io_step(io, pfd))
			break;
	}
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return (berth_error_sys(err, "wait for hook"));
	return (0);
}

static int
hook_run(const struct oci_hook *h, const char *what, const char *state,
    struct berth_error *err)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status = 0;
	cleanup_close int pidfd = -1;
	struct hook_io io;
	bool timed_out;
	pid_t pid;
	int rc;

	memset(&io, 0, sizeof(io));
	if (pipe2(in, O_CLOEXEC) < 0)
		return (berth_error_sys(err, "%s: pipe", what));
	if (pipe2(out, O_CLOEXEC) < 0) {
		berth_error_sys(err, "%s: pipe", what);
		close(in[0]);
		close(in[1]);
		return (-1);
	}
	pid = fork();
	if (pid == 0)
		hook_child(h, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	io.in = in[1];
	io.out = out[0];
	io.state = state;
	io.state_len = strlen(state);
	if (pid < 0 || (pidfd = pidfd_open(pid, 0)) < 0) {
		berth_error_sys(err, "%s: %s", what, pid < 0 ? "fork" :
		    "pidfd_open");
		if (pid > 0) {
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, NULL, 0);
		}
		rc = -1;
	} else {
		(void)fcntl(io.in, F_SETFL, O_NONBLOCK);
		(void)fcntl(io.out, F_SETFL, O_NONBLOCK);
		rc = hook_wait(h, pid, pidfd, &io, &status, &timed_out, err);
	}
	if (io.in >= 0)
		close(io.in);
	close(io.out);
	if (rc < 0)
		return (berth_error_wrap(err, "%s", what));
	while (io.len > 0 && (io.buf[io.len - 1] == '\n' ||
	    io.buf[io.len - 1] == ' '))
		io.len--;
	io.buf[io.len] = '\0';
	if (timed_out)
		return (berth_error_set(err, RT_E_SETUP, ETIMEDOUT,
		    "%s: killed after its timeout of %d s%s%s", what,
		    h->timeout, io.len > 0 ? ": " : "", io.buf));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return (0);
	if (WIFSIGNALED(status))
		return (berth_error_set(err, RT_E_SETUP, 0,
		    "%s: killed by signal %d%s%s", what, WTERMSIG(status),
		    io.len > 0 ? ": " : "", io.buf));
	return (berth_error_set(err, RT_E_SETUP, 0, "%s: exit status %d%s%s",
	    what, WEXITSTATUS(status), io.len > 0 ? ": " : "", io.buf));
}

int
oci_hooks_run(const struct oci_hooks *hs, enum oci_hook_kind kind,
    const json_t *state, struct berth_error *err)
{
	cleanup_free char *text = NULL;
	struct sigaction ign, old;
	char what[512];
	size_t i;
	int rc = 0;

	if (hs->n[kind] == 0)
		return (0);
	if ((text = json_dumps(state, JSON_COMPACT)) == NULL)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "%s hooks: encode the state", kind_names[kind]));
	/* A hook that exits without reading its stdin must not take us
	 * along with SIGPIPE. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &ign, &old);
	for (i = 0; i < hs->n[kind] && rc == 0; i++) {
		snprintf(what, sizeof(what), "%s hook %zu (%s)",
		    kind_names[kind], i, hs->list[kind][i].path);
		rc = hook_run(&hs->list[kind][i], what, text, err);
	}
	(void)sigaction(SIGPIPE, &old, NULL);
	return (rc);
}
