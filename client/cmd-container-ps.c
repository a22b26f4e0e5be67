/*
 * berth ps / berth container ls: io.berth.Container.List shown as
 * Docker shows it, with its filters and --format templates.
 */
#include <inttypes.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "container.h"
#include "image.h"
#include "listing.h"

#define PS_FILTER_MAX	32

struct ps_filter {
	const char	*status[PS_FILTER_MAX];
	int		 nstatus;
	regex_t		 names[PS_FILTER_MAX];
	int		 nnames;
	const char	*ids[PS_FILTER_MAX];
	int		 nids;
	const char	*labels[PS_FILTER_MAX];
	int		 nlabels;
	const char	*ancestors[PS_FILTER_MAX];
	int		 nancestors;
	int64_t		 exited[PS_FILTER_MAX];
	int		 nexited;
	json_t		*args;		/* {key: [values]}, owning them */
};

static const char *const ps_states[] = {
	"created", "restarting", "running", "removing", "paused", "exited",
	"dead", NULL
};

static const char *const ps_filter_keys[] = {
	"status", "name", "id", "label", "ancestor", "exited", NULL
};

/* One value of a known key into f; a bad value is Docker's
 * "invalid filter 'key=value'". */
static int
ps_filter_add(void *arg, const char *key, const char *v,
    struct berth_error *err)
{
	struct ps_filter *f = arg;
	char *end;
	int j;

	if (strcmp(key, "status") == 0) {
		for (j = 0; ps_states[j] != NULL; j++)
			if (strcmp(ps_states[j], v) == 0)
				break;
		if (ps_states[j] == NULL)
			return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "invalid filter 'status=%s'", v));
		if (f->nstatus < PS_FILTER_MAX)
			f->status[f->nstatus++] = v;
	} else if (strcmp(key, "name") == 0) {
		if (f->nnames >= PS_FILTER_MAX)
			return (0);
		if (regcomp(&f->names[f->nnames], v, REG_EXTENDED |
		    REG_NOSUB) != 0)
			return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "invalid filter 'name=%s'", v));
		f->nnames++;
	} else if (strcmp(key, "id") == 0) {
		if (f->nids < PS_FILTER_MAX)
			f->ids[f->nids++] = v;
	} else if (strcmp(key, "label") == 0) {
		if (f->nlabels < PS_FILTER_MAX)
			f->labels[f->nlabels++] = v;
	} else if (strcmp(key, "ancestor") == 0) {
		if (f->nancestors < PS_FILTER_MAX)
			f->ancestors[f->nancestors++] = v;
	} else if (strcmp(key, "exited") == 0) {
		if (f->nexited >= PS_FILTER_MAX)
			return (0);
		f->exited[f->nexited] = strtoll(v, &end, 10);
		if (end == v || *end != '\0')
			return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "invalid filter 'exited=%s'", v));
		f->nexited++;
	}
	return (0);
}

int
ps_filter_parse(const char *const *values, int n, struct ps_filter **out,
    struct berth_error *err)
{
	struct ps_filter *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return (berth_error_sys(err, "parse filters"));
	/* The values stay in f->args, which f's pointers point into. */
	if (filters_parse_allowed(values, n, ps_filter_keys, &f->args,
	    err) < 0 || filters_each(f->args, ps_filter_add, f, err) < 0)
		goto fail;
	*out = f;
	return (0);
fail:
	ps_filter_free(f);
	return (-1);
}

void
ps_filter_free(struct ps_filter *f)
{
	int i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nnames; i++)
		regfree(&f->names[i]);
	if (f->args != NULL)
		json_decref(f->args);
	free(f);
}

static int64_t
jint(const json_t *o, const char *key, int64_t def)
{
	const json_t *v = json_object_get(o, key);

	return (json_is_integer(v) ? (int64_t)json_integer_value(v) : def);
}

static const char *
strip_slash(const char *name)
{
	return (name[0] == '/' ? name + 1 : name);
}

static bool
ancestor_match(const json_t *c, const char *want)
{
	const char *image = json_str(c, "image"), *iid = json_str(c, "image_id");
	const char *hex = strchr(iid, ':') != NULL ? strchr(iid, ':') + 1 :
	    iid;
	size_t n = strlen(want);

	if (strcmp(image, want) == 0 || strcmp(iid, want) == 0)
		return (true);
	if (strncmp(image, want, n) == 0 && strcmp(image + n, ":latest") == 0)
		return (true);
	if (strncmp(want, image, strlen(image)) == 0 &&
	    strcmp(want + strlen(image), ":latest") == 0)
		return (true);
	return (n >= 4 && strncmp(hex, want, n) == 0);
}

static bool
ps_match(const json_t *c, const struct ps_filter *f)
{
	const json_t *names = json_object_get(c, "names"), *nm, *labels, *lv;
	const char *state = json_str(c, "state"), *eq;
	char key[256];
	bool ok;
	size_t k;
	int i;

	if (f == NULL)
		return (true);
	if (f->nstatus > 0) {
		for (ok = false, i = 0; i < f->nstatus && !ok; i++)
			ok = strcmp(f->status[i], state) == 0;
		if (!ok)
			return (false);
	}
	if (f->nnames > 0) {
		ok = false;
		json_array_foreach(names, k, nm)
			for (i = 0; i < f->nnames && !ok; i++)
				ok = json_is_string(nm) && regexec(
				    &f->names[i], strip_slash(
				    json_string_value(nm)), 0, NULL, 0) == 0;
		if (!ok)
			return (false);
	}
	if (f->nids > 0) {
		for (ok = false, i = 0; i < f->nids && !ok; i++)
			ok = strncmp(json_str(c, "id"), f->ids[i],
			    strlen(f->ids[i])) == 0;
		if (!ok)
			return (false);
	}
	labels = json_object_get(c, "labels");
	for (i = 0; i < f->nlabels; i++) {
		eq = strchr(f->labels[i], '=');
		snprintf(key, sizeof(key), "%.*s", eq != NULL ?
		    (int)(eq - f->labels[i]) : (int)strlen(f->labels[i]),
		    f->labels[i]);
		if ((lv = json_object_get(labels, key)) == NULL)
			return (false);
		if (eq != NULL && (!json_is_string(lv) ||
		    strcmp(json_string_value(lv), eq + 1) != 0))
			return (false);
	}
	if (f->nancestors > 0) {
		for (ok = false, i = 0; i < f->nancestors && !ok; i++)
			ok = ancestor_match(c, f->ancestors[i]);
		if (!ok)
			return (false);
	}
	if (f->nexited > 0) {
		if (strcmp(state, "exited") != 0)
			return (false);
		for (ok = false, i = 0; i < f->nexited && !ok; i++)
			ok = jint(c, "exit_code", -1) == f->exited[i];
		if (!ok)
			return (false);
	}
	return (true);
}

char *
ps_command(const char *command, bool no_trunc)
{
	cleanup_free char *cut = no_trunc ? strdup(command) :
	    image_ellipsis(command, 20);
	const unsigned char *p;
	char *out, *o;

	if (cut == NULL || (out = malloc(strlen(cut) * 4 + 3)) == NULL)
		return (NULL);
	o = out;
	*o++ = '"';
	for (p = (const unsigned char *)cut; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else if (*p == '\t') {
			*o++ = '\\';
			*o++ = 't';
		} else if (*p < 0x20 || *p == 0x7f)
			o += sprintf(o, "\\x%02x", *p);
		else
			*o++ = (char)*p;
	}
	*o++ = '"';
	*o = '\0';
	return (out);
}

static int
created_desc(const void *a, const void *b)
{
	int64_t ca = jint(*(json_t *const *)a, "created", 0);
	int64_t cb = jint(*(json_t *const *)b, "created", 0);

	if (ca != cb)
		return (ca < cb ? 1 : -1);
	return (strcmp(json_str(*(json_t *const *)a, "id"),
	    json_str(*(json_t *const *)b, "id")));
}

static char *
names_str(const json_t *names)
{
	const json_t *nm;
	char *out = strdup(""), *next;
	size_t i;

	json_array_foreach(names, i, nm) {
		if (out == NULL || !json_is_string(nm))
			continue;
		if (asprintf(&next, "%s%s%s", out, *out != '\0' ? "," : "",
		    strip_slash(json_string_value(nm))) < 0) {
			free(out);
			return (NULL);
		}
		free(out);
		out = next;
	}
	return (out);
}

static int
ps_add_row(json_t *rows, const json_t *c, bool no_trunc, int64_t now)
{
	cleanup_free char *since = NULL, *at = NULL, *shortid = NULL,
	    *cmd = NULL, *labels = NULL, *names = NULL, *image = NULL;
	const char *img = json_str(c, "image");
	int64_t created = jint(c, "created", 0);
	json_t *row = json_object();

	since = fmt_created_since(created, now);
	at = fmt_created_at(created);
	shortid = fmt_short_id(json_str(c, "id"));
	cmd = ps_command(json_str(c, "command"), no_trunc);
	labels = listing_labels(json_object_get(c, "labels"));
	names = names_str(json_object_get(c, "names"));
	image = !no_trunc && strncmp(img, "sha256:", 7) == 0 ?
	    fmt_short_id(img) : strdup(img);
	if (row == NULL || since == NULL || at == NULL || shortid == NULL ||
	    cmd == NULL || labels == NULL || names == NULL || image == NULL ||
	    json_object_set_new(row, "Command", json_string(cmd)) < 0 ||
	    json_object_set_new(row, "CreatedAt", json_string(at)) < 0 ||
	    json_object_set_new(row, "ID", json_string(no_trunc ?
	    json_str(c, "id") : shortid)) < 0 ||
	    json_object_set_new(row, "Image", json_string(image)) < 0 ||
	    json_object_set_new(row, "Labels", json_string(labels)) < 0 ||
	    json_object_set_new(row, "LocalVolumes", json_string("0")) < 0 ||
	    json_object_set_new(row, "Mounts", json_string("")) < 0 ||
	    json_object_set_new(row, "Names", json_string(names)) < 0 ||
	    json_object_set_new(row, "Networks", json_string(json_str(c,
	    "networks"))) < 0 ||
	    json_object_set_new(row, "Ports", json_string(json_str(c,
	    "ports"))) < 0 ||
	    json_object_set_new(row, "RunningFor", json_string(since)) < 0 ||
	    json_object_set_new(row, "Size", json_string("0B")) < 0 ||
	    json_object_set_new(row, "State", json_string(json_str(c,
	    "state"))) < 0 ||
	    json_object_set_new(row, "Status", json_string(json_str(c,
	    "status"))) < 0 ||
	    json_array_append_new(rows, row) < 0) {
		json_decref(row);
		return (-1);
	}
	return (0);
}

json_t *
ps_rows(const json_t *containers, const struct ps_filter *filter,
    bool no_trunc, int last, int64_t now, struct berth_error *err)
{
	cleanup_free const json_t **sorted = NULL;
	json_t *rows;
	size_t i, n = json_array_size(containers);
	int kept = 0;

	if ((sorted = calloc(n + 1, sizeof(*sorted))) == NULL ||
	    (rows = json_array()) == NULL) {
		berth_error_sys(err, "list containers");
		return (NULL);
	}
	for (i = 0; i < n; i++)
		sorted[i] = json_array_get(containers, i);
	qsort(sorted, n, sizeof(*sorted), created_desc);
	for (i = 0; i < n && (last < 0 || kept < last); i++) {
		if (!ps_match(sorted[i], filter))
			continue;
		if (ps_add_row(rows, sorted[i], no_trunc, now) < 0) {
			json_decref(rows);
			berth_error_sys(err, "list containers");
			return (NULL);
		}
		kept++;
	}
	return (rows);
}

/* The command. */

static int cmd_ps_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_ps_flags[] = {
	{ "all", 'a', NULL, "Show all containers (default shows just "
	    "running)" },
	{ "filter", 'f', "FILTER", "Filter output based on conditions "
	    "provided (status=, name=, id=, label=, ancestor=, exited=)" },
	{ "format", 0, "FORMAT", "Format output using a Go template subset, "
	    "or 'json'" },
	{ "last", 'n', "N", "Show n last created containers (includes all "
	    "states)" },
	{ "latest", 'l', NULL, "Show the latest created container (includes "
	    "all states)" },
	{ "no-trunc", 0, NULL, "Don't truncate output" },
	{ "quiet", 'q', NULL, "Only display container IDs" },
	{ "size", 's', NULL, "Display total file sizes (not measured yet: "
	    "0B)" },
	{ NULL, 0, NULL, NULL }
};

static const char cmd_ps_help[] =
    "Templates: 'table' prefix, {{.ID}} {{.Image}} {{.Command}}\n"
    "{{.RunningFor}} {{.CreatedAt}} {{.Status}} {{.State}} {{.Names}}\n"
    "{{.Labels}} {{.Ports}} {{json .}}.\n";

const struct cmd_entry cmd_ps_entry = {
	.name = "ps",
	.usage = "",
	.summary = "List containers",
	.help = cmd_ps_help,
	.flags = cmd_ps_flags,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_ps_exec,
};

const struct cmd_entry cmd_container_ls_entry =
    CMD_SAME_AS("container ls", cmd_ps_entry, "list");

static const struct fmt_header ps_headers[] = {
	{ "ID", "CONTAINER ID" },
	{ "Image", "IMAGE" },
	{ "Command", "COMMAND" },
	{ "CreatedAt", "CREATED AT" },
	{ "RunningFor", "CREATED" },
	{ "Ports", "PORTS" },
	{ "Status", "STATUS" },
	{ "Size", "SIZE" },
	{ "Names", "NAMES" },
	{ "Labels", "LABELS" },
	{ "Mounts", "MOUNTS" },
	{ "Networks", "NETWORKS" },
	{ "State", "STATE" },
	{ "LocalVolumes", "LOCAL VOLUMES" },
	{ NULL, NULL }
};

static int
cmd_ps_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *params = NULL, *rows = NULL, *p = NULL;
	const char *format = args_get(args, "format");
	const char *last_s = args_get(args, "last");
	const char *const *fv;
	struct ps_filter *filter = NULL;
	bool all = args_has(args, "all"), no_trunc = args_has(args,
	    "no-trunc");
	int nf = 0, last = -1, rc;
	char *end;

	if (last_s != NULL) {
		last = (int)strtol(last_s, &end, 10);
		if (end == last_s || *end != '\0')
			return (cli_usage_error(ctx, ctx->entry, "invalid "
			    "argument \"%s\" for \"-n, --last\" flag", last_s));
		if (last == 0)
			last = -1;
	}
	if (args_has(args, "latest"))
		last = 1;
	if (last > 0)
		all = true;
	fv = args_all(args, "filter", &nf);
	if (ps_filter_parse(fv, nf, &filter, &err) < 0)
		return (filters_fail(ctx, &err));
	if (filter->nstatus > 0 || filter->nexited > 0)
		all = true;
	if (args_has(args, "quiet"))
		format = "{{.ID}}";
	if (listing_check_format(ctx, format) < 0)
		rc = CLI_EXIT_ENGINE;
	else if ((p = json_pack("{s:b}", "all", all)) == NULL)
		rc = CLI_EXIT_ENGINE;
	else if (cli_connect(ctx, &c, &err) < 0)
		rc = cli_fail(ctx, &err);
	else if (container_call(c, "io.berth.Container.List", p, &reply,
	    &err) < 0)
		rc = cli_fail_reply(ctx, &reply, &err);
	else if ((params = jsonmp_from_msgpack(reply.parameters, &err)) ==
	    NULL)
		rc = cli_fail(ctx, &err);
	else if ((rows = ps_rows(json_object_get(params, "containers"),
	    filter, no_trunc, last, (int64_t)time(NULL), &err)) == NULL)
		rc = cli_fail(ctx, &err);
	else
		rc = listing_print(ctx, format, "table {{.ID}}\t{{.Image}}\t"
		    "{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t"
		    "{{.Names}}", rows, ps_headers);
	ps_filter_free(filter);
	return (rc);
}
