/*
 * berthd: options, start-up and exit.  Start-up failures are fatal with
 * one clear line; after start-up everything is an error path on the loop.
 */
#include <sys/resource.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "job.h"
#include "frame.h"
#include "limits.h"
#include "log.h"

#define DEFAULT_SOCKET		"/run/berth/berth.sock"
#define DEFAULT_ROOT		"/var/lib/berth"
#define DEFAULT_RUN_ROOT	"/run/berth"
#ifndef BERTH_INIT_PATH
#define BERTH_INIT_PATH		"/usr/local/libexec/berth/berth-init"
#endif

static void
usage(FILE *f)
{
	fprintf(f,
"usage: berthd [options]\n"
"\n"
"  --socket PATH          client socket (default " DEFAULT_SOCKET ")\n"
"  --root DIR             persistent state (default " DEFAULT_ROOT ")\n"
"  --run-root DIR         run state (default " DEFAULT_RUN_ROOT ")\n"
"  --group NAME           group allowed on the socket besides root\n"
"  --idle-exit SECONDS    exit after this long with no client\n"
"  --log-level LEVEL      error, warn, info (default) or debug\n"
"  --max-frame BYTES      largest frame accepted (default %u)\n"
"  --frame-timeout SECS   time a started frame has to complete (default %d)\n"
"  --max-connections N    connections served at once (default %d)\n"
"  --cgroup-parent NAME   cgroup of the containers' cgroups (default berth)\n"
"  --init-path PATH       the init 'run --init' runs as /dev/init (default\n"
"                         berth-init beside berthd, else\n"
"                         " BERTH_INIT_PATH ")\n"
"  --resolv-conf PATH     the host's resolvers, for containers' DNS\n"
"                         (default /etc/resolv.conf)\n"
"  --network-linger SECS  how long an unused bridge and its rules stay\n"
"                         before they go (default 10; 0: at once)\n"
"  --version              print the version and exit\n"
"\n"
"With LISTEN_FDS set by systemd socket activation, berthd serves the\n"
"sockets it is given instead of making --socket.\n",
	    FRAME_MAX_DEFAULT, PEER_FRAME_TIMEOUT_DEFAULT, PEERS_MAX_DEFAULT);
}

static int
parse_number(const char *opt, const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "berthd: %s wants a number from %ld to %ld, "
		    "not '%s'\n", opt, min, max, s);
		return (-1);
	}
	*out = v;
	return (0);
}

/* Connections need descriptors: take the hard limit, as systemd and Go's
 * runtime do; containers get the usual soft limit back when they start. */
static unsigned long
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return (0);
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	return ((unsigned long)rl.rlim_cur);
}

static int
parse_options(int argc, char **argv, struct daemon_config *cfg)
{
	enum {
		OPT_SOCKET = 256, OPT_ROOT, OPT_RUN_ROOT, OPT_GROUP,
		OPT_IDLE_EXIT, OPT_LOG_LEVEL, OPT_MAX_FRAME, OPT_FRAME_TIMEOUT,
		OPT_MAX_CONNECTIONS, OPT_CGROUP_PARENT, OPT_INIT_PATH,
		OPT_RESOLV_CONF, OPT_NETWORK_LINGER,
		OPT_VERSION, OPT_HELP,
	};
	static const struct option options[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "run-root", required_argument, NULL, OPT_RUN_ROOT },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "idle-exit", required_argument, NULL, OPT_IDLE_EXIT },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "max-frame", required_argument, NULL, OPT_MAX_FRAME },
		{ "frame-timeout", required_argument, NULL, OPT_FRAME_TIMEOUT },
		{ "max-connections", required_argument, NULL,
		    OPT_MAX_CONNECTIONS },
		{ "cgroup-parent", required_argument, NULL,
		    OPT_CGROUP_PARENT },
		{ "init-path", required_argument, NULL, OPT_INIT_PATH },
		{ "resolv-conf", required_argument, NULL, OPT_RESOLV_CONF },
		{ "network-linger", required_argument, NULL,
		    OPT_NETWORK_LINGER },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct group *gr;
	long n;
	int c, level;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			cfg->socket_path = optarg;
			break;
		case OPT_ROOT:
			cfg->root = optarg;
			break;
		case OPT_RUN_ROOT:
			cfg->run_root = optarg;
			break;
		case OPT_GROUP:
			if ((gr = getgrnam(optarg)) == NULL) {
				fprintf(stderr, "berthd: --group: no group "
				    "named '%s'\n", optarg);
				return (-1);
			}
			cfg->group = optarg;
			cfg->gid = gr->gr_gid;
			break;
		case OPT_IDLE_EXIT:
			if (parse_number("--idle-exit", optarg, 0, INT_MAX,
			    &n) < 0)
				return (-1);
			cfg->idle_exit = (int)n;
			break;
		case OPT_LOG_LEVEL:
			if ((level = log_level_parse(optarg)) < 0) {
				fprintf(stderr, "berthd: --log-level: '%s' is "
				    "not error, warn, info or debug\n", optarg);
				return (-1);
			}
			log_set_level((enum log_level)level);
			break;
		case OPT_MAX_FRAME:
			if (parse_number("--max-frame", optarg, 1024,
			    FRAME_MAX_LIMIT, &n) < 0)
				return (-1);
			cfg->max_frame = (size_t)n;
			break;
		case OPT_FRAME_TIMEOUT:
			if (parse_number("--frame-timeout", optarg, 1, 3600,
			    &n) < 0)
				return (-1);
			cfg->frame_timeout = (int)n;
			break;
		case OPT_MAX_CONNECTIONS:
			if (parse_number("--max-connections", optarg, 1,
			    PEERS_MAX_LIMIT, &n) < 0)
				return (-1);
			cfg->max_connections = (int)n;
			break;
		case OPT_CGROUP_PARENT:
			/* One path component: berthd removes it when empty. */
			if (optarg[0] == '\0' || strchr(optarg, '/') != NULL ||
			    strcmp(optarg, ".") == 0 ||
			    strcmp(optarg, "..") == 0) {
				fprintf(stderr, "berthd: --cgroup-parent: '%s' "
				    "is not a cgroup name\n", optarg);
				return (-1);
			}
			cfg->cgroup_parent = optarg;
			break;
		case OPT_INIT_PATH:
			/* Bound into containers from the host's root: it is
			 * checked when a container asks for it, not here. */
			if (optarg[0] != '/') {
				fprintf(stderr, "berthd: --init-path: '%s' is "
				    "not an absolute path\n", optarg);
				return (-1);
			}
			cfg->init_path = optarg;
			break;
		case OPT_RESOLV_CONF:
			cfg->resolv_conf = optarg;
			break;
		case OPT_NETWORK_LINGER:
			if (parse_number("--network-linger", optarg, 0, 86400,
			    &n) < 0)
				return (-1);
			cfg->network_linger = (int)n;
			break;
		case OPT_VERSION:
			printf("berthd version %s\n", BERTH_VERSION);
			exit(0);
		case OPT_HELP:
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return (-1);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "berthd: unexpected argument '%s'\n",
		    argv[optind]);
		usage(stderr);
		return (-1);
	}
	return (0);
}

/* berth-init beside our own binary (a build directory, or a bin
 * directory holding everything), else where make install puts it. */
static const char *
default_init_path(char *buf, size_t size)
{
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", buf, size - 1);
	if (n > 0) {
		buf[n] = '\0';
		if ((slash = strrchr(buf, '/')) != NULL &&
		    (size_t)(slash - buf) + sizeof("/berth-init") <= size) {
			strcpy(slash, "/berth-init");
			if (access(buf, X_OK) == 0)
				return (buf);
		}
	}
	return (BERTH_INIT_PATH);
}

/*
 * path with every link, "." and ".." of the part that exists resolved
 * (what does not exist yet is made later, under it): the store compares
 * paths under the root with the kernel's (mounts), so the root is
 * spelled one way only.  path itself when that cannot be done.
 */
static const char *
canonical_dir(const char *path, char *buf, size_t size)
{
	char head[PATH_MAX], rest[PATH_MAX] = "", tmp[PATH_MAX], *slash;
	size_t n;

	if (snprintf(head, sizeof(head), "%s", path) >= (int)sizeof(head))
		return (path);
	while (realpath(head, tmp) == NULL) {
		if (errno != ENOENT)
			return (path);
		while ((n = strlen(head)) > 1 && head[n - 1] == '/')
			head[n - 1] = '\0';
		if ((slash = strrchr(head, '/')) == NULL) {
			if (snprintf(tmp, sizeof(tmp), "/%s%s", head, rest) >=
			    (int)sizeof(tmp))
				return (path);
			snprintf(head, sizeof(head), ".");
		} else if (slash == head) {
			return (path);
		} else {
			if (snprintf(tmp, sizeof(tmp), "%s%s", slash, rest) >=
			    (int)sizeof(tmp))
				return (path);
			*slash = '\0';
		}
		snprintf(rest, sizeof(rest), "%s", tmp);
	}
	if (snprintf(buf, size, "%s%s", strcmp(tmp, "/") == 0 &&
	    rest[0] != '\0' ? "" : tmp, rest) >= (int)size)
		return (path);
	return (buf);
}

int
main(int argc, char **argv)
{
	struct daemon d = {
		.cfg = {
			.socket_path = DEFAULT_SOCKET,
			.root = DEFAULT_ROOT,
			.run_root = DEFAULT_RUN_ROOT,
			.max_frame = FRAME_MAX_DEFAULT,
			.network_linger = 10,
			.frame_timeout = PEER_FRAME_TIMEOUT_DEFAULT,
			.max_connections = PEERS_MAX_DEFAULT,
			.cgroup_parent = "berth",
		},
	};
	struct berth_error err = BERTH_ERROR_INIT;
	char init_path[PATH_MAX], root_buf[PATH_MAX], run_root_buf[PATH_MAX];
	int status;

	/* A helper process for the daemon (job.h), not a daemon. */
	if (argc == 3 && strcmp(argv[1], "--helper") == 0)
		return (job_helper_main(argv[2]));
	d.self_fd = -1;
	if (parse_options(argc, argv, &d.cfg) < 0)
		return (2);
	d.cfg.root = canonical_dir(d.cfg.root, root_buf, sizeof(root_buf));
	d.cfg.run_root = canonical_dir(d.cfg.run_root, run_root_buf,
	    sizeof(run_root_buf));
	if (d.cfg.resolv_conf == NULL)
		d.cfg.resolv_conf = "/etc/resolv.conf";
	if (d.cfg.init_path == NULL)
		d.cfg.init_path = default_init_path(init_path,
		    sizeof(init_path));
	signal(SIGPIPE, SIG_IGN);
	d.nofile = raise_nofile();
	if (daemon_init(&d, &err) < 0) {
		fprintf(stderr, "berthd: %s\n", berth_error_message(&err));
		berth_error_clear(&err);
		daemon_free(&d);
		libevent_global_shutdown();
		return (1);
	}
	log_info("daemon", "berthd %s ready (pid %ld, root %s)",
	    BERTH_VERSION, (long)getpid(), d.cfg.root);
	status = daemon_run(&d);
	log_info("daemon", "exiting");
	daemon_free(&d);
	libevent_global_shutdown();
	return (status);
}
