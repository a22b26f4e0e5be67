/*
 * The interface descriptions built into this binary (generated from
 * protocol/NAME.varlink by tools/embed-interfaces.sh).
 */
#ifndef BERTH_INTERFACES_H
#define BERTH_INTERFACES_H

#include "error.h"
#include "idl.h"

struct berth_interface_text {
	const char	*name;
	const char	*text;
};

/* Terminated by an entry whose name is NULL. */
extern const struct berth_interface_text berth_interfaces[];

/* Parse every built-in description into reg; fails on any bad one, naming
 * the file. */
int	interfaces_load(struct idl_registry *reg, struct berth_error *err);

#endif
