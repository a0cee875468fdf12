/*
 * NAME
 *	st_be - the store's public functions, through the backend table
 * SYNOPSIS
 *	#include "store/st.h"
 *
 *	st_store *st_open_config(const st_config *c, sg_buf *err);
 * DESCRIPTION
 *	Callers see one store (st.h); the handle carries the table of the
 *	backend that opened it (st_int.h: ST_BACKEND_OPS), and every
 *	function here is one call through it. st_open_config() and
 *	st_create_config() choose the backend from `[store] backend`:
 *	sqlite opens `[store] path` (st_open, st_create), postgresql
 *	connects to `[store] dsn`.
 */
#include "store/st_int.h"

#include <stdio.h>
#include <string.h>

#define ST_OP_CALL(ret, name, params, args) \
	ret st_##name params { return st->be->name args; }
ST_BACKEND_OPS(ST_OP_CALL)
#undef ST_OP_CALL

void st_close(st_store *st)
{
	if (st != NULL)
		st->be->close(st);
}

const char *st_backend_name(const st_store *st)
{
	return st->be->name;
}

bool st_backend_complete(const st_store *st)
{
	return st->be->complete;
}

bool st_unreachable(const st_store *st)
{
	return st->unreachable;
}

const char *st_gateway(const st_store *st)
{
	return st->gateway;
}

int st_set_gateway(st_store *st, const char *gateway, sg_buf *err)
{
	if (gateway == NULL) {
		sg_gateway_default(st->gateway);
		return 0;
	}
	if (!sg_gateway_valid(gateway)) {
		st_seterr(err, "store %s: \"%.100s\" is not a gateway name ([store]"
			  " gateway: letters, digits, '.', '-', '_')", st->path, gateway);
		return -1;
	}
	snprintf(st->gateway, sizeof(st->gateway), "%s", gateway);
	return 0;
}

/* The PostgreSQL handle learns its gateway after it connected (the
 * connection code knows nothing of gateways); SQLite's needs it
 * before, for the migration (st_db.c). */
static st_store *st_pg_gateway(st_store *st, const char *gateway, sg_buf *err)
{
	if (st != NULL && st_set_gateway(st, gateway, err) < 0) {
		st_close(st);
		return NULL;
	}
	return st;
}

void st_set_patience(st_store *st, unsigned ms)
{
	pthread_mutex_lock(&st->mu);
	st->patience_ms = ms;
	pthread_mutex_unlock(&st->mu);
}

static bool st_config_pg(const st_config *c)
{
	return c->backend != NULL && strcmp(c->backend, "postgresql") == 0;
}

st_store *st_open_config(const st_config *c, sg_buf *err)
{
	if (st_config_pg(c))
		return st_pg_gateway(st_pg_open(c->dsn, err), c->gateway, err);
	return st_sql_open_gw(c->path, c->gateway, err);
}

st_store *st_create_config(const st_config *c, sg_buf *err)
{
	if (st_config_pg(c))
		return st_pg_gateway(st_pg_create(c->dsn, err), c->gateway, err);
	return st_sql_create_gw(c->path, c->gateway, err);
}

st_store *st_migrate_config(const st_config *c, int *from, sg_buf *err)
{
	st_store *st;

	if (st_config_pg(c)) {
		if (c->gateway != NULL && !sg_gateway_valid(c->gateway)) {
			st_seterr(err, "store postgresql: \"%.100s\" is not a gateway"
				  " name ([store] gateway)", c->gateway);
			return NULL;
		}
		return st_pg_gateway(st_pg_migrate(c->dsn, c->gateway, from, err),
				     c->gateway, err);
	}
	/* SQLite migrates when it opens (st_db.c). */
	if ((st = st_sql_open_gw(c->path, c->gateway, err)) != NULL)
		*from = st_schema_version(st);
	return st;
}
