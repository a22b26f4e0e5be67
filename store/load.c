/*
 * Image loading (load.h): the archive read once, then each image planned,
 * its layers unpacked, and every image recorded last.
 *
 * The order, and why:
 *  1. Read the tar front to back (docker save puts manifest.json last, so
 *     the format is only known at the end): every member that can be a
 *     blob is streamed into the blob store, hashed as it goes and, when
 *     its name is a digest, verified against it; the small JSON members
 *     are kept in memory, capped.  Hostile names are refused here, before
 *     anything is looked up by them.
 *  2. Plan each image from the manifest (docker) or index (OCI): config
 *     parsed, diff IDs counted against the layers, every blob named must
 *     have come from this archive.
 *  3. Unpack every layer (store_layer_unpack checks the diff ID).
 *  4. Record the images, each in one transaction: only now does anything
 *     become visible, so a failure in 1-3 records nothing.  What 1 and 3
 *     wrote stays for store_gc().
 */

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive-util.h"
#include "cleanup.h"
#include "image-info.h"
#include "import.h"
#include "json-util.h"
#include "load.h"
#include "progress.h"
#include "reference.h"
#include "store.h"

#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER	"application/vnd.docker.image.rootfs.diff.tar"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST	"application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_MANIFEST	"application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX	"application/vnd.oci.image.index.v1+json"

#define ANN_CONTAINERD_NAME "io.containerd.image.name"
#define ANN_REF_NAME	"org.opencontainers.image.ref.name"

#define BLOB_PREFIX	"blobs/sha256/"
#define LAYER_SUFFIX	"/layer.tar"

/* The JSON members kept in memory. */
enum { J_MANIFEST, J_INDEX, J_LAYOUT, J_REPOSITORIES, NJSON };
static const char *const json_names[NJSON] = {
	"manifest.json", "index.json", "oci-layout", "repositories",
};

/* A member streamed into the blob store, or a symlink to one (Docker
 * links a layer.tar that two images share). */
struct member {
	char		*path;
	char		 digest[DIGEST_STR_SIZE];	/* "" for a link */
	char		*link;		/* the member linked to, or NULL */
};

/* Links followed from one member at most. */
#define LOAD_LINK_HOPS	8

/* One image, checked and ready to record. */
struct plan {
	json_t		*config;	/* owns the diff ID strings */
	json_t		*manifest;	/* OCI: owns the descriptors' strings */
	char		 id[DIGEST_STR_SIZE];
	char		 manifest_digest[DIGEST_STR_SIZE];
	struct db_blob	 config_blob;
	struct db_blob	 manifest_blob;
	int64_t		 created;
	uint64_t	 size;
	struct db_layer	*layers;
	size_t		 nlayers;
	char		**refs;
	size_t		 nrefs;
};

struct load {
	struct store	*st;
	const struct store_progress *progress;
	struct member	*members;
	size_t		 nmembers;
	char		*json[NJSON];
	size_t		 json_len[NJSON];
	struct plan	*plans;
	size_t		 nplans;
};


static int
invalid(struct berth_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
invalid(struct berth_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	berth_error_vset(err, STORE_E_INVALID_ARCHIVE, 0, fmt, ap);
	va_end(ap);
	return (-1);
}

static void
plan_free(struct plan *p)
{
	if (p->config != NULL)
		json_decref(p->config);
	if (p->manifest != NULL)
		json_decref(p->manifest);
	free(p->layers);
	db_strv_free(p->refs, p->nrefs);
	memset(p, 0, sizeof(*p));
}

static void
load_free(struct load *l)
{
	size_t i;

	for (i = 0; i < l->nmembers; i++) {
		free(l->members[i].path);
		free(l->members[i].link);
	}
	free(l->members);
	for (i = 0; i < NJSON; i++)
		free(l->json[i]);
	for (i = 0; i < l->nplans; i++)
		plan_free(&l->plans[i]);
	free(l->plans);
}

static inline void
cleanup_loadp(struct load *l)
{
	load_free(l);
}
#define cleanup_load	__attribute__((cleanup(cleanup_loadp)))

/*
 * A member's path with any leading "./" dropped; absolute paths and ".."
 * components refused.  what names the path's origin in the message.
 */
static int
clean_path(const char *what, const char *raw, const char **out,
    struct berth_error *err)
{
	const char *p, *c;
	size_t n;

	if (raw == NULL)
		return (invalid(err, "%s with an unreadable name", what));
	p = raw;
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (*p == '/')
		return (invalid(err, "%s %s: absolute path", what, raw));
	for (c = p; *c != '\0'; c += n + (c[n] == '/')) {
		n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.')
			return (invalid(err, "%s %s: \"..\" in path", what,
			    raw));
	}
	if (*p == '\0')
		return (invalid(err, "%s %s: empty path", what, raw));
	*out = p;
	return (0);
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return (n >= m && strcmp(s + n - m, suffix) == 0);
}

/*
 * Whether a member is a blob: blobs/sha256/<hex> and <hex>.json, whose
 * names are their digests (written to expected), or a layer tar
 * (<dir>/layer.tar, <name>.tar), whose digest is only known once hashed
 * (expected left "").
 */
static bool
blob_member(const char *path, char expected[DIGEST_STR_SIZE])
{
	const char *hex = NULL;
	size_t len = strlen(path);

	expected[0] = '\0';
	if (strncmp(path, BLOB_PREFIX, strlen(BLOB_PREFIX)) == 0 &&
	    len - strlen(BLOB_PREFIX) == DIGEST_HEX_LEN &&
	    digest_hex_valid(path + strlen(BLOB_PREFIX), DIGEST_HEX_LEN))
		hex = path + strlen(BLOB_PREFIX);
	else if (strchr(path, '/') == NULL && has_suffix(path, ".json") &&
	    len - strlen(".json") == DIGEST_HEX_LEN &&
	    digest_hex_valid(path, DIGEST_HEX_LEN))
		hex = path;
	if (hex != NULL) {
		snprintf(expected, DIGEST_STR_SIZE, "%s%.*s", DIGEST_PREFIX,
		    DIGEST_HEX_LEN, hex);
		return (true);
	}
	/* docker save names layers <dir>/layer.tar, skopeo <hex>.tar. */
	return (has_suffix(path, LAYER_SUFFIX) || has_suffix(path, ".tar"));
}

static struct member *
member_by_path(struct load *l, const char *path)
{
	size_t i;

	for (i = 0; i < l->nmembers; i++)
		if (strcmp(l->members[i].path, path) == 0)
			return (&l->members[i]);
	return (NULL);
}

static struct member *
member_by_digest(struct load *l, const char *digest)
{
	size_t i;

	for (i = 0; i < l->nmembers; i++)
		if (strcmp(l->members[i].digest, digest) == 0)
			return (&l->members[i]);
	return (NULL);
}

/* Record a member; a later member of the same name replaces the
 * earlier, as tar extraction would. */
static int
member_put(struct load *l, const char *path, const char *digest,
    const char *link, struct berth_error *err)
{
	struct member *m, *grown;
	char *copy = NULL;

	if (link != NULL && (copy = strdup(link)) == NULL)
		return (berth_error_sys(err, "archive member %s", path));
	if ((m = member_by_path(l, path)) == NULL) {
		if (l->nmembers >= LOAD_MAX_BLOBS) {
			free(copy);
			return (berth_error_set(err, STORE_E_ARCHIVE_LIMIT, 0,
			    "archive has more than %u blobs",
			    LOAD_MAX_BLOBS));
		}
		grown = reallocarray(l->members, l->nmembers + 1,
		    sizeof(*grown));
		if (grown == NULL) {
			free(copy);
			return (berth_error_sys(err, "archive member %s",
			    path));
		}
		l->members = grown;
		m = &l->members[l->nmembers];
		memset(m, 0, sizeof(*m));
		if ((m->path = strdup(path)) == NULL) {
			free(copy);
			return (berth_error_sys(err, "archive member %s",
			    path));
		}
		l->nmembers++;
	}
	free(m->link);
	m->link = copy;
	snprintf(m->digest, sizeof(m->digest), "%s", digest);
	return (0);
}

/* A member by path, through symlink members. */
static struct member *
member_resolve(struct load *l, const char *path)
{
	struct member *m = member_by_path(l, path);
	int hops;

	for (hops = 0; m != NULL && m->link != NULL &&
	    hops < LOAD_LINK_HOPS; hops++)
		m = member_by_path(l, m->link);
	return (m != NULL && m->link == NULL ? m : NULL);
}

/* The path from the archive's root that the symlink member path, whose
 * target is target, names; refused when it leaves the archive. */
static int
link_path(const char *path, const char *target, char **out,
    struct berth_error *err)
{
	cleanup_free char *buf = NULL;
	const char *slash = strrchr(path, '/'), *c;
	size_t len = 0, n;

	if (target == NULL || *target == '/' || *target == '\0')
		return (invalid(err, "archive member %s: link to %s leaves "
		    "the archive", path, target != NULL ? target : "?"));
	if ((buf = malloc(strlen(path) + strlen(target) + 2)) == NULL)
		return (berth_error_sys(err, "archive member %s", path));
	if (slash != NULL) {
		len = (size_t)(slash - path);
		memcpy(buf, path, len);
	}
	buf[len] = '\0';
	for (c = target; *c != '\0'; c += n + (c[n] == '/')) {
		n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			if (len == 0)
				return (invalid(err, "archive member %s: "
				    "link to %s leaves the archive", path,
				    target));
			while (len > 0 && buf[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			buf[len] = '\0';
			continue;
		}
		if (len > 0)
			buf[len++] = '/';
		memcpy(buf + len, c, n);
		len += n;
		buf[len] = '\0';
	}
	if (len == 0)
		return (invalid(err, "archive member %s: link to %s names "
		    "the archive's root", path, target));
	*out = steal_pointer(&buf);
	return (0);
}

/* Stream the current member into a blob, verified against expected
 * when not "". */
static int
stream_blob(struct load *l, struct archive *a, const char *path,
    const char *expected, struct berth_error *err)
{
	cleanup_blob_writer struct blob_writer *w = NULL;
	char buf[64 << 10], digest[DIGEST_STR_SIZE];
	la_ssize_t n;

	if (blob_writer_open(store_blobs(l->st), LOAD_BLOB_MAX, &w,
	    err) == -1)
		return (berth_error_wrap(err, "archive member %s", path));
	while ((n = archive_read_data(a, buf, sizeof(buf))) != 0) {
		if (n < 0)
			return (invalid(err, "archive member %s: %s", path,
			    archive_error_string(a)));
		if (blob_writer_write(w, buf, (size_t)n, err) == -1)
			return (berth_error_wrap(err, "archive member %s",
			    path));
	}
	if (blob_writer_commit(steal_pointer(&w),
	    expected[0] != '\0' ? expected : NULL, digest, err) == -1)
		return (berth_error_wrap(err, "archive member %s", path));
	return (member_put(l, path, digest, NULL, err));
}

/* Read the current member into memory, at most LOAD_JSON_MAX bytes. */
static int
read_small(struct archive *a, struct archive_entry *e, const char *path,
    char **out, size_t *outlen, struct berth_error *err)
{
	cleanup_free char *buf = NULL;
	size_t len = 0;
	la_ssize_t n;

	if (archive_entry_size_is_set(e) &&
	    archive_entry_size(e) > (la_int64_t)LOAD_JSON_MAX)
		return (berth_error_set(err, STORE_E_ARCHIVE_LIMIT, 0,
		    "archive member %s: %jd bytes, more than %u", path,
		    (intmax_t)archive_entry_size(e), LOAD_JSON_MAX));
	if ((buf = malloc(LOAD_JSON_MAX + 1)) == NULL)
		return (berth_error_sys(err, "archive member %s", path));
	while ((n = archive_read_data(a, buf + len,
	    LOAD_JSON_MAX + 1 - len)) != 0) {
		if (n < 0)
			return (invalid(err, "archive member %s: %s", path,
			    archive_error_string(a)));
		len += (size_t)n;
		if (len > LOAD_JSON_MAX)
			return (berth_error_set(err, STORE_E_ARCHIVE_LIMIT, 0,
			    "archive member %s: more than %u bytes", path,
			    LOAD_JSON_MAX));
	}
	*outlen = len;
	*out = steal_pointer(&buf);
	return (0);
}

/* Step 1: the archive front to back. */
static int
read_archive(struct load *l, int fd, struct berth_error *err)
{
	cleanup_archive struct archive *a = archive_read_new();
	struct archive_entry *e;
	char expected[DIGEST_STR_SIZE];
	const char *path;
	size_t i;
	int r;

	if (a == NULL)
		return (berth_error_set(err, BERTH_E_INTERNAL, 0,
		    "archive_read_new failed"));
	/* docker load takes compressed archives too. */
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, 64 << 10) != ARCHIVE_OK)
		return (invalid(err, "read archive: %s",
		    archive_error_string(a)));
	while ((r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN)
			return (invalid(err, "read archive: %s",
			    archive_error_string(a)));
		if (clean_path("archive member", archive_entry_pathname(e),
		    &path, err) == -1)
			return (-1);
		if (archive_entry_filetype(e) == AE_IFLNK &&
		    blob_member(path, expected)) {
			cleanup_free char *target = NULL;

			if (link_path(path, archive_entry_symlink(e), &target,
			    err) == -1 ||
			    member_put(l, path, "", target, err) == -1)
				return (-1);
			continue;
		}
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		for (i = 0; i < NJSON; i++)
			if (strcmp(path, json_names[i]) == 0)
				break;
		if (i < NJSON) {
			if (l->json[i] != NULL)
				return (invalid(err, "archive member %s "
				    "appears twice", path));
			if (read_small(a, e, path, &l->json[i],
			    &l->json_len[i], err) == -1)
				return (-1);
		} else if (blob_member(path, expected)) {
			if (stream_blob(l, a, path, expected, err) == -1)
				return (-1);
		}
		/* Anything else is no part of either format. */
	}
	return (0);
}

static int
parse_json(const char *what, const char *buf, size_t len, json_t **out,
    struct berth_error *err)
{
	json_error_t jerr;

	*out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (*out == NULL)
		return (invalid(err, "%s: line %d: %s", what, jerr.line,
		    jerr.text));
	return (0);
}

/* A stored blob's JSON, at most LOAD_JSON_MAX bytes. */
static int
read_blob_json(struct load *l, const char *what, const char *digest,
    json_t **out, struct berth_error *err)
{
	char msg[1024];

	if (image_read_blob_json(l->st, digest, out, err) == 0)
		return (0);
	/* The archive's fault, in the archive's words. */
	snprintf(msg, sizeof(msg), "%s", berth_error_message(err));
	if (berth_error_is(err, STORE_E_BLOB_TOO_LARGE)) {
		berth_error_clear(err);
		return (berth_error_set(err, STORE_E_ARCHIVE_LIMIT, 0,
		    "%s: %s", what, msg));
	}
	if (berth_error_is(err, STORE_E_INVALID_IMAGE)) {
		berth_error_clear(err);
		return (invalid(err, "%s: %s", what, msg));
	}
	return (berth_error_wrap(err, "%s", what));
}

/* The blob an archive path names (docker-archive). */
static int
blob_at_path(struct load *l, const char *what, const char *raw,
    const char **digest, struct berth_error *err)
{
	struct member *m;
	const char *path;

	if (clean_path(what, raw, &path, err) == -1)
		return (-1);
	if ((m = member_resolve(l, path)) == NULL) {
		berth_error_set(err, STORE_E_BLOB_NOT_FOUND, 0,
		    "%s %s is not in the archive", what, raw);
		return (berth_error_param_str(err, "member", raw));
	}
	*digest = m->digest;
	return (0);
}

/* A descriptor's blob (OCI): it must have come from this archive, at
 * the size the descriptor gives. */
static int
blob_of_descriptor(struct load *l, const char *what, json_t *desc,
    struct db_blob *out, struct berth_error *err)
{
	const char *digest = NULL, *media = NULL;
	json_int_t want;
	uint64_t size;

	if (json_unpack(desc, "{s:s, s?s}", "digest", &digest, "mediaType",
	    &media) == -1)
		return (invalid(err, "%s: descriptor without a digest", what));
	if (digest_validate(digest, err) == -1)
		return (berth_error_wrap(err, "%s", what));
	if (member_by_digest(l, digest) == NULL) {
		berth_error_set(err, STORE_E_BLOB_NOT_FOUND, 0,
		    "%s %s is not in the archive", what, digest);
		return (berth_error_param_str(err, "digest", digest));
	}
	if (blob_size(store_blobs(l->st), digest, &size, err) == -1)
		return (berth_error_wrap(err, "%s", what));
	if (json_is_integer(json_object_get(desc, "size"))) {
		want = json_integer_value(json_object_get(desc, "size"));
		if (want < 0 || (uint64_t)want != size)
			return (invalid(err, "%s %s: descriptor size %jd, "
			    "blob size %ju", what, digest, (intmax_t)want,
			    (uintmax_t)size));
	}
	out->digest = digest;
	out->media_type = media;
	out->size = size;
	return (0);
}

/* "2006-01-02T15:04:05..." to seconds; 0 when absent or unreadable. */
static int64_t
parse_created(json_t *config)
{
	const char *s = json_string_value(json_object_get(config, "created"));
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return (0);
	return ((int64_t)timegm(&tm));
}

/* Read the config p->id into p: diff IDs (exactly nlayers of them) and
 * the creation time.  Layer blobs are filled in by the caller. */
static int
plan_config(struct load *l, struct plan *p, size_t nlayers,
    struct berth_error *err)
{
	json_t *diff_ids, *v;
	size_t i;

	if (read_blob_json(l, "config", p->id, &p->config, err) == -1)
		return (-1);
	diff_ids = json_object_get(json_object_get(p->config, "rootfs"),
	    "diff_ids");
	if (!json_is_array(diff_ids))
		return (invalid(err, "config %s: no rootfs.diff_ids", p->id));
	if (json_array_size(diff_ids) != nlayers)
		return (invalid(err, "config %s lists %zu diff IDs, the "
		    "manifest %zu layers", p->id, json_array_size(diff_ids),
		    nlayers));
	if (nlayers > 0 && (p->layers = calloc(nlayers,
	    sizeof(*p->layers))) == NULL)
		return (berth_error_sys(err, "config %s", p->id));
	p->nlayers = nlayers;
	json_array_foreach(diff_ids, i, v) {
		p->layers[i].diff_id = json_string_value(v);
		if (!digest_is_valid(p->layers[i].diff_id))
			return (invalid(err, "config %s: diff ID %zu is not "
			    "a sha256 digest", p->id, i));
	}
	p->created = parse_created(p->config);
	return (0);
}

/* Add a normalised reference to p, once. */
static int
plan_ref(struct plan *p, const char *s, struct berth_error *err)
{
	cleanup_free char *ref = NULL;
	char **grown;
	size_t i;

	if (reference_normalize(s, &ref, err) == -1)
		return (berth_error_wrap(err, "image %s", p->id));
	for (i = 0; i < p->nrefs; i++)
		if (strcmp(p->refs[i], ref) == 0)
			return (0);
	grown = reallocarray(p->refs, p->nrefs + 1, sizeof(*grown));
	if (grown == NULL)
		return (berth_error_sys(err, "image %s", p->id));
	p->refs = grown;
	p->refs[p->nrefs++] = steal_pointer(&ref);
	return (0);
}

static struct plan *
plan_new(struct load *l, struct berth_error *err)
{
	struct plan *grown;

	grown = reallocarray(l->plans, l->nplans + 1, sizeof(*grown));
	if (grown == NULL) {
		berth_error_sys(err, "plan image");
		return (NULL);
	}
	l->plans = grown;
	memset(&l->plans[l->nplans], 0, sizeof(*grown));
	return (&l->plans[l->nplans++]);
}

/* Step 2 for a docker-archive: one plan per manifest.json entry. */
static int
plan_docker(struct load *l, struct berth_error *err)
{
	cleanup_json json_t *manifest = NULL;
	json_t *item, *layers, *tags, *v;
	const char *cfg, *digest;
	struct plan *p;
	size_t i, j;
	char what[64];

	if (parse_json("manifest.json", l->json[J_MANIFEST],
	    l->json_len[J_MANIFEST], &manifest, err) == -1)
		return (-1);
	if (!json_is_array(manifest) || json_array_size(manifest) == 0)
		return (invalid(err, "manifest.json: not a list of images"));
	json_array_foreach(manifest, i, item) {
		snprintf(what, sizeof(what), "manifest.json image %zu", i);
		tags = NULL;
		if (json_unpack(item, "{s:s, s:o, s?o}", "Config", &cfg,
		    "Layers", &layers, "RepoTags", &tags) == -1 ||
		    !json_is_array(layers) ||
		    (tags != NULL && !json_is_null(tags) &&
		    !json_is_array(tags)))
			return (invalid(err, "%s: needs Config, Layers and "
			    "optional RepoTags", what));
		if ((p = plan_new(l, err)) == NULL ||
		    blob_at_path(l, "config", cfg, &digest, err) == -1)
			return (berth_error_wrap(err, "%s", what));
		memcpy(p->id, digest, sizeof(p->id));
		p->config_blob.digest = p->id;
		p->config_blob.media_type = MT_DOCKER_CONFIG;
		if (blob_size(store_blobs(l->st), p->id, &p->config_blob.size,
		    err) == -1 ||
		    plan_config(l, p, json_array_size(layers), err) == -1)
			return (berth_error_wrap(err, "%s", what));
		json_array_foreach(layers, j, v) {
			struct db_layer *ly = &p->layers[j];

			if (blob_at_path(l, "layer", json_string_value(v),
			    &digest, err) == -1)
				return (berth_error_wrap(err, "%s", what));
			/* A docker-archive layer is the uncompressed tar,
			 * whose digest is its diff ID, or (docker load
			 * takes it) a compressed one: unpack_layers then
			 * hashes it whatever is unpacked already. */
			ly->blob.digest = digest;
			ly->blob.media_type = MT_DOCKER_LAYER;
			if (blob_size(store_blobs(l->st), digest,
			    &ly->blob.size, err) == -1)
				return (berth_error_wrap(err, "%s", what));
			p->size += ly->blob.size;
		}
		json_array_foreach(tags, j, v) {
			if (!json_is_string(v))
				return (invalid(err, "%s: RepoTags %zu is not "
				    "a string", what, j));
			if (plan_ref(p, json_string_value(v), err) == -1)
				return (berth_error_wrap(err, "%s", what));
		}
	}
	return (0);
}

/* An OCI descriptor's references: containerd's full name, and the OCI
 * ref.name when it is a full reference rather than a bare tag (which
 * names no repository). */
static int
plan_oci_refs(struct plan *p, json_t *desc, struct berth_error *err)
{
	json_t *ann = json_object_get(desc, "annotations");
	const char *name;

	name = json_string_value(json_object_get(ann, ANN_CONTAINERD_NAME));
	if (name != NULL && plan_ref(p, name, err) == -1)
		return (-1);
	name = json_string_value(json_object_get(ann, ANN_REF_NAME));
	if (name != NULL && strpbrk(name, ":/@") != NULL &&
	    plan_ref(p, name, err) == -1)
		return (-1);
	return (0);
}

/* Step 2 for an OCI layout: one plan per manifest in index.json. */
/*
 * The manifest descriptor for linux/<host arch> in the index desc points
 * at: *nested gets the index (which owns *out), the caller frees it.
 */
static int
platform_manifest(struct load *l, const char *what, json_t *desc,
    json_t **nested, json_t **out, struct berth_error *err)
{
	struct db_blob blob;
	json_t *list, *m, *plat;
	const char *os, *arch;
	size_t i;

	if (blob_of_descriptor(l, "index", desc, &blob, err) == -1 ||
	    read_blob_json(l, "index", blob.digest, nested, err) == -1)
		return (berth_error_wrap(err, "%s", what));
	list = json_object_get(*nested, "manifests");
	json_array_foreach(list, i, m) {
		plat = json_object_get(m, "platform");
		os = json_string_value(json_object_get(plat, "os"));
		arch = json_string_value(json_object_get(plat,
		    "architecture"));
		if (os != NULL && arch != NULL && strcmp(os, "linux") == 0 &&
		    strcmp(arch, import_host_arch()) == 0) {
			*out = m;
			return (0);
		}
	}
	berth_error_set(err, STORE_E_PLATFORM, 0, "%s: index %s has no "
	    "manifest for linux/%s", what, blob.digest, import_host_arch());
	return (berth_error_param_str(err, "platform", import_host_arch()));
}

static int
plan_oci(struct load *l, struct berth_error *err)
{
	cleanup_json json_t *layout = NULL, *index = NULL, *nested = NULL;
	json_t *manifests, *desc, *layers, *v, *refs_desc;
	struct db_blob config;
	const char *media;
	struct plan *p;
	size_t i, j;
	char what[64];

	if (parse_json("oci-layout", l->json[J_LAYOUT], l->json_len[J_LAYOUT],
	    &layout, err) == -1 ||
	    parse_json("index.json", l->json[J_INDEX], l->json_len[J_INDEX],
	    &index, err) == -1)
		return (-1);
	if (!json_is_string(json_object_get(layout, "imageLayoutVersion")))
		return (invalid(err, "oci-layout: no imageLayoutVersion"));
	manifests = json_object_get(index, "manifests");
	if (!json_is_array(manifests) || json_array_size(manifests) == 0)
		return (invalid(err, "index.json: no manifests"));
	json_array_foreach(manifests, i, desc) {
		snprintf(what, sizeof(what), "index.json manifest %zu", i);
		refs_desc = desc;
		media = json_string_value(json_object_get(desc, "mediaType"));
		if (media != NULL && (strcmp(media, MT_OCI_INDEX) == 0 ||
		    strcmp(media, MT_DOCKER_LIST) == 0)) {
			/* A multi-platform image: this host's manifest. */
			json_decref(nested);
			nested = NULL;
			if (platform_manifest(l, what, desc, &nested, &desc,
			    err) == -1)
				return (-1);
			media = json_string_value(json_object_get(desc,
			    "mediaType"));
		}
		if (media != NULL && strcmp(media, MT_OCI_MANIFEST) != 0 &&
		    strcmp(media, MT_DOCKER_MANIFEST) != 0)
			return (invalid(err, "%s: unknown media type %s",
			    what, media));
		if ((p = plan_new(l, err)) == NULL ||
		    blob_of_descriptor(l, "manifest", desc, &p->manifest_blob,
		    err) == -1 ||
		    read_blob_json(l, "manifest", p->manifest_blob.digest,
		    &p->manifest, err) == -1)
			return (berth_error_wrap(err, "%s", what));
		/* The descriptor's strings live in index, freed before the
		 * plan is recorded: keep copies. */
		memcpy(p->manifest_digest, p->manifest_blob.digest,
		    sizeof(p->manifest_digest));
		p->manifest_blob.digest = p->manifest_digest;
		p->manifest_blob.media_type = media != NULL &&
		    strcmp(media, MT_DOCKER_MANIFEST) == 0 ?
		    MT_DOCKER_MANIFEST : MT_OCI_MANIFEST;
		layers = json_object_get(p->manifest, "layers");
		if (!json_is_array(layers))
			return (invalid(err, "%s: manifest %s has no layers",
			    what, p->manifest_blob.digest));
		if (blob_of_descriptor(l, "config", json_object_get(
		    p->manifest, "config"), &config, err) == -1)
			return (berth_error_wrap(err, "%s", what));
		memcpy(p->id, config.digest, sizeof(p->id));
		p->config_blob = config;
		p->config_blob.digest = p->id;
		if (plan_config(l, p, json_array_size(layers), err) == -1)
			return (berth_error_wrap(err, "%s", what));
		json_array_foreach(layers, j, v) {
			if (blob_of_descriptor(l, "layer", v,
			    &p->layers[j].blob, err) == -1)
				return (berth_error_wrap(err, "%s", what));
			p->size += p->layers[j].blob.size;
		}
		if (plan_oci_refs(p, refs_desc, err) == -1)
			return (berth_error_wrap(err, "%s", what));
	}
	return (0);
}

/* Step 3: every layer of every plan unpacked, once. */
static int
unpack_layers(struct load *l, struct berth_error *err)
{
	char diff_id[DIGEST_STR_SIZE];
	size_t i, j;

	for (i = 0; i < l->nplans; i++)
		for (j = 0; j < l->plans[i].nlayers; j++) {
			const struct db_layer *ly = &l->plans[i].layers[j];

			store_progress_report(l->progress, "Loading layer",
			    ly->diff_id, 0, ly->blob.size, NULL);
			/* Trusting the diff ID lets an unpacked layer be
			 * skipped unread: only when the blob's own digest
			 * proves it (an uncompressed layer). */
			bool proven = strcmp(ly->blob.digest,
			    ly->diff_id) == 0;

			if (store_layer_unpack(l->st, ly->blob.digest,
			    proven ? ly->diff_id : NULL, diff_id, err) == -1)
				return (berth_error_wrap(err, "image %s "
				    "layer %zu", l->plans[i].id, j));
			if (strcmp(diff_id, ly->diff_id) != 0) {
				berth_error_set(err, STORE_E_DIFF_ID_MISMATCH,
				    0, "image %s layer %zu: diff ID is %s, "
				    "the config says %s", l->plans[i].id, j,
				    diff_id, ly->diff_id);
				berth_error_param_str(err, "expected",
				    ly->diff_id);
				return (berth_error_param_str(err, "actual",
				    diff_id));
			}
			store_progress_report(l->progress, "Loading layer",
			    ly->diff_id, ly->blob.size, ly->blob.size, NULL);
		}
	return (0);
}

/* Step 4, one image: added, or when present already, its references
 * pointed at it again. */
static int
record(struct load *l, struct plan *p, struct berth_error *err)
{
	struct db_image img = {
		.id = p->id,
		.config = p->config_blob,
		.manifest = p->manifest_blob,
		.created = p->created,
		.size = p->size,
		.layers = p->layers,
		.nlayers = p->nlayers,
		.refs = (const char *const *)p->refs,
		.nrefs = p->nrefs,
	};

	return (db_image_put(store_db(l->st), &img, err));
}

/* Move the recorded plan's id and references into res. */
static int
result_add(struct load_result *res, struct plan *p, struct berth_error *err)
{
	struct load_image *grown, *img;

	grown = reallocarray(res->images, res->nimages + 1, sizeof(*grown));
	if (grown == NULL)
		return (berth_error_sys(err, "load result"));
	res->images = grown;
	img = &res->images[res->nimages++];
	memcpy(img->id, p->id, sizeof(img->id));
	img->refs = steal_pointer(&p->refs);
	img->nrefs = p->nrefs;
	p->nrefs = 0;
	return (0);
}

int
store_load(struct store *st, int archive_fd, struct load_result *res,
    struct berth_error *err)
{
	return (store_load_progress(st, archive_fd, NULL, res, err));
}

int
store_load_progress(struct store *st, int archive_fd,
    const struct store_progress *progress, struct load_result *res,
    struct berth_error *err)
{
	cleanup_load struct load l = { .st = st, .progress = progress };
	cleanup_load_result struct load_result out = LOAD_RESULT_INIT;
	size_t i;

	if (read_archive(&l, archive_fd, err) == -1)
		return (berth_error_wrap(err, "load image archive"));
	/* An OCI layout first: docker save (25.0 on) writes both, and the
	 * index keeps the manifests' digests. */
	if (l.json[J_INDEX] != NULL && l.json[J_LAYOUT] != NULL) {
		if (plan_oci(&l, err) == -1)
			return (berth_error_wrap(err, "load OCI layout"));
	} else if (l.json[J_MANIFEST] != NULL) {
		if (plan_docker(&l, err) == -1)
			return (berth_error_wrap(err, "load docker-archive"));
	} else
		return (invalid(err, "load image archive: neither "
		    "manifest.json nor index.json with oci-layout"));
	if (unpack_layers(&l, err) == -1)
		return (berth_error_wrap(err, "load image archive"));
	for (i = 0; i < l.nplans; i++) {
		if (record(&l, &l.plans[i], err) == -1 ||
		    result_add(&out, &l.plans[i], err) == -1)
			return (berth_error_wrap(err, "load image archive"));
	}
	*res = out;
	memset(&out, 0, sizeof(out));
	return (0);
}

void
load_result_free(struct load_result *res)
{
	size_t i;

	for (i = 0; i < res->nimages; i++)
		db_strv_free(res->images[i].refs, res->images[i].nrefs);
	free(res->images);
	res->images = NULL;
	res->nimages = 0;
}
