/*
 * Fuzz target for the interface description parser and the validator:
 * the input is parsed as a description and, when it parses, a few fixed
 * values and a few values shaped after each method's own fields are
 * validated against every method's input and output and every error's
 * parameters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "idl.h"
#include "message.h"

#define FUZZ_IDL_PROBES	8

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Fixed values, packed once at start-up. */
static msgpack_unpacked	 fixed[8];
static size_t		 nfixed;
/* Values a field gets in the values shaped after a method. */
static msgpack_unpacked	 probes[FUZZ_IDL_PROBES];
static size_t		 nprobes;
/* The bytes the values above point into, kept for good. */
static char		*bytes[sizeof(fixed) / sizeof(fixed[0]) + FUZZ_IDL_PROBES];
static size_t		 nbytes;

static void
add_value(msgpack_unpacked *to, size_t *n, void (*pack)(msgpack_packer *))
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t off = 0;
	char *copy;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	pack(&pk);
	/* The objects point into the bytes: keep a copy for good. */
	if (nbytes == sizeof(bytes) / sizeof(bytes[0]) ||
	    (copy = malloc(sb.size)) == NULL)
		abort();
	bytes[nbytes++] = copy;
	memcpy(copy, sb.data, sb.size);
	msgpack_unpacked_init(&to[*n]);
	if (msgpack_unpack_next(&to[*n], copy, sb.size, &off) !=
	    MSGPACK_UNPACK_SUCCESS)
		abort();
	(*n)++;
	msgpack_sbuffer_destroy(&sb);
}

static void
pack_nil(msgpack_packer *pk)
{
	msgpack_pack_nil(pk);
}

static void
pack_empty_map(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 0);
}

static void
pack_int(msgpack_packer *pk)
{
	msgpack_pack_int(pk, -7);
}

static void
pack_uint(msgpack_packer *pk)
{
	msgpack_pack_uint64(pk, 42);
}

static void
pack_string(msgpack_packer *pk)
{
	pack_str(pk, "a");
}

static void
pack_true(msgpack_packer *pk)
{
	msgpack_pack_true(pk);
}

static void
pack_float(msgpack_packer *pk)
{
	msgpack_pack_double(pk, 1.5);
}

static void
pack_array(msgpack_packer *pk)
{
	msgpack_pack_array(pk, 2);
	pack_str(pk, "a");
	msgpack_pack_map(pk, 1);
	pack_kv_str(pk, "a", "b");
}

static void
pack_nested_map(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	pack_str(pk, "a");
	msgpack_pack_array(pk, 1);
	msgpack_pack_int(pk, 1);
	pack_str(pk, "b");
	msgpack_pack_map(pk, 1);
	pack_str(pk, "a");
	pack_str(pk, "a");
}

static void
pack_params(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 3);
	pack_kv_str(pk, "payload", "x");
	pack_kv_str(pk, "a", "a");
	pack_str(pk, "interface");
	msgpack_pack_array(pk, 0);
}

static void
pack_bad_key(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	msgpack_pack_int(pk, 1);
	msgpack_pack_nil(pk);
}

static void
pack_dup_key(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	pack_kv_str(pk, "a", "a");
	pack_kv_str(pk, "a", "a");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	add_value(fixed, &nfixed, pack_nil);
	add_value(fixed, &nfixed, pack_empty_map);
	add_value(fixed, &nfixed, pack_params);
	add_value(fixed, &nfixed, pack_bad_key);
	add_value(fixed, &nfixed, pack_dup_key);
	add_value(fixed, &nfixed, pack_nested_map);
	add_value(probes, &nprobes, pack_nil);
	add_value(probes, &nprobes, pack_int);
	add_value(probes, &nprobes, pack_uint);
	add_value(probes, &nprobes, pack_string);
	add_value(probes, &nprobes, pack_true);
	add_value(probes, &nprobes, pack_float);
	add_value(probes, &nprobes, pack_array);
	add_value(probes, &nprobes, pack_nested_map);
	return (0);
}

static void
validate_one(const struct idl_type *t, const msgpack_object *v)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (idl_validate(t, v, &err) < 0 && !berth_error_isset(&err))
		abort();
	berth_error_clear(&err);
}

/* Fixed values, then a map giving every field of t one probe value. */
static void
validate_all(const struct idl_type *t)
{
	msgpack_object_kv kv[64];
	msgpack_object map;
	size_t i, p, n;

	validate_one(t, NULL);
	for (i = 0; i < nfixed; i++)
		validate_one(t, &fixed[i].data);
	if (t->kind != IDL_STRUCT || t->nfields == 0)
		return;
	n = t->nfields < 64 ? t->nfields : 64;
	for (p = 0; p < nprobes; p++) {
		for (i = 0; i < n; i++) {
			kv[i].key.type = MSGPACK_OBJECT_STR;
			kv[i].key.via.str.ptr = t->fields[i].name;
			kv[i].key.via.str.size = (uint32_t)strlen(
			    t->fields[i].name);
			kv[i].val = probes[p].data;
		}
		map.type = MSGPACK_OBJECT_MAP;
		map.via.map.size = (uint32_t)n;
		map.via.map.ptr = kv;
		validate_one(t, &map);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct idl_interface *iface;
	cleanup_free char *text = NULL;
	size_t i;

	if ((text = malloc(size + 1)) == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (idl_parse(text, &iface, &err) < 0) {
		if (!berth_error_isset(&err) || iface != NULL)
			abort();
		berth_error_clear(&err);
		return (0);
	}
	for (i = 0; i < iface->nmethods; i++) {
		if (idl_interface_method(iface, iface->methods[i].name) !=
		    &iface->methods[i])
			abort();
		validate_all(iface->methods[i].in);
		validate_all(iface->methods[i].out);
	}
	for (i = 0; i < iface->nerrors; i++)
		validate_all(iface->errors[i].params);
	idl_interface_free(iface);
	return (0);
}
