/*
 * JSON documents (jansson) as msgpack, for replies whose content comes
 * from image configs and manifests.
 */
#ifndef BERTHD_JSON_PACK_H
#define BERTHD_JSON_PACK_H

#include <jansson.h>
#include <msgpack.h>

void	json_pack_msgpack(msgpack_packer *pk, const json_t *j);
/* msgpack to JSON (maps with string keys, arrays, strings, numbers,
 * booleans, nil), or NULL. */
json_t	*msgpack_to_json(const msgpack_object *o);

#endif
