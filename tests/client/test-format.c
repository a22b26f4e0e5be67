/*
 * The image commands' pure parts: Docker's human sizes and times, short
 * ids, the template subset, the tab writer, image rows and filters.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "unit.h"

static void
check_size(double n, int prec, const char *want)
{
	char *s = fmt_human_size(n, prec);

	CHECK_STR(s, want);
	free(s);
}

static void
test_human_size(void)
{
	check_size(0, 3, "0B");
	check_size(999, 3, "999B");
	check_size(1000, 3, "1kB");
	check_size(4264960, 3, "4.26MB");
	check_size(4264960, 4, "4.265MB");
	check_size(1200000, 4, "1.2MB");
	check_size(1e9, 4, "1GB");
	check_size(123456789012.0, 3, "123GB");
}

static void
check_dur(int64_t s, const char *want)
{
	char *d = fmt_human_duration(s);

	CHECK_STR(d, want);
	free(d);
}

static void
test_human_duration(void)
{
	check_dur(0, "Less than a second");
	check_dur(1, "1 second");
	check_dur(59, "59 seconds");
	check_dur(60, "About a minute");
	check_dur(119, "About a minute");
	check_dur(120, "2 minutes");
	check_dur(3599, "59 minutes");
	check_dur(3600, "About an hour");
	check_dur(5399, "About an hour");
	check_dur(5400, "2 hours");
	check_dur(47 * 3600, "47 hours");
	check_dur(48 * 3600, "2 days");
	check_dur(14 * 86400, "2 weeks");
	check_dur(60 * 86400, "2 months");
	check_dur(730 * 86400, "2 years");
}

static void
test_created_and_ids(void)
{
	char *s;

	s = fmt_created_since(1000, 1000 + 7200);
	CHECK_STR(s, "2 hours ago");
	free(s);
	s = fmt_created_since(0, 56 * 365 * 86400 + 86400 * 14);
	CHECK_STR(s, "56 years ago");
	free(s);
	s = fmt_created_since(-1, 1000);
	CHECK_STR(s, "N/A");
	free(s);
	setenv("TZ", "UTC", 1);
	tzset();
	s = fmt_created_at(86400);
	CHECK_STR(s, "1970-01-02 00:00:00 +0000 UTC");
	free(s);
	s = fmt_short_id("sha256:0123456789abcdef0123");
	CHECK_STR(s, "0123456789ab");
	free(s);
	s = fmt_short_id("abc");
	CHECK_STR(s, "abc");
	free(s);
	s = image_ellipsis("/bin/sh -c #(nop) ADD file:0123456789abcdef in /",
	    20);
	CHECK_STR(s, "/bin/sh -c #(nop) A\xe2\x80\xa6");
	free(s);
	s = image_ellipsis("short", 45);
	CHECK_STR(s, "short");
	free(s);
}

static char *
render(const char *format, const char *json)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct fmt_template *t;
	json_t *j = json_loads(json, 0, NULL);
	char *out;

	if (fmt_parse(format, &t, &err) < 0) {
		berth_error_clear(&err);
		json_decref(j);
		return (strdup("PARSE ERROR"));
	}
	out = fmt_render(t, j, &err);
	if (out == NULL)
		out = strdup("RENDER ERROR");
	berth_error_clear(&err);
	fmt_free(t);
	json_decref(j);
	return (out);
}

static void
check_render(const char *format, const char *json, const char *want)
{
	char *s = render(format, json);

	CHECK_STR(s, want);
	free(s);
}

static void
test_template(void)
{
	const char *img = "{\"Id\": \"sha256:abc\", \"Size\": 42, "
	    "\"Config\": {\"Cmd\": [\"/bin/sh\", \"-c\"], \"Env\": null, "
	    "\"Labels\": {\"b\": \"2\", \"a\": \"1\"}}, \"Ok\": true}";

	check_render("{{.Id}}", img, "sha256:abc");
	check_render("id={{.Id}}\\tsize={{.Size}}\\n", img,
	    "id=sha256:abc\tsize=42\n");
	check_render("{{.Config.Cmd}}", img, "[/bin/sh -c]");
	check_render("{{json .Config.Cmd}}", img, "[\"/bin/sh\",\"-c\"]");
	check_render("{{.Config.Labels}}", img, "map[a:1 b:2]");
	check_render("{{index .Config.Labels \"b\"}}", img, "2");
	check_render("{{index .Config.Cmd 1}}", img, "-c");
	check_render("{{join .Config.Cmd \",\"}}", img, "/bin/sh,-c");
	check_render("{{.Nope}}", img, "<no value>");
	check_render("{{.Config.Env}}", img, "<nil>");
	check_render("{{.Ok}} {{upper .Id}} {{len .Config.Cmd}}", img,
	    "true SHA256:ABC 2");
	check_render("{{json .}}", "{\"a\":1}", "{\"a\":1}");
	check_render("a {{- .Id -}} b", img, "asha256:abcb");
	check_render("{{.Id", img, "PARSE ERROR");
	check_render("{{nosuch .Id}}", img, "PARSE ERROR");
	check_render("{{.Id .Size}}", img, "PARSE ERROR");
	check_render("plain", img, "plain");
}

static void
test_table(void)
{
	static const struct fmt_header headers[] = {
		{ "ID", "IMAGE ID" }, { "Repository", "REPOSITORY" },
		{ NULL, NULL }
	};
	struct berth_error err = BERTH_ERROR_INIT;
	json_t *rows = json_loads("[{\"Repository\": \"busybox\", \"Tag\": "
	    "\"latest\", \"ID\": \"0123456789ab\"}, {\"Repository\": "
	    "\"example.com/a/very-long-name\", \"Tag\": \"1\", \"ID\": "
	    "\"ba9876543210\"}]", 0, NULL);
	char *out = NULL;
	size_t size;
	FILE *f = open_memstream(&out, &size);

	CHECK(fmt_print_rows(f, "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}",
	    rows, headers, &err) == 0);
	fclose(f);
	CHECK_STR(out,
	    "REPOSITORY                     TAG       IMAGE ID\n"
	    "busybox                        latest    0123456789ab\n"
	    "example.com/a/very-long-name   1         ba9876543210\n");
	free(out);
	f = open_memstream(&out, &size);
	CHECK(fmt_print_rows(f, "{{.ID}}", rows, headers, &err) == 0);
	fclose(f);
	CHECK_STR(out, "0123456789ab\nba9876543210\n");
	free(out);
	json_decref(rows);
}

static const char images_json[] = "["
    "{\"id\": \"sha256:1111111111111111aaaa\", \"repo_tags\": "
    "[\"busybox:latest\", \"busybox:1.36\", \"example.com/app:v1\"], "
    "\"repo_digests\": [\"busybox@sha256:dddd\"], \"created\": 1000, "
    "\"size\": 4264960, \"shared_size\": 0, \"labels\": {\"a\": \"1\"}, "
    "\"containers\": 0},"
    "{\"id\": \"sha256:2222222222222222bbbb\", \"repo_tags\": [], "
    "\"repo_digests\": [], \"created\": 2000, \"size\": 1000, "
    "\"shared_size\": 0, \"labels\": {}, \"containers\": 0},"
    "{\"id\": \"sha256:3333333333333333cccc\", \"repo_tags\": "
    "[\"alpine:3\"], \"repo_digests\": [], \"created\": 500, \"size\": 5, "
    "\"shared_size\": 0, \"labels\": {\"a\": \"2\", \"b\": \"\"}, "
    "\"containers\": 1}]";

/* The rows' "Repository:Tag" joined by spaces. */
static char *
row_names(const char *const *filters, int n)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct image_filter *f = NULL;
	json_t *images = json_loads(images_json, 0, NULL), *rows, *row;
	char *out = NULL, *next;
	size_t i;

	if (image_filter_parse(filters, n, &f, &err) < 0) {
		berth_error_clear(&err);
		json_decref(images);
		return (strdup("FILTER ERROR"));
	}
	rows = image_rows(images, f, false, 10000, &err);
	image_filter_free(f);
	json_decref(images);
	if (rows == NULL) {
		berth_error_clear(&err);
		return (strdup("ROWS ERROR"));
	}
	out = strdup("");
	json_array_foreach(rows, i, row) {
		if (asprintf(&next, "%s%s%s:%s", out, i > 0 ? " " : "",
		    json_string_value(json_object_get(row, "Repository")),
		    json_string_value(json_object_get(row, "Tag"))) < 0)
			break;
		free(out);
		out = next;
	}
	json_decref(rows);
	return (out);
}

static void
check_rows(const char *want, int n, ...)
{
	const char *filters[8];
	va_list ap;
	char *s;
	int i;

	va_start(ap, n);
	for (i = 0; i < n; i++)
		filters[i] = va_arg(ap, const char *);
	va_end(ap);
	s = row_names(filters, n);
	CHECK_STR(s, want);
	free(s);
}

static void
test_rows_and_filters(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	json_t *images = json_loads(images_json, 0, NULL), *rows, *row;

	rows = image_rows(images, NULL, false, 1000 + 7200, &err);
	CHECK(rows != NULL && json_array_size(rows) == 5);
	row = json_array_get(rows, 1);
	CHECK_STR(json_string_value(json_object_get(row, "ID")),
	    "111111111111");
	CHECK_STR(json_string_value(json_object_get(row, "Size")), "4.26MB");
	CHECK_STR(json_string_value(json_object_get(row, "CreatedSince")),
	    "2 hours ago");
	CHECK_STR(json_string_value(json_object_get(row, "Digest")),
	    "sha256:dddd");
	row = json_array_get(rows, 0);
	CHECK_STR(json_string_value(json_object_get(row, "Repository")),
	    "<none>");
	CHECK_STR(json_string_value(json_object_get(row, "Digest")), "<none>");
	json_decref(rows);
	rows = image_rows(images, NULL, true, 0, &err);
	CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 0),
	    "ID")), "sha256:2222222222222222bbbb");
	json_decref(rows);
	json_decref(images);

	check_rows("<none>:<none> busybox:latest busybox:1.36 "
	    "example.com/app:v1 alpine:3", 0);
	check_rows("<none>:<none>", 1, "dangling=true");
	check_rows("busybox:latest busybox:1.36 example.com/app:v1 alpine:3",
	    1, "dangling=false");
	check_rows("busybox:latest busybox:1.36", 1, "reference=busybox");
	check_rows("busybox:1.36", 1, "reference=busybox:1.*");
	check_rows("example.com/app:v1", 1, "reference=*/app");
	check_rows("", 1, "reference=app");
	check_rows("busybox:latest alpine:3", 2, "reference=busybox:latest",
	    "reference=alpine");
	check_rows("busybox:latest busybox:1.36 example.com/app:v1 alpine:3",
	    1, "label=a");
	check_rows("alpine:3", 1, "label=a=2");
	check_rows("alpine:3", 1, "label=b=");
	check_rows("", 2, "label=a", "label=c");
	check_rows("alpine:3", 1, "before=busybox");
	check_rows("<none>:<none>", 1, "since=busybox:latest");
	check_rows("<none>:<none> busybox:latest busybox:1.36 "
	    "example.com/app:v1", 1, "since=333333333333");
	check_rows("ROWS ERROR", 1, "before=nosuch");
	check_rows("FILTER ERROR", 1, "dangling=maybe");
	check_rows("FILTER ERROR", 1, "color=red");
	check_rows("FILTER ERROR", 1, "nonsense");
}

static void
test_split_ref(void)
{
	char *repo, *tag;

	image_split_ref("busybox:latest", &repo, &tag);
	CHECK_STR(repo, "busybox");
	CHECK_STR(tag, "latest");
	free(repo);
	free(tag);
	image_split_ref("localhost:5000/a/b:1.0", &repo, &tag);
	CHECK_STR(repo, "localhost:5000/a/b");
	CHECK_STR(tag, "1.0");
	free(repo);
	free(tag);
	image_split_ref("localhost:5000/a", &repo, &tag);
	CHECK_STR(repo, "localhost:5000/a");
	CHECK_STR(tag, "<none>");
	free(repo);
	free(tag);
	CHECK(image_ref_match("busy*", "busybox:latest"));
	CHECK(!image_ref_match("*", "example.com/app:v1"));
}

static void
test_progress_bar(void)
{
	char *s = progress_bar(50, 100, 10);

	CHECK_STR(s, "[=====>    ]      50B/100B");
	free(s);
	s = progress_bar(100, 100, 4);
	CHECK_STR(s, "[====]     100B/100B");
	free(s);
	s = progress_bar(1500, -1, 4);
	CHECK_STR(s, "   1.5kB");
	free(s);
}

int
main(void)
{
	RUN(test_human_size);
	RUN(test_human_duration);
	RUN(test_created_and_ids);
	RUN(test_template);
	RUN(test_table);
	RUN(test_rows_and_filters);
	RUN(test_split_ref);
	RUN(test_progress_bar);
	UNIT_EXIT();
}
