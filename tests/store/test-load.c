/*
 * Unit tests for store/load.c: the busybox image built by tools/mkimage.py
 * as a docker-archive and as an OCI layout loads with its reference and
 * an unpacked layer; loading twice re-tags; corrupted, hostile and
 * malformed archives are refused with nothing recorded.
 */
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "load.h"
#include "store.h"
#include "unit.h"
#include "unpack.h"

#define BUSYBOX_REF	"docker.io/library/busybox:latest"

static char dir[] = "/tmp/berth-test-load.XXXXXX";
static char docker_tar[256], oci_tar[256];

struct file {
	const char	*name;
	const char	*data;
	size_t		 len;		/* 0: strlen(data) */
};

static struct store *
fresh_store(const char *name)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct store *st = NULL;
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (store_open(path, &st, &err) == -1)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	return (st);
}

static int
load_file(struct store *st, const char *path, struct load_result *res,
    struct berth_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return (berth_error_sys(err, "open %s", path));
	return (store_load(st, fd, res, err));
}

static size_t
image_count(struct store *st)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct db_image_info *list = NULL;
	size_t n = 0;

	CHECK(db_image_list(store_db(st), &list, &n, &err) == 0);
	db_image_list_free(list, n);
	return (n);
}

/* One image, tagged BUSYBOX_REF, its single layer unpacked with
 * bin/busybox in it. */
static void
check_busybox(struct store *st, const char *id)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct db_image_info *list = NULL;
	char **chain = NULL, path[1024], resolved[DIGEST_STR_SIZE];
	size_t n = 0, nchain = 0;
	struct stat sb;

	CHECK(db_image_list(store_db(st), &list, &n, &err) == 0);
	CHECK(n == 1);
	if (n == 1) {
		CHECK_STR(list[0].id, id);
		CHECK(list[0].nrefs == 1);
		if (list[0].nrefs == 1)
			CHECK_STR(list[0].refs[0], BUSYBOX_REF);
	}
	db_image_list_free(list, n);
	CHECK(db_resolve(store_db(st), BUSYBOX_REF, resolved, &err) == 0);
	CHECK_STR(resolved, id);
	/* One layer: its chain ID is its diff ID. */
	CHECK(db_image_layers(store_db(st), id, &chain, &nchain, &err) == 0);
	CHECK(nchain == 1);
	if (nchain == 1) {
		CHECK(store_layer_path(st, chain[0], path, sizeof(path),
		    &err) == 0);
		strncat(path, "/bin/busybox", sizeof(path) - strlen(path) - 1);
		CHECK(lstat(path, &sb) == 0 && S_ISREG(sb.st_mode));
	}
	db_strv_free(chain, nchain);
}

static void
check_loaded_busybox(const char *archive, const char *name)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_load_result struct load_result res = LOAD_RESULT_INIT;
	cleanup_store struct store *st = fresh_store(name);

	CHECK(st != NULL);
	if (st == NULL)
		return;
	if (load_file(st, archive, &res, &err) == -1)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	CHECK(res.nimages == 1);
	if (res.nimages != 1)
		return;
	CHECK(res.images[0].nrefs == 1);
	if (res.images[0].nrefs == 1)
		CHECK_STR(res.images[0].refs[0], BUSYBOX_REF);
	check_busybox(st, res.images[0].id);
}

static void
load_docker_archive(void)
{
	check_loaded_busybox(docker_tar, "docker");
}

static void
load_oci_layout(void)
{
	check_loaded_busybox(oci_tar, "oci");
}

/* The same image again, and in the other format (mkimage writes the same
 * config for both): no error, one image, its tag still on it. */
static void
load_twice_retags(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_store struct store *st = fresh_store("twice");
	const char *archives[] = { docker_tar, docker_tar, oci_tar };
	char first[DIGEST_STR_SIZE] = "";
	size_t i;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	for (i = 0; i < 3; i++) {
		cleanup_load_result struct load_result res = LOAD_RESULT_INIT;

		if (load_file(st, archives[i], &res, &err) == -1)
			fprintf(stderr, "# %s\n", berth_error_message(&err));
		CHECK(res.nimages == 1);
		if (res.nimages != 1)
			continue;
		if (i == 0)
			memcpy(first, res.images[0].id, sizeof(first));
		CHECK_STR(res.images[0].id, first);
	}
	check_busybox(st, first);
}

/* Copy the tar src to dst, flipping the middle byte of the largest
 * member whose name starts with prefix or ends with suffix. */
static int
corrupt(const char *src, const char *dst, const char *prefix,
    const char *suffix)
{
	struct archive *r = archive_read_new(), *w = archive_write_new();
	struct archive_entry *e;
	char victim[512] = "";
	int64_t best = -1;
	int pass, rc = 0;

	/* Pass 0 picks the victim, pass 1 copies. */
	for (pass = 0; pass < 2 && rc == 0; pass++) {
		archive_read_support_format_tar(r);
		if (archive_read_open_filename(r, src, 10240) != ARCHIVE_OK)
			return (-1);
		if (pass == 1) {
			archive_write_set_format_pax_restricted(w);
			if (archive_write_open_filename(w, dst) != ARCHIVE_OK)
				return (-1);
		}
		while (archive_read_next_header(r, &e) == ARCHIVE_OK) {
			const char *name = archive_entry_pathname(e);
			int64_t size = archive_entry_size(e);
			size_t len = strlen(name);
			char *buf;

			if (pass == 0) {
				if (((prefix != NULL && strncmp(name, prefix,
				    strlen(prefix)) == 0) || (suffix != NULL &&
				    len >= strlen(suffix) && strcmp(name + len -
				    strlen(suffix), suffix) == 0)) &&
				    size > best) {
					best = size;
					snprintf(victim, sizeof(victim), "%s",
					    name);
				}
				continue;
			}
			buf = malloc((size_t)size + 1);
			if (buf == NULL || archive_read_data(r, buf,
			    (size_t)size) != size) {
				free(buf);
				rc = -1;
				break;
			}
			if (strcmp(name, victim) == 0)
				buf[size / 2] ^= 0x01;
			archive_write_header(w, e);
			if (size > 0)
				archive_write_data(w, buf, (size_t)size);
			free(buf);
		}
		archive_read_free(r);
		r = archive_read_new();
	}
	archive_read_free(r);
	archive_write_close(w);
	archive_write_free(w);
	return (victim[0] != '\0' ? rc : -1);
}

static void
check_refused(const char *archive, const char *name, const char *ename)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_load_result struct load_result res = LOAD_RESULT_INIT;
	cleanup_store struct store *st = fresh_store(name);

	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK(load_file(st, archive, &res, &err) == -1);
	if (!berth_error_is(&err, ename))
		fprintf(stderr, "# %s: %s\n", err.name,
		    berth_error_message(&err));
	CHECK(berth_error_is(&err, ename));
	CHECK(res.nimages == 0);
	CHECK(image_count(st) == 0);
}

static void
load_refuses_corrupt_docker_layer(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bad-docker.tar", dir);
	CHECK(corrupt(docker_tar, path, NULL, "/layer.tar") == 0);
	check_refused(path, "bad-docker", STORE_E_DIFF_ID_MISMATCH);
}

/* Also into a store that has the good layer unpacked already: the
 * corrupt blob must not be taken for it. */
static void
load_refuses_corrupt_layer_over_good_one(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_load_result struct load_result res = LOAD_RESULT_INIT;
	cleanup_store struct store *st = fresh_store("over-good");
	char path[512];

	snprintf(path, sizeof(path), "%s/bad-docker-2.tar", dir);
	CHECK(corrupt(docker_tar, path, NULL, "/layer.tar") == 0);
	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK(load_file(st, docker_tar, &res, &err) == 0);
	load_result_free(&res);
	CHECK(db_untag(store_db(st), BUSYBOX_REF, &err) == 0);
	CHECK(load_file(st, path, &res, &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_DIFF_ID_MISMATCH));
	CHECK(db_resolve(store_db(st), BUSYBOX_REF, path, &err) == -1);
}

static void
load_refuses_corrupt_oci_blob(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/bad-oci.tar", dir);
	CHECK(corrupt(oci_tar, path, "blobs/sha256/", NULL) == 0);
	check_refused(path, "bad-oci", STORE_E_BLOB_MISMATCH);
}

/* A tar of files at dir/name. */
static void
write_tar(const char *name, const struct file *files, size_t n,
    char *path, size_t size)
{
	struct archive *a = archive_write_new();
	size_t i;

	snprintf(path, size, "%s/%s", dir, name);
	archive_write_set_format_pax_restricted(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		abort();
	for (i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = files[i].len ? files[i].len :
		    strlen(files[i].data);

		archive_entry_set_pathname(e, files[i].name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (int64_t)len);
		if (archive_write_header(a, e) != ARCHIVE_OK)
			abort();
		archive_write_data(a, files[i].data, len);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
}

static void
load_refuses_dotdot_member(void)
{
	const struct file files[] = {
		{ "../x", "escape", 0 },
		{ "manifest.json", "[]", 0 },
	};
	char path[512];

	write_tar("dotdot.tar", files, 2, path, sizeof(path));
	check_refused(path, "dotdot", STORE_E_INVALID_ARCHIVE);
}

static void
load_refuses_dotdot_in_manifest(void)
{
	const struct file files[] = {
		{ "manifest.json", "[{\"Config\":\"../c.json\","
		    "\"Layers\":[]}]", 0 },
	};
	char path[512];

	write_tar("dotdot-manifest.tar", files, 1, path, sizeof(path));
	check_refused(path, "dotdot-manifest", STORE_E_INVALID_ARCHIVE);
}

static void
load_refuses_oversize_json(void)
{
	struct file files[1] = { { "manifest.json", NULL, LOAD_JSON_MAX + 1 } };
	char path[512], *big = malloc(LOAD_JSON_MAX + 1);

	CHECK(big != NULL);
	if (big == NULL)
		return;
	memset(big, ' ', LOAD_JSON_MAX + 1);
	files[0].data = big;
	write_tar("big.tar", files, 1, path, sizeof(path));
	free(big);
	check_refused(path, "big", STORE_E_ARCHIVE_LIMIT);
}

static void
load_refuses_missing_config(void)
{
	const struct file files[] = {
		{ "manifest.json", "[{\"Config\":\"0000000000000000000000000"
		    "000000000000000000000000000000000000000.json\","
		    "\"RepoTags\":[\"x:1\"],\"Layers\":[]}]", 0 },
	};
	char path[512];

	write_tar("missing.tar", files, 1, path, sizeof(path));
	check_refused(path, "missing", STORE_E_BLOB_NOT_FOUND);
}

static void
load_refuses_diff_id_count_mismatch(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	const char *config = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
	    "[\"sha256:00000000000000000000000000000000000000000000000000"
	    "00000000000000\"]}}";
	char digest[DIGEST_STR_SIZE], cfgname[128], manifest[256], path[512];
	struct file files[2];

	CHECK(digest_buffer(config, strlen(config), digest, &err) == 0);
	snprintf(cfgname, sizeof(cfgname), "%s.json", digest_hex(digest));
	snprintf(manifest, sizeof(manifest), "[{\"Config\":\"%s\","
	    "\"RepoTags\":[\"x:1\"],\"Layers\":[]}]", cfgname);
	files[0] = (struct file){ cfgname, config, 0 };
	files[1] = (struct file){ "manifest.json", manifest, 0 };
	write_tar("count.tar", files, 2, path, sizeof(path));
	check_refused(path, "count", STORE_E_INVALID_ARCHIVE);
}

static void
load_refuses_unknown_format(void)
{
	const struct file files[] = { { "index.json", "{}", 0 } };
	char path[512];

	write_tar("unknown.tar", files, 1, path, sizeof(path));
	check_refused(path, "unknown", STORE_E_INVALID_ARCHIVE);
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
	    mkimage("oci", oci_tar) == -1) {
		fprintf(stderr, "# tools/mkimage.py failed\n");
		remove_dir();
		return (1);
	}
	RUN(load_docker_archive);
	RUN(load_oci_layout);
	RUN(load_twice_retags);
	RUN(load_refuses_corrupt_docker_layer);
	RUN(load_refuses_corrupt_layer_over_good_one);
	RUN(load_refuses_corrupt_oci_blob);
	RUN(load_refuses_dotdot_member);
	RUN(load_refuses_dotdot_in_manifest);
	RUN(load_refuses_oversize_json);
	RUN(load_refuses_missing_config);
	RUN(load_refuses_diff_id_count_mismatch);
	RUN(load_refuses_unknown_format);
	remove_dir();
	UNIT_EXIT();
}
