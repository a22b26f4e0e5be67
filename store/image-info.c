/*
 * Finding and describing images (image-info.h).
 */

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "image-info.h"
#include "json-util.h"
#include "reference.h"
#include "store.h"

#define MT_DOCKER_LAYER	"application/vnd.docker.image.rootfs.diff.tar"

struct image_list {
	struct db_image_info	*v;
	size_t			 n;
};

static inline void
cleanup_image_listp(struct image_list *l)
{
	db_image_list_free(l->v, l->n);
}
#define cleanup_image_list __attribute__((cleanup(cleanup_image_listp)))

static int
invalid_image(struct berth_error *err, const char *id, const char *what)
{
	berth_error_set(err, STORE_E_INVALID_IMAGE, 0, "image %s: %s", id,
	    what);
	return (berth_error_param_str(err, "image", id));
}

static int
not_found(struct berth_error *err, const char *name)
{
	berth_error_set(err, STORE_E_IMAGE_NOT_FOUND, 0,
	    "no such image: %s", name);
	return (berth_error_param_str(err, "image", name));
}

int
image_read_blob_json(struct store *st, const char *digest, json_t **out,
    struct berth_error *err)
{
	struct blob_store *bs = store_blobs(st);
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	json_error_t jerr;
	uint64_t size;
	size_t off = 0;
	ssize_t n;

	if (blob_size(bs, digest, &size, err) == -1)
		return (-1);
	if (size > IMAGE_JSON_MAX)
		return (berth_error_set(err, STORE_E_BLOB_TOO_LARGE, 0,
		    "blob %s: %ju bytes, more than %u", digest,
		    (uintmax_t)size, IMAGE_JSON_MAX));
	if ((fd = blob_open(bs, digest, err)) == -1)
		return (-1);
	if ((buf = malloc(size + 1)) == NULL)
		return (berth_error_sys(err, "read blob %s", digest));
	while (off < size) {
		if ((n = read(fd, buf + off, size - off)) == -1)
			return (berth_error_sys(err, "read blob %s", digest));
		if (n == 0)
			return (berth_error_set(err, STORE_E_INVALID_IMAGE, 0,
			    "blob %s: shorter than its size", digest));
		off += (size_t)n;
	}
	if ((*out = json_loadb(buf, off, 0, &jerr)) == NULL)
		return (berth_error_set(err, STORE_E_INVALID_IMAGE, 0,
		    "blob %s: line %d: %s", digest, jerr.line, jerr.text));
	return (0);
}

void
image_parts_free(struct image_parts *p)
{
	if (p->config != NULL)
		json_decref(p->config);
	if (p->manifest != NULL)
		json_decref(p->manifest);
	free(p->layers);
	db_strv_free(p->refs, p->nrefs);
	memset(p, 0, sizeof(*p));
}

static int
cmp_str(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Copy the database's row of image id into p. */
static int
parts_row(struct store *st, const char *id, struct image_parts *p,
    struct berth_error *err)
{
	cleanup_image_list struct image_list l = { NULL, 0 };
	struct db_image_info *info = NULL;
	size_t i;

	if (db_image_list(store_db(st), &l.v, &l.n, err) == -1)
		return (-1);
	for (i = 0; i < l.n && info == NULL; i++)
		if (strcmp(l.v[i].id, id) == 0)
			info = &l.v[i];
	if (info == NULL)
		return (not_found(err, id));
	memcpy(p->id, info->id, sizeof(p->id));
	if (info->manifest != NULL)
		snprintf(p->manifest_digest, sizeof(p->manifest_digest), "%s",
		    info->manifest);
	p->created = info->created;
	p->size = info->size;
	p->refs = steal_pointer(&info->refs);
	p->nrefs = info->nrefs;
	info->nrefs = 0;
	if (p->nrefs > 1)
		qsort(p->refs, p->nrefs, sizeof(*p->refs), cmp_str);
	return (0);
}

/* The layers: the manifest's descriptors, or without a manifest the
 * blobs the database recorded (a docker-archive's layer.tar members,
 * uncompressed or not). */
static int
parts_layers(struct store *st, struct image_parts *p,
    struct berth_error *err)
{
	json_t *diff_ids, *mlayers = NULL, *v;
	struct image_layer *ly;
	const char *s;
	char **blobs = NULL;
	size_t i, n, nblobs = 0;
	int rc = -1;

	diff_ids = json_object_get(json_object_get(p->config, "rootfs"),
	    "diff_ids");
	if (!json_is_array(diff_ids))
		return (invalid_image(err, p->id, "config has no diff_ids"));
	n = json_array_size(diff_ids);
	if (p->manifest != NULL) {
		mlayers = json_object_get(p->manifest, "layers");
		if (!json_is_array(mlayers) || json_array_size(mlayers) != n)
			return (invalid_image(err, p->id, "manifest layers "
			    "do not match the config's diff_ids"));
	}
	if (mlayers == NULL && db_image_layer_blobs(store_db(st), p->id,
	    &blobs, &nblobs, err) == -1)
		return (-1);
	if (n > 0 && (p->layers = calloc(n, sizeof(*p->layers))) == NULL) {
		berth_error_sys(err, "image %s", p->id);
		goto out;
	}
	p->nlayers = n;
	json_array_foreach(diff_ids, i, v) {
		ly = &p->layers[i];
		s = json_string_value(v);
		if (!digest_is_valid(s)) {
			invalid_image(err, p->id, "bad diff ID");
			goto out;
		}
		memcpy(ly->diff_id, s, sizeof(ly->diff_id));
		ly->media_type = MT_DOCKER_LAYER;
		/* No blob recorded: the uncompressed tar by its diff ID. */
		s = i < nblobs && blobs[i][0] != '\0' ? blobs[i] : ly->diff_id;
		if (mlayers != NULL) {
			v = json_array_get(mlayers, i);
			s = json_string_value(json_object_get(v, "digest"));
			if (!digest_is_valid(s)) {
				invalid_image(err, p->id,
				    "bad layer digest in manifest");
				goto out;
			}
			if (json_is_string(json_object_get(v, "mediaType")))
				ly->media_type = json_string_value(
				    json_object_get(v, "mediaType"));
		}
		memcpy(ly->blob, s, sizeof(ly->blob));
		if (blob_size(store_blobs(st), ly->blob, &ly->size, err) == -1 ||
		    db_layer_dir_size(store_db(st), ly->diff_id, &ly->unpacked,
		    err) == -1) {
			berth_error_wrap(err, "image %s layer %zu", p->id, i);
			goto out;
		}
	}
	rc = 0;
out:
	db_strv_free(blobs, nblobs);
	return (rc);
}

int
store_image_parts(struct store *st, const char *id, struct image_parts *out,
    struct berth_error *err)
{
	cleanup_image_parts struct image_parts p;
	uint64_t unpacked, shared;

	memset(&p, 0, sizeof(p));

	if (parts_row(st, id, &p, err) == -1)
		return (-1);
	/* Docker's Size: the unpacked content, known once unpacked. */
	if (db_image_usage(store_db(st), p.id, &unpacked, &shared,
	    err) == -1)
		return (-1);
	if (unpacked > 0)
		p.size = unpacked;
	if (image_read_blob_json(st, p.id, &p.config, err) == -1 ||
	    blob_size(store_blobs(st), p.id, &p.config_size, err) == -1)
		return (berth_error_wrap(err, "image %s config", p.id));
	if (!json_is_object(p.config))
		return (invalid_image(err, p.id, "config is not an object"));
	if (p.manifest_digest[0] != '\0') {
		if (image_read_blob_json(st, p.manifest_digest, &p.manifest,
		    err) == -1 ||
		    blob_size(store_blobs(st), p.manifest_digest,
		    &p.manifest_size, err) == -1)
			return (berth_error_wrap(err, "image %s manifest",
			    p.id));
		if (!json_is_object(p.manifest))
			return (invalid_image(err, p.id,
			    "manifest is not an object"));
	}
	if (parts_layers(st, &p, err) == -1)
		return (-1);
	*out = p;
	memset(&p, 0, sizeof(p));
	return (0);
}

/* Lowercase hex, at most 64 characters. */
/* "sha256:<hex>" or bare hex, at least IMAGE_ID_PREFIX_MIN digits. */
static bool
looks_like_id(const char *name)
{
	if (strncmp(name, DIGEST_PREFIX, DIGEST_PREFIX_LEN) == 0)
		name += DIGEST_PREFIX_LEN;
	return (strlen(name) >= IMAGE_ID_PREFIX_MIN &&
	    strlen(name) <= DIGEST_HEX_LEN &&
	    digest_hex_valid(name, strlen(name)));
}

/* An id or unique id prefix; 1 found, 0 not, -1 error (ambiguous). */
static int
find_by_id(struct store *st, const char *name, char id[DIGEST_STR_SIZE],
    struct berth_error *err)
{
	cleanup_image_list struct image_list l = { NULL, 0 };
	const char *hex = name, *found = NULL;
	size_t i, len;

	if (!looks_like_id(name))
		return (0);
	if (strncmp(hex, DIGEST_PREFIX, DIGEST_PREFIX_LEN) == 0)
		hex += DIGEST_PREFIX_LEN;
	len = strlen(hex);
	if (db_image_list(store_db(st), &l.v, &l.n, err) == -1)
		return (-1);
	for (i = 0; i < l.n; i++) {
		if (strncmp(digest_hex(l.v[i].id), hex, len) != 0)
			continue;
		if (found != NULL) {
			berth_error_set(err, STORE_E_AMBIGUOUS_ID, 0,
			    "image id prefix %s matches more than one image",
			    name);
			return (berth_error_param_str(err, "image", name));
		}
		found = l.v[i].id;
	}
	if (found == NULL)
		return (0);
	snprintf(id, DIGEST_STR_SIZE, "%s", found);
	return (1);
}

int
store_image_find(struct store *st, const char *name,
    char id[DIGEST_STR_SIZE], struct berth_error *err)
{
	cleanup_error struct berth_error rerr = BERTH_ERROR_INIT;
	cleanup_free char *ref = NULL;
	bool is_ref;
	int r;

	/* A reference first, as Docker does: "abcd" may be a tag. */
	is_ref = reference_normalize(name, &ref, &rerr) == 0;
	if (is_ref) {
		if (db_resolve(store_db(st), ref, id, &rerr) == 0)
			return (0);
		if (!berth_error_is(&rerr, STORE_E_REF_NOT_FOUND) &&
		    !berth_error_is(&rerr, STORE_E_IMAGE_NOT_FOUND)) {
			berth_error_move(err, &rerr);
			return (-1);
		}
	}
	if ((r = find_by_id(st, name, id, err)) != 0)
		return (r == 1 ? 0 : -1);
	if (!is_ref && !looks_like_id(name)) {
		berth_error_move(err, &rerr);
		return (berth_error_param_str(err, "image", name));
	}
	return (not_found(err, name));
}

/* Docker's familiar forms of refs: "busybox:latest", or with digest
 * "busybox@sha256:..." (the tag dropped). */
static int
familiar_refs(char *const *refs, size_t n, const char *digest, json_t *out,
    struct berth_error *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		cleanup_reference struct reference r = REFERENCE_INIT;
		cleanup_free char *s = NULL;
		char *tag;

		if (reference_parse(refs[i], &r, err) == -1)
			return (-1);
		if (digest != NULL) {
			tag = r.tag;
			r.tag = NULL;
			free(tag);
			free(r.digest);
			if ((r.digest = strdup(digest)) == NULL)
				return (berth_error_sys(err, "reference"));
		}
		if ((s = reference_familiar(&r)) == NULL)
			return (berth_error_sys(err, "reference"));
		/* Two tags of one repository give one digest form. */
		if (digest != NULL) {
			size_t j;
			bool dup = false;

			for (j = 0; j < json_array_size(out); j++)
				if (strcmp(json_string_value(
				    json_array_get(out, j)), s) == 0)
					dup = true;
			if (dup)
				continue;
		}
		if (json_array_append_new(out, json_string(s)) == -1)
			return (berth_error_sys(err, "reference"));
	}
	return (0);
}

static json_t *
str_or(json_t *obj, const char *key, const char *dflt)
{
	json_t *v = json_object_get(obj, key);

	return (json_is_string(v) ? json_incref(v) : json_string(dflt));
}

/* Docker's Config object: its keys in its order, its defaults for the
 * ones the image leaves out, then whatever else the image has. */
static json_t *
docker_config(json_t *cfg)
{
	static const struct {
		const char	*key;
		int		 type;	/* 's' "", 'b' false, 'n' null, 'o'
					 * omitted when absent */
	} keys[] = {
		{ "Hostname", 's' }, { "Domainname", 's' }, { "User", 's' },
		{ "AttachStdin", 'b' }, { "AttachStdout", 'b' },
		{ "AttachStderr", 'b' }, { "ExposedPorts", 'o' },
		{ "Tty", 'b' }, { "OpenStdin", 'b' }, { "StdinOnce", 'b' },
		{ "Env", 'n' }, { "Cmd", 'n' }, { "Healthcheck", 'o' },
		{ "ArgsEscaped", 'o' }, { "Image", 's' }, { "Volumes", 'n' },
		{ "WorkingDir", 's' }, { "Entrypoint", 'n' },
		{ "NetworkDisabled", 'o' }, { "MacAddress", 'o' },
		{ "OnBuild", 'n' }, { "Labels", 'n' }, { "StopSignal", 'o' },
		{ "StopTimeout", 'o' }, { "Shell", 'o' },
	};
	json_t *out = json_object(), *v;
	const char *key;
	size_t i;

	if (out == NULL)
		return (NULL);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v = json_object_get(cfg, keys[i].key);
		if (v != NULL)
			json_incref(v);
		else if (keys[i].type == 's')
			v = json_string("");
		else if (keys[i].type == 'b')
			v = json_false();
		else if (keys[i].type == 'n')
			v = json_null();
		else
			continue;
		if (json_object_set_new(out, keys[i].key, v) == -1)
			goto fail;
	}
	json_object_foreach(cfg, key, v)
		if (json_object_get(out, key) == NULL &&
		    json_object_set(out, key, v) == -1)
			goto fail;
	return (out);
fail:
	json_decref(out);
	return (NULL);
}

/* The config's comment, or its last history entry's. */
static const char *
image_comment(json_t *config)
{
	json_t *h = json_object_get(config, "history");
	const char *s;

	if ((s = json_string_value(json_object_get(config, "comment"))) != NULL)
		return (s);
	s = json_string_value(json_object_get(json_array_get(h,
	    json_array_size(h) - 1), "comment"));
	return (s != NULL ? s : "");
}

static int
inspect_doc(struct image_parts *p, json_t *doc, struct berth_error *err)
{
	json_t *c = p->config, *tags, *digests, *layers, *cfg;
	size_t i;
	int rc = 0;

	tags = json_array();
	digests = json_array();
	layers = json_array();
	cfg = docker_config(json_object_get(c, "config"));
	rc |= json_object_set_new(doc, "Id", json_string(p->id));
	rc |= json_object_set_new(doc, "RepoTags", tags);
	rc |= json_object_set_new(doc, "RepoDigests", digests);
	rc |= json_object_set_new(doc, "Parent", json_string(""));
	rc |= json_object_set_new(doc, "Comment",
	    json_string(image_comment(c)));
	rc |= json_object_set_new(doc, "Created", str_or(c, "created", ""));
	rc |= json_object_set_new(doc, "DockerVersion",
	    str_or(c, "docker_version", ""));
	rc |= json_object_set_new(doc, "Author", str_or(c, "author", ""));
	rc |= json_object_set_new(doc, "Config", cfg);
	rc |= json_object_set_new(doc, "Architecture",
	    str_or(c, "architecture", ""));
	if (json_is_string(json_object_get(c, "variant")))
		rc |= json_object_set_new(doc, "Variant",
		    str_or(c, "variant", ""));
	rc |= json_object_set_new(doc, "Os", str_or(c, "os", ""));
	if (json_is_string(json_object_get(c, "os.version")))
		rc |= json_object_set_new(doc, "OsVersion",
		    str_or(c, "os.version", ""));
	rc |= json_object_set_new(doc, "Size",
	    json_integer((json_int_t)p->size));
	rc |= json_object_set_new(doc, "RootFS", json_pack("{s:s, s:O}",
	    "Type", "layers", "Layers", layers));
	rc |= json_object_set_new(doc, "Metadata", json_pack("{s:s}",
	    "LastTagTime", "0001-01-01T00:00:00Z"));
	if (rc != 0 || tags == NULL || digests == NULL || layers == NULL ||
	    cfg == NULL) {
		json_decref(layers);
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "inspect image %s: out of memory", p->id));
	}
	for (i = 0; i < p->nlayers; i++)
		rc |= json_array_append_new(layers,
		    json_string(p->layers[i].diff_id));
	json_decref(layers);
	if (rc != 0)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "inspect image %s: out of memory", p->id));
	if (familiar_refs(p->refs, p->nrefs, NULL, tags, err) == -1)
		return (-1);
	if (p->manifest_digest[0] != '\0' && familiar_refs(p->refs, p->nrefs,
	    p->manifest_digest, digests, err) == -1)
		return (-1);
	return (0);
}

int
store_image_inspect(struct store *st, const char *id, json_t **out,
    struct berth_error *err)
{
	cleanup_image_parts struct image_parts p;
	cleanup_json json_t *doc = json_object();

	memset(&p, 0, sizeof(p));
	if (doc == NULL)
		return (berth_error_sys(err, "inspect image %s", id));
	if (store_image_parts(st, id, &p, err) == -1 ||
	    inspect_doc(&p, doc, err) == -1)
		return (berth_error_wrap(err, "inspect image %s", id));
	*out = steal_pointer(&doc);
	return (0);
}

/* RFC 3339 to seconds since the epoch; 0 when unreadable. */
static int64_t
rfc3339_seconds(const char *s)
{
	struct tm tm;
	const char *rest;
	int64_t t;
	int sign, hh, mm;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (rest = strptime(s, "%Y-%m-%dT%H:%M:%S",
	    &tm)) == NULL)
		return (0);
	t = (int64_t)timegm(&tm);
	if (*rest == '.')
		rest += 1 + strspn(rest + 1, "0123456789");
	if ((*rest == '+' || *rest == '-') &&
	    sscanf(rest + 1, "%2d:%2d", &hh, &mm) == 2) {
		sign = *rest == '+' ? 1 : -1;
		t -= sign * (hh * 3600 + mm * 60);
	}
	return (t);
}

/* What docker history shows for a layer: its unpacked content, or the
 * blob's size until it is unpacked. */
static uint64_t
layer_size(const struct image_parts *p, size_t i)
{
	return (p->layers[i].unpacked > 0 ? p->layers[i].unpacked :
	    p->layers[i].size);
}

static json_t *
history_entry(const char *created, const char *created_by,
    const char *comment, uint64_t size, bool empty)
{
	return (json_pack("{s:s, s:I, s:s, s:I, s:s, s:[], s:b}",
	    "id", "<missing>", "created", (json_int_t)rfc3339_seconds(created),
	    "created_by", created_by != NULL ? created_by : "",
	    "size", (json_int_t)size, "comment", comment != NULL ? comment : "",
	    "tags", "empty_layer", empty));
}

/* The entries oldest first: from the config's history, each non-empty
 * entry taking the next layer's size, or one per layer without one. */
static int
history_entries(struct image_parts *p, json_t *out, struct berth_error *err)
{
	json_t *hist = json_object_get(p->config, "history"), *h, *e;
	const char *created = json_string_value(json_object_get(p->config,
	    "created"));
	size_t i, layer = 0;
	bool empty;

	json_array_foreach(hist, i, h) {
		empty = json_is_true(json_object_get(h, "empty_layer"));
		e = history_entry(
		    json_string_value(json_object_get(h, "created")),
		    json_string_value(json_object_get(h, "created_by")),
		    json_string_value(json_object_get(h, "comment")),
		    !empty && layer < p->nlayers ? layer_size(p, layer) : 0,
		    empty);
		if (!empty)
			layer++;
		if (json_array_append_new(out, e) == -1)
			return (berth_error_set(err, BERTH_E_INTERNAL, 0,
			    "history: out of memory"));
	}
	if (json_array_size(hist) > 0)
		return (0);
	for (i = 0; i < p->nlayers; i++)
		if (json_array_append_new(out, history_entry(created, "", "",
		    layer_size(p, i), false)) == -1)
			return (berth_error_set(err, BERTH_E_INTERNAL, 0,
			    "history: out of memory"));
	return (0);
}

static int
history_doc(struct image_parts *p, json_t *out, struct berth_error *err)
{
	cleanup_json json_t *old = json_array();
	json_t *top;
	size_t i, n;

	if (old == NULL)
		return (berth_error_sys(err, "history"));
	if (history_entries(p, old, err) == -1)
		return (-1);
	n = json_array_size(old);
	for (i = n; i > 0; i--)
		if (json_array_append(out, json_array_get(old, i - 1)) == -1)
			return (berth_error_sys(err, "history"));
	if ((top = json_array_get(out, 0)) == NULL)
		return (0);
	if (json_object_set_new(top, "id", json_string(p->id)) == -1)
		return (berth_error_sys(err, "history"));
	return (familiar_refs(p->refs, p->nrefs, NULL,
	    json_object_get(top, "tags"), err));
}

int
store_image_history(struct store *st, const char *id, json_t **out,
    struct berth_error *err)
{
	cleanup_image_parts struct image_parts p;
	cleanup_json json_t *doc = json_array();

	memset(&p, 0, sizeof(p));
	if (doc == NULL)
		return (berth_error_sys(err, "history of image %s", id));
	if (store_image_parts(st, id, &p, err) == -1 ||
	    history_doc(&p, doc, err) == -1)
		return (berth_error_wrap(err, "history of image %s", id));
	*out = steal_pointer(&doc);
	return (0);
}
