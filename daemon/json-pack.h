/*
 * JSON documents (jansson) as msgpack, for replies whose content comes
 * from image configs and manifests.
 */
#ifndef BERTHD_JSON_PACK_H
#define BERTHD_JSON_PACK_H

#include <jansson.h>
#include <msgpack.h>

void	json_pack_msgpack(msgpack_packer *pk, const json_t *j);

#endif
