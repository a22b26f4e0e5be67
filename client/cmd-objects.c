/*
 * The network and volume groups' common ground (see objects.h): the
 * loops and listings they would otherwise each write out.
 */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "container.h"
#include "listing.h"
#include "objects.h"

int
object_connect(struct cmd_ctx *ctx, struct berth_client **c)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;

	if (cli_connect(ctx, c, &err) < 0)
		return (cli_fail(ctx, &err));
	return (0);
}

int
object_call(struct cmd_ctx *ctx, const struct object_kind *k,
    struct berth_client *c, const char *method, const json_t *p,
    struct berth_reply *reply)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;

	if (p == NULL) {
		berth_error_sys(&err, "%s", method);
		return (cli_fail(ctx, &err));
	}
	if (container_call(c, method, p, reply, &err) < 0)
		return (k->fail(ctx, reply, &err));
	return (0);
}

int
object_filters(struct cmd_ctx *ctx, const struct args *args,
    const char *const *allowed, json_t **out)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	const char *const *v;
	int n;

	*out = NULL;
	v = args_all(args, "filter", &n);
	if (n == 0)
		return (0);
	if (filters_parse_allowed(v, n, allowed, out, &err) < 0)
		return (filters_fail(ctx, &err));
	return (0);
}

json_t *
object_kv_flags(const struct args *args, const char *flag)
{
	json_t *o = json_object();
	const char *const *v, *eq;
	char *key;
	int i, n;

	v = args_all(args, flag, &n);
	for (i = 0; o != NULL && i < n; i++) {
		eq = strchr(v[i], '=');
		key = eq != NULL ? strndup(v[i], (size_t)(eq - v[i])) :
		    strdup(v[i]);
		if (key == NULL || json_object_set_new(o, key,
		    json_string(eq != NULL ? eq + 1 : "")) < 0) {
			free(key);
			json_decref(o);
			return (NULL);
		}
		free(key);
	}
	return (o);
}

int
object_ls(struct cmd_ctx *ctx, const struct object_kind *k,
    const struct object_list *l, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *params = NULL, *rows = NULL, *filters = NULL;
	cleanup_json json_t *p = NULL;
	const char *format = args_get(args, "format");
	bool quiet = args_has(args, "quiet");
	int rc;

	if ((rc = object_filters(ctx, args, l->filters, &filters)) != 0)
		return (rc);
	if (!quiet && listing_check_format(ctx, format) < 0)
		return (CLI_EXIT_ENGINE);
	p = filters != NULL ? json_pack("{s:O}", "filters", filters) :
	    json_object();
	if ((rc = object_connect(ctx, &c)) != 0 || (rc = object_call(ctx, k,
	    c, l->method, p, &reply)) != 0)
		return (rc);
	if ((params = jsonmp_from_msgpack(reply.parameters, &err)) == NULL)
		return (cli_fail(ctx, &err));
	if ((rows = l->rows_of(params, args)) == NULL)
		return (CLI_EXIT_ENGINE);
	return (listing_print(ctx, quiet ? l->quiet : format, l->table, rows,
	    l->headers));
}

/* Print one document with t, or add it to out; -1 after a failure was
 * printed. */
static int
inspect_emit(struct cmd_ctx *ctx, const struct fmt_template *t,
    json_t *doc, json_t *out)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_free char *line = NULL;

	if (t == NULL)
		return (json_array_append(out, doc));
	if ((line = fmt_render(t, doc, &err)) == NULL) {
		cli_fail(ctx, &err);
		return (-1);
	}
	fprintf(ctx->out, "%s\n", line);
	return (0);
}

/* A failed call on one of several arguments: the message printed; -1
 * when the others cannot go on (not the daemon's refusal). */
static int
one_failed(struct cmd_ctx *ctx, const struct object_kind *k,
    const struct berth_reply *reply, const struct berth_error *err,
    const char *name, bool no_such)
{
	if (!reply->error) {
		cli_fail(ctx, err);
		return (-1);
	}
	fflush(ctx->out);
	if (no_such && berth_error_is(err, k->not_found))
		fprintf(ctx->err, "Error: No such %s: %s\n", k->noun, name);
	else
		k->fail(ctx, reply, err);
	return (0);
}

int
object_inspect(struct cmd_ctx *ctx, const struct object_kind *k,
    const char *method, const char *result, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_json json_t *out = json_array();
	const char *format = args_get(args, "format");
	struct fmt_template *t = NULL;
	int i, failed = 0, rc = CLI_EXIT_OK;

	if (out == NULL)
		return (CLI_EXIT_ENGINE);
	if (format != NULL && *format != '\0' && strcmp(format, "json") != 0 &&
	    fmt_parse(format, &t, &err) < 0)
		return (cli_usage_error(ctx, ctx->entry, "%s",
		    berth_error_message(&err)));
	if ((rc = object_connect(ctx, &c)) != 0)
		goto out;
	for (i = 0; i < args->argc; i++) {
		cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
		cleanup_json json_t *p = json_pack("{s:s}", k->noun,
		    args->argv[i]);
		cleanup_json json_t *wire = NULL, *doc = NULL;

		berth_error_clear(&err);
		if (p == NULL) {
			rc = CLI_EXIT_ENGINE;
			goto out;
		}
		if (container_call(c, method, p, &reply, &err) < 0) {
			if (one_failed(ctx, k, &reply, &err, args->argv[i],
			    true) < 0) {
				rc = CLI_EXIT_ENGINE;
				goto out;
			}
			failed++;
			continue;
		}
		if ((wire = jsonmp_from_msgpack(berth_map_get(
		    reply.parameters, result), &err)) == NULL) {
			rc = cli_fail(ctx, &err);
			goto out;
		}
		doc = k->document != NULL ? k->document(wire) :
		    json_incref(wire);
		if (doc == NULL || inspect_emit(ctx, t, doc, out) < 0) {
			rc = CLI_EXIT_ENGINE;
			goto out;
		}
	}
	if (t == NULL) {
		if (json_dumpf(out, ctx->out, JSON_INDENT(4)) < 0)
			rc = CLI_EXIT_ENGINE;
		fputc('\n', ctx->out);
	}
	if (rc == CLI_EXIT_OK && failed > 0)
		rc = CLI_EXIT_FAILURE;
out:
	fmt_free(t);
	fflush(ctx->out);
	return (rc);
}

int
object_rm(struct cmd_ctx *ctx, const struct object_kind *k,
    const char *method, const struct args *args)
{
	cleanup_client struct berth_client *c = NULL;
	bool force = args_has(args, "force");
	int i, rc, failed = 0;

	if ((rc = object_connect(ctx, &c)) != 0)
		return (rc);
	for (i = 0; i < args->argc; i++) {
		cleanup_error struct berth_error err = BERTH_ERROR_INIT;
		cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
		cleanup_json json_t *p = json_pack("{s:s}", k->noun,
		    args->argv[i]);

		if (p == NULL || (force && k->rm_force_param &&
		    json_object_set_new(p, "force", json_true()) < 0))
			return (CLI_EXIT_ENGINE);
		if (container_call(c, method, p, &reply, &err) == 0) {
			fprintf(ctx->out, "%s\n", args->argv[i]);
			fflush(ctx->out);
			continue;
		}
		/* -f: one that is not there is no error. */
		if (force && reply.error && berth_error_is(&err,
		    k->not_found))
			continue;
		if (one_failed(ctx, k, &reply, &err, args->argv[i],
		    k->rm_no_such) < 0)
			return (CLI_EXIT_ENGINE);
		failed++;
	}
	return (failed > 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK);
}

void
object_print_deleted(struct cmd_ctx *ctx, const struct berth_reply *reply,
    const char *title)
{
	const msgpack_object *d, *s;
	uint32_t i;

	d = berth_map_get(reply->parameters, "deleted");
	if (d == NULL || d->type != MSGPACK_OBJECT_ARRAY ||
	    d->via.array.size == 0)
		return;
	fprintf(ctx->out, "Deleted %s:\n", title);
	for (i = 0; i < d->via.array.size; i++) {
		s = &d->via.array.ptr[i];
		if (s->type == MSGPACK_OBJECT_STR)
			fprintf(ctx->out, "%.*s\n", (int)s->via.str.size,
			    s->via.str.ptr);
	}
	fprintf(ctx->out, "\n");
}

void
object_print_reclaimed(struct cmd_ctx *ctx, const struct berth_reply *reply)
{
	const msgpack_object *o = berth_map_get(reply->parameters,
	    "space_reclaimed");
	cleanup_free char *space = fmt_human_size(o != NULL &&
	    o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (double)o->via.u64 :
	    0, 4);

	fprintf(ctx->out, "Total reclaimed space: %s\n",
	    space != NULL ? space : "?");
	fflush(ctx->out);
}
