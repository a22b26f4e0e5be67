/*
 * The container commands' pieces that need no daemon: Docker's value
 * parsers, run's flag parser, the Create config built from flags, ps
 * rows and filters, and the usage errors run and create give.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"
#include "cli-run.h"
#include "unit.h"

static void
test_ram_bytes(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	int64_t n;

	CHECK(parse_ram_bytes("1024", &n, &err) == 0 && n == 1024);
	CHECK(parse_ram_bytes("512m", &n, &err) == 0 && n == 512 << 20);
	CHECK(parse_ram_bytes("1g", &n, &err) == 0 && n == 1 << 30);
	CHECK(parse_ram_bytes("1GB", &n, &err) == 0 && n == 1 << 30);
	CHECK(parse_ram_bytes("1.5k", &n, &err) == 0 && n == 1536);
	CHECK(parse_ram_bytes("10b", &n, &err) == 0 && n == 10);
	CHECK(parse_ram_bytes("", &n, &err) == -1);
	CHECK(parse_ram_bytes("-1", &n, &err) == -1);
	CHECK(parse_ram_bytes("1x", &n, &err) == -1);
	CHECK(parse_ram_bytes("1gg", &n, &err) == -1);
	CHECK(berth_error_is(&err, CLI_E_USAGE));
	berth_error_clear(&err);
}

static void
test_durations_and_times(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	int64_t n, now = 1700000000LL * 1000000000;
	char buf[64];

	CHECK(parse_go_duration("10m", &n, &err) == 0 && n == 600e9);
	CHECK(parse_go_duration("1h30m", &n, &err) == 0 && n == 5400e9);
	CHECK(parse_go_duration("1.5s", &n, &err) == 0 && n == 1500000000);
	CHECK(parse_go_duration("250ms", &n, &err) == 0 && n == 250000000);
	CHECK(parse_go_duration("0", &n, &err) == 0 && n == 0);
	CHECK(parse_go_duration("10", &n, &err) == -1);
	CHECK(parse_go_duration("1y", &n, &err) == -1);
	CHECK(parse_log_time("10m", now, &n, &err) == 0 &&
	    n == now - 600000000000LL);
	CHECK(parse_log_time("0", now, &n, &err) == 0 && n == 1);
	CHECK(parse_log_time("1700000000", now, &n, &err) == 0 && n == now);
	CHECK(parse_log_time("1700000000.5", now, &n, &err) == 0 &&
	    n == now + 500000000);
	CHECK(parse_log_time("2023-11-14T22:13:20Z", 0, &n, &err) == 0 &&
	    n == now);
	CHECK(parse_log_time("2023-11-14T22:13:20.25Z", 0, &n, &err) == 0 &&
	    n == now + 250000000);
	CHECK(parse_log_time("2023-11-15T00:13:20+02:00", 0, &n, &err) == 0 &&
	    n == now);
	CHECK(parse_log_time("2023-11-14T22:13:20.000000001Z", 0, &n,
	    &err) == 0 && n == now + 1);
	CHECK(parse_log_time("yesterday", now, &n, &err) == -1);
	CHECK(berth_error_is(&err, CLI_E_USAGE));
	fmt_log_time(now + 5, buf, sizeof(buf));
	CHECK_STR(buf, "2023-11-14T22:13:20.000000005Z");
	berth_error_clear(&err);
}

static void
test_ulimits_binds_signals(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	json_t *u;
	char *b;

	u = parse_ulimit("nofile=1024:2048", &err);
	CHECK(u != NULL);
	CHECK_STR(json_string_value(json_object_get(u, "name")), "nofile");
	CHECK(json_integer_value(json_object_get(u, "soft")) == 1024);
	CHECK(json_integer_value(json_object_get(u, "hard")) == 2048);
	json_decref(u);
	u = parse_ulimit("nproc=64", &err);
	CHECK(u != NULL && json_integer_value(json_object_get(u, "hard")) ==
	    64);
	json_decref(u);
	CHECK(parse_ulimit("nofile", &err) == NULL);
	CHECK(parse_ulimit("nofile=2:1", &err) == NULL);
	CHECK(parse_ulimit("nofile=x", &err) == NULL);
	b = parse_bind("/tmp:/mnt:ro", &err);
	CHECK_STR(b, "/tmp:/mnt:ro");
	free(b);
	b = parse_bind("/tmp:/mnt", &err);
	CHECK_STR(b, "/tmp:/mnt");
	free(b);
	/* Named and anonymous volumes go to berthd, which checks them. */
	b = parse_bind("data:/mnt", &err);
	CHECK_STR(b, "data:/mnt");
	free(b);
	b = parse_bind("/mnt", &err);
	CHECK_STR(b, "/mnt");
	free(b);
	CHECK(parse_bind("", &err) == NULL);
	CHECK(strstr(berth_error_message(&err), "invalid volume "
	    "specification") != NULL);
	berth_error_clear(&err);
	CHECK(signal_valid("KILL") && signal_valid("SIGTERM") &&
	    signal_valid("9") && signal_valid("sigusr1") &&
	    signal_valid("RTMIN+3"));
	CHECK(!signal_valid("NOPE") && !signal_valid("0") &&
	    !signal_valid("99") && !signal_valid(""));
	berth_error_clear(&err);
}

static const struct args_flag flags[] = {
	{ "detach", 'd', NULL, "d" },
	{ "env", 'e', "KV", "e" },
	{ "name", 0, "NAME", "n" },
	{ "rm", 0, NULL, "rm" },
	{ NULL, 0, NULL, NULL }
};

static void
test_run_flags_stop_at_the_image(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char *argv[] = { "-d", "-eA=1", "--name=x", "-e", "B", "--rm",
	    "busybox", "sh", "-c", "exit 3", NULL };
	char *bad[] = { "--nope", "busybox", NULL };
	char *dash[] = { "--rm", "--", "-img", NULL };
	const char *const *v;
	struct args a;
	int n;

	CHECK(args_parse(&args_docker, flags, 10, argv, true, &a, &err) == 0);
	CHECK(args_has(&a, "detach") && args_has(&a, "rm"));
	CHECK_STR(args_get(&a, "name"), "x");
	v = args_all(&a, "env", &n);
	CHECK(n == 2 && strcmp(v[0], "A=1") == 0 && strcmp(v[1], "B") == 0);
	CHECK(a.argc == 4 && strcmp(a.argv[0], "busybox") == 0 &&
	    strcmp(a.argv[2], "-c") == 0);
	CHECK(args_parse(&args_docker, flags, 2, bad, true, &a, &err) == -1);
	CHECK(strstr(berth_error_message(&err), "--nope") != NULL);
	berth_error_clear(&err);
	CHECK(args_parse(&args_docker, flags, 3, dash, true, &a, &err) == 0 &&
	    a.argc == 1 && strcmp(a.argv[0], "-img") == 0);
	berth_error_clear(&err);
}

static char *
fake_env(const char *name)
{
	return (strcmp(name, "FROM_HOST") == 0 ? "yes" : NULL);
}

static json_t *
params_of(const char *const *in, struct berth_error *err)
{
	return (run_params(fake_env, in, err));
}

static void
test_create_config(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	json_t *p, *cfg, *host;
	char *s;

	p = params_of((const char *[]){ "--name", "web", "-e", "A=1", "-e",
	    "FROM_HOST", "-e", "UNSET", "-w", "/tmp", "-u", "1:2", "-h", "box",
	    "-l", "a=b", "-l", "c", "--memory", "1g", "--memory-swap", "-1",
	    "--cpus", "1.5", "--cpu-shares", "512", "--cpuset-cpus", "0-1",
	    "--pids-limit", "100", "--ulimit", "nofile=10:20", "--cap-add",
	    "NET_ADMIN", "--cap-drop", "ALL", "--privileged", "--read-only",
	    "--security-opt", "no-new-privileges", "--security-opt",
	    "seccomp=unconfined", "--init", "--restart", "no",
	    "--stop-signal", "SIGINT", "--stop-timeout", "3", "--tmpfs",
	    "/run:size=1m", "--tmpfs", "/t", "-v", "/tmp:/mnt:ro", "--network",
	    "none", "--rm", "busybox", "sh", "-c", "exit 3", NULL }, &err);
	CHECK(p != NULL);
	if (p == NULL) {
		fprintf(stderr, "# %s\n", berth_error_message(&err));
		return;
	}
	s = json_dumps(p, JSON_SORT_KEYS | JSON_COMPACT);
	CHECK_STR(s, "{\"config\":{"
	    "\"cmd\":[\"sh\",\"-c\",\"exit 3\"],"
	    "\"env\":[\"A=1\",\"FROM_HOST=yes\"],"
	    "\"host\":{\"auto_remove\":true,\"binds\":[\"/tmp:/mnt:ro\"],"
	    "\"cap_add\":[\"NET_ADMIN\"],\"cap_drop\":[\"ALL\"],"
	    "\"cpu_shares\":512,\"cpuset_cpus\":\"0-1\",\"init\":true,"
	    "\"memory\":1073741824,\"memory_swap\":-1,"
	    "\"nano_cpus\":1500000000,\"network_mode\":\"none\","
	    "\"no_new_privileges\":true,\"pids_limit\":100,"
	    "\"privileged\":true,\"read_only\":true,"
	    "\"restart_policy\":{\"maximum_retry_count\":0,"
	    "\"name\":\"no\"},"
	    "\"seccomp_unconfined\":true,"
	    "\"tmpfs\":{\"/run\":\"size=1m\",\"/t\":\"\"},"
	    "\"ulimits\":[{\"hard\":20,\"name\":\"nofile\",\"soft\":10}]},"
	    "\"hostname\":\"box\",\"image\":\"busybox\","
	    "\"labels\":{\"a\":\"b\",\"c\":\"\"},"
	    "\"stop_signal\":\"SIGINT\",\"stop_timeout\":3,\"user\":\"1:2\","
	    "\"working_dir\":\"/tmp\"},\"name\":\"web\"}");
	free(s);
	json_decref(p);

	/* Only the image: nothing else is sent. */
	p = params_of((const char *[]){ "busybox", NULL }, &err);
	s = p != NULL ? json_dumps(p, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
	CHECK_STR(s, "{\"config\":{\"image\":\"busybox\"}}");
	free(s);
	json_decref(p);

	/* --entrypoint: the image's cmd cleared unless one is given. */
	p = params_of((const char *[]){ "--entrypoint", "/bin/echo",
	    "busybox", NULL }, &err);
	cfg = json_object_get(p, "config");
	CHECK(json_array_size(json_object_get(cfg, "cmd")) == 0 &&
	    json_object_get(cfg, "cmd") != NULL);
	CHECK_STR(json_string_value(json_array_get(json_object_get(cfg,
	    "entrypoint"), 0)), "/bin/echo");
	json_decref(p);
	p = params_of((const char *[]){ "--entrypoint", "/bin/echo",
	    "busybox", "hi", NULL }, &err);
	cfg = json_object_get(p, "config");
	CHECK_STR(json_string_value(json_array_get(json_object_get(cfg,
	    "cmd"), 0)), "hi");
	host = json_object_get(cfg, "host");
	CHECK(host == NULL);
	json_decref(p);

	/* Refusals. */
	CHECK(params_of((const char *[]){ "--rm", "--restart", "always",
	    "busybox", NULL }, &err) == NULL);
	CHECK(strstr(berth_error_message(&err), "both --restart and --rm") !=
	    NULL);
	berth_error_clear(&err);
	CHECK(params_of((const char *[]){ "--restart", "on-failure:x",
	    "busybox", NULL }, &err) == NULL);
	CHECK(strstr(berth_error_message(&err), "must be an integer") !=
	    NULL);
	CHECK(params_of((const char *[]){ "--mount", "type=volume,"
	    "target=/x,colour=red", "busybox", NULL }, &err) == NULL);
	CHECK(strstr(berth_error_message(&err), "unexpected key") != NULL);
	berth_error_clear(&err);
	{
		json_t *m;

		/* -v as given, --mount as a Mount, --volumes-from. */
		p = params_of((const char *[]){ "-v", "data:/data:ro",
		    "--mount", "type=volume,target=/anon,volume-nocopy",
		    "--mount", "type=tmpfs,dst=/t,tmpfs-size=1m,"
		    "tmpfs-mode=1770", "--volumes-from", "other:ro",
		    "busybox", NULL }, &err);
		CHECK(p != NULL);
		host = json_object_get(json_object_get(p, "config"), "host");
		CHECK_STR(json_string_value(json_array_get(json_object_get(
		    host, "binds"), 0)), "data:/data:ro");
		m = json_array_get(json_object_get(host, "mounts"), 0);
		CHECK_STR(json_string_value(json_object_get(m, "type")),
		    "volume");
		CHECK(json_object_get(m, "source") == NULL);
		CHECK(json_is_true(json_object_get(m, "volume_nocopy")));
		m = json_array_get(json_object_get(host, "mounts"), 1);
		CHECK(json_integer_value(json_object_get(m, "tmpfs_size")) ==
		    1048576);
		CHECK(json_integer_value(json_object_get(m, "tmpfs_mode")) ==
		    01770);
		CHECK_STR(json_string_value(json_array_get(json_object_get(
		    host, "volumes_from"), 0)), "other:ro");
		json_decref(p);
	}
	/* Network options: test-publish.c. */
	CHECK(params_of((const char *[]){ "--security-opt", "bogus",
	    "busybox", NULL }, &err) == NULL);
	CHECK(params_of((const char *[]){ "--memory", "lots", "busybox",
	    NULL }, &err) == NULL);
	CHECK(params_of((const char *[]){ "--stop-signal", "NOPE", "busybox",
	    NULL }, &err) == NULL);
	CHECK(params_of((const char *[]){ "--env-file", "/nonexistent",
	    "busybox", NULL }, &err) == NULL);
	berth_error_clear(&err);
}

static void
test_env_file(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char path[] = "/tmp/berth-test-envXXXXXX";
	json_t *p, *env;
	FILE *f;
	int fd;

	fd = mkstemp(path);
	CHECK(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# a comment\n\n  A=1 2\nFROM_HOST\nUNSET\nB=\n", f);
	fclose(f);
	p = params_of((const char *[]){ "--env-file", path, "-e", "C=3",
	    "busybox", NULL }, &err);
	env = json_object_get(json_object_get(p, "config"), "env");
	CHECK(json_array_size(env) == 4);
	CHECK_STR(json_string_value(json_array_get(env, 0)), "A=1 2");
	CHECK_STR(json_string_value(json_array_get(env, 1)), "FROM_HOST=yes");
	CHECK_STR(json_string_value(json_array_get(env, 2)), "B=");
	CHECK_STR(json_string_value(json_array_get(env, 3)), "C=3");
	json_decref(p);
	f = fopen(path, "w");
	fputs("BAD KEY=1\n", f);
	fclose(f);
	CHECK(params_of((const char *[]){ "--env-file", path, "busybox",
	    NULL }, &err) == NULL);
	unlink(path);
	berth_error_clear(&err);
}

static json_t *
summary(const char *id, const char *name, const char *state,
    const char *status, int64_t created, int exit_code, const char *cmd)
{
	return (json_pack("{s:s, s:[s], s:s, s:s, s:s, s:I, s:s, s:s, s:i, "
	    "s:{s:s}}", "id", id, "names", name, "image", "busybox",
	    "image_id", "sha256:0123456789abcdef", "command", cmd, "created",
	    (json_int_t)created, "state", state, "status", status,
	    "exit_code", exit_code, "labels", "tier", state));
}

static void
test_ps_rows_and_filters(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const char *f1[] = { "status=exited" }, *f2[] = { "name=^we" },
	    *f3[] = { "label=tier=running" }, *f4[] = { "exited=3" },
	    *f5[] = { "ancestor=busybox:latest" }, *bad[] = { "color=red" },
	    *bad2[] = { "status=asleep" };
	struct ps_filter *f;
	json_t *list, *rows;
	char *s;

	list = json_array();
	json_array_append_new(list, summary("aaaaaaaaaaaaaaaaaaaa", "/web",
	    "running", "Up 3 seconds", 1000, 0, "sleep 1000"));
	json_array_append_new(list, summary("bbbbbbbbbbbbbbbbbbbb", "db",
	    "exited", "Exited (3) 2 seconds ago", 2000, 3,
	    "sh -c 'echo a long command line'"));
	rows = ps_rows(list, NULL, false, -1, 2010, &err);
	CHECK(json_array_size(rows) == 2);
	/* Newest first. */
	CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 0),
	    "ID")), "bbbbbbbbbbbb");
	CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 0),
	    "Command")), "\"sh -c 'echo a long \xe2\x80\xa6\"");
	CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 0),
	    "RunningFor")), "10 seconds ago");
	CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 1),
	    "Names")), "web");
	CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 1),
	    "Labels")), "tier=running");
	json_decref(rows);
	rows = ps_rows(list, NULL, true, 1, 2010, &err);
	CHECK(json_array_size(rows) == 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 0),
	    "ID")), "bbbbbbbbbbbbbbbbbbbb");
	json_decref(rows);
#define ONE(fv, want) do {						\
	CHECK(ps_filter_parse(fv, 1, &f, &err) == 0);			\
	rows = ps_rows(list, f, false, -1, 2010, &err);			\
	s = json_dumps(rows, 0);					\
	CHECK(json_array_size(rows) == 1 && strstr(s, want) != NULL);	\
	free(s);							\
	json_decref(rows);						\
	ps_filter_free(f);						\
} while (0)
	ONE(f1, "bbbbbbbbbbbb");
	ONE(f2, "aaaaaaaaaaaa");
	ONE(f3, "aaaaaaaaaaaa");
	ONE(f4, "bbbbbbbbbbbb");
	CHECK(ps_filter_parse(f5, 1, &f, &err) == 0);
	rows = ps_rows(list, f, false, -1, 2010, &err);
	CHECK(json_array_size(rows) == 2);
	json_decref(rows);
	ps_filter_free(f);
	CHECK(ps_filter_parse(bad, 1, &f, &err) == -1);
	CHECK(ps_filter_parse(bad2, 1, &f, &err) == -1);
	json_decref(list);
	s = ps_command("echo \"hi\"", false);
	CHECK_STR(s, "\"echo \\\"hi\\\"\"");
	free(s);
	berth_error_clear(&err);
}

static void
test_cli_usage(void)
{
	struct run r;

	run_cli(&r, (const char *[]){ "berth", NODAEMON, "run", "-it",
	    "busybox", NULL });
	CHECK(r.rc == CLI_EXIT_FAILURE);
	CHECK(strstr(r.err, "the input device is not a TTY") != NULL);
	CHECK(strchr(r.err, '\n') == r.err + strlen(r.err) - 1);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", NODAEMON, "run", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "\"berth run\" requires at least 1 argument.") !=
	    NULL && strstr(r.err, "See 'berth run --help'.") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", NODAEMON, "run", "--restart",
	    "on-failure:-1", "busybox", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "maximum retry count must be an integer") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", NODAEMON, "container",
	    "create", "--bogus", "busybox", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "See 'berth container create --help'.") != NULL);
	run_free(&r);
	/* The image ends run's flags: -c goes to the command. */
	run_cli(&r, (const char *[]){ "berth", NODAEMON, "run", "--rm",
	    "busybox", "sh", "-c", "true", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "Cannot connect") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "run", "--help", NULL });
	CHECK(r.rc == 0 && strstr(r.out, "--stop-timeout") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", NODAEMON, "ps", "-f", "x=y",
	    NULL });
	/* Refused before any connection is tried, in Docker's words (its
	 * daemon's) and exit code. */
	CHECK(r.rc == CLI_EXIT_FAILURE);
	CHECK_STR(r.err, "Error response from daemon: invalid filter 'x'\n");
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", NODAEMON, "kill", "-s", "NOPE",
	    "c", NULL });
	CHECK(r.rc == CLI_EXIT_FAILURE);
	CHECK_STR(r.err, "Error response from daemon: Invalid signal: NOPE\n");
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", NODAEMON, "logs", "--since",
	    "whenever", "c", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE && strstr(r.err, "whenever") != NULL &&
	    strstr(r.err, "Cannot connect") == NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", NODAEMON, "container", "ls",
	    NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE && strstr(r.err, "Cannot connect") !=
	    NULL);
	run_free(&r);
}

int
main(void)
{
	RUN(test_ram_bytes);
	RUN(test_durations_and_times);
	RUN(test_ulimits_binds_signals);
	RUN(test_run_flags_stop_at_the_image);
	RUN(test_create_config);
	RUN(test_env_file);
	RUN(test_ps_rows_and_filters);
	RUN(test_cli_usage);
	UNIT_EXIT();
}
