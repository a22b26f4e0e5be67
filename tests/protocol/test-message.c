/*
 * Calls and replies: what call_parse accepts and refuses, error replies
 * packed and parsed back, the shared error value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "frame.h"
#include "message.h"
#include "unit.h"

/* Unpack bytes built by a packer callback into an object owned by z. */
struct packed {
	msgpack_sbuffer		sb;
	msgpack_unpacked	up;
};

static const msgpack_object *
unpack(struct packed *pd)
{
	size_t off = 0;

	msgpack_unpacked_init(&pd->up);
	if (msgpack_unpack_next(&pd->up, pd->sb.data, pd->sb.size, &off) !=
	    MSGPACK_UNPACK_SUCCESS)
		return (NULL);
	return (&pd->up.data);
}

static void
packed_free(struct packed *pd)
{
	msgpack_unpacked_destroy(&pd->up);
	msgpack_sbuffer_destroy(&pd->sb);
}

/* Parse a call given as alternating keys and kinds of values. */
static int
parse_with(void (*fill)(msgpack_packer *), struct call *call,
    struct berth_error *err)
{
	struct packed pd;
	msgpack_packer pk;
	int rc;

	msgpack_sbuffer_init(&pd.sb);
	msgpack_packer_init(&pk, &pd.sb, msgpack_sbuffer_write);
	fill(&pk);
	rc = call_parse(unpack(&pd), call, err);
	packed_free(&pd);
	return (rc);
}

static void fill_ok(msgpack_packer *pk)
{
	call_pack_head(pk, "io.berth.Service.Ping", CALL_ONEWAY);
	msgpack_pack_map(pk, 0);
}
static void fill_no_method(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	pack_str(pk, "parameters");
	msgpack_pack_map(pk, 0);
}
static void fill_method_int(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	pack_str(pk, "method");
	msgpack_pack_int(pk, 7);
}
static void fill_params_array(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	pack_kv_str(pk, "method", "a.B.C");
	pack_str(pk, "parameters");
	msgpack_pack_array(pk, 0);
}
static void fill_unknown_key(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	pack_kv_str(pk, "method", "a.B.C");
	pack_kv_str(pk, "paramaters", "typo");
}
static void fill_flag_not_bool(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	pack_kv_str(pk, "method", "a.B.C");
	pack_kv_str(pk, "more", "yes");
}
static void fill_more_and_oneway(msgpack_packer *pk)
{
	call_pack_head(pk, "a.B.C", CALL_MORE | CALL_ONEWAY);
	msgpack_pack_map(pk, 0);
}
static void fill_nul_in_method(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	pack_str(pk, "method");
	msgpack_pack_str(pk, 5);
	msgpack_pack_str_body(pk, "a.B\0C", 5);
}

static void
call_parse_accepts_a_call(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct call call;

	CHECK(parse_with(fill_ok, &call, &err) == 0);
	CHECK_STR(call.method, "io.berth.Service.Ping");
	CHECK(call.flags == CALL_ONEWAY);
	CHECK(call.parameters != NULL);
	berth_error_clear(&err);
}

static void
call_parse_refuses_what_is_not_a_call(void)
{
	void (*bad[])(msgpack_packer *) = { fill_no_method, fill_method_int,
	    fill_params_array, fill_unknown_key, fill_flag_not_bool,
	    fill_more_and_oneway, fill_nul_in_method };
	struct berth_error err = BERTH_ERROR_INIT;
	struct call call;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(parse_with(bad[i], &call, &err) == -1);
		CHECK(berth_error_is(&err, BERTH_E_INVALID_CALL));
		CHECK(err.nparams == 1 && strcmp(err.params[0].key,
		    "reason") == 0);
	}
	berth_error_clear(&err);
}

static void
error_reply_round_trip(void)
{
	struct berth_error err = BERTH_ERROR_INIT, back = BERTH_ERROR_INIT;
	struct packed pd;
	msgpack_packer pk;
	struct reply r;

	errno = ENOENT;
	berth_error_sys(&err, "open %s", "/x");
	berth_error_wrap(&err, "load image");
	berth_error_param_str(&err, "path", "/x");
	berth_error_param_int(&err, "code", -3);
	CHECK_STR(berth_error_message(&err),
	    "load image: open /x: No such file or directory");
	msgpack_sbuffer_init(&pd.sb);
	msgpack_packer_init(&pk, &pd.sb, msgpack_sbuffer_write);
	reply_pack_error(&pk, &err);
	CHECK(reply_parse(unpack(&pd), &r, &back) == -1);
	CHECK(r.is_error);
	CHECK(berth_error_is(&back, BERTH_E_SYSTEM));
	CHECK(back.errnum == ENOENT);
	CHECK_STR(berth_error_message(&back), berth_error_message(&err));
	CHECK(back.nparams == 2);
	CHECK_STR(back.params[0].str, "/x");
	CHECK(back.params[1].str == NULL && back.params[1].num == -3);
	packed_free(&pd);
	berth_error_clear(&err);
	berth_error_clear(&back);
}

static void
reply_with_continues(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct packed pd;
	msgpack_packer pk;
	struct reply r;

	msgpack_sbuffer_init(&pd.sb);
	msgpack_packer_init(&pk, &pd.sb, msgpack_sbuffer_write);
	reply_pack_head(&pk, true);
	msgpack_pack_map(&pk, 1);
	pack_kv_str(&pk, "a", "b");
	CHECK(reply_parse(unpack(&pd), &r, &err) == 0);
	CHECK(r.continues && !r.is_error);
	CHECK(msgpack_str_eq(msgpack_map_get(r.parameters, "a"), "b"));
	packed_free(&pd);
	berth_error_clear(&err);
}

static void
error_value_basics(void)
{
	struct berth_error a = BERTH_ERROR_INIT, b = BERTH_ERROR_INIT;
	int i;

	CHECK(!berth_error_isset(&a));
	CHECK(berth_error_set(&a, "x.Y.Z", 0, "n=%d", 5) == -1);
	CHECK(berth_error_isset(&a));
	CHECK_STR(berth_error_message(&a), "n=5");
	for (i = 0; i < BERTH_ERROR_PARAMS_MAX + 2; i++)
		berth_error_param_int(&a, "k", i);
	CHECK(a.nparams == BERTH_ERROR_PARAMS_MAX);
	berth_error_move(&b, &a);
	CHECK(!berth_error_isset(&a) && a.message == NULL);
	CHECK(berth_error_is(&b, "x.Y.Z"));
	berth_error_clear(&b);
	CHECK(!berth_error_isset(&b) && b.nparams == 0);
}

int
main(void)
{
	RUN(call_parse_accepts_a_call);
	RUN(call_parse_refuses_what_is_not_a_call);
	RUN(error_reply_round_trip);
	RUN(reply_with_continues);
	RUN(error_value_basics);
	UNIT_EXIT();
}
