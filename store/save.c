/*
 * Image saving (save.h).
 *
 * Each image is planned (its stored parts read, each layer's output
 * blob chosen or produced), its blobs written as members, and the
 * archive's index (manifest.json and repositories, or index.json and
 * oci-layout) written last, from memory.
 */

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive-util.h"
#include "cleanup.h"
#include "image-info.h"
#include "json-util.h"
#include "reference.h"
#include "save.h"
#include "store.h"

#define MT_OCI_MANIFEST	"application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX	"application/vnd.oci.image.index.v1+json"
#define MT_OCI_CONFIG	"application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER	"application/vnd.oci.image.layer.v1.tar"

#define ANN_CONTAINERD_NAME "io.containerd.image.name"
#define ANN_REF_NAME	"org.opencontainers.image.ref.name"

#define SAVE_BLOCK	(64u << 10)

/* What a layer blob holds, told by its first bytes. */
enum form { FORM_TAR, FORM_GZIP, FORM_ZSTD };

static const char *const form_suffix[] = { "", "+gzip", "+zstd" };

struct save {
	struct store		*st;
	struct archive		*a;
	enum save_format	 fmt;
	enum save_compression	 comp;
	const struct store_progress *progress;
	char			**written;	/* member paths */
	size_t			 nwritten;
	json_t			*manifests;	/* docker manifest.json or OCI
						 * index.json's manifests */
	json_t			*repositories;
	json_t			*docker_manifests;	/* OCI: manifest.json */
};

static inline void
cleanup_archive_writep(struct archive **a)
{
	if (*a != NULL)
		archive_write_free(*a);
}
#define cleanup_archive_write __attribute__((cleanup(cleanup_archive_writep)))

static void
save_free(struct save *s)
{
	db_strv_free(s->written, s->nwritten);
	if (s->manifests != NULL)
		json_decref(s->manifests);
	if (s->repositories != NULL)
		json_decref(s->repositories);
	if (s->docker_manifests != NULL)
		json_decref(s->docker_manifests);
}

static inline void
cleanup_savep(struct save *s)
{
	save_free(s);
}
#define cleanup_save	__attribute__((cleanup(cleanup_savep)))

static int
oom(struct berth_error *err, const char *what)
{
	return (berth_error_set(err, BERTH_E_INTERNAL, ENOMEM, "%s", what));
}

static int
archive_err(struct archive *a, struct berth_error *err, const char *what)
{
	return (berth_error_set(err, BERTH_E_SYSTEM, archive_errno(a),
	    "%s: %s", what, archive_error_string(a)));
}

/* Remember path; 1 when it was already written. */
static int
seen(struct save *s, const char *path, struct berth_error *err)
{
	char **grown;
	size_t i;

	for (i = 0; i < s->nwritten; i++)
		if (strcmp(s->written[i], path) == 0)
			return (1);
	grown = reallocarray(s->written, s->nwritten + 1, sizeof(*grown));
	if (grown == NULL)
		return (berth_error_sys(err, "save"));
	s->written = grown;
	if ((s->written[s->nwritten] = strdup(path)) == NULL)
		return (berth_error_sys(err, "save"));
	s->nwritten++;
	return (0);
}

/* A member's header: every field fixed but name and size. */
static int
member_header(struct save *s, const char *path, uint64_t size,
    struct berth_error *err)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (e == NULL)
		return (oom(err, "tar header"));
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	r = archive_write_header(s->a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return (archive_err(s->a, err, path));
	return (0);
}

static int
member_data(struct save *s, const char *path, const void *buf, size_t len,
    struct berth_error *err)
{
	if (archive_write_data(s->a, buf, len) != (la_ssize_t)len)
		return (archive_err(s->a, err, path));
	return (0);
}

/* A member from memory. */
static int
write_buffer(struct save *s, const char *path, const char *buf, size_t len,
    struct berth_error *err)
{
	if (member_header(s, path, len, err) == -1 ||
	    member_data(s, path, buf, len, err) == -1)
		return (-1);
	return (0);
}

/* A member copied from a stored blob, once per path. */
static int
write_blob(struct save *s, const char *path, const char *digest,
    struct berth_error *err)
{
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	uint64_t size, done = 0;
	ssize_t n;
	int r;

	if ((r = seen(s, path, err)) != 0)
		return (r == 1 ? 0 : -1);
	if (blob_size(store_blobs(s->st), digest, &size, err) == -1 ||
	    (fd = blob_open(store_blobs(s->st), digest, err)) == -1)
		return (-1);
	if ((buf = malloc(SAVE_BLOCK)) == NULL)
		return (berth_error_sys(err, "save %s", digest));
	if (member_header(s, path, size, err) == -1)
		return (-1);
	store_progress_report(s->progress, "Writing", digest, 0, size, NULL);
	while (done < size) {
		n = read(fd, buf, size - done < SAVE_BLOCK ?
		    (size_t)(size - done) : SAVE_BLOCK);
		if (n == -1)
			return (berth_error_sys(err, "read blob %s", digest));
		if (n == 0)
			return (berth_error_set(err, STORE_E_BLOB_MISMATCH, 0,
			    "blob %s is shorter than its size", digest));
		if (member_data(s, path, buf, (size_t)n, err) == -1)
			return (-1);
		done += (uint64_t)n;
		store_progress_report(s->progress, "Writing", digest, done,
		    size, NULL);
	}
	return (0);
}

static int
blob_form(struct store *st, const char *digest, enum form *out,
    struct berth_error *err)
{
	cleanup_close int fd = blob_open(store_blobs(st), digest, err);
	unsigned char m[4] = { 0 };
	ssize_t n;

	if (fd == -1)
		return (-1);
	if ((n = read(fd, m, sizeof(m))) == -1)
		return (berth_error_sys(err, "read blob %s", digest));
	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		*out = FORM_GZIP;
	else if (n == 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f &&
	    m[3] == 0xfd)
		*out = FORM_ZSTD;
	else
		*out = FORM_TAR;
	return (0);
}

/* libarchive's output into a blob writer. */
static la_ssize_t
to_blob(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (blob_writer_write(arg, buf, len, &err) == -1) {
		archive_set_error(a, err.errnum != 0 ? err.errnum : EIO,
		    "%s", berth_error_message(&err));
		berth_error_clear(&err);
		return (-1);
	}
	return ((la_ssize_t)len);
}

/* A raw writer compressing into w, deterministically. */
static struct archive *
compressor(enum form form, struct blob_writer *w, struct berth_error *err)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = NULL;
	int r;

	if (a == NULL) {
		oom(err, "compressor");
		return (NULL);
	}
	if (form == FORM_GZIP)
		r = archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
		    archive_write_set_filter_option(a, "gzip",
		    "compression-level", SAVE_GZIP_LEVEL) != ARCHIVE_OK ||
		    archive_write_set_filter_option(a, "gzip", "timestamp",
		    NULL) != ARCHIVE_OK;
	else
		r = archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
		    archive_write_set_filter_option(a, "zstd",
		    "compression-level", SAVE_ZSTD_LEVEL) != ARCHIVE_OK;
	if (r || archive_write_set_format_raw(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open2(a, w, NULL, to_blob, NULL, NULL) != ARCHIVE_OK ||
	    (e = archive_entry_new()) == NULL)
		goto fail;
	archive_entry_set_filetype(e, AE_IFREG);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		goto fail;
	archive_entry_free(e);
	return (a);
fail:
	archive_err(a, err, "compressor");
	archive_entry_free(e);
	archive_write_free(a);
	return (NULL);
}

/*
 * Produce blob src in form into the blob store: decompressed (checked
 * against expected, the diff ID), or recompressed.  The new digest is
 * written to out.
 */
static int
convert(struct save *s, const char *src, enum form form, const char *expected,
    char out[DIGEST_STR_SIZE], struct berth_error *err)
{
	/* Freed in reverse: w first, whose close still writes into bw. */
	cleanup_blob_writer struct blob_writer *bw = NULL;
	cleanup_archive struct archive *r = archive_read_new();
	cleanup_archive_write struct archive *w = NULL;
	cleanup_close int fd = -1;
	cleanup_free char *buf = malloc(SAVE_BLOCK);
	struct archive_entry *e;
	la_ssize_t n;
	int rc;

	if (r == NULL || buf == NULL)
		return (oom(err, "convert layer"));
	if ((fd = blob_open(store_blobs(s->st), src, err)) == -1 ||
	    blob_writer_open(store_blobs(s->st), 0, &bw, err) == -1)
		return (-1);
	if (form != FORM_TAR && (w = compressor(form, bw, err)) == NULL)
		return (-1);
	if (archive_read_support_filter_all(r) != ARCHIVE_OK ||
	    archive_read_support_format_raw(r) != ARCHIVE_OK ||
	    archive_read_open_fd(r, fd, SAVE_BLOCK) != ARCHIVE_OK)
		return (archive_err(r, err, src));
	rc = archive_read_next_header(r, &e);
	if (rc != ARCHIVE_OK && rc != ARCHIVE_EOF)
		return (archive_err(r, err, src));
	store_progress_report(s->progress, "Preparing", src, 0, 0, NULL);
	while (rc == ARCHIVE_OK &&
	    (n = archive_read_data(r, buf, SAVE_BLOCK)) != 0) {
		if (n < 0)
			return (archive_err(r, err, src));
		if (w != NULL && archive_write_data(w, buf, (size_t)n) != n)
			return (archive_err(w, err, src));
		if (w == NULL && blob_writer_write(bw, buf, (size_t)n,
		    err) == -1)
			return (-1);
	}
	if (w != NULL && archive_write_close(w) != ARCHIVE_OK)
		return (archive_err(w, err, src));
	return (blob_writer_commit(steal_pointer(&bw), expected, out, err));
}

/* The blob layer ly is written as, and its form. */
static int
layer_blob(struct save *s, const struct image_layer *ly,
    char out[DIGEST_STR_SIZE], enum form *form, struct berth_error *err)
{
	enum form have = FORM_TAR, want;
	int r;

	if (blob_form(s->st, ly->blob, &have, err) == -1)
		return (-1);
	if (s->comp == SAVE_GZIP)
		want = FORM_GZIP;
	else if (s->comp == SAVE_ZSTD)
		want = FORM_ZSTD;
	else if (s->fmt == SAVE_OCI)
		want = have;
	else
		want = FORM_TAR;
	*form = want;
	if (want == have) {
		memcpy(out, ly->blob, DIGEST_STR_SIZE);
		return (0);
	}
	if (want == FORM_TAR) {
		/* The uncompressed tar may be stored already. */
		if ((r = blob_exists(store_blobs(s->st), ly->diff_id,
		    err)) == -1)
			return (-1);
		if (r == 1) {
			memcpy(out, ly->diff_id, DIGEST_STR_SIZE);
			return (0);
		}
		return (convert(s, ly->blob, want, ly->diff_id, out, err));
	}
	return (convert(s, ly->blob, want, NULL, out, err));
}

/* A descriptor {mediaType, digest, size}. */
static json_t *
descriptor(const char *media, const char *digest, uint64_t size)
{
	return (json_pack("{s:s, s:s, s:I}", "mediaType", media, "digest",
	    digest, "size", (json_int_t)size));
}

static int
write_json(struct save *s, const char *path, json_t *j, char *digest,
    uint64_t *size, struct berth_error *err)
{
	cleanup_free char *buf = json_dumps(j, JSON_COMPACT);

	if (buf == NULL)
		return (oom(err, path));
	if (digest != NULL && digest_buffer(buf, strlen(buf), digest,
	    err) == -1)
		return (-1);
	if (size != NULL)
		*size = strlen(buf);
	return (write_buffer(s, path, buf, strlen(buf), err));
}

static void
blob_path(char *path, size_t size, const char *digest)
{
	snprintf(path, size, "blobs/sha256/%s", digest_hex(digest));
}

/* The refs of refs[] that point at image id. */
static int
image_refs(const char *id, const char *const *refs,
    const char *const *ref_ids, size_t nrefs, json_t *out,
    struct berth_error *err)
{
	size_t i;

	for (i = 0; i < nrefs; i++)
		if (strcmp(ref_ids[i], id) == 0 &&
		    json_array_append_new(out, json_string(refs[i])) == -1)
			return (oom(err, "save"));
	return (0);
}

/* The index.json entries of one manifest, one per reference. */
static int
oci_index_entries(struct save *s, json_t *desc, json_t *refs,
    struct berth_error *err)
{
	cleanup_reference struct reference r = REFERENCE_INIT;
	json_t *v, *d;
	size_t i;

	if (json_array_size(refs) == 0)
		return (json_array_append(s->manifests, desc) == -1 ?
		    oom(err, "index.json") : 0);
	json_array_foreach(refs, i, v) {
		reference_free(&r);
		if (reference_parse(json_string_value(v), &r, err) == -1)
			return (-1);
		if ((d = json_deep_copy(desc)) == NULL ||
		    json_object_set_new(d, "annotations", json_pack(
		    "{s:s, s:s}", ANN_CONTAINERD_NAME, json_string_value(v),
		    ANN_REF_NAME, r.tag != NULL ? r.tag :
		    REFERENCE_DEFAULT_TAG)) == -1 ||
		    json_array_append_new(s->manifests, d) == -1)
			return (oom(err, "index.json"));
	}
	return (0);
}

/* One image in an OCI layout: layers, config, manifest. */
static int docker_tags(struct save *, json_t *, const char *, json_t *,
    struct berth_error *);

static int
save_oci(struct save *s, struct image_parts *p, json_t *refs,
    struct berth_error *err)
{
	cleanup_json json_t *layers = json_array(), *man = NULL, *desc = NULL;
	cleanup_json json_t *paths = json_array(), *tags = json_array();
	char path[128], digest[DIGEST_STR_SIZE];
	const char *media;
	bool changed = p->manifest == NULL;
	enum form form;
	uint64_t size;
	size_t i;

	if (layers == NULL || paths == NULL || tags == NULL)
		return (oom(err, "manifest"));
	for (i = 0; i < p->nlayers; i++) {
		if (layer_blob(s, &p->layers[i], digest, &form, err) == -1)
			return (-1);
		changed |= strcmp(digest, p->layers[i].blob) != 0;
		blob_path(path, sizeof(path), digest);
		if (write_blob(s, path, digest, err) == -1 ||
		    blob_size(store_blobs(s->st), digest, &size, err) == -1)
			return (-1);
		if (json_array_append_new(paths, json_string(path)) == -1)
			return (oom(err, "manifest.json"));
		snprintf(path, sizeof(path), "%s%s", MT_OCI_LAYER,
		    form_suffix[form]);
		if (json_array_append_new(layers, descriptor(path, digest,
		    size)) == -1)
			return (oom(err, "manifest"));
	}
	blob_path(path, sizeof(path), p->id);
	if (write_blob(s, path, p->id, err) == -1)
		return (-1);
	/* Docker (before its containerd store) loads only what
	 * manifest.json lists: written beside index.json, as docker save
	 * does since 25.0, over the same blobs. */
	if (docker_tags(s, refs, NULL, tags, err) == -1)
		return (-1);
	if (json_array_append_new(s->docker_manifests, json_pack(
	    "{s:s, s:O, s:O}", "Config", path, "RepoTags",
	    json_array_size(tags) > 0 ? tags : json_null(), "Layers",
	    paths)) == -1)
		return (oom(err, "manifest.json"));
	if (!changed) {
		/* As stored: the manifest's own bytes, digest kept. */
		media = json_string_value(json_object_get(p->manifest,
		    "mediaType"));
		blob_path(path, sizeof(path), p->manifest_digest);
		if (write_blob(s, path, p->manifest_digest, err) == -1)
			return (-1);
		desc = descriptor(media != NULL ? media : MT_OCI_MANIFEST,
		    p->manifest_digest, p->manifest_size);
	} else {
		man = json_pack("{s:i, s:s, s:o, s:O}", "schemaVersion", 2,
		    "mediaType", MT_OCI_MANIFEST, "config",
		    descriptor(MT_OCI_CONFIG, p->id, p->config_size),
		    "layers", layers);
		if (man == NULL)
			return (oom(err, "manifest"));
		/* The digest names the member, so hash before writing. */
		{
			cleanup_free char *buf = json_dumps(man, JSON_COMPACT);

			if (buf == NULL || digest_buffer(buf, strlen(buf),
			    digest, err) == -1)
				return (buf == NULL ? oom(err, "manifest") :
				    -1);
			blob_path(path, sizeof(path), digest);
			if (write_buffer(s, path, buf, strlen(buf), err) == -1)
				return (-1);
			desc = descriptor(MT_OCI_MANIFEST, digest,
			    strlen(buf));
		}
	}
	if (desc == NULL)
		return (oom(err, "index.json"));
	return (oci_index_entries(s, desc, refs, err));
}

/* "busybox:latest" and the repository's familiar name "busybox". */
static int
familiar(const char *ref, char **full, char **repo, char **tag,
    struct berth_error *err)
{
	cleanup_reference struct reference r = REFERENCE_INIT;

	if (reference_parse(ref, &r, err) == -1)
		return (-1);
	*tag = strdup(r.tag != NULL ? r.tag : REFERENCE_DEFAULT_TAG);
	*full = reference_familiar(&r);
	free(r.tag);
	r.tag = NULL;
	free(r.digest);
	r.digest = NULL;
	*repo = reference_familiar(&r);
	if (*full == NULL || *repo == NULL || *tag == NULL)
		return (berth_error_sys(err, "reference %s", ref));
	return (0);
}

static int
docker_tags(struct save *s, json_t *refs, const char *top, json_t *tags,
    struct berth_error *err)
{
	json_t *v, *repo;
	size_t i;

	json_array_foreach(refs, i, v) {
		cleanup_free char *full = NULL, *name = NULL, *tag = NULL;

		if (familiar(json_string_value(v), &full, &name, &tag,
		    err) == -1)
			return (-1);
		if (json_array_append_new(tags, json_string(full)) == -1)
			return (oom(err, "manifest.json"));
		if (top == NULL)
			continue;
		if ((repo = json_object_get(s->repositories, name)) == NULL &&
		    json_object_set_new(s->repositories, name,
		    repo = json_object()) == -1)
			return (oom(err, "repositories"));
		if (json_object_set_new(repo, tag, json_string(top)) == -1)
			return (oom(err, "repositories"));
	}
	return (0);
}

/* One image in a docker-archive: layers, config, manifest.json entry. */
static int
save_docker(struct save *s, struct image_parts *p, json_t *refs,
    struct berth_error *err)
{
	cleanup_json json_t *layers = json_array(), *tags = json_array();
	char path[128], digest[DIGEST_STR_SIZE];
	enum form form;
	size_t i;

	if (layers == NULL || tags == NULL)
		return (oom(err, "manifest.json"));
	for (i = 0; i < p->nlayers; i++) {
		if (layer_blob(s, &p->layers[i], digest, &form, err) == -1)
			return (-1);
		snprintf(path, sizeof(path), "%s/layer.tar",
		    digest_hex(digest));
		if (write_blob(s, path, digest, err) == -1)
			return (-1);
		if (json_array_append_new(layers, json_string(path)) == -1)
			return (oom(err, "manifest.json"));
	}
	snprintf(path, sizeof(path), "%s.json", digest_hex(p->id));
	if (write_blob(s, path, p->id, err) == -1)
		return (-1);
	/* "repositories" names the top layer's directory. */
	if (docker_tags(s, refs, p->nlayers > 0 ? digest_hex(digest) : NULL,
	    tags, err) == -1)
		return (-1);
	if (json_array_append_new(s->manifests, json_pack("{s:s, s:O, s:O}",
	    "Config", path, "RepoTags", json_array_size(tags) > 0 ? tags :
	    json_null(), "Layers", layers)) == -1)
		return (oom(err, "manifest.json"));
	return (0);
}

static int
save_image(struct save *s, const char *id, const char *const *refs,
    const char *const *ref_ids, size_t nrefs, struct berth_error *err)
{
	cleanup_image_parts struct image_parts p;
	cleanup_json json_t *mine = json_array();

	memset(&p, 0, sizeof(p));
	if (mine == NULL)
		return (oom(err, "save"));
	if (store_image_parts(s->st, id, &p, err) == -1 ||
	    image_refs(id, refs, ref_ids, nrefs, mine, err) == -1)
		return (-1);
	if (s->fmt == SAVE_OCI)
		return (save_oci(s, &p, mine, err));
	return (save_docker(s, &p, mine, err));
}

/* The archive's index, last. */
static int
save_index(struct save *s, struct berth_error *err)
{
	cleanup_json json_t *index = NULL, *layout = NULL;

	if (s->fmt == SAVE_DOCKER) {
		if (write_json(s, "manifest.json", s->manifests, NULL, NULL,
		    err) == -1)
			return (-1);
		if (json_object_size(s->repositories) == 0)
			return (0);
		return (write_json(s, "repositories", s->repositories, NULL,
		    NULL, err));
	}
	layout = json_pack("{s:s}", "imageLayoutVersion", "1.0.0");
	index = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
	    MT_OCI_INDEX, "manifests", s->manifests);
	if (layout == NULL || index == NULL)
		return (oom(err, "index.json"));
	if (write_json(s, "oci-layout", layout, NULL, NULL, err) == -1 ||
	    write_json(s, "manifest.json", s->docker_manifests, NULL, NULL,
	    err) == -1 ||
	    write_json(s, "index.json", index, NULL, NULL, err) == -1)
		return (-1);
	return (0);
}

/* The image each ref points at, which must be one of ids. */
static int
resolve_refs(struct store *st, const char *const *ids, size_t nids,
    const char *const *refs, size_t nrefs, char (*out)[DIGEST_STR_SIZE],
    struct berth_error *err)
{
	size_t i, j;

	for (i = 0; i < nrefs; i++) {
		if (db_resolve(store_db(st), refs[i], out[i], err) == -1)
			return (-1);
		for (j = 0; j < nids; j++)
			if (strcmp(ids[j], out[i]) == 0)
				break;
		if (j == nids) {
			berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "reference %s names none of the images saved",
			    refs[i]);
			return (berth_error_param_str(err, "reference",
			    refs[i]));
		}
	}
	return (0);
}

int
store_save(struct store *st, const char *const *image_ids, size_t nids,
    const char *const *refs, size_t nrefs, enum save_format fmt,
    enum save_compression comp, int out_fd,
    const struct store_progress *progress, struct berth_error *err)
{
	cleanup_save struct save s = {
		.st = st, .fmt = fmt, .comp = comp, .progress = progress,
	};
	cleanup_archive_write struct archive *a = archive_write_new();
	cleanup_free char (*ref_ids)[DIGEST_STR_SIZE] = NULL;
	cleanup_free const char **ref_idp = NULL;
	size_t i, j;

	s.manifests = json_array();
	s.repositories = json_object();
	s.docker_manifests = json_array();
	if (a == NULL || s.manifests == NULL || s.repositories == NULL ||
	    s.docker_manifests == NULL)
		return (oom(err, "save"));
	if (nrefs > 0 && ((ref_ids = calloc(nrefs, sizeof(*ref_ids))) ==
	    NULL || (ref_idp = calloc(nrefs, sizeof(*ref_idp))) == NULL))
		return (berth_error_sys(err, "save"));
	if (resolve_refs(st, image_ids, nids, refs, nrefs, ref_ids, err) == -1)
		return (berth_error_wrap(err, "save"));
	for (i = 0; i < nrefs; i++)
		ref_idp[i] = ref_ids[i];
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_open_fd(a, out_fd) != ARCHIVE_OK)
		return (archive_err(a, err, "save"));
	s.a = a;
	for (i = 0; i < nids; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(image_ids[i], image_ids[j]) == 0)
				break;
		if (j < i)
			continue;
		if (save_image(&s, image_ids[i], refs, ref_idp, nrefs,
		    err) == -1)
			return (berth_error_wrap(err, "save image %s",
			    image_ids[i]));
	}
	if (save_index(&s, err) == -1)
		return (berth_error_wrap(err, "save"));
	if (archive_write_close(a) != ARCHIVE_OK)
		return (archive_err(a, err, "save"));
	return (0);
}
