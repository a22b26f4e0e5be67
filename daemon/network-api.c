/*
 * io.berth.Network's handlers, and io.berth.Container.Port.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "container.h"
#include "daemon.h"
#include "dispatch.h"
#include "events.h"
#include "json-pack.h"
#include "json-util.h"
#include "log.h"
#include "message.h"
#include "network.h"

static const char *
param_str(const struct call *call, const char *key, char *buf, size_t size)
{
	const msgpack_object *v = msgpack_map_get(call->parameters, key);

	if (v == NULL || !msgpack_str_copy(v, buf, size))
		return (NULL);
	return (buf);
}

static json_t *
param_json(const struct call *call, const char *key)
{
	const msgpack_object *v = msgpack_map_get(call->parameters, key);

	return (v != NULL ? msgpack_to_json(v) : NULL);
}

static bool
param_true(const struct call *call, const char *key)
{
	const msgpack_object *v = msgpack_map_get(call->parameters, key);

	return (v != NULL && v->type == MSGPACK_OBJECT_BOOLEAN &&
	    v->via.boolean);
}

static int
find_network(struct daemon *d, const struct call *call,
    struct network **out, struct berth_error *err)
{
	char name[256];

	if (param_str(call, "network", name, sizeof(name)) == NULL)
		snprintf(name, sizeof(name), "?");
	return (network_find(d, name, out, err));
}

static int
find_container(struct daemon *d, const struct call *call,
    struct container **out, struct berth_error *err)
{
	char name[CTR_NAME_MAX + 2];

	if (param_str(call, "container", name, sizeof(name)) == NULL)
		snprintf(name, sizeof(name), "?");
	return (container_find(d, name, out, err));
}

static void
subnet_text(const struct network *n, char *buf, size_t size)
{
	char a[INET_ADDRSTRLEN];

	if (n->bridge[0] == '\0') {
		snprintf(buf, size, "%s", "");
		return;
	}
	inet_ntop(AF_INET, &n->subnet, a, sizeof(a));
	snprintf(buf, size, "%s/%d", a, n->prefixlen);
}

static void
created_text(int64_t t, char *buf, size_t size)
{
	struct tm tm;
	time_t s = (time_t)t;

	gmtime_r(&s, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S.000000000Z", &tm);
}

/* ---- filters -------------------------------------------------------- */

static bool
label_matches(json_t *labels, const char *want)
{
	const char *eq = strchr(want, '=');
	json_t *v;

	if (eq == NULL)
		return (json_object_get(labels, want) != NULL);
	{
		char key[256];

		snprintf(key, sizeof(key), "%.*s", (int)(eq - want), want);
		v = json_object_get(labels, key);
		return (json_is_string(v) && strcmp(json_string_value(v),
		    eq + 1) == 0);
	}
}

/* Each key any of its values; unknown keys are an error (Docker's). */
static int
matches(const struct network *n, json_t *filters, bool *out,
    struct berth_error *err)
{
	const char *key;
	json_t *values, *v;
	size_t i;

	*out = true;
	json_object_foreach(filters, key, values) {
		bool any = false;

		if (strcmp(key, "name") != 0 && strcmp(key, "id") != 0 &&
		    strcmp(key, "label") != 0 && strcmp(key, "driver") != 0 &&
		    strcmp(key, "type") != 0 && strcmp(key, "until") != 0) {
			berth_error_set(err, NET_E_CONFIG, 0, "invalid filter "
			    "'%s'", key);
			return (berth_error_param_str(err, "field",
			    "filters"));
		}
		json_array_foreach(values, i, v) {
			const char *s = json_string_value(v);

			if (s == NULL)
				continue;
			if (strcmp(key, "name") == 0)
				any |= strstr(n->name, s) != NULL;
			else if (strcmp(key, "id") == 0)
				any |= strncmp(n->id, s, strlen(s)) == 0;
			else if (strcmp(key, "label") == 0)
				any |= label_matches(n->labels, s);
			else if (strcmp(key, "driver") == 0)
				any |= strcmp(n->driver, s) == 0;
			else if (strcmp(key, "type") == 0) {
				if (strcmp(s, "builtin") != 0 &&
				    strcmp(s, "custom") != 0) {
					berth_error_set(err, NET_E_CONFIG, 0,
					    "invalid filter: 'type'='%s'", s);
					return (berth_error_param_str(err,
					    "field", "filters"));
				}
				any |= (strcmp(s, "builtin") == 0) ==
				    n->builtin;
			} else {
				char *end;
				long long t = strtoll(s, &end, 10);

				if (end == s || *end != '\0') {
					berth_error_set(err, NET_E_CONFIG, 0,
					    "invalid filter 'until=%s': unix "
					    "seconds", s);
					return (berth_error_param_str(err,
					    "field", "filters"));
				}
				any |= n->created < t;
			}
		}
		if (json_array_size(values) > 0 && !any)
			*out = false;
	}
	return (0);
}

/* ---- handlers ------------------------------------------------------- */

int
network_api_create(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	cleanup_json json_t *labels = param_json(call, "labels");
	char name[256], driver[32], subnet[64], gateway[64];
	const char *s, *g;
	struct network *n;

	(void)p;
	if (param_str(call, "name", name, sizeof(name)) == NULL ||
	    !container_name_valid(name)) {
		berth_error_set(err, NET_E_CONFIG, 0, "invalid network name "
		    "\"%s\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
		    param_str(call, "name", name, sizeof(name)) != NULL ?
		    name : "");
		return (berth_error_param_str(err, "field", "name"));
	}
	if (param_str(call, "driver", driver, sizeof(driver)) != NULL &&
	    strcmp(driver, "bridge") != 0) {
		berth_error_set(err, NET_E_CONFIG, 0, "plugin \"%s\" not "
		    "found: only the bridge driver is supported", driver);
		return (berth_error_param_str(err, "field", "driver"));
	}
	if (network_find(d, name, &n, err) == 0 && strcmp(n->name,
	    name) == 0) {
		berth_error_set(err, NET_E_NAME_IN_USE, 0, "network with name "
		    "%s already exists", name);
		return (berth_error_param_str(err, "name", name));
	}
	berth_error_clear(err);
	if (strcmp(name, "host") == 0 || strcmp(name, "none") == 0) {
		berth_error_set(err, NET_E_BUILTIN, 0, "%s is a pre-defined "
		    "network and cannot be created", name);
		return (berth_error_param_str(err, "network", name));
	}
	s = param_str(call, "subnet", subnet, sizeof(subnet));
	g = param_str(call, "gateway", gateway, sizeof(gateway));
	if (network_create(d, name, s, g, param_true(call, "internal"),
	    json_is_object(labels) ? labels : NULL, &n, err) < 0)
		return (-1);
	msgpack_pack_map(pk, 1);
	pack_kv_str(pk, "id", n->id);
	return (0);
}

static void
pack_labels(msgpack_packer *pk, json_t *labels)
{
	json_pack_msgpack(pk, json_is_object(labels) ? labels : json_object());
}

int
network_api_list(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	cleanup_json json_t *filters = param_json(call, "filters");
	struct network *n;
	char sub[32], gw[INET_ADDRSTRLEN];
	size_t count = 0;
	bool ok;

	(void)p;
	TAILQ_FOREACH(n, &d->net->nets, entry) {
		if (matches(n, filters, &ok, err) < 0)
			return (-1);
		count += ok;
	}
	msgpack_pack_map(pk, 1);
	pack_str(pk, "networks");
	msgpack_pack_array(pk, count);
	TAILQ_FOREACH(n, &d->net->nets, entry) {
		(void)matches(n, filters, &ok, err);
		if (!ok)
			continue;
		subnet_text(n, sub, sizeof(sub));
		if (n->bridge[0] != '\0')
			inet_ntop(AF_INET, &n->gateway, gw, sizeof(gw));
		else
			gw[0] = '\0';
		msgpack_pack_map(pk, 9);
		pack_kv_str(pk, "id", n->id);
		pack_kv_str(pk, "name", n->name);
		pack_kv_str(pk, "driver", n->driver);
		pack_kv_str(pk, "scope", "local");
		pack_str(pk, "internal");
		n->internal ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
		pack_kv_str(pk, "subnet", sub);
		pack_kv_str(pk, "gateway", gw);
		pack_str(pk, "created");
		msgpack_pack_int64(pk, n->created);
		pack_str(pk, "labels");
		pack_labels(pk, n->labels);
	}
	return (0);
}

static json_t *
inspect_doc(struct daemon *d, struct network *n)
{
	json_t *doc, *ctrs = json_object(), *cfg = json_array();
	char sub[32], gw[INET_ADDRSTRLEN], created[64];
	struct container *c;

	subnet_text(n, sub, sizeof(sub));
	created_text(n->created, created, sizeof(created));
	if (n->bridge[0] != '\0') {
		inet_ntop(AF_INET, &n->gateway, gw, sizeof(gw));
		json_array_append_new(cfg, json_pack("{s:s, s:s}", "Subnet",
		    sub, "Gateway", gw));
	}
	TAILQ_FOREACH(c, &d->containers, entry) {
		json_t *ep = json_object_get(json_object_get(c->net_state,
		    "endpoints"), n->id);
		char addr[64];

		if (c->state != CTR_RUNNING)
			continue;
		if (ep == NULL) {
			/* host and none: running containers in that mode. */
			json_t *mode = json_object_get(json_object_get(
			    c->config, "host"), "network_mode");

			if (n->bridge[0] != '\0' || !json_is_string(mode) ||
			    strcmp(json_string_value(mode), n->name) != 0)
				continue;
			json_object_set_new(ctrs, c->id, json_pack("{s:s, s:s, "
			    "s:s, s:s, s:s}", "Name", c->name, "EndpointID",
			    c->id, "MacAddress", "", "IPv4Address", "",
			    "IPv6Address", ""));
			continue;
		}
		snprintf(addr, sizeof(addr), "%s/%d", json_string_value(
		    json_object_get(ep, "address")), (int)json_integer_value(
		    json_object_get(ep, "prefixlen")));
		json_object_set_new(ctrs, c->id, json_pack("{s:s, s:s, s:O, "
		    "s:s, s:s}", "Name", c->name, "EndpointID", c->id,
		    "MacAddress", json_object_get(ep, "mac"), "IPv4Address",
		    addr, "IPv6Address", ""));
	}
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:{}, s:o}, "
	    "s:b, s:b, s:b, s:{s:s}, s:b, s:o, s:{}, s:O}",
	    "Name", n->name, "Id", n->id, "Created", created,
	    "Scope", "local", "Driver", n->driver, "EnableIPv6", false,
	    "IPAM", "Driver", "default", "Options", "Config", cfg,
	    "Internal", n->internal, "Attachable", false, "Ingress", false,
	    "ConfigFrom", "Network", "", "ConfigOnly", false,
	    "Containers", ctrs, "Options", "Labels", n->labels);
	if (doc != NULL && n->bridge[0] != '\0')
		json_object_set_new(json_object_get(doc, "Options"),
		    "com.docker.network.bridge.name", json_string(n->bridge));
	return (doc);
}

int
network_api_inspect(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	cleanup_json json_t *doc = NULL;
	struct network *n;

	(void)p;
	if (find_network(d, call, &n, err) < 0)
		return (-1);
	if ((doc = inspect_doc(d, n)) == NULL)
		return (berth_error_sys(err, "inspect %s", n->name));
	msgpack_pack_map(pk, 1);
	pack_str(pk, "network");
	json_pack_msgpack(pk, doc);
	return (0);
}

/* Does any container's config name n (running or not)? */
static struct container *
configured_user(struct daemon *d, struct network *n)
{
	struct container *c;
	json_t *names, *v;
	size_t i;

	TAILQ_FOREACH(c, &d->containers, entry) {
		names = network_container_networks(c);
		json_array_foreach(names, i, v)
			if (strcmp(json_string_value(v), n->name) == 0 ||
			    strcmp(json_string_value(v), n->id) == 0) {
				json_decref(names);
				return (c);
			}
		json_decref(names);
	}
	return (NULL);
}

int
network_api_remove(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	struct network *n;

	(void)p;
	if (find_network(d, call, &n, err) < 0 || network_remove(d, n,
	    err) < 0)
		return (-1);
	msgpack_pack_map(pk, 0);
	return (0);
}

int
network_api_prune(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	cleanup_json json_t *filters = param_json(call, "filters");
	cleanup_json json_t *deleted = json_array();
	struct network *n, *next;
	bool ok;

	(void)p;
	if (json_object_get(filters, "name") != NULL ||
	    json_object_get(filters, "id") != NULL ||
	    json_object_get(filters, "driver") != NULL ||
	    json_object_get(filters, "type") != NULL) {
		berth_error_set(err, NET_E_CONFIG, 0, "invalid filter: prune "
		    "takes label and until");
		return (berth_error_param_str(err, "field", "filters"));
	}
	for (n = TAILQ_FIRST(&d->net->nets); n != NULL; n = next) {
		next = TAILQ_NEXT(n, entry);
		if (matches(n, filters, &ok, err) < 0)
			return (-1);
		if (!ok || n->builtin || n->users > 0 ||
		    configured_user(d, n) != NULL)
			continue;
		json_array_append_new(deleted, json_string(n->name));
		if (network_remove(d, n, err) < 0)
			return (-1);
	}
	msgpack_pack_map(pk, 1);
	pack_str(pk, "deleted");
	json_pack_msgpack(pk, deleted);
	return (0);
}

/* ---- connect and disconnect ----------------------------------------- */

static bool
connected(struct container *c, struct network *n)
{
	json_t *names = network_container_networks(c), *v;
	size_t i;
	bool yes = false;

	json_array_foreach(names, i, v)
		yes |= strcmp(json_string_value(v), n->name) == 0 ||
		    strcmp(json_string_value(v), n->id) == 0;
	json_decref(names);
	return (yes);
}

int
network_api_connect(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	cleanup_json json_t *aliases = param_json(call, "aliases");
	cleanup_json json_t *epconf = NULL;
	char ip[64];
	const char *mode;
	struct container *c;
	struct network *n;
	json_t *nets;

	(void)p;
	if (find_network(d, call, &n, err) < 0 ||
	    find_container(d, call, &c, err) < 0)
		return (-1);
	mode = network_mode_of(c);
	if (n->bridge[0] == '\0' || strcmp(mode, "host") == 0 ||
	    strcmp(mode, "none") == 0 || strncmp(mode, "container:",
	    10) == 0) {
		berth_error_set(err, NET_E_CONFIG, 0, n->bridge[0] == '\0' ?
		    "container cannot be disconnected from host network or "
		    "connected to host network" : "container sharing network "
		    "namespace with another container or host cannot be "
		    "connected to any other network");
		return (berth_error_param_str(err, "field", "network"));
	}
	if (connected(c, n)) {
		berth_error_set(err, NET_E_CONNECTED, 0, "endpoint with name "
		    "%s already exists in network %s", c->name, n->name);
		berth_error_param_str(err, "network", n->name);
		return (berth_error_param_str(err, "container", c->name));
	}
	epconf = json_object();
	if (json_is_array(aliases))
		json_object_set(epconf, "aliases", aliases);
	if (param_str(call, "ipv4_address", ip, sizeof(ip)) != NULL)
		json_object_set_new(epconf, "ipv4_address", json_string(ip));
	if (!network_user_defined(n) && (json_object_size(epconf) > 0)) {
		berth_error_set(err, NET_E_CONFIG, 0, json_object_get(epconf,
		    "ipv4_address") != NULL ? "user specified IP address is "
		    "supported on user defined networks only" :
		    "network-scoped alias is supported only for containers "
		    "in user defined networks");
		return (berth_error_param_str(err, "field", "aliases"));
	}
	if (c->state == CTR_RUNNING && network_container_connect(c, n, epconf,
	    err) < 0)
		return (-1);
	if (!json_is_object(nets = json_object_get(c->config, "networks"))) {
		nets = json_object();
		json_object_set_new(c->config, "networks", nets);
	}
	json_object_set(nets, n->name, epconf);
	if (container_save(c, err) < 0)
		return (-1);
	event_emit(d, "network", "connect", n->id, json_pack("{s:s, s:s, "
	    "s:s}", "name", n->name, "type", n->driver, "container", c->id));
	msgpack_pack_map(pk, 0);
	return (0);
}

int
network_api_disconnect(struct daemon *d, struct peer *p,
    const struct call *call, msgpack_packer *pk, struct berth_error *err)
{
	struct container *c;
	struct network *n;
	json_t *nets, *host;
	const char *mode;

	(void)p;
	if (find_network(d, call, &n, err) < 0 ||
	    find_container(d, call, &c, err) < 0)
		return (-1);
	if (n->bridge[0] == '\0') {
		berth_error_set(err, NET_E_BUILTIN, 0, "container cannot be "
		    "disconnected from host network or connected to host "
		    "network");
		return (berth_error_param_str(err, "network", n->name));
	}
	if (!connected(c, n)) {
		berth_error_set(err, NET_E_NOT_CONNECTED, 0, "container %s is "
		    "not connected to network %s", c->name, n->name);
		berth_error_param_str(err, "network", n->name);
		return (berth_error_param_str(err, "container", c->name));
	}
	if (c->state == CTR_RUNNING && network_container_disconnect(c, n,
	    err) < 0)
		return (-1);
	nets = json_object_get(c->config, "networks");
	json_object_del(nets, n->name);
	json_object_del(nets, n->id);
	host = json_object_get(c->config, "host");
	mode = network_mode_of(c);
	if (strcmp(mode, n->name) == 0 || strcmp(mode, n->id) == 0) {
		/* Its first network goes: the next one (or none) leads. */
		const char *next = NULL, *key;
		json_t *v;

		json_object_foreach(nets, key, v) {
			next = key;
			break;
		}
		if (!json_is_object(host)) {
			host = json_object();
			json_object_set_new(c->config, "host", host);
		}
		json_object_set_new(host, "network_mode", json_string(
		    next != NULL ? next : "none"));
	}
	if (container_save(c, err) < 0)
		return (-1);
	event_emit(d, "network", "disconnect", n->id, json_pack("{s:s, s:s, "
	    "s:s}", "name", n->name, "type", n->driver, "container", c->id));
	msgpack_pack_map(pk, 0);
	return (0);
}

/* ---- Container.Port ------------------------------------------------- */

int
container_api_port(struct daemon *d, struct peer *p, const struct call *call,
    msgpack_packer *pk, struct berth_error *err)
{
	struct container *c;
	json_t *ports, *v;
	size_t i, n;

	(void)p;
	if (find_container(d, call, &c, err) < 0)
		return (-1);
	ports = c->state == CTR_RUNNING ? json_object_get(c->net_state,
	    "ports") : NULL;
	n = json_array_size(ports);
	msgpack_pack_map(pk, 1);
	pack_str(pk, "ports");
	msgpack_pack_array(pk, n);
	json_array_foreach(ports, i, v) {
		msgpack_pack_map(pk, 4);
		pack_str(pk, "container_port");
		msgpack_pack_int(pk, (int)json_integer_value(json_object_get(v,
		    "container_port")));
		pack_kv_str(pk, "protocol", json_string_value(json_object_get(
		    v, "protocol")));
		pack_kv_str(pk, "host_ip", json_string_value(json_object_get(v,
		    "host_ip")));
		pack_str(pk, "host_port");
		msgpack_pack_int(pk, (int)json_integer_value(json_object_get(v,
		    "host_port")));
	}
	return (0);
}
