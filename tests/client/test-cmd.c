/*
 * The CLI's command table and what is made from it: every entry is
 * complete, --help and "berth help" work for each, flags parse from the
 * table's data, and usage errors exit 125 with a pointer to --help.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "container.h"
#include "cli-run.h"
#include "unit.h"

static void
test_every_entry_is_complete(void)
{
	const struct cmd_entry *const *e;
	const struct args_flag *f;
	int n = 0, nflags;

	for (e = cmd_table; *e != NULL; e++, n++) {
		CHECK((*e)->name != NULL && (*e)->name[0] != '\0');
		CHECK((*e)->usage != NULL);
		CHECK((*e)->summary != NULL && (*e)->summary[0] != '\0');
		CHECK((*e)->flags != NULL);
		CHECK((*e)->exec != NULL);
		CHECK((*e)->args_min >= 0);
		CHECK((*e)->args_max < 0 || (*e)->args_max >= (*e)->args_min);
		CHECK(cmd_find((*e)->name) == *e);
		nflags = 0;
		for (f = (*e)->flags; f->name != NULL; f++, nflags++) {
			CHECK(f->help != NULL && f->help[0] != '\0');
			CHECK(strcmp(f->name, "help") != 0);
		}
		/* Commands parsing their own command lines (run, create)
		 * may have more flags than struct args holds. */
		CHECK(nflags <= ARGS_FLAGS_MAX);
		/* Sorted, so that lists and completions read in order. */
		if (e[1] != NULL)
			CHECK(strcmp((*e)->name, e[1]->name) < 0);
	}
	CHECK(n >= 4);
	CHECK(cmd_find("version") != NULL && cmd_find("info") != NULL &&
	    cmd_find("call") != NULL && cmd_find("help") != NULL);
	CHECK(cmd_find("nonsense") == NULL);
}

/* --help and "berth help NAME" print the same text: usage, summary and
 * every flag, on stdout, exit 0. */
static void
test_help_for_every_command(void)
{
	const struct cmd_entry *const *e;
	const struct args_flag *f;
	struct run a, b;
	char want[256];

	for (e = cmd_table; *e != NULL; e++) {
		run_cli(&a, (const char *[]){ "berth", (*e)->name, "--help",
		    NULL });
		run_cli(&b, (const char *[]){ "berth", "help", (*e)->name,
		    NULL });
		CHECK(a.rc == 0 && b.rc == 0);
		CHECK_STR(a.err, "");
		CHECK_STR(a.out, b.out);
		snprintf(want, sizeof(want), "Usage:  berth %s [OPTIONS]",
		    (*e)->name);
		CHECK(strstr(a.out, want) != NULL);
		CHECK(strstr(a.out, (*e)->usage) != NULL);
		CHECK(strstr(a.out, (*e)->summary) != NULL);
		CHECK(strstr(a.out, "--help") != NULL);
		for (f = (*e)->flags; f->name != NULL; f++) {
			snprintf(want, sizeof(want), "--%s", f->name);
			CHECK(strstr(a.out, want) != NULL);
			CHECK(strstr(a.out, f->help) != NULL);
		}
		run_free(&a);
		run_free(&b);
	}
}

static void
test_main_help_lists_every_command(void)
{
	const struct cmd_entry *const *e;
	struct run r, bare, help;

	run_cli(&r, (const char *[]){ "berth", "--help", NULL });
	run_cli(&bare, (const char *[]){ "berth", NULL });
	run_cli(&help, (const char *[]){ "berth", "help", NULL });
	CHECK(r.rc == 0 && bare.rc == 0 && help.rc == 0);
	CHECK_STR(r.out, bare.out);
	CHECK_STR(r.out, help.out);
	for (e = cmd_table; *e != NULL; e++) {
		CHECK(strstr(r.out, (*e)->name) != NULL);
		CHECK(strstr(r.out, (*e)->summary) != NULL);
	}
	CHECK(strstr(r.out, "-H, --host ADDRESS") != NULL);
	run_free(&r);
	run_free(&bare);
	run_free(&help);
}

static void
test_version_flag(void)
{
	struct run r;

	run_cli(&r, (const char *[]){ "berth", "-v", NULL });
	CHECK(r.rc == 0);
	CHECK_STR(r.out, "berth version " BERTH_VERSION "\n");
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "--version", NULL });
	CHECK_STR(r.out, "berth version " BERTH_VERSION "\n");
	run_free(&r);
}

static void
test_usage_errors_exit_125_with_a_hint(void)
{
	struct run r;

	run_cli(&r, (const char *[]){ "berth", "frobnicate", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK_STR(r.err, "berth: 'frobnicate' is not a berth command.\n"
	    "See 'berth --help'.\n");
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "version", "--bogus", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK_STR(r.err, "Error: unknown flag: --bogus\n"
	    "See 'berth version --help'.\n");
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "--bogus", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "See 'berth --help'.") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "call", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "\"berth call\" requires at least 1 argument.") !=
	    NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "version", "extra", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "accepts no arguments") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "version", "--format", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "flag needs an argument: --format") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "info", "--format", "{{.Nope",
	    NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "See 'berth info --help'.") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "call", "a.b.C", "--more",
	    "--oneway", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "See 'berth call --help'.") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "call", "a.b.C", "[1]", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "JSON object") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "help", "nope", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	run_free(&r);
}

static const struct args_flag test_flags[] = {
	{ "format", 'f', "FORMAT", "a value" },
	{ "all", 'a', NULL, "a switch" },
	{ "quiet", 'q', NULL, "another switch" },
	{ NULL, 0, NULL, NULL }
};

static int
parse(const char *const *argv, bool stop, struct args *args)
{
	static char *copy[16];
	struct berth_error err = BERTH_ERROR_INIT;
	int argc, rc;

	for (argc = 0; argv[argc] != NULL; argc++)
		copy[argc] = (char *)argv[argc];
	rc = args_parse(&args_docker, test_flags, argc, copy, stop, args, &err);
	berth_error_clear(&err);
	return (rc);
}

static void
test_flags_parse_from_the_table(void)
{
	struct args a;

	CHECK(parse((const char *[]){ "x", "--format", "json", "y", "-aq",
	    NULL }, false, &a) == 0);
	CHECK_STR(args_get(&a, "format"), "json");
	CHECK(args_has(&a, "all") && args_has(&a, "quiet"));
	CHECK(a.argc == 2 && strcmp(a.argv[0], "x") == 0 &&
	    strcmp(a.argv[1], "y") == 0);
	CHECK(parse((const char *[]){ "--format=json", "-fyaml", NULL },
	    false, &a) == 0);
	CHECK_STR(args_get(&a, "format"), "yaml");
	CHECK(parse((const char *[]){ "-af", "json", NULL }, false, &a) == 0);
	CHECK(args_has(&a, "all"));
	CHECK_STR(args_get(&a, "format"), "json");
	CHECK(!args_has(&a, "quiet") && args_get(&a, "quiet") == NULL);
	/* "--" ends flags; "-" is an argument (stdin). */
	CHECK(parse((const char *[]){ "--", "-a", "-", NULL }, false, &a) == 0);
	CHECK(a.argc == 2 && !args_has(&a, "all"));
	CHECK(parse((const char *[]){ "-", NULL }, false, &a) == 0);
	CHECK(a.argc == 1);
	/* Global options stop at the command. */
	CHECK(parse((const char *[]){ "-a", "cmd", "-q", NULL }, true, &a) ==
	    0);
	CHECK(args_has(&a, "all") && !args_has(&a, "quiet"));
	CHECK(a.argc == 2 && strcmp(a.argv[1], "-q") == 0);
	/* argv is permuted, never overwritten: the caller may free it. */
	{
		const char *in[] = { "-f", "v", "p1", "-a", "p2", "--", "-q",
		    NULL };
		char *v[8];
		int i, j, seen;

		for (i = 0; in[i] != NULL; i++)
			v[i] = (char *)in[i];
		v[i] = NULL;
		CHECK(args_parse(&args_docker, test_flags, 7, v, false, &a, &(struct
		    berth_error)BERTH_ERROR_INIT) == 0);
		CHECK(a.argc == 3 && strcmp(v[0], "p1") == 0 &&
		    strcmp(v[1], "p2") == 0 && strcmp(v[2], "-q") == 0);
		for (i = 0; i < 7; i++) {
			for (seen = 0, j = 0; j < 7; j++)
				seen += v[j] == in[i];
			CHECK(seen == 1);
		}
	}
	CHECK(parse((const char *[]){ "--help", NULL }, false, &a) == 0 &&
	    a.help);
	CHECK(parse((const char *[]){ "--nope", NULL }, false, &a) == -1);
	CHECK(parse((const char *[]){ "-z", NULL }, false, &a) == -1);
	CHECK(parse((const char *[]){ "--all=1", NULL }, false, &a) == -1);
	CHECK(parse((const char *[]){ "-f", NULL }, false, &a) == -1);
}

/* With no daemon at the address: one line naming it, exit 125. */
static void
test_unreachable_daemon_is_one_line_and_125(void)
{
	struct run r;

	run_cli(&r, (const char *[]){ "berth", "-H",
	    "unix:///nonexistent/berth.sock", "info", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK_STR(r.err, "Cannot connect to the berth daemon at "
	    "unix:///nonexistent/berth.sock (No such file or directory). "
	    "Is berthd running? Start it with 'berthd' or "
	    "'systemctl start berthd.socket'.\n");
	/* Like Docker's, info shows the client's half. */
	CHECK(strncmp(r.out, "Client:\n Version:", 17) == 0 &&
	    strstr(r.out, "Server:") == NULL);
	run_free(&r);
	/* version still prints the client's half first. */
	run_cli(&r, (const char *[]){ "berth", "--host",
	    "/nonexistent/berth.sock", "version", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strncmp(r.out, "Client:\n Version:", 17) == 0);
	CHECK(strstr(r.err, "Cannot connect") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "-H", "tcp://h:1", "call",
	    "a.b.C", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "Error: invalid address 'tcp://h:1'") != NULL);
	run_free(&r);
}

/* Groups: "berth image ls" runs a subcommand with its own flags and
 * help; every subcommand is complete and named "GROUP SUB". */
static void
test_command_groups(void)
{
	const struct cmd_entry *const *e, *const *sub, *full;
	struct cmd_entry buf;
	struct run r;
	int groups = 0;

	for (e = cmd_table; *e != NULL; e++) {
		if ((*e)->subs == NULL)
			continue;
		groups++;
		for (sub = (*e)->subs; *sub != NULL; sub++) {
			CHECK(strncmp((*sub)->name, (*e)->name,
			    strlen((*e)->name)) == 0 &&
			    (*sub)->name[strlen((*e)->name)] == ' ');
			full = cmd_resolve(*sub, &buf);
			CHECK(full->summary != NULL && full->exec != NULL &&
			    full->flags != NULL && full->usage != NULL);
			CHECK(strcmp(full->name, (*sub)->name) == 0);
			CHECK(cmd_find_sub(*e, strrchr((*sub)->name, ' ') +
			    1) == *sub);
			if (sub[1] != NULL)
				CHECK(strcmp((*sub)->name, sub[1]->name) < 0);
		}
	}
	CHECK(groups >= 2);
	CHECK(cmd_find_sub(cmd_find("image"), "list") != NULL);
	CHECK(cmd_find_sub(cmd_find("image"), "remove") ==
	    cmd_find_sub(cmd_find("image"), "rm"));
	run_cli(&r, (const char *[]){ "berth", "image", "ls", "--help",
	    NULL });
	CHECK(r.rc == 0);
	CHECK(strstr(r.out, "Usage:  berth image ls [OPTIONS]") != NULL);
	CHECK(strstr(r.out, "--digests") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "image", NULL });
	CHECK(r.rc == 0);
	CHECK(strstr(r.out, "Commands:\n") != NULL &&
	    strstr(r.out, "  prune ") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "help", "system", "df", NULL });
	CHECK(r.rc == 0);
	CHECK(strstr(r.out, "Usage:  berth system df [OPTIONS]") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "image", "frob", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK_STR(r.err, "berth: 'image frob' is not a berth command.\n"
	    "See 'berth image --help'.\n");
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "image", "ls", "--bogus",
	    NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "See 'berth image ls --help'.") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "images", "-f", "nonsense",
	    NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "bad format of filter") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "save", "--format", "zip",
	    "busybox", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "See 'berth save --help'.") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "tag", "a", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE);
	CHECK(strstr(r.err, "\"berth tag\" requires exactly 2 arguments.") !=
	    NULL);
	run_free(&r);
}

int
main(void)
{
	RUN(test_every_entry_is_complete);
	RUN(test_help_for_every_command);
	RUN(test_main_help_lists_every_command);
	RUN(test_version_flag);
	RUN(test_usage_errors_exit_125_with_a_hint);
	RUN(test_flags_parse_from_the_table);
	RUN(test_unreachable_daemon_is_one_line_and_125);
	RUN(test_command_groups);
	UNIT_EXIT();
}
