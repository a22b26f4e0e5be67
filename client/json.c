/*
 * JSON <-> msgpack for the CLI, with jansson.
 *
 * JSON to msgpack: objects become maps with string keys, arrays arrays,
 * strings strings, integers integers (int64; jansson refuses larger ones),
 * reals float64, true/false booleans, null nil.
 *
 * msgpack to JSON: maps become objects; a key that is not a string is
 * turned into one (integers and floats in decimal, true/false/null by
 * name, bin as base64, anything else as compact JSON); a repeated key
 * keeps its last value.  Integers stay integers; an unsigned one above
 * INT64_MAX, which JSON tools cannot hold either, becomes a real.
 * float32 and float64 become reals, NaN and infinities null.  Strings
 * that are not valid UTF-8 have each bad byte replaced by U+FFFD.  bin
 * becomes a base64 string (RFC 4648, padded), ext an object
 * {"ext": TYPE, "data": BASE64}.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"

static char *
base64(const char *p, size_t len)
{
	static const char digits[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *in = (const uint8_t *)p;
	char *out, *o;
	uint32_t v;
	size_t i;

	if ((out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return (NULL);
	o = out;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*o++ = digits[v >> 18 & 63];
		*o++ = digits[v >> 12 & 63];
		*o++ = digits[v >> 6 & 63];
		*o++ = digits[v & 63];
	}
	if (i < len) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		*o++ = digits[v >> 18 & 63];
		*o++ = digits[v >> 12 & 63];
		*o++ = i + 1 < len ? digits[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return (out);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if none. */
static size_t
utf8_seq(const uint8_t *p, size_t n)
{
	uint32_t c;
	size_t len, i;

	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, c = p[0] & 0x07;
	else
		return (0);
	if (len > n)
		return (0);
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return (0);
	return (len);
}

/* A JSON string from bytes, repairing invalid UTF-8. */
static json_t *
string_from(const char *p, size_t len)
{
	static const char fffd[] = "\xef\xbf\xbd";
	cleanup_free char *fixed = NULL;
	const uint8_t *in = (const uint8_t *)p;
	size_t i, n, o = 0;
	json_t *j;

	if ((j = json_stringn(p, len)) != NULL)
		return (j);
	if ((fixed = malloc(len * 3 + 1)) == NULL)
		return (NULL);
	for (i = 0; i < len; i += n) {
		if ((n = utf8_seq(in + i, len - i)) == 0) {
			memcpy(fixed + o, fffd, 3);
			o += 3;
			n = 1;
		} else {
			memcpy(fixed + o, p + i, n);
			o += n;
		}
	}
	return (json_stringn(fixed, o));
}

static json_t *
integer_from_u64(uint64_t u)
{
	if (u > INT64_MAX)
		return (json_real((double)u));
	return (json_integer((json_int_t)u));
}

static json_t *
real_from(double d)
{
	if (!isfinite(d))
		return (json_null());
	return (json_real(d));
}

static json_t *
binary_from(const char *p, size_t len)
{
	cleanup_free char *b = base64(p, len);

	return (b != NULL ? json_string(b) : NULL);
}

/* A map key as a string (see the top of the file). */
static char *
key_string(const msgpack_object *k, size_t *len, struct berth_error *err)
{
	cleanup_json json_t *j = NULL;
	char *s = NULL;

	switch (k->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (asprintf(&s, "%ju", (uintmax_t)k->via.u64) < 0)
			s = NULL;
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		if (asprintf(&s, "%jd", (intmax_t)k->via.i64) < 0)
			s = NULL;
		break;
	case MSGPACK_OBJECT_BIN:
		s = base64(k->via.bin.ptr, k->via.bin.size);
		break;
	default:
		if ((j = jsonmp_from_msgpack(k, err)) == NULL)
			return (NULL);
		if (json_is_string(j)) {
			*len = json_string_length(j);
			if ((s = malloc(*len + 1)) != NULL)
				memcpy(s, json_string_value(j), *len + 1);
			if (s == NULL)
				berth_error_sys(err, "allocate");
			return (s);
		}
		s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		break;
	}
	if (s == NULL)
		berth_error_sys(err, "allocate");
	else
		*len = strlen(s);
	return (s);
}

static json_t *
object_from(const msgpack_object_map *map, struct berth_error *err)
{
	cleanup_json json_t *obj = json_object();
	const msgpack_object_kv *kv;
	cleanup_free char *key = NULL;
	json_t *v;
	size_t len = 0;
	uint32_t i;

	if (obj == NULL)
		return (NULL);
	for (i = 0; i < map->size; i++) {
		kv = &map->ptr[i];
		free(steal_pointer(&key));
		if ((key = key_string(&kv->key, &len, err)) == NULL)
			return (NULL);
		if ((v = jsonmp_from_msgpack(&kv->val, err)) == NULL)
			return (NULL);
		if (json_object_setn_new(obj, key, len, v) < 0) {
			berth_error_set(err, BERTH_E_INTERNAL, 0,
			    "cannot use '%s' as a JSON key", key);
			return (NULL);
		}
	}
	return (steal_pointer(&obj));
}

static json_t *
array_from(const msgpack_object_array *a, struct berth_error *err)
{
	cleanup_json json_t *arr = json_array();
	json_t *v;
	uint32_t i;

	if (arr == NULL)
		return (NULL);
	for (i = 0; i < a->size; i++) {
		if ((v = jsonmp_from_msgpack(&a->ptr[i], err)) == NULL)
			return (NULL);
		if (json_array_append_new(arr, v) < 0)
			return (NULL);
	}
	return (steal_pointer(&arr));
}

static json_t *
ext_from(const msgpack_object_ext *e)
{
	cleanup_json json_t *obj = json_object();

	if (obj == NULL ||
	    json_object_set_new(obj, "ext", json_integer(e->type)) < 0 ||
	    json_object_set_new(obj, "data",
	    binary_from(e->ptr, e->size)) < 0)
		return (NULL);
	return (steal_pointer(&obj));
}

json_t *
jsonmp_from_msgpack(const msgpack_object *o, struct berth_error *err)
{
	json_t *j = NULL;

	if (o == NULL) {
		berth_error_set(err, BERTH_E_PROTOCOL, 0, "the reply lacks "
		    "the value asked for");
		return (NULL);
	}
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		j = json_null();
		break;
	case MSGPACK_OBJECT_BOOLEAN:
		j = json_boolean(o->via.boolean);
		break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		j = integer_from_u64(o->via.u64);
		break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		j = json_integer((json_int_t)o->via.i64);
		break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		j = real_from(o->via.f64);
		break;
	case MSGPACK_OBJECT_STR:
		j = string_from(o->via.str.ptr, o->via.str.size);
		break;
	case MSGPACK_OBJECT_BIN:
		j = binary_from(o->via.bin.ptr, o->via.bin.size);
		break;
	case MSGPACK_OBJECT_EXT:
		j = ext_from(&o->via.ext);
		break;
	case MSGPACK_OBJECT_ARRAY:
		j = array_from(&o->via.array, err);
		break;
	case MSGPACK_OBJECT_MAP:
		j = object_from(&o->via.map, err);
		break;
	}
	if (j == NULL && !berth_error_isset(err))
		berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "cannot convert a msgpack value of type %d to JSON",
		    (int)o->type);
	return (j);
}

int
jsonmp_to_msgpack(const json_t *j, msgpack_packer *pk,
    struct berth_error *err)
{
	const char *key;
	json_t *v;
	size_t i, n;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		msgpack_pack_map(pk, json_object_size(j));
		json_object_foreach((json_t *)j, key, v) {
			/* Keys may hold NULs (JSON_ALLOW_NUL). */
			n = json_object_iter_key_len(
			    json_object_key_to_iter(key));
			msgpack_pack_str(pk, n);
			msgpack_pack_str_body(pk, key, n);
			if (jsonmp_to_msgpack(v, pk, err) < 0)
				return (-1);
		}
		return (0);
	case JSON_ARRAY:
		msgpack_pack_array(pk, json_array_size(j));
		json_array_foreach(j, i, v)
			if (jsonmp_to_msgpack(v, pk, err) < 0)
				return (-1);
		return (0);
	case JSON_STRING:
		msgpack_pack_str(pk, json_string_length(j));
		msgpack_pack_str_body(pk, json_string_value(j),
		    json_string_length(j));
		return (0);
	case JSON_INTEGER:
		msgpack_pack_int64(pk, (int64_t)json_integer_value(j));
		return (0);
	case JSON_REAL:
		msgpack_pack_double(pk, json_real_value(j));
		return (0);
	case JSON_TRUE:
		msgpack_pack_true(pk);
		return (0);
	case JSON_FALSE:
		msgpack_pack_false(pk);
		return (0);
	case JSON_NULL:
		msgpack_pack_nil(pk);
		return (0);
	}
	return (berth_error_set(err, BERTH_E_INTERNAL, 0,
	    "unknown JSON type %d", (int)json_typeof(j)));
}

int
jsonmp_pack_text(const char *text, size_t len, msgpack_packer *pk,
    struct berth_error *err)
{
	cleanup_json json_t *j = NULL;
	json_error_t jerr;

	j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
	    &jerr);
	if (j == NULL)
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "invalid JSON at line %d column %d: %s", jerr.line,
		    jerr.column, jerr.text));
	if (!json_is_object(j))
		return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "parameters must be a JSON object"));
	return (jsonmp_to_msgpack(j, pk, err));
}

int
jsonmp_print(FILE *f, const json_t *j, struct berth_error *err)
{
	if (json_dumpf(j, f, JSON_INDENT(2) | JSON_ENCODE_ANY) < 0 ||
	    fputc('\n', f) == EOF || fflush(f) == EOF)
		return (berth_error_sys(err, "write JSON"));
	return (0);
}

/* Accessors for replies turned into JSON. */

const json_t *
json_at(const json_t *o, const char *k1, const char *k2)
{
	const json_t *v = json_object_get(o, k1);

	return (k2 != NULL ? json_object_get(v, k2) : v);
}

const char *
json_str_at(const json_t *o, const char *k1, const char *k2)
{
	const char *s = json_string_value(json_at(o, k1, k2));

	return (s != NULL ? s : "");
}

const char *
json_str(const json_t *o, const char *key)
{
	return (json_str_at(o, key, NULL));
}

json_t *
json_array_at(const json_t *o, const char *k1, const char *k2)
{
	const json_t *a = json_at(o, k1, k2);

	return (json_is_array(a) ? json_deep_copy(a) : json_array());
}

json_t *
json_strings(const char *const *v, int n)
{
	json_t *a = json_array();
	int i;

	for (i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return (NULL);
		}
	return (a);
}
