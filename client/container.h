/*
 * What the container commands share: calls built as JSON objects, the
 * parsers of Docker's option values (sizes, durations, times, ulimits,
 * binds), a flag parser for commands with more flags than struct args
 * holds, following a container's output, and its rows for "berth ps".
 */
#ifndef BERTH_CONTAINER_H
#define BERTH_CONTAINER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <msgpack.h>

#include "cli.h"
#include "format.h"

#define CONTAINER_E_NOT_FOUND	"io.berth.Container.NotFound"
#define CONTAINER_E_START	"io.berth.Container.StartFailed"

/* cmd-container-common.c: a call whose parameters are a JSON object
 * (NULL: none); flags are BERTH_CALL_*.  container_call sends and reads
 * the one reply: -1 with reply->error set for the daemon's error. */
int	container_send(struct berth_client *c, const char *method,
	    const json_t *params, unsigned flags, struct berth_error *err);
int	container_call(struct berth_client *c, const char *method,
	    const json_t *params, struct berth_reply *reply,
	    struct berth_error *err);
/* A failed call's exit, as image_fail: the daemon's error as Docker
 * words it, else a local failure. */
/* {"container": name} plus, when key is not NULL, key: value (stolen). */
json_t	*container_params(const char *name, const char *key, json_t *value);
/* Ask "[y/N]" on ctx->out after the warning; true for y or yes. */

/* Value parsers; -1 with a usage error (CLI_E_USAGE) in err. */
/* Docker's RAMInBytes: "512m", "1g", "1.5GB", "1024" (binary units). */
int	parse_ram_bytes(const char *s, int64_t *out, struct berth_error *err);
/* Go's time.ParseDuration, in nanoseconds: "10m", "1h30m", "1.5s". */
int	parse_go_duration(const char *s, int64_t *out, struct berth_error *err);
/* Docker's timetypes.GetTimestamp for --since and --until: a duration
 * before now, RFC 3339 (or its date-only and zone-less forms), or unix
 * seconds with an optional fraction; unix nanoseconds out. */
int	parse_log_time(const char *s, int64_t now_ns, int64_t *out,
	    struct berth_error *err);
/* "nofile=1024:2048" as {name, soft, hard}. */
json_t	*parse_ulimit(const char *s, struct berth_error *err);
/* --since/--until's value (NULL: none) as key in params, unix ns; -1
 * after printing the usage error. */
int	time_param(struct cmd_ctx *ctx, json_t *params, const char *key,
	    const char *value, int64_t now_ns);
/* -v as sent (berthd checks it); NULL for an empty one. */
char	*parse_bind(const char *s, struct berth_error *err);
/* --mount type=bind|volume|tmpfs,...: a Mount appended to mounts. */
int	parse_mount(const char *s, json_t *mounts, struct berth_error *err);
/* Signal names and numbers as Docker takes them: "KILL", "SIGKILL", "9". */
bool	signal_valid(const char *s);
/* Docker's logs timestamp: RFC3339Nano with 9 digits, in UTC. */
void	fmt_log_time(int64_t ns, char *buf, size_t size);

/* cmd-container-create.c: the Create call's parameters from run's or
 * create's flags and positional arguments ({"name"?, "config"}); with
 * getenv for "-e KEY" taken from the client's environment. */
json_t	*container_create_params(const struct args *a,
	    char *(*get_env)(const char *), struct berth_error *err);
/* -e and --env-file (getenv for "-e KEY") as a JSON array. */
json_t	*container_env(const struct args *a, char *(*get_env)(const char *),
	    struct berth_error *err);
/* Exec refused: the message, and Docker's exit code (126, 127 when
 * the command cannot run, else 125 or 1 as for other calls). */
int	container_exec_failed(struct cmd_ctx *ctx,
	    const struct berth_reply *reply, const struct berth_error *err);

/* cmd-container-logs.c: write each record of the Logs stream pending on
 * c (its stdout ones to out, stderr ones to err, with a timestamp when
 * timestamps) until its last reply.  While waiting, sigfd (or -1) is
 * polled too; on_signal is called with each signal read from it. */
int	container_follow(struct berth_client *c, FILE *out, FILE *errf,
	    bool timestamps, int sigfd, void (*on_signal)(int, void *),
	    void *arg, struct berth_error *err);
/* Wait until fd is readable, serving sigfd meanwhile as above. */
int	container_wait_readable(int fd, int sigfd,
	    void (*on_signal)(int, void *), void *arg,
	    struct berth_error *err);

/* Start failed: the message, Docker's exit code (126, 127, 125), and
 * with auto_remove the container removed. */
int	container_start_failed(struct cmd_ctx *ctx, const char *id,
	    bool auto_remove, const struct berth_reply *reply,
	    const struct berth_error *err);

/* cmd-container-attach.c: attaching while starting, as "run" and
 * "start -a" do: Wait(next_exit) on cw (a connection that has had a
 * reply already: the Wait must reach the daemon before Start), an Attach
 * session on a second connection, Start on a third once attached,
 * signals proxied with Kill.  The container's exit code; 0 when the
 * client detached; or 125 (126, 127 for StartFailed) after printing the
 * error.  With auto_remove, a container whose start failed is removed. */
#define CLI_E_START_FAILED	"io.berth.Client.StartFailed"

struct attach_opts {
	bool		 in;		/* send stdin */
	bool		 tty;		/* the container has a terminal */
	bool		 sig_proxy;
	const char	*detach_keys;	/* NULL: the daemon's default */
};

int	container_attach_start(struct cmd_ctx *ctx, struct berth_client *cw,
	    const char *id, bool auto_remove, const struct attach_opts *ao);

/* cmd-container-ps.c */
struct ps_filter;

int	ps_filter_parse(const char *const *values, int n,
	    struct ps_filter **out, struct berth_error *err);
void	ps_filter_free(struct ps_filter *f);
/* "berth ps" rows (ID, Image, Command, CreatedAt, RunningFor, Ports,
 * Status, Names, Labels, State, ...) from List's containers (a JSON
 * array of Summary), newest first, filtered, at most last (-1: all). */
json_t	*ps_rows(const json_t *containers, const struct ps_filter *filter,
	    bool no_trunc, int last, int64_t now, struct berth_error *err);
/* Docker's COMMAND column: quoted, and cut to 20 characters unless
 * no_trunc. */
char	*ps_command(const char *command, bool no_trunc);

#endif
