/*
 * berth(1), written from the command table (berth help --man): the same
 * names, usages, summaries, texts and flags as --help, as roff.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

extern const struct cmd_entry *const cmd_table[];

/* Text as roff: backslashes escaped, a line starting with '.' or '\''
 * protected, hyphens as \-. */
static void
roff_text(FILE *f, const char *s)
{
	bool bol = true;

	for (; *s != '\0'; s++) {
		if (bol && (*s == '.' || *s == '\''))
			fputs("\\&", f);
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
		bol = *s == '\n';
	}
}

static void
roff_flags(FILE *f, const struct args_flag *flags)
{
	const struct args_flag *fl;

	for (fl = flags; fl != NULL && fl->name != NULL; fl++) {
		fputs(".TP\n", f);
		if (fl->letter != '\0')
			fprintf(f, "\\fB\\-%c\\fR, ", fl->letter);
		fputs("\\fB\\-\\-", f);
		roff_text(f, fl->name);
		fputs("\\fR", f);
		if (fl->arg != NULL) {
			fputs(" \\fI", f);
			roff_text(f, fl->arg);
			fputs("\\fR", f);
		}
		fputc('\n', f);
		roff_text(f, fl->help);
		fputc('\n', f);
	}
}

static void
roff_command(FILE *f, const struct cmd_entry *e)
{
	struct cmd_entry buf;
	const struct cmd_entry *r = cmd_resolve(e, &buf);

	fputs(".SS \"", f);
	roff_text(f, CLI_NAME " ");
	roff_text(f, r->name);
	/* As --help's usage line: [OPTIONS] always. */
	fputs(" [OPTIONS]", f);
	if (r->usage[0] != '\0') {
		fputc(' ', f);
		roff_text(f, r->usage);
	}
	fputs("\"\n", f);
	roff_text(f, r->summary);
	fputs(".\n", f);
	if (r->alias != NULL) {
		fputs("Also \\fB", f);
		roff_text(f, r->alias);
		fputs("\\fR.\n", f);
	}
	if (r->help != NULL) {
		fputs(".PP\n.nf\n", f);
		roff_text(f, r->help);
		fputs(".fi\n", f);
	}
	roff_flags(f, r->flags);
}

void
cmd_print_man(FILE *f)
{
	const struct cmd_entry *const *e, *const *s;

	fprintf(f, ".TH BERTH 1 \"\" \"berth %s\" \"berth manual\"\n",
	    BERTH_VERSION);
	fputs(".SH NAME\nberth \\- a container engine's client\n"
	    ".SH SYNOPSIS\n\\fBberth\\fR [\\fIOPTIONS\\fR] \\fICOMMAND\\fR "
	    "[\\fIARG\\fR...]\n.br\n\\fBberth\\fR (on a terminal: the REPL)\n"
	    ".SH DESCRIPTION\nberth talks to berthd, the daemon, over its "
	    "UNIX socket, with Docker's command names, flags, output and exit "
	    "codes: 125 when berth or berthd fails, 126 when a container's "
	    "command cannot be invoked, 127 when it is not found, otherwise "
	    "the container's own.\n.SH OPTIONS\n", f);
	roff_flags(f, cmd_global_flags);
	fputs(".SH COMMANDS\n", f);
	for (e = cmd_table; *e != NULL; e++) {
		roff_command(f, *e);
		for (s = (*e)->subs; s != NULL && *s != NULL; s++)
			roff_command(f, *s);
	}
	fputs(".SH ENVIRONMENT\n.TP\n\\fBBERTH_HOST\\fR\nThe daemon's "
	    "address when \\fB\\-H\\fR is not given.\n.TP\n"
	    "\\fBBERTH_HISTORY\\fR\nThe REPL's history file (default "
	    "~/.berth_history; empty: none).\n.SH SEE ALSO\n"
	    "\\fBberthd\\fR(8), \\fBdocker\\fR(1)\n", f);
}
