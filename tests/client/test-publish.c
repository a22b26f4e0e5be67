/*
 * run's and create's network options without a daemon: -p in each of
 * Docker's forms and its refusals, --expose, --add-host, --dns*, the
 * network modes with --network-alias and --ip, the Create config they
 * make, "berth port"'s PRIVATE_PORT, and that a bad value exits 125 with
 * nothing sent.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "container.h"
#include "publish.h"
#include "cli-run.h"
#include "unit.h"

/* -p spec as compact JSON: its bindings, then " | ", its exposed ports;
 * or "ERR: message". */
static char *
publish(const char *spec)
{
	struct berth_error err = BERTH_ERROR_INIT;
	json_t *b = json_array(), *e = json_array();
	char *bs, *es, *out;

	if (publish_parse(spec, b, e, &err) < 0) {
		if (asprintf(&out, "ERR: %s", berth_error_message(&err)) < 0)
			out = NULL;
		CHECK(berth_error_is(&err, CLI_E_USAGE));
		/* Nothing half added. */
		CHECK(json_array_size(b) == 0 || strstr(spec, ",") != NULL);
		berth_error_clear(&err);
	} else {
		bs = json_dumps(b, JSON_SORT_KEYS | JSON_COMPACT);
		es = json_dumps(e, JSON_COMPACT);
		if (asprintf(&out, "%s | %s", bs, es) < 0)
			out = NULL;
		free(bs);
		free(es);
	}
	json_decref(b);
	json_decref(e);
	return (out);
}

#define CHECK_PUBLISH(spec, want) do {					\
	char *got_ = publish(spec);					\
	CHECK_STR(got_, want);						\
	free(got_);							\
} while (0)

/* The error of spec contains want. */
#define CHECK_PUBLISH_ERR(spec, want) do {				\
	char *got_ = publish(spec);					\
	CHECK(got_ != NULL && strncmp(got_, "ERR: ", 5) == 0);	\
	if (got_ == NULL || strstr(got_, want) == NULL)			\
		fprintf(stderr, "# %s: '%s' lacks '%s'\n", spec,	\
		    got_ != NULL ? got_ : "(null)", want);		\
	CHECK(got_ != NULL && strstr(got_, want) != NULL);		\
	free(got_);							\
} while (0)

/* spec is taken. */
#define CHECK_PUBLISH_OK(spec) do {					\
	char *got_ = publish(spec);					\
	CHECK(got_ != NULL && strncmp(got_, "ERR: ", 5) != 0);		\
	free(got_);							\
} while (0)

static void
test_publish_forms(void)
{
	CHECK_PUBLISH("80", "[{\"container_port\":80,\"protocol\":\"tcp\"}]"
	    " | [\"80/tcp\"]");
	CHECK_PUBLISH("8080:80", "[{\"container_port\":80,\"host_port\":8080,"
	    "\"protocol\":\"tcp\"}] | [\"80/tcp\"]");
	CHECK_PUBLISH("8080:80/tcp", "[{\"container_port\":80,"
	    "\"host_port\":8080,\"protocol\":\"tcp\"}] | [\"80/tcp\"]");
	CHECK_PUBLISH("5353:53/udp", "[{\"container_port\":53,"
	    "\"host_port\":5353,\"protocol\":\"udp\"}] | [\"53/udp\"]");
	CHECK_PUBLISH("127.0.0.1:8080:80", "[{\"container_port\":80,"
	    "\"host_ip\":\"127.0.0.1\",\"host_port\":8080,"
	    "\"protocol\":\"tcp\"}] | [\"80/tcp\"]");
	/* IP with no host port: a free one on that address. */
	CHECK_PUBLISH("127.0.0.1::80", "[{\"container_port\":80,"
	    "\"host_ip\":\"127.0.0.1\",\"protocol\":\"tcp\"}] | [\"80/tcp\"]");
	CHECK_PUBLISH("0.0.0.0:8080:80/udp", "[{\"container_port\":80,"
	    "\"host_ip\":\"0.0.0.0\",\"host_port\":8080,"
	    "\"protocol\":\"udp\"}] | [\"80/udp\"]");
	/* Empty parts: as absent. */
	CHECK_PUBLISH(":80", "[{\"container_port\":80,\"protocol\":\"tcp\"}]"
	    " | [\"80/tcp\"]");
	CHECK_PUBLISH("::80", "[{\"container_port\":80,\"protocol\":\"tcp\"}]"
	    " | [\"80/tcp\"]");
	/* Host port 0: a free one, as Docker's. */
	CHECK_PUBLISH("0:80", "[{\"container_port\":80,\"protocol\":\"tcp\"}]"
	    " | [\"80/tcp\"]");
	CHECK_PUBLISH("65535:1", "[{\"container_port\":1,\"host_port\":65535,"
	    "\"protocol\":\"tcp\"}] | [\"1/tcp\"]");
	/* The protocol in any case, and an empty one, as Docker's. */
	CHECK_PUBLISH("8080:80/TCP", "[{\"container_port\":80,"
	    "\"host_port\":8080,\"protocol\":\"tcp\"}] | [\"80/tcp\"]");
	CHECK_PUBLISH("53/Udp", "[{\"container_port\":53,"
	    "\"protocol\":\"udp\"}] | [\"53/udp\"]");
	CHECK_PUBLISH("80/", "[{\"container_port\":80,\"protocol\":\"tcp\"}]"
	    " | [\"80/tcp\"]");
}

static void
test_publish_ranges(void)
{
	/* One container port on a host range: the first free one. */
	CHECK_PUBLISH("8000-8010:80", "[{\"container_port\":80,"
	    "\"host_port\":8000,\"host_port_end\":8010,\"protocol\":\"tcp\"}]"
	    " | [\"80/tcp\"]");
	CHECK_PUBLISH("127.0.0.1:8000-8001:80/udp", "[{\"container_port\":80,"
	    "\"host_ip\":\"127.0.0.1\",\"host_port\":8000,"
	    "\"host_port_end\":8001,\"protocol\":\"udp\"}] | [\"80/udp\"]");
	/* Ranges of the same length: one to one. */
	CHECK_PUBLISH("8000-8001:80-81", "[{\"container_port\":80,"
	    "\"host_port\":8000,\"protocol\":\"tcp\"},{\"container_port\":81,"
	    "\"host_port\":8001,\"protocol\":\"tcp\"}] | [\"80/tcp\","
	    "\"81/tcp\"]");
	/* A container range alone: each on a free port. */
	CHECK_PUBLISH("80-82/udp", "[{\"container_port\":80,"
	    "\"protocol\":\"udp\"},{\"container_port\":81,\"protocol\":\"udp\"},"
	    "{\"container_port\":82,\"protocol\":\"udp\"}] | [\"80/udp\","
	    "\"81/udp\",\"82/udp\"]");
	/* A range of one. */
	CHECK_PUBLISH("8080-8080:80-80", "[{\"container_port\":80,"
	    "\"host_port\":8080,\"protocol\":\"tcp\"}] | [\"80/tcp\"]");
	CHECK_PUBLISH_ERR("8000:80-81", "invalid ranges specified for "
	    "container and host Ports: 80-81 and 8000");
	CHECK_PUBLISH_ERR("8000-8002:80-81", "invalid ranges specified");
	CHECK_PUBLISH_ERR("81-80", "invalid containerPort: 81-80");
	CHECK_PUBLISH_ERR("8001-8000:80", "invalid hostPort: 8001-8000");
	CHECK_PUBLISH_ERR("1-65535", "too large: at most 1024 ports");
	CHECK_PUBLISH_ERR("1-1025", "too large");
	CHECK_PUBLISH_ERR("2001-3025:1-1025", "too large");
	CHECK_PUBLISH_OK("1-1024");
	/* A host range for one container port is one binding, however
	 * long: the bound is on container ports. */
	CHECK_PUBLISH("8000-9100:80", "[{\"container_port\":80,"
	    "\"host_port\":8000,\"host_port_end\":9100,\"protocol\":\"tcp\"}]"
	    " | [\"80/tcp\"]");
	CHECK_PUBLISH("1-65535:80/udp", "[{\"container_port\":80,"
	    "\"host_port\":1,\"host_port_end\":65535,\"protocol\":\"udp\"}]"
	    " | [\"80/udp\"]");
	CHECK_PUBLISH_ERR("80-", "invalid containerPort");
	CHECK_PUBLISH_ERR("-80", "invalid containerPort");
	CHECK_PUBLISH_ERR("80--81", "invalid containerPort");
}

static void
test_publish_refusals(void)
{
	CHECK_PUBLISH_ERR("", "no port specified");
	CHECK_PUBLISH_ERR("8080:", "no port specified");
	CHECK_PUBLISH_ERR("127.0.0.1:8080:", "no port specified");
	CHECK_PUBLISH_ERR("0", "invalid containerPort: 0");
	CHECK_PUBLISH_ERR("65536", "invalid containerPort: 65536");
	CHECK_PUBLISH_ERR("123456", "invalid containerPort");
	CHECK_PUBLISH_ERR("http", "invalid containerPort: http");
	CHECK_PUBLISH_ERR("8080:80x", "invalid containerPort: 80x");
	CHECK_PUBLISH_ERR("+80", "invalid containerPort");
	CHECK_PUBLISH_ERR(" 80", "invalid containerPort");
	CHECK_PUBLISH_ERR("65536:80", "invalid hostPort: 65536");
	CHECK_PUBLISH_ERR("x:80", "invalid hostPort: x");
	CHECK_PUBLISH_ERR("00:80", "invalid hostPort: 00");
	CHECK_PUBLISH_ERR("80/sctp", "invalid protocol \"sctp\"");
	CHECK_PUBLISH_ERR("80/SCTP", "invalid protocol \"SCTP\"");
	CHECK_PUBLISH_ERR("80/tcp/udp", "invalid protocol");
	CHECK_PUBLISH_ERR("1.2.3:8080:80", "invalid IP address \"1.2.3\"");
	CHECK_PUBLISH_ERR("localhost:8080:80", "invalid IP address "
	    "\"localhost\"");
	CHECK_PUBLISH_ERR("256.0.0.1:8080:80", "invalid IP address");
	CHECK_PUBLISH_ERR("[::1]:8080:80", "IPv6 host addresses are not "
	    "supported");
	CHECK_PUBLISH_ERR("::1:8080:80", "IPv6");
	CHECK_PUBLISH_ERR("1:2:3:4", "invalid port specification");
}

static void
test_publish_exposed_deduplicated(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	json_t *b = json_array(), *e = json_array();
	char *s;

	CHECK(publish_parse("8080:80", b, e, &err) == 0);
	CHECK(publish_parse("127.0.0.1:9090:80", b, e, &err) == 0);
	CHECK(publish_parse("80/udp", b, e, &err) == 0);
	CHECK(publish_parse_expose("79-81", e, &err) == 0);
	CHECK(json_array_size(b) == 3);
	s = json_dumps(e, JSON_COMPACT);
	CHECK_STR(s, "[\"80/tcp\",\"80/udp\",\"79/tcp\",\"81/tcp\"]");
	free(s);
	json_decref(b);
	json_decref(e);
}

static void
test_expose(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	json_t *e = json_array();
	char *s;

	CHECK(publish_parse_expose("80", e, &err) == 0);
	CHECK(publish_parse_expose("53/udp", e, &err) == 0);
	CHECK(publish_parse_expose("8000-8002/tcp", e, &err) == 0);
	CHECK(publish_parse_expose("80/tcp", e, &err) == 0);
	s = json_dumps(e, JSON_COMPACT);
	CHECK_STR(s, "[\"80/tcp\",\"53/udp\",\"8000/tcp\",\"8001/tcp\","
	    "\"8002/tcp\"]");
	free(s);
	CHECK(publish_parse_expose("80:80", e, &err) == -1);
	CHECK(strstr(berth_error_message(&err), "invalid port format for "
	    "--expose: 80:80") != NULL);
	CHECK(publish_parse_expose("x", e, &err) == -1);
	CHECK(strstr(berth_error_message(&err), "invalid range format for "
	    "--expose: x") != NULL);
	CHECK(publish_parse_expose("90-80", e, &err) == -1);
	CHECK(publish_parse_expose("0", e, &err) == -1);
	CHECK(publish_parse_expose("70000", e, &err) == -1);
	CHECK(publish_parse_expose("80/icmp", e, &err) == -1);
	CHECK(strstr(berth_error_message(&err), "icmp") != NULL);
	CHECK(publish_parse_expose("1-60000", e, &err) == -1);
	CHECK(strstr(berth_error_message(&err), "too large") != NULL);
	CHECK(publish_parse_expose("", e, &err) == -1);
	CHECK(berth_error_is(&err, CLI_E_USAGE));
	CHECK(json_array_size(e) == 5);
	json_decref(e);
	berth_error_clear(&err);
}

static void
test_add_host(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char *s;

	s = publish_parse_add_host("db:10.0.0.5", &err);
	CHECK_STR(s, "db:10.0.0.5");
	free(s);
	s = publish_parse_add_host("db=10.0.0.5", &err);
	CHECK_STR(s, "db:10.0.0.5");
	free(s);
	/* IPv6: split at the first ':' (or at '='), brackets dropped. */
	s = publish_parse_add_host("v6:::1", &err);
	CHECK_STR(s, "v6:::1");
	free(s);
	s = publish_parse_add_host("v6=[fd00::1]", &err);
	CHECK_STR(s, "v6:fd00::1");
	free(s);
	s = publish_parse_add_host("v6:[::1]", &err);
	CHECK_STR(s, "v6:::1");
	free(s);
	s = publish_parse_add_host("my.host-name:192.168.1.1", &err);
	CHECK_STR(s, "my.host-name:192.168.1.1");
	free(s);
	/* The host as the container reaches it: the daemon fills it in. */
	s = publish_parse_add_host("host.docker.internal:host-gateway",
	    &err);
	CHECK_STR(s, "host.docker.internal:host-gateway");
	free(s);
	s = publish_parse_add_host("gw=host-gateway", &err);
	CHECK_STR(s, "gw:host-gateway");
	free(s);
	/* A name never has a ':' (Docker's words). */
	CHECK(publish_parse_add_host("a:b=10.0.0.1", &err) == NULL);
	CHECK(strstr(berth_error_message(&err), "bad format for add-host: "
	    "\"a:b=10.0.0.1\"") != NULL);
	CHECK(publish_parse_add_host("a:b=host-gateway", &err) == NULL);
	CHECK(strstr(berth_error_message(&err), "bad format") != NULL);
	CHECK(publish_parse_add_host("gw:host-gateway2", &err) == NULL);
	CHECK(strstr(berth_error_message(&err), "invalid IP address") !=
	    NULL);
	CHECK(publish_parse_add_host("nocolon", &err) == NULL);
	CHECK(strstr(berth_error_message(&err), "bad format for add-host: "
	    "\"nocolon\"") != NULL);
	CHECK(publish_parse_add_host(":10.0.0.1", &err) == NULL);
	CHECK(strstr(berth_error_message(&err), "bad format") != NULL);
	CHECK(publish_parse_add_host("db:", &err) == NULL);
	CHECK(publish_parse_add_host("db:notanip", &err) == NULL);
	CHECK(strstr(berth_error_message(&err), "invalid IP address in "
	    "add-host: \"notanip\"") != NULL);
	CHECK(publish_parse_add_host("db:10.0.0", &err) == NULL);
	CHECK(publish_parse_add_host("a b:10.0.0.1", &err) == NULL);
	CHECK(berth_error_is(&err, CLI_E_USAGE));
	berth_error_clear(&err);
}

static void
test_port_argument(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const char *proto;
	int port;

	CHECK(publish_parse_port("80", &port, &proto, &err) == 0 &&
	    port == 80);
	CHECK_STR(proto, "tcp");
	CHECK(publish_parse_port("53/udp", &port, &proto, &err) == 0 &&
	    port == 53);
	CHECK_STR(proto, "udp");
	CHECK(publish_parse_port("443/tcp", &port, &proto, &err) == 0 &&
	    port == 443);
	CHECK(publish_parse_port("0", &port, &proto, &err) == -1);
	CHECK(publish_parse_port("80-81", &port, &proto, &err) == -1);
	CHECK(publish_parse_port("web", &port, &proto, &err) == -1);
	CHECK(strstr(berth_error_message(&err), "invalid port \"web\"") !=
	    NULL);
	CHECK(publish_parse_port("80/sctp", &port, &proto, &err) == -1);
	berth_error_clear(&err);
}

static char *
fake_env(const char *name)
{
	(void)name;
	return (NULL);
}

static char *
config_of(const char *const *in)
{
	struct berth_error err = BERTH_ERROR_INIT;
	json_t *p = run_params(fake_env, in, &err);
	char *s;

	if (p == NULL) {
		if (asprintf(&s, "ERR: %s", berth_error_message(&err)) < 0)
			s = NULL;
		CHECK(berth_error_is(&err, CLI_E_USAGE));
		berth_error_clear(&err);
		return (s);
	}
	s = json_dumps(json_object_get(p, "config"), JSON_SORT_KEYS |
	    JSON_COMPACT);
	json_decref(p);
	return (s);
}

#define CHECK_CONFIG(want, ...) do {					\
	char *got_ = config_of((const char *[]){ __VA_ARGS__, NULL });	\
	CHECK_STR(got_, want);						\
	free(got_);							\
} while (0)

#define CHECK_REFUSED(want, ...) do {					\
	char *got_ = config_of((const char *[]){ __VA_ARGS__, NULL });	\
	CHECK(got_ != NULL && strncmp(got_, "ERR: ", 5) == 0 &&	\
	    strstr(got_, want) != NULL);				\
	if (got_ == NULL || strstr(got_, want) == NULL)			\
		fprintf(stderr, "# '%s' lacks '%s'\n", got_ != NULL ?	\
		    got_ : "(null)", want);				\
	free(got_);							\
} while (0)

static void
test_config_fields(void)
{
	CHECK_CONFIG("{\"exposed_ports\":[\"80/tcp\",\"53/udp\","
	    "\"9000/tcp\"],\"host\":{\"port_bindings\":[{\"container_port\":80,"
	    "\"host_port\":8080,\"protocol\":\"tcp\"},{\"container_port\":53,"
	    "\"host_ip\":\"127.0.0.1\",\"protocol\":\"udp\"}],"
	    "\"publish_all\":true},\"image\":\"busybox\"}",
	    "-p", "8080:80", "--publish", "127.0.0.1::53/udp", "-P",
	    "--expose", "9000", "busybox");
	CHECK_CONFIG("{\"host\":{\"dns\":[\"10.0.0.2\",\"fd00::53\"],"
	    "\"dns_search\":[\"example.com\",\".\"],"
	    "\"extra_hosts\":[\"db:10.0.0.5\",\"cache:10.0.0.6\"]},"
	    "\"image\":\"busybox\"}",
	    "--dns", "10.0.0.2", "--dns", "fd00::53", "--dns-search",
	    "example.com", "--dns-search", ".", "--add-host", "db:10.0.0.5",
	    "--add-host", "cache=10.0.0.6", "busybox");
	/* No network flag: nothing sent, berthd's default (bridge). */
	CHECK_CONFIG("{\"image\":\"busybox\"}", "busybox");
	CHECK_CONFIG("{\"host\":{\"network_mode\":\"bridge\"},"
	    "\"image\":\"busybox\"}", "--network", "bridge", "busybox");
	CHECK_CONFIG("{\"host\":{\"network_mode\":\"bridge\"},"
	    "\"image\":\"busybox\"}", "--network", "default", "busybox");
	CHECK_CONFIG("{\"host\":{\"network_mode\":\"none\"},"
	    "\"image\":\"busybox\"}", "--network", "none", "busybox");
	CHECK_CONFIG("{\"host\":{\"network_mode\":\"host\"},"
	    "\"image\":\"busybox\"}", "--network=host", "busybox");
	/* The host's network: -p and -P dropped (run warns), the ports
	 * still exposed, as Docker's. */
	CHECK_CONFIG("{\"exposed_ports\":[\"80/tcp\"],\"host\":"
	    "{\"network_mode\":\"host\"},\"image\":\"busybox\"}",
	    "--network", "host", "-p", "8080:80", "-P", "busybox");
	CHECK_CONFIG("{\"host\":{\"extra_hosts\":[\"gw:host-gateway\"]},"
	    "\"image\":\"busybox\"}", "--add-host", "gw:host-gateway",
	    "busybox");
	CHECK_CONFIG("{\"host\":{\"network_mode\":\"container:web\"},"
	    "\"image\":\"busybox\"}", "--network", "container:web", "busybox");
	/* A user-defined network: named first in networks. */
	CHECK_CONFIG("{\"host\":{\"network_mode\":\"mynet\"},"
	    "\"image\":\"busybox\",\"networks\":{\"mynet\":{}}}",
	    "--network", "mynet", "busybox");
	CHECK_CONFIG("{\"host\":{\"network_mode\":\"mynet\"},"
	    "\"image\":\"busybox\",\"networks\":{\"mynet\":{\"aliases\":"
	    "[\"db\",\"primary\"],\"ipv4_address\":\"172.30.0.9\"}}}",
	    "--network", "mynet", "--network-alias", "db",
	    "--network-alias", "primary", "--ip", "172.30.0.9", "busybox");
}

static void
test_config_refusals(void)
{
	CHECK_REFUSED("network-scoped aliases are only supported for "
	    "user-defined networks", "--network-alias", "a", "busybox");
	CHECK_REFUSED("network-scoped aliases are only supported for "
	    "user-defined networks", "--network", "bridge",
	    "--network-alias", "a", "busybox");
	CHECK_REFUSED("network-scoped aliases", "--network", "host",
	    "--network-alias", "a", "busybox");
	CHECK_REFUSED("network-scoped aliases", "--network", "none",
	    "--network-alias", "a", "busybox");
	CHECK_REFUSED("user specified IP address is supported on user "
	    "defined networks only", "--ip", "172.17.0.9", "busybox");
	CHECK_REFUSED("user specified IP address", "--network", "bridge",
	    "--ip", "172.17.0.9", "busybox");
	CHECK_REFUSED("invalid IPv4 address: 300.1.1.1", "--network", "mynet",
	    "--ip", "300.1.1.1", "busybox");
	CHECK_REFUSED("invalid IPv4 address: fd00::9", "--network", "mynet",
	    "--ip", "fd00::9", "busybox");
	CHECK_REFUSED("only one --network", "--network", "a", "--network",
	    "b", "busybox");
	CHECK_REFUSED("invalid container format", "--network", "container:",
	    "busybox");
	CHECK_REFUSED("conflicting options: port publishing and the container "
	    "type network mode", "--network", "container:web", "-p", "80",
	    "busybox");
	CHECK_REFUSED("conflicting options: port publishing", "--network",
	    "container:web", "-P", "busybox");
	CHECK_REFUSED("conflicting options: port exposing", "--network",
	    "container:web", "--expose", "80", "busybox");
	CHECK_REFUSED("conflicting options: hostname and the network mode",
	    "--network", "container:web", "-h", "box", "busybox");
	CHECK_REFUSED("conflicting options: dns and the network mode",
	    "--network", "container:web", "--dns", "10.0.0.2", "busybox");
	CHECK_REFUSED("conflicting options: custom host-to-IP mapping",
	    "--network", "container:web", "--add-host", "a:10.0.0.1",
	    "busybox");
	CHECK_REFUSED("invalid containerPort: x", "-p", "x", "busybox");
	CHECK_REFUSED("invalid ranges specified", "-p", "8000:80-81",
	    "busybox");
	CHECK_REFUSED("invalid range format for --expose", "--expose", "a",
	    "busybox");
	CHECK_REFUSED("invalid --dns nameserver", "--dns", "nameserver",
	    "busybox");
	CHECK_REFUSED("invalid --dns-search -bad", "--dns-search", "-bad",
	    "busybox");
	CHECK_REFUSED("bad format for add-host", "--add-host", "x",
	    "busybox");
}

/* Run berth -H NODAEMON with the words of c (NULL-terminated). */
static void
run_nodaemon(struct run *r, const char *const *c)
{
	const char *argv[16] = { "berth", NODAEMON };
	int j;

	for (j = 0; c[j] != NULL && j < 12; j++)
		argv[3 + j] = c[j];
	argv[3 + j] = NULL;
	run_cli(r, argv);
}

/* Bad values: the message, no attempt to reach the daemon (so nothing
 * can have been created), and Docker's exit code: 125 and the pointer
 * to --help for what flag parsing refuses, 1 and no pointer for values
 * the command refuses (Docker's daemon or CLI refuses them after
 * parsing). */
static void
test_cli_refuses_before_connecting(void)
{
	static const char *const usage[][8] = {
		{ "run", "-p", "99999:80", "busybox", NULL },
		{ "create", "-p", "80/sctp", "busybox", NULL },
		{ "run", "--network-alias", "a", "busybox", NULL },
		{ "run", "--expose", "1-60000", "busybox", NULL },
		{ "run", "--add-host", "a:b=10.0.0.1", "busybox", NULL },
		{ "network", "ls", "-f", "nokey", NULL },
		{ "network", "ls", "--format", "{{.ID", NULL },
		{ "network", "connect", "--ip", "1.2.3", "n", "c", NULL },
	};
	static const char *const refused[][10] = {
		{ "network", "create", "--subnet", "10.1.0.0/33", "n", NULL },
		{ "network", "create", "--subnet", "nonsense", "n", NULL },
		{ "network", "create", "--subnet", "10.9.0.0/ 16", "n", NULL },
		{ "network", "create", "--subnet", "10.9.0.0/+16", "n", NULL },
		{ "network", "create", "--subnet", "10.9.0.0/", "n", NULL },
		{ "network", "create", "--subnet", "10.9.0.0/16x", "n", NULL },
		{ "network", "create", "--gateway", "10.1.0.1", "n", NULL },
		{ "network", "create", "--subnet", "10.1.0.0/16", "--gateway",
		    "x", "n", NULL },
		{ "network", "create", "--subnet", "10.1.0.0/16", "--gateway",
		    "10.1.0.1", "--gateway", "10.1.0.2", "n", NULL },
		{ "network", "create", "", NULL },
		{ "port", "c", "http", NULL },
		{ "port", "c", "80/sctp", NULL },
	};
	struct run r;
	size_t i;

	for (i = 0; i < sizeof(usage) / sizeof(usage[0]); i++) {
		run_nodaemon(&r, usage[i]);
		if (r.rc != CLI_EXIT_ENGINE || strstr(r.err, "See '") == NULL)
			fprintf(stderr, "# usage case %zu: rc %d: %s", i,
			    r.rc, r.err);
		CHECK(r.rc == CLI_EXIT_ENGINE);
		CHECK(strstr(r.err, "Cannot connect") == NULL);
		CHECK(strncmp(r.err, "Error", 5) == 0);
		CHECK(strstr(r.err, "See '") != NULL);
		CHECK_STR(r.out, "");
		run_free(&r);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		run_nodaemon(&r, refused[i]);
		if (r.rc != CLI_EXIT_FAILURE || strstr(r.err, "See '") != NULL)
			fprintf(stderr, "# refused case %zu: rc %d: %s", i,
			    r.rc, r.err);
		CHECK(r.rc == CLI_EXIT_FAILURE);
		CHECK(strstr(r.err, "Cannot connect") == NULL);
		CHECK(strncmp(r.err, "Error: ", 7) == 0);
		CHECK(strstr(r.err, "See '") == NULL);
		CHECK_STR(r.out, "");
		run_free(&r);
	}
	run_nodaemon(&r, (const char *[]){ "network", "create", "--subnet",
	    "10.1.0.0/16", "--gateway", "10.1.0.1", "--gateway", "10.1.0.2",
	    "n", NULL });
	CHECK_STR(r.err, "Error: cannot configure multiple gateways "
	    "(10.1.0.2, 10.1.0.1) for the same subnet (10.1.0.0/16)\n");
	run_free(&r);
	run_nodaemon(&r, (const char *[]){ "network", "create", "--subnet",
	    "10.9.0.0/ 16", "n", NULL });
	CHECK(strstr(r.err, "invalid CIDR address: 10.9.0.0/ 16") != NULL);
	run_free(&r);
	run_nodaemon(&r, (const char *[]){ "port", "c", "http", NULL });
	CHECK(strstr(r.err, "Error: invalid port \"http\"") != NULL);
	run_free(&r);
	/* Good subnets go on to the daemon. */
	run_nodaemon(&r, (const char *[]){ "network", "create", "--subnet",
	    "10.9.0.0/8", "--gateway", "10.9.0.1", "n", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE && strstr(r.err, "Cannot connect") !=
	    NULL);
	run_free(&r);
	run_nodaemon(&r, (const char *[]){ "network", "create", "--subnet",
	    "0.0.0.0/0", "n", NULL });
	CHECK(strstr(r.err, "Cannot connect") != NULL);
	run_free(&r);
	/* -p with --network host: Docker's warning, then on to the
	 * daemon. */
	run_nodaemon(&r, (const char *[]){ "run", "--network", "host", "-p",
	    "80", "busybox", NULL });
	CHECK(strncmp(r.err, "WARNING: Published ports are discarded when "
	    "using host network mode\n", 68) == 0);
	CHECK(strstr(r.err, "Cannot connect") != NULL);
	run_free(&r);
	run_nodaemon(&r, (const char *[]){ "run", "--network", "host",
	    "busybox", NULL });
	CHECK(strstr(r.err, "WARNING") == NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", NODAEMON, "run", "-p",
	    "8000:80-81", "busybox", NULL });
	CHECK(strstr(r.err, "invalid ranges specified for container and host "
	    "Ports") != NULL && strstr(r.err, "See 'berth run --help'.") !=
	    NULL);
	run_free(&r);
	/* A filter berthd would refuse: Docker's words and exit 1. */
	run_cli(&r, (const char *[]){ "berth", NODAEMON, "network", "ls",
	    "-f", "color=red", NULL });
	CHECK(r.rc == CLI_EXIT_FAILURE && strstr(r.err, "invalid filter "
	    "'color'") != NULL && strstr(r.err, "Cannot connect") == NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", NODAEMON, "network", "prune",
	    "-f", "--filter", "driver=bridge", NULL });
	CHECK(r.rc == CLI_EXIT_FAILURE && strstr(r.err, "invalid filter "
	    "'driver'") != NULL && strstr(r.err, "Cannot connect") == NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", NODAEMON, "network", "create",
	    "--subnet", "10.1.0.0/33", "n", NULL });
	CHECK(strstr(r.err, "invalid CIDR address: 10.1.0.0/33") != NULL);
	run_free(&r);
	/* rm -f and its help. */
	run_cli(&r, (const char *[]){ "berth", "network", "rm", "--help",
	    NULL });
	CHECK(r.rc == 0 && strstr(r.out, "Do not error if the network does "
	    "not exist") != NULL);
	run_free(&r);
	/* Good values go on to the daemon. */
	run_cli(&r, (const char *[]){ "berth", NODAEMON, "run", "-d", "-p",
	    "127.0.0.1:8000-8001:80-81/udp", "--network", "mynet",
	    "--network-alias", "web", "busybox", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE && strstr(r.err, "Cannot connect") !=
	    NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", NODAEMON, "network", "ls",
	    "-f", "name=a", "-f", "label=x=y", "-q", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE && strstr(r.err, "Cannot connect") !=
	    NULL);
	run_free(&r);
}

/* The group and its commands come from the table: help, aliases, the
 * top-level "port" and "container port". */
static void
test_network_commands_in_table(void)
{
	static const char *const subs[] = { "connect", "create", "disconnect",
	    "inspect", "ls", "prune", "rm" };
	struct run r;
	size_t i;

	run_cli(&r, (const char *[]){ "berth", "help", "network", NULL });
	CHECK(r.rc == 0);
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		CHECK(strstr(r.out, subs[i]) != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "network", "list", "--help",
	    NULL });
	CHECK(r.rc == 0 && strstr(r.out, "network ls, network list") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "network", "remove", "--help",
	    NULL });
	CHECK(r.rc == 0 && strstr(r.out, "network rm, network remove") !=
	    NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "container", "port", "--help",
	    NULL });
	CHECK(r.rc == 0 && strstr(r.out, "CONTAINER [PRIVATE_PORT[/PROTO]]") !=
	    NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "network", "create", NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE && strstr(r.err, "requires exactly 1 "
	    "argument") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "network", "connect", "n",
	    NULL });
	CHECK(r.rc == CLI_EXIT_ENGINE && strstr(r.err, "requires exactly 2 "
	    "arguments") != NULL);
	run_free(&r);
	run_cli(&r, (const char *[]){ "berth", "run", "--help", NULL });
	CHECK(strstr(r.out, "-p, --publish PORTS") != NULL &&
	    strstr(r.out, "-P, --publish-all") != NULL &&
	    strstr(r.out, "--network-alias ALIAS") != NULL &&
	    strstr(r.out, "--add-host NAME:IP") != NULL);
	run_free(&r);
	/* The manual page has them too. */
	run_cli(&r, (const char *[]){ "berth", "help", "--man", NULL });
	CHECK(r.rc == 0 && strstr(r.out, "network create") != NULL &&
	    strstr(r.out, "publish\\-all") != NULL);
	run_free(&r);
}

int
main(void)
{
	unsetenv("BERTH_HOST");
	RUN(test_publish_forms);
	RUN(test_publish_ranges);
	RUN(test_publish_refusals);
	RUN(test_publish_exposed_deduplicated);
	RUN(test_expose);
	RUN(test_add_host);
	RUN(test_port_argument);
	RUN(test_config_fields);
	RUN(test_config_refusals);
	RUN(test_cli_refuses_before_connecting);
	RUN(test_network_commands_in_table);
	UNIT_EXIT();
}
