/*
 * Moving archives: berth load and import stream a file to the daemon
 * over an upgraded call; berth save writes the chunks of a "more" call's
 * replies to a file (atomically, through a temporary file) or stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "image.h"
#include "outfile.h"

#define UPLOAD_CHUNK	(256u << 10)

/* The parameters of Load and Import. */
struct upload_params {
	int64_t			 size;		/* -1: unknown */
	bool			 quiet;
	bool			 import;
	const char		*reference;
	const char *const	*changes;
	int			 nchanges;
	const char		*message;
	const char		*platform;
};

static void
pack_str(msgpack_packer *pk, const char *key, const char *value)
{
	msgpack_pack_str_with_body(pk, key, strlen(key));
	msgpack_pack_str_with_body(pk, value, strlen(value));
}

static int
pack_upload(msgpack_packer *pk, void *arg, struct berth_error *err)
{
	const struct upload_params *p = arg;
	size_t n = 0;
	int i;

	(void)err;
	if (!p->import) {
		n = 1 + (p->size >= 0);
		msgpack_pack_map(pk, n);
		msgpack_pack_str_with_body(pk, "quiet", 5);
		if (p->quiet)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		if (p->size >= 0) {
			msgpack_pack_str_with_body(pk, "size", 4);
			msgpack_pack_int64(pk, p->size);
		}
		return (0);
	}
	n = (p->size >= 0) + (p->reference != NULL) + (p->nchanges > 0) +
	    (p->message != NULL) + (p->platform != NULL);
	msgpack_pack_map(pk, n);
	if (p->size >= 0) {
		msgpack_pack_str_with_body(pk, "size", 4);
		msgpack_pack_int64(pk, p->size);
	}
	if (p->reference != NULL)
		pack_str(pk, "reference", p->reference);
	if (p->message != NULL)
		pack_str(pk, "message", p->message);
	if (p->platform != NULL)
		pack_str(pk, "platform", p->platform);
	if (p->nchanges > 0) {
		msgpack_pack_str_with_body(pk, "changes", 7);
		msgpack_pack_array(pk, (size_t)p->nchanges);
		for (i = 0; i < p->nchanges; i++)
			msgpack_pack_str_with_body(pk, p->changes[i],
			    strlen(p->changes[i]));
	}
	return (0);
}

static int
on_progress(const struct berth_reply *reply, void *arg,
    struct berth_error *err)
{
	(void)err;
	progress_update(arg, berth_map_get(reply->parameters, "progress"));
	return (0);
}

/*
 * Open the input (path, or ctx->in for NULL or "-"), call method with
 * the upgrade and stream the input; the final reply is left in reply.
 */
static int
upload(struct cmd_ctx *ctx, const char *method, const char *path,
    struct upload_params *p, struct berth_reply *reply)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_client struct berth_client *c = NULL;
	cleanup_close int owned = -1;
	struct progress prog;
	struct stat st;
	int fd, rc;

	if (path != NULL && strcmp(path, "-") != 0) {
		if ((owned = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			fprintf(ctx->err, "open %s: %s\n", path,
			    strerror(errno));
			return (CLI_EXIT_FAILURE);
		}
		fd = owned;
	} else if ((fd = fileno(ctx->in)) < 0) {
		fprintf(ctx->err, "Error: standard input is not a file\n");
		return (CLI_EXIT_FAILURE);
	}
	p->size = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ?
	    st.st_size - lseek(fd, 0, SEEK_CUR) : -1;
	if (p->size < -1)
		p->size = -1;
	if (cli_connect(ctx, &c, &err) < 0 ||
	    berth_send_packed(c, method, BERTH_CALL_UPGRADE, pack_upload, p,
	    &err) < 0)
		return (cli_fail(ctx, &err));
	progress_init(&prog, ctx->err, p->quiet);
	rc = berth_stream_upload(c, fd, UPLOAD_CHUNK, on_progress, &prog,
	    reply, &err);
	progress_done(&prog);
	if (rc < 0)
		return (reply->error ? cli_fail_daemon(ctx, &err) :
		    cli_fail(ctx, &err));
	return (CLI_EXIT_OK);
}

/* load */

static int cmd_load_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_load_flags[] = {
	{ "input", 'i', "FILE", "Read from tar archive file, instead of "
	    "STDIN" },
	{ "quiet", 'q', NULL, "Suppress the load output" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_load_entry = {
	.name = "load",
	.usage = "",
	.summary = "Load an image from a tar archive or STDIN",
	.help = "The archive is a docker-archive (\"docker save\") or an OCI "
	    "layout,\nplain or compressed with gzip or zstd.\n",
	.flags = cmd_load_flags,
	.args_min = 0,
	.args_max = 0,
	.exec = cmd_load_exec,
};

const struct cmd_entry cmd_image_load_entry =
    CMD_SAME_AS("image load", cmd_load_entry, NULL);

static int
cmd_load_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	struct upload_params p = { .quiet = args_has(args, "quiet") };
	const char *input = args_get(args, "input");
	const msgpack_object *images, *img, *refs;
	uint32_t i, j;
	int rc;

	if ((input == NULL || strcmp(input, "-") == 0) &&
	    fileno(ctx->in) >= 0 && isatty(fileno(ctx->in))) {
		fprintf(ctx->err, "requested load from stdin, but stdin is "
		    "empty\n");
		return (CLI_EXIT_FAILURE);
	}
	if ((rc = upload(ctx, "io.berth.Image.Load", input, &p, &reply)) !=
	    CLI_EXIT_OK)
		return (rc);
	images = berth_map_get(reply.parameters, "images");
	if (images == NULL || images->type != MSGPACK_OBJECT_ARRAY)
		return (CLI_EXIT_OK);
	for (i = 0; i < images->via.array.size; i++) {
		cleanup_free char *id = NULL;

		img = &images->via.array.ptr[i];
		refs = berth_map_get(img, "references");
		id = image_str(img, "id");
		if (refs == NULL || refs->type != MSGPACK_OBJECT_ARRAY ||
		    refs->via.array.size == 0) {
			fprintf(ctx->out, "Loaded image ID: %s\n",
			    id != NULL ? id : "");
			continue;
		}
		for (j = 0; j < refs->via.array.size; j++)
			if (refs->via.array.ptr[j].type == MSGPACK_OBJECT_STR)
				fprintf(ctx->out, "Loaded image: %.*s\n",
				    (int)refs->via.array.ptr[j].via.str.size,
				    refs->via.array.ptr[j].via.str.ptr);
	}
	fflush(ctx->out);
	return (CLI_EXIT_OK);
}

/* import */

static int cmd_import_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_import_flags[] = {
	{ "change", 'c', "LINE", "Apply Dockerfile instruction to the "
	    "created image" },
	{ "message", 'm', "MESSAGE", "Set commit message for imported image" },
	{ "platform", 0, "PLATFORM", "Set platform if server is "
	    "multi-platform capable" },
	{ "quiet", 'q', NULL, "Show no progress" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_import_entry = {
	.name = "import",
	.usage = "file|- [REPOSITORY[:TAG]]",
	.summary = "Import the contents from a tarball to create a filesystem "
	    "image",
	.flags = cmd_import_flags,
	.args_min = 1,
	.args_max = 2,
	.exec = cmd_import_exec,
};

const struct cmd_entry cmd_image_import_entry =
    CMD_SAME_AS("image import", cmd_import_entry, NULL);

static int
cmd_import_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_free char *id = NULL;
	struct upload_params p = {
		.import = true,
		.quiet = args_has(args, "quiet"),
		.reference = args->argc > 1 ? args->argv[1] : NULL,
		.message = args_get(args, "message"),
		.platform = args_get(args, "platform"),
	};
	int rc;

	p.changes = args_all(args, "change", &p.nchanges);
	if ((rc = upload(ctx, "io.berth.Image.Import", args->argv[0], &p,
	    &reply)) != CLI_EXIT_OK)
		return (rc);
	if ((id = image_str(reply.parameters, "id")) != NULL)
		fprintf(ctx->out, "%s\n", id);
	fflush(ctx->out);
	return (CLI_EXIT_OK);
}

/* save */

static int cmd_save_exec(struct cmd_ctx *, const struct args *);

static const struct args_flag cmd_save_flags[] = {
	{ "compression", 0, "none|gzip|zstd", "Compress the layers (default "
	    "as stored)" },
	{ "format", 0, "docker|oci", "Archive format (default docker)" },
	{ "output", 'o', "FILE", "Write to a file, instead of STDOUT" },
	{ "quiet", 'q', NULL, "Show no progress" },
	{ NULL, 0, NULL, NULL }
};

const struct cmd_entry cmd_save_entry = {
	.name = "save",
	.usage = "IMAGE [IMAGE...]",
	.summary = "Save one or more images to a tar archive (streamed to "
	    "STDOUT by default)",
	.flags = cmd_save_flags,
	.args_min = 1,
	.args_max = -1,
	.exec = cmd_save_exec,
};

const struct cmd_entry cmd_image_save_entry =
    CMD_SAME_AS("image save", cmd_save_entry, NULL);

static int
pack_save(msgpack_packer *pk, void *arg, struct berth_error *err)
{
	const struct args *args = arg;
	const char *format = args_get(args, "format");
	const char *compression = args_get(args, "compression");
	int i;

	(void)err;
	msgpack_pack_map(pk, 1 + (format != NULL) + (compression != NULL));
	msgpack_pack_str_with_body(pk, "images", 6);
	msgpack_pack_array(pk, (size_t)args->argc);
	for (i = 0; i < args->argc; i++)
		msgpack_pack_str_with_body(pk, args->argv[i],
		    strlen(args->argv[i]));
	if (format != NULL)
		pack_str(pk, "format", format);
	if (compression != NULL)
		pack_str(pk, "compression", compression);
	return (0);
}

static int
write_fd(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return (-1);
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

static int
cmd_save_exec(struct cmd_ctx *ctx, const struct args *args)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_client struct berth_client *c = NULL;
	struct outfile of;
	const char *output = args_get(args, "output");
	const char *format = args_get(args, "format");
	const char *compression = args_get(args, "compression");
	const msgpack_object *data;
	struct progress prog;
	int fd = -1, rc = CLI_EXIT_OK;

	if (format != NULL && strcmp(format, "docker") != 0 &&
	    strcmp(format, "oci") != 0)
		return (cli_usage_error(ctx, ctx->entry, "invalid format "
		    "'%s': expected docker or oci", format));
	if (compression != NULL && strcmp(compression, "none") != 0 &&
	    strcmp(compression, "gzip") != 0 && strcmp(compression, "zstd") != 0)
		return (cli_usage_error(ctx, ctx->entry, "invalid compression "
		    "'%s': expected none, gzip or zstd", compression));
	if (output != NULL && strcmp(output, "-") == 0)
		output = NULL;
	if (output == NULL && fileno(ctx->out) >= 0 &&
	    isatty(fileno(ctx->out))) {
		fprintf(ctx->err, "cowardly refusing to save to a terminal. "
		    "Use the -o flag or redirect\n");
		return (CLI_EXIT_FAILURE);
	}
	if (cli_connect(ctx, &c, &err) < 0 ||
	    berth_send_packed(c, "io.berth.Image.Save", BERTH_CALL_MORE,
	    pack_save, (void *)args, &err) < 0)
		return (cli_fail(ctx, &err));
	outfile_init(&of, output);
	/* The file is made only once the daemon answers. */
	progress_init(&prog, ctx->err, args_has(args, "quiet"));
	do {
		if (berth_recv(c, &reply, &err) < 0) {
			progress_done(&prog);
			rc = reply.error ? cli_fail_daemon(ctx, &err) :
			    cli_fail(ctx, &err);
			break;
		}
		if (output != NULL && fd < 0 && outfile_open(&of) == 0)
			fd = of.fd;
		if (output != NULL && fd < 0) {
			progress_done(&prog);
			fprintf(ctx->err, "Error: failed to save image: "
			    "open %s: %s\n", output, strerror(errno));
			rc = CLI_EXIT_FAILURE;
			break;
		}
		data = berth_map_get(reply.parameters, "data");
		if (data != NULL && (data->type == MSGPACK_OBJECT_BIN ||
		    data->type == MSGPACK_OBJECT_STR) &&
		    data->via.bin.size > 0) {
			if (fd >= 0 ? write_fd(fd, data->via.bin.ptr,
			    data->via.bin.size) < 0 :
			    fwrite(data->via.bin.ptr, 1, data->via.bin.size,
			    ctx->out) != data->via.bin.size) {
				progress_done(&prog);
				fprintf(ctx->err, "Error: failed to save "
				    "image: write %s: %s\n", output != NULL ?
				    output : "standard output",
				    strerror(errno));
				rc = CLI_EXIT_FAILURE;
				break;
			}
		}
		progress_update(&prog, berth_map_get(reply.parameters,
		    "progress"));
	} while (reply.continues);
	progress_done(&prog);
	if (rc == CLI_EXIT_OK && fd < 0 && fflush(ctx->out) != 0) {
		fprintf(ctx->err, "Error: failed to save image: write standard "
		    "output: %s\n", strerror(errno));
		rc = CLI_EXIT_FAILURE;
	}
	if (rc == CLI_EXIT_OK && fd >= 0 && outfile_commit(&of) < 0) {
		fprintf(ctx->err, "Error: failed to save image: %s: %s\n",
		    output, strerror(errno));
		rc = CLI_EXIT_FAILURE;
	}
	if (output != NULL)
		outfile_abort(&of);	/* nothing left after a commit */
	return (rc);
}
