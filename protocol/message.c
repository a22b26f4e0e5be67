/*
 * Calls and replies: parsing decoded frames, packing heads and errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

bool
msgpack_str_eq(const msgpack_object *o, const char *s)
{
	size_t n = strlen(s);

	return (o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
	    memcmp(o->via.str.ptr, s, n) == 0);
}

bool
msgpack_str_copy(const msgpack_object *o, char *buf, size_t size)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_STR || o->via.str.size >= size)
		return (false);
	memcpy(buf, o->via.str.ptr, o->via.str.size);
	buf[o->via.str.size] = '\0';
	/* A NUL inside a name would make it mean two things. */
	return (memchr(buf, '\0', o->via.str.size) == NULL);
}

const msgpack_object *
msgpack_map_get(const msgpack_object *map, const char *key)
{
	uint32_t i;

	if (map == NULL || map->type != MSGPACK_OBJECT_MAP)
		return (NULL);
	for (i = 0; i < map->via.map.size; i++)
		if (msgpack_str_eq(&map->via.map.ptr[i].key, key))
			return (&map->via.map.ptr[i].val);
	return (NULL);
}

void
pack_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);

	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

void
pack_kv_str(msgpack_packer *pk, const char *key, const char *value)
{
	pack_str(pk, key);
	pack_str(pk, value);
}

static int
invalid_call(struct berth_error *err, const char *what)
{
	berth_error_set(err, BERTH_E_INVALID_CALL, 0, "invalid call: %s",
	    what);
	return (berth_error_param_str(err, "reason", what));
}

/* Parse an optional boolean flag of a call into flags. */
static int
call_flag(const msgpack_object *v, unsigned bit, unsigned *flags,
    struct berth_error *err, const char *name)
{
	char why[64];

	if (v->type == MSGPACK_OBJECT_NIL)
		return (0);
	if (v->type != MSGPACK_OBJECT_BOOLEAN) {
		snprintf(why, sizeof(why), "'%s' must be a boolean", name);
		return (invalid_call(err, why));
	}
	if (v->via.boolean)
		*flags |= bit;
	return (0);
}

int
call_parse(const msgpack_object *root, struct call *call,
    struct berth_error *err)
{
	const msgpack_object_kv *kv;
	bool have_method = false;
	uint32_t i;

	memset(call, 0, sizeof(*call));
	if (root->type != MSGPACK_OBJECT_MAP)
		return (invalid_call(err, "a call must be a map"));
	for (i = 0; i < root->via.map.size; i++) {
		kv = &root->via.map.ptr[i];
		if (msgpack_str_eq(&kv->key, "method")) {
			if (!msgpack_str_copy(&kv->val, call->method,
			    sizeof(call->method)) || call->method[0] == '\0')
				return (invalid_call(err, "'method' must be a "
				    "non-empty string of under 256 bytes"));
			have_method = true;
		} else if (msgpack_str_eq(&kv->key, "parameters")) {
			if (kv->val.type == MSGPACK_OBJECT_NIL)
				continue;
			if (kv->val.type != MSGPACK_OBJECT_MAP)
				return (invalid_call(err,
				    "'parameters' must be a map"));
			call->parameters = &kv->val;
		} else if (msgpack_str_eq(&kv->key, "more")) {
			if (call_flag(&kv->val, CALL_MORE, &call->flags, err,
			    "more") < 0)
				return (-1);
		} else if (msgpack_str_eq(&kv->key, "oneway")) {
			if (call_flag(&kv->val, CALL_ONEWAY, &call->flags, err,
			    "oneway") < 0)
				return (-1);
		} else if (msgpack_str_eq(&kv->key, "upgrade")) {
			if (call_flag(&kv->val, CALL_UPGRADE, &call->flags,
			    err, "upgrade") < 0)
				return (-1);
		} else
			return (invalid_call(err, "unknown key in call"));
	}
	if (!have_method)
		return (invalid_call(err, "'method' is missing"));
	if ((call->flags & CALL_ONEWAY) && (call->flags & CALL_MORE))
		return (invalid_call(err, "'oneway' and 'more' exclude each "
		    "other"));
	return (0);
}

/* Copy an error reply's parameters that are strings or integers. */
static void
error_params_from(struct berth_error *err, const msgpack_object *params)
{
	const msgpack_object_kv *kv;
	char key[64], *s;
	uint32_t i;

	if (params == NULL || params->type != MSGPACK_OBJECT_MAP)
		return;
	for (i = 0; i < params->via.map.size; i++) {
		kv = &params->via.map.ptr[i];
		if (!msgpack_str_copy(&kv->key, key, sizeof(key)))
			continue;
		if (kv->val.type == MSGPACK_OBJECT_STR) {
			s = strndup(kv->val.via.str.ptr, kv->val.via.str.size);
			if (s == NULL)
				continue;
			berth_error_param_str(err, key, s);
			free(s);
		} else if (kv->val.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
			berth_error_param_int(err, key,
			    (int64_t)kv->val.via.u64);
		else if (kv->val.type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
			berth_error_param_int(err, key, kv->val.via.i64);
	}
}

int
reply_parse(const msgpack_object *root, struct reply *r,
    struct berth_error *err)
{
	const msgpack_object *error, *v, *msg, *en;
	char name[BERTH_ERROR_NAME_MAX];
	char *text;

	memset(r, 0, sizeof(*r));
	if (root->type != MSGPACK_OBJECT_MAP)
		return (berth_error_set(err, BERTH_E_PROTOCOL, 0,
		    "reply is not a map"));
	v = msgpack_map_get(root, "parameters");
	if (v != NULL && v->type == MSGPACK_OBJECT_MAP)
		r->parameters = v;
	else if (v != NULL && v->type != MSGPACK_OBJECT_NIL)
		return (berth_error_set(err, BERTH_E_PROTOCOL, 0,
		    "reply parameters are not a map"));
	v = msgpack_map_get(root, "continues");
	r->continues = v != NULL && v->type == MSGPACK_OBJECT_BOOLEAN &&
	    v->via.boolean;
	error = msgpack_map_get(root, "error");
	if (error == NULL || error->type == MSGPACK_OBJECT_NIL)
		return (0);
	r->is_error = true;
	if (!msgpack_str_copy(error, name, sizeof(name)) || name[0] == '\0')
		return (berth_error_set(err, BERTH_E_PROTOCOL, 0,
		    "reply error name is not a non-empty string"));
	msg = msgpack_map_get(root, "message");
	text = NULL;
	if (msg != NULL && msg->type == MSGPACK_OBJECT_STR)
		text = strndup(msg->via.str.ptr, msg->via.str.size);
	berth_error_set(err, name, 0, "%s", text != NULL ? text : name);
	free(text);
	en = msgpack_map_get(root, "errno");
	if (en != NULL && en->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		err->errnum = (int)en->via.u64;
	error_params_from(err, r->parameters);
	return (-1);
}

void
call_pack_head(msgpack_packer *pk, const char *method, unsigned flags)
{
	size_t n = 2;

	n += (flags & CALL_MORE) != 0;
	n += (flags & CALL_ONEWAY) != 0;
	n += (flags & CALL_UPGRADE) != 0;
	msgpack_pack_map(pk, n);
	pack_kv_str(pk, "method", method);
	if (flags & CALL_MORE) {
		pack_str(pk, "more");
		msgpack_pack_true(pk);
	}
	if (flags & CALL_ONEWAY) {
		pack_str(pk, "oneway");
		msgpack_pack_true(pk);
	}
	if (flags & CALL_UPGRADE) {
		pack_str(pk, "upgrade");
		msgpack_pack_true(pk);
	}
	pack_str(pk, "parameters");
}

void
reply_pack_head(msgpack_packer *pk, bool continues)
{
	msgpack_pack_map(pk, continues ? 2 : 1);
	if (continues) {
		pack_str(pk, "continues");
		msgpack_pack_true(pk);
	}
	pack_str(pk, "parameters");
}

void
reply_pack_error(msgpack_packer *pk, const struct berth_error *err)
{
	const struct berth_error_param *p;
	int i;

	msgpack_pack_map(pk, err->errnum != 0 ? 4 : 3);
	pack_kv_str(pk, "error", err->name[0] != '\0' ? err->name :
	    BERTH_E_INTERNAL);
	pack_kv_str(pk, "message", berth_error_message(err));
	if (err->errnum != 0) {
		pack_str(pk, "errno");
		msgpack_pack_int(pk, err->errnum);
	}
	pack_str(pk, "parameters");
	msgpack_pack_map(pk, (size_t)err->nparams);
	for (i = 0; i < err->nparams; i++) {
		p = &err->params[i];
		pack_str(pk, p->key);
		if (p->str != NULL)
			pack_str(pk, p->str);
		else
			msgpack_pack_int64(pk, p->num);
	}
}
