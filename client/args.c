/*
 * Command-line parsing driven by a command's flag table: long flags
 * (--name, --name=value, --name value), short ones (-x, -xvalue, -x value,
 * -abc for switches), "--" to end flags, and --help on every command.
 */
#include <string.h>

#include "cli.h"

static int
find_long(const struct cmd_flag *flags, const char *name, size_t len)
{
	int i;

	for (i = 0; flags[i].name != NULL; i++)
		if (strlen(flags[i].name) == len &&
		    strncmp(flags[i].name, name, len) == 0)
			return (i);
	return (-1);
}

static int
find_short(const struct cmd_flag *flags, char letter)
{
	int i;

	for (i = 0; flags[i].name != NULL; i++)
		if (flags[i].letter != '\0' && flags[i].letter == letter)
			return (i);
	return (-1);
}

/* "--name[=value]" at argv[*i]; takes the next argument as the value
 * when the flag needs one and none came with '='. */
static int
parse_long(const struct cmd_flag *flags, int argc, char **argv, int *i,
    struct cmd_args *args, struct berth_error *err)
{
	const char *name = argv[*i] + 2, *eq;
	size_t len;
	int f;

	eq = strchr(name, '=');
	len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	if ((f = find_long(flags, name, len)) < 0) {
		if (len == 4 && strncmp(name, "help", 4) == 0 && eq == NULL) {
			args->help = true;
			return (0);
		}
		return (berth_error_set(err, CLI_E_USAGE, 0,
		    "unknown flag: %s", argv[*i]));
	}
	args->set[f] = true;
	if (flags[f].arg == NULL) {
		if (eq != NULL)
			return (berth_error_set(err, CLI_E_USAGE, 0,
			    "flag --%s takes no value", flags[f].name));
		return (0);
	}
	if (eq != NULL)
		args->values[f] = eq + 1;
	else if (*i + 1 < argc)
		args->values[f] = argv[++*i];
	else
		return (berth_error_set(err, CLI_E_USAGE, 0,
		    "flag needs an argument: --%s", flags[f].name));
	return (0);
}

/* "-abc" or "-fvalue" or "-f value" at argv[*i]. */
static int
parse_short(const struct cmd_flag *flags, int argc, char **argv, int *i,
    struct cmd_args *args, struct berth_error *err)
{
	const char *p;
	int f;

	for (p = argv[*i] + 1; *p != '\0'; p++) {
		if ((f = find_short(flags, *p)) < 0)
			return (berth_error_set(err, CLI_E_USAGE, 0,
			    "unknown shorthand flag: '%c' in %s", *p,
			    argv[*i]));
		args->set[f] = true;
		if (flags[f].arg == NULL)
			continue;
		if (p[1] != '\0')
			args->values[f] = p + 1;
		else if (*i + 1 < argc)
			args->values[f] = argv[++*i];
		else
			return (berth_error_set(err, CLI_E_USAGE, 0,
			    "flag needs an argument: '%c' in %s", *p,
			    argv[*i]));
		break;
	}
	return (0);
}

/* Move argv[from] down to argv[to], shifting what lies between up: argv
 * stays a permutation of itself, as with getopt. */
static void
move_down(char **argv, int from, int to)
{
	char *p = argv[from];

	memmove(&argv[to + 1], &argv[to], (size_t)(from - to) * sizeof(*argv));
	argv[to] = p;
}

int
args_parse(const struct cmd_flag *flags, int argc, char **argv,
    bool stop_at_positional, struct cmd_args *args, struct berth_error *err)
{
	int i, n = 0, rc;

	memset(args, 0, sizeof(*args));
	args->flags = flags;
	while (flags[n].name != NULL)
		n++;
	if (n > CLI_FLAGS_MAX)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "%d flags, more than CLI_FLAGS_MAX", n));
	/* Positionals are moved to the front of argv, in order. */
	args->argv = argv;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (++i < argc)
				move_down(argv, i, args->argc++);
			break;
		}
		if (argv[i][0] != '-' || argv[i][1] == '\0') {
			move_down(argv, i, args->argc++);
			if (stop_at_positional) {
				while (++i < argc)
					move_down(argv, i, args->argc++);
				break;
			}
			continue;
		}
		if (argv[i][1] == '-')
			rc = parse_long(flags, argc, argv, &i, args, err);
		else
			rc = parse_short(flags, argc, argv, &i, args, err);
		if (rc < 0)
			return (-1);
	}
	return (0);
}

static int
flag_index(const struct cmd_args *args, const char *name)
{
	int i;

	for (i = 0; args->flags != NULL && args->flags[i].name != NULL; i++)
		if (strcmp(args->flags[i].name, name) == 0)
			return (i);
	return (-1);
}

bool
args_has(const struct cmd_args *args, const char *name)
{
	int i = flag_index(args, name);

	return (i >= 0 && args->set[i]);
}

const char *
args_get(const struct cmd_args *args, const char *name)
{
	int i = flag_index(args, name);

	return (i >= 0 ? args->values[i] : NULL);
}

int
args_check_count(const struct cmd_entry *entry, const struct cmd_args *args,
    struct berth_error *err)
{
	int n = args->argc, lo = entry->args_min, hi = entry->args_max;

	if (n >= lo && (hi < 0 || n <= hi))
		return (0);
	if (hi == 0)
		return (berth_error_set(err, CLI_E_USAGE, 0,
		    "\"%s %s\" accepts no arguments.", CLI_NAME, entry->name));
	if (lo == hi)
		return (berth_error_set(err, CLI_E_USAGE, 0,
		    "\"%s %s\" requires exactly %d argument%s.", CLI_NAME,
		    entry->name, lo, lo == 1 ? "" : "s"));
	if (n < lo)
		return (berth_error_set(err, CLI_E_USAGE, 0,
		    "\"%s %s\" requires at least %d argument%s.", CLI_NAME,
		    entry->name, lo, lo == 1 ? "" : "s"));
	return (berth_error_set(err, CLI_E_USAGE, 0,
	    "\"%s %s\" accepts at most %d argument%s.", CLI_NAME, entry->name,
	    hi, hi == 1 ? "" : "s"));
}
