/*
 * io.berth.Container's calls.  Create keeps the config as the client sent
 * it (msgpack turned to JSON, checked by the IDL already); Wait, Stop and
 * Remove of a running container answer once the container has exited.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "json-pack.h"
#include "json-util.h"
#include "log.h"
#include "message.h"
#include "network.h"
#include "peer.h"
#include "prune.h"
#include "reference.h"
#include "strv.h"
#include "volume.h"

static int
param_container(const struct call *call, char *buf, size_t size,
    struct berth_error *err)
{
	if (!msgpack_str_copy(msgpack_map_get(call->parameters, "container"),
	    buf, size)) {
		berth_error_set(err, BERTH_E_INVALID_PARAM, 0, "parameter "
		    "'container': at most %zu bytes", size - 1);
		return (berth_error_param_str(err, "parameter", "container"));
	}
	return (0);
}

static int
find(struct daemon *d, const struct call *call, struct container **c,
    struct berth_error *err)
{
	char name[256];

	if (param_container(call, name, sizeof(name), err) < 0)
		return (-1);
	return (container_find(d, name, c, err));
}

static const char *
param_str(const struct call *call, const char *key, char *buf, size_t size)
{
	const msgpack_object *v = msgpack_map_get(call->parameters, key);

	if (v == NULL || !msgpack_str_copy(v, buf, size))
		return (NULL);
	return (buf);
}

int
container_api_create(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err)
{
	cleanup_json json_t *config = NULL;
	struct container *c;
	char name[CTR_NAME_MAX + 2];
	const char *n;

	(void)p;
	n = param_str(call, "name", name, sizeof(name));
	if (n == NULL && msgpack_map_get(call->parameters, "name") != NULL &&
	    msgpack_map_get(call->parameters, "name")->type ==
	    MSGPACK_OBJECT_STR) {
		berth_error_set(err, CTR_E_INVALID_NAME, 0, "invalid container "
		    "name: longer than %d characters", CTR_NAME_MAX);
		return (berth_error_param_str(err, "name", ""));
	}
	if (n != NULL && n[0] == '/')
		n++;
	config = msgpack_to_json(msgpack_map_get(call->parameters, "config"));
	if (config == NULL) {
		berth_error_set(err, CTR_E_CONFIG, 0, "config: not "
		    "representable");
		return (berth_error_param_str(err, "field", "config"));
	}
	if (container_create(d, n, config, &c, err) < 0)
		return (-1);
	msgpack_pack_map(pk, 2);
	pack_kv_str(pk, "id", c->id);
	pack_str(pk, "warnings");
	msgpack_pack_array(pk, 0);
	return (0);
}

int
container_api_start(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err)
{
	struct container *c;
	int rc;

	if (find(d, call, &c, err) < 0)
		return (-1);
	/* Running already: nothing to do (Docker's "not modified"); being
	 * started: this call waits for it too. */
	if (c->state == CTR_RUNNING && !c->removing) {
		msgpack_pack_map(pk, 0);
		return (0);
	}
	if (c->start != NULL)
		return (container_start_wait(c, p, err));
	/* A start asked for: the policy counts afresh (Docker's
	 * ResetRestartManager), and a manual stop no longer holds. */
	c->restart_count = 0;
	c->restart_delay_ms = 0;
	container_set_manually_stopped(c, false);
	if (container_start(c, err) < 0)
		return (-1);
	/* The reply once it runs, or why it does not. */
	if ((rc = container_start_wait(c, p, err)) != 0)
		return (rc);
	msgpack_pack_map(pk, 0);
	return (0);
}

static void
pack_exit(msgpack_packer *pk, struct container *c)
{
	msgpack_pack_map(pk, c->error != NULL ? 2 : 1);
	pack_str(pk, "exit_code");
	msgpack_pack_int(pk, c->exit_code);
	if (c->error != NULL)
		pack_kv_str(pk, "error", c->error);
}

int
container_api_wait(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *v = msgpack_map_get(call->parameters,
	    "condition");
	enum ctr_wait_cond cond = WAIT_NOT_RUNNING;
	struct container *c;
	int rc;

	if (v != NULL && msgpack_str_eq(v, "next_exit"))
		cond = WAIT_NEXT_EXIT;
	else if (v != NULL && msgpack_str_eq(v, "removed"))
		cond = WAIT_REMOVED;
	if (find(d, call, &c, err) < 0)
		return (-1);
	if ((rc = container_wait(c, p, cond, false, err)) != 0)
		return (rc);
	pack_exit(pk, c);
	return (0);
}

static int
param_signal(const struct call *call, int def, int *sig,
    struct berth_error *err)
{
	char buf[64];

	if (msgpack_map_get(call->parameters, "signal") == NULL ||
	    msgpack_map_get(call->parameters, "signal")->type ==
	    MSGPACK_OBJECT_NIL) {
		*sig = def;
		return (0);
	}
	if (param_str(call, "signal", buf, sizeof(buf)) == NULL)
		return (signal_parse("(too long)", sig, err));
	return (signal_parse(buf, sig, err));
}

int
container_api_stop(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *t = msgpack_map_get(call->parameters,
	    "timeout");
	struct container *c;
	int sig, timeout, rc;
	bool pending;

	if (find(d, call, &c, err) < 0 ||
	    param_signal(call, container_stop_signal(c), &sig, err) < 0)
		return (-1);
	/* -1 (any negative): no SIGKILL, wait as long as it takes. */
	timeout = t != NULL && t->type == MSGPACK_OBJECT_POSITIVE_INTEGER ?
	    (int)t->via.u64 : t != NULL && t->type ==
	    MSGPACK_OBJECT_NEGATIVE_INTEGER ? -1 : container_stop_timeout(c);
	/* Stopped by hand: its restart policy waits for a start; a start
	 * in progress is abandoned. */
	container_set_manually_stopped(c, true);
	pending = c->start != NULL;
	container_start_cancel(c, "it was stopped");
	if ((container_cancel_restart(c) || pending) &&
	    container_save(c, err) < 0)
		return (-1);
	if (c->state == CTR_RUNNING) {
		if (container_stop(c, timeout, sig, err) < 0)
			return (-1);
		if ((rc = container_wait(c, p, WAIT_NOT_RUNNING, true,
		    err)) != 0)
			return (rc);
	}
	msgpack_pack_map(pk, 0);
	return (0);
}

int
container_api_kill(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	struct container *c;
	int sig;

	(void)p;
	if (find(d, call, &c, err) < 0 ||
	    param_signal(call, SIGKILL, &sig, err) < 0)
		return (-1);
	/* Waiting to restart, or being started: killing it is stopping
	 * it (Docker). */
	if (container_restarting(c) || c->start != NULL) {
		container_cancel_restart(c);
		container_start_cancel(c, "it was killed");
		container_set_manually_stopped(c, true);
		if (container_save(c, err) < 0)
			return (-1);
		msgpack_pack_map(pk, 0);
		return (0);
	}
	if (c->state == CTR_RUNNING && !c->paused &&
	    (sig == SIGKILL || sig == SIGTERM || sig == SIGINT))
		container_set_manually_stopped(c, true);
	if (container_signal(c, sig, err) < 0)
		return (-1);
	msgpack_pack_map(pk, 0);
	return (0);
}

static int
pause_call(struct daemon *d, const struct call *call, bool pause,
    msgpack_packer *pk, struct berth_error *err)
{
	struct container *c;

	if (find(d, call, &c, err) < 0 || container_pause(c, pause, err) < 0)
		return (-1);
	msgpack_pack_map(pk, 0);
	return (0);
}

int
container_api_pause(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err)
{
	(void)p;
	return (pause_call(d, call, true, pk, err));
}

int
container_api_unpause(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err)
{
	(void)p;
	return (pause_call(d, call, false, pk, err));
}

int
container_api_remove(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *f = msgpack_map_get(call->parameters, "force");
	const msgpack_object *v = msgpack_map_get(call->parameters,
	    "volumes");
	struct container *c;
	int rc;

	if (find(d, call, &c, err) < 0)
		return (-1);
	if (v != NULL && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean)
		c->remove_volumes = true;
	rc = container_remove(c, f != NULL && f->type ==
	    MSGPACK_OBJECT_BOOLEAN && f->via.boolean, err);
	if (rc < 0)
		return (-1);
	if (rc == 1)	/* killed: answered once removed */
		return (container_wait(c, p, WAIT_REMOVED, true, err));
	msgpack_pack_map(pk, 0);
	return (0);
}

/* Docker's container prune: the stopped ones, their files removed and
 * measured by helpers (prune.h). */
int
container_api_prune(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err)
{
	cleanup_json json_t *deleted = json_array();
	struct container *c, *next;
	char **trash = NULL, dir[4096];
	size_t n = 0, ntrash = 0;
	int rc;

	(void)call;
	TAILQ_FOREACH(c, &d->containers, entry)
		n++;
	if (deleted == NULL || (trash = calloc(n + 1, sizeof(*trash))) ==
	    NULL || containers_dir(d, dir, sizeof(dir)) < 0) {
		free(trash);
		return (berth_error_sys(err, "prune containers"));
	}
	for (c = TAILQ_FIRST(&d->containers); c != NULL; c = next) {
		cleanup_error struct berth_error e2 = BERTH_ERROR_INIT;
		char id[CTR_ID_LEN + 1], t[CTR_TRASH_MAX];

		next = TAILQ_NEXT(c, entry);
		memcpy(id, c->id, sizeof(id));
		/* Running, starting or restarting: skipped; c is gone after
		 * a removal. */
		if (container_remove_aside(c, t, &e2) < 0) {
			if (!berth_error_is(&e2, CTR_E_RUNNING))
				log_warn("container", "prune: %s",
				    berth_error_message(&e2));
			continue;
		}
		json_array_append_new(deleted, json_string(id));
		prune_add_trash(trash, &ntrash, "container", t);
	}
	rc = prune_reply(d, p, "container", dir, deleted, trash, ntrash, pk);
	strv_free(trash);
	return (rc);
}

/* ---- List, Inspect ------------------------------------------------- */

/* Docker's units.HumanDuration. */
static void
human_duration(int64_t secs, char *buf, size_t size)
{
	if (secs < 1)
		snprintf(buf, size, "Less than a second");
	else if (secs == 1)
		snprintf(buf, size, "1 second");
	else if (secs < 60)
		snprintf(buf, size, "%lld seconds", (long long)secs);
	else if (secs / 60 == 1)
		snprintf(buf, size, "About a minute");
	else if (secs < 3600)
		snprintf(buf, size, "%lld minutes", (long long)secs / 60);
	else if ((secs + 1800) / 3600 == 1)
		snprintf(buf, size, "About an hour");
	else if (secs < 48 * 3600)
		snprintf(buf, size, "%lld hours", (long long)(secs + 1800) /
		    3600);
	else if (secs < 7 * 24 * 3600 * 2)
		snprintf(buf, size, "%lld days", (long long)secs / 86400);
	else if (secs < 30 * 24 * 3600 * 3)
		snprintf(buf, size, "%lld weeks", (long long)secs / 604800);
	else if (secs < 365 * 24 * 3600 * 2)
		snprintf(buf, size, "%lld months", (long long)secs / 2592000);
	else
		snprintf(buf, size, "%lld years", (long long)secs / 31536000);
}

static void
status_of(struct container *c, char *buf, size_t size)
{
	int64_t now = now_ns();
	char dur[64];

	switch (c->state) {
	case CTR_CREATED:
		snprintf(buf, size, "Created");
		break;
	case CTR_RUNNING:
		human_duration((now - c->started_ns) / 1000000000LL, dur,
		    sizeof(dur));
		snprintf(buf, size, "Up %s%s", dur, c->paused ? " (Paused)" :
		    "");
		break;
	case CTR_EXITED:
		human_duration((now - c->finished_ns) / 1000000000LL, dur,
		    sizeof(dur));
		snprintf(buf, size, "%s (%d) %s ago", container_restarting(c) ?
		    "Restarting" : "Exited", c->exit_code, dur);
		break;
	case CTR_DEAD:
		snprintf(buf, size, "Dead");
		break;
	}
}

static void
pack_json_map(msgpack_packer *pk, json_t *v)
{
	if (json_is_object(v))
		json_pack_msgpack(pk, v);
	else
		msgpack_pack_map(pk, 0);
}

int
container_api_list(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	const msgpack_object *a = msgpack_map_get(call->parameters, "all");
	bool all = a != NULL && a->type == MSGPACK_OBJECT_BOOLEAN &&
	    a->via.boolean;
	struct container *c;
	char status[128];
	size_t n = 0;

	(void)p;
	(void)err;
	TAILQ_FOREACH(c, &d->containers, entry)
		if (all || c->state == CTR_RUNNING || container_restarting(c))
			n++;
	msgpack_pack_map(pk, 1);
	pack_str(pk, "containers");
	msgpack_pack_array(pk, n);
	/* Newest first, as docker ps lists them. */
	TAILQ_FOREACH_REVERSE(c, &d->containers, container_list, entry) {
		cleanup_free char *cmd = NULL, *ports = NULL, *nets = NULL;

		if (!all && c->state != CTR_RUNNING && !container_restarting(c))
			continue;
		cmd = container_command(c);
		ports = network_ports_text(c);
		nets = network_names_text(c);
		status_of(c, status, sizeof(status));
		msgpack_pack_map(pk, 12);
		pack_kv_str(pk, "id", c->id);
		pack_str(pk, "names");
		msgpack_pack_array(pk, 1);
		pack_str(pk, c->name);
		pack_kv_str(pk, "image", json_string_value(json_object_get(
		    c->config, "image")));
		pack_kv_str(pk, "image_id", c->image_id);
		pack_kv_str(pk, "command", cmd != NULL ? cmd : "");
		pack_str(pk, "created");
		msgpack_pack_int64(pk, c->created_ns / 1000000000LL);
		pack_kv_str(pk, "state", c->paused ? "paused" :
		    container_restarting(c) ? "restarting" :
		    container_state_name(c->state));
		pack_kv_str(pk, "status", status);
		pack_str(pk, "exit_code");
		msgpack_pack_int(pk, c->exit_code);
		pack_str(pk, "labels");
		pack_json_map(pk, json_object_get(c->config, "labels"));
		pack_kv_str(pk, "ports", ports != NULL ? ports : "");
		pack_kv_str(pk, "networks", nets != NULL ? nets : "");
	}
	return (0);
}

/* RFC 3339 with nanoseconds, UTC, as Docker writes times; Go's zero time
 * for 0. */
static void
rfc3339(int64_t ns, char *buf, size_t size)
{
	time_t s = (time_t)(ns / 1000000000LL);
	struct tm tm;

	if (ns <= 0) {
		snprintf(buf, size, "0001-01-01T00:00:00Z");
		return;
	}
	gmtime_r(&s, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (long long)(ns % 1000000000LL));
}

/* A setting of the Create config's host part, or JSON null. */
static json_t *
host_get(json_t *host, const char *key)
{
	json_t *v = json_object_get(host, key);

	return (v != NULL ? json_incref(v) : json_null());
}

/* HostConfig with Docker's field names, from the Create config's host
 * part. */
static json_t *
host_config_doc(json_t *host)
{
	json_t *rp = json_object_get(host, "restart_policy");
	json_t *ul = json_object_get(host, "ulimits"), *ulimits, *sec, *v;
	const char *mode = json_string_value(json_object_get(host,
	    "network_mode"));
	size_t i;

	ulimits = json_array();
	json_array_foreach(ul, i, v)
		json_array_append_new(ulimits, json_pack("{s:O, s:O, s:O}",
		    "Name", json_object_get(v, "name"), "Soft",
		    json_object_get(v, "soft"), "Hard",
		    json_object_get(v, "hard")));
	sec = json_array();
	if (json_is_true(json_object_get(host, "no_new_privileges")))
		json_array_append_new(sec, json_string("no-new-privileges"));
	if (json_is_true(json_object_get(host, "seccomp_unconfined")))
		json_array_append_new(sec, json_string("seccomp=unconfined"));
	else if (json_is_string(v = json_object_get(host, "seccomp_profile"))) {
		char *opt;

		/* Docker's: the profile's text after "seccomp=". */
		if (asprintf(&opt, "seccomp=%s", json_string_value(v)) >= 0) {
			json_array_append_new(sec, json_string(opt));
			free(opt);
		}
	}
	return (json_pack("{s:o, s:s, s:{s:s, s:I}, s:b, s:o, s:o, s:o, "
	    "s:I, s:I, s:I, s:I, s:s, s:o, s:b, s:b, s:o, s:o, s:o}",
	    "Binds", host_get(host, "binds"),
	    "NetworkMode", mode != NULL ? mode : "bridge",
	    "RestartPolicy",
	    "Name", json_string_value(json_object_get(rp, "name")) != NULL ?
	    json_string_value(json_object_get(rp, "name")) : "no",
	    "MaximumRetryCount", json_integer_value(json_object_get(rp,
	    "maximum_retry_count")),
	    "AutoRemove", json_is_true(json_object_get(host, "auto_remove")),
	    "CapAdd", host_get(host, "cap_add"),
	    "CapDrop", host_get(host, "cap_drop"),
	    "Init", host_get(host, "init"),
	    "Memory", json_integer_value(json_object_get(host, "memory")),
	    "MemorySwap", json_integer_value(json_object_get(host,
	    "memory_swap")),
	    "NanoCpus", json_integer_value(json_object_get(host, "nano_cpus")),
	    "CpuShares", json_integer_value(json_object_get(host,
	    "cpu_shares")),
	    "CpusetCpus", json_string_value(json_object_get(host,
	    "cpuset_cpus")) != NULL ? json_string_value(json_object_get(host,
	    "cpuset_cpus")) : "",
	    "PidsLimit", host_get(host, "pids_limit"),
	    "Privileged", json_is_true(json_object_get(host, "privileged")),
	    "ReadonlyRootfs", json_is_true(json_object_get(host,
	    "read_only")),
	    "SecurityOpt", json_array_size(sec) > 0 ? sec :
	    (json_decref(sec), json_null()),
	    "Tmpfs", host_get(host, "tmpfs"),
	    "Ulimits", json_array_size(ulimits) > 0 ? ulimits :
	    (json_decref(ulimits), json_null())));
}

static json_t *
inspect_doc(struct container *c)
{
	char created[64], started[64], finished[64], logpath[4096];
	json_t *host = json_object_get(c->config, "host");
	json_t *ep = container_setting(c, "entrypoint", "Entrypoint");
	json_t *args = json_array(), *config, *doc, *cmdv, *state;
	char name[CTR_NAME_MAX + 2];
	json_t *labels = json_object_get(c->config, "labels");
	json_t *hostc = host_config_doc(host);
	const char *path = "";
	size_t i, start = 0;

	labels = json_is_object(labels) ? json_incref(labels) : json_object();
	rfc3339(c->created_ns, created, sizeof(created));
	rfc3339(c->started_ns, started, sizeof(started));
	rfc3339(c->finished_ns, finished, sizeof(finished));
	snprintf(logpath, sizeof(logpath), "%s/containers/%s/container.log",
	    c->d->cfg.root, c->id);
	/* Path and Args: the command's first word and the rest. */
	cmdv = json_object_get(c->config, "cmd");
	if (cmdv == NULL || json_is_null(cmdv))
		cmdv = json_object_get(c->config, "entrypoint") != NULL &&
		    !json_is_null(json_object_get(c->config, "entrypoint")) ?
		    NULL : json_object_get(c->image_config, "Cmd");
	if (json_array_size(ep) > 0) {
		path = json_string_value(json_array_get(ep, 0));
		for (i = 1; i < json_array_size(ep); i++)
			json_array_append(args, json_array_get(ep, i));
	} else if (json_array_size(cmdv) > 0) {
		path = json_string_value(json_array_get(cmdv, 0));
		start = 1;
	}
	for (i = start; i < json_array_size(cmdv); i++)
		json_array_append(args, json_array_get(cmdv, i));
	config = json_pack("{s:s, s:s, s:s, s:b, s:b, s:b, s:b, s:b, s:O?, "
	    "s:O?, s:s, s:O?, s:s, s:O?, s:o}",
	    "Hostname", json_string_length(json_object_get(c->config,
	    "hostname")) > 0 ? json_string_value(json_object_get(c->config,
	    "hostname")) : "",
	    "Domainname", "",
	    "User", json_string_value(container_setting(c, "user", "User")) ?
	    json_string_value(container_setting(c, "user", "User")) : "",
	    "AttachStdin", json_is_true(json_object_get(c->config,
	    "open_stdin")), "AttachStdout", true, "AttachStderr", true,
	    "Tty", json_is_true(json_object_get(c->config, "tty")),
	    "OpenStdin", json_is_true(json_object_get(c->config,
	    "open_stdin")),
	    "Env", json_object_get(c->config, "env"),
	    "Cmd", cmdv,
	    "Image", json_string_value(json_object_get(c->config, "image")),
	    "Entrypoint", ep,
	    "WorkingDir", json_string_value(container_setting(c,
	    "working_dir", "WorkingDir")) ? json_string_value(
	    container_setting(c, "working_dir", "WorkingDir")) : "",
	    "StopSignal", container_setting(c, "stop_signal", "StopSignal"),
	    "Labels", labels);
	state = json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:I, s:i, s:s, "
	    "s:s, s:s}",
	    "Status", c->paused ? "paused" : container_restarting(c) ?
	    "restarting" : container_state_name(c->state),
	    "Running", c->state == CTR_RUNNING || container_restarting(c),
	    "Paused", c->paused,
	    "Restarting", container_restarting(c), "OOMKilled", c->oom_killed,
	    "Dead", c->state == CTR_DEAD, "Pid", (json_int_t)c->pid,
	    "ExitCode", c->exit_code,
	    "Error", c->error != NULL ? c->error : "",
	    "StartedAt", started, "FinishedAt", finished);
	snprintf(name, sizeof(name), "/%s", c->name);
	doc = json_object();
	if (doc == NULL || state == NULL || config == NULL ||
	    json_object_set_new(doc, "Id", json_string(c->id)) < 0 ||
	    json_object_set_new(doc, "Created", json_string(created)) < 0 ||
	    json_object_set_new(doc, "Path", json_string(path != NULL ?
	    path : "")) < 0 ||
	    json_object_set_new(doc, "Args", args) < 0 ||
	    json_object_set_new(doc, "State", state) < 0 ||
	    json_object_set_new(doc, "Image", json_string(c->image_id)) < 0 ||
	    json_object_set_new(doc, "LogPath", json_string(logpath)) < 0 ||
	    json_object_set_new(doc, "Name", json_string(name)) < 0 ||
	    json_object_set_new(doc, "RestartCount",
	    json_integer(c->restart_count)) < 0 ||
	    json_object_set_new(doc, "Driver", json_string("overlay")) < 0 ||
	    json_object_set_new(doc, "Config", config) < 0 ||
	    json_object_set_new(doc, "HostConfig", hostc) < 0 ||
	    json_object_set_new(doc, "Mounts",
	    container_mounts_doc(c)) < 0 ||
	    json_object_set_new(doc, "NetworkSettings",
	    network_settings_doc(c)) < 0) {
		if (doc != NULL)
			json_decref(doc);
		return (NULL);
	}
	return (doc);
}

int
container_api_inspect(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err)
{
	cleanup_json json_t *doc = NULL;
	struct container *c;

	(void)p;
	if (find(d, call, &c, err) < 0)
		return (-1);
	if ((doc = inspect_doc(c)) == NULL)
		return (berth_error_sys(err, "inspect %.12s", c->id));
	msgpack_pack_map(pk, 1);
	pack_str(pk, "container");
	json_pack_msgpack(pk, doc);
	return (0);
}
