/*
 * The method table and the path of every call through it.
 */
#include <string.h>

#include "container.h"
#include "container-info.h"
#include "daemon.h"
#include "dispatch.h"
#include "events.h"
#include "frame.h"
#include "idl.h"
#include "image.h"
#include "log.h"
#include "network.h"
#include "peer.h"
#include "service.h"
#include "volume.h"

const struct method_entry dispatch_methods[] = {
	{ "io.berth.Container.Attach", container_api_attach, CALL_UPGRADE },
	{ "io.berth.Container.Create", container_api_create, 0 },
	{ "io.berth.Container.Diff", container_api_diff, 0 },
	{ "io.berth.Container.Export", container_api_export, 0 },
	{ "io.berth.Container.Exec", container_api_exec, CALL_UPGRADE },
	{ "io.berth.Container.Inspect", container_api_inspect, 0 },
	{ "io.berth.Container.Kill", container_api_kill, 0 },
	{ "io.berth.Container.List", container_api_list, 0 },
	{ "io.berth.Container.Logs", container_api_logs, 0 },
	{ "io.berth.Container.Pause", container_api_pause, 0 },
	{ "io.berth.Container.Port", container_api_port, 0 },
	{ "io.berth.Container.Remove", container_api_remove, 0 },
	{ "io.berth.Container.Prune", container_api_prune, 0 },
	{ "io.berth.Container.Rename", container_api_rename, 0 },
	{ "io.berth.Container.Unpause", container_api_unpause, 0 },
	{ "io.berth.Container.Start", container_api_start, 0 },
	{ "io.berth.Container.Stats", container_api_stats, 0 },
	{ "io.berth.Container.Stop", container_api_stop, 0 },
	{ "io.berth.Container.Top", container_api_top, 0 },
	{ "io.berth.Container.Wait", container_api_wait, 0 },
	{ "io.berth.Image.DiskUsage", image_disk_usage, 0 },
	{ "io.berth.Image.History", image_history, 0 },
	{ "io.berth.Image.Import", image_import, CALL_UPGRADE },
	{ "io.berth.Image.Inspect", image_inspect, 0 },
	{ "io.berth.Image.List", image_list, 0 },
	{ "io.berth.Image.Load", image_load, CALL_UPGRADE },
	{ "io.berth.Image.Prune", image_prune, 0 },
	{ "io.berth.Image.Remove", image_remove, 0 },
	{ "io.berth.Image.Save", image_save, 0 },
	{ "io.berth.Image.Tag", image_tag, 0 },
	{ "io.berth.Network.Connect", network_api_connect, 0 },
	{ "io.berth.Network.Create", network_api_create, 0 },
	{ "io.berth.Network.Disconnect", network_api_disconnect, 0 },
	{ "io.berth.Network.Inspect", network_api_inspect, 0 },
	{ "io.berth.Network.List", network_api_list, 0 },
	{ "io.berth.Network.Prune", network_api_prune, 0 },
	{ "io.berth.Network.Remove", network_api_remove, 0 },
	{ "io.berth.Service.Events", events_api_subscribe, 0 },
	{ "io.berth.Service.GetInfo", service_get_info, 0 },
	{ "io.berth.Service.GetInterfaceDescription",
	    service_get_interface_description, 0 },
	{ "io.berth.Service.GetStatus", service_get_status, 0 },
	{ "io.berth.Service.Ping", service_ping, 0 },
	{ "io.berth.Volume.Create", volume_api_create, 0 },
	{ "io.berth.Volume.Inspect", volume_api_inspect, 0 },
	{ "io.berth.Volume.List", volume_api_list, 0 },
	{ "io.berth.Volume.Prune", volume_api_prune, 0 },
	{ "io.berth.Volume.Remove", volume_api_remove, 0 },
	{ NULL, NULL, 0 },
};

static const struct method_entry *
find_entry(const struct method_entry *methods, const char *name)
{
	for (; methods->name != NULL; methods++)
		if (strcmp(methods->name, name) == 0)
			return (methods);
	return (NULL);
}

int
dispatch_check(const struct idl_registry *reg,
    const struct method_entry *methods, struct berth_error *err)
{
	const struct idl_interface *iface;
	const struct idl_method *m;
	const struct method_entry *e;
	char name[CALL_METHOD_MAX];
	size_t i, j;

	for (e = methods; e->name != NULL; e++)
		if (idl_registry_method(reg, e->name, &iface, &m, err) < 0)
			return (berth_error_wrap(err, "handler %s has no "
			    "description", e->name));
	for (i = 0; i < reg->ninterfaces; i++) {
		iface = reg->interfaces[i];
		for (j = 0; j < iface->nmethods; j++) {
			snprintf(name, sizeof(name), "%s.%s", iface->name,
			    iface->methods[j].name);
			if (find_entry(methods, name) == NULL)
				return (berth_error_set(err, BERTH_E_INTERNAL,
				    0, "method %s is described but has no "
				    "handler", name));
		}
	}
	return (0);
}

void
dispatch_frame(struct daemon *d, struct peer *p, const msgpack_object *root)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const struct idl_interface *iface;
	const struct method_entry *e;
	const struct idl_method *m;
	msgpack_sbuffer *sb = &d->scratch;
	msgpack_packer pk;
	struct call call;

	if (call_parse(root, &call, &err) < 0)
		goto fail;
	if (idl_registry_method(&d->registry, call.method, &iface, &m,
	    &err) < 0)
		goto fail;
	if (idl_validate(m->in, call.parameters, &err) < 0)
		goto fail;
	if ((e = find_entry(d->methods, call.method)) == NULL) {
		berth_error_set(&err, BERTH_E_INTERNAL, 0,
		    "no handler for %s", call.method);
		goto fail;
	}
	if ((call.flags & CALL_UPGRADE) && !(e->flags & CALL_UPGRADE)) {
		berth_error_set(&err, BERTH_E_INVALID_CALL, 0,
		    "%s does not upgrade the connection", call.method);
		berth_error_param_str(&err, "reason", "upgrade not supported");
		goto fail;
	}
	msgpack_sbuffer_clear(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	frame_begin(sb);
	reply_pack_head(&pk, false);
	switch (e->fn(d, p, &call, &pk, &err)) {
	case -1:
		goto fail;
	case DISPATCH_DEFERRED:
		return;		/* a session replies later */
	}
	if (call.flags & CALL_ONEWAY)
		return;
	if (frame_finish(sb, d->cfg.max_frame, &err) < 0)
		goto fail;
	peer_send(p, sb->data, sb->size);
	return;
fail:
	log_debug("call", "peer %llu: %s: %s", p->id, call.method,
	    berth_error_message(&err));
	if (!(call.flags & CALL_ONEWAY))
		peer_send_error(p, &err, false);
	berth_error_clear(&err);
}
