/*
 * An OCI bundle's config.json read into the spawner's struct rt_spec.
 *
 * OCI configs are explicit: parsing starts from an empty spec and fills
 * exactly what the config says.  A field the spawner cannot honour is
 * refused with an error naming it ("linux.intelRdt is not supported"),
 * never ignored; an empty value ([] {} "" false 0 null, or an object of
 * only empty values) asks for nothing and is accepted.
 *
 * The second half of this header is shared by the config*.c files only.
 */
#ifndef BERTH_OCI_CONFIG_H
#define BERTH_OCI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"
#include "hooks.h"
#include "spec.h"
#include "strv.h"

struct oci_config {
	struct rt_spec	 spec;
	char		*bundle;	/* absolute */
	json_t		*annotations;	/* an object, never NULL once parsed */
	struct oci_hooks hooks;
	/* process.consoleSize, 0 when absent. */
	unsigned short	 console_height;
	unsigned short	 console_width;
	/* Ambient capabilities dropped because the kernel could not raise
	 * them (not both permitted and inheritable), to warn about. */
	uint64_t	 ambient_dropped;
	/* Properties outside the OCI spec, which runtimes must ignore (the
	 * spec's extensibility rule): named here to be warned about. */
	char		 ignored[512];
};

/* Read BUNDLE/config.json for container id.  bundle may be relative. */
int	oci_config_load(const char *bundle, const char *id,
	    struct oci_config *out, struct berth_error *err);
/* Parse config text; root.path is resolved against bundle (absolute). */
int	oci_config_parse(const char *text, size_t len, const char *bundle,
	    const char *id, struct oci_config *out, struct berth_error *err);
void	oci_config_free(struct oci_config *c);

/* An OCI process object (exec --process FILE) into p; where names it in
 * errors ("process").  p must be zeroed. */
int	oci_process_parse(json_t *j, const char *where, struct rt_process *p,
	    unsigned short *console_height, unsigned short *console_width,
	    struct berth_error *err);
void	oci_process_free(struct rt_process *p);

/* Read a whole file (bounded) into a NUL-terminated string. */
int	oci_read_file(const char *path, size_t max, char **out, size_t *len,
	    struct berth_error *err);

static inline void
oci_json_decrefp(json_t **j)
{
	if (*j != NULL)
		json_decref(*j);
}
#define cleanup_json	__attribute__((cleanup(oci_json_decrefp)))

/* --- shared by config*.c --- */

#define CFG_PATH_MAX	256
#define CFG_FILE_MAX	(4u << 20)	/* config.json, process.json */

struct cfg {
	struct oci_config	*out;		/* NULL for a lone process */
	struct rt_spec		*spec;
	struct rt_process	*process;
	unsigned short		*console_height;
	unsigned short		*console_width;
	void			*item;		/* the array element being
						   filled (a mount, a device) */
};

typedef int (*cfg_field_fn)(struct cfg *, json_t *, const char *,
    struct berth_error *);

struct cfg_field {
	const char	*key;
	cfg_field_fn	 parse;		/* NULL: refused unless empty */
	const char	*why;		/* appended to the refusal, or NULL */
};

/* Format a field's path ("mounts[2].options") into buf, truncating. */
void	cfg_path(char buf[CFG_PATH_MAX], const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Check obj is an object, then each key against fields (ending with
 * { NULL }): parse it, refuse it, or refuse it as unknown. */
int	cfg_walk(struct cfg *c, json_t *obj, const char *path,
	    const struct cfg_field *fields, struct berth_error *err);
/* Refuse value at path unless empty. */
int	cfg_refuse(json_t *value, const char *path, const char *why,
	    struct berth_error *err);
bool	cfg_is_empty(json_t *value);

int	cfg_string(json_t *v, const char *path, char **out,
	    struct berth_error *err);
/* A string that must be an absolute path. */
int	cfg_abs_path(json_t *v, const char *path, char **out,
	    struct berth_error *err);
int	cfg_string_array(json_t *v, const char *path, char ***out,
	    size_t *n, struct berth_error *err);
int	cfg_bool(json_t *v, const char *path, bool *out,
	    struct berth_error *err);
int	cfg_int64(json_t *v, const char *path, int64_t *out,
	    struct berth_error *err);
int	cfg_uint32(json_t *v, const char *path, uint32_t *out,
	    struct berth_error *err);
int	cfg_array(json_t *v, const char *path, struct berth_error *err);

/* config-process.c */
int	cfg_process(struct cfg *, json_t *, const char *,
	    struct berth_error *);
/* config-linux.c */
int	cfg_linux(struct cfg *, json_t *, const char *,
	    struct berth_error *);
/* config-resources.c */
int	cfg_resources(struct cfg *, json_t *, const char *,
	    struct berth_error *);
/* After linux.devices: let the container use them, and runc's default
 * devices, in the device cgroup. */
int	cfg_device_rules_finish(struct cfg *c, struct berth_error *err);
/* config-seccomp.c: the OCI seccomp object as the JSON text
 * seccomp_profile_from_json reads (Docker's format). */
int	cfg_seccomp(struct cfg *, json_t *, const char *,
	    struct berth_error *);
int	oci_seccomp_to_profile_json(json_t *oci, const char *path,
	    char **out, struct berth_error *err);

#endif
