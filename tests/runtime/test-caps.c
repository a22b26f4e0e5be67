/*
 * Capabilities: names both ways, Docker's default set, the bounding set
 * dropped and the other sets applied exactly as asked (read back from
 * /proc/self/status), ambient capabilities surviving a non-root exec, and
 * the errors for an impossible set.  Runs as root; every change happens
 * in a forked child.
 */
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caps.h"
#include "fork-check.h"
#include "unit.h"

#define BIT(c)		(UINT64_C(1) << (c))
#define NOBODY		65534

struct status_caps {
	uint64_t	inh, prm, eff, bnd, amb;
	int		found;
};

/* Parse the Cap* lines of a /proc/PID/status text. */
static void
parse_status_caps(const char *text, struct status_caps *sc)
{
	static const struct {
		const char	*key;
		size_t		 off;
	} keys[] = {
		{ "CapInh:", offsetof(struct status_caps, inh) },
		{ "CapPrm:", offsetof(struct status_caps, prm) },
		{ "CapEff:", offsetof(struct status_caps, eff) },
		{ "CapBnd:", offsetof(struct status_caps, bnd) },
		{ "CapAmb:", offsetof(struct status_caps, amb) },
	};
	const char *line;
	size_t i;

	memset(sc, 0, sizeof(*sc));
	for (line = text; line != NULL && *line != '\0';
	    line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			if (strncmp(line, keys[i].key, strlen(keys[i].key)))
				continue;
			*(uint64_t *)((char *)sc + keys[i].off) =
			    strtoull(line + strlen(keys[i].key), NULL, 16);
			sc->found++;
		}
	}
}

static int
read_self_caps(struct status_caps *sc)
{
	char buf[8192];
	ssize_t n;
	int fd;

	if ((fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)) < 0)
		return (-1);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return (-1);
	buf[n] = '\0';
	parse_status_caps(buf, sc);
	return (sc->found == 5 ? 0 : -1);
}

static void
names_round_trip(void)
{
	int cap, last = caps_last_cap();
	char lower[64];
	size_t i;

	CHECK(caps_from_name("CAP_SYS_ADMIN") == CAP_SYS_ADMIN);
	CHECK(caps_from_name("cap_sys_admin") == CAP_SYS_ADMIN);
	CHECK(caps_from_name("SYS_ADMIN") == CAP_SYS_ADMIN);
	CHECK(caps_from_name("sys_admin") == CAP_SYS_ADMIN);
	CHECK(caps_from_name("Net_Bind_Service") == CAP_NET_BIND_SERVICE);
	CHECK(caps_from_name("CAP_CHOWN") == 0);
	CHECK_STR(caps_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
	CHECK_STR(caps_name(CAP_CHOWN), "CAP_CHOWN");

	CHECK(last >= CAP_AUDIT_READ && last <= 63);
	for (cap = 0; cap <= last; cap++) {
		const char *name = caps_name(cap);

		CHECK(name != NULL);
		if (name == NULL)
			continue;
		CHECK(strncmp(name, "CAP_", 4) == 0);
		CHECK(caps_from_name(name) == cap);
		for (i = 0; name[i] != '\0' && i < sizeof(lower) - 1; i++)
			lower[i] = name[i] >= 'A' && name[i] <= 'Z' ?
			    name[i] - 'A' + 'a' : name[i];
		lower[i] = '\0';
		CHECK(caps_from_name(lower + 4) == cap);
	}
}

static void
names_unknown(void)
{
	CHECK(caps_from_name("CAP_NOT_A_CAP") == -1);
	CHECK(caps_from_name("NOT_A_CAP") == -1);
	CHECK(caps_from_name("") == -1);
	CHECK(caps_from_name(NULL) == -1);
	CHECK(caps_from_name("21") == -1);
	CHECK(caps_from_name("CAP_") == -1);
	CHECK(caps_from_name("all") == -1);
	CHECK(caps_name(-1) == NULL);
	CHECK(caps_name(64) == NULL);
}

static void
last_cap_and_all(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int last = -1;

	CHECK(f != NULL);
	if (f != NULL) {
		CHECK(fscanf(f, "%d", &last) == 1);
		fclose(f);
	}
	CHECK(caps_last_cap() == last);
	CHECK(caps_all() == BIT(last + 1) - 1);
}

static void
docker_default_is_the_14(void)
{
	static const char *const names[] = { "CHOWN", "DAC_OVERRIDE",
	    "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
	    "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",
	    "AUDIT_WRITE" };
	uint64_t want = 0, got = caps_docker_default();
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK(caps_from_name(names[i]) >= 0);
		want |= BIT(caps_from_name(names[i]));
	}
	CHECK(__builtin_popcountll(got) == 14);
	CHECK(got == want);
	CHECK((got & BIT(CAP_SYS_ADMIN)) == 0);
	CHECK((got & BIT(CAP_NET_ADMIN)) == 0);
	CHECK((got & BIT(CAP_SYS_PTRACE)) == 0);
}

static void
apply_exact_child(int fd, void *arg)
{
	const struct rt_caps *c = arg;
	struct berth_error err = BERTH_ERROR_INIT;
	struct status_caps sc;

	CCHECK(fd, caps_drop_bounding(c, &err) == 0);
	CCHECK(fd, caps_apply(c, &err) == 0);
	if (berth_error_isset(&err))
		dprintf(fd, "%s\n", berth_error_message(&err));
	CCHECK(fd, read_self_caps(&sc) == 0);
	CCHECK(fd, sc.bnd == c->bounding);
	CCHECK(fd, sc.eff == c->effective);
	CCHECK(fd, sc.prm == c->permitted);
	CCHECK(fd, sc.inh == c->inheritable);
	CCHECK(fd, sc.amb == c->ambient);
	berth_error_clear(&err);
}

/* As root: every set exactly as asked. */
static void
drop_and_apply_exact(void)
{
	uint64_t dflt = caps_docker_default();
	struct rt_caps c = {
		.bounding = dflt | BIT(CAP_SYS_NICE),
		.permitted = dflt,
		.effective = dflt & ~BIT(CAP_MKNOD),
		.inheritable = BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE) |
		    BIT(CAP_KILL),
		.ambient = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_KILL),
	};
	struct rt_caps none = { 0 };

	fork_check(apply_exact_child, &c);
	/* Everything gone, the bounding set too. */
	fork_check(apply_exact_child, &none);
}

/*
 * A non-root process keeping CAP_NET_BIND_SERVICE in its ambient set has
 * it, effective, after exec of an ordinary binary.
 */
static void
ambient_survives_exec(void)
{
	const uint64_t nbs = BIT(CAP_NET_BIND_SERVICE);
	struct rt_caps c = {
		.bounding = caps_docker_default(),
		.effective = nbs,
		.permitted = nbs,
		.inheritable = nbs,
		.ambient = nbs,
	};
	struct berth_error err = BERTH_ERROR_INIT;
	struct status_caps sc;
	char buf[4096];
	size_t len = 0;
	ssize_t n;
	int p[2], status;
	pid_t pid;

	CHECK(access("/bin/busybox", X_OK) == 0);
	CHECK(pipe(p) == 0);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		close(p[0]);
		dup2(p[1], 1);
		if (caps_drop_bounding(&c, &err) != 0 ||
		    prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 ||
		    setgroups(0, NULL) != 0 ||
		    setresgid(NOBODY, NOBODY, NOBODY) != 0 ||
		    setresuid(NOBODY, NOBODY, NOBODY) != 0 ||
		    caps_apply(&c, &err) != 0) {
			printf("setup: %s (errno %d)\n",
			    berth_error_message(&err), errno);
			fflush(stdout);
			_exit(1);
		}
		execl("/bin/busybox", "grep", "Cap", "/proc/self/status",
		    (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	buf[len] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	parse_status_caps(buf, &sc);
	if (sc.found != 5)
		fprintf(stderr, "# output: %s\n", buf);
	CHECK(sc.found == 5);
	CHECK(sc.amb == nbs);
	CHECK(sc.eff == nbs);
	CHECK(sc.prm == nbs);
	CHECK(sc.inh == nbs);
	CHECK(sc.bnd == caps_docker_default());
}

static void
ambient_refused_child(int fd, void *arg)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const char *missing = arg;
	struct status_caps before, after;
	struct rt_caps c = {
		.bounding = caps_all(),
		.effective = caps_docker_default(),
		.permitted = caps_docker_default(),
		.inheritable = BIT(CAP_CHOWN),
		.ambient = BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE),
	};
	const char *msg;

	if (strcmp(missing, "permitted") == 0) {
		c.permitted = c.effective = BIT(CAP_CHOWN);
		c.inheritable = BIT(CAP_CHOWN) | BIT(CAP_NET_BIND_SERVICE);
	}
	CCHECK(fd, read_self_caps(&before) == 0);
	CCHECK(fd, caps_apply(&c, &err) == -1);
	CCHECK(fd, berth_error_is(&err, RT_E_SPEC));
	msg = berth_error_message(&err);
	CCHECK(fd, msg != NULL && strstr(msg, "CAP_NET_BIND_SERVICE") != NULL);
	CCHECK(fd, msg != NULL && strstr(msg, missing) != NULL);
	/* Refused before anything changed. */
	CCHECK(fd, read_self_caps(&after) == 0);
	CCHECK(fd, after.prm == before.prm && after.eff == before.eff &&
	    after.inh == before.inh && after.amb == before.amb);
	berth_error_clear(&err);
}

static void
ambient_needs_inheritable_and_permitted(void)
{
	fork_check(ambient_refused_child, "inheritable");
	fork_check(ambient_refused_child, "permitted");
}

static void
drop_bounding_error_child(int fd, void *arg)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct rt_caps c = { .bounding = 0 };
	const char *msg;

	(void)arg;
	/* Without keepcaps, becoming nobody loses every capability. */
	CCHECK(fd, setresuid(NOBODY, NOBODY, NOBODY) == 0);
	CCHECK(fd, caps_drop_bounding(&c, &err) == -1);
	CCHECK(fd, err.errnum == EPERM);
	msg = berth_error_message(&err);
	CCHECK(fd, msg != NULL && strstr(msg, "CAP_CHOWN") != NULL);
	CCHECK(fd, msg != NULL && strstr(msg, "bounding") != NULL);
	berth_error_clear(&err);
}

static void
drop_bounding_needs_setpcap(void)
{
	fork_check(drop_bounding_error_child, NULL);
}

int
main(void)
{
	if (geteuid() != 0) {
		printf("# not root: skipped\n");
		return (0);
	}
	RUN(names_round_trip);
	RUN(names_unknown);
	RUN(last_cap_and_all);
	RUN(docker_default_is_the_14);
	RUN(drop_and_apply_exact);
	RUN(ambient_survives_exec);
	RUN(ambient_needs_inheritable_and_permitted);
	RUN(drop_bounding_needs_setpcap);
	UNIT_EXIT();
}
