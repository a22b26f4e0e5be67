/*
 * Interface descriptions: parsing (and its errors, by line), the built-in
 * descriptions, and every way a parameter can be invalid.
 */
#include <stdlib.h>
#include <string.h>

#include "idl.h"
#include "interfaces.h"
#include "message.h"
#include "unit.h"

static const char *test_idl =
"# A test interface exercising every type.\n"
"interface org.example.test\n"
"\n"
"type Mount (source: string, target: string, options: ?[]string)\n"
"type Mode (ro, rw)\n"
"\n"
"method Run(\n"
"	args: []string,\n"
"	env: ?[string]string,\n"
"	mounts: ?[]Mount,\n"
"	mode: ?Mode,\n"
"	tty: ?bool,\n"
"	memory: ?int,\n"
"	cpus: ?float,\n"
"	extra: ?object,\n"
"	limits: ?(soft: int, hard: int)\n"
") -> (id: string)\n"
"method Nothing() -> ()\n"
"error NotFound (id: string)\n";

/* Build a msgpack value from a tiny JSON-ish spec via a packer fill fn. */
struct value {
	msgpack_sbuffer		sb;
	msgpack_unpacked	up;
	msgpack_packer		pk;
};

static void
value_begin(struct value *v)
{
	msgpack_sbuffer_init(&v->sb);
	msgpack_packer_init(&v->pk, &v->sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&v->up);
}

static const msgpack_object *
value_end(struct value *v)
{
	size_t off = 0;

	msgpack_unpack_next(&v->up, v->sb.data, v->sb.size, &off);
	return (&v->up.data);
}

static void
value_free(struct value *v)
{
	msgpack_unpacked_destroy(&v->up);
	msgpack_sbuffer_destroy(&v->sb);
}

static struct idl_interface *
load_test(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct idl_interface *iface = NULL;

	if (idl_parse(test_idl, &iface, &err) < 0)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	berth_error_clear(&err);
	return (iface);
}

static void
parses_every_type(void)
{
	struct idl_interface *iface = load_test();
	const struct idl_method *m;
	const struct idl_type *t;

	CHECK(iface != NULL);
	if (iface == NULL)
		return;
	CHECK_STR(iface->name, "org.example.test");
	CHECK(iface->nmethods == 2 && iface->ntypes == 2 &&
	    iface->nerrors == 1);
	m = idl_interface_method(iface, "Run");
	CHECK(m != NULL && m->in->nfields == 9);
	t = m->in->fields[0].type;
	CHECK(t->kind == IDL_ARRAY && t->elem->kind == IDL_STRING &&
	    !t->optional);
	t = m->in->fields[1].type;
	CHECK(t->kind == IDL_MAP && t->optional);
	t = m->in->fields[2].type->elem;
	CHECK(t->kind == IDL_NAMED && t->target != NULL &&
	    t->target->kind == IDL_STRUCT);
	t = m->in->fields[3].type;
	CHECK(t->kind == IDL_NAMED && t->target->kind == IDL_ENUM &&
	    t->target->nvalues == 2);
	CHECK(m->in->fields[8].type->kind == IDL_STRUCT);
	CHECK(idl_interface_method(iface, "Nothing")->in->nfields == 0);
	CHECK(idl_interface_error(iface, "NotFound") != NULL);
	CHECK(strcmp(iface->text, test_idl) == 0);
	idl_interface_free(iface);
}

static void
parse_errors_name_the_line(void)
{
	static const struct {
		const char	*text;
		const char	*expect;
	} cases[] = {
		{ "method X() -> ()\n", "line 1: expected 'interface'" },
		{ "interface nodots\n", "reverse-domain" },
		{ "interface a.b\n\nmethod X( -> ()\n", "line 3" },
		{ "interface a.b\nmethod x() -> ()\n", "capitalised" },
		{ "interface a.b\nmethod X(a: strin) -> ()\n", "expected a type" },
		{ "interface a.b\nmethod X(a: Nope) -> ()\n", "unknown type 'Nope'" },
		{ "interface a.b\nmethod X() -> ()\nmethod X() -> ()\n",
		    "line 3: duplicate name" },
		{ "interface a.b\nmethod X(a: int, a: int) -> ()\n",
		    "duplicate field" },
		{ "interface a.b\nmethod X() ()\n", "expected ->" },
		{ "interface a.b\nmethod X(a, b) -> ()\n", "not an enum" },
		{ "interface a.b\ntype T ??int\n", "expected a type" },
		{ "interface a.b\nwidget X\n", "expected 'type', 'method'" },
		{ "interface a.b\nmethod X(a: [int]string) -> ()\n", "']'" },
		{ "interface a.b\ntype A A\n", "'A' is defined in terms of itself" },
		{ "interface a.b\ntype A ?B\ntype B A\n", "in terms of itself" },
	};
	struct berth_error err = BERTH_ERROR_INIT;
	struct idl_interface *iface;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		iface = NULL;
		CHECK(idl_parse(cases[i].text, &iface, &err) == -1);
		CHECK(iface == NULL);
		if (strstr(berth_error_message(&err), cases[i].expect) ==
		    NULL) {
			fprintf(stderr, "# case %zu: '%s' lacks '%s'\n", i,
			    berth_error_message(&err), cases[i].expect);
			CHECK(0);
		}
	}
	berth_error_clear(&err);
}

static void
deep_nesting_refused(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct idl_interface *iface = NULL;
	char text[4096];
	size_t n;
	int i;

	/* A type nested 1000 deep would overflow the parser's stack. */
	n = (size_t)snprintf(text, sizeof(text), "interface a.b\ntype T ");
	for (i = 0; i < 1000 && n + 3 < sizeof(text); i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "[]");
	snprintf(text + n, sizeof(text) - n, "int\n");
	CHECK(idl_parse(text, &iface, &err) == -1);
	CHECK(strstr(berth_error_message(&err), "nested too deeply") != NULL);
	/* A struct may refer to itself through an optional field: values
	 * end where the data ends. */
	CHECK(idl_parse("interface a.b\ntype Node (next: ?Node)\n", &iface,
	    &err) == 0);
	idl_interface_free(iface);
	berth_error_clear(&err);
}

static void
builtin_descriptions_load(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const struct idl_interface *iface;
	const struct idl_method *m;
	struct idl_registry reg;

	idl_registry_init(&reg);
	CHECK(interfaces_load(&reg, &err) == 0);
	CHECK(idl_registry_method(&reg, "io.berth.Service.Ping", &iface, &m,
	    &err) == 0);
	CHECK(idl_registry_method(&reg, "io.berth.Service.Nope", &iface, &m,
	    &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_NO_METHOD));
	CHECK_STR(err.params[0].str, "io.berth.Service.Nope");
	CHECK(idl_registry_method(&reg, "io.berth.Nope.Ping", &iface, &m,
	    &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_NO_INTERFACE));
	CHECK_STR(err.params[0].str, "io.berth.Nope");
	CHECK(idl_registry_method(&reg, "Ping", &iface, &m, &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_NO_INTERFACE));
	/* The same interface twice is refused. */
	CHECK(idl_registry_add(&reg, berth_interfaces[0].text, &err) == -1);
	idl_registry_free(&reg);
	berth_error_clear(&err);
}

/* Validate Run's parameters built by fill; return the error or "". */
static char result[256];

static const char *
check_run(void (*fill)(msgpack_packer *))
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct idl_interface *iface = load_test();
	struct value v;

	value_begin(&v);
	fill(&v.pk);
	if (idl_validate(idl_interface_method(iface, "Run")->in,
	    value_end(&v), &err) == 0)
		snprintf(result, sizeof(result), "ok");
	else {
		CHECK(berth_error_is(&err, BERTH_E_INVALID_PARAM));
		CHECK(err.nparams == 1 && strcmp(err.params[0].key,
		    "parameter") == 0);
		snprintf(result, sizeof(result), "%s|%s", err.params[0].str,
		    berth_error_message(&err));
	}
	value_free(&v);
	idl_interface_free(iface);
	berth_error_clear(&err);
	return (result);
}

static void args1(msgpack_packer *pk)
{
	pack_str(pk, "args");
	msgpack_pack_array(pk, 1);
	pack_str(pk, "sh");
}

static void full_ok(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 9);
	args1(pk);
	pack_str(pk, "env");
	msgpack_pack_map(pk, 1);
	pack_kv_str(pk, "A", "1");
	pack_str(pk, "mounts");
	msgpack_pack_array(pk, 1);
	msgpack_pack_map(pk, 2);
	pack_kv_str(pk, "source", "/a");
	pack_kv_str(pk, "target", "/b");
	pack_kv_str(pk, "mode", "ro");
	pack_str(pk, "tty");
	msgpack_pack_true(pk);
	pack_str(pk, "memory");
	msgpack_pack_int(pk, -1);
	pack_str(pk, "cpus");
	msgpack_pack_int(pk, 2);		/* an int is a fine float */
	pack_str(pk, "extra");
	msgpack_pack_array(pk, 0);
	pack_str(pk, "limits");
	msgpack_pack_map(pk, 2);
	pack_str(pk, "soft");
	msgpack_pack_int(pk, 1);
	pack_str(pk, "hard");
	msgpack_pack_int(pk, 2);
}
static void unknown_top(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	args1(pk);
	pack_str(pk, "bogus");
	msgpack_pack_nil(pk);
}
static void optional_nil_ok(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	args1(pk);
	pack_str(pk, "env");
	msgpack_pack_nil(pk);
}
static void missing_required(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 0);
}
static void nil_required(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	pack_str(pk, "args");
	msgpack_pack_nil(pk);
}
static void wrong_type(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	pack_kv_str(pk, "args", "sh");
}
static void wrong_elem(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	pack_str(pk, "args");
	msgpack_pack_array(pk, 2);
	pack_str(pk, "sh");
	msgpack_pack_int(pk, 1);
}
static void nested_path(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	args1(pk);
	pack_str(pk, "mounts");
	msgpack_pack_array(pk, 2);
	msgpack_pack_map(pk, 2);
	pack_kv_str(pk, "source", "/a");
	pack_kv_str(pk, "target", "/b");
	msgpack_pack_map(pk, 2);
	pack_kv_str(pk, "source", "/a");
	pack_str(pk, "target");
	msgpack_pack_false(pk);
}
static void nested_missing(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	args1(pk);
	pack_str(pk, "mounts");
	msgpack_pack_array(pk, 1);
	msgpack_pack_map(pk, 1);
	pack_kv_str(pk, "source", "/a");
}
static void nested_unknown(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	args1(pk);
	pack_str(pk, "limits");
	msgpack_pack_map(pk, 3);
	pack_str(pk, "soft");
	msgpack_pack_int(pk, 1);
	pack_str(pk, "hard");
	msgpack_pack_int(pk, 2);
	pack_str(pk, "burst");
	msgpack_pack_int(pk, 3);
}
static void bad_enum(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	args1(pk);
	pack_kv_str(pk, "mode", "rx");
}
static void bad_map_value(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	args1(pk);
	pack_str(pk, "env");
	msgpack_pack_map(pk, 1);
	pack_str(pk, "PATH");
	msgpack_pack_int(pk, 1);
}
static void duplicate_key(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	args1(pk);
	args1(pk);
}
static void float_for_int(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	args1(pk);
	pack_str(pk, "memory");
	msgpack_pack_double(pk, 1.5);
}
static void int_key(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	msgpack_pack_int(pk, 1);
	msgpack_pack_int(pk, 1);
}

static void
every_invalid_parameter_case(void)
{
	CHECK_STR(check_run(full_ok), "ok");
	CHECK_STR(check_run(unknown_top), "bogus|unknown parameter 'bogus'");
	CHECK_STR(check_run(optional_nil_ok), "ok");
	CHECK_STR(check_run(missing_required),
	    "args|missing parameter 'args'");
	CHECK_STR(check_run(nil_required),
	    "args|parameter 'args': expected array, got null");
	CHECK_STR(check_run(wrong_type),
	    "args|parameter 'args': expected array, got string");
	CHECK_STR(check_run(wrong_elem),
	    "args[1]|parameter 'args[1]': expected string, got int");
	CHECK_STR(check_run(nested_path), "mounts[1].target|parameter "
	    "'mounts[1].target': expected string, got bool");
	CHECK_STR(check_run(nested_missing),
	    "mounts[0].target|missing parameter 'mounts[0].target'");
	CHECK_STR(check_run(nested_unknown),
	    "limits.burst|unknown parameter 'limits.burst'");
	CHECK_STR(check_run(bad_enum),
	    "mode|parameter 'mode': not one of the allowed values");
	CHECK_STR(check_run(bad_map_value), "env[\"PATH\"]|parameter "
	    "'env[\"PATH\"]': expected string, got int");
	CHECK_STR(check_run(duplicate_key), "args|parameter 'args' given "
	    "twice");
	CHECK_STR(check_run(float_for_int),
	    "memory|parameter 'memory': expected int, got float");
	CHECK(strncmp(check_run(int_key), "|", 1) == 0);
}

static void
absent_parameters_are_an_empty_map(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct idl_interface *iface = load_test();

	CHECK(idl_validate(idl_interface_method(iface, "Nothing")->in, NULL,
	    &err) == 0);
	CHECK(idl_validate(idl_interface_method(iface, "Run")->in, NULL,
	    &err) == -1);
	CHECK_STR(err.params[0].str, "args");
	idl_interface_free(iface);
	berth_error_clear(&err);
}

int
main(void)
{
	RUN(parses_every_type);
	RUN(parse_errors_name_the_line);
	RUN(deep_nesting_refused);
	RUN(builtin_descriptions_load);
	RUN(every_invalid_parameter_case);
	RUN(absent_parameters_are_an_empty_map);
	UNIT_EXIT();
}
