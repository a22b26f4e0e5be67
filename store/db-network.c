/*
 * Network and endpoint rows (schema: db-schema.h, 5 -> 6).
 */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "db-int.h"
#include "db-network.h"

int
db_network_add(struct store_db *db, const struct db_network *n,
    struct berth_error *err)
{
	db_cleanup_stmt sqlite3_stmt *st = NULL;

	st = db_prepare(db, "INSERT INTO networks (id, name, driver, bridge, "
	    "subnet, gateway, internal, labels, created) VALUES "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", err);
	if (st == NULL)
		return (-1);
	db_bind_text(st, 1, n->id);
	db_bind_text(st, 2, n->name);
	db_bind_text(st, 3, n->driver);
	db_bind_text(st, 4, n->bridge);
	db_bind_text(st, 5, n->subnet);
	db_bind_text(st, 6, n->gateway);
	sqlite3_bind_int(st, 7, n->internal);
	db_bind_text(st, 8, n->labels != NULL ? n->labels : "{}");
	sqlite3_bind_int64(st, 9, n->created);
	if (db_step_done_named(db, st, "add network", NET_E_NAME_IN_USE,
	    err) < 0) {
		if (berth_error_is(err, NET_E_NAME_IN_USE)) {
			berth_error_clear(err);
			berth_error_set(err, NET_E_NAME_IN_USE, 0, "network "
			    "with name %s already exists", n->name);
			berth_error_param_str(err, "name", n->name);
		}
		return (-1);
	}
	return (0);
}

int
db_network_remove(struct store_db *db, const char *id,
    struct berth_error *err)
{
	db_cleanup_stmt sqlite3_stmt *st = NULL;

	if ((st = db_prepare(db, "DELETE FROM networks WHERE id = ?1",
	    err)) == NULL)
		return (-1);
	db_bind_text(st, 1, id);
	return (db_step_done_named(db, st, "remove network", NULL, err));
}

void
db_network_list_free(struct db_network *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].name);
		free(v[i].driver);
		free(v[i].bridge);
		free(v[i].subnet);
		free(v[i].gateway);
		free(v[i].labels);
	}
	free(v);
}

int
db_network_list(struct store_db *db, struct db_network **out, size_t *n,
    struct berth_error *err)
{
	db_cleanup_stmt sqlite3_stmt *st = NULL;
	struct db_network *v = NULL, *grown, *r;
	size_t len = 0;
	int rc;

	*out = NULL;
	*n = 0;
	st = db_prepare(db, "SELECT id, name, driver, bridge, subnet, "
	    "gateway, internal, labels, created FROM networks ORDER BY "
	    "created, name", err);
	if (st == NULL)
		return (-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((grown = reallocarray(v, len + 1, sizeof(*v))) == NULL)
			goto nomem;
		v = grown;
		r = &v[len++];
		memset(r, 0, sizeof(*r));
		r->id = db_column_dup(st, 0);
		r->name = db_column_dup(st, 1);
		r->driver = db_column_dup(st, 2);
		r->bridge = db_column_dup(st, 3);
		r->subnet = db_column_dup(st, 4);
		r->gateway = db_column_dup(st, 5);
		r->internal = sqlite3_column_int(st, 6) != 0;
		r->labels = db_column_dup(st, 7);
		r->created = sqlite3_column_int64(st, 8);
		if (r->id == NULL || r->name == NULL || r->driver == NULL ||
		    r->bridge == NULL || r->subnet == NULL ||
		    r->gateway == NULL || r->labels == NULL)
			goto nomem;
	}
	if (rc != SQLITE_DONE) {
		db_network_list_free(v, len);
		return (db_fail(db, "list networks", err));
	}
	*out = v;
	*n = len;
	return (0);
nomem:
	db_network_list_free(v, len);
	return (berth_error_sys(err, "list networks"));
}

int
db_endpoint_add(struct store_db *db, const struct db_endpoint *e,
    struct berth_error *err)
{
	db_cleanup_stmt sqlite3_stmt *st = NULL;

	st = db_prepare(db, "INSERT INTO endpoints (network, container, "
	    "address, ifname) VALUES (?1, ?2, ?3, ?4)", err);
	if (st == NULL)
		return (-1);
	db_bind_text(st, 1, e->network);
	db_bind_text(st, 2, e->container);
	db_bind_text(st, 3, e->address);
	db_bind_text(st, 4, e->ifname);
	if (db_step_done_named(db, st, "add endpoint", NET_E_ADDRESS,
	    err) < 0) {
		if (berth_error_is(err, NET_E_ADDRESS)) {
			berth_error_clear(err);
			berth_error_set(err, NET_E_ADDRESS, 0, "Address "
			    "already in use: %s", e->address);
			berth_error_param_str(err, "network", e->network);
			berth_error_param_str(err, "address", e->address);
		}
		return (-1);
	}
	return (0);
}

int
db_endpoint_remove(struct store_db *db, const char *network,
    const char *container, struct berth_error *err)
{
	db_cleanup_stmt sqlite3_stmt *st = NULL;

	st = db_prepare(db, network != NULL ? "DELETE FROM endpoints WHERE "
	    "container = ?1 AND network = ?2" : "DELETE FROM endpoints WHERE "
	    "container = ?1", err);
	if (st == NULL)
		return (-1);
	db_bind_text(st, 1, container);
	if (network != NULL)
		db_bind_text(st, 2, network);
	return (db_step_done_named(db, st, "remove endpoint", NULL, err));
}

void
db_endpoint_list_free(struct db_endpoint *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].network);
		free(v[i].container);
		free(v[i].address);
		free(v[i].ifname);
	}
	free(v);
}

int
db_endpoint_list(struct store_db *db, const char *network,
    struct db_endpoint **out, size_t *n, struct berth_error *err)
{
	db_cleanup_stmt sqlite3_stmt *st = NULL;
	struct db_endpoint *v = NULL, *grown, *r;
	size_t len = 0;
	int rc;

	*out = NULL;
	*n = 0;
	st = db_prepare(db, "SELECT network, container, address, ifname FROM "
	    "endpoints WHERE ?1 IS NULL OR network = ?1", err);
	if (st == NULL)
		return (-1);
	db_bind_text(st, 1, network);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((grown = reallocarray(v, len + 1, sizeof(*v))) == NULL)
			goto nomem;
		v = grown;
		r = &v[len++];
		r->network = db_column_dup(st, 0);
		r->container = db_column_dup(st, 1);
		r->address = db_column_dup(st, 2);
		r->ifname = db_column_dup(st, 3);
		if (r->network == NULL || r->container == NULL ||
		    r->address == NULL || r->ifname == NULL)
			goto nomem;
	}
	if (rc != SQLITE_DONE) {
		db_endpoint_list_free(v, len);
		return (db_fail(db, "list endpoints", err));
	}
	*out = v;
	*n = len;
	return (0);
nomem:
	db_endpoint_list_free(v, len);
	return (berth_error_sys(err, "list endpoints"));
}
