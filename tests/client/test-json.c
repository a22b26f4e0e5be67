/*
 * The CLI's JSON <-> msgpack conversion: round trips keep every value and
 * its kind; the msgpack-only kinds map as json.c documents.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "unit.h"

/* JSON text -> msgpack -> JSON; the result must equal the parsed text. */
static void
round_trip(const char *text)
{
	struct berth_error err = BERTH_ERROR_INIT;
	msgpack_unpacked up;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	json_error_t jerr;
	json_t *want, *got = NULL;
	size_t off = 0;

	want = json_loads(text, JSON_ALLOW_NUL, &jerr);
	CHECK(want != NULL);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&up);
	CHECK(jsonmp_pack_text(text, strlen(text), &pk, &err) == 0);
	CHECK(msgpack_unpack_next(&up, sb.data, sb.size, &off) ==
	    MSGPACK_UNPACK_SUCCESS && off == sb.size);
	if (off == sb.size)
		got = jsonmp_from_msgpack(&up.data, &err);
	CHECK(got != NULL && want != NULL && json_equal(got, want));
	if (got == NULL || want == NULL || !json_equal(got, want))
		fprintf(stderr, "# round trip of %s failed\n", text);
	json_decref(got);
	json_decref(want);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	berth_error_clear(&err);
}

static void
test_round_trip_nesting_and_scalars(void)
{
	round_trip("{}");
	round_trip("{\"a\": {\"b\": {\"c\": [1, [2, [3, {}]], []]}}}");
	round_trip("{\"t\": true, \"f\": false, \"n\": null, \"s\": \"\"}");
	round_trip("{\"list\": [null, true, 1, -1, 1.5, \"x\", {\"k\": []}]}");
}

static void
test_round_trip_integers(void)
{
	round_trip("{\"zero\": 0, \"neg\": -1, \"small\": -32, "
	    "\"byte\": 255, \"neg_byte\": -129}");
	round_trip("{\"min\": -9223372036854775808, "
	    "\"max\": 9223372036854775807}");
	/* Above 2^53, where a double would round it. */
	round_trip("{\"big\": 9007199254740993, \"nbig\": -9007199254740993}");
}

static void
test_round_trip_floats(void)
{
	round_trip("{\"a\": 1.5, \"b\": -0.25, \"c\": 0.1, \"d\": 1e300, "
	    "\"e\": 2.0, \"f\": -0.0, \"g\": 5e-324}");
}

static void
test_round_trip_unicode(void)
{
	round_trip("{\"s\": \"h\\u00e9llo \\u2713 \\ud83d\\ude00 \xe6\x97\xa5\"}");
	round_trip("{\"\\u00e9t\\u00e9\": \"key in UTF-8\"}");
	round_trip("{\"nul\": \"a\\u0000b\"}");
}

/* The kinds of the msgpack values packed from JSON. */
static void
test_json_kinds_become_msgpack_kinds(void)
{
	static const char text[] =
	    "{\"i\": 3, \"n\": -3, \"r\": 3.0, \"s\": \"3\", \"z\": null, "
	    "\"a\": [true], \"u\": 18446744073}";
	struct berth_error err = BERTH_ERROR_INIT;
	const msgpack_object *v;
	msgpack_unpacked up;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t off = 0;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&up);
	CHECK(jsonmp_pack_text(text, strlen(text), &pk, &err) == 0);
	CHECK(msgpack_unpack_next(&up, sb.data, sb.size, &off) ==
	    MSGPACK_UNPACK_SUCCESS);
	CHECK(up.data.type == MSGPACK_OBJECT_MAP);
	v = berth_map_get(&up.data, "i");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    v->via.u64 == 3);
	v = berth_map_get(&up.data, "n");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
	    v->via.i64 == -3);
	v = berth_map_get(&up.data, "r");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_FLOAT64 &&
	    v->via.f64 == 3.0);
	v = berth_map_get(&up.data, "s");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_STR);
	v = berth_map_get(&up.data, "z");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_NIL);
	v = berth_map_get(&up.data, "a");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_ARRAY &&
	    v->via.array.size == 1 &&
	    v->via.array.ptr[0].type == MSGPACK_OBJECT_BOOLEAN);
	v = berth_map_get(&up.data, "u");
	CHECK(v != NULL && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    v->via.u64 == 18446744073ull);
	msgpack_unpacked_destroy(&up);
	msgpack_sbuffer_destroy(&sb);
	berth_error_clear(&err);
}

static void
test_parameters_must_be_one_valid_object(void)
{
	static const char *bad[] = { "[1]", "\"s\"", "3", "{", "{\"a\":}",
	    "{\"a\": 1, \"a\": 2}", "{} {}", "", "{\"a\": 99999999999999999999}",
	    NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	msgpack_sbuffer sb;
	msgpack_packer pk;
	const char **t;

	for (t = bad; *t != NULL; t++) {
		msgpack_sbuffer_init(&sb);
		msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
		CHECK(jsonmp_pack_text(*t, strlen(*t), &pk, &err) == -1);
		CHECK(berth_error_is(&err, BERTH_E_INVALID_PARAM));
		msgpack_sbuffer_destroy(&sb);
	}
	berth_error_clear(&err);
}

/* Unpack hand-written msgpack bytes and convert them; compare as text. */
static void
converts_to(const char *mp, size_t len, const char *want)
{
	struct berth_error err = BERTH_ERROR_INIT;
	msgpack_unpacked up;
	char *text = NULL;
	size_t off = 0;
	json_t *j = NULL;

	msgpack_unpacked_init(&up);
	CHECK(msgpack_unpack_next(&up, mp, len, &off) ==
	    MSGPACK_UNPACK_SUCCESS);
	CHECK((j = jsonmp_from_msgpack(&up.data, &err)) != NULL);
	if (j != NULL)
		text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	CHECK_STR(text, want);
	free(text);
	json_decref(j);
	msgpack_unpacked_destroy(&up);
	berth_error_clear(&err);
}
#define CONVERTS_TO(mp, want)	converts_to(mp, sizeof(mp) - 1, want)

static void
test_msgpack_only_kinds(void)
{
	/* bin as base64, each padding case. */
	CONVERTS_TO("\xc4\x00", "\"\"");
	CONVERTS_TO("\xc4\x01" "f", "\"Zg==\"");
	CONVERTS_TO("\xc4\x02" "fo", "\"Zm8=\"");
	CONVERTS_TO("\xc4\x03" "foo", "\"Zm9v\"");
	CONVERTS_TO("\xc4\x04\xff\xfe\x00\x01", "\"//4AAQ==\"");
	/* ext: type and base64 data. */
	CONVERTS_TO("\xd4\x05\x41", "{\"ext\":5,\"data\":\"QQ==\"}");
	/* uint64 above INT64_MAX, float32, NaN. */
	CONVERTS_TO("\xcf\xff\xff\xff\xff\xff\xff\xff\xff",
	    "1.8446744073709552e19");
	CONVERTS_TO("\xca\x3f\xc0\x00\x00", "1.5");
	CONVERTS_TO("\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", "null");
	/* Invalid UTF-8: each bad byte becomes U+FFFD. */
	CONVERTS_TO("\xa4" "a\xff\xc3" "b", "\"a\xef\xbf\xbd\xef\xbf\xbd" "b\"");
}

static void
test_non_string_keys_become_strings(void)
{
	CONVERTS_TO("\x81\x01\xa1" "a", "{\"1\":\"a\"}");
	CONVERTS_TO("\x81\xfe\xa1" "b", "{\"-2\":\"b\"}");
	CONVERTS_TO("\x81\xc3\x01", "{\"true\":1}");
	CONVERTS_TO("\x81\xc0\x01", "{\"null\":1}");
	CONVERTS_TO("\x81\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00\x01",
	    "{\"1.5\":1}");
	CONVERTS_TO("\x81\x92\x01\x02\x01", "{\"[1,2]\":1}");
	CONVERTS_TO("\x81\xc4\x01" "f" "\x01", "{\"Zg==\":1}");
	/* A repeated key keeps its last value. */
	CONVERTS_TO("\x82\xa1" "k\x01\xa1" "k\x02", "{\"k\":2}");
}

static void
test_print_is_indented_and_ends_with_newline(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char *buf = NULL;
	size_t size = 0;
	FILE *f;
	json_t *j;

	j = json_pack("{s:s, s:[i]}", "payload", "hi", "n", 1);
	f = open_memstream(&buf, &size);
	CHECK(jsonmp_print(f, j, &err) == 0);
	fclose(f);
	CHECK_STR(buf, "{\n  \"payload\": \"hi\",\n  \"n\": [\n    1\n  ]\n}\n");
	free(buf);
	json_decref(j);
}

int
main(void)
{
	RUN(test_round_trip_nesting_and_scalars);
	RUN(test_round_trip_integers);
	RUN(test_round_trip_floats);
	RUN(test_round_trip_unicode);
	RUN(test_json_kinds_become_msgpack_kinds);
	RUN(test_parameters_must_be_one_valid_object);
	RUN(test_msgpack_only_kinds);
	RUN(test_non_string_keys_become_strings);
	RUN(test_print_is_indented_and_ends_with_newline);
	UNIT_EXIT();
}
