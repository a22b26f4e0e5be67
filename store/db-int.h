/*
 * For the store's own modules that keep rows of their own in the metadata
 * database (volumes, networks): the handle and the statement helpers that
 * db.c uses.  Not for callers outside store/.
 */
#ifndef BERTH_STORE_DB_INT_H
#define BERTH_STORE_DB_INT_H

#include <sqlite3.h>

#include "db.h"

struct store_db {
	sqlite3		*sql;
};

static inline void
db_cleanup_stmtp(sqlite3_stmt **st)
{
	sqlite3_finalize(*st);
}
#define db_cleanup_stmt __attribute__((cleanup(db_cleanup_stmtp)))

/* Prepare a statement (the caller finalizes it), or NULL and err. */
sqlite3_stmt	*db_prepare(struct store_db *db, const char *sql,
		    struct berth_error *err);
/* Bind text (NULL binds NULL); the string must outlive the step. */
void		 db_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Step a statement that returns no rows; on a UNIQUE or PRIMARY KEY
 * failure the error is named unique_name (NULL: the database error). */
int		 db_step_done_named(struct store_db *db, sqlite3_stmt *st,
		    const char *what, const char *unique_name,
		    struct berth_error *err);
/* The last failure on db as err (STORE_E_DATABASE), with what. */
int		 db_fail(struct store_db *db, const char *what,
		    struct berth_error *err);

/* Run sql, which returns no rows, with up to two text arguments (b may
 * be NULL: not bound). */
int		 db_run(struct store_db *db, const char *sql, const char *a,
		    const char *b, const char *what, struct berth_error *err);
/* A copy of column i's text ("" for NULL), or NULL without memory. */
char		*db_column_dup(sqlite3_stmt *st, int i);
/* Step st to the end, collecting column 0 of every row into *out
 * (NULL-terminated as well as counted by *n; db_strv_free frees it). */
int		 db_collect_strings(struct store_db *db, sqlite3_stmt *st,
		    char ***out, size_t *n, const char *what,
		    struct berth_error *err);

#endif
