/*
 * berth-runtime's shared declarations: the command table and its entries,
 * parsed arguments, the context every command runs in (the global
 * options), and the helpers the command files share.
 *
 * A command is one entry (name, flags, usage, handler) in cmd_table
 * (main.c); its handler lives in a cmd-*.c file.  The command line
 * follows runc's: global options, the command, its flags and arguments.
 */
#ifndef BERTH_OCI_H
#define BERTH_OCI_H

#include <sys/types.h>
#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "args.h"
#include "config.h"
#include "error.h"

#define OCI_NAME		"berth-runtime"
#define OCI_DEFAULT_ROOT	"/run/berth-runtime"
#define OCI_VERSION		"1.2.0"		/* runtime-spec we follow */

#define OCI_EXIT_OK		0
#define OCI_EXIT_FAILURE	1

/* Error names of berth-runtime. */
#define OCI_E_USAGE		"io.berth.Runtime.InvalidUsage"
#define OCI_E_NOT_FOUND		"io.berth.Runtime.ContainerNotFound"
#define OCI_E_EXISTS		"io.berth.Runtime.ContainerExists"
#define OCI_E_STATE		"io.berth.Runtime.InvalidState"

enum oci_log_format {
	OCI_LOG_TEXT,
	OCI_LOG_JSON,
};

/* The global options, passed to every command. */
struct oci_ctx {
	const char		*root;		/* state directory */
	FILE			*log;		/* --log, or NULL */
	enum oci_log_format	 log_format;
	bool			 debug;
};

struct oci_cmd {
	const char		*name;
	const char		*usage;		/* after "berth-runtime NAME " */
	const char		*summary;
	const struct args_flag	*flags;		/* ends with { NULL } */
	int			 args_min;
	int			 args_max;	/* -1: no limit */
	/* Flags end at the first positional argument (exec ID CMD -x). */
	bool			 flags_first;
	/* Returns the exit status. */
	int			(*exec)(struct oci_ctx *,
				    const struct args *);
};

/* report.c: errors and debug lines, on stderr and in --log. */
int	oci_fail(struct oci_ctx *ctx, const struct berth_error *err);
int	oci_failf(struct oci_ctx *ctx, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A line on stderr and in --log that is not a failure. */
void	oci_warn(struct oci_ctx *ctx, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	oci_debug(struct oci_ctx *ctx, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Print j as indented JSON with a newline. */
int	oci_print_json(FILE *f, const json_t *j, size_t indent,
	    struct berth_error *err);
/* Write "PID" (no newline, as runc) to path, atomically. */
int	oci_write_pid_file(const char *path, pid_t pid,
	    struct berth_error *err);

/* The commands, one entry each in cmd-*.c, listed in main.c. */
extern const struct oci_cmd cmd_create_entry;
extern const struct oci_cmd cmd_delete_entry;
extern const struct oci_cmd cmd_exec_entry;
extern const struct oci_cmd cmd_features_entry;
extern const struct oci_cmd cmd_kill_entry;
extern const struct oci_cmd cmd_list_entry;
extern const struct oci_cmd cmd_pause_entry;
extern const struct oci_cmd cmd_ps_entry;
extern const struct oci_cmd cmd_resume_entry;
extern const struct oci_cmd cmd_run_entry;
extern const struct oci_cmd cmd_spec_entry;
extern const struct oci_cmd cmd_start_entry;
extern const struct oci_cmd cmd_state_entry;

/* A container ID argument checked, or an error printed: the ID or
 * NULL. */
const char *oci_arg_id(struct oci_ctx *ctx, const struct args *args);

#endif
