/*
 * run's and create's network options read as Docker's CLI reads them
 * (its nat.ParsePortSpec, --expose, --add-host, and the network mode
 * checks its daemon makes), turned into the Create call's fields.  See
 * publish.h for the forms taken.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "cli.h"
#include "publish.h"

#define PORT_MAX	65535

bool
publish_ipv4_valid(const char *s)
{
	struct in_addr a;

	return (inet_pton(AF_INET, s, &a) == 1);
}

static bool
ip_valid(const char *s)
{
	struct in6_addr a;

	return (publish_ipv4_valid(s) || inet_pton(AF_INET6, s, &a) == 1);
}

/* A port number of len characters at s, in [min, PORT_MAX]. */
static bool
port_number(const char *s, size_t len, int min, int *out)
{
	size_t i;
	int n = 0;

	if (len == 0 || len > 5)
		return (false);
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return (false);
		n = n * 10 + (s[i] - '0');
	}
	if (n < min || n > PORT_MAX)
		return (false);
	*out = n;
	return (true);
}

/* "A" or "A-B" (A <= B) at s, len characters. */
static bool
port_range(const char *s, size_t len, int min, int *start, int *end)
{
	const char *dash = memchr(s, '-', len);

	if (dash == NULL) {
		if (!port_number(s, len, min, start))
			return (false);
		*end = *start;
		return (true);
	}
	return (port_number(s, (size_t)(dash - s), min, start) &&
	    port_number(dash + 1, len - (size_t)(dash - s) - 1, min, end) &&
	    *start <= *end);
}

/* "/tcp" or "/udp" ending spec, in any case (absent or empty: tcp, as
 * Docker's SplitProtoPort); *len is cut before it. */
static int
split_proto(const char *spec, const char *what, size_t *len,
    const char **proto, struct berth_error *err)
{
	const char *slash = memchr(spec, '/', *len);

	*proto = "tcp";
	if (slash == NULL)
		return (0);
	if (slash[1] == '\0' || strcasecmp(slash + 1, "tcp") == 0)
		*proto = "tcp";
	else if (strcasecmp(slash + 1, "udp") == 0)
		*proto = "udp";
	else
		return (berth_error_set(err, CLI_E_USAGE, 0, "invalid "
		    "protocol \"%s\" in %s \"%s\": tcp or udp", slash + 1,
		    what, spec));
	*len = (size_t)(slash - spec);
	return (0);
}

static int
add_exposed(json_t *exposed, int port, const char *proto)
{
	char key[16];
	json_t *v;
	size_t i;

	snprintf(key, sizeof(key), "%d/%s", port, proto);
	json_array_foreach(exposed, i, v)
		if (strcmp(json_string_value(v), key) == 0)
			return (0);
	return (json_array_append_new(exposed, json_string(key)));
}

static int
too_many(const char *spec, struct berth_error *err)
{
	return (berth_error_set(err, CLI_E_USAGE, 0, "port range in \"%s\" "
	    "is too large: at most %d ports", spec, PUBLISH_RANGE_MAX));
}

static int
add_binding(json_t *bindings, int cport, const char *proto, const char *ip,
    int hport, int hend)
{
	json_t *b = json_pack("{s:i, s:s}", "container_port", cport,
	    "protocol", proto);

	if (b == NULL)
		return (-1);
	if (*ip != '\0')
		json_object_set_new(b, "host_ip", json_string(ip));
	if (hport > 0)
		json_object_set_new(b, "host_port", json_integer(hport));
	if (hend > hport)
		json_object_set_new(b, "host_port_end", json_integer(hend));
	return (json_array_append_new(bindings, b));
}

int
publish_parse(const char *spec, json_t *bindings, json_t *exposed,
    struct berth_error *err)
{
	cleanup_free char *ip = NULL;
	const char *proto, *c1, *c2, *cport, *hport = NULL;
	size_t len = strlen(spec), clen, hlen = 0;
	int cs, ce, hs = 0, he = 0, i;

	if (len == 0)
		return (berth_error_set(err, CLI_E_USAGE, 0, "invalid port "
		    "specification: \"\": no port specified"));
	if (spec[0] == '[')
		return (berth_error_set(err, CLI_E_USAGE, 0, "invalid port "
		    "specification: \"%s\": IPv6 host addresses are not "
		    "supported", spec));
	if (split_proto(spec, "port specification", &len, &proto, err) < 0)
		return (-1);
	/* CONTAINER, HOST:CONTAINER or IP:HOST:CONTAINER. */
	c1 = memchr(spec, ':', len);
	c2 = c1 != NULL ? memchr(c1 + 1, ':', len - (size_t)(c1 - spec) -
	    1) : NULL;
	if (c2 != NULL && memchr(c2 + 1, ':', len - (size_t)(c2 - spec) -
	    1) != NULL)
		return (berth_error_set(err, CLI_E_USAGE, 0, "invalid port "
		    "specification: \"%s\" (IPv6 host addresses are not "
		    "supported)", spec));
	if (c2 != NULL) {
		if ((ip = strndup(spec, (size_t)(c1 - spec))) == NULL)
			return (berth_error_sys(err, "publish"));
		hport = c1 + 1;
		hlen = (size_t)(c2 - hport);
		cport = c2 + 1;
	} else if (c1 != NULL) {
		hport = spec;
		hlen = (size_t)(c1 - spec);
		cport = c1 + 1;
	} else
		cport = spec;
	clen = len - (size_t)(cport - spec);
	if (ip == NULL && (ip = strdup("")) == NULL)
		return (berth_error_sys(err, "publish"));
	if (*ip != '\0' && !publish_ipv4_valid(ip))
		return (berth_error_set(err, CLI_E_USAGE, 0, "invalid IP "
		    "address \"%s\" in port specification \"%s\" (IPv4 "
		    "only)", ip, spec));
	if (clen == 0)
		return (berth_error_set(err, CLI_E_USAGE, 0, "no port "
		    "specified: \"%s\" has no container port", spec));
	if (!port_range(cport, clen, 1, &cs, &ce))
		return (berth_error_set(err, CLI_E_USAGE, 0, "invalid "
		    "containerPort: %.*s (in \"%s\": 1-65535, or a range "
		    "START-END)", (int)clen, cport, spec));
	if (hlen > 0 && !(hlen == 1 && hport[0] == '0') &&
	    !port_range(hport, hlen, 1, &hs, &he))
		return (berth_error_set(err, CLI_E_USAGE, 0, "invalid "
		    "hostPort: %.*s (in \"%s\": 1-65535, or a range "
		    "START-END)", (int)hlen, hport, spec));
	/* A host range for one container port is one binding, however
	 * long; only what makes many bindings is bounded. */
	if (ce - cs >= PUBLISH_RANGE_MAX)
		return (too_many(spec, err));
	if (hs > 0 && ce - cs != he - hs && ce != cs)
		return (berth_error_set(err, CLI_E_USAGE, 0, "invalid ranges "
		    "specified for container and host Ports: %.*s and %.*s "
		    "(a container range needs a host range of the same "
		    "length)", (int)clen, cport, (int)hlen, hport));
	for (i = 0; i <= ce - cs; i++) {
		/* One to one; or one container port on a host range. */
		if (add_binding(bindings, cs + i, proto, ip, hs > 0 ? hs +
		    (ce != cs ? i : 0) : 0, ce != cs ? 0 : he) < 0 ||
		    add_exposed(exposed, cs + i, proto) < 0)
			return (berth_error_sys(err, "publish"));
	}
	return (0);
}

int
publish_parse_expose(const char *spec, json_t *exposed,
    struct berth_error *err)
{
	const char *proto;
	size_t len = strlen(spec);
	int s, e, i;

	if (strchr(spec, ':') != NULL)
		return (berth_error_set(err, CLI_E_USAGE, 0, "invalid port "
		    "format for --expose: %s (PORT[/PROTO] or "
		    "START-END[/PROTO])", spec));
	if (split_proto(spec, "--expose", &len, &proto, err) < 0)
		return (-1);
	if (!port_range(spec, len, 1, &s, &e))
		return (berth_error_set(err, CLI_E_USAGE, 0, "invalid range "
		    "format for --expose: %s (PORT[/PROTO] or "
		    "START-END[/PROTO], ports 1-65535)", spec));
	if (e - s >= PUBLISH_RANGE_MAX)
		return (too_many(spec, err));
	for (i = s; i <= e; i++)
		if (add_exposed(exposed, i, proto) < 0)
			return (berth_error_sys(err, "expose"));
	return (0);
}

char *
publish_parse_add_host(const char *spec, struct berth_error *err)
{
	cleanup_free char *name = NULL, *ip = NULL;
	const char *sep = strchr(spec, '=');
	char *out;
	size_t n;

	/* NAME=IP, else NAME:IP split at the first ':' (IPv6 addresses
	 * have more); a name never has a ':'. */
	if (sep == NULL)
		sep = strchr(spec, ':');
	if (sep == NULL || sep == spec || memchr(spec, ':',
	    (size_t)(sep - spec)) != NULL) {
		berth_error_set(err, CLI_E_USAGE, 0, "bad format for add-host: "
		    "\"%s\" (NAME:IP, NAME=IP or NAME:%s)", spec,
		    PUBLISH_HOST_GATEWAY);
		return (NULL);
	}
	if ((name = strndup(spec, (size_t)(sep - spec))) == NULL)
		goto oom;
	/* "[::1]" as Docker takes it: the brackets are not the address. */
	n = strlen(sep + 1);
	if (sep[1] == '[' && n > 2 && sep[n] == ']')
		ip = strndup(sep + 2, n - 2);
	else
		ip = strdup(sep + 1);
	if (ip == NULL)
		goto oom;
	/* host-gateway: the daemon puts the container's gateway there. */
	if (strcmp(ip, PUBLISH_HOST_GATEWAY) != 0 && !ip_valid(ip)) {
		berth_error_set(err, CLI_E_USAGE, 0, "invalid IP address in "
		    "add-host: \"%s\"", sep + 1);
		return (NULL);
	}
	if (strpbrk(name, " \t\r\n") != NULL) {
		berth_error_set(err, CLI_E_USAGE, 0, "bad format for add-host: "
		    "\"%s\": the name has white space", spec);
		return (NULL);
	}
	if (asprintf(&out, "%s:%s", name, ip) < 0)
		goto oom;
	return (out);
oom:
	berth_error_sys(err, "add-host");
	return (NULL);
}

int
publish_parse_port(const char *spec, int *port, const char **proto,
    struct berth_error *err)
{
	size_t len = strlen(spec);

	if (split_proto(spec, "port", &len, proto, err) < 0)
		return (-1);
	if (!port_number(spec, len, 1, port))
		return (berth_error_set(err, CLI_E_USAGE, 0, "invalid port "
		    "\"%s\": PRIVATE_PORT[/PROTO], a port 1-65535", spec));
	return (0);
}

/* Docker's ValidateDNSSearch: "." or a domain name. */
static bool
dns_search_valid(const char *s)
{
	size_t len = strlen(s);
	const char *p;

	if (strcmp(s, ".") == 0)
		return (true);
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > 255 || s[0] == '-' || s[0] == '.')
		return (false);
	for (p = s; p < s + len; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    *p != '_')
			return (false);
	return (true);
}

static bool
is_builtin_mode(const char *mode)
{
	return (strcmp(mode, "bridge") == 0 || strcmp(mode, "none") == 0 ||
	    strcmp(mode, "host") == 0 || strncmp(mode, "container:", 10) == 0);
}

/* What a container joining another's network namespace cannot have of
 * its own (Docker's daemon refuses the same). */
static int
check_container_mode(const struct args *a, struct berth_error *err)
{
	static const struct {
		const char	*flag;
		const char	*what;
	} conflicts[] = {
		{ "hostname", "hostname and the network mode" },
		{ "dns", "dns and the network mode" },
		{ "dns-search", "dns and the network mode" },
		{ "add-host", "custom host-to-IP mapping and the network mode" },
		{ "publish", "port publishing and the container type network "
		    "mode" },
		{ "publish-all", "port publishing and the container type "
		    "network mode" },
		{ "expose", "port exposing and the container type network "
		    "mode" },
	};
	size_t i;

	for (i = 0; i < sizeof(conflicts) / sizeof(conflicts[0]); i++)
		if (args_has(a, conflicts[i].flag))
			return (berth_error_set(err, CLI_E_USAGE, 0,
			    "conflicting options: %s", conflicts[i].what));
	return (0);
}

/* --network, --network-alias, --ip: network_mode and networks. */
static int
network_mode(const struct args *a, json_t *cfg, json_t *host,
    struct berth_error *err)
{
	const char *const *v, *mode = NULL, *ip = args_get(a, "ip");
	json_t *ep, *nets;
	int n, naliases;
	bool user;

	v = args_all(a, "network", &n);
	if (n > 1)
		return (berth_error_set(err, CLI_E_USAGE, 0, "only one "
		    "--network can be given: connect more with '%s network "
		    "connect' once the container exists", CLI_NAME));
	if (n == 1 && *v[0] != '\0')
		mode = strcmp(v[0], "default") == 0 ? "bridge" : v[0];
	user = mode != NULL && !is_builtin_mode(mode);
	args_all(a, "network-alias", &naliases);
	if (naliases > 0 && !user)
		return (berth_error_set(err, CLI_E_USAGE, 0, "network-scoped "
		    "aliases are only supported for user-defined networks"));
	if (ip != NULL && !user)
		return (berth_error_set(err, CLI_E_USAGE, 0, "user specified "
		    "IP address is supported on user defined networks only"));
	if (ip != NULL && !publish_ipv4_valid(ip))
		return (berth_error_set(err, CLI_E_USAGE, 0, "invalid IPv4 "
		    "address: %s", ip));
	if (mode == NULL)
		return (0);
	if (strncmp(mode, "container:", 10) == 0) {
		if (mode[10] == '\0')
			return (berth_error_set(err, CLI_E_USAGE, 0, "--network: "
			    "invalid container format container:<name|id>"));
		if (check_container_mode(a, err) < 0)
			return (-1);
	}
	if (json_object_set_new(host, "network_mode", json_string(mode)) < 0)
		return (berth_error_sys(err, "network"));
	if (!user)
		return (0);
	if ((ep = json_object()) == NULL || (nets = json_object()) == NULL) {
		json_decref(ep);
		return (berth_error_sys(err, "network"));
	}
	json_object_set_new(nets, mode, ep);
	json_object_set_new(cfg, "networks", nets);
	if (naliases > 0)
		json_object_set_new(ep, "aliases", json_strings(args_all(a,
		    "network-alias", &naliases), naliases));
	if (ip != NULL)
		json_object_set_new(ep, "ipv4_address", json_string(ip));
	return (0);
}

/* --dns, --dns-search, --add-host. */
static int
name_options(const struct args *a, json_t *host, struct berth_error *err)
{
	const char *const *v;
	json_t *list;
	char *h;
	int i, n;

	v = args_all(a, "dns", &n);
	for (i = 0; i < n; i++)
		if (!ip_valid(v[i]))
			return (berth_error_set(err, CLI_E_USAGE, 0, "invalid "
			    "--dns %s: IP address is not correctly formatted",
			    v[i]));
	if (n > 0)
		json_object_set_new(host, "dns", json_strings(v, n));
	v = args_all(a, "dns-search", &n);
	for (i = 0; i < n; i++)
		if (!dns_search_valid(v[i]))
			return (berth_error_set(err, CLI_E_USAGE, 0, "invalid "
			    "--dns-search %s: not a valid domain", v[i]));
	if (n > 0)
		json_object_set_new(host, "dns_search", json_strings(v, n));
	v = args_all(a, "add-host", &n);
	if (n == 0)
		return (0);
	if ((list = json_array()) == NULL)
		return (berth_error_sys(err, "add-host"));
	json_object_set_new(host, "extra_hosts", list);
	for (i = 0; i < n; i++) {
		if ((h = publish_parse_add_host(v[i], err)) == NULL)
			return (-1);
		json_array_append_new(list, json_string(h));
		free(h);
	}
	return (0);
}

bool
publish_discarded(const struct args *a)
{
	const char *const *v;
	int n;

	v = args_all(a, "network", &n);
	return (n == 1 && strcmp(v[0], "host") == 0 &&
	    (args_has(a, "publish") || args_has(a, "publish-all")));
}

int
publish_network_options(const struct args *a, json_t *cfg, json_t *host,
    struct berth_error *err)
{
	cleanup_json json_t *bindings = json_array(), *exposed = json_array();
	const char *const *v;
	int i, n;

	if (bindings == NULL || exposed == NULL)
		return (berth_error_sys(err, "network options"));
	if (network_mode(a, cfg, host, err) < 0 ||
	    name_options(a, host, err) < 0)
		return (-1);
	v = args_all(a, "publish", &n);
	for (i = 0; i < n; i++)
		if (publish_parse(v[i], bindings, exposed, err) < 0)
			return (-1);
	/* The host's own ports: nothing to publish (the caller warns);
	 * the ports stay exposed, as Docker's. */
	if (publish_discarded(a))
		json_array_clear(bindings);
	v = args_all(a, "expose", &n);
	for (i = 0; i < n; i++)
		if (publish_parse_expose(v[i], exposed, err) < 0)
			return (-1);
	if (args_has(a, "publish-all") && !publish_discarded(a))
		json_object_set_new(host, "publish_all", json_true());
	if (json_array_size(bindings) > 0)
		json_object_set(host, "port_bindings", bindings);
	if (json_array_size(exposed) > 0)
		json_object_set(cfg, "exposed_ports", exposed);
	return (0);
}
