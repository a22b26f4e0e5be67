/*
 * berth images / berth image ls: io.berth.Image.List shown as Docker
 * shows it, one row per repository tag, with Docker's filters and
 * --format templates.  Also the "image" command group.
 */
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "image.h"
#include "listing.h"

#define IMAGE_FILTER_MAX	32

struct image_filter {
	int		 dangling;	/* -1 any, 0 tagged only, 1 dangling */
	const char	*refs[IMAGE_FILTER_MAX];
	int		 nrefs;
	const char	*labels[IMAGE_FILTER_MAX];
	int		 nlabels;
	const char	*before;
	const char	*since;
	json_t		*args;		/* {key: [values]}, owning them */
};

static const char *const image_filter_keys[] = {
	"dangling", "reference", "label", "before", "since", NULL
};

static int
image_filter_add(void *arg, const char *key, const char *v,
    struct berth_error *err)
{
	struct image_filter *f = arg;

	if (strcmp(key, "dangling") == 0) {
		if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0)
			f->dangling = 1;
		else if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0)
			f->dangling = 0;
		else
			return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "Invalid filter 'dangling=%s'", v));
	} else if (strcmp(key, "reference") == 0) {
		if (f->nrefs < IMAGE_FILTER_MAX)
			f->refs[f->nrefs++] = v;
	} else if (strcmp(key, "label") == 0) {
		if (f->nlabels < IMAGE_FILTER_MAX)
			f->labels[f->nlabels++] = v;
	} else if (strcmp(key, "before") == 0)
		f->before = v;
	else if (strcmp(key, "since") == 0)
		f->since = v;
	return (0);
}

int
image_filter_parse(const char *const *values, int n,
    struct image_filter **out, struct berth_error *err)
{
	struct image_filter *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return (berth_error_sys(err, "parse filters"));
	f->dangling = -1;
	/* The values stay in f->args, which f's pointers point into. */
	if (filters_parse_allowed(values, n, image_filter_keys, &f->args,
	    err) < 0 || filters_each(f->args, image_filter_add, f, err) < 0)
		goto fail;
	*out = f;
	return (0);
fail:
	image_filter_free(f);
	return (-1);
}

void
image_filter_free(struct image_filter *f)
{
	if (f == NULL)
		return;
	if (f->args != NULL)
		json_decref(f->args);
	free(f);
}

void
image_split_ref(const char *ref, char **repo, char **tag)
{
	const char *slash = strrchr(ref, '/'), *at = strchr(ref, '@'), *colon;

	if (at != NULL) {
		*repo = strndup(ref, (size_t)(at - ref));
		*tag = strdup("<none>");
		return;
	}
	colon = strrchr(slash != NULL ? slash : ref, ':');
	if (colon == NULL) {
		*repo = strdup(ref);
		*tag = strdup("<none>");
		return;
	}
	*repo = strndup(ref, (size_t)(colon - ref));
	*tag = strdup(colon + 1);
}

bool
image_ref_match(const char *pattern, const char *ref)
{
	cleanup_free char *repo = NULL, *tag = NULL;

	if (fnmatch(pattern, ref, FNM_PATHNAME) == 0)
		return (true);
	image_split_ref(ref, &repo, &tag);
	return (repo != NULL && fnmatch(pattern, repo, FNM_PATHNAME) == 0);
}

char *
image_ellipsis(const char *s, size_t max)
{
	size_t i, chars = 0, cut = 0;

	for (i = 0; s[i] != '\0'; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (chars == max - 1)
				cut = i;
			chars++;
		}
	if (chars <= max || max == 0)
		return (strdup(s));
	char *out;

	if (asprintf(&out, "%.*s\xe2\x80\xa6", (int)cut, s) < 0)
		return (NULL);
	return (out);
}

static int64_t
jint(const json_t *o, const char *key, int64_t def)
{
	const json_t *v = json_object_get(o, key);

	return (json_is_integer(v) ? (int64_t)json_integer_value(v) : def);
}

/* The image id, "sha256:"-less hex prefix, or reference names. */
static bool
image_is(const json_t *img, const char *name)
{
	const char *id = json_str(img, "id"), *hex = strchr(id, ':');
	const json_t *tags = json_object_get(img, "repo_tags"), *t;
	cleanup_free char *withtag = NULL;
	size_t i;

	hex = hex != NULL ? hex + 1 : id;
	if (strcmp(id, name) == 0 || (strlen(name) >= 4 &&
	    strncmp(hex, name, strlen(name)) == 0))
		return (true);
	if (strchr(strrchr(name, '/') != NULL ? strrchr(name, '/') : name,
	    ':') == NULL && asprintf(&withtag, "%s:latest", name) < 0)
		withtag = NULL;
	json_array_foreach(tags, i, t)
		if (strcmp(json_string_value(t), name) == 0 ||
		    (withtag != NULL && strcmp(json_string_value(t),
		    withtag) == 0))
			return (true);
	return (false);
}

static const json_t *
image_find(const json_t *images, const char *name)
{
	const json_t *img;
	size_t i;

	json_array_foreach(images, i, img)
		if (image_is(img, name))
			return (img);
	return (NULL);
}

static bool
image_labels_match(const json_t *img, const struct image_filter *f)
{
	const json_t *labels = json_object_get(img, "labels"), *v;
	const char *eq;
	char key[256];
	int i;

	for (i = 0; i < f->nlabels; i++) {
		eq = strchr(f->labels[i], '=');
		snprintf(key, sizeof(key), "%.*s", eq != NULL ?
		    (int)(eq - f->labels[i]) : (int)strlen(f->labels[i]),
		    f->labels[i]);
		if ((v = json_object_get(labels, key)) == NULL)
			return (false);
		if (eq != NULL && (!json_is_string(v) ||
		    strcmp(json_string_value(v), eq + 1) != 0))
			return (false);
	}
	return (true);
}

static bool
image_refs_match(const struct image_filter *f, const char *ref)
{
	int i;

	for (i = 0; i < f->nrefs; i++)
		if (image_ref_match(f->refs[i], ref))
			return (true);
	return (false);
}

static int
created_desc(const void *a, const void *b)
{
	int64_t ca = jint(*(json_t *const *)a, "created", 0);
	int64_t cb = jint(*(json_t *const *)b, "created", 0);

	return (ca < cb ? 1 : ca > cb ? -1 : 0);
}

/* The digest of repo among the image's repo_digests, or "<none>". */
static const char *
image_digest(const json_t *img, const char *repo)
{
	const json_t *digests = json_object_get(img, "repo_digests"), *d;
	const char *s, *at;
	size_t i;

	json_array_foreach(digests, i, d) {
		s = json_string_value(d);
		if (s == NULL || (at = strchr(s, '@')) == NULL)
			continue;
		if (repo == NULL || (strlen(repo) == (size_t)(at - s) &&
		    strncmp(s, repo, (size_t)(at - s)) == 0))
			return (at + 1);
	}
	return ("<none>");
}

static json_t *
size_str(int64_t n)
{
	cleanup_free char *s = NULL;

	if (n < 0)
		return (json_string("N/A"));
	if ((s = fmt_human_size((double)n, 3)) == NULL)
		return (NULL);
	return (json_string(s));
}

static int
image_add_row(json_t *rows, const json_t *img, const char *repo,
    const char *tag, const char *digest, bool no_trunc, int64_t now)
{
	cleanup_free char *since = NULL, *at = NULL, *shortid = NULL;
	json_t *row = json_object();
	int64_t created = jint(img, "created", 0), size = jint(img, "size", 0),
	    shared = jint(img, "shared_size", -1),
	    containers = jint(img, "containers", -1);
	char num[32];

	snprintf(num, sizeof(num), "%" PRId64, containers);
	since = fmt_created_since(created, now);
	at = fmt_created_at(created);
	shortid = fmt_short_id(json_str(img, "id"));
	if (row == NULL || since == NULL || at == NULL || shortid == NULL ||
	    json_object_set_new(row, "Containers", json_string(
	    containers < 0 ? "N/A" : num)) < 0 ||
	    json_object_set_new(row, "CreatedAt", json_string(at)) < 0 ||
	    json_object_set_new(row, "CreatedSince", json_string(since)) < 0 ||
	    json_object_set_new(row, "Digest", json_string(digest)) < 0 ||
	    json_object_set_new(row, "ID", json_string(no_trunc ?
	    json_str(img, "id") : shortid)) < 0 ||
	    json_object_set_new(row, "Repository", json_string(repo)) < 0 ||
	    json_object_set_new(row, "SharedSize", size_str(shared)) < 0 ||
	    json_object_set_new(row, "Size", size_str(size)) < 0 ||
	    json_object_set_new(row, "Tag", json_string(tag)) < 0 ||
	    json_object_set_new(row, "UniqueSize", size_str(shared < 0 ? -1 :
	    size - shared)) < 0 ||
	    json_object_set_new(row, "VirtualSize", size_str(size)) < 0 ||
	    json_array_append_new(rows, row) < 0) {
		json_decref(row);
		return (-1);
	}
	return (0);
}

json_t *
image_rows(const json_t *images, const struct image_filter *filter,
    bool no_trunc, int64_t now, struct berth_error *err)
{
	static const struct image_filter none = { .dangling = -1 };
	cleanup_free const json_t **sorted = NULL;
	const json_t *img, *tags, *t, *ref;
	int64_t before = INT64_MAX, since = INT64_MIN, created;
	json_t *rows;
	size_t i, j, n, kept;

	if (filter == NULL)
		filter = &none;
	if (filter->before != NULL) {
		if ((ref = image_find(images, filter->before)) == NULL) {
			berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "No such image: %s", filter->before);
			return (NULL);
		}
		before = jint(ref, "created", 0);
	}
	if (filter->since != NULL) {
		if ((ref = image_find(images, filter->since)) == NULL) {
			berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "No such image: %s", filter->since);
			return (NULL);
		}
		since = jint(ref, "created", 0);
	}
	n = json_array_size(images);
	if ((sorted = calloc(n + 1, sizeof(*sorted))) == NULL ||
	    (rows = json_array()) == NULL) {
		berth_error_sys(err, "list images");
		return (NULL);
	}
	for (i = 0; i < n; i++)
		sorted[i] = json_array_get(images, i);
	qsort(sorted, n, sizeof(*sorted), created_desc);
	for (i = 0; i < n; i++) {
		img = sorted[i];
		tags = json_object_get(img, "repo_tags");
		created = jint(img, "created", 0);
		if (created >= before || created <= since ||
		    !image_labels_match(img, filter))
			continue;
		if (json_array_size(tags) == 0) {
			if (filter->dangling == 0 || filter->nrefs > 0)
				continue;
			if (image_add_row(rows, img, "<none>", "<none>",
			    image_digest(img, NULL), no_trunc, now) < 0)
				goto oom;
			continue;
		}
		if (filter->dangling == 1)
			continue;
		kept = 0;
		json_array_foreach(tags, j, t) {
			cleanup_free char *repo = NULL, *tag = NULL;
			const char *s = json_string_value(t);

			if (s == NULL || (filter->nrefs > 0 &&
			    !image_refs_match(filter, s)))
				continue;
			image_split_ref(s, &repo, &tag);
			if (repo == NULL || tag == NULL ||
			    image_add_row(rows, img, repo, tag,
			    image_digest(img, repo), no_trunc, now) < 0)
				goto oom;
			kept++;
		}
	}
	return (rows);
oom:
	json_decref(rows);
	berth_error_sys(err, "list images");
	return (NULL);
}

/* The command. */

static int cmd_images_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_images_flags[] = {
	{ "all", 'a', NULL, "Show all images (default hides intermediate "
	    "images)" },
	{ "digests", 0, NULL, "Show digests" },
	{ "filter", 'f', "FILTER", "Filter output based on conditions "
	    "provided (dangling=, reference=, label=, before=, since=)" },
	{ "format", 0, "FORMAT", "Format output using a Go template subset, "
	    "or 'json' (one object per image)" },
	{ "no-trunc", 0, NULL, "Don't truncate output" },
	{ "quiet", 'q', NULL, "Only show image IDs" },
	{ NULL, 0, NULL, NULL }
};

static const char cmd_images_help[] =
    "Templates: 'table' prefix, {{.ID}} {{.Repository}} {{.Tag}}\n"
    "{{.Digest}} {{.CreatedSince}} {{.CreatedAt}} {{.Size}} {{json .}}.\n";

const struct cmd_entry cmd_images_entry = {
	.name = "images",
	.usage = "[REPOSITORY[:TAG]]",
	.summary = "List images",
	.help = cmd_images_help,
	.flags = cmd_images_flags,
	.args_min = 0,
	.args_max = 1,
	.exec = cmd_images_exec,
};

const struct cmd_entry cmd_image_ls_entry =
    CMD_SAME_AS("image ls", cmd_images_entry, "list");

static const struct fmt_header image_headers[] = {
	{ "ID", "IMAGE ID" },
	{ "Repository", "REPOSITORY" },
	{ "Tag", "TAG" },
	{ "Digest", "DIGEST" },
	{ "CreatedSince", "CREATED" },
	{ "CreatedAt", "CREATED AT" },
	{ "Size", "SIZE" },
	{ "SharedSize", "SHARED SIZE" },
	{ "UniqueSize", "UNIQUE SIZE" },
	{ "VirtualSize", "VIRTUAL SIZE" },
	{ "Containers", "CONTAINERS" },
	{ NULL, NULL }
};

static int
pack_list(msgpack_packer *pk, void *arg, struct berth_error *err)
{
	(void)err;
	msgpack_pack_map(pk, 1);
	msgpack_pack_str_with_body(pk, "all", 3);
	if (*(bool *)arg)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
	return (0);
}

static int
cmd_images_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *params = NULL, *rows = NULL;
	const char *format = args_get(args, "format");
	const char *filters[ARGS_VALUES_MAX + 1];
	const char *const *fv;
	struct image_filter *filter = NULL;
	bool all = args_has(args, "all");
	cleanup_free char *refpat = NULL;
	int nf = 0, i, rc;

	fv = args_all(args, "filter", &nf);
	for (i = 0; i < nf && i < ARGS_VALUES_MAX; i++)
		filters[i] = fv[i];
	if (args->argc == 1) {
		if (asprintf(&refpat, "reference=%s", args->argv[0]) < 0)
			return (CLI_EXIT_ENGINE);
		filters[nf++] = refpat;
	}
	if (image_filter_parse(filters, nf, &filter, &err) < 0)
		return (filters_fail(ctx, &err));
	if (args_has(args, "quiet"))
		format = "{{.ID}}";
	if (listing_check_format(ctx, format) < 0)
		rc = CLI_EXIT_ENGINE;
	else if (cli_connect(ctx, &c, &err) < 0 ||
	    berth_send_packed(c, "io.berth.Image.List", 0, pack_list, &all,
	    &err) < 0)
		rc = cli_fail(ctx, &err);
	else if (berth_recv(c, &reply, &err) < 0)
		rc = reply.error ? cli_fail_daemon(ctx, &err) :
		    cli_fail(ctx, &err);
	else if ((params = jsonmp_from_msgpack(reply.parameters, &err)) ==
	    NULL)
		rc = cli_fail(ctx, &err);
	else if ((rows = image_rows(json_object_get(params, "images"),
	    filter, args_has(args, "no-trunc"), (int64_t)time(NULL),
	    &err)) == NULL)
		rc = cli_fail_daemon(ctx, &err);
	else
		rc = listing_print(ctx, format, args_has(args, "digests") ?
		    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t"
		    "{{.ID}}\t{{.CreatedSince}}\t{{.Size}}" :
		    "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t"
		    "{{.CreatedSince}}\t{{.Size}}", rows, image_headers);
	image_filter_free(filter);
	return (rc);
}
