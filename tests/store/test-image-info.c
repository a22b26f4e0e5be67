/*
 * Unit tests for store/image-info.c: finding images by reference, full
 * id, bare id and prefix (ambiguous and missing ones refused), Docker's
 * inspect document, and history newest first.
 */
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
#include "reference.h"
#include "store.h"
#include "unit.h"
#include "unpack.h"

static char dir[] = "/tmp/berth-test-image-info.XXXXXX";
static struct store *st;
static char imported[DIGEST_STR_SIZE], built[DIGEST_STR_SIZE];
static char nohist[DIGEST_STR_SIZE];
static char layer0[DIGEST_STR_SIZE], layer1[DIGEST_STR_SIZE];
static uint64_t size0, size1;

#define FAKE_A	"sha256:abcd000000000000000000000000000000000000000000000000000000000000"
#define FAKE_B	"sha256:abcd111111111111111111111111111111111111111111111111111111111111"

/* A one-file tar in memory, put as a blob. */
static int
put_tar(const char *name, char digest[DIGEST_STR_SIZE], uint64_t *size)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	static char buf[16384];
	size_t used = 0;
	int rc = 0;

	archive_write_set_format_ustar(a);
	rc |= archive_write_open_memory(a, buf, sizeof(buf), &used);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 3);
	rc |= archive_write_header(a, e);
	archive_write_data(a, "hi\n", 3);
	rc |= archive_write_close(a);
	archive_entry_free(e);
	archive_write_free(a);
	*size = used;
	if (rc != 0 || blob_put(store_blobs(st), buf, used, NULL, digest,
	    &err) == -1)
		return (-1);
	return (0);
}

/* An image without a manifest (as a docker-archive load records it):
 * two layers, three history entries, one of them empty. */
static int
build_image(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_free char *text = NULL;
	json_t *config;
	struct db_layer layers[2];
	const char *refs[] = { "docker.io/library/multi:latest",
	    "example.com:5000/team/multi:2" };
	struct db_image img;

	if (put_tar("a", layer0, &size0) == -1 ||
	    put_tar("bb", layer1, &size1) == -1)
		return (-1);
	config = json_pack("{s:s, s:s, s:s, s:s, s:{s:[s], s:s, s:{s:s}}, "
	    "s:{s:s, s:[s, s]}, s:[{s:s, s:s}, {s:s, s:s, s:b}, "
	    "{s:s, s:s, s:s}]}",
	    "architecture", "arm64", "variant", "v8", "os", "linux",
	    "created", "2024-01-02T03:04:05.123456789Z",
	    "config", "Env", "PATH=/bin", "WorkingDir", "/w",
	    "Labels", "k", "v",
	    "rootfs", "type", "layers", "diff_ids", layer0, layer1,
	    "history",
	    "created", "2024-01-01T00:00:00Z", "created_by", "ADD a /",
	    "created", "2024-01-01T00:00:10+01:00", "created_by", "ENV x",
	    "empty_layer", 1,
	    "created", "2024-01-02T03:04:05.123456789Z", "created_by",
	    "COPY bb /", "comment", "last");
	text = json_dumps(config, JSON_COMPACT);
	json_decref(config);
	if (text == NULL || blob_put(store_blobs(st), text, strlen(text), NULL,
	    built, &err) == -1)
		return (-1);
	memset(layers, 0, sizeof(layers));
	layers[0].diff_id = layer0;
	layers[0].blob = (struct db_blob){ layer0,
	    "application/vnd.docker.image.rootfs.diff.tar", size0 };
	layers[1].diff_id = layer1;
	layers[1].blob = (struct db_blob){ layer1,
	    "application/vnd.docker.image.rootfs.diff.tar", size1 };
	memset(&img, 0, sizeof(img));
	img.id = built;
	img.config = (struct db_blob){ built,
	    "application/vnd.docker.container.image.v1+json", strlen(text) };
	img.created = 1704164645;
	img.size = size0 + size1;
	img.layers = layers;
	img.nlayers = 2;
	img.refs = refs;
	img.nrefs = 2;
	if (db_image_add(store_db(st), &img, &err) == -1) {
		fprintf(stderr, "# %s\n", berth_error_message(&err));
		return (-1);
	}
	return (0);
}

/* Two layerless rows whose ids share the prefix "abcd". */
static int
fake_images(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	const char *ids[] = { FAKE_A, FAKE_B };
	struct db_image img;
	size_t i;

	for (i = 0; i < 2; i++) {
		memset(&img, 0, sizeof(img));
		img.id = ids[i];
		img.config = (struct db_blob){ ids[i], "", 2 };
		if (db_image_add(store_db(st), &img, &err) == -1) {
			fprintf(stderr, "# %s\n", berth_error_message(&err));
			return (-1);
		}
	}
	return (0);
}

static int
import_image(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_close int fd = -1;
	const char *changes[] = { "CMD [\"/bin/true\"]" };
	struct import_options opt = {
		.ref = "docker.io/library/imported:latest",
		.changes = changes, .nchanges = 1, .message = "msg",
	};
	char tar[DIGEST_STR_SIZE], path[512];
	uint64_t size;

	if (put_tar("etc/x", tar, &size) == -1)
		return (-1);
	snprintf(path, sizeof(path), "%s/root/blobs/sha256/%s", dir,
	    digest_hex(tar));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    store_import(st, fd, &opt, imported, NULL, &err) == -1) {
		fprintf(stderr, "# import: %s\n", berth_error_message(&err));
		return (-1);
	}
	return (0);
}

static void
find_ok(const char *name, const char *want)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	char id[DIGEST_STR_SIZE] = "";

	if (store_image_find(st, name, id, &err) == -1)
		fprintf(stderr, "# %s: %s\n", name, berth_error_message(&err));
	CHECK_STR(id, want);
}

static void
find_fails(const char *name, const char *errname)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	char id[DIGEST_STR_SIZE];

	CHECK(store_image_find(st, name, id, &err) == -1);
	if (!berth_error_is(&err, errname))
		fprintf(stderr, "# %s: %s (%s)\n", name, err.name,
		    berth_error_message(&err));
	CHECK(berth_error_is(&err, errname));
}

static void
find_image(void)
{
	char prefix[16];

	find_ok("multi", built);
	find_ok("multi:latest", built);
	find_ok("docker.io/library/multi:latest", built);
	find_ok("example.com:5000/team/multi:2", built);
	find_ok("imported", imported);
	find_ok(built, built);
	find_ok(digest_hex(built), built);
	snprintf(prefix, sizeof(prefix), "%.12s", digest_hex(built));
	find_ok(prefix, built);
	snprintf(prefix, sizeof(prefix), "sha256:%.6s", digest_hex(imported));
	find_ok(prefix, imported);
	find_ok("abcd0", FAKE_A);
	find_fails("abcd", STORE_E_AMBIGUOUS_ID);
	find_fails("nosuch", STORE_E_IMAGE_NOT_FOUND);
	find_fails("multi:3", STORE_E_IMAGE_NOT_FOUND);
	find_fails("ffff9999", STORE_E_IMAGE_NOT_FOUND);
	find_fails("sha256:ffff9999", STORE_E_IMAGE_NOT_FOUND);
	find_fails("ffff0000000000000000000000000000"
	    "00000000000000000000000000000000", STORE_E_IMAGE_NOT_FOUND);
	find_fails("Bad::Ref", STORE_E_INVALID_REFERENCE);
}

static void
inspect_built(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	json_t *doc = NULL, *c, *v;

	CHECK(store_image_inspect(st, built, &doc, &err) == 0);
	if (doc == NULL)
		return;
	CHECK_STR(json_string_value(json_object_get(doc, "Id")), built);
	v = json_object_get(doc, "RepoTags");
	CHECK(json_array_size(v) == 2);
	CHECK_STR(json_string_value(json_array_get(v, 0)), "multi:latest");
	CHECK_STR(json_string_value(json_array_get(v, 1)),
	    "example.com:5000/team/multi:2");
	CHECK(json_array_size(json_object_get(doc, "RepoDigests")) == 0);
	CHECK_STR(json_string_value(json_object_get(doc, "Parent")), "");
	CHECK_STR(json_string_value(json_object_get(doc, "Comment")), "last");
	CHECK_STR(json_string_value(json_object_get(doc, "Created")),
	    "2024-01-02T03:04:05.123456789Z");
	CHECK_STR(json_string_value(json_object_get(doc, "Architecture")),
	    "arm64");
	CHECK_STR(json_string_value(json_object_get(doc, "Variant")), "v8");
	CHECK_STR(json_string_value(json_object_get(doc, "Os")), "linux");
	CHECK(json_integer_value(json_object_get(doc, "Size")) ==
	    (json_int_t)(size0 + size1));
	c = json_object_get(doc, "Config");
	CHECK(json_is_null(json_object_get(c, "Cmd")));
	CHECK(json_is_null(json_object_get(c, "Entrypoint")));
	CHECK_STR(json_string_value(json_object_get(c, "User")), "");
	CHECK(json_is_false(json_object_get(c, "Tty")));
	CHECK_STR(json_string_value(json_object_get(c, "WorkingDir")), "/w");
	CHECK_STR(json_string_value(json_array_get(json_object_get(c, "Env"),
	    0)), "PATH=/bin");
	CHECK_STR(json_string_value(json_object_get(json_object_get(c,
	    "Labels"), "k")), "v");
	CHECK(json_object_get(c, "StopSignal") == NULL);
	v = json_object_get(doc, "RootFS");
	CHECK_STR(json_string_value(json_object_get(v, "Type")), "layers");
	CHECK(json_array_size(json_object_get(v, "Layers")) == 2);
	CHECK_STR(json_string_value(json_array_get(json_object_get(v,
	    "Layers"), 1)), layer1);
	CHECK_STR(json_string_value(json_object_get(json_object_get(doc,
	    "Metadata"), "LastTagTime")), "0001-01-01T00:00:00Z");
	json_decref(doc);
}

/* An image with a manifest: RepoDigests name it. */
static void
inspect_imported(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_image_parts struct image_parts p;
	json_t *doc = NULL, *v;
	char want[128];

	memset(&p, 0, sizeof(p));
	CHECK(store_image_inspect(st, imported, &doc, &err) == 0);
	CHECK(store_image_parts(st, imported, &p, &err) == 0);
	if (doc == NULL)
		return;
	snprintf(want, sizeof(want), "imported@%s", p.manifest_digest);
	v = json_object_get(doc, "RepoDigests");
	CHECK(json_array_size(v) == 1);
	CHECK_STR(json_string_value(json_array_get(v, 0)), want);
	CHECK_STR(json_string_value(json_object_get(doc, "Comment")), "msg");
	CHECK_STR(json_string_value(json_array_get(json_object_get(
	    json_object_get(doc, "Config"), "Cmd"), 0)), "/bin/true");
	json_decref(doc);
}

static void
inspect_missing(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	json_t *doc = NULL;

	CHECK(store_image_inspect(st, "sha256:ffff000000000000000000000000"
	    "0000000000000000000000000000000000", &doc, &err) == -1);
	CHECK(berth_error_is(&err, STORE_E_IMAGE_NOT_FOUND));
	CHECK(doc == NULL);
}

static void
check_entry(json_t *e, const char *id, int64_t created,
    const char *created_by, uint64_t size, const char *comment,
    size_t ntags, int empty)
{
	CHECK_STR(json_string_value(json_object_get(e, "id")), id);
	CHECK(json_integer_value(json_object_get(e, "created")) == created);
	CHECK_STR(json_string_value(json_object_get(e, "created_by")),
	    created_by);
	CHECK(json_integer_value(json_object_get(e, "size")) ==
	    (json_int_t)size);
	CHECK_STR(json_string_value(json_object_get(e, "comment")), comment);
	CHECK(json_array_size(json_object_get(e, "tags")) == ntags);
	CHECK(json_is_boolean(json_object_get(e, "empty_layer")) &&
	    json_is_true(json_object_get(e, "empty_layer")) == empty);
}

static void
history_built(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	json_t *h = NULL;

	CHECK(store_image_history(st, built, &h, &err) == 0);
	if (h == NULL)
		return;
	CHECK(json_array_size(h) == 3);
	check_entry(json_array_get(h, 0), built, 1704164645, "COPY bb /",
	    size1, "last", 2, 0);
	CHECK_STR(json_string_value(json_array_get(json_object_get(
	    json_array_get(h, 0), "tags"), 0)), "multi:latest");
	check_entry(json_array_get(h, 1), "<missing>", 1704067210 - 3600,
	    "ENV x", 0, "", 0, 1);
	check_entry(json_array_get(h, 2), "<missing>", 1704067200, "ADD a /",
	    size0, "", 0, 0);
	json_decref(h);
}

/* An image without history in its config, on layer0. */
static int
build_nohist(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_free char *text = NULL;
	json_t *config;
	struct db_layer layer;
	struct db_image img;

	config = json_pack("{s:s, s:s, s:s, s:{s:s, s:[s]}}",
	    "architecture", "amd64", "os", "linux",
	    "created", "2024-01-01T00:00:00Z",
	    "rootfs", "type", "layers", "diff_ids", layer0);
	text = json_dumps(config, JSON_COMPACT);
	json_decref(config);
	if (text == NULL || blob_put(store_blobs(st), text, strlen(text), NULL,
	    nohist, &err) == -1)
		return (-1);
	memset(&layer, 0, sizeof(layer));
	layer.diff_id = layer0;
	layer.blob = (struct db_blob){ layer0,
	    "application/vnd.docker.image.rootfs.diff.tar", size0 };
	memset(&img, 0, sizeof(img));
	img.id = nohist;
	img.config = (struct db_blob){ nohist,
	    "application/vnd.docker.container.image.v1+json", strlen(text) };
	img.layers = &layer;
	img.nlayers = 1;
	img.size = size0;
	return (db_image_add(store_db(st), &img, &err));
}

/* No history in the config: one entry per layer, the config's time. */
static void
history_without_entries(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	json_t *h = NULL;

	CHECK(store_image_history(st, nohist, &h, &err) == 0);
	if (h == NULL)
		return;
	CHECK(json_array_size(h) == 1);
	check_entry(json_array_get(h, 0), nohist, 1704067200, "", size0, "",
	    0, 0);
	json_decref(h);
}

/* An imported image: its one entry carries the message and its tag. */
static void
history_imported(void)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	json_t *h = NULL, *e;

	CHECK(store_image_history(st, FAKE_A, &h, &err) == -1);
	CHECK(berth_error_isset(&err));
	berth_error_clear(&err);
	CHECK(store_image_history(st, imported, &h, &err) == 0);
	if (h == NULL)
		return;
	CHECK(json_array_size(h) == 1);
	e = json_array_get(h, 0);
	CHECK_STR(json_string_value(json_object_get(e, "id")), imported);
	CHECK_STR(json_string_value(json_object_get(e, "comment")), "msg");
	CHECK_STR(json_string_value(json_array_get(json_object_get(e,
	    "tags"), 0)), "imported:latest");
	CHECK(json_integer_value(json_object_get(e, "size")) > 0);
	CHECK(json_integer_value(json_object_get(e, "created")) > 1704067200);
	json_decref(h);
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
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	char root[512];

	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(root, sizeof(root), "%s/root", dir);
	if (store_open(root, &st, &err) == -1 || build_image() == -1 ||
	    build_nohist() == -1 ||
	    fake_images() == -1 || import_image() == -1) {
		fprintf(stderr, "# setup: %s\n", berth_error_message(&err));
		store_close(st);
		remove_dir();
		return (1);
	}
	RUN(find_image);
	RUN(inspect_built);
	RUN(inspect_imported);
	RUN(inspect_missing);
	RUN(history_built);
	RUN(history_without_entries);
	RUN(history_imported);
	store_close(st);
	remove_dir();
	UNIT_EXIT();
}
