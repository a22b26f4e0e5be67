/*
 * The container commands' shared pieces: calls built from JSON objects,
 * Docker's parsers of option values, and the flag parser of run and
 * create.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "container.h"

int
container_send(struct berth_client *c, const char *method,
    const json_t *params, unsigned flags, struct berth_error *err)
{
	cleanup_sbuffer msgpack_sbuffer sb;
	msgpack_packer pk;

	if (params == NULL)
		return (berth_send(c, method, NULL, 0, flags, err));
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (jsonmp_to_msgpack(params, &pk, err) < 0)
		return (-1);
	return (berth_send(c, method, sb.data, sb.size, flags, err));
}

int
container_call(struct berth_client *c, const char *method,
    const json_t *params, struct berth_reply *reply, struct berth_error *err)
{
	berth_reply_release(reply);
	if (container_send(c, method, params, 0, err) < 0)
		return (-1);
	return (berth_recv(c, reply, err));
}

json_t *
container_params(const char *name, const char *key, json_t *value)
{
	json_t *p = json_object();

	if (p == NULL || json_object_set_new(p, "container",
	    json_string(name)) < 0) {
		if (value != NULL)
			json_decref(value);	/* it was given to us */
		if (p != NULL)
			json_decref(p);
		return (NULL);
	}
	if (key != NULL && value != NULL &&
	    json_object_set_new(p, key, value) < 0) {
		json_decref(p);
		return (NULL);
	}
	return (p);
}

static int
usage(struct berth_error *err, const char *fmt, const char *value)
{
	return (berth_error_set(err, CLI_E_USAGE, 0, fmt, value));
}

/* go-units RAMInBytes: a number, an optional unit b k m g t p (binary)
 * with an optional "b" after it. */
int
parse_ram_bytes(const char *s, int64_t *out, struct berth_error *err)
{
	static const char units[] = "bkmgtp";
	const char *u;
	char *end;
	double v;
	int shift;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || v < 0 || !isdigit((unsigned char)*s))
		return (usage(err, "invalid size: '%s'", s));
	shift = 0;
	if (*end != '\0') {
		if ((u = strchr(units, tolower((unsigned char)*end))) == NULL)
			return (usage(err, "invalid size: '%s'", s));
		shift = (int)(u - units) * 10;
		end++;
		if (shift > 0 && (*end == 'b' || *end == 'B'))
			end++;
		if (*end != '\0')
			return (usage(err, "invalid size: '%s'", s));
	}
	v *= (double)(1LL << shift);
	if (v >= 9.2e18)
		return (usage(err, "invalid size: '%s'", s));
	*out = (int64_t)v;
	return (0);
}

int
parse_go_duration(const char *s, int64_t *out, struct berth_error *err)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 },
		{ "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 },
	};
	const char *p = s;
	double total = 0, v;
	char *end;
	bool neg = false;
	size_t i, best, blen;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (strcmp(p, "0") == 0) {
		*out = 0;
		return (0);
	}
	if (*p == '\0')
		return (usage(err, "invalid duration \"%s\"", s));
	while (*p != '\0') {
		if (!isdigit((unsigned char)*p) && *p != '.')
			return (usage(err, "invalid duration \"%s\"", s));
		v = strtod(p, &end);
		if (end == p)
			return (usage(err, "invalid duration \"%s\"", s));
		p = end;
		best = SIZE_MAX;
		blen = 0;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strncmp(p, units[i].unit, strlen(units[i].unit)) ==
			    0 && strlen(units[i].unit) > blen) {
				best = i;
				blen = strlen(units[i].unit);
			}
		if (best == SIZE_MAX)
			return (usage(err, best == SIZE_MAX && *p == '\0' ?
			    "missing unit in duration \"%s\"" :
			    "unknown unit in duration \"%s\"", s));
		total += v * units[best].ns;
		p += blen;
	}
	if (total > 9.2e18)
		return (usage(err, "invalid duration \"%s\"", s));
	*out = neg ? -(int64_t)total : (int64_t)total;
	return (0);
}

/* "2006-01-02T15:04:05[.frac][Z|+07:00]", "2006-01-02", with a space
 * for the T too; a zone-less time is local. */
static int
parse_rfc3339(const char *s, int64_t *out)
{
	struct tm tm;
	const char *p;
	int64_t frac = 0, scale = 100000000, secs;
	int off = 0, hh, mm;
	bool utc = false, zoned = false;

	memset(&tm, 0, sizeof(tm));
	if ((p = strptime(s, "%Y-%m-%d", &tm)) == NULL)
		return (-1);
	if (*p == 'T' || *p == ' ') {
		if ((p = strptime(p + 1, "%H:%M", &tm)) == NULL)
			return (-1);
		if (*p == ':' && (p = strptime(p + 1, "%S", &tm)) == NULL)
			return (-1);
		if (*p == '.') {
			for (p++; isdigit((unsigned char)*p); p++) {
				frac += (*p - '0') * scale;
				scale /= 10;
			}
		}
	}
	if (*p == 'Z' || *p == 'z') {
		utc = zoned = true;
		p++;
	} else if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &hh,
	    &mm) == 2) {
		off = (hh * 60 + mm) * 60 * (*p == '-' ? -1 : 1);
		zoned = true;
		p += 6;
	}
	if (*p != '\0')
		return (-1);
	if (zoned || utc)
		secs = (int64_t)timegm(&tm) - off;
	else {
		tm.tm_isdst = -1;
		secs = (int64_t)mktime(&tm);
	}
	*out = secs * 1000000000 + frac;
	return (0);
}

int
parse_log_time(const char *s, int64_t now_ns, int64_t *out,
    struct berth_error *err)
{
	int64_t d, secs, frac = 0, scale = 100000000;
	const char *p;
	char *end;

	if (*s == '\0')
		return (usage(err, "invalid time '%s'", s));
	/* "0" is the epoch, not a zero duration (as Docker's), sent as
	 * its first nanosecond: 0 on the wire means "not given". */
	if (strcmp(s, "0") == 0) {
		*out = 1;
		return (0);
	}
	if (parse_go_duration(s, &d, err) == 0) {
		*out = now_ns - d;
		return (0);
	}
	berth_error_clear(err);
	if (strchr(s, '-') != NULL && parse_rfc3339(s, out) == 0)
		return (0);
	errno = 0;
	secs = strtoll(s, &end, 10);
	if (end != s && errno == 0 && (*end == '\0' || *end == '.')) {
		if (*end == '.')
			for (p = end + 1; *p != '\0'; p++) {
				if (!isdigit((unsigned char)*p))
					goto bad;
				frac += (*p - '0') * scale;
				scale /= 10;
			}
		*out = secs * 1000000000 + frac;
		return (0);
	}
bad:
	return (usage(err, "invalid value for time: '%s' (a duration such as "
	    "10m, an RFC 3339 time or unix seconds)", s));
}

int
time_param(struct cmd_ctx *ctx, json_t *params, const char *key,
    const char *value, int64_t now_ns)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	int64_t t;

	if (value == NULL)
		return (0);
	if (parse_log_time(value, now_ns, &t, &err) < 0) {
		cli_usage_error(ctx, ctx->entry, "%s", berth_error_message(&err));
		return (-1);
	}
	json_object_set_new(params, key, json_integer(t));
	return (0);
}

static int
parse_limit(const char *s, const char *all, int64_t *out,
    struct berth_error *err)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0)
		return (usage(err, "invalid ulimit argument: %s", all));
	return (0);
}

json_t *
parse_ulimit(const char *s, struct berth_error *err)
{
	cleanup_free char *copy = strdup(s);
	char *eq, *colon;
	int64_t soft, hard;

	if (copy == NULL) {
		berth_error_sys(err, "parse --ulimit");
		return (NULL);
	}
	if ((eq = strchr(copy, '=')) == NULL || eq == copy) {
		usage(err, "invalid ulimit argument: %s", s);
		return (NULL);
	}
	*eq++ = '\0';
	if ((colon = strchr(eq, ':')) != NULL)
		*colon++ = '\0';
	if (parse_limit(eq, s, &soft, err) < 0 || (colon != NULL &&
	    parse_limit(colon, s, &hard, err) < 0))
		return (NULL);
	if (colon == NULL)
		hard = soft;
	if (soft > hard && hard >= 0) {
		berth_error_set(err, CLI_E_USAGE, 0, "ulimit soft limit must be "
		    "less than or equal to hard limit: %" PRId64 " > %" PRId64,
		    soft, hard);
		return (NULL);
	}
	return (json_pack("{s:s, s:I, s:I}", "name", copy, "soft",
	    (json_int_t)soft, "hard", (json_int_t)hard));
}

/* berthd checks -v as Docker's daemon does (binds, named and anonymous
 * volumes, modes): the client only refuses an empty one. */
char *
parse_bind(const char *s, struct berth_error *err)
{
	if (s[0] == '\0' || s[0] == ':') {
		berth_error_set(err, CLI_E_USAGE, 0, "invalid volume "
		    "specification: '%s'", s);
		return (NULL);
	}
	return (strdup(s));
}

/* One key=value of --mount: true when s starts with key (or one of its
 * aliases, "a|b") followed by '=' or the end; *val after the '='. */
static bool
mount_key(const char *kv, size_t len, const char *keys, const char **val,
    size_t *vlen)
{
	const char *k = keys, *bar;
	size_t klen;

	for (;;) {
		bar = strchr(k, '|');
		klen = bar != NULL ? (size_t)(bar - k) : strlen(k);
		if (len >= klen && strncmp(kv, k, klen) == 0 &&
		    (len == klen || kv[klen] == '=')) {
			*val = len == klen ? NULL : kv + klen + 1;
			*vlen = len == klen ? 0 : len - klen - 1;
			return (true);
		}
		if (bar == NULL)
			return (false);
		k = bar + 1;
	}
}

static bool
mount_true(const char *v, size_t vlen)
{
	return (v == NULL || (vlen == 4 && strncmp(v, "true", 4) == 0) ||
	    (vlen == 1 && *v == '1'));
}

/* --mount's keys, as Docker's CLI takes them, into a Mount ({type,
 * source, target, read_only, bind_propagation, volume_nocopy,
 * tmpfs_size, tmpfs_mode}); berthd checks the rest. */
int
parse_mount(const char *s, json_t *mounts, struct berth_error *err)
{
	char type[16] = "volume", src[4096] = "", dst[4096] = "";
	char val[64];
	const char *p = s, *comma, *v;
	json_t *m = json_object();
	size_t len, vlen;
	int64_t n;
	char *end;

	if (m == NULL)
		return (berth_error_sys(err, "--mount"));
	for (; *p != '\0'; p = comma != NULL ? comma + 1 : p + len) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (mount_key(p, len, "type", &v, &vlen) && v != NULL &&
		    vlen < sizeof(type))
			snprintf(type, sizeof(type), "%.*s", (int)vlen, v);
		else if (mount_key(p, len, "source|src", &v, &vlen) &&
		    v != NULL && vlen < sizeof(src))
			snprintf(src, sizeof(src), "%.*s", (int)vlen, v);
		else if (mount_key(p, len, "target|destination|dst", &v,
		    &vlen) && v != NULL && vlen < sizeof(dst))
			snprintf(dst, sizeof(dst), "%.*s", (int)vlen, v);
		else if (mount_key(p, len, "readonly|ro", &v, &vlen))
			json_object_set_new(m, "read_only", json_boolean(
			    mount_true(v, vlen)));
		else if (mount_key(p, len, "volume-nocopy", &v, &vlen))
			json_object_set_new(m, "volume_nocopy", json_boolean(
			    mount_true(v, vlen)));
		else if (mount_key(p, len, "bind-propagation", &v, &vlen) &&
		    v != NULL && vlen < sizeof(val)) {
			snprintf(val, sizeof(val), "%.*s", (int)vlen, v);
			json_object_set_new(m, "bind_propagation",
			    json_string(val));
		} else if (mount_key(p, len, "tmpfs-size", &v, &vlen) &&
		    v != NULL && vlen < sizeof(val)) {
			snprintf(val, sizeof(val), "%.*s", (int)vlen, v);
			if (parse_ram_bytes(val, &n, err) < 0) {
				json_decref(m);
				return (-1);
			}
			json_object_set_new(m, "tmpfs_size", json_integer(n));
		} else if (mount_key(p, len, "tmpfs-mode", &v, &vlen) &&
		    v != NULL && vlen < sizeof(val)) {
			snprintf(val, sizeof(val), "%.*s", (int)vlen, v);
			n = (int64_t)strtoll(val, &end, 8);
			if (*end != '\0' || val[0] == '\0') {
				json_decref(m);
				return (berth_error_set(err, CLI_E_USAGE, 0,
				    "invalid argument \"%s\" for \"--mount\" "
				    "flag: tmpfs-mode: not an octal mode", s));
			}
			json_object_set_new(m, "tmpfs_mode", json_integer(n));
		} else {
			json_decref(m);
			return (berth_error_set(err, CLI_E_USAGE, 0, "invalid "
			    "argument \"%s\" for \"--mount\" flag: "
			    "unexpected key '%.*s'", s, (int)len, p));
		}
	}
	if (dst[0] != '/' || (strcmp(type, "bind") == 0 && src[0] != '/')) {
		json_decref(m);
		if (dst[0] != '/')
			return (berth_error_set(err, CLI_E_USAGE, 0, "invalid "
			    "argument \"%s\" for \"--mount\" flag: target "
			    "is required and must be absolute", s));
		return (berth_error_set(err, CLI_E_USAGE, 0, "invalid "
		    "argument \"%s\" for \"--mount\" flag: a bind needs an "
		    "absolute source", s));
	}
	json_object_set_new(m, "type", json_string(type));
	json_object_set_new(m, "target", json_string(dst));
	if (src[0] != '\0')
		json_object_set_new(m, "source", json_string(src));
	return (json_array_append_new(mounts, m));
}

static const char *const signal_names[] = {
	"HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "IOT", "BUS", "FPE",
	"KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT",
	"CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
	"VTALRM", "PROF", "WINCH", "IO", "POLL", "PWR", "SYS", NULL
};

bool
signal_valid(const char *s)
{
	const char *name = s;
	char *end;
	long n;
	int i;

	if (isdigit((unsigned char)*s)) {
		n = strtol(s, &end, 10);
		return (*end == '\0' && n > 0 && n <= 64);
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (i = 0; signal_names[i] != NULL; i++)
		if (strcasecmp(name, signal_names[i]) == 0)
			return (true);
	if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX",
	    5) == 0)
		return (true);
	return (false);
}

void
fmt_log_time(int64_t ns, char *buf, size_t size)
{
	time_t secs = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;
	char date[32];

	if (frac < 0) {
		frac += 1000000000;
		secs--;
	}
	gmtime_r(&secs, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%09ldZ", date, frac);
}
