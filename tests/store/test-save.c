/*
 * Unit tests for store/save.c: the busybox image (tools/mkimage.py),
 * loaded from a docker-archive (no manifest stored) and from an OCI
 * layout, saved in both formats and every compression, loads back into a
 * fresh store as the same image; OCI as stored keeps the manifest
 * digest; saving twice gives the same bytes.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "image-info.h"
#include "load.h"
#include "save.h"
#include "store.h"
#include "unit.h"
#include "unpack.h"

#define BUSYBOX_REF	"docker.io/library/busybox:latest"

static char dir[] = "/tmp/berth-test-save.XXXXXX";
static char docker_tar[256], oci_tar[256];
static int nstores;

static struct store *
fresh_store(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store *st = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/store%d", dir, nstores++);
	if (store_open(path, &st, &err) == -1)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	return (st);
}

/* Load path into st; the image's id in id. */
static int
load_path(struct store *st, const char *path, char id[DIGEST_STR_SIZE])
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_load_result struct load_result res = LOAD_RESULT_INIT;
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1 || store_load(st, fd, &res, &err) == -1) {
		fprintf(stderr, "# load %s: %s\n", path,
		    berth_error_message(&err));
		return (-1);
	}
	if (res.nimages != 1)
		return (-1);
	memcpy(id, res.images[0].id, DIGEST_STR_SIZE);
	return (0);
}

static void
count_progress(void *arg, const char *action, const char *id,
    uint64_t current, uint64_t total, const char *message)
{
	(void)id;
	(void)current;
	(void)total;
	(void)message;
	if (strcmp(action, "Writing") == 0)
		(*(int *)arg)++;
}

/* Save id (tagged BUSYBOX_REF) from st into name under dir. */
static int
save_path(struct store *st, const char *id, enum save_format fmt,
    enum save_compression comp, const char *name, char *path, size_t size)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int fd = -1;
	const char *ids[] = { id }, *refs[] = { BUSYBOX_REF };
	int reports = 0;
	struct store_progress prog = { count_progress, &reports };

	snprintf(path, size, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || store_save(st, ids, 1, refs, 1, fmt, comp, fd, &prog,
	    &err) == -1) {
		fprintf(stderr, "# save %s: %s\n", name,
		    berth_error_message(&err));
		return (-1);
	}
	CHECK(reports > 0);
	return (0);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (f == NULL)
		return (NULL);
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
	    fread(buf, 1, (size_t)n, f) == (size_t)n)
		*len = (size_t)n;
	else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return (buf);
}

static int
same_file(const char *a, const char *b)
{
	cleanup_free char *x = NULL, *y = NULL;
	size_t nx = 0, ny = 0;

	x = slurp(a, &nx);
	y = slurp(b, &ny);
	return (x != NULL && y != NULL && nx == ny &&
	    memcmp(x, y, nx) == 0);
}

static void
parts(struct store *st, const char *id, struct image_parts *p)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;

	memset(p, 0, sizeof(*p));
	if (store_image_parts(st, id, p, &err) == -1)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
}

/* The first bytes of every layer blob of id must be magic (NULL: a
 * plain tar, neither gzip nor zstd). */
static void
check_layer_form(struct store *st, const char *id, const unsigned char *magic,
    size_t len)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_image_parts struct image_parts p;
	unsigned char buf[4];
	size_t i;

	parts(st, id, &p);
	CHECK(p.nlayers > 0);
	for (i = 0; i < p.nlayers; i++) {
		cleanup_close int fd = blob_open(store_blobs(st),
		    p.layers[i].blob, &err);

		CHECK(fd != -1 && read(fd, buf, 4) == 4);
		if (magic != NULL)
			CHECK(memcmp(buf, magic, len) == 0);
		else
			CHECK(buf[0] != 0x1f && buf[0] != 0x28);
	}
}

/* Same config and diff IDs in both stores, tagged BUSYBOX_REF. */
static void
check_same_image(struct store *a, struct store *b, const char *id)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_image_parts struct image_parts pa;
	cleanup_image_parts struct image_parts pb;
	char resolved[DIGEST_STR_SIZE];
	size_t i;

	parts(a, id, &pa);
	parts(b, id, &pb);
	CHECK(pa.nlayers > 0 && pa.nlayers == pb.nlayers);
	for (i = 0; i < pa.nlayers && i < pb.nlayers; i++)
		CHECK_STR(pa.layers[i].diff_id, pb.layers[i].diff_id);
	CHECK(db_resolve(store_db(b), BUSYBOX_REF, resolved, &err) == 0);
	CHECK_STR(resolved, id);
}

/* Save from src, load into a fresh store: the same image; saving again
 * gives the same bytes.  The new store in *out (caller closes). */
static void
round_trip(struct store *src, const char *id, enum save_format fmt,
    enum save_compression comp, const char *name, struct store **out)
{
	char path[512], again[512], got[DIGEST_STR_SIZE] = "", name2[64];
	struct store *dst;

	*out = NULL;
	snprintf(name2, sizeof(name2), "%s.again", name);
	CHECK(save_path(src, id, fmt, comp, name, path, sizeof(path)) == 0);
	CHECK(save_path(src, id, fmt, comp, name2, again,
	    sizeof(again)) == 0);
	CHECK(same_file(path, again));
	if ((dst = fresh_store()) == NULL) {
		CHECK(0);
		return;
	}
	CHECK(load_path(dst, path, got) == 0);
	CHECK_STR(got, id);
	check_same_image(src, dst, id);
	*out = dst;
}

static struct store *docker_st, *oci_st;
static char docker_id[DIGEST_STR_SIZE], oci_id[DIGEST_STR_SIZE];

static void
save_docker_as_stored(void)
{
	cleanup_store struct store *dst = NULL;

	round_trip(docker_st, docker_id, SAVE_DOCKER, SAVE_AS_STORED,
	    "d-d.tar", &dst);
	if (dst != NULL)
		check_layer_form(dst, docker_id, NULL, 0);
}

static void
save_docker_from_oci(void)
{
	cleanup_store struct store *dst = NULL;

	round_trip(oci_st, oci_id, SAVE_DOCKER, SAVE_AS_STORED, "o-d.tar",
	    &dst);
}

/* OCI as stored: the manifest digest round-trips. */
static void
save_oci_as_stored(void)
{
	cleanup_store struct store *dst = NULL;
	cleanup_image_parts struct image_parts a;
	cleanup_image_parts struct image_parts b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	round_trip(oci_st, oci_id, SAVE_OCI, SAVE_AS_STORED, "o-o.tar", &dst);
	if (dst == NULL)
		return;
	parts(oci_st, oci_id, &a);
	parts(dst, oci_id, &b);
	CHECK(a.manifest_digest[0] != '\0');
	CHECK_STR(a.manifest_digest, b.manifest_digest);
}

/* No manifest stored: one is made up, the image the same. */
static void
save_oci_from_docker(void)
{
	cleanup_store struct store *dst = NULL;
	cleanup_image_parts struct image_parts b;

	memset(&b, 0, sizeof(b));
	round_trip(docker_st, docker_id, SAVE_OCI, SAVE_AS_STORED, "d-o.tar",
	    &dst);
	if (dst == NULL)
		return;
	parts(dst, docker_id, &b);
	CHECK(b.manifest_digest[0] != '\0');
}

static const unsigned char gzip_magic[] = { 0x1f, 0x8b };
static const unsigned char zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd };

static void
save_oci_gzip(void)
{
	cleanup_store struct store *a = NULL, *b = NULL;

	round_trip(docker_st, docker_id, SAVE_OCI, SAVE_GZIP, "d-o-gz.tar",
	    &a);
	if (a != NULL)
		check_layer_form(a, docker_id, gzip_magic, 2);
	round_trip(oci_st, oci_id, SAVE_OCI, SAVE_GZIP, "o-o-gz.tar", &b);
	if (b != NULL)
		check_layer_form(b, oci_id, gzip_magic, 2);
}

static void
save_oci_zstd(void)
{
	cleanup_store struct store *a = NULL, *b = NULL;

	round_trip(docker_st, docker_id, SAVE_OCI, SAVE_ZSTD, "d-o-zst.tar",
	    &a);
	if (a != NULL)
		check_layer_form(a, docker_id, zstd_magic, 4);
	round_trip(oci_st, oci_id, SAVE_OCI, SAVE_ZSTD, "o-o-zst.tar", &b);
	if (b == NULL)
		return;
	check_layer_form(b, oci_id, zstd_magic, 4);
	/* From zstd layers: recompressed to gzip, decompressed for docker. */
	{
		cleanup_store struct store *c = NULL, *d = NULL;

		round_trip(b, oci_id, SAVE_OCI, SAVE_GZIP, "z-o-gz.tar", &c);
		if (c != NULL)
			check_layer_form(c, oci_id, gzip_magic, 2);
		round_trip(b, oci_id, SAVE_DOCKER, SAVE_AS_STORED, "z-d.tar",
		    &d);
		if (d != NULL)
			check_layer_form(d, oci_id, NULL, 0);
	}
}

/* Layers already gzip: kept, and so is the manifest. */
static void
save_oci_gzip_keeps_manifest(void)
{
	cleanup_store struct store *dst = NULL;
	cleanup_image_parts struct image_parts a;
	cleanup_image_parts struct image_parts b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	round_trip(oci_st, oci_id, SAVE_OCI, SAVE_GZIP, "o-o-gz2.tar", &dst);
	if (dst == NULL)
		return;
	parts(oci_st, oci_id, &a);
	parts(dst, oci_id, &b);
	CHECK_STR(a.manifest_digest, b.manifest_digest);
}

/* Written into a pipe (never seeked), loaded from its other end. */
static void
save_through_pipe(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_load_result struct load_result res = LOAD_RESULT_INIT;
	cleanup_store struct store *dst = fresh_store();
	const char *ids[] = { docker_id }, *refs[] = { BUSYBOX_REF };
	int fds[2], status = -1;
	pid_t pid;

	CHECK(dst != NULL && pipe(fds) == 0);
	if (dst == NULL)
		return;
	if ((pid = fork()) == 0) {
		close(fds[0]);
		_exit(store_save(docker_st, ids, 1, refs, 1, SAVE_OCI,
		    SAVE_GZIP, fds[1], NULL, &err) == 0 ? 0 : 1);
	}
	close(fds[1]);
	if (store_load(dst, fds[0], &res, &err) == -1)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	close(fds[0]);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && status == 0);
	CHECK(res.nimages == 1);
	if (res.nimages == 1)
		CHECK_STR(res.images[0].id, docker_id);
}

/* docker-archive members in order: layer(s), config, manifest.json,
 * repositories; with gzip the layer.tar is gzip bytes, and its RepoTags
 * the familiar form. */
static void
save_docker_gzip_members(void)
{
	char path[512];
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	const char *name;
	unsigned char buf[2];
	int layers = 0, manifest = 0, repos = 0, config = 0;
	char json[4096], top[65] = "", want[256];
	la_ssize_t n;

	CHECK(save_path(docker_st, docker_id, SAVE_DOCKER, SAVE_GZIP,
	    "d-d-gz.tar", path, sizeof(path)) == 0);
	archive_read_support_format_tar(a);
	CHECK(archive_read_open_filename(a, path, 10240) == ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		name = archive_entry_pathname(e);
		CHECK(archive_entry_mtime(e) == 0);
		CHECK(archive_entry_uid(e) == 0);
		if (strstr(name, "/layer.tar") != NULL) {
			layers++;
			snprintf(top, sizeof(top), "%.64s", name);
			CHECK(manifest == 0 && config == 0);
			CHECK(archive_read_data(a, buf, 2) == 2);
			CHECK(buf[0] == 0x1f && buf[1] == 0x8b);
		} else if (strcmp(name, "manifest.json") == 0) {
			manifest++;
			n = archive_read_data(a, json, sizeof(json) - 1);
			CHECK(n > 0);
			json[n > 0 ? n : 0] = '\0';
			CHECK(strstr(json, "\"RepoTags\":[\"busybox:latest\"]")
			    != NULL);
		} else if (strcmp(name, "repositories") == 0) {
			repos++;
			CHECK(manifest == 1);
			n = archive_read_data(a, json, sizeof(json) - 1);
			json[n > 0 ? n : 0] = '\0';
			snprintf(want, sizeof(want), "{\"busybox\":{\"latest\":"
			    "\"%s\"}}", top);
			CHECK_STR(json, want);
		} else if (strstr(name, ".json") != NULL)
			config++;
	}
	archive_read_free(a);
	CHECK(layers == 1 && manifest == 1 && repos == 1 && config == 1);
}

static void
save_refuses_foreign_ref(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	const char *ids[] = { oci_id }, *refs[] = { BUSYBOX_REF };
	char other[DIGEST_STR_SIZE];

	/* oci_st holds one image: name another id. */
	memcpy(other, oci_id, sizeof(other));
	other[DIGEST_STR_SIZE - 2] = other[DIGEST_STR_SIZE - 2] == '0' ?
	    '1' : '0';
	ids[0] = other;
	CHECK(store_save(oci_st, ids, 1, refs, 1, SAVE_OCI, SAVE_AS_STORED,
	    fd, NULL, &err) == -1);
	CHECK(berth_error_is(&err, BERTH_E_INVALID_PARAM));
}

static int
mkimage(const char *format, const char *out)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 tools/mkimage.py "
	    "--format %s -o %s", format, out);
	return (system(cmd) == 0 ? 0 : -1);
}

static void
remove_dir(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int fd = open("/tmp", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);

	if (fd != -1)
		(void)unpack_remove_tree(fd, dir + strlen("/tmp/"), &err);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(docker_tar, sizeof(docker_tar), "%s/docker.tar", dir);
	snprintf(oci_tar, sizeof(oci_tar), "%s/oci.tar", dir);
	if (mkimage("docker", docker_tar) == -1 ||
	    mkimage("oci", oci_tar) == -1 ||
	    (docker_st = fresh_store()) == NULL ||
	    (oci_st = fresh_store()) == NULL ||
	    load_path(docker_st, docker_tar, docker_id) == -1 ||
	    load_path(oci_st, oci_tar, oci_id) == -1) {
		fprintf(stderr, "# setup failed\n");
		store_close(docker_st);
		store_close(oci_st);
		remove_dir();
		return (1);
	}
	RUN(save_docker_as_stored);
	RUN(save_docker_from_oci);
	RUN(save_oci_as_stored);
	RUN(save_oci_from_docker);
	RUN(save_oci_gzip);
	RUN(save_oci_zstd);
	RUN(save_oci_gzip_keeps_manifest);
	RUN(save_through_pipe);
	RUN(save_docker_gzip_members);
	RUN(save_refuses_foreign_ref);
	store_close(docker_st);
	store_close(oci_st);
	remove_dir();
	UNIT_EXIT();
}
