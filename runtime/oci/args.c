/*
 * berth-runtime's command-line parsing, driven by a command's flag table
 * as runc's is: long flags (--name, --name=value, --name value), short
 * ones (-x, -x value, -xvalue, -ab for switches), "--" to end flags,
 * --help and -h on every command.  A flag may repeat; every value is kept.
 */
#include <string.h>

#include "oci.h"

static int
find_long(const struct oci_flag *flags, const char *name, size_t len)
{
	int i;

	for (i = 0; flags[i].name != NULL; i++)
		if (strlen(flags[i].name) == len &&
		    strncmp(flags[i].name, name, len) == 0)
			return (i);
	return (-1);
}

static int
find_short(const struct oci_flag *flags, char letter)
{
	int i;

	for (i = 0; flags[i].name != NULL; i++)
		if (flags[i].letter != '\0' && flags[i].letter == letter)
			return (i);
	return (-1);
}

static int
add_value(struct oci_args *args, int f, const char *value,
    struct berth_error *err)
{
	if (args->nvalues[f] >= OCI_VALUES_MAX)
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "flag --%s given more than %d times", args->flags[f].name,
		    OCI_VALUES_MAX));
	args->values[f][args->nvalues[f]++] = value;
	return (0);
}

/* "--name[=value]" at argv[*i]. */
static int
parse_long(const struct oci_flag *flags, int argc, char **argv, int *i,
    struct oci_args *args, struct berth_error *err)
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
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "flag provided but not defined: -%.*s", (int)len, name));
	}
	args->set[f] = true;
	if (flags[f].arg == NULL) {
		/* --detach=true / --detach=false, as urfave/cli allows */
		if (eq != NULL && strcmp(eq + 1, "false") == 0)
			args->set[f] = false;
		else if (eq != NULL && strcmp(eq + 1, "true") != 0)
			return (berth_error_set(err, OCI_E_USAGE, 0,
			    "invalid boolean value %s for --%s", eq + 1,
			    flags[f].name));
		return (0);
	}
	if (eq != NULL)
		return (add_value(args, f, eq + 1, err));
	if (*i + 1 >= argc)
		return (berth_error_set(err, OCI_E_USAGE, 0,
		    "flag needs an argument: -%s", flags[f].name));
	return (add_value(args, f, argv[++*i], err));
}

/* "-ab" or "-fvalue" or "-f value" at argv[*i]. */
static int
parse_short(const struct oci_flag *flags, int argc, char **argv, int *i,
    struct oci_args *args, struct berth_error *err)
{
	const char *p;
	int f;

	for (p = argv[*i] + 1; *p != '\0'; p++) {
		if (*p == 'h' && find_short(flags, 'h') < 0) {
			args->help = true;
			continue;
		}
		if ((f = find_short(flags, *p)) < 0)
			return (berth_error_set(err, OCI_E_USAGE, 0,
			    "flag provided but not defined: -%c", *p));
		args->set[f] = true;
		if (flags[f].arg == NULL)
			continue;
		if (p[1] != '\0')
			return (add_value(args, f, p + 1, err));
		if (*i + 1 >= argc)
			return (berth_error_set(err, OCI_E_USAGE, 0,
			    "flag needs an argument: -%c", *p));
		return (add_value(args, f, argv[++*i], err));
	}
	return (0);
}

/* Move argv[from] down to argv[to], shifting what lies between up. */
static void
move_down(char **argv, int from, int to)
{
	char *p = argv[from];

	memmove(&argv[to + 1], &argv[to], (size_t)(from - to) * sizeof(*argv));
	argv[to] = p;
}

/*
 * Like runc (urfave/cli), flags end at the first positional argument when
 * stop_at_positional: "exec ID sh -c x" must hand "-c" to sh.  Commands
 * whose positionals are only IDs pass false, so "kill ID -a" also works.
 */
int
oci_args_parse(const struct oci_flag *flags, int argc, char **argv,
    bool stop_at_positional, struct oci_args *args, struct berth_error *err)
{
	int i, n = 0, rc;

	memset(args, 0, sizeof(*args));
	args->flags = flags;
	while (flags[n].name != NULL)
		n++;
	if (n > OCI_FLAGS_MAX)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "%d flags, more than OCI_FLAGS_MAX", n));
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
flag_index(const struct oci_args *args, const char *name)
{
	int i;

	for (i = 0; args->flags != NULL && args->flags[i].name != NULL; i++)
		if (strcmp(args->flags[i].name, name) == 0)
			return (i);
	return (-1);
}

bool
oci_args_has(const struct oci_args *args, const char *name)
{
	int i = flag_index(args, name);

	return (i >= 0 && args->set[i]);
}

const char *
oci_args_get(const struct oci_args *args, const char *name)
{
	int i = flag_index(args, name);

	if (i < 0 || args->nvalues[i] == 0)
		return (NULL);
	return (args->values[i][args->nvalues[i] - 1]);
}

const char *const *
oci_args_all(const struct oci_args *args, const char *name, int *n)
{
	int i = flag_index(args, name);

	*n = i >= 0 ? args->nvalues[i] : 0;
	return (i >= 0 ? args->values[i] : NULL);
}
