/*
 * The container process's own set-up, after its filesystem, ending in
 * exec.  The order matters and is this:
 *
 *  1. hostname, rlimits, oom_score_adj;
 *  2. the user, looked up in the container's own /etc/passwd and
 *     /etc/group (after pivot_root: never the host's, never through NSS);
 *  3. stdio (the terminal becomes the controlling one), passed fds, cwd;
 *  4. seccomp now if no_new_privs is off: loading a filter without it
 *     needs CAP_SYS_ADMIN, which is about to go (the profile allows the
 *     set-up calls that follow, as Docker's does);
 *  5. the bounding set, while CAP_SETPCAP is still held;
 *  6. groups, gid, uid, with PR_SET_KEEPCAPS so the uid change keeps the
 *     permitted set;
 *  7. effective, permitted, inheritable and ambient capabilities;
 *  8. no_new_privs, umask;
 *  9. the exec fifo: wait for "start" (OCI create/start);
 * 10. seccomp if no_new_privs is on: as late as possible;
 * 11. every other fd close-on-exec (close_range), then execve.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "child.h"
#include "seccomp.h"

#define DEFAULT_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:" \
			"/sbin:/bin"
#define GROUPS_MAX	256

struct user_ids {
	uid_t	uid;
	gid_t	gid;
	gid_t	groups[GROUPS_MAX];
	size_t	ngroups;
};

/* The container's /etc/passwd or /etc/group, if it is a regular file (a
 * fifo there must not hang the set-up). */
static FILE *
open_db(const char *path)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return (NULL);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return (NULL);
	}
	return (fdopen(fd, "r"));
}

static bool
parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (*s == '\0')
		return (false);
	errno = 0;
	*out = strtoul(s, &end, 10);
	return (errno == 0 && *end == '\0' && *out < UINT32_MAX);
}

static void
lookup_user(struct child_ctx *c, const char *name, struct user_ids *ids)
{
	struct passwd pw, *res;
	char buf[4096];
	unsigned long n;
	FILE *f;

	if (parse_id(name, &n)) {
		ids->uid = (uid_t)n;
		/* A numeric user takes its gid from passwd when listed. */
		if ((f = open_db("/etc/passwd")) != NULL) {
			while (fgetpwent_r(f, &pw, buf, sizeof(buf), &res) == 0)
				if (pw.pw_uid == ids->uid) {
					ids->gid = pw.pw_gid;
					break;
				}
			fclose(f);
		}
		return;
	}
	if ((f = open_db("/etc/passwd")) == NULL)
		child_fail(c, RT_E_SETUP, errno, 1, "unable to find user %s: "
		    "no /etc/passwd in the container", name);
	while (fgetpwent_r(f, &pw, buf, sizeof(buf), &res) == 0)
		if (strcmp(pw.pw_name, name) == 0) {
			ids->uid = pw.pw_uid;
			ids->gid = pw.pw_gid;
			fclose(f);
			return;
		}
	fclose(f);
	child_fail(c, RT_E_SETUP, 0, 1, "unable to find user %s: no "
	    "matching entries in passwd file", name);
}

/* The group given after ':' and, as Docker does, every group in
 * /etc/group that lists the user by name. */
static void
lookup_groups(struct child_ctx *c, const char *user, const char *group,
    struct user_ids *ids)
{
	struct group gr, *res;
	char buf[8192];
	unsigned long n;
	bool found = group == NULL;
	FILE *f;
	size_t i;

	if (group != NULL && parse_id(group, &n)) {
		ids->gid = (gid_t)n;
		found = true;
	}
	if ((f = open_db("/etc/group")) == NULL) {
		if (!found)
			child_fail(c, RT_E_SETUP, errno, 1, "unable to find "
			    "group %s: no /etc/group in the container", group);
		return;
	}
	while (fgetgrent_r(f, &gr, buf, sizeof(buf), &res) == 0) {
		if (!found && strcmp(gr.gr_name, group) == 0) {
			ids->gid = gr.gr_gid;
			found = true;
		}
		for (i = 0; gr.gr_mem[i] != NULL; i++)
			if (strcmp(gr.gr_mem[i], user) == 0 &&
			    ids->ngroups < GROUPS_MAX)
				ids->groups[ids->ngroups++] = gr.gr_gid;
	}
	fclose(f);
	if (!found)
		child_fail(c, RT_E_SETUP, 0, 1, "unable to find group %s: no "
		    "matching entries in group file", group);
}

static void
resolve_user(struct child_ctx *c, struct user_ids *ids)
{
	const struct rt_process *p = c->process;
	char spec[256], *group;
	size_t i;

	ids->uid = p->uid;
	ids->gid = p->gid;
	ids->ngroups = 0;
	if (p->user != NULL && p->user[0] != '\0') {
		snprintf(spec, sizeof(spec), "%s", p->user);
		if ((group = strchr(spec, ':')) != NULL)
			*group++ = '\0';
		lookup_user(c, spec, ids);
		lookup_groups(c, spec, group, ids);
	}
	for (i = 0; i < p->nadditional_gids && ids->ngroups < GROUPS_MAX; i++)
		ids->groups[ids->ngroups++] = p->additional_gids[i];
}

static void
set_limits(struct child_ctx *c)
{
	const struct rt_process *p = c->process;
	struct rlimit rl;
	bool nofile = false;
	size_t i;
	int fd;

	if (c->container_pidfd < 0 && c->spec->hostname != NULL &&
	    c->spec->namespaces[RT_NS_UTS].enabled &&
	    sethostname(c->spec->hostname, strlen(c->spec->hostname)) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "set the hostname %s",
		    c->spec->hostname);
	for (i = 0; i < p->nrlimits; i++) {
		rl.rlim_cur = p->rlimits[i].soft;
		rl.rlim_max = p->rlimits[i].hard;
		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			child_fail(c, RT_E_SETUP, errno, 1, "set rlimit %d to "
			    "%llu:%llu", p->rlimits[i].resource,
			    (unsigned long long)rl.rlim_cur,
			    (unsigned long long)rl.rlim_max);
		nofile |= p->rlimits[i].resource == RLIMIT_NOFILE;
	}
	/* berthd raised its own descriptor limit; the container gets the
	 * usual one back unless the spec says otherwise. */
	if (!nofile && c->opts->nofile_soft > 0 &&
	    getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur > c->opts->nofile_soft) {
		rl.rlim_cur = c->opts->nofile_soft;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (p->has_oom_score_adj) {
		char v[16];
		int n = snprintf(v, sizeof(v), "%d", p->oom_score_adj);

		if ((fd = open("/proc/self/oom_score_adj", O_WRONLY |
		    O_CLOEXEC)) < 0 || write(fd, v, (size_t)n) != n)
			child_fail(c, RT_E_SETUP, errno, 1, "set "
			    "oom_score_adj to %d", p->oom_score_adj);
		close(fd);
	}
}

/* Move fd above the range the process's own fds will take. */
static int
move_high(struct child_ctx *c, int fd, int floor)
{
	int n;

	if (fd < 0)
		return (-1);
	if ((n = fcntl(fd, F_DUPFD_CLOEXEC, floor)) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "move fd %d", fd);
	close(fd);
	return (n);
}

static void
set_stdio(struct child_ctx *c)
{
	const struct rt_spawn_opts *o = c->opts;
	int floor = 3 + o->npass_fds + 3, moved[3], *pass = NULL, i;

	c->sync_fd = move_high(c, c->sync_fd, floor);
	c->exec_fifo_fd = move_high(c, c->exec_fifo_fd, floor);
	c->console_slave = move_high(c, c->console_slave, floor);
	if (c->console_slave >= 0) {
		if (setsid() < 0 || ioctl(c->console_slave, TIOCSCTTY, 0) < 0)
			child_fail(c, RT_E_SETUP, errno, 1, "make the "
			    "terminal the controlling one");
		for (i = 0; i < 3; i++)
			if (dup2(c->console_slave, i) < 0)
				child_fail(c, RT_E_SETUP, errno, 1, "dup2");
		close(c->console_slave);
		c->console_slave = -1;
	} else {
		/* Copy first, then place: the given fds may be 0-2 in
		 * another order. */
		for (i = 0; i < 3; i++)
			moved[i] = o->stdio[i] >= 0 ? fcntl(o->stdio[i],
			    F_DUPFD_CLOEXEC, floor) : -1;
		for (i = 0; i < 3; i++)
			if (moved[i] >= 0 && dup2(moved[i], i) < 0)
				child_fail(c, RT_E_SETUP, errno, 1, "dup2");
	}
	if (o->npass_fds > 0 && (pass = calloc((size_t)o->npass_fds,
	    sizeof(int))) == NULL)
		child_fail(c, RT_E_SETUP, errno, 1, "pass fds");
	for (i = 0; i < o->npass_fds; i++)
		pass[i] = fcntl(o->pass_fds[i], F_DUPFD_CLOEXEC, floor);
	for (i = 0; i < o->npass_fds; i++)
		if (pass[i] < 0 || dup2(pass[i], 3 + i) < 0)
			child_fail(c, RT_E_SETUP, errno, 1, "pass fd %d",
			    o->pass_fds[i]);
	free(pass);
}

static void
switch_user(struct child_ctx *c, const struct user_ids *ids)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_caps caps = c->process->caps;
	uint64_t own;

	/* Privileged means every capability berth itself holds: a set
	 * wider than its own bounding set cannot be granted. */
	if (c->spec->privileged) {
		own = caps_bounding_self();
		caps.bounding &= own;
		caps.effective &= own;
		caps.permitted &= own;
		caps.inheritable &= own;
		caps.ambient &= own;
	}
	if (caps_drop_bounding(&caps, &err) < 0)
		child_fail_error(c, &err);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "keep capabilities");
	if (setgroups(ids->ngroups, ids->groups) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "set the supplementary "
		    "groups");
	if (setresgid(ids->gid, ids->gid, ids->gid) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "set gid %u", ids->gid);
	if (setresuid(ids->uid, ids->uid, ids->uid) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "set uid %u", ids->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "keep capabilities");
	if (caps_apply(&caps, &err) < 0)
		child_fail_error(c, &err);
}

static void
load_seccomp(struct child_ctx *c)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (c->seccomp != NULL && seccomp_load_filter(c->seccomp, &err) < 0)
		child_fail_error(c, &err);
}

/* Block until the fifo is opened for reading (OCI start). */
static void
wait_for_start(struct child_ctx *c)
{
	char path[32];
	int fd;

	/* Set up: from here the process outlives its creator (an OCI exec
	 * --detach exits as soon as the process runs). */
	if (c->exec_fifo_fd < 0) {
		(void)prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
		return;
	}
	/* The creator may exit as soon as it hears "ready": the container
	 * must not die with it, so the parent-death signal goes first. */
	(void)prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (sync_send(c->sync_fd, SYNC_READY, -1) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "report ready");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", c->exec_fifo_fd);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "open the exec fifo");
	if (write(fd, "0", 1) != 1)
		child_fail(c, RT_E_SETUP, errno, 1, "write the exec fifo");
	close(fd);
	close(c->exec_fifo_fd);
	c->exec_fifo_fd = -1;
	c->started = true;
}

static const char *
env_path(char **env)
{
	size_t i;

	for (i = 0; env != NULL && env[i] != NULL; i++)
		if (strncmp(env[i], "PATH=", 5) == 0)
			return (env[i] + 5);
	return (DEFAULT_PATH);
}

static void __attribute__((noreturn))
exec_failed(struct child_ctx *c, const char *what, int e)
{
	if (e == ENOENT || e == ENOTDIR)
		child_fail(c, RT_E_NOT_FOUND, 0, 127, "exec: \"%s\": no such "
		    "file or directory", what);
	if (e == EACCES || e == ENOEXEC || e == EISDIR)
		child_fail(c, RT_E_NOT_EXECUTABLE, e, 126, "exec: \"%s\"",
		    what);
	child_fail(c, RT_E_SETUP, e, 126, "exec: \"%s\"", what);
}

/* execvpe with the container's PATH, reporting like Docker does. */
static void __attribute__((noreturn))
do_exec(struct child_ctx *c)
{
	char *const *args = c->process->args;
	char **env = c->process->env;
	char full[PATH_MAX], *dirs, *save, *dir;
	const char *path;
	int denied = 0;

	if (strchr(args[0], '/') != NULL) {
		execve(args[0], args, env);
		exec_failed(c, args[0], errno);
	}
	path = env_path(env);
	if ((dirs = strdup(path)) == NULL)
		child_fail(c, RT_E_SETUP, errno, 1, "exec");
	for (dir = strtok_r(dirs, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		snprintf(full, sizeof(full), "%s/%s", dir[0] != '\0' ? dir :
		    ".", args[0]);
		execve(full, args, env);
		if (errno == EACCES)
			denied = errno;
		else if (errno != ENOENT && errno != ENOTDIR)
			exec_failed(c, full, errno);
	}
	if (denied)
		exec_failed(c, args[0], denied);
	child_fail(c, RT_E_NOT_FOUND, 0, 127, "exec: \"%s\": executable file "
	    "not found in $PATH (PATH=%s)", args[0], path);
}

void
process_exec(struct child_ctx *c)
{
	const struct rt_process *p = c->process;
	struct user_ids ids;
	bool cwd_done = false;

	set_limits(c);
	resolve_user(c, &ids);
	set_stdio(c);
	if (p->cwd != NULL && chdir(p->cwd) == 0)
		cwd_done = true;
	else if (p->cwd != NULL && errno != EACCES)
		child_fail(c, RT_E_SETUP, errno, 1, "chdir to cwd (\"%s\") "
		    "set in config.json", p->cwd);
	if (!p->no_new_privileges)
		load_seccomp(c);
	switch_user(c, &ids);
	/* A cwd only the user may enter. */
	if (p->cwd != NULL && !cwd_done && chdir(p->cwd) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "chdir to cwd (\"%s\") "
		    "set in config.json", p->cwd);
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0,
	    0) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "set no_new_privs");
	if (p->has_umask)
		umask(p->umask);
	wait_for_start(c);
	if (p->no_new_privileges)
		load_seccomp(c);
	/* Close-on-exec, not closed: the sync socket must stay usable to
	 * report an exec failure, and closes itself on success. */
	if (syscall(SYS_close_range, 3 + c->opts->npass_fds, ~0U,
	    CLOSE_RANGE_CLOEXEC) < 0)
		child_fail(c, RT_E_SETUP, errno, 1, "close fds");
	do_exec(c);
}
