/*
 * Docker's ways of showing sizes, times and ids, a small Go template
 * engine for --format, and a tab writer.  See format.h.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "format.h"

char *
fmt_human_size(double size, int precision)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB",
	    "PB", "EB", "ZB", "YB" };
	char *out;
	int i = 0;

	while (size >= 1000.0 && i < 8) {
		size /= 1000.0;
		i++;
	}
	if (asprintf(&out, "%.*g%s", precision, size, units[i]) < 0)
		return (NULL);
	return (out);
}

char *
fmt_human_duration(int64_t s)
{
	int64_t minutes = s / 60, hours = (s + 1800) / 3600;
	char *out;
	int rc;

	if (s < 1)
		return (strdup("Less than a second"));
	if (s == 1)
		return (strdup("1 second"));
	if (s < 60)
		rc = asprintf(&out, "%" PRId64 " seconds", s);
	else if (minutes == 1)
		return (strdup("About a minute"));
	else if (minutes < 60)
		rc = asprintf(&out, "%" PRId64 " minutes", minutes);
	else if (hours == 1)
		return (strdup("About an hour"));
	else if (hours < 48)
		rc = asprintf(&out, "%" PRId64 " hours", hours);
	else if (hours < 24 * 7 * 2)
		rc = asprintf(&out, "%" PRId64 " days", hours / 24);
	else if (hours < 24 * 30 * 2)
		rc = asprintf(&out, "%" PRId64 " weeks", hours / 24 / 7);
	else if (hours < 24 * 365 * 2)
		rc = asprintf(&out, "%" PRId64 " months", hours / 24 / 30);
	else
		rc = asprintf(&out, "%" PRId64 " years", s / 3600 / 24 / 365);
	return (rc < 0 ? NULL : out);
}

char *
fmt_created_since(int64_t created, int64_t now)
{
	cleanup_free char *d = NULL;
	char *out;

	/* Docker shows the epoch as it is: "56 years ago". */
	if (created < 0)
		return (strdup("N/A"));
	if ((d = fmt_human_duration(now - created)) == NULL ||
	    asprintf(&out, "%s ago", d) < 0)
		return (NULL);
	return (out);
}

char *
fmt_created_at(int64_t created)
{
	time_t t = (time_t)created;
	char buf[128];
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %z %Z", &tm) == 0)
		return (strdup(""));
	return (strdup(buf));
}

char *
fmt_short_id(const char *id)
{
	const char *colon = strchr(id, ':');

	if (colon != NULL)
		id = colon + 1;
	return (strndup(id, 12));
}

/* Templates. */

enum fmt_func { F_NONE, F_JSON, F_JOIN, F_INDEX, F_UPPER, F_LOWER, F_LEN };

static const struct {
	const char	*name;
	enum fmt_func	 func;
	int		 nargs;
} fmt_funcs[] = {
	{ "json", F_JSON, 1 },
	{ "join", F_JOIN, 2 },
	{ "index", F_INDEX, 2 },
	{ "upper", F_UPPER, 1 },
	{ "lower", F_LOWER, 1 },
	{ "len", F_LEN, 1 },
};

#define FMT_ARGS_MAX	3

struct fmt_arg {
	char	*literal;	/* a quoted string or a number, or NULL */
	bool	 number;	/* literal is a non-negative integer */
	char	*path;		/* ".A.B", "." */
};

struct fmt_node {
	char		*text;		/* literal text, or NULL for an action */
	enum fmt_func	 func;
	struct fmt_arg	 args[FMT_ARGS_MAX];
	int		 nargs;
};

struct fmt_template {
	struct fmt_node	*nodes;
	size_t		 n;
	bool		 table;
};

void
fmt_free(struct fmt_template *t)
{
	size_t i;
	int a;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->nodes[i].text);
		for (a = 0; a < t->nodes[i].nargs; a++) {
			free(t->nodes[i].args[a].literal);
			free(t->nodes[i].args[a].path);
		}
	}
	free(t->nodes);
	free(t);
}

bool
fmt_is_table(const struct fmt_template *t)
{
	return (t->table);
}

static struct fmt_node *
fmt_add(struct fmt_template *t)
{
	struct fmt_node *n;

	if ((n = realloc(t->nodes, (t->n + 1) * sizeof(*n))) == NULL)
		return (NULL);
	t->nodes = n;
	memset(&n[t->n], 0, sizeof(*n));
	return (&n[t->n++]);
}

/* Literal text with \t and \n turned into tabs and newlines. */
static char *
unescape(const char *p, size_t len)
{
	char *out = malloc(len + 1), *o = out;
	size_t i;

	if (out == NULL)
		return (NULL);
	for (i = 0; i < len; i++) {
		if (p[i] == '\\' && i + 1 < len && (p[i + 1] == 't' ||
		    p[i + 1] == 'n')) {
			*o++ = p[i + 1] == 't' ? '\t' : '\n';
			i++;
		} else
			*o++ = p[i];
	}
	*o = '\0';
	return (out);
}

static int
fmt_text(struct fmt_template *t, const char *p, size_t len,
    struct berth_error *err)
{
	struct fmt_node *n;

	if (len == 0)
		return (0);
	if ((n = fmt_add(t)) == NULL || (n->text = unescape(p, len)) == NULL)
		return (berth_error_sys(err, "parse the format"));
	return (0);
}

/* Split an action's words: paths, quoted strings, function names. */
static int
fmt_action(struct fmt_template *t, const char *p, size_t len,
    struct berth_error *err)
{
	struct fmt_node *n;
	char *words[FMT_ARGS_MAX + 1];
	bool quoted[FMT_ARGS_MAX + 1];
	size_t i = 0, start;
	int nw = 0, w, k, rc = -1;
	size_t f;

	while (i < len) {
		while (i < len && isspace((unsigned char)p[i]))
			i++;
		if (i == len)
			break;
		if (nw == FMT_ARGS_MAX + 1) {
			berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "template: too many words in {{%.*s}}", (int)len,
			    p);
			goto out;
		}
		if (p[i] == '"' || p[i] == '`') {
			char q = p[i];

			start = ++i;
			while (i < len && p[i] != q)
				i++;
			if (i == len) {
				berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
				    "template: unterminated quoted string");
				goto out;
			}
			quoted[nw] = true;
			words[nw++] = strndup(p + start, i - start);
			i++;
		} else {
			start = i;
			while (i < len && !isspace((unsigned char)p[i]))
				i++;
			quoted[nw] = false;
			words[nw++] = strndup(p + start, i - start);
		}
		if (words[nw - 1] == NULL) {
			berth_error_sys(err, "parse the format");
			goto out;
		}
	}
	if (nw == 0) {
		berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "template: missing value for command");
		goto out;
	}
	if ((n = fmt_add(t)) == NULL) {
		berth_error_sys(err, "parse the format");
		goto out;
	}
	w = 0;
	n->func = F_NONE;
	if (!quoted[0] && words[0][0] != '.') {
		for (f = 0; f < sizeof(fmt_funcs) / sizeof(fmt_funcs[0]); f++)
			if (strcmp(words[0], fmt_funcs[f].name) == 0)
				break;
		if (f == sizeof(fmt_funcs) / sizeof(fmt_funcs[0])) {
			berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "template: function \"%s\" not defined", words[0]);
			goto out;
		}
		if (nw - 1 != fmt_funcs[f].nargs) {
			berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "template: wrong number of args for %s: want %d "
			    "got %d", words[0], fmt_funcs[f].nargs, nw - 1);
			goto out;
		}
		n->func = fmt_funcs[f].func;
		w = 1;
	} else if (nw > 1) {
		berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
		    "template: can't give argument to non-function %s",
		    words[0]);
		goto out;
	}
	for (k = w; k < nw; k++) {
		struct fmt_arg *a = &n->args[n->nargs++];

		if (quoted[k])
			a->literal = steal_pointer(&words[k]);
		else if (words[k][strspn(words[k], "0123456789")] == '\0') {
			a->literal = steal_pointer(&words[k]);
			a->number = true;
		} else if (words[k][0] == '.')
			a->path = steal_pointer(&words[k]);
		else {
			berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "template: unexpected \"%s\"", words[k]);
			goto out;
		}
	}
	rc = 0;
out:
	for (k = 0; k < nw; k++)
		free(words[k]);
	return (rc);
}

int
fmt_parse(const char *text, struct fmt_template **out,
    struct berth_error *err)
{
	struct fmt_template *t;
	const char *p, *open, *close, *a, *b;
	size_t tlen;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return (berth_error_sys(err, "parse the format"));
	p = text;
	if (strncmp(p, "table", 5) == 0 && (p[5] == '\0' ||
	    isspace((unsigned char)p[5]))) {
		t->table = true;
		p += 5;
		while (isspace((unsigned char)*p))
			p++;
	}
	while (*p != '\0') {
		if ((open = strstr(p, "{{")) == NULL) {
			if (fmt_text(t, p, strlen(p), err) < 0)
				goto fail;
			break;
		}
		if ((close = strstr(open + 2, "}}")) == NULL) {
			berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "template: unclosed action");
			goto fail;
		}
		tlen = (size_t)(open - p);
		a = open + 2;
		b = close;
		/* "{{- " trims the spaces before, " -}}" those after. */
		if (a[0] == '-' && (a[1] == ' ' || a[1] == '\t' ||
		    a[1] == '\n')) {
			while (tlen > 0 && isspace((unsigned char)p[tlen - 1]))
				tlen--;
			a++;
		}
		if (fmt_text(t, p, tlen, err) < 0)
			goto fail;
		p = close + 2;
		if (b - a >= 2 && b[-1] == '-' && isspace((unsigned char)b[-2])) {
			b--;
			while (isspace((unsigned char)*p))
				p++;
		}
		if (fmt_action(t, a, (size_t)(b - a), err) < 0)
			goto fail;
	}
	*out = t;
	return (0);
fail:
	fmt_free(t);
	return (-1);
}

/* Follow a path (".", ".A.B") from obj; NULL when a key is missing. */
static const json_t *
fmt_lookup(const json_t *obj, const char *path, bool *missing)
{
	const char *p = path + 1, *dot;
	char key[256];
	size_t len;

	*missing = false;
	while (*p != '\0') {
		dot = strchr(p, '.');
		len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (len == 0 || len >= sizeof(key) || !json_is_object(obj)) {
			*missing = true;
			return (NULL);
		}
		memcpy(key, p, len);
		key[len] = '\0';
		if ((obj = json_object_get(obj, key)) == NULL) {
			*missing = true;
			return (NULL);
		}
		p += len + (dot != NULL);
	}
	return (obj);
}

/* Append text to a growing string. */
struct fmt_buf {
	char	*p;
	size_t	 len;
	size_t	 size;
	bool	 failed;
};

static void
buf_add(struct fmt_buf *b, const char *s, size_t len)
{
	char *bigger;
	size_t size;

	if (b->failed)
		return;
	if (b->len + len + 1 > b->size) {
		size = b->size == 0 ? 128 : b->size;
		while (size < b->len + len + 1)
			size *= 2;
		if ((bigger = realloc(b->p, size)) == NULL) {
			b->failed = true;
			return;
		}
		b->p = bigger;
		b->size = size;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

static void
buf_str(struct fmt_buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static int
strcmp_ptr(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* A value as Go's fmt prints it: [a b], map[k:v], <nil>. */
static void
fmt_value(struct fmt_buf *b, const json_t *v)
{
	const char *key;
	char num[64];
	const json_t *item;
	const char **keys;
	size_t i, n;

	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_add(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		buf_str(b, num);
		break;
	case JSON_REAL:
		snprintf(num, sizeof(num), "%g", json_real_value(v));
		buf_str(b, num);
		break;
	case JSON_TRUE:
		buf_str(b, "true");
		break;
	case JSON_FALSE:
		buf_str(b, "false");
		break;
	case JSON_NULL:
		buf_str(b, "<nil>");
		break;
	case JSON_ARRAY:
		buf_str(b, "[");
		json_array_foreach(v, i, item) {
			if (i > 0)
				buf_str(b, " ");
			fmt_value(b, item);
		}
		buf_str(b, "]");
		break;
	case JSON_OBJECT:
		n = json_object_size(v);
		if ((keys = calloc(n + 1, sizeof(*keys))) == NULL) {
			b->failed = true;
			break;
		}
		i = 0;
		json_object_foreach((json_t *)v, key, item)
			keys[i++] = key;
		qsort(keys, n, sizeof(*keys), strcmp_ptr);
		buf_str(b, "map[");
		for (i = 0; i < n; i++) {
			if (i > 0)
				buf_str(b, " ");
			buf_str(b, keys[i]);
			buf_str(b, ":");
			fmt_value(b, json_object_get(v, keys[i]));
		}
		buf_str(b, "]");
		free(keys);
		break;
	}
}

static void
fmt_case(struct fmt_buf *b, size_t from, bool upper)
{
	size_t i;

	if (b->failed)
		return;
	for (i = from; i < b->len; i++)
		b->p[i] = (char)(upper ? toupper((unsigned char)b->p[i]) :
		    tolower((unsigned char)b->p[i]));
}

static int
fmt_eval(struct fmt_buf *b, const struct fmt_node *n, const json_t *obj,
    struct berth_error *err)
{
	const json_t *v = NULL, *item;
	const struct fmt_arg *a = &n->args[0];
	json_t *str = NULL;
	char *dump, num[32];
	bool missing = false;
	size_t i, from;

	if (a->path != NULL)
		v = fmt_lookup(obj, a->path, &missing);
	else
		v = str = json_string(a->literal);
	switch (n->func) {
	case F_NONE:
		if (missing)
			buf_str(b, "<no value>");
		else
			fmt_value(b, v);
		break;
	case F_JSON:
		if (missing) {
			buf_str(b, "null");
			break;
		}
		if ((dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) ==
		    NULL)
			b->failed = true;
		else
			buf_str(b, dump);
		free(dump);
		break;
	case F_JOIN:
		if (missing || !json_is_array(v) || n->args[1].literal == NULL) {
			json_decref(str);
			return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "template: join: expected a list and a string"));
		}
		json_array_foreach(v, i, item) {
			if (i > 0)
				buf_str(b, n->args[1].literal);
			fmt_value(b, item);
		}
		break;
	case F_INDEX:
		if (!missing && json_is_array(v) && n->args[1].number) {
			/* Go's index on a slice: out of range is an error. */
			item = json_array_get(v, strtoul(n->args[1].literal,
			    NULL, 10));
			if (item == NULL) {
				json_decref(str);
				return (berth_error_set(err,
				    BERTH_E_INVALID_PARAM, 0, "template: "
				    "index: index out of range: %s",
				    n->args[1].literal));
			}
			fmt_value(b, item);
		} else if (!missing && json_is_object(v) &&
		    n->args[1].literal != NULL &&
		    (item = json_object_get(v, n->args[1].literal)) != NULL)
			fmt_value(b, item);
		else if (!missing && json_is_object(v))
			buf_str(b, "<no value>");
		else {
			json_decref(str);
			return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "template: index: expected a map and a key or a "
			    "list and a number"));
		}
		break;
	case F_UPPER:
	case F_LOWER:
		from = b->len;
		if (!missing)
			fmt_value(b, v);
		fmt_case(b, from, n->func == F_UPPER);
		break;
	case F_LEN:
		if (json_is_array(v))
			i = json_array_size(v);
		else if (json_is_object(v))
			i = json_object_size(v);
		else if (json_is_string(v))
			i = json_string_length(v);
		else {
			json_decref(str);
			return (berth_error_set(err, BERTH_E_INVALID_PARAM, 0,
			    "template: len of a value without length"));
		}
		snprintf(num, sizeof(num), "%zu", i);
		buf_str(b, num);
		break;
	}
	json_decref(str);
	return (0);
}

char *
fmt_render(const struct fmt_template *t, const json_t *obj,
    struct berth_error *err)
{
	struct fmt_buf b = { NULL, 0, 0, false };
	size_t i;

	buf_add(&b, "", 0);
	for (i = 0; i < t->n; i++) {
		if (t->nodes[i].text != NULL)
			buf_str(&b, t->nodes[i].text);
		else if (fmt_eval(&b, &t->nodes[i], obj, err) < 0) {
			free(b.p);
			return (NULL);
		}
	}
	if (b.failed) {
		free(b.p);
		berth_error_sys(err, "format output");
		return (NULL);
	}
	return (b.p);
}

char *
fmt_header(const struct fmt_template *t, const struct fmt_header *headers)
{
	struct fmt_buf b = { NULL, 0, 0, false };
	const struct fmt_header *h;
	const char *path, *field;
	size_t i, from;

	buf_add(&b, "", 0);
	for (i = 0; i < t->n; i++) {
		if (t->nodes[i].text != NULL) {
			buf_str(&b, t->nodes[i].text);
			continue;
		}
		path = t->nodes[i].args[0].path;
		if (path == NULL || strcmp(path, ".") == 0)
			continue;
		field = strrchr(path, '.') + 1;
		for (h = headers; h != NULL && h->field != NULL; h++)
			if (strcmp(h->field, field) == 0)
				break;
		if (h != NULL && h->field != NULL) {
			buf_str(&b, h->header);
			continue;
		}
		from = b.len;
		buf_str(&b, field);
		fmt_case(&b, from, true);
	}
	if (b.failed) {
		free(b.p);
		return (NULL);
	}
	return (b.p);
}

/* The tab writer. */

struct fmt_tab {
	char	**lines;
	size_t	  n;
};

struct fmt_tab *
fmt_tab_new(void)
{
	return (calloc(1, sizeof(struct fmt_tab)));
}

void
fmt_tab_free(struct fmt_tab *tw)
{
	size_t i;

	if (tw == NULL)
		return;
	for (i = 0; i < tw->n; i++)
		free(tw->lines[i]);
	free(tw->lines);
	free(tw);
}

/* Split text into lines, each kept for flush. */
int
fmt_tab_add(struct fmt_tab *tw, const char *text)
{
	const char *nl;
	char **bigger;
	size_t len;

	if (*text == '\0') {
		if ((bigger = realloc(tw->lines, (tw->n + 1) *
		    sizeof(*bigger))) == NULL)
			return (-1);
		tw->lines = bigger;
		if ((tw->lines[tw->n] = strdup("")) == NULL)
			return (-1);
		tw->n++;
		return (0);
	}
	do {
		nl = strchr(text, '\n');
		len = nl != NULL ? (size_t)(nl - text) : strlen(text);
		if (nl == NULL && len == 0)
			break;
		if ((bigger = realloc(tw->lines, (tw->n + 1) *
		    sizeof(*bigger))) == NULL)
			return (-1);
		tw->lines = bigger;
		if ((tw->lines[tw->n] = strndup(text, len)) == NULL)
			return (-1);
		tw->n++;
		text = nl != NULL ? nl + 1 : text + len;
	} while (nl != NULL);
	return (0);
}

/* Display width: UTF-8 characters. */
static size_t
text_width(const char *p, size_t len)
{
	size_t i, w = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			w++;
	return (w);
}

#define TAB_MINWIDTH	10
#define TAB_PADDING	3

int
fmt_tab_flush(struct fmt_tab *tw, FILE *f)
{
	cleanup_free size_t *widths = NULL;
	size_t ncols = 0, i, col, w, len;
	const char *p, *tab;
	size_t *bigger;

	for (i = 0; i < tw->n; i++) {
		col = 0;
		for (p = tw->lines[i]; (tab = strchr(p, '\t')) != NULL;
		    p = tab + 1, col++) {
			if (col >= ncols) {
				if ((bigger = realloc(widths, (col + 1) *
				    sizeof(*widths))) == NULL)
					return (-1);
				widths = bigger;
				widths[col] = TAB_MINWIDTH;
				ncols = col + 1;
			}
			w = text_width(p, (size_t)(tab - p)) + TAB_PADDING;
			if (w > widths[col])
				widths[col] = w;
		}
	}
	for (i = 0; i < tw->n; i++) {
		col = 0;
		for (p = tw->lines[i]; (tab = strchr(p, '\t')) != NULL;
		    p = tab + 1, col++) {
			len = (size_t)(tab - p);
			fprintf(f, "%.*s%*s", (int)len, p,
			    (int)(widths[col] - text_width(p, len)), "");
		}
		fprintf(f, "%s\n", p);
		free(tw->lines[i]);
	}
	tw->n = 0;
	return (fflush(f) == 0 ? 0 : -1);
}

int
fmt_print_rows(FILE *f, const char *format, json_t *rows,
    const struct fmt_header *headers, struct berth_error *err)
{
	struct fmt_template *t = NULL;
	struct fmt_tab *tw = NULL;
	char *line = NULL;
	json_t *row;
	size_t i;
	int rc = -1;

	if (fmt_parse(format, &t, err) < 0)
		return (-1);
	if (fmt_is_table(t)) {
		if ((tw = fmt_tab_new()) == NULL ||
		    (line = fmt_header(t, headers)) == NULL ||
		    fmt_tab_add(tw, line) < 0) {
			berth_error_sys(err, "format output");
			goto out;
		}
		free(steal_pointer(&line));
	}
	json_array_foreach(rows, i, row) {
		if ((line = fmt_render(t, row, err)) == NULL)
			goto out;
		if (tw != NULL) {
			if (fmt_tab_add(tw, line) < 0) {
				berth_error_sys(err, "format output");
				goto out;
			}
		} else
			fprintf(f, "%s\n", line);
		free(steal_pointer(&line));
	}
	if (tw != NULL && fmt_tab_flush(tw, f) < 0) {
		berth_error_sys(err, "write output");
		goto out;
	}
	if (fflush(f) != 0) {
		berth_error_sys(err, "write output");
		goto out;
	}
	rc = 0;
out:
	free(line);
	fmt_tab_free(tw);
	fmt_free(t);
	return (rc);
}
