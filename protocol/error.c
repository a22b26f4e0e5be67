/*
 * The shared error value: fill, wrap with context, carry wire parameters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* vasprintf that never leaves a NULL behind: an error path must not fail. */
static char *
format_message(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return (NULL);
	return (s);
}

static void
clear_params(struct berth_error *err)
{
	int i;

	for (i = 0; i < err->nparams; i++) {
		free(err->params[i].key);
		free(err->params[i].str);
	}
	err->nparams = 0;
}

void
berth_error_clear(struct berth_error *err)
{
	clear_params(err);
	free(err->message);
	err->message = NULL;
	err->name[0] = '\0';
	err->errnum = 0;
}

int
berth_error_vset(struct berth_error *err, const char *name, int errnum,
    const char *fmt, va_list ap)
{
	char *msg, *full;

	msg = format_message(fmt, ap);
	berth_error_clear(err);
	snprintf(err->name, sizeof(err->name), "%s", name);
	err->errnum = errnum;
	if (msg != NULL && errnum != 0) {
		if (asprintf(&full, "%s: %s", msg, strerror(errnum)) >= 0) {
			free(msg);
			msg = full;
		}
	}
	err->message = msg;
	return (-1);
}

int
berth_error_set(struct berth_error *err, const char *name, int errnum,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	berth_error_vset(err, name, errnum, fmt, ap);
	va_end(ap);
	return (-1);
}

int
berth_error_sys(struct berth_error *err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	berth_error_vset(err, BERTH_E_SYSTEM, saved, fmt, ap);
	va_end(ap);
	errno = saved;
	return (-1);
}

int
berth_error_wrap(struct berth_error *err, const char *fmt, ...)
{
	char *ctx, *full;
	va_list ap;

	va_start(ap, fmt);
	ctx = format_message(fmt, ap);
	va_end(ap);
	if (ctx == NULL)
		return (-1);
	if (asprintf(&full, "%s: %s", ctx,
	    err->message != NULL ? err->message : "unknown error") >= 0) {
		free(err->message);
		err->message = full;
	}
	free(ctx);
	return (-1);
}

static struct berth_error_param *
add_param(struct berth_error *err, const char *key)
{
	struct berth_error_param *p;

	if (err->nparams >= BERTH_ERROR_PARAMS_MAX)
		return (NULL);
	p = &err->params[err->nparams];
	p->key = strdup(key);
	if (p->key == NULL)
		return (NULL);
	p->str = NULL;
	p->num = 0;
	err->nparams++;
	return (p);
}

int
berth_error_param_str(struct berth_error *err, const char *key,
    const char *value)
{
	struct berth_error_param *p;

	if ((p = add_param(err, key)) != NULL)
		p->str = strdup(value != NULL ? value : "");
	return (-1);
}

int
berth_error_param_int(struct berth_error *err, const char *key,
    int64_t value)
{
	struct berth_error_param *p;

	if ((p = add_param(err, key)) != NULL)
		p->num = value;
	return (-1);
}

bool
berth_error_isset(const struct berth_error *err)
{
	return (err->name[0] != '\0');
}

bool
berth_error_is(const struct berth_error *err, const char *name)
{
	return (strcmp(err->name, name) == 0);
}

const char *
berth_error_message(const struct berth_error *err)
{
	if (err->message != NULL)
		return (err->message);
	if (err->name[0] != '\0')
		return (err->name);
	return ("unknown error");
}

void
berth_error_move(struct berth_error *dst, struct berth_error *src)
{
	berth_error_clear(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}
