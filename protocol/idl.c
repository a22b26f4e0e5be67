/*
 * The interface description parser, registry and parameter validator.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "idl.h"
#include "message.h"

#define IDL_NAME_MAX	128
#define IDL_PATH_MAX	256
#define IDL_DEPTH_MAX	64	/* types nested in types */

struct parser {
	const char		*p;
	int			 line;
	int			 depth;		/* of parse_type */
	struct berth_error	*err;
};

static void type_free(struct idl_type *t);

static int
parse_error(struct parser *ps, const char *fmt, const char *what)
{
	char found[24];
	size_t n;

	n = strcspn(ps->p, " \t\r\n");
	if (n == 0 && *ps->p != '\0')
		n = 1;
	if (n >= sizeof(found))
		n = sizeof(found) - 1;
	memcpy(found, ps->p, n);
	found[n] = '\0';
	berth_error_set(ps->err, BERTH_E_BAD_DESCRIPTION, 0,
	    "line %d: %s%s, found '%s'", ps->line, fmt, what != NULL ? what :
	    "", *ps->p == '\0' ? "end of text" : found);
	return (-1);
}

static void
skip_space(struct parser *ps)
{
	for (;;) {
		if (*ps->p == '\n') {
			ps->line++;
			ps->p++;
		} else if (isspace((unsigned char)*ps->p))
			ps->p++;
		else if (*ps->p == '#') {
			while (*ps->p != '\0' && *ps->p != '\n')
				ps->p++;
		} else
			return;
	}
}

/* Consume a punctuation token if it is next. */
static bool
accept_tok(struct parser *ps, const char *tok)
{
	size_t n = strlen(tok);

	skip_space(ps);
	if (strncmp(ps->p, tok, n) != 0)
		return (false);
	ps->p += n;
	return (true);
}

static int
expect_tok(struct parser *ps, const char *tok)
{
	if (accept_tok(ps, tok))
		return (0);
	return (parse_error(ps, "expected ", tok));
}

static bool
is_word_char(char c)
{
	return (isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-');
}

/* Read a word into a new string; NULL (with an error) when none. */
static char *
read_word(struct parser *ps, const char *what)
{
	const char *start;
	char *w;

	skip_space(ps);
	start = ps->p;
	while (is_word_char(*ps->p))
		ps->p++;
	if (ps->p == start || ps->p - start >= IDL_NAME_MAX) {
		ps->p = start;
		parse_error(ps, "expected ", what);
		return (NULL);
	}
	if ((w = strndup(start, (size_t)(ps->p - start))) == NULL)
		berth_error_sys(ps->err, "parse description");
	return (w);
}

static bool
is_member_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return (false);
	for (s++; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return (false);
	return (true);
}

static bool
is_type_name(const char *s)
{
	if (!isupper((unsigned char)*s))
		return (false);
	for (s++; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s))
			return (false);
	return (true);
}

static bool
is_interface_name(const char *s)
{
	const char *dot = strchr(s, '.');

	if (dot == NULL || !islower((unsigned char)*s))
		return (false);
	for (; *s != '\0'; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s)
		    && *s != '.' && *s != '-' && !isupper((unsigned char)*s))
			return (false);
	return (s[-1] != '.');
}

static struct idl_type *
type_new(enum idl_kind kind)
{
	struct idl_type *t = calloc(1, sizeof(*t));

	if (t != NULL)
		t->kind = kind;
	return (t);
}

static struct idl_type *parse_type(struct parser *ps);

/* Append a name to a string array. */
static int
push_name(char ***array, size_t *n, char *name)
{
	char **g;

	if ((g = realloc(*array, (*n + 1) * sizeof(**array))) == NULL)
		return (-1);
	*array = g;
	g[(*n)++] = name;
	return (0);
}

static int
add_field(struct parser *ps, struct idl_type *t, char *name)
{
	struct idl_field *g;
	size_t i;

	for (i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0) {
			free(name);
			return (parse_error(ps, "duplicate field", NULL));
		}
	if ((g = realloc(t->fields, (t->nfields + 1) * sizeof(*g))) == NULL) {
		free(name);
		return (berth_error_sys(ps->err, "parse description"));
	}
	t->fields = g;
	g[t->nfields].name = name;
	g[t->nfields].type = NULL;
	t->nfields++;
	if ((g[t->nfields - 1].type = parse_type(ps)) == NULL)
		return (-1);
	return (0);
}

/*
 * After '(' has been read: the rest of a struct "(a: T, b: U)" or an enum
 * "(a, b)"; the first name tells which by a ':' after it.
 */
static struct idl_type *
parse_paren(struct parser *ps)
{
	struct idl_type *t;
	char *word;

	if ((t = type_new(IDL_STRUCT)) == NULL) {
		berth_error_sys(ps->err, "parse description");
		return (NULL);
	}
	if (accept_tok(ps, ")"))
		return (t);
	if ((word = read_word(ps, "a name")) == NULL)
		goto fail;
	if (!accept_tok(ps, ":"))
		t->kind = IDL_ENUM;
	for (;;) {
		if (!is_member_name(word)) {
			free(word);
			parse_error(ps, "expected a name", NULL);
			goto fail;
		}
		if (t->kind == IDL_ENUM) {
			if (push_name(&t->values, &t->nvalues, word) < 0) {
				free(word);
				berth_error_sys(ps->err, "parse description");
				goto fail;
			}
		} else if (add_field(ps, t, word) < 0)
			goto fail;
		if (!accept_tok(ps, ","))
			break;
		if ((word = read_word(ps, "a name")) == NULL)
			goto fail;
		if (t->kind == IDL_STRUCT && expect_tok(ps, ":") < 0) {
			free(word);
			goto fail;
		}
	}
	if (expect_tok(ps, ")") < 0)
		goto fail;
	return (t);
fail:
	type_free(t);
	return (NULL);
}

static const struct {
	const char	*name;
	enum idl_kind	 kind;
} builtin_types[] = {
	{ "bool", IDL_BOOL },
	{ "int", IDL_INT },
	{ "float", IDL_FLOAT },
	{ "string", IDL_STRING },
	{ "object", IDL_OBJECT },
	{ "bytes", IDL_BYTES },
};

static struct idl_type *
parse_type_here(struct parser *ps)
{
	struct idl_type *t = NULL;
	char *word;
	size_t i;

	if (accept_tok(ps, "?")) {
		skip_space(ps);
		if (*ps->p == '?') {
			parse_error(ps, "expected a type", NULL);
			return (NULL);
		}
		if ((t = parse_type(ps)) != NULL)
			t->optional = true;
		return (t);
	}
	if (accept_tok(ps, "[")) {
		if (accept_tok(ps, "]"))
			t = type_new(IDL_ARRAY);
		else if (accept_tok(ps, "string") && accept_tok(ps, "]"))
			t = type_new(IDL_MAP);
		else {
			parse_error(ps, "expected ']' or 'string]'", NULL);
			return (NULL);
		}
		if (t == NULL) {
			berth_error_sys(ps->err, "parse description");
			return (NULL);
		}
		if ((t->elem = parse_type(ps)) == NULL) {
			type_free(t);
			return (NULL);
		}
		return (t);
	}
	if (accept_tok(ps, "("))
		return (parse_paren(ps));
	if ((word = read_word(ps, "a type")) == NULL)
		return (NULL);
	for (i = 0; i < sizeof(builtin_types) / sizeof(builtin_types[0]); i++)
		if (strcmp(word, builtin_types[i].name) == 0) {
			free(word);
			if ((t = type_new(builtin_types[i].kind)) == NULL)
				berth_error_sys(ps->err, "parse description");
			return (t);
		}
	if (!is_type_name(word)) {
		free(word);
		parse_error(ps, "expected a type", NULL);
		return (NULL);
	}
	if ((t = type_new(IDL_NAMED)) == NULL) {
		free(word);
		berth_error_sys(ps->err, "parse description");
		return (NULL);
	}
	t->name = word;
	return (t);
}

/* parse_type_here, with a bound on the recursion: the text decides it. */
static struct idl_type *
parse_type(struct parser *ps)
{
	struct idl_type *t;

	if (ps->depth >= IDL_DEPTH_MAX) {
		parse_error(ps, "types nested too deeply", NULL);
		return (NULL);
	}
	ps->depth++;
	t = parse_type_here(ps);
	ps->depth--;
	return (t);
}

static struct idl_type *
parse_struct(struct parser *ps)
{
	struct idl_type *t;

	if (expect_tok(ps, "(") < 0)
		return (NULL);
	if ((t = parse_paren(ps)) == NULL)
		return (NULL);
	if (t->kind != IDL_STRUCT) {
		type_free(t);
		parse_error(ps, "expected a parameter list, not an enum",
		    NULL);
		return (NULL);
	}
	return (t);
}

static void
type_free(struct idl_type *t)
{
	size_t i;

	if (t == NULL)
		return;
	type_free(t->elem);
	for (i = 0; i < t->nfields; i++) {
		free(t->fields[i].name);
		type_free(t->fields[i].type);
	}
	free(t->fields);
	for (i = 0; i < t->nvalues; i++)
		free(t->values[i]);
	free(t->values);
	free(t->name);
	free(t);
}

void
idl_interface_free(struct idl_interface *iface)
{
	size_t i;

	if (iface == NULL)
		return;
	for (i = 0; i < iface->nmethods; i++) {
		free(iface->methods[i].name);
		type_free(iface->methods[i].in);
		type_free(iface->methods[i].out);
	}
	for (i = 0; i < iface->ntypes; i++) {
		free(iface->types[i].name);
		type_free(iface->types[i].type);
	}
	for (i = 0; i < iface->nerrors; i++) {
		free(iface->errors[i].name);
		type_free(iface->errors[i].params);
	}
	free(iface->methods);
	free(iface->types);
	free(iface->errors);
	free(iface->name);
	free(iface->text);
	free(iface);
}

static const struct idl_typedef *
find_typedef(const struct idl_interface *iface, const char *name)
{
	size_t i;

	for (i = 0; i < iface->ntypes; i++)
		if (strcmp(iface->types[i].name, name) == 0)
			return (&iface->types[i]);
	return (NULL);
}

const struct idl_method *
idl_interface_method(const struct idl_interface *iface, const char *name)
{
	size_t i;

	for (i = 0; i < iface->nmethods; i++)
		if (strcmp(iface->methods[i].name, name) == 0)
			return (&iface->methods[i]);
	return (NULL);
}

const struct idl_errordef *
idl_interface_error(const struct idl_interface *iface, const char *name)
{
	size_t i;

	for (i = 0; i < iface->nerrors; i++)
		if (strcmp(iface->errors[i].name, name) == 0)
			return (&iface->errors[i]);
	return (NULL);
}

/* Point every named type at its declaration. */
static int
resolve(const struct idl_interface *iface, struct idl_type *t,
    struct berth_error *err)
{
	const struct idl_typedef *td;
	size_t i;

	if (t == NULL)
		return (0);
	if (t->kind == IDL_NAMED) {
		if ((td = find_typedef(iface, t->name)) == NULL)
			return (berth_error_set(err,
			    BERTH_E_BAD_DESCRIPTION, 0,
			    "interface %s: unknown type '%s'", iface->name,
			    t->name));
		t->target = td->type;
	}
	if (resolve(iface, t->elem, err) < 0)
		return (-1);
	for (i = 0; i < t->nfields; i++)
		if (resolve(iface, t->fields[i].type, err) < 0)
			return (-1);
	return (0);
}

/*
 * A type that leads back to itself through names alone ("type A B",
 * "type B ?A") describes no value, and the validator would follow it for
 * ever: a chain of names longer than the number of types is such a loop.
 */
static int
check_name_loops(const struct idl_interface *iface, struct berth_error *err)
{
	const struct idl_type *t;
	size_t i, steps;

	for (i = 0; i < iface->ntypes; i++) {
		t = iface->types[i].type;
		for (steps = 0; t->kind == IDL_NAMED; steps++) {
			if (steps > iface->ntypes)
				return (berth_error_set(err,
				    BERTH_E_BAD_DESCRIPTION, 0,
				    "interface %s: type '%s' is defined in "
				    "terms of itself", iface->name,
				    iface->types[i].name));
			t = t->target;
		}
	}
	return (0);
}

static int
resolve_all(struct idl_interface *iface, struct berth_error *err)
{
	size_t i;

	for (i = 0; i < iface->ntypes; i++)
		if (resolve(iface, iface->types[i].type, err) < 0)
			return (-1);
	if (check_name_loops(iface, err) < 0)
		return (-1);
	for (i = 0; i < iface->nmethods; i++)
		if (resolve(iface, iface->methods[i].in, err) < 0 ||
		    resolve(iface, iface->methods[i].out, err) < 0)
			return (-1);
	for (i = 0; i < iface->nerrors; i++)
		if (resolve(iface, iface->errors[i].params, err) < 0)
			return (-1);
	return (0);
}

static bool
member_exists(const struct idl_interface *iface, const char *name)
{
	return (find_typedef(iface, name) != NULL ||
	    idl_interface_method(iface, name) != NULL ||
	    idl_interface_error(iface, name) != NULL);
}

/* Append to one of the interface's arrays: grow by one slot. */
static void *
grow(void *array, size_t n, size_t size)
{
	return (realloc(array, (n + 1) * size));
}

static int
parse_member(struct parser *ps, struct idl_interface *iface)
{
	cleanup_free char *kw = NULL, *name = NULL;
	struct idl_type *in = NULL, *out = NULL;
	void *g;

	if ((kw = read_word(ps, "'type', 'method' or 'error'")) == NULL)
		return (-1);
	if (strcmp(kw, "type") != 0 && strcmp(kw, "method") != 0 &&
	    strcmp(kw, "error") != 0) {
		ps->p -= strlen(kw);
		return (parse_error(ps, "expected 'type', 'method' or 'error'",
		    NULL));
	}
	if ((name = read_word(ps, "a name")) == NULL)
		return (-1);
	if (!is_type_name(name)) {
		ps->p -= strlen(name);
		return (parse_error(ps, "expected a capitalised name", NULL));
	}
	if (member_exists(iface, name)) {
		ps->p -= strlen(name);
		return (parse_error(ps, "duplicate name", NULL));
	}
	if (strcmp(kw, "type") == 0) {
		if ((in = parse_type(ps)) == NULL)
			return (-1);
		if ((g = grow(iface->types, iface->ntypes,
		    sizeof(*iface->types))) == NULL)
			goto nomem;
		iface->types = g;
		iface->types[iface->ntypes].name = steal_pointer(&name);
		iface->types[iface->ntypes++].type = in;
		return (0);
	}
	if (strcmp(kw, "error") == 0) {
		if ((in = parse_struct(ps)) == NULL)
			return (-1);
		if ((g = grow(iface->errors, iface->nerrors,
		    sizeof(*iface->errors))) == NULL)
			goto nomem;
		iface->errors = g;
		iface->errors[iface->nerrors].name = steal_pointer(&name);
		iface->errors[iface->nerrors++].params = in;
		return (0);
	}
	if ((in = parse_struct(ps)) == NULL)
		return (-1);
	if (expect_tok(ps, "->") < 0 || (out = parse_struct(ps)) == NULL) {
		type_free(in);
		return (-1);
	}
	if ((g = grow(iface->methods, iface->nmethods,
	    sizeof(*iface->methods))) == NULL)
		goto nomem;
	iface->methods = g;
	iface->methods[iface->nmethods].name = steal_pointer(&name);
	iface->methods[iface->nmethods].in = in;
	iface->methods[iface->nmethods++].out = out;
	return (0);
nomem:
	type_free(in);
	type_free(out);
	return (berth_error_sys(ps->err, "parse description"));
}

int
idl_parse(const char *text, struct idl_interface **out,
    struct berth_error *err)
{
	struct parser ps = { .p = text, .line = 1, .err = err };
	struct idl_interface *iface;

	*out = NULL;
	if ((iface = calloc(1, sizeof(*iface))) == NULL ||
	    (iface->text = strdup(text)) == NULL) {
		free(iface);
		return (berth_error_sys(err, "parse description"));
	}
	if (!accept_tok(&ps, "interface") || !isspace((unsigned char)*ps.p)) {
		parse_error(&ps, "expected 'interface'", NULL);
		goto fail;
	}
	if ((iface->name = read_word(&ps, "an interface name")) == NULL)
		goto fail;
	if (!is_interface_name(iface->name)) {
		ps.p -= strlen(iface->name);
		parse_error(&ps, "expected a reverse-domain interface name",
		    NULL);
		goto fail;
	}
	for (;;) {
		skip_space(&ps);
		if (*ps.p == '\0')
			break;
		if (parse_member(&ps, iface) < 0)
			goto fail;
	}
	if (resolve_all(iface, err) < 0)
		goto fail;
	*out = iface;
	return (0);
fail:
	idl_interface_free(iface);
	return (-1);
}

void
idl_registry_init(struct idl_registry *reg)
{
	memset(reg, 0, sizeof(*reg));
}

void
idl_registry_free(struct idl_registry *reg)
{
	size_t i;

	for (i = 0; i < reg->ninterfaces; i++)
		idl_interface_free(reg->interfaces[i]);
	free(reg->interfaces);
	idl_registry_init(reg);
}

const struct idl_interface *
idl_registry_interface(const struct idl_registry *reg, const char *name)
{
	size_t i;

	for (i = 0; i < reg->ninterfaces; i++)
		if (strcmp(reg->interfaces[i]->name, name) == 0)
			return (reg->interfaces[i]);
	return (NULL);
}

int
idl_registry_add(struct idl_registry *reg, const char *text,
    struct berth_error *err)
{
	struct idl_interface *iface;
	void *g;

	if (idl_parse(text, &iface, err) < 0)
		return (-1);
	if (idl_registry_interface(reg, iface->name) != NULL) {
		berth_error_set(err, BERTH_E_BAD_DESCRIPTION, 0,
		    "interface %s described twice", iface->name);
		idl_interface_free(iface);
		return (-1);
	}
	if ((g = grow(reg->interfaces, reg->ninterfaces,
	    sizeof(*reg->interfaces))) == NULL) {
		idl_interface_free(iface);
		return (berth_error_sys(err, "add interface"));
	}
	reg->interfaces = g;
	reg->interfaces[reg->ninterfaces++] = iface;
	return (0);
}

int
idl_registry_method(const struct idl_registry *reg, const char *qualified,
    const struct idl_interface **iface, const struct idl_method **method,
    struct berth_error *err)
{
	char name[CALL_METHOD_MAX];
	const char *dot;

	dot = strrchr(qualified, '.');
	if (dot == NULL || dot == qualified || (size_t)(dot - qualified) >=
	    sizeof(name)) {
		berth_error_set(err, BERTH_E_NO_INTERFACE, 0,
		    "'%s' is not a qualified method name "
		    "(interface.Method)", qualified);
		return (berth_error_param_str(err, "interface", qualified));
	}
	memcpy(name, qualified, (size_t)(dot - qualified));
	name[dot - qualified] = '\0';
	if ((*iface = idl_registry_interface(reg, name)) == NULL) {
		berth_error_set(err, BERTH_E_NO_INTERFACE, 0,
		    "interface %s not found", name);
		return (berth_error_param_str(err, "interface", name));
	}
	if ((*method = idl_interface_method(*iface, dot + 1)) == NULL) {
		berth_error_set(err, BERTH_E_NO_METHOD, 0,
		    "method %s not found", qualified);
		return (berth_error_param_str(err, "method", qualified));
	}
	return (0);
}

/* The path of the value being checked, "mounts[2].source". */
struct vpath {
	char	buf[IDL_PATH_MAX];
	size_t	len;
};

static size_t
vpath_push(struct vpath *vp, const char *fmt, const char *s, size_t n,
    uint32_t index)
{
	size_t saved = vp->len;
	int w;

	if (fmt == NULL)	/* array index */
		w = snprintf(vp->buf + vp->len, sizeof(vp->buf) - vp->len,
		    "[%u]", index);
	else
		w = snprintf(vp->buf + vp->len, sizeof(vp->buf) - vp->len,
		    fmt, (int)n, s);
	if (w > 0)
		vp->len += (size_t)w;
	if (vp->len >= sizeof(vp->buf))
		vp->len = sizeof(vp->buf) - 1;
	return (saved);
}

static void
vpath_pop(struct vpath *vp, size_t saved)
{
	vp->len = saved;
	vp->buf[saved] = '\0';
}

static const char *
object_kind(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL: return ("null");
	case MSGPACK_OBJECT_BOOLEAN: return ("bool");
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: return ("int");
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: return ("float");
	case MSGPACK_OBJECT_STR: return ("string");
	case MSGPACK_OBJECT_ARRAY: return ("array");
	case MSGPACK_OBJECT_MAP: return ("map");
	case MSGPACK_OBJECT_BIN: return ("binary");
	case MSGPACK_OBJECT_EXT: return ("extension");
	}
	return ("unknown");
}

static const char *
type_kind(const struct idl_type *t)
{
	static const char *names[] = {
		[IDL_BOOL] = "bool", [IDL_INT] = "int", [IDL_FLOAT] = "float",
		[IDL_STRING] = "string", [IDL_OBJECT] = "object",
		[IDL_BYTES] = "bytes",
		[IDL_ARRAY] = "array", [IDL_MAP] = "map", [IDL_ENUM] = "enum",
		[IDL_STRUCT] = "struct", [IDL_NAMED] = "named type",
	};

	if (t->kind == IDL_NAMED)
		return (t->name);
	return (names[t->kind]);
}

static int
invalid(struct vpath *vp, struct berth_error *err, const char *fmt,
    const char *a, const char *b)
{
	const char *param = vp->buf[0] == '.' ? vp->buf + 1 : vp->buf;

	berth_error_set(err, BERTH_E_INVALID_PARAM, 0, fmt, param, a, b);
	return (berth_error_param_str(err, "parameter", param));
}

static int validate(const struct idl_type *t, const msgpack_object *v,
    struct vpath *vp, struct berth_error *err);

static int
validate_struct(const struct idl_type *t, const msgpack_object *v,
    struct vpath *vp, struct berth_error *err)
{
	const msgpack_object_kv *kv;
	const msgpack_object *fv;
	uint32_t i, j;
	size_t f, saved;
	int rc;

	if (v != NULL && v->type != MSGPACK_OBJECT_MAP)
		return (invalid(vp, err, "parameter '%s': expected %s, got %s",
		    "a map", object_kind(v)));
	/* Every key must name a field, once. */
	for (i = 0; v != NULL && i < v->via.map.size; i++) {
		kv = &v->via.map.ptr[i];
		if (kv->key.type != MSGPACK_OBJECT_STR)
			return (invalid(vp, err, "parameter '%s': %s%s",
			    "keys must be strings", ""));
		for (f = 0; f < t->nfields; f++)
			if (msgpack_str_eq(&kv->key, t->fields[f].name))
				break;
		saved = vpath_push(vp, ".%.*s", kv->key.via.str.ptr,
		    kv->key.via.str.size, 0);
		if (f == t->nfields) {
			rc = invalid(vp, err, "unknown parameter '%s'%s%s", "",
			    "");
			vpath_pop(vp, saved);
			return (rc);
		}
		for (j = 0; j < i; j++)
			if (msgpack_str_eq(&v->via.map.ptr[j].key,
			    t->fields[f].name)) {
				rc = invalid(vp, err,
				    "parameter '%s' given twice%s%s", "", "");
				vpath_pop(vp, saved);
				return (rc);
			}
		vpath_pop(vp, saved);
	}
	for (f = 0; f < t->nfields; f++) {
		fv = NULL;
		for (i = 0; v != NULL && i < v->via.map.size; i++)
			if (msgpack_str_eq(&v->via.map.ptr[i].key,
			    t->fields[f].name))
				fv = &v->via.map.ptr[i].val;
		saved = vpath_push(vp, ".%.*s", t->fields[f].name,
		    strlen(t->fields[f].name), 0);
		rc = validate(t->fields[f].type, fv, vp, err);
		vpath_pop(vp, saved);
		if (rc < 0)
			return (-1);
	}
	return (0);
}

static int
validate(const struct idl_type *t, const msgpack_object *v, struct vpath *vp,
    struct berth_error *err)
{
	const struct idl_type *target;
	uint32_t i;
	size_t e, saved;
	int rc;

	if (v == NULL || v->type == MSGPACK_OBJECT_NIL) {
		if (t->optional)
			return (0);
		if (vp->len == 0 && t->kind == IDL_STRUCT)
			return (validate_struct(t, NULL, vp, err));
		if (v == NULL)
			return (invalid(vp, err, "missing parameter '%s'%s%s",
			    "", ""));
		return (invalid(vp, err, "parameter '%s': expected %s, got %s",
		    type_kind(t), "null"));
	}
	switch (t->kind) {
	case IDL_BOOL:
		if (v->type == MSGPACK_OBJECT_BOOLEAN)
			return (0);
		break;
	case IDL_INT:
		if (v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
			return (0);
		break;
	case IDL_FLOAT:
		if (v->type == MSGPACK_OBJECT_FLOAT32 ||
		    v->type == MSGPACK_OBJECT_FLOAT64 ||
		    v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
			return (0);
		break;
	case IDL_STRING:
		if (v->type == MSGPACK_OBJECT_STR)
			return (0);
		break;
	case IDL_BYTES:
		if (v->type == MSGPACK_OBJECT_BIN)
			return (0);
		break;
	case IDL_OBJECT:
		return (0);
	case IDL_ENUM:
		if (v->type != MSGPACK_OBJECT_STR)
			break;
		for (e = 0; e < t->nvalues; e++)
			if (msgpack_str_eq(v, t->values[e]))
				return (0);
		return (invalid(vp, err, "parameter '%s': not one of the "
		    "allowed values%s%s", "", ""));
	case IDL_ARRAY:
		if (v->type != MSGPACK_OBJECT_ARRAY)
			break;
		for (i = 0; i < v->via.array.size; i++) {
			saved = vpath_push(vp, NULL, NULL, 0, i);
			rc = validate(t->elem, &v->via.array.ptr[i], vp, err);
			vpath_pop(vp, saved);
			if (rc < 0)
				return (-1);
		}
		return (0);
	case IDL_MAP:
		if (v->type != MSGPACK_OBJECT_MAP)
			break;
		for (i = 0; i < v->via.map.size; i++) {
			if (v->via.map.ptr[i].key.type != MSGPACK_OBJECT_STR)
				return (invalid(vp, err, "parameter '%s': %s%s",
				    "map keys must be strings", ""));
			saved = vpath_push(vp, "[\"%.*s\"]",
			    v->via.map.ptr[i].key.via.str.ptr,
			    v->via.map.ptr[i].key.via.str.size, 0);
			rc = validate(t->elem, &v->via.map.ptr[i].val, vp,
			    err);
			vpath_pop(vp, saved);
			if (rc < 0)
				return (-1);
		}
		return (0);
	case IDL_STRUCT:
		return (validate_struct(t, v, vp, err));
	case IDL_NAMED:
		target = t->target;
		if (target == NULL)
			return (berth_error_set(err, BERTH_E_INTERNAL, 0,
			    "type %s not resolved", t->name));
		return (validate(target, v, vp, err));
	}
	return (invalid(vp, err, "parameter '%s': expected %s, got %s",
	    type_kind(t), object_kind(v)));
}

int
idl_validate(const struct idl_type *type, const msgpack_object *value,
    struct berth_error *err)
{
	struct vpath vp = { .len = 0 };

	vp.buf[0] = '\0';
	return (validate(type, value, &vp, err));
}
