/*
 * berth events / berth system events: io.berth.Service.Events followed
 * and printed as Docker prints it, one line per event:
 *
 *	2026-11-23T05:12:50.123456789Z container start ID (image=b, name=f)
 *
 * or through --format (a template over Docker's field names, or "json"
 * for Docker's JSON message).  It runs until --until passes or the
 * daemon ends the stream; SIGINT or SIGTERM ends it with status 0, as
 * the end of a stream the user asked to stop is not a failure.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "listing.h"

static int cmd_events_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_events_flags[] = {
	{ "filter", 'f', "FILTER", "Filter output based on conditions "
	    "provided" },
	{ "format", 0, "FORMAT", "Format output using a Go template subset, "
	    "or 'json' for each event as JSON" },
	{ "since", 0, "TIME", "Show all events created since timestamp" },
	{ "until", 0, "TIME", "Stream events until this timestamp" },
	{ NULL, 0, NULL, NULL }
};

#define EVENTS_HELP \
	"Filters (-f key=value, repeatable; the same key ORs, keys AND):\n" \
	"  type=container|image   event=ACTION   container=ID|NAME\n" \
	"  image=NAME|ID   label=KEY or label=KEY=VALUE (all must hold)\n" \
	"  scope=local\n"

const struct cmd_entry cmd_events_entry = {
	.name = "events",
	.usage = "",
	.summary = "Get real time events from the server",
	.help = EVENTS_HELP,
	.flags = cmd_events_flags,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_events_exec,
};

/* "system events": its place in the system group (cmd-system.c). */
const struct cmd_entry cmd_system_events_entry =
    CMD_SAME_AS("system events", cmd_events_entry, NULL);

/* ---- one event ---------------------------------------------------- */

static const char *
str_of(const msgpack_object *o, size_t *len)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_STR) {
		*len = 0;
		return ("");
	}
	*len = o->via.str.size;
	return (o->via.str.ptr);
}

static json_t *
jstr(const msgpack_object *o)
{
	size_t len;
	const char *s = str_of(o, &len);

	return (json_stringn(s, len));
}

static int64_t
int_of(const msgpack_object *o)
{
	if (o == NULL)
		return (0);
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return ((int64_t)o->via.u64);
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		return (o->via.i64);
	return (0);
}

/* The actor's attributes as a JSON object of strings. */
static json_t *
attributes_json(const msgpack_object *attrs)
{
	json_t *o = json_object();
	char key[1024];
	uint32_t i;

	if (o == NULL || attrs == NULL || attrs->type != MSGPACK_OBJECT_MAP)
		return (o);
	for (i = 0; i < attrs->via.map.size; i++) {
		const msgpack_object_kv *kv = &attrs->via.map.ptr[i];
		size_t n;
		const char *k = str_of(&kv->key, &n);

		if (n >= sizeof(key))
			continue;
		memcpy(key, k, n);
		key[n] = '\0';
		json_object_set_new(o, key, jstr(&kv->val));
	}
	return (o);
}

/*
 * The event as Docker's events.Message: with go_names the Go field
 * names a template sees (.Type, .Actor.ID, .TimeNano), else the JSON
 * names Docker's API and "--format json" use.  The legacy status, id
 * and from are there too, as Docker fills them for containers and
 * images.
 */
static json_t *
event_json(const msgpack_object *ev, bool go_names)
{
	const msgpack_object *type = berth_map_get(ev, "type");
	const msgpack_object *action = berth_map_get(ev, "action");
	const msgpack_object *actor = berth_map_get(ev, "actor");
	const msgpack_object *id = berth_map_get(actor, "id");
	json_t *attrs = attributes_json(berth_map_get(actor, "attributes"));
	const char *from = json_string_value(json_object_get(attrs, "image"));
	size_t tlen;
	const char *t = str_of(type, &tlen);
	bool legacy = (tlen == 9 && memcmp(t, "container", 9) == 0) ||
	    (tlen == 5 && memcmp(t, "image", 5) == 0);
	json_t *o = json_object(), *a = json_object();

	if (o == NULL || a == NULL || attrs == NULL) {
		json_decref(o);
		json_decref(a);
		json_decref(attrs);
		return (NULL);
	}
	if (legacy) {
		json_object_set_new(o, go_names ? "Status" : "status",
		    jstr(action));
		json_object_set_new(o, go_names ? "ID" : "id", jstr(id));
		if (from != NULL && tlen == 9)
			json_object_set_new(o, go_names ? "From" : "from",
			    json_string(from));
	}
	json_object_set_new(o, "Type", jstr(type));
	json_object_set_new(o, "Action", jstr(action));
	json_object_set_new(a, "ID", jstr(id));
	json_object_set_new(a, "Attributes", attrs);
	json_object_set_new(o, "Actor", a);
	json_object_set_new(o, go_names ? "Scope" : "scope",
	    jstr(berth_map_get(ev, "scope")));
	json_object_set_new(o, go_names ? "Time" : "time",
	    json_integer(int_of(berth_map_get(ev, "time"))));
	json_object_set_new(o, go_names ? "TimeNano" : "timeNano",
	    json_integer(int_of(berth_map_get(ev, "time_nano"))));
	return (o);
}

/* Go's RFC3339NanoFixed in local time: "2006-01-02T15:04:05.000000000Z07:00". */
static void
fmt_event_time(int64_t ns, char *buf, size_t size)
{
	time_t sec = (time_t)(ns / 1000000000LL);
	long frac = (long)(ns % 1000000000LL), off;
	char date[32], zone[16];
	struct tm tm;

	if (frac < 0) {
		frac += 1000000000L;
		sec--;
	}
	localtime_r(&sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	off = tm.tm_gmtoff;
	if (off == 0)
		snprintf(zone, sizeof(zone), "Z");
	else
		snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' :
		    '+', (int)(labs(off) / 3600 % 100),
		    (int)(labs(off) % 3600 / 60));
	snprintf(buf, size, "%s.%09ld%s", date, frac, zone);
}

static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* Docker's line: time, type, action, actor id, (k=v, ...) sorted. */
static void
print_line(FILE *f, const json_t *ev)
{
	const json_t *actor = json_object_get(ev, "Actor");
	const json_t *attrs = json_object_get(actor, "Attributes");
	const char **keys, *key;
	size_t n = json_object_size(attrs), i = 0;
	json_t *v;
	char ts[64];

	fmt_event_time(json_integer_value(json_object_get(ev, "timeNano")),
	    ts, sizeof(ts));
	fprintf(f, "%s %s %s %s", ts, json_str(ev, "Type"), json_str(ev,
	    "Action"), json_str(actor, "ID"));
	if (n > 0 && (keys = calloc(n, sizeof(*keys))) != NULL) {
		json_object_foreach((json_t *)attrs, key, v)
			keys[i++] = key;
		qsort(keys, n, sizeof(*keys), cmp_str);
		fputs(" (", f);
		for (i = 0; i < n; i++)
			fprintf(f, "%s%s=%s", i > 0 ? ", " : "", keys[i],
			    json_str(attrs, keys[i]));
		fputc(')', f);
		free(keys);
	}
	fputc('\n', f);
}

struct events_out {
	FILE			*f;
	bool			 json;
	struct fmt_template	*t;	/* NULL: Docker's line or json */
};

static int
print_event(struct events_out *o, const msgpack_object *ev,
    struct berth_error *err)
{
	cleanup_json json_t *j = event_json(ev, o->t != NULL);
	cleanup_free char *line = NULL;

	if (j == NULL)
		return (berth_error_set(err, BERTH_E_SYSTEM, ENOMEM,
		    "events"));
	if (o->t != NULL) {
		if ((line = fmt_render(o->t, j, err)) == NULL)
			return (-1);
		fprintf(o->f, "%s\n", line);
	} else if (o->json) {
		if ((line = json_dumps(j, JSON_COMPACT |
		    JSON_PRESERVE_ORDER)) == NULL)
			return (berth_error_set(err, BERTH_E_SYSTEM, ENOMEM,
			    "events"));
		fprintf(o->f, "%s\n", line);
	} else
		print_line(o->f, j);
	fflush(o->f);
	return (0);
}

/* ---- the command -------------------------------------------------- */

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

static int
events_params(struct cmd_ctx *ctx, const struct args *args, json_t **out)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_json json_t *p = json_object(), *filters = NULL;
	const char *const *fv;
	const char *since = args_get(args, "since");
	const char *until = args_get(args, "until");
	int64_t now = now_ns();
	int n;

	if (p == NULL)
		return (CLI_EXIT_ENGINE);
	if (time_param(ctx, p, "since", since, now) < 0 ||
	    time_param(ctx, p, "until", until, now) < 0)
		return (CLI_EXIT_ENGINE);
	/* The daemon checks the keys. */
	fv = args_all(args, "filter", &n);
	if (filters_parse(fv, n, &filters, &err) < 0)
		return (filters_fail(ctx, &err));
	if (json_object_size(filters) > 0)
		json_object_set(p, "filters", filters);
	*out = steal_pointer(&p);
	return (CLI_EXIT_OK);
}

/* Wait for fd, or a signal on sigfd: 1 readable, 0 signalled. */
static int
wait_event(int fd, int sigfd, struct berth_error *err)
{
	struct pollfd pfd[2] = { { fd, POLLIN, 0 }, { sigfd, POLLIN, 0 } };
	struct signalfd_siginfo si;

	for (;;) {
		if (poll(pfd, sigfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return (berth_error_sys(err, "poll"));
		}
		/* Taken, so that it is not delivered once unblocked. */
		if (sigfd >= 0 && (pfd[1].revents & POLLIN) &&
		    read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
			return (0);
		if (pfd[0].revents != 0)
			return (1);
	}
}

static int
follow_events(struct cmd_ctx *ctx, struct berth_client *c,
    struct events_out *o, int sigfd)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	const msgpack_object *ev;
	int rc;

	for (;;) {
		if ((rc = wait_event(berth_client_fd(c), sigfd, &err)) < 0)
			return (cli_fail(ctx, &err));
		if (rc == 0)
			return (CLI_EXIT_OK);	/* interrupted: done */
		if (berth_recv(c, &reply, &err) < 0)
			return (cli_fail_reply(ctx, &reply, &err));
		if ((ev = berth_map_get(reply.parameters, "event")) != NULL &&
		    ev->type == MSGPACK_OBJECT_MAP && print_event(o, ev,
		    &err) < 0)
			return (cli_fail(ctx, &err));
		if (!reply.continues)
			return (CLI_EXIT_OK);
	}
}

static int
cmd_events_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *p = NULL;
	const char *format = args_get(args, "format");
	struct events_out o = { ctx->out, false, NULL };
	sigset_t mask, old;
	int sigfd, rc;

	if ((rc = events_params(ctx, args, &p)) != CLI_EXIT_OK)
		return (rc);
	if (format != NULL && (strcmp(format, "json") == 0 ||
	    strcmp(format, "{{json .}}") == 0))
		o.json = true;
	else if (format != NULL && *format != '\0' &&
	    fmt_parse(format, &o.t, &err) < 0)
		return (cli_usage_error(ctx, ctx->entry, "%s",
		    berth_error_message(&err)));
	/* Caught from before the connection: once the daemon has it, an
	 * interrupt is always the clean end. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (cli_connect(ctx, &c, &err) < 0 || container_send(c,
	    "io.berth.Service.Events", p, BERTH_CALL_MORE, &err) < 0)
		rc = cli_fail(ctx, &err);
	else
		rc = follow_events(ctx, c, &o, sigfd);
	if (sigfd >= 0)
		close(sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	fmt_free(o.t);
	return (rc);
}
