/*
 * Loading the built-in interface descriptions into a registry.
 */
#include <string.h>

#include "interfaces.h"

int
interfaces_load(struct idl_registry *reg, struct berth_error *err)
{
	const struct berth_interface_text *it;
	const struct idl_interface *iface;

	for (it = berth_interfaces; it->name != NULL; it++) {
		if (idl_registry_add(reg, it->text, err) < 0)
			return (berth_error_wrap(err, "protocol/%s.varlink",
			    it->name));
		iface = reg->interfaces[reg->ninterfaces - 1];
		if (strcmp(iface->name, it->name) != 0)
			return (berth_error_set(err, BERTH_E_BAD_DESCRIPTION,
			    0, "protocol/%s.varlink describes %s: the file "
			    "must be named for its interface", it->name,
			    iface->name));
	}
	return (0);
}
