/*
 * jansson to msgpack: objects become maps, integers ints, reals floats;
 * and back, for configs that arrive as msgpack.
 * Depth is bounded by what jansson parsed (the documents are the
 * store's, read with a size limit).
 */
#include <stdlib.h>
#include <string.h>

#include "json-pack.h"
#include "message.h"

void
json_pack_msgpack(msgpack_packer *pk, const json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	switch (json_typeof(j)) {
	case JSON_OBJECT:
		msgpack_pack_map(pk, json_object_size(j));
		json_object_foreach((json_t *)j, key, v) {
			pack_str(pk, key);
			json_pack_msgpack(pk, v);
		}
		break;
	case JSON_ARRAY:
		msgpack_pack_array(pk, json_array_size(j));
		json_array_foreach(j, i, v)
			json_pack_msgpack(pk, v);
		break;
	case JSON_STRING:
		msgpack_pack_str(pk, json_string_length(j));
		msgpack_pack_str_body(pk, json_string_value(j),
		    json_string_length(j));
		break;
	case JSON_INTEGER:
		msgpack_pack_int64(pk, json_integer_value(j));
		break;
	case JSON_REAL:
		msgpack_pack_double(pk, json_real_value(j));
		break;
	case JSON_TRUE:
		msgpack_pack_true(pk);
		break;
	case JSON_FALSE:
		msgpack_pack_false(pk);
		break;
	case JSON_NULL:
		msgpack_pack_nil(pk);
		break;
	}
}

/* msgpack to JSON, for configs (maps, arrays, strings, ints, bools). */
json_t *
msgpack_to_json(const msgpack_object *o)
{
	json_t *j;
	uint32_t i;

	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return (json_null());
	case MSGPACK_OBJECT_BOOLEAN:
		return (json_boolean(o->via.boolean));
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		return (json_integer((json_int_t)o->via.u64));
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return (json_integer(o->via.i64));
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return (json_real(o->via.f64));
	case MSGPACK_OBJECT_STR:
		return (json_stringn(o->via.str.ptr, o->via.str.size));
	case MSGPACK_OBJECT_ARRAY:
		if ((j = json_array()) == NULL)
			return (NULL);
		for (i = 0; i < o->via.array.size; i++)
			if (json_array_append_new(j, msgpack_to_json(
			    &o->via.array.ptr[i])) < 0) {
				json_decref(j);
				return (NULL);
			}
		return (j);
	case MSGPACK_OBJECT_MAP:
		if ((j = json_object()) == NULL)
			return (NULL);
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object_kv *kv = &o->via.map.ptr[i];
			char *k;

			if (kv->key.type != MSGPACK_OBJECT_STR ||
			    (k = strndup(kv->key.via.str.ptr,
			    kv->key.via.str.size)) == NULL) {
				json_decref(j);
				return (NULL);
			}
			if (json_object_set_new(j, k, msgpack_to_json(&kv->val)) < 0) {
				free(k);
				json_decref(j);
				return (NULL);
			}
			free(k);
		}
		return (j);
	default:
		return (NULL);
	}
}
