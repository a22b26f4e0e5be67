/*
 * The command table, the CLI's global options, and the help text made
 * from them.  Adding a command: one file defining its entry, one line
 * here.
 */
#include <string.h>

#include "cli.h"

extern const struct cmd_entry cmd_attach_entry;
extern const struct cmd_entry cmd_call_entry;
extern const struct cmd_entry cmd_completion_entry;
extern const struct cmd_entry cmd_container_entry;
extern const struct cmd_entry cmd_create_entry;
extern const struct cmd_entry cmd_diff_entry;
extern const struct cmd_entry cmd_events_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_exec_entry;
extern const struct cmd_entry cmd_export_entry;
extern const struct cmd_entry cmd_history_entry;
extern const struct cmd_entry cmd_image_entry;
extern const struct cmd_entry cmd_images_entry;
extern const struct cmd_entry cmd_import_entry;
extern const struct cmd_entry cmd_info_entry;
extern const struct cmd_entry cmd_inspect_entry;
extern const struct cmd_entry cmd_kill_entry;
extern const struct cmd_entry cmd_pause_entry;
extern const struct cmd_entry cmd_rename_entry;
extern const struct cmd_entry cmd_unpause_entry;
extern const struct cmd_entry cmd_load_entry;
extern const struct cmd_entry cmd_logs_entry;
extern const struct cmd_entry cmd_network_entry;
extern const struct cmd_entry cmd_port_entry;
extern const struct cmd_entry cmd_ps_entry;
extern const struct cmd_entry cmd_restart_entry;
extern const struct cmd_entry cmd_rm_entry;
extern const struct cmd_entry cmd_rmi_entry;
extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_save_entry;
extern const struct cmd_entry cmd_shell_entry;
extern const struct cmd_entry cmd_start_entry;
extern const struct cmd_entry cmd_stats_entry;
extern const struct cmd_entry cmd_stop_entry;
extern const struct cmd_entry cmd_system_entry;
extern const struct cmd_entry cmd_tag_entry;
extern const struct cmd_entry cmd_top_entry;
extern const struct cmd_entry cmd_version_entry;
extern const struct cmd_entry cmd_volume_entry;
extern const struct cmd_entry cmd_wait_entry;

const struct cmd_entry *const cmd_table[] = {
	&cmd_attach_entry,
	&cmd_call_entry,
	&cmd_completion_entry,
	&cmd_container_entry,
	&cmd_create_entry,
	&cmd_diff_entry,
	&cmd_events_entry,
	&cmd_exec_entry,
	&cmd_export_entry,
	&cmd_help_entry,
	&cmd_history_entry,
	&cmd_image_entry,
	&cmd_images_entry,
	&cmd_import_entry,
	&cmd_info_entry,
	&cmd_inspect_entry,
	&cmd_kill_entry,
	&cmd_load_entry,
	&cmd_logs_entry,
	&cmd_network_entry,
	&cmd_pause_entry,
	&cmd_port_entry,
	&cmd_ps_entry,
	&cmd_rename_entry,
	&cmd_restart_entry,
	&cmd_rm_entry,
	&cmd_rmi_entry,
	&cmd_run_entry,
	&cmd_save_entry,
	&cmd_shell_entry,
	&cmd_start_entry,
	&cmd_stats_entry,
	&cmd_stop_entry,
	&cmd_system_entry,
	&cmd_tag_entry,
	&cmd_top_entry,
	&cmd_unpause_entry,
	&cmd_version_entry,
	&cmd_volume_entry,
	&cmd_wait_entry,
	NULL
};

const struct args_flag cmd_global_flags[] = {
	{ "host", 'H', "ADDRESS", "Daemon socket to connect to (unix:///path; "
	    "default $" BERTH_HOST_ENV " or " BERTH_DEFAULT_ADDRESS ")" },
	{ "help", 'h', NULL, "Print usage" },
	{ "version", 'v', NULL, "Print version information and quit" },
	{ NULL, 0, NULL, NULL }
};

/* Every command takes --help; it is parsed by args.c, listed here. */
static const struct args_flag help_flag =
	{ "help", 0, NULL, "Print usage" };

const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry *const *e;

	for (e = cmd_table; *e != NULL; e++)
		if (strcmp((*e)->name, name) == 0)
			return (*e);
	return (NULL);
}

static int
flag_width(const struct args_flag *f)
{
	return ((int)strlen(f->name) + (f->arg != NULL ?
	    (int)strlen(f->arg) + 1 : 0));
}

static void
print_flag(FILE *f, const struct args_flag *flag, int width)
{
	char name[64];

	snprintf(name, sizeof(name), "%s%s%s", flag->name,
	    flag->arg != NULL ? " " : "", flag->arg != NULL ? flag->arg : "");
	if (flag->letter != '\0')
		fprintf(f, "  -%c, --%-*s   %s\n", flag->letter, width, name,
		    flag->help);
	else
		fprintf(f, "      --%-*s   %s\n", width, name, flag->help);
}

static void
print_flags(FILE *f, const struct args_flag *flags, bool with_help)
{
	int i, width = with_help ? flag_width(&help_flag) : 0;

	for (i = 0; flags[i].name != NULL; i++)
		if (flag_width(&flags[i]) > width)
			width = flag_width(&flags[i]);
	fprintf(f, "\nOptions:\n");
	for (i = 0; flags[i].name != NULL; i++)
		print_flag(f, &flags[i], width);
	if (with_help)
		print_flag(f, &help_flag, width);
}

void
cmd_print_help(const struct cmd_entry *entry, FILE *f)
{
	fprintf(f, "\nUsage:  %s %s [OPTIONS]%s%s\n\n%s\n", CLI_NAME,
	    entry->name, entry->usage[0] != '\0' ? " " : "", entry->usage,
	    entry->summary);
	if (entry->alias != NULL)
		fprintf(f, "\nAliases:\n  %s, %.*s%s\n", entry->name,
		    (int)(strrchr(entry->name, ' ') != NULL ?
		    strrchr(entry->name, ' ') - entry->name + 1 : 0),
		    entry->name, entry->alias);
	if (entry->help != NULL)
		fprintf(f, "\n%s", entry->help);
	if (entry->subs != NULL) {
		const struct cmd_entry *const *e;
		int width = 0;

		for (e = entry->subs; *e != NULL; e++)
			if ((int)strlen((*e)->name) > width)
				width = (int)strlen((*e)->name);
		fprintf(f, "\nCommands:\n");
		for (e = entry->subs; *e != NULL; e++)
			fprintf(f, "  %-*s   %s\n", width - (int)strlen(
			    entry->name) - 1, (*e)->name + strlen(entry->name) +
			    1, (*e)->same_as != NULL ? (*e)->same_as->summary :
			    (*e)->summary);
	}
	print_flags(f, entry->flags, true);
}

void
cmd_print_main_help(FILE *f)
{
	const struct cmd_entry *const *e;
	int width = 0;

	for (e = cmd_table; *e != NULL; e++)
		if ((int)strlen((*e)->name) > width)
			width = (int)strlen((*e)->name);
	fprintf(f, "\nUsage:  %s [OPTIONS] COMMAND\n\n"
	    "A container engine\n", CLI_NAME);
	print_flags(f, cmd_global_flags, false);
	fprintf(f, "\nCommands:\n");
	for (e = cmd_table; *e != NULL; e++)
		fprintf(f, "  %-*s   %s\n", width, (*e)->name, (*e)->summary);
	fprintf(f, "\nRun '%s COMMAND --help' for more information on a "
	    "command.\n", CLI_NAME);
}

const struct cmd_entry *
cmd_resolve(const struct cmd_entry *e, struct cmd_entry *buf)
{
	if (e == NULL || e->same_as == NULL)
		return (e);
	*buf = *e->same_as;
	buf->name = e->name;
	buf->alias = e->alias;
	buf->same_as = NULL;
	return (buf);
}

int
cmd_group_exec(struct cmd_ctx *ctx, const struct args *args)
{
	(void)args;
	cmd_print_help(ctx->entry, ctx->out);
	return (CLI_EXIT_OK);
}

const struct cmd_entry *
cmd_find_sub(const struct cmd_entry *group, const char *name)
{
	const struct cmd_entry *const *e;
	const char *sp;

	if (group->subs == NULL)
		return (NULL);
	for (e = group->subs; *e != NULL; e++) {
		sp = strrchr((*e)->name, ' ');
		if (strcmp(sp != NULL ? sp + 1 : (*e)->name, name) == 0 ||
		    ((*e)->alias != NULL && strcmp((*e)->alias, name) == 0))
			return (*e);
	}
	return (NULL);
}

int
args_check_count(const struct cmd_entry *entry, const struct args *args,
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
