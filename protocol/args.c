/*
 * The flag-table command-line parser berth and berth-runtime share.
 */
#include <string.h>

#include "args.h"

const struct args_dialect args_docker = {
	.error_name = "io.berth.Client.InvalidUsage",
	.runc = false,
};

const struct args_dialect args_runc = {
	.error_name = "io.berth.Runtime.InvalidUsage",
	.runc = true,
};

static int
find_long(const struct args_flag *flags, const char *name, size_t len)
{
	int i;

	for (i = 0; flags[i].name != NULL; i++)
		if (strlen(flags[i].name) == len &&
		    strncmp(flags[i].name, name, len) == 0)
			return (i);
	return (-1);
}

static int
find_short(const struct args_flag *flags, char letter)
{
	int i;

	for (i = 0; flags[i].name != NULL; i++)
		if (flags[i].letter != '\0' && flags[i].letter == letter)
			return (i);
	return (-1);
}

static int
add_value(const struct args_dialect *d, struct args *args, int f,
    const char *value, struct berth_error *err)
{
	if (args->nvalues[f] >= ARGS_VALUES_MAX)
		return (berth_error_set(err, d->error_name, 0,
		    "flag --%s given more than %d times", args->flags[f].name,
		    ARGS_VALUES_MAX));
	args->values[f][args->nvalues[f]++] = value;
	return (0);
}

/* A switch given as --name=value: runc takes true and false. */
static int
switch_value(const struct args_dialect *d, struct args *args, int f,
    const char *eq, struct berth_error *err)
{
	if (eq == NULL)
		return (0);
	if (!d->runc)
		return (berth_error_set(err, d->error_name, 0,
		    "flag --%s takes no value", args->flags[f].name));
	if (strcmp(eq + 1, "false") == 0)
		args->set[f] = false;
	else if (strcmp(eq + 1, "true") != 0)
		return (berth_error_set(err, d->error_name, 0,
		    "invalid boolean value %s for --%s", eq + 1,
		    args->flags[f].name));
	return (0);
}

/* "--name[=value]" at argv[*i]; takes the next argument as the value
 * when the flag needs one and none came with '='. */
static int
parse_long(const struct args_dialect *d, int argc, char **argv, int *i,
    struct args *args, struct berth_error *err)
{
	const char *name = argv[*i] + 2, *eq;
	size_t len;
	int f;

	eq = strchr(name, '=');
	len = eq != NULL ? (size_t)(eq - name) : strlen(name);
	if ((f = find_long(args->flags, name, len)) < 0) {
		if (len == 4 && strncmp(name, "help", 4) == 0 && eq == NULL) {
			args->help = true;
			return (0);
		}
		if (d->runc)
			return (berth_error_set(err, d->error_name, 0,
			    "flag provided but not defined: -%.*s", (int)len,
			    name));
		return (berth_error_set(err, d->error_name, 0,
		    "unknown flag: %s", argv[*i]));
	}
	args->set[f] = true;
	if (args->flags[f].arg == NULL)
		return (switch_value(d, args, f, eq, err));
	if (eq != NULL)
		return (add_value(d, args, f, eq + 1, err));
	if (*i + 1 >= argc)
		return (berth_error_set(err, d->error_name, 0,
		    "flag needs an argument: -%s%s", d->runc ? "" : "-",
		    args->flags[f].name));
	return (add_value(d, args, f, argv[++*i], err));
}

/* "-abc" or "-fvalue" or "-f value" at argv[*i]. */
static int
parse_short(const struct args_dialect *d, int argc, char **argv, int *i,
    struct args *args, struct berth_error *err)
{
	const char *p;
	int f;

	for (p = argv[*i] + 1; *p != '\0'; p++) {
		if (d->runc && *p == 'h' && find_short(args->flags, 'h') < 0) {
			args->help = true;
			continue;
		}
		if ((f = find_short(args->flags, *p)) < 0) {
			if (d->runc)
				return (berth_error_set(err, d->error_name, 0,
				    "flag provided but not defined: -%c", *p));
			return (berth_error_set(err, d->error_name, 0,
			    "unknown shorthand flag: '%c' in %s", *p,
			    argv[*i]));
		}
		args->set[f] = true;
		if (args->flags[f].arg == NULL)
			continue;
		if (p[1] != '\0')
			return (add_value(d, args, f, p + 1, err));
		if (*i + 1 >= argc) {
			if (d->runc)
				return (berth_error_set(err, d->error_name, 0,
				    "flag needs an argument: -%c", *p));
			return (berth_error_set(err, d->error_name, 0,
			    "flag needs an argument: '%c' in %s", *p,
			    argv[*i]));
		}
		return (add_value(d, args, f, argv[++*i], err));
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
args_parse(const struct args_dialect *d, const struct args_flag *flags,
    int argc, char **argv, bool stop_at_positional, struct args *args,
    struct berth_error *err)
{
	int i, n = 0, rc;

	memset(args, 0, sizeof(*args));
	args->flags = flags;
	while (flags[n].name != NULL)
		n++;
	if (n > ARGS_FLAGS_MAX)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "%d flags, more than ARGS_FLAGS_MAX", n));
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
			rc = parse_long(d, argc, argv, &i, args, err);
		else
			rc = parse_short(d, argc, argv, &i, args, err);
		if (rc < 0)
			return (-1);
	}
	return (0);
}

static int
flag_index(const struct args *args, const char *name)
{
	int i;

	for (i = 0; args->flags != NULL && args->flags[i].name != NULL; i++)
		if (strcmp(args->flags[i].name, name) == 0)
			return (i);
	return (-1);
}

bool
args_has(const struct args *args, const char *name)
{
	int i = flag_index(args, name);

	return (i >= 0 && args->set[i]);
}

const char *
args_get(const struct args *args, const char *name)
{
	int i = flag_index(args, name);

	if (i < 0 || args->nvalues[i] == 0)
		return (NULL);
	return (args->values[i][args->nvalues[i] - 1]);
}

const char *const *
args_all(const struct args *args, const char *name, int *n)
{
	int i = flag_index(args, name);

	*n = i >= 0 ? args->nvalues[i] : 0;
	return (i >= 0 ? args->values[i] : NULL);
}
