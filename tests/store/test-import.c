/*
 * Unit tests for store/import.c: a small rootfs tarball (plain, gzip,
 * zstd) imported with --change lines, its config checked field by field
 * and its layer unpacked; bad changes refused with nothing recorded; the
 * change parser on its own.
 */
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "image-info.h"
#include "import.h"
#include "store.h"
#include "unit.h"
#include "unpack.h"

static char dir[] = "/tmp/berth-test-import.XXXXXX";
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

/* A rootfs tar: etc/hostname and bin/true, with filter (none, gzip,
 * zstd). */
static int
write_rootfs(const char *path, const char *filter)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	static const char hostname[] = "imported\n", tru[] = "#!/bin/sh\n";
	int rc = 0;

	archive_write_set_format_pax_restricted(a);
	if (strcmp(filter, "gzip") == 0)
		archive_write_add_filter_gzip(a);
	else if (strcmp(filter, "zstd") == 0)
		archive_write_add_filter_zstd(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		rc = -1;
	archive_entry_set_pathname(e, "etc/");
	archive_entry_set_filetype(e, AE_IFDIR);
	archive_entry_set_perm(e, 0755);
	rc |= archive_write_header(a, e);
	archive_entry_clear(e);
	archive_entry_set_pathname(e, "etc/hostname");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, sizeof(hostname) - 1);
	rc |= archive_write_header(a, e);
	archive_write_data(a, hostname, sizeof(hostname) - 1);
	archive_entry_clear(e);
	archive_entry_set_pathname(e, "bin/true");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0755);
	archive_entry_set_size(e, sizeof(tru) - 1);
	rc |= archive_write_header(a, e);
	archive_write_data(a, tru, sizeof(tru) - 1);
	rc |= archive_write_close(a);
	archive_entry_free(e);
	archive_write_free(a);
	return (rc == 0 ? 0 : -1);
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

static int
import_file(struct store *st, const char *path,
    const struct import_options *opt, char id[DIGEST_STR_SIZE],
    struct berth_error *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1)
		return (berth_error_sys(err, "open %s", path));
	return (store_import(st, fd, opt, id, NULL, err));
}

static const char *const changes[] = {
	"CMD [\"/bin/sh\", \"-c\", \"echo hi\"]",
	"entrypoint /bin/true --flag",
	"ENV A=1 B=\"two words\" C='x y'",
	"ENV A=replaced",
	"ENV LEGACY some value",
	"WORKDIR /srv/app",
	"USER nobody:nogroup",
	"EXPOSE 80 53/udp 8000-8002/tcp",
	"LABEL maintainer=\"someone <s@example.com>\" version=1",
	"VOLUME [\"/data\", \"/logs\"]",
	"volume /cache",
	"STOPSIGNAL SIGTERM",
};

static void
check_str(json_t *obj, const char *key, const char *want)
{
	CHECK_STR(json_string_value(json_object_get(obj, key)), want);
}

static void
check_strv(json_t *arr, const char *const *want, size_t n)
{
	size_t i;

	CHECK(json_is_array(arr) && json_array_size(arr) == n);
	for (i = 0; i < n && i < json_array_size(arr); i++)
		CHECK_STR(json_string_value(json_array_get(arr, i)), want[i]);
}

static void
check_keys(json_t *obj, const char *const *want, size_t n)
{
	size_t i;

	CHECK(json_is_object(obj) && json_object_size(obj) == n);
	for (i = 0; i < n; i++)
		CHECK(json_is_object(json_object_get(obj, want[i])));
}

static void
check_config(struct store *st, const char *id, const char *message)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	json_t *config = NULL, *c, *rootfs, *hist;
	static const char *const cmd[] = { "/bin/sh", "-c", "echo hi" };
	static const char *const ep[] = { "/bin/sh", "-c",
	    "/bin/true --flag" };
	static const char *const env[] = { "A=replaced", "B=two words",
	    "C=x y", "LEGACY=some value" };
	static const char *const ports[] = { "80/tcp", "53/udp", "8000/tcp",
	    "8001/tcp", "8002/tcp" };
	static const char *const vols[] = { "/data", "/logs", "/cache" };

	CHECK(image_read_blob_json(st, id, &config, &err) == 0);
	if (config == NULL)
		return;
	check_str(config, "os", "linux");
	check_str(config, "architecture", import_host_arch());
	CHECK(json_is_string(json_object_get(config, "created")));
	c = json_object_get(config, "config");
	check_strv(json_object_get(c, "Cmd"), cmd, 3);
	check_strv(json_object_get(c, "Entrypoint"), ep, 3);
	check_strv(json_object_get(c, "Env"), env, 4);
	check_str(c, "WorkingDir", "/srv/app");
	check_str(c, "User", "nobody:nogroup");
	check_keys(json_object_get(c, "ExposedPorts"), ports, 5);
	check_keys(json_object_get(c, "Volumes"), vols, 3);
	check_str(json_object_get(c, "Labels"), "maintainer",
	    "someone <s@example.com>");
	check_str(json_object_get(c, "Labels"), "version", "1");
	check_str(c, "StopSignal", "SIGTERM");
	rootfs = json_object_get(config, "rootfs");
	check_str(rootfs, "type", "layers");
	CHECK(json_array_size(json_object_get(rootfs, "diff_ids")) == 1);
	hist = json_object_get(config, "history");
	CHECK(json_array_size(hist) == 1);
	check_str(json_array_get(hist, 0), "comment", message);
	check_str(json_array_get(hist, 0), "created_by", "");
	json_decref(config);
}

/* The one layer unpacked, with etc/hostname in it; the layer blob is
 * the uncompressed tar, its digest the diff ID. */
static void
check_layer(struct store *st, const char *id)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_image_parts struct image_parts p;
	char path[1024];
	struct stat sb;

	memset(&p, 0, sizeof(p));
	CHECK(store_image_parts(st, id, &p, &err) == 0);
	CHECK(p.nlayers == 1);
	if (p.nlayers != 1)
		return;
	CHECK_STR(p.layers[0].blob, p.layers[0].diff_id);
	CHECK(p.manifest_digest[0] != '\0');
	CHECK(store_layer_path(st, p.layers[0].diff_id, path, sizeof(path),
	    &err) == 0);
	strncat(path, "/etc/hostname", sizeof(path) - strlen(path) - 1);
	CHECK(lstat(path, &sb) == 0 && sb.st_size == 9);
}

static void
import_one(const char *filter)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_store struct store *st = fresh_store();
	char path[512], id[DIGEST_STR_SIZE] = "", resolved[DIGEST_STR_SIZE];
	struct import_options opt = {
		.ref = "docker.io/library/imported:1",
		.changes = changes,
		.nchanges = sizeof(changes) / sizeof(changes[0]),
		.message = "a test import",
	};

	snprintf(path, sizeof(path), "%s/rootfs-%s.tar", dir, filter);
	CHECK(st != NULL && write_rootfs(path, filter) == 0);
	if (st == NULL)
		return;
	if (import_file(st, path, &opt, id, &err) == -1)
		fprintf(stderr, "# %s\n", berth_error_message(&err));
	CHECK(digest_is_valid(id));
	CHECK(db_resolve(store_db(st), opt.ref, resolved, &err) == 0);
	CHECK_STR(resolved, id);
	check_config(st, id, "a test import");
	check_layer(st, id);
}

static void
import_plain(void)
{
	import_one("none");
}

static void
import_gzip(void)
{
	import_one("gzip");
}

static void
import_zstd(void)
{
	import_one("zstd");
}

/* No ref, no changes: the default comment, an untagged image. */
static void
import_defaults(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_store struct store *st = fresh_store();
	struct import_options opt = { .architecture = "arm64" };
	char path[512], id[DIGEST_STR_SIZE] = "";
	json_t *config = NULL;

	snprintf(path, sizeof(path), "%s/rootfs-none.tar", dir);
	CHECK(st != NULL && write_rootfs(path, "none") == 0);
	if (st == NULL)
		return;
	CHECK(import_file(st, path, &opt, id, &err) == 0);
	CHECK(image_count(st) == 1);
	CHECK(image_read_blob_json(st, id, &config, &err) == 0);
	check_str(config, "architecture", "arm64");
	check_str(json_array_get(json_object_get(config, "history"), 0),
	    "comment", "Imported from -");
	if (config != NULL)
		json_decref(config);
}

static void
import_refuses_bad_changes(void)
{
	static const char *const bad[] = {
		"FROM busybox", "RUN true", "CMD", "CMD [\"unterminated\"",
		"ENTRYPOINT [1, 2]", "ENV", "ENV =x", "ENV A=\"open",
		"EXPOSE http", "EXPOSE 0", "EXPOSE 70000", "EXPOSE 80/icmp",
		"EXPOSE 90-80", "LABEL", "VOLUME []", "USER a b",
		"STOPSIGNAL", "   ", "",
	};
	char path[512], id[DIGEST_STR_SIZE];
	cleanup_store struct store *st = fresh_store();
	size_t i;

	snprintf(path, sizeof(path), "%s/rootfs-none.tar", dir);
	CHECK(st != NULL && write_rootfs(path, "none") == 0);
	if (st == NULL)
		return;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cleanup_error struct berth_error err = BERTH_ERROR_INIT;
		const char *lines[] = { "CMD true", bad[i] };
		struct import_options opt = {
			.ref = "docker.io/library/bad:latest",
			.changes = lines, .nchanges = 2,
		};

		CHECK(import_file(st, path, &opt, id, &err) == -1);
		if (!berth_error_is(&err, STORE_E_INVALID_CHANGE))
			fprintf(stderr, "# %s: %s\n", bad[i],
			    berth_error_message(&err));
		CHECK(berth_error_is(&err, STORE_E_INVALID_CHANGE));
		CHECK(err.nparams == 1 && strcmp(err.params[0].key,
		    "change") == 0 && strcmp(err.params[0].str, bad[i]) == 0);
	}
	CHECK(image_count(st) == 0);
}

/* The parser alone: a refused line leaves the config as it was. */
static void
parse_change_unit(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	json_t *c = json_object();
	cleanup_free char *before = NULL, *after = NULL;

	CHECK(import_parse_change(c, "Env PATH=/bin", &err) == 0);
	CHECK(import_parse_change(c, "ENV X=a\\ b", &err) == 0);
	CHECK(import_parse_change(c, "env PATH=/usr/bin:/bin", &err) == 0);
	CHECK(json_array_size(json_object_get(c, "Env")) == 2);
	CHECK_STR(json_string_value(json_array_get(json_object_get(c, "Env"),
	    0)), "PATH=/usr/bin:/bin");
	CHECK_STR(json_string_value(json_array_get(json_object_get(c, "Env"),
	    1)), "X=a b");
	CHECK(import_parse_change(c, "CMD echo \"$HOME\"", &err) == 0);
	CHECK_STR(json_string_value(json_array_get(json_object_get(c, "Cmd"),
	    2)), "echo \"$HOME\"");
	before = json_dumps(c, JSON_SORT_KEYS);
	CHECK(import_parse_change(c, "EXPOSE 80 bogus", &err) == -1);
	after = json_dumps(c, JSON_SORT_KEYS);
	CHECK_STR(before, after);
	json_decref(c);
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
	RUN(import_plain);
	RUN(import_gzip);
	RUN(import_zstd);
	RUN(import_defaults);
	RUN(import_refuses_bad_changes);
	RUN(parse_change_unit);
	remove_dir();
	UNIT_EXIT();
}
