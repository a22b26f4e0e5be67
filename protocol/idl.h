/*
 * Interface descriptions: a small text IDL modelled on varlink's.
 *
 *	# A comment; the lines right above an item document it.
 *	interface io.berth.Service
 *
 *	type Info (vendor: string, interfaces: []string)
 *	method GetInfo() -> (vendor: string, interfaces: []string)
 *	method Ping(payload: ?string) -> (payload: ?string)
 *	error InterfaceNotFound (interface: string)
 *
 * Types: bool, int, float, string, object (anything), ?T (may be absent or
 * nil), []T (array), [string]T (map), (a, b, c) (enum of strings),
 * (name: T, ...) (struct), and named types declared with "type".
 *
 * The daemon checks every call's parameters against its method's input
 * before a handler runs; the text itself is served by
 * io.berth.Service.GetInterfaceDescription.
 */
#ifndef BERTH_IDL_H
#define BERTH_IDL_H

#include <stdbool.h>
#include <stddef.h>

#include <msgpack.h>

#include "error.h"

enum idl_kind {
	IDL_BOOL,
	IDL_INT,
	IDL_FLOAT,
	IDL_STRING,
	IDL_OBJECT,
	IDL_BYTES,
	IDL_ARRAY,
	IDL_MAP,
	IDL_ENUM,
	IDL_STRUCT,
	IDL_NAMED,
};

struct idl_field;

struct idl_type {
	enum idl_kind		 kind;
	bool			 optional;	/* ?T */
	struct idl_type		*elem;		/* array and map values */
	struct idl_field	*fields;	/* struct */
	size_t			 nfields;
	char			**values;	/* enum */
	size_t			 nvalues;
	char			*name;		/* named: the type's name */
	const struct idl_type	*target;	/* named: resolved */
};

struct idl_field {
	char			*name;
	struct idl_type		*type;
};

struct idl_method {
	char			*name;
	struct idl_type		*in;		/* a struct */
	struct idl_type		*out;		/* a struct */
};

struct idl_typedef {
	char			*name;
	struct idl_type		*type;
};

struct idl_errordef {
	char			*name;
	struct idl_type		*params;	/* a struct */
};

struct idl_interface {
	char			*name;
	char			*text;		/* the description as written */
	struct idl_method	*methods;
	size_t			 nmethods;
	struct idl_typedef	*types;
	size_t			 ntypes;
	struct idl_errordef	*errors;
	size_t			 nerrors;
};

struct idl_registry {
	struct idl_interface	**interfaces;
	size_t			 ninterfaces;
};

/* Parse one description; errors name the line and what was expected. */
int	idl_parse(const char *text, struct idl_interface **out,
	    struct berth_error *err);
void	idl_interface_free(struct idl_interface *iface);

const struct idl_method *idl_interface_method(const struct idl_interface *,
	    const char *name);
const struct idl_errordef *idl_interface_error(const struct idl_interface *,
	    const char *name);

/* A registry owns the interfaces added to it. */
void	idl_registry_init(struct idl_registry *reg);
void	idl_registry_free(struct idl_registry *reg);
int	idl_registry_add(struct idl_registry *reg, const char *text,
	    struct berth_error *err);
const struct idl_interface *idl_registry_interface(
	    const struct idl_registry *reg, const char *name);
/* Resolve "io.berth.Service.Ping": InterfaceNotFound or MethodNotFound. */
int	idl_registry_method(const struct idl_registry *reg,
	    const char *qualified, const struct idl_interface **iface,
	    const struct idl_method **method, struct berth_error *err);

/*
 * Check a value against a type.  A NULL value stands for an absent one
 * (an empty parameter map for structs).  On mismatch: InvalidParameter
 * with "parameter" set to the path of the offending value
 * ("mounts[2].source") and a message saying what was expected.
 */
int	idl_validate(const struct idl_type *type, const msgpack_object *value,
	    struct berth_error *err);

#endif
