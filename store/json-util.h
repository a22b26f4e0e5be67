/*
 * jansson documents freed when their scope ends, for the store's
 * manifests, configs and indexes (and berthd's image calls).
 */
#ifndef BERTH_STORE_JSON_UTIL_H
#define BERTH_STORE_JSON_UTIL_H

#include <jansson.h>

static inline void
cleanup_jsonp(json_t **j)
{
	if (*j != NULL)
		json_decref(*j);
}
#define cleanup_json	__attribute__((cleanup(cleanup_jsonp)))

#endif
