/*
 * The REPL (repl.h): reading lines (libedit on a terminal, plain lines
 * from a script), splitting them into words with libedit's tokenizer,
 * and running each as cli_main runs a command line, in a forked child.
 *
 * A child per command: a command may exit, change signal dispositions
 * or leave the terminal raw, and ctrl-C must end it without ending the
 * REPL.  The REPL ignores SIGINT and SIGQUIT; the child gets the default
 * actions back, so ctrl-C kills a "logs -f" or a "wait", while run -it,
 * exec -it and attach own the terminal as they do outside.  The REPL
 * puts back the terminal state it saved before the child ran.  A script
 * ignores nothing: ctrl-C ends it with its command.
 *
 * The REPL's own connection to the daemon answers completions (commands,
 * flags and subcommands come from the command table; containers, images
 * and the methods "call" takes, from the daemon, live).  Commands open
 * theirs, as they do outside the REPL: a command interrupted in the
 * middle of a reply or a stream would leave a shared connection unusable.
 */
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <histedit.h>

#include "cleanup.h"
#include "cli.h"
#include "idl.h"
#include "repl.h"
#include "session.h"

#define REPL_HISTORY_FILE	".berth_history"
#define REPL_HISTORY_ENV	"BERTH_HISTORY"
#define REPL_HISTORY_SIZE	1000
#define REPL_PROMPT_PATH_MAX	32	/* longer socket paths are shortened */
#define REPL_WORDS_MAX		1024

struct repl {
	struct cmd_ctx		*ctx;
	struct berth_client	*client;	/* for completions, or NULL */
	EditLine		*el;
	History			*hist;
	Tokenizer		*tok;
	char			*history_path;	/* NULL: none kept */
	char			 prompt[128];
	bool			 interrupted;	/* ctrl-C at the prompt */
	bool			 script;
	bool			 keep_going;
	int			 status;	/* of the last command */
	char			**methods;	/* call's completions, cached */
	size_t			 nmethods;
	bool			 methods_loaded;
};

/* A list of strings. */
struct strv {
	char	**v;
	size_t	 n, cap;
};

static void
strv_free(struct strv *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
#define cleanup_strv	__attribute__((cleanup(strv_free)))

/* Add a copy of s[0..len) when it starts with prefix and is not there
 * yet. */
static void
strv_add_len(struct strv *sv, const char *s, size_t len, const char *prefix)
{
	size_t i, plen = strlen(prefix);
	char **v;

	if (len < plen || strncmp(s, prefix, plen) != 0)
		return;
	for (i = 0; i < sv->n; i++)
		if (strlen(sv->v[i]) == len && strncmp(sv->v[i], s, len) == 0)
			return;
	if (sv->n == sv->cap) {
		if ((v = reallocarray(sv->v, sv->cap == 0 ? 16 : sv->cap * 2,
		    sizeof(*v))) == NULL)
			return;
		sv->v = v;
		sv->cap = sv->cap == 0 ? 16 : sv->cap * 2;
	}
	if ((sv->v[sv->n] = strndup(s, len)) != NULL)
		sv->n++;
}

static void
strv_add(struct strv *sv, const char *s, const char *prefix)
{
	strv_add_len(sv, s, strlen(s), prefix);
}

/*
 * The daemon, for completions.
 */

/* One call on the REPL's connection, connecting (again) as needed: a
 * daemon restarted since the last completion is found again. */
static int
repl_call(struct repl *r, const char *method, const msgpack_sbuffer *params,
    struct berth_reply *reply)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		if (r->client == NULL && cli_connect(r->ctx, &r->client,
		    &err) < 0)
			return (-1);
		if (berth_call(r->client, method, params != NULL ?
		    params->data : NULL, params != NULL ? params->size : 0,
		    reply, &err) == 0)
			return (0);
		if (reply->error)
			return (-1);
		berth_close(r->client);
		r->client = NULL;
		berth_error_clear(&err);
	}
	return (-1);
}

/* {key: true} or {key: "value"}. */
static void
pack_one(msgpack_sbuffer *sb, const char *key, const char *value)
{
	msgpack_packer pk;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 1);
	msgpack_pack_str_with_body(&pk, key, strlen(key));
	if (value == NULL)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_str_with_body(&pk, value, strlen(value));
}

static const msgpack_object *
array_of(const msgpack_object *map, const char *key)
{
	const msgpack_object *v = berth_map_get(map, key);

	return (v != NULL && v->type == MSGPACK_OBJECT_ARRAY ? v : NULL);
}

static bool
is_str(const msgpack_object *o)
{
	return (o != NULL && o->type == MSGPACK_OBJECT_STR);
}

/* An ID matches by its first 12 characters, or in full once the prefix
 * is longer (Docker's short IDs). */
static void
add_id(struct strv *sv, const msgpack_object *id, const char *prefix)
{
	const char *s;
	size_t len;

	if (!is_str(id) || *prefix == '\0')
		return;
	s = id->via.str.ptr;
	len = id->via.str.size;
	if (len > 7 && strncmp(s, "sha256:", 7) == 0) {
		s += 7;
		len -= 7;
	}
	strv_add_len(sv, s, strlen(prefix) > 12 || len < 12 ? len : 12,
	    prefix);
}

/* The names (under names_key, a leading '/' dropped, "<none>" left out)
 * and IDs of what a List method returns under list_key. */
static void
complete_listed(struct repl *r, struct strv *sv, const char *method,
    const char *list_key, const char *names_key, const char *prefix)
{
	cleanup_sbuffer msgpack_sbuffer sb;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	const msgpack_object *list, *names, *n;
	uint32_t i, j;
	size_t skip;

	msgpack_sbuffer_init(&sb);
	pack_one(&sb, "all", NULL);
	if (repl_call(r, method, &sb, &reply) < 0 ||
	    (list = array_of(reply.parameters, list_key)) == NULL)
		return;
	for (i = 0; i < list->via.array.size; i++) {
		names = array_of(&list->via.array.ptr[i], names_key);
		for (j = 0; names != NULL && j < names->via.array.size; j++) {
			n = &names->via.array.ptr[j];
			if (!is_str(n) || n->via.str.size == 0 ||
			    strncmp(n->via.str.ptr, "<none>", 6) == 0)
				continue;
			skip = n->via.str.ptr[0] == '/';
			strv_add_len(sv, n->via.str.ptr + skip,
			    n->via.str.size - skip, prefix);
		}
		add_id(sv, berth_map_get(&list->via.array.ptr[i], "id"),
		    prefix);
	}
}

static void
complete_containers(struct repl *r, struct strv *sv, const char *prefix)
{
	complete_listed(r, sv, "io.berth.Container.List", "containers",
	    "names", prefix);
}

static void
complete_images(struct repl *r, struct strv *sv, const char *prefix)
{
	complete_listed(r, sv, "io.berth.Image.List", "images", "repo_tags",
	    prefix);
}

/* Networks (by name and id) or volumes (by name), from a List that
 * takes no "all". */
static void
complete_named(struct repl *r, struct strv *sv, const char *method,
    const char *key, const char *prefix)
{
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	const msgpack_object *list, *n;
	uint32_t i;

	if (repl_call(r, method, NULL, &reply) < 0 ||
	    (list = array_of(reply.parameters, key)) == NULL)
		return;
	for (i = 0; i < list->via.array.size; i++) {
		n = berth_map_get(&list->via.array.ptr[i], "name");
		if (is_str(n) && n->via.str.size > 0)
			strv_add_len(sv, n->via.str.ptr, n->via.str.size,
			    prefix);
		add_id(sv, berth_map_get(&list->via.array.ptr[i], "id"),
		    prefix);
	}
}

/* The methods of one interface, from its description. */
static void
load_interface_methods(struct repl *r, struct strv *all, const char *name,
    size_t len)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	cleanup_sbuffer msgpack_sbuffer sb;
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	cleanup_free char *iface = NULL, *text = NULL;
	const msgpack_object *d;
	struct idl_interface *idl;
	char full[256];
	size_t i;

	if ((iface = strndup(name, len)) == NULL)
		return;
	msgpack_sbuffer_init(&sb);
	pack_one(&sb, "interface", iface);
	if (repl_call(r, "io.berth.Service.GetInterfaceDescription", &sb,
	    &reply) < 0 || !is_str(d = berth_map_get(reply.parameters,
	    "description")) || (text = strndup(d->via.str.ptr,
	    d->via.str.size)) == NULL)
		return;
	if (idl_parse(text, &idl, &err) < 0)
		return;
	for (i = 0; i < idl->nmethods; i++) {
		snprintf(full, sizeof(full), "%s.%s", idl->name,
		    idl->methods[i].name);
		strv_add(all, full, "");
	}
	idl_interface_free(idl);
}

/* Every method the daemon describes: asked once per REPL, the daemon's
 * interfaces do not change while it runs. */
static void
complete_methods(struct repl *r, struct strv *sv, const char *prefix)
{
	cleanup_reply struct berth_reply reply = BERTH_REPLY_INIT;
	struct strv all = { NULL, 0, 0 };
	const msgpack_object *list, *n;
	size_t i;

	if (!r->methods_loaded) {
		if (repl_call(r, "io.berth.Service.GetInfo", NULL, &reply) < 0 ||
		    (list = array_of(reply.parameters, "interfaces")) == NULL)
			return;
		for (i = 0; i < list->via.array.size; i++) {
			n = &list->via.array.ptr[i];
			if (is_str(n))
				load_interface_methods(r, &all, n->via.str.ptr,
				    n->via.str.size);
		}
		r->methods = all.v;
		r->nmethods = all.n;
		r->methods_loaded = true;
	}
	for (i = 0; i < r->nmethods; i++)
		strv_add(sv, r->methods[i], prefix);
}

/*
 * Completion from the command table.
 */

enum complete_kind {
	COMPLETE_NONE,
	COMPLETE_CONTAINERS,
	COMPLETE_IMAGES,
	COMPLETE_OBJECTS,	/* inspect: either */
	COMPLETE_METHODS,
	COMPLETE_NETWORKS,
	COMPLETE_VOLUMES,
};

/* What the positional argument pos of a command is, from the words of
 * its usage ("CONTAINER [CONTAINER...]"): the last word repeats when it
 * ends with "...". */
static enum complete_kind
usage_kind(const char *usage, int pos)
{
	char word[64];
	const char *p = usage, *end;
	size_t len;
	bool repeats = false;
	int i = 0;

	word[0] = '\0';
	while (*p != '\0') {
		while (*p == ' ' || *p == '[' || *p == ']')
			p++;
		if (*p == '\0')
			break;
		/* "SOURCE_IMAGE[:TAG]" is one word, "SOURCE_IMAGE". */
		for (end = p; *end != '\0' && *end != ' '; end++)
			;
		len = (size_t)(end - p);
		if (len >= sizeof(word))
			len = sizeof(word) - 1;
		memcpy(word, p, len);
		word[len] = '\0';
		repeats = strstr(word, "...") != NULL;
		word[strcspn(word, "[]")] = '\0';
		p = end;
		if (i++ == pos)
			break;
		if (*p == '\0' && !repeats)
			return (COMPLETE_NONE);
	}
	if (i <= pos && !repeats)
		return (COMPLETE_NONE);
	if (strncmp(word, "CONTAINER", 9) == 0)
		return (COMPLETE_CONTAINERS);
	if (strncmp(word, "NAME|ID", 7) == 0)
		return (COMPLETE_OBJECTS);
	if (strstr(word, "IMAGE") != NULL)
		return (COMPLETE_IMAGES);
	if (strcmp(word, "METHOD") == 0)
		return (COMPLETE_METHODS);
	if (strcmp(word, "NETWORK") == 0)
		return (COMPLETE_NETWORKS);
	if (strcmp(word, "VOLUME") == 0)
		return (COMPLETE_VOLUMES);
	return (COMPLETE_NONE);
}

static const struct args_flag *
flag_by_letter(const struct args_flag *flags, char c)
{
	for (; flags->name != NULL; flags++)
		if (flags->letter == c)
			return (flags);
	return (NULL);
}

/* Whether word is a flag whose value is the next word. */
static bool
flag_wants_value(const struct args_flag *flags, const char *word)
{
	const struct args_flag *f;
	const char *p;

	if (strncmp(word, "--", 2) == 0) {
		if (strchr(word, '=') != NULL)
			return (false);
		for (f = flags; f->name != NULL; f++)
			if (strcmp(f->name, word + 2) == 0)
				return (f->arg != NULL);
		return (false);
	}
	for (p = word + 1; *p != '\0'; p++)
		if ((f = flag_by_letter(flags, *p)) != NULL && f->arg != NULL)
			return (p[1] == '\0');
	return (false);
}

static void
complete_commands(struct strv *sv, const char *prefix)
{
	const struct cmd_entry *const *e;

	for (e = cmd_table; *e != NULL; e++)
		strv_add(sv, (*e)->name, prefix);
	strv_add(sv, "exit", prefix);
}

static void
complete_subs(struct strv *sv, const struct cmd_entry *group,
    const char *prefix)
{
	const struct cmd_entry *const *e;
	const char *sp;

	if (group == NULL || group->subs == NULL)
		return;
	for (e = group->subs; *e != NULL; e++) {
		sp = strrchr((*e)->name, ' ');
		strv_add(sv, sp != NULL ? sp + 1 : (*e)->name, prefix);
	}
}

/* The candidates for the word being typed, prefix, after words[0..n). */
static void
complete_words(struct repl *r, struct strv *sv, const char **words, int n,
    const char *prefix)
{
	const struct cmd_entry *entry, *sub;
	struct cmd_entry buf;
	bool flags_done = false;
	int i, pos = 0, first = 1;

	if (n == 0) {
		complete_commands(sv, prefix);
		return;
	}
	if ((entry = cmd_resolve(cmd_find(words[0]), &buf)) == NULL)
		return;
	if (entry->subs != NULL) {
		if (n == 1) {
			complete_subs(sv, entry, prefix);
			return;
		}
		if ((sub = cmd_find_sub(entry, words[1])) == NULL)
			return;
		entry = cmd_resolve(sub, &buf);
		first = 2;
	}
	for (i = first; i < n; i++) {
		if (!flags_done && strcmp(words[i], "--") == 0)
			flags_done = true;
		else if (!flags_done && words[i][0] == '-' &&
		    words[i][1] != '\0') {
			if (flag_wants_value(entry->flags, words[i]) &&
			    ++i == n)
				return;	/* the flag's value: nothing known */
		} else {
			pos++;
			if (entry->stop_at_positional)
				flags_done = true;
		}
	}
	if (!flags_done && prefix[0] == '-') {
		const struct args_flag *f;
		char flag[64];

		for (f = entry->flags; f->name != NULL; f++) {
			snprintf(flag, sizeof(flag), "--%s", f->name);
			strv_add(sv, flag, prefix);
		}
		strv_add(sv, "--help", prefix);
		return;
	}
	if (strcmp(entry->name, "help") == 0) {
		if (pos == 0)
			complete_commands(sv, prefix);
		else if (pos == 1)
			complete_subs(sv, cmd_find(words[n - 1]), prefix);
		return;
	}
	switch (usage_kind(entry->usage, pos)) {
	case COMPLETE_CONTAINERS:
		complete_containers(r, sv, prefix);
		break;
	case COMPLETE_IMAGES:
		complete_images(r, sv, prefix);
		break;
	case COMPLETE_OBJECTS:
		complete_containers(r, sv, prefix);
		complete_images(r, sv, prefix);
		break;
	case COMPLETE_METHODS:
		complete_methods(r, sv, prefix);
		break;
	case COMPLETE_NETWORKS:
		complete_named(r, sv, "io.berth.Network.List", "networks",
		    prefix);
		break;
	case COMPLETE_VOLUMES:
		complete_named(r, sv, "io.berth.Volume.List", "volumes",
		    prefix);
		break;
	case COMPLETE_NONE:
		break;
	}
}

static int
strp_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Several candidates: shown in columns under the line. */
static void
complete_list(struct repl *r, struct strv *sv)
{
	unsigned rows = 24, cols = 80;
	size_t i, width = 0, per;
	int fd = fileno(r->ctx->out);
	FILE *f = r->ctx->out;

	(void)session_term_size(fd, &rows, &cols);
	qsort(sv->v, sv->n, sizeof(*sv->v), strp_cmp);
	for (i = 0; i < sv->n; i++)
		if (strlen(sv->v[i]) > width)
			width = strlen(sv->v[i]);
	width += 2;
	per = cols / width > 0 ? cols / width : 1;
	fputc('\n', f);
	for (i = 0; i < sv->n; i++)
		fprintf(f, "%-*s%s", (int)width, sv->v[i],
		    (i + 1) % per == 0 || i + 1 == sv->n ? "\n" : "");
	fflush(f);
}

/* TAB: the word under the cursor completed, as far as it is common to
 * every candidate; the candidates listed when that adds nothing. */
static unsigned char
repl_complete(EditLine *el, int ch)
{
	cleanup_strv struct strv sv = { NULL, 0, 0 };
	struct repl *r;
	const LineInfo *li;
	LineInfo upto;
	const char **argv, *prefix = "";
	char add[PATH_MAX];
	size_t plen, common, i;
	int argc, cc, co, n;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &r);
	li = el_line(el);
	upto = *li;
	upto.lastchar = li->cursor;
	tok_reset(r->tok);
	if (tok_line(r->tok, &upto, &argc, &argv, &cc, &co) != 0)
		return (CC_ERROR);
	n = argc;
	if (li->cursor > li->buffer && li->cursor[-1] != ' ' &&
	    li->cursor[-1] != '\t' && argc > 0)
		prefix = argv[--n];
	complete_words(r, &sv, argv, n, prefix);
	if (sv.n == 0)
		return (CC_ERROR);
	plen = strlen(prefix);
	common = strlen(sv.v[0]);
	for (i = 1; i < sv.n; i++)
		while (common > plen && strncmp(sv.v[0], sv.v[i], common) != 0)
			common--;
	if (common > plen || sv.n == 1) {
		snprintf(add, sizeof(add), "%.*s%s", (int)(common - plen),
		    sv.v[0] + plen, sv.n == 1 ? " " : "");
		if (el_insertstr(el, add) < 0)
			return (CC_ERROR);
		return (CC_REFRESH);
	}
	complete_list(r, &sv);
	return (CC_REDISPLAY);
}

/* ctrl-C at the prompt: the line is dropped, a new prompt shown. */
static unsigned char
repl_interrupt(EditLine *el, int ch)
{
	struct repl *r;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &r);
	r->interrupted = true;
	return (CC_NEWLINE);
}

static char *
repl_prompt(EditLine *el)
{
	struct repl *r;

	el_get(el, EL_CLIENTDATA, &r);
	return (r->prompt);
}

/* "berth (/run/berth/berth.sock)> ", a long path shortened to its last
 * two parts. */
static void
repl_set_prompt(struct repl *r)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	char path[PATH_MAX];
	const char *home = getenv("HOME"), *p;
	size_t hlen;
	int slashes = 0;

	if (berth_address_resolve(r->ctx->host, path, sizeof(path), &err) < 0) {
		snprintf(r->prompt, sizeof(r->prompt), "%s> ", CLI_NAME);
		return;
	}
	if (home != NULL && (hlen = strlen(home)) > 1 &&
	    strncmp(path, home, hlen) == 0 && path[hlen] == '/') {
		snprintf(r->prompt, sizeof(r->prompt), "%s (~%.80s)> ", CLI_NAME,
		    path + hlen);
		if (strlen(path + hlen) + 1 <= REPL_PROMPT_PATH_MAX)
			return;
	}
	if (strlen(path) > REPL_PROMPT_PATH_MAX) {
		for (p = path + strlen(path); p > path; p--)
			if (*p == '/' && ++slashes == 2)
				break;
		snprintf(r->prompt, sizeof(r->prompt), "%s (...%.80s)> ",
		    CLI_NAME, p);
		return;
	}
	snprintf(r->prompt, sizeof(r->prompt), "%s (%.80s)> ", CLI_NAME, path);
}

/* $BERTH_HISTORY (empty: no history kept), else ~/.berth_history. */
static char *
history_path(void)
{
	const char *env = getenv(REPL_HISTORY_ENV), *home;
	struct passwd *pw;
	char *path;

	if (env != NULL)
		return (*env != '\0' ? strdup(env) : NULL);
	if ((home = getenv("HOME")) == NULL || *home == '\0') {
		if ((pw = getpwuid(getuid())) == NULL)
			return (NULL);
		home = pw->pw_dir;
	}
	if (asprintf(&path, "%s/%s", home, REPL_HISTORY_FILE) < 0)
		return (NULL);
	return (path);
}

static int
repl_editor_init(struct repl *r)
{
	HistEvent ev;

	if ((r->hist = history_init()) == NULL)
		return (-1);
	history(r->hist, &ev, H_SETSIZE, REPL_HISTORY_SIZE);
	history(r->hist, &ev, H_SETUNIQUE, 1);
	r->history_path = history_path();
	if (r->history_path != NULL)
		history(r->hist, &ev, H_LOAD, r->history_path);
	if ((r->el = el_init(CLI_NAME, r->ctx->in, r->ctx->out,
	    r->ctx->err)) == NULL)
		return (-1);
	el_set(r->el, EL_CLIENTDATA, r);
	el_set(r->el, EL_EDITOR, "emacs");
	el_set(r->el, EL_SIGNAL, 1);
	el_set(r->el, EL_PROMPT, repl_prompt);
	el_set(r->el, EL_HIST, history, r->hist);
	/* ctrl-C is a key while editing, not a signal. */
	el_set(r->el, EL_SETTY, "-d", "-isig", NULL);
	el_set(r->el, EL_ADDFN, "berth-complete", "Complete a berth word",
	    repl_complete);
	el_set(r->el, EL_ADDFN, "berth-interrupt", "Drop the line",
	    repl_interrupt);
	el_set(r->el, EL_BIND, "^I", "berth-complete", NULL);
	el_set(r->el, EL_BIND, "^C", "berth-interrupt", NULL);
	el_set(r->el, EL_BIND, "^R", "em-inc-search-prev", NULL);
	/* The user's ~/.editrc has the last word. */
	el_source(r->el, NULL);
	return (0);
}

static void
repl_free(struct repl *r)
{
	size_t i;

	if (r->el != NULL)
		el_end(r->el);
	if (r->hist != NULL)
		history_end(r->hist);
	if (r->tok != NULL)
		tok_end(r->tok);
	berth_close(r->client);
	for (i = 0; i < r->nmethods; i++)
		free(r->methods[i]);
	free(r->methods);
	free(r->history_path);
}

/*
 * Running a command.
 */

/* The child's side: "berth [-H HOST] WORDS..." through cli_main. */
static void __attribute__((noreturn))
repl_child(struct repl *r, int argc, const char **argv)
{
	char *args[REPL_WORDS_MAX + 4];
	int n = 0, i, null, rc;

	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	if (r->script && (null = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0) {
		dup2(null, fileno(r->ctx->in));
		close(null);
	}
	args[n++] = (char *)CLI_NAME;
	if (r->ctx->host != NULL) {
		args[n++] = (char *)"-H";
		args[n++] = (char *)r->ctx->host;
	}
	for (i = 0; i < argc && i < REPL_WORDS_MAX; i++)
		args[n++] = (char *)argv[i];
	args[n] = NULL;
	rc = cli_main(n, args, r->ctx);
	fflush(NULL);
	_exit(rc);
}

/* Run one command line in a child; its exit status (128 + the signal
 * that ended it, as a shell says). */
static int
repl_exec(struct repl *r, int argc, const char **argv)
{
	struct termios saved;
	bool term;
	pid_t pid;
	int status, fd = fileno(r->ctx->in);

	term = !r->script && tcgetattr(fd, &saved) == 0;
	fflush(NULL);
	if ((pid = fork()) < 0) {
		fprintf(r->ctx->err, "Error: fork: %s\n", strerror(errno));
		return (CLI_EXIT_ENGINE);
	}
	if (pid == 0)
		repl_child(r, argc, argv);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return (CLI_EXIT_ENGINE);
	if (term)
		(void)tcsetattr(fd, TCSADRAIN, &saved);
	if (WIFSIGNALED(status)) {
		if (!r->script && WTERMSIG(status) == SIGINT)
			fputc('\n', r->ctx->out);
		return (128 + WTERMSIG(status));
	}
	return (WEXITSTATUS(status));
}

/* One line: split into words and run.  1 when the REPL should end. */
static int
repl_line(struct repl *r, const char *line, int lineno)
{
	const char **argv;
	const char *p;
	int argc;

	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\0' || *p == '\n' || *p == '#')
		return (0);
	tok_reset(r->tok);
	if (tok_str(r->tok, line, &argc, &argv) != 0) {
		if (r->script)
			fprintf(r->ctx->err, "Error: line %d: unmatched quote "
			    "or backslash\n", lineno);
		else
			fprintf(r->ctx->err, "Error: unmatched quote or "
			    "backslash\n");
		r->status = CLI_EXIT_ENGINE;
		return (0);
	}
	if (argc == 0)
		return (0);
	if (strcmp(argv[0], "exit") == 0 || strcmp(argv[0], "quit") == 0) {
		if (argc > 1)
			r->status = atoi(argv[1]);
		return (1);
	}
	if (argc > REPL_WORDS_MAX) {
		fprintf(r->ctx->err, "Error: more than %d words\n",
		    REPL_WORDS_MAX);
		r->status = CLI_EXIT_ENGINE;
		return (0);
	}
	r->status = repl_exec(r, argc, argv);
	return (0);
}

static int
repl_interactive(struct repl *r)
{
	cleanup_error struct berth_error err = BERTH_ERROR_INIT;
	HistEvent ev;
	const char *line;
	int count;

	if (repl_editor_init(r) < 0) {
		fprintf(r->ctx->err, "Error: cannot start the line editor\n");
		return (CLI_EXIT_ENGINE);
	}
	repl_set_prompt(r);
	/* The connection completions use; a daemon not there yet is
	 * said once, and tried again as needed. */
	if (cli_connect(r->ctx, &r->client, &err) < 0)
		cli_fail(r->ctx, &err);
	for (;;) {
		r->interrupted = false;
		if ((line = el_gets(r->el, &count)) == NULL || count <= 0) {
			fputc('\n', r->ctx->out);
			break;
		}
		if (r->interrupted) {
			fputs("^C\n", r->ctx->out);
			continue;
		}
		if (strspn(line, " \t\n") != strlen(line)) {
			history(r->hist, &ev, H_ENTER, line);
			if (r->history_path != NULL)
				history(r->hist, &ev, H_SAVE, r->history_path);
		}
		if (repl_line(r, line, 0) == 1)
			break;
	}
	return (r->status);
}

static int
repl_script(struct repl *r)
{
	cleanup_free char *line = NULL;
	size_t size = 0;
	int lineno = 0, failed = 0;

	while (getline(&line, &size, r->ctx->in) >= 0) {
		lineno++;
		r->status = 0;
		if (repl_line(r, line, lineno) == 1)
			return (r->status);
		if (r->status != 0) {
			failed = r->status;
			if (!r->keep_going)
				return (failed);
		}
	}
	return (failed);
}

int
repl_complete_words(struct cmd_ctx *ctx, int argc, const char **argv)
{
	cleanup_strv struct strv sv = { NULL, 0, 0 };
	struct repl r;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	complete_words(&r, &sv, argv, argc > 0 ? argc - 1 : 0, argc > 0 ?
	    argv[argc - 1] : "");
	qsort(sv.v, sv.n, sizeof(*sv.v), strp_cmp);
	for (i = 0; i < sv.n; i++)
		fprintf(ctx->out, "%s\n", sv.v[i]);
	repl_free(&r);
	return (CLI_EXIT_OK);
}

int
repl_run(struct cmd_ctx *ctx, bool keep_going)
{
	struct repl r;
	struct sigaction ign, oint, oquit;
	int rc;

	memset(&r, 0, sizeof(r));
	r.ctx = ctx;
	r.keep_going = keep_going;
	r.script = !isatty(fileno(ctx->in));
	if ((r.tok = tok_init(NULL)) == NULL) {
		fprintf(ctx->err, "Error: out of memory\n");
		return (CLI_EXIT_ENGINE);
	}
	if (r.script) {
		/* ctrl-C ends a script and its command alike. */
		rc = repl_script(&r);
		repl_free(&r);
		return (rc);
	}
	/* The commands' children get ctrl-C; the REPL stays. */
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	rc = repl_interactive(&r);
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	repl_free(&r);
	return (rc);
}
