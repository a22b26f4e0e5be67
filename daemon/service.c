/*
 * io.berth.Service handlers.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "message.h"
#include "service.h"

int
service_get_info(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	size_t i;

	(void)p;
	(void)call;
	(void)err;
	msgpack_pack_map(pk, 5);
	pack_kv_str(pk, "vendor", "berth");
	pack_kv_str(pk, "product", "berthd");
	pack_kv_str(pk, "version", BERTH_VERSION);
	pack_kv_str(pk, "url", BERTH_URL);
	pack_str(pk, "interfaces");
	msgpack_pack_array(pk, d->registry.ninterfaces);
	for (i = 0; i < d->registry.ninterfaces; i++)
		pack_str(pk, d->registry.interfaces[i]->name);
	return (0);
}

int
service_get_interface_description(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err)
{
	const struct idl_interface *iface = NULL;
	char name[CALL_METHOD_MAX];
	const msgpack_object *v;

	(void)p;
	/* Checked against the description: a string is there. */
	v = msgpack_map_get(call->parameters, "interface");
	if (msgpack_str_copy(v, name, sizeof(name)))
		iface = idl_registry_interface(&d->registry, name);
	else
		snprintf(name, sizeof(name), "%.*s", (int)v->via.str.size,
		    v->via.str.ptr);
	if (iface == NULL) {
		berth_error_set(err, BERTH_E_NO_INTERFACE, 0,
		    "interface %s not found", name);
		return (berth_error_param_str(err, "interface", name));
	}
	msgpack_pack_map(pk, 1);
	pack_kv_str(pk, "description", iface->text);
	return (0);
}

int
service_ping(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *v;

	(void)d;
	(void)p;
	(void)err;
	v = msgpack_map_get(call->parameters, "payload");
	if (v == NULL || v->type != MSGPACK_OBJECT_STR) {
		msgpack_pack_map(pk, 0);
		return (0);
	}
	msgpack_pack_map(pk, 1);
	pack_str(pk, "payload");
	msgpack_pack_object(pk, *v);
	return (0);
}

int
service_get_status(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	(void)p;
	(void)call;
	(void)err;
	msgpack_pack_map(pk, 7);
	pack_str(pk, "pid");
	msgpack_pack_int64(pk, (int64_t)getpid());
	pack_kv_str(pk, "socket", d->nlisteners > 0 ? d->listeners[0].path :
	    "");
	pack_kv_str(pk, "root", d->cfg.root);
	pack_kv_str(pk, "run_root", d->cfg.run_root);
	pack_str(pk, "connections");
	msgpack_pack_uint64(pk, d->npeers);
	pack_str(pk, "uptime_seconds");
	msgpack_pack_int64(pk, (int64_t)(time(NULL) - d->started));
	pack_str(pk, "max_frame");
	msgpack_pack_uint64(pk, d->cfg.max_frame);
	return (0);
}
