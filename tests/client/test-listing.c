/*
 * What every listing shares (client/listing.c): Docker's filters parsed
 * once, the --format of rows, when escapes may be written
 * (client/color.c), and the progress line without them.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "color.h"
#include "image.h"
#include "listing.h"
#include "unit.h"

static const char *const keys[] = { "name", "label", NULL };

static void
test_filters_parse(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const char *in[] = { " NAME = a ", "label=k=v", "name=b", "Label=x" };
	const char *bad[] = { "novalue" };
	const char *unknown[] = { "name=a", "colour=red" };
	json_t *f = NULL;
	char *s;

	CHECK(filters_parse(in, 4, &f, &err) == 0);
	s = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK_STR(s, "{\"label\":[\"k=v\",\"x\"],\"name\":[\"a\",\"b\"]}");
	free(s);
	CHECK(filters_check(f, keys, &err) == 0);
	json_decref(f);
	f = NULL;
	CHECK(filters_parse(NULL, 0, &f, &err) == 0 && json_object_size(f) == 0);
	json_decref(f);
	f = NULL;

	CHECK(filters_parse(bad, 1, &f, &err) == -1 && f == NULL);
	CHECK(berth_error_is(&err, CLI_E_USAGE));
	CHECK_STR(berth_error_message(&err),
	    "bad format of filter (expected name=value)");
	berth_error_clear(&err);

	CHECK(filters_parse_allowed(unknown, 2, keys, &f, &err) == -1);
	CHECK(f == NULL && berth_error_is(&err, BERTH_E_INVALID_PARAM));
	CHECK_STR(berth_error_message(&err), "invalid filter 'colour'");
	berth_error_clear(&err);
}

static void
test_listing_format(void)
{
	CHECK_STR(listing_format(NULL, "table X"), "table X");
	CHECK_STR(listing_format("", "table X"), "table X");
	CHECK_STR(listing_format("table", "table X"), "table X");
	CHECK_STR(listing_format("json", "table X"), "{{json .}}");
	CHECK_STR(listing_format("{{.ID}}", "table X"), "{{.ID}}");
}

/* Rows and objects printed to a memory stream. */
static void
test_listing_print(void)
{
	struct cmd_ctx ctx = { 0 };
	json_t *rows = json_pack("[{s:s, s:i}, {s:s, s:i}]", "Name", "a",
	    "Size", 1, "Name", "b", "Size", 2);
	char *out = NULL, *errs = NULL;
	size_t outn = 0, errn = 0;

	ctx.out = open_memstream(&out, &outn);
	ctx.err = open_memstream(&errs, &errn);
	CHECK(listing_print(&ctx, "json", "table {{.Name}}", rows,
	    NULL) == CLI_EXIT_OK);
	CHECK(listing_print(&ctx, NULL, "table {{.Name}}", rows,
	    NULL) == CLI_EXIT_OK);
	CHECK(listing_print(&ctx, "{{.Nope", "table {{.Name}}", rows,
	    NULL) == CLI_EXIT_ENGINE);
	CHECK(listing_print_object(&ctx, NULL, json_array_get(rows, 0)) ==
	    -1);
	CHECK(listing_print_object(&ctx, "{{.Name}}-{{.Size}}",
	    json_array_get(rows, 1)) == CLI_EXIT_OK);
	CHECK(listing_check_format(&ctx, "json") == 0);
	CHECK(listing_check_format(&ctx, "{{.A}}") == 0);
	CHECK(listing_check_format(&ctx, "{{.A") == -1);
	fclose(ctx.out);
	fclose(ctx.err);
	CHECK_STR(out, "{\"Name\":\"a\",\"Size\":1}\n"
	    "{\"Name\":\"b\",\"Size\":2}\n"
	    "NAME\na\nb\n"
	    "b-2\n");
	CHECK(errs != NULL && strncmp(errs, "Error: ", 7) == 0);
	free(out);
	free(errs);
	json_decref(rows);
}

static void
test_term_escapes(void)
{
	FILE *f = tmpfile();

	unsetenv("TERM");
	CHECK(!term_escapes(f));		/* not a terminal */
	CHECK(!term_escape(f, ESC_CLEAR_LINE));
	CHECK(ftell(f) == 0);
	CHECK(!term_escapes(NULL));
	fclose(f);
}

/* A terminal: escapes, NO_COLOR or not (it is about colour, and berth
 * writes none); not when TERM is dumb. */
static void
test_term_escapes_on_a_terminal(void)
{
	const char *term = getenv("TERM");
	char *saved = term != NULL ? strdup(term) : NULL;
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	FILE *f;

	CHECK(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0);
	if (m < 0 || (f = fopen(ptsname(m), "w")) == NULL) {
		CHECK(!"open a pty");
		free(saved);
		return;
	}
	setenv("TERM", "xterm", 1);
	unsetenv("NO_COLOR");
	CHECK(term_escapes(f));
	setenv("NO_COLOR", "1", 1);
	CHECK(term_escapes(f));
	CHECK(term_escape(f, ESC_CLEAR_SCREEN));
	unsetenv("NO_COLOR");
	setenv("TERM", "dumb", 1);
	CHECK(!term_escapes(f));
	CHECK(!term_escape(f, ESC_CLEAR_SCREEN));
	if (saved != NULL)
		setenv("TERM", saved, 1);
	else
		unsetenv("TERM");
	free(saved);
	fclose(f);
	close(m);
}

/* Without escapes a progress line is overwritten with spaces as far as
 * the line drawn before it reached, no further. */
static void
test_progress_pads_to_the_last_line(void)
{
	struct progress p;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	progress_init(&p, f, false);
	CHECK(!p.enabled);			/* not a terminal */
	p.enabled = true;			/* as on a dumb terminal */
	progress_draw(&p, "Loading layer", "abc", 1000, 4000);
	progress_draw(&p, "Done", "abc", -1, -1);
	progress_draw(&p, "Done", "abc", -1, -1);
	fclose(f);
	/* "\rabc: Loading layer [...] 1kB/4kB" then "\rabc: Done " padded
	 * to that length, then the same again with nothing to pad. */
	CHECK(buf != NULL && strchr(buf, '\033') == NULL);
	if (buf != NULL) {
		char *second = strchr(buf + 1, '\r'), *third;

		CHECK(second != NULL);
		third = second != NULL ? strchr(second + 1, '\r') : NULL;
		CHECK(third != NULL);
		if (second != NULL && third != NULL) {
			CHECK(third - second == second - buf);
			CHECK(strcmp(third, "\rabc: Done ") == 0);
		}
	}
	free(buf);
}

int
main(void)
{
	RUN(test_filters_parse);
	RUN(test_listing_format);
	RUN(test_listing_print);
	RUN(test_term_escapes);
	RUN(test_term_escapes_on_a_terminal);
	RUN(test_progress_pads_to_the_last_line);
	UNIT_EXIT();
}
