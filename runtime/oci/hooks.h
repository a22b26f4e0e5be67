/*
 * OCI hooks (config.json's "hooks"): parsed into struct oci_hooks and run
 * by berth-runtime at the points of the lifecycle the runtime spec names,
 * in the runtime's namespaces, each with the container's state JSON on
 * its standard input.
 *
 *   prestart, createRuntime	create, once the container's namespaces
 *				and filesystem exist and its process waits
 *				on the exec fifo; a failure aborts the
 *				create and removes the container
 *   poststart			start, once the process was let go; a
 *				failure is a warning
 *   poststop			delete, once the container is gone; a
 *				failure is a warning
 *
 * createContainer and startContainer run in the container's namespaces,
 * which berth-runtime cannot enter at the right moment (the spawner has
 * no step for it): they are refused by name.
 */
#ifndef BERTH_OCI_HOOKS_H
#define BERTH_OCI_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"

enum oci_hook_kind {
	OCI_HOOK_PRESTART,
	OCI_HOOK_CREATE_RUNTIME,
	OCI_HOOK_CREATE_CONTAINER,
	OCI_HOOK_START_CONTAINER,
	OCI_HOOK_POSTSTART,
	OCI_HOOK_POSTSTOP,
	OCI_HOOK_KINDS
};

#define OCI_HOOKS_MAX		64	/* of one kind */
#define OCI_HOOK_OUTPUT_MAX	4096	/* kept for an error message */

struct oci_hook {
	char		 *path;		/* absolute */
	char		**args;		/* NULL: { path } */
	char		**env;		/* NULL: berth-runtime's own */
	int		  timeout;	/* seconds; 0: none */
};

struct oci_hooks {
	struct oci_hook	*list[OCI_HOOK_KINDS];
	size_t		 n[OCI_HOOK_KINDS];
};

/* config.json's "hooks" object into h (zeroed by the caller); path names
 * it in errors. */
int	oci_hooks_parse(json_t *v, const char *path, struct oci_hooks *h,
	    struct berth_error *err);
/* Only the "hooks" of a config.json text (the one a container was
 * created with, for start and delete). */
int	oci_hooks_from_config(const char *text, size_t len,
	    struct oci_hooks *h, struct berth_error *err);
void	oci_hooks_free(struct oci_hooks *h);

const char *oci_hook_kind_name(enum oci_hook_kind kind);
/* false for the kinds refused (createContainer, startContainer). */
bool	oci_hook_kind_supported(enum oci_hook_kind kind);

/* Run the hooks of one kind in order, state (OCI state JSON) on each
 * one's stdin; the first that fails (exit status, signal, timeout) stops
 * the rest and is the error, with what it printed. */
int	oci_hooks_run(const struct oci_hooks *h, enum oci_hook_kind kind,
	    const json_t *state, struct berth_error *err);

#endif
