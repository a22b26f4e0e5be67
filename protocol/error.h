/*
 * The error value every berth module fills and every caller passes up.
 *
 * A fallible function returns 0 (or a count) on success and -1 on failure,
 * after filling a caller-owned struct berth_error: a stable reverse-domain
 * name, the errno when there is one, a human message and, for the wire, a
 * few named parameters.  Callers add context on the way up with
 * berth_error_wrap(), so the message reads like a path through the code:
 * "load interface io.berth.Service: line 3: expected '('".
 */
#ifndef BERTH_ERROR_H
#define BERTH_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#define BERTH_ERROR_NAME_MAX	128
#define BERTH_ERROR_PARAMS_MAX	4

/* Error names used across modules; interface-specific ones live beside
 * the code that raises them. */
#define BERTH_E_INTERNAL	"io.berth.Service.InternalError"
#define BERTH_E_SYSTEM		"io.berth.Service.SystemError"
#define BERTH_E_INVALID_FRAME	"io.berth.Service.InvalidFrame"
#define BERTH_E_FRAME_TOO_LARGE	"io.berth.Service.FrameTooLarge"
#define BERTH_E_INVALID_CALL	"io.berth.Service.InvalidCall"
#define BERTH_E_INVALID_PARAM	"io.berth.Service.InvalidParameter"
#define BERTH_E_NO_METHOD	"io.berth.Service.MethodNotFound"
#define BERTH_E_NO_INTERFACE	"io.berth.Service.InterfaceNotFound"
#define BERTH_E_PERMISSION	"io.berth.Service.PermissionDenied"
#define BERTH_E_BUSY		"io.berth.Service.TooManyConnections"
#define BERTH_E_SHUTDOWN	"io.berth.Service.ShuttingDown"
#define BERTH_E_BAD_DESCRIPTION	"io.berth.Service.InvalidDescription"
#define BERTH_E_CONNECT		"io.berth.Client.ConnectionFailed"
#define BERTH_E_PROTOCOL	"io.berth.Client.ProtocolError"

struct berth_error_param {
	char		*key;
	char		*str;		/* NULL when the value is a number */
	int64_t		 num;
};

struct berth_error {
	char			 name[BERTH_ERROR_NAME_MAX];	/* "" = no error */
	int			 errnum;	/* 0 when not from a syscall */
	char			*message;
	struct berth_error_param params[BERTH_ERROR_PARAMS_MAX];
	int			 nparams;
};

#define BERTH_ERROR_INIT { .name = "" }

/* Fill err (replacing what it held); returns -1 so callers can
 * "return berth_error_set(...)".  When errnum is not 0, ": strerror" is
 * appended to the message. */
int	berth_error_set(struct berth_error *err, const char *name, int errnum,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int	berth_error_vset(struct berth_error *err, const char *name, int errnum,
	    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
/* berth_error_set with BERTH_E_SYSTEM and the current errno. */
int	berth_error_sys(struct berth_error *err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Prefix the message with context and ": "; returns -1. */
int	berth_error_wrap(struct berth_error *err, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Attach a wire parameter (at most BERTH_ERROR_PARAMS_MAX; more are
 * dropped).  Return -1 for chaining in return statements. */
int	berth_error_param_str(struct berth_error *err, const char *key,
	    const char *value);
int	berth_error_param_int(struct berth_error *err, const char *key,
	    int64_t value);
bool	berth_error_is(const struct berth_error *err, const char *name);
bool	berth_error_isset(const struct berth_error *err);
const char *berth_error_message(const struct berth_error *err);
void	berth_error_clear(struct berth_error *err);
/* Move src into dst (dst cleared first); src is left empty. */
void	berth_error_move(struct berth_error *dst, struct berth_error *src);

#endif
