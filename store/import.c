/*
 * Image import (import.h): changes checked, the tarball stored
 * uncompressed and unpacked, config and manifest stored, image recorded.
 */

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "archive-util.h"
#include "cleanup.h"
#include "import.h"
#include "json-util.h"
#include "store.h"

#define MT_OCI_MANIFEST	"application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG	"application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER	"application/vnd.oci.image.layer.v1.tar"

#define IMPORT_BLOCK	(64u << 10)

const char *
import_host_arch(void)
{
#if defined(__x86_64__)
	return ("amd64");
#elif defined(__aarch64__)
	return ("arm64");
#elif defined(__arm__)
	return ("arm");
#elif defined(__i386__)
	return ("386");
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
	return ("ppc64le");
#elif defined(__s390x__)
	return ("s390x");
#elif defined(__riscv) && __riscv_xlen == 64
	return ("riscv64");
#else
	return ("unknown");
#endif
}

static int
bad_change(struct berth_error *err, const char *line, const char *why)
{
	berth_error_set(err, STORE_E_INVALID_CHANGE, 0, "invalid change "
	    "\"%s\": %s", line, why);
	return (berth_error_param_str(err, "change", line));
}

/*
 * The next shell-like word of *p: whitespace separated, "..." and '...'
 * quoting, backslash escapes outside single quotes.  0 at the end, 1 with
 * a word in *out (malloc'd), -1 on an unterminated quote.
 */
static int
next_word(const char **p, char **out)
{
	const char *s = *p;
	char *buf, *o, q = 0;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0')
		return (0);
	if ((buf = o = malloc(strlen(s) + 1)) == NULL)
		return (-1);
	for (; *s != '\0' && (q != 0 || !isspace((unsigned char)*s)); s++) {
		if (q == 0 && (*s == '"' || *s == '\'')) {
			q = *s;
		} else if (q != 0 && *s == q) {
			q = 0;
		} else if (*s == '\\' && q != '\'' && s[1] != '\0') {
			*o++ = *++s;
		} else
			*o++ = *s;
	}
	*o = '\0';
	if (q != 0) {
		free(buf);
		return (-1);
	}
	*p = s;
	*out = buf;
	return (1);
}

/* A JSON array of strings, or NULL. */
static json_t *
string_array(const char *s)
{
	json_t *a = json_loads(s, JSON_DECODE_ANY, NULL), *v;
	size_t i;

	if (!json_is_array(a))
		goto fail;
	json_array_foreach(a, i, v)
		if (!json_is_string(v))
			goto fail;
	return (a);
fail:
	if (a != NULL)
		json_decref(a);
	return (NULL);
}

/* CMD and ENTRYPOINT: exec form, or shell form through /bin/sh -c. */
static int
change_command(json_t *cfg, const char *key, const char *line,
    const char *rest, struct berth_error *err)
{
	json_t *v;

	if (*rest == '[') {
		if ((v = string_array(rest)) == NULL)
			return (bad_change(err, line, "not a JSON array of "
			    "strings"));
	} else if ((v = json_pack("[s, s, s]", "/bin/sh", "-c", rest)) == NULL)
		return (bad_change(err, line, "out of memory"));
	json_object_set_new(cfg, key, v);
	return (0);
}

/* Set "KEY=value" in Env, replacing KEY. */
static int
env_set(json_t *cfg, const char *key, const char *value)
{
	json_t *env = json_object_get(cfg, "Env"), *v;
	cleanup_free char *kv = NULL;
	size_t i, n = strlen(key);

	if (asprintf(&kv, "%s=%s", key, value) == -1)
		return (-1);
	if (!json_is_array(env)) {
		env = json_array();
		if (json_object_set_new(cfg, "Env", env) == -1)
			return (-1);
	}
	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);

		if (s != NULL && strncmp(s, key, n) == 0 && s[n] == '=')
			return (json_array_set_new(env, i, json_string(kv)));
	}
	return (json_array_append_new(env, json_string(kv)));
}

static int
label_set(json_t *cfg, const char *key, const char *value)
{
	json_t *labels = json_object_get(cfg, "Labels");

	if (!json_is_object(labels)) {
		labels = json_object();
		if (json_object_set_new(cfg, "Labels", labels) == -1)
			return (-1);
	}
	return (json_object_set_new(labels, key, json_string(value)));
}

/*
 * ENV and LABEL: KEY=VALUE words (quoted values allowed), or the legacy
 * single pair "KEY VALUE" (the value the rest of the line).
 */
static int
change_pairs(json_t *cfg, bool env, const char *line, const char *rest,
    struct berth_error *err)
{
	int (*set)(json_t *, const char *, const char *) =
	    env ? env_set : label_set;
	const char *p = rest;
	char *eq;
	int r;

	{
		cleanup_free char *first = NULL;

		if ((r = next_word(&p, &first)) != 1)
			return (bad_change(err, line, r == 0 ? "needs "
			    "KEY=VALUE" : "unterminated quote"));
		if (strchr(first, '=') == NULL) {
			cleanup_free char *value = NULL;

			while (isspace((unsigned char)*p))
				p++;
			if (*p == '\0')
				return (bad_change(err, line, "needs a "
				    "value"));
			/* Legacy form: the rest is the value, unquoted. */
			if ((value = strdup(p)) == NULL ||
			    set(cfg, first, value) == -1)
				return (bad_change(err, line,
				    "out of memory"));
			return (0);
		}
	}
	p = rest;
	for (;;) {
		cleanup_free char *w = NULL;

		if ((r = next_word(&p, &w)) == 0)
			return (0);
		if (r == -1)
			return (bad_change(err, line, "unterminated quote"));
		if ((eq = strchr(w, '=')) == NULL || eq == w)
			return (bad_change(err, line, "expected KEY=VALUE"));
		*eq = '\0';
		if (env && strchr(w, ' ') != NULL)
			return (bad_change(err, line, "bad variable name"));
		if (set(cfg, w, eq + 1) == -1)
			return (bad_change(err, line, "out of memory"));
	}
}

static int
port_number(const char *s, const char *end, long *out)
{
	char *ep;
	long v;

	if (s == end || !isdigit((unsigned char)*s))
		return (-1);
	v = strtol(s, &ep, 10);
	if (ep != end || v < 1 || v > 65535)
		return (-1);
	*out = v;
	return (0);
}

/* One EXPOSE word: 80, 80/tcp, 53/udp, 8000-8010/tcp. */
static int
expose_word(json_t *ports, const char *w)
{
	const char *slash = strchr(w, '/'), *proto = "tcp", *end, *dash;
	long lo, hi, i;
	char key[32];

	end = slash != NULL ? slash : w + strlen(w);
	if (slash != NULL) {
		proto = slash + 1;
		if (strcasecmp(proto, "tcp") != 0 &&
		    strcasecmp(proto, "udp") != 0 &&
		    strcasecmp(proto, "sctp") != 0)
			return (-1);
	}
	dash = memchr(w, '-', (size_t)(end - w));
	if (port_number(w, dash != NULL ? dash : end, &lo) == -1)
		return (-1);
	hi = lo;
	if (dash != NULL && (port_number(dash + 1, end, &hi) == -1 || hi < lo))
		return (-1);
	for (i = lo; i <= hi; i++) {
		snprintf(key, sizeof(key), "%ld/%s", i, proto);
		for (char *c = key; *c != '\0'; c++)
			*c = (char)tolower((unsigned char)*c);
		if (json_object_set_new(ports, key, json_object()) == -1)
			return (-1);
	}
	return (0);
}

/* EXPOSE and VOLUME: words (VOLUME also a JSON array) into a set. */
static int
change_set(json_t *cfg, const char *key, const char *line, const char *rest,
    struct berth_error *err)
{
	json_t *set = json_object_get(cfg, key), *arr = NULL, *v;
	const char *p = rest;
	size_t i;
	int r;

	if (!json_is_object(set)) {
		set = json_object();
		if (json_object_set_new(cfg, key, set) == -1)
			return (bad_change(err, line, "out of memory"));
	}
	if (strcmp(key, "Volumes") == 0 && *rest == '[') {
		if ((arr = string_array(rest)) == NULL ||
		    json_array_size(arr) == 0) {
			if (arr != NULL)
				json_decref(arr);
			return (bad_change(err, line, "not a JSON array of "
			    "paths"));
		}
		json_array_foreach(arr, i, v)
			json_object_set_new(set, json_string_value(v),
			    json_object());
		json_decref(arr);
		return (0);
	}
	for (i = 0;; i++) {
		cleanup_free char *w = NULL;

		if ((r = next_word(&p, &w)) == 0)
			break;
		if (r == -1)
			return (bad_change(err, line, "unterminated quote"));
		if (strcmp(key, "ExposedPorts") == 0) {
			if (expose_word(set, w) == -1)
				return (bad_change(err, line, "expected "
				    "PORT[-PORT][/tcp|udp|sctp]"));
		} else if (*w == '\0' ||
		    json_object_set_new(set, w, json_object()) == -1)
			return (bad_change(err, line, "bad volume"));
	}
	if (i == 0)
		return (bad_change(err, line, "needs an argument"));
	return (0);
}

/* WORKDIR, USER, STOPSIGNAL: one value. */
static int
change_string(json_t *cfg, const char *key, const char *line,
    const char *rest, struct berth_error *err)
{
	cleanup_free char *w = NULL;
	const char *p = rest;
	int r;

	if (strcmp(key, "WorkingDir") == 0) {
		/* A path may hold spaces: the whole rest, as Docker. */
		json_object_set_new(cfg, key, json_string(rest));
		return (0);
	}
	if ((r = next_word(&p, &w)) != 1)
		return (bad_change(err, line, r == 0 ? "needs an argument" :
		    "unterminated quote"));
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		return (bad_change(err, line, "takes one argument"));
	json_object_set_new(cfg, key, json_string(w));
	return (0);
}

static int
apply_change(json_t *cfg, const char *line, struct berth_error *err)
{
	const char *p = line, *rest;
	char ins[16];
	size_t n;

	while (isspace((unsigned char)*p))
		p++;
	n = strcspn(p, " \t");
	if (n == 0 || n >= sizeof(ins))
		return (bad_change(err, line, "unknown instruction"));
	memcpy(ins, p, n);
	ins[n] = '\0';
	for (rest = p + n; isspace((unsigned char)*rest); rest++)
		;
	if (*rest == '\0')
		return (bad_change(err, line, "needs an argument"));
	if (strcasecmp(ins, "CMD") == 0)
		return (change_command(cfg, "Cmd", line, rest, err));
	if (strcasecmp(ins, "ENTRYPOINT") == 0)
		return (change_command(cfg, "Entrypoint", line, rest, err));
	if (strcasecmp(ins, "ENV") == 0)
		return (change_pairs(cfg, true, line, rest, err));
	if (strcasecmp(ins, "LABEL") == 0)
		return (change_pairs(cfg, false, line, rest, err));
	if (strcasecmp(ins, "EXPOSE") == 0)
		return (change_set(cfg, "ExposedPorts", line, rest, err));
	if (strcasecmp(ins, "VOLUME") == 0)
		return (change_set(cfg, "Volumes", line, rest, err));
	if (strcasecmp(ins, "WORKDIR") == 0)
		return (change_string(cfg, "WorkingDir", line, rest, err));
	if (strcasecmp(ins, "USER") == 0)
		return (change_string(cfg, "User", line, rest, err));
	if (strcasecmp(ins, "STOPSIGNAL") == 0)
		return (change_string(cfg, "StopSignal", line, rest, err));
	return (bad_change(err, line, "unknown or unsupported instruction"));
}

int
import_parse_change(json_t *config, const char *line,
    struct berth_error *err)
{
	cleanup_json json_t *copy = json_deep_copy(config);

	if (copy == NULL || !json_is_object(config))
		return (bad_change(err, line, "no config to change"));
	/* Work on a copy so a bad line leaves config untouched. */
	if (apply_change(copy, line, err) == -1)
		return (-1);
	if (json_object_clear(config) == -1 ||
	    json_object_update(config, copy) == -1)
		return (berth_error_set(err, BERTH_E_INTERNAL, ENOMEM,
		    "apply change"));
	return (0);
}

/* Step 1: the tarball, decompressed, into a blob (its digest the diff
 * ID). */
static int
store_layer(struct store *st, int fd, char digest[DIGEST_STR_SIZE],
    uint64_t *size, const struct store_progress *progress,
    struct berth_error *err)
{
	cleanup_archive struct archive *a = archive_read_new();
	cleanup_blob_writer struct blob_writer *w = NULL;
	cleanup_free char *buf = malloc(IMPORT_BLOCK);
	struct archive_entry *e;
	uint64_t done = 0;
	la_ssize_t n;
	int r;

	if (a == NULL || buf == NULL)
		return (berth_error_sys(err, "import"));
	if (blob_writer_open(store_blobs(st), 0, &w, err) == -1)
		return (-1);
	if (archive_read_support_filter_all(a) != ARCHIVE_OK ||
	    archive_read_support_format_raw(a) != ARCHIVE_OK ||
	    archive_read_open_fd(a, fd, IMPORT_BLOCK) != ARCHIVE_OK)
		return (berth_error_set(err, BERTH_E_SYSTEM, archive_errno(a),
		    "read tarball: %s", archive_error_string(a)));
	r = archive_read_next_header(a, &e);
	if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
		return (berth_error_set(err, BERTH_E_SYSTEM, archive_errno(a),
		    "read tarball: %s", archive_error_string(a)));
	while (r == ARCHIVE_OK &&
	    (n = archive_read_data(a, buf, IMPORT_BLOCK)) != 0) {
		if (n < 0)
			return (berth_error_set(err, BERTH_E_SYSTEM,
			    archive_errno(a), "read tarball: %s",
			    archive_error_string(a)));
		if (blob_writer_write(w, buf, (size_t)n, err) == -1)
			return (-1);
		done += (uint64_t)n;
		store_progress_report(progress, "Importing", NULL, done, 0,
		    NULL);
	}
	*size = done;
	return (blob_writer_commit(steal_pointer(&w), NULL, digest, err));
}

/* "2006-01-02T15:04:05.999999999Z", now. */
static void
now_rfc3339(char *buf, size_t size, int64_t *secs)
{
	struct timespec ts;
	struct tm tm;
	char day[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%09ldZ", day, ts.tv_nsec);
	*secs = (int64_t)ts.tv_sec;
}

static int
put_json(struct store *st, json_t *j, char digest[DIGEST_STR_SIZE],
    uint64_t *size, struct berth_error *err)
{
	cleanup_free char *buf = json_dumps(j, JSON_COMPACT);

	if (buf == NULL)
		return (berth_error_set(err, BERTH_E_INTERNAL, ENOMEM,
		    "encode JSON"));
	*size = strlen(buf);
	return (blob_put(store_blobs(st), buf, *size, NULL, digest, err));
}

int
store_import(struct store *st, int in_fd, const struct import_options *opt,
    char id_out[DIGEST_STR_SIZE], const struct store_progress *progress,
    struct berth_error *err)
{
	cleanup_json json_t *cfg = json_object(), *config = NULL;
	cleanup_json json_t *manifest = NULL;
	char layer[DIGEST_STR_SIZE], diff_id[DIGEST_STR_SIZE];
	char id[DIGEST_STR_SIZE], mdigest[DIGEST_STR_SIZE], created[64];
	uint64_t layer_size = 0, config_size = 0, manifest_size = 0;
	int64_t secs;
	size_t i;

	if (cfg == NULL)
		return (berth_error_sys(err, "import"));
	for (i = 0; i < opt->nchanges; i++)
		if (import_parse_change(cfg, opt->changes[i], err) == -1)
			return (-1);
	if (store_layer(st, in_fd, layer, &layer_size, progress, err) == -1 ||
	    store_layer_unpack(st, layer, layer, diff_id, err) == -1)
		return (berth_error_wrap(err, "import"));
	now_rfc3339(created, sizeof(created), &secs);
	config = json_pack("{s:s, s:s, s:s, s:O, s:{s:s, s:[s]}, "
	    "s:[{s:s, s:s, s:s}]}",
	    "architecture", opt->architecture != NULL ? opt->architecture :
	    import_host_arch(),
	    "os", opt->os != NULL ? opt->os : "linux",
	    "created", created, "config", cfg,
	    "rootfs", "type", "layers", "diff_ids", diff_id,
	    "history", "created", created, "created_by", "",
	    "comment", opt->message != NULL ? opt->message : "Imported from -");
	if (config == NULL || (opt->variant != NULL && json_object_set_new(
	    config, "variant", json_string(opt->variant)) == -1))
		return (berth_error_set(err, BERTH_E_INTERNAL, ENOMEM,
		    "import: config"));
	if (put_json(st, config, id, &config_size, err) == -1)
		return (berth_error_wrap(err, "import: config"));
	manifest = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, "
	    "s:[{s:s, s:s, s:I}]}", "schemaVersion", 2,
	    "mediaType", MT_OCI_MANIFEST,
	    "config", "mediaType", MT_OCI_CONFIG, "digest", id,
	    "size", (json_int_t)config_size,
	    "layers", "mediaType", MT_OCI_LAYER, "digest", layer,
	    "size", (json_int_t)layer_size);
	if (manifest == NULL)
		return (berth_error_set(err, BERTH_E_INTERNAL, ENOMEM,
		    "import: manifest"));
	if (put_json(st, manifest, mdigest, &manifest_size, err) == -1)
		return (berth_error_wrap(err, "import: manifest"));
	{
		struct db_layer ly = {
			.diff_id = diff_id,
			.blob = { layer, MT_OCI_LAYER, layer_size },
		};
		struct db_image img = {
			.id = id,
			.config = { id, MT_OCI_CONFIG, config_size },
			.manifest = { mdigest, MT_OCI_MANIFEST, manifest_size },
			.created = secs,
			.size = layer_size,
			.layers = &ly,
			.nlayers = 1,
			.refs = opt->ref != NULL ? &opt->ref : NULL,
			.nrefs = opt->ref != NULL ? 1 : 0,
		};

		if (db_image_put(store_db(st), &img, err) == -1)
			return (berth_error_wrap(err, "import"));
	}
	memcpy(id_out, id, DIGEST_STR_SIZE);
	return (0);
}
