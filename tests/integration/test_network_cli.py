"""Docker's network commands in the berth CLI against a real berthd (in a
network namespace of the test's own, see harness.Daemon): network create,
ls, inspect, rm, connect, disconnect, prune with Docker's output and
error wording; run's -p/-P/--expose/--network/--network-alias/--ip and
their refusals (exit 125, nothing created); berth port; completion of
network names."""
import json
import re
import tempfile

from test_container_cli import Busybox

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def fails(p, code, *messages):
    """p exited with code and its stderr holds every message."""
    err = p.stderr.decode()
    assert p.returncode == code, (p.args, p.returncode, p.stdout, err)
    for m in messages:
        assert m in err, (p.args, m, err)
    return err


def answer(text):
    """A stdin that says text."""
    f = tempfile.TemporaryFile()
    f.write(text.encode())
    f.seek(0)
    return f


def names(b, *args):
    return b.ok("network", "ls", "--format", "{{.Name}}", *args).split()


def builtin(b):
    """The builtin networks berth lists: bridge, and host and none when it
    lists them as Docker does."""
    got = names(b, "-f", "type=builtin")
    assert "bridge" in got and set(got) <= {"bridge", "host", "none"}, got
    return got


def check_names(b, *custom):
    """ls lists the builtin networks and custom, sorted by name."""
    got = names(b)
    assert got == sorted(builtin(b) + list(custom)), (got, custom)
    assert names(b, "-f", "type=custom") == sorted(custom)


def inspect_network(b, name):
    doc = json.loads(b.ok("network", "inspect", name))
    assert isinstance(doc, list) and len(doc) == 1, doc
    return doc[0]


def test_network_create_ls_inspect_rm_round_trip(ctx):
    with Busybox(ctx) as b:
        # The builtin ones are there from the start.
        check_names(b)
        out = b.ok("network", "create", "--subnet", "172.30.0.0/16",
                   "--gateway", "172.30.0.1", "--label", "tier=web",
                   "--label", "empty", "mynet")
        nid = out.strip()
        assert HEX64.match(nid), out
        check_names(b, "mynet")

        # Docker's table: its header, a 12-character id, sorted by name.
        lines = b.ok("network", "ls").splitlines()
        assert re.match(r"^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE$",
                        lines[0]), lines
        rows = [l.split() for l in lines[1:]]
        assert [r[1] for r in rows] == sorted(builtin(b) + ["mynet"]), rows
        mine = [r for r in rows if r[1] == "mynet"][0]
        assert mine == [nid[:12], "mynet", "bridge", "local"], rows
        assert all(len(r[0]) == 12 for r in rows), rows

        # -q, --no-trunc, -f, --format.
        assert nid[:12] in b.ok("network", "ls", "-q").split()
        assert nid in b.ok("network", "ls", "-q", "--no-trunc").split()
        assert b.ok("network", "ls", "-q", "-f", "name=mynet").split() == \
            [nid[:12]]
        assert names(b, "-f", "label=tier=web") == ["mynet"]
        assert names(b, "-f", "label=tier") == ["mynet"]
        assert names(b, "-f", "type=custom") == ["mynet"]
        assert "mynet" not in names(b, "-f", "type=builtin")
        assert names(b, "-f", "id=" + nid) == ["mynet"]
        assert names(b, "-f", "driver=bridge", "-f", "name=mynet") == \
            ["mynet"]
        # Labels sorted by key, as ps prints them.
        assert b.ok("network", "ls", "-f", "name=mynet", "--format",
                    "{{.Name}} {{.Internal}} {{.Labels}}") == \
            "mynet false empty=,tier=web\n"
        rows = [json.loads(l) for l in b.ok(
            "network", "ls", "--format", "json").splitlines()]
        assert sorted(r["Name"] for r in rows) == \
            sorted(builtin(b) + ["mynet"]), rows
        assert [r["ID"] for r in rows if r["Name"] == "mynet"] == \
            [nid[:12]], rows

        # inspect: Docker's document, in a JSON array.
        doc = inspect_network(b, "mynet")
        assert doc["Name"] == "mynet" and doc["Id"] == nid, doc
        assert doc["Driver"] == "bridge" and doc["Scope"] == "local", doc
        assert doc["Internal"] is False, doc
        assert doc["IPAM"]["Config"][0]["Subnet"] == "172.30.0.0/16", doc
        assert doc["IPAM"]["Config"][0]["Gateway"] == "172.30.0.1", doc
        assert doc["Labels"] == {"tier": "web", "empty": ""}, doc
        assert doc["Containers"] == {}, doc
        # By id and by a prefix of it, and -f.
        assert inspect_network(b, nid)["Name"] == "mynet"
        assert inspect_network(b, nid[:5])["Name"] == "mynet"
        assert b.ok("network", "inspect", "-f", "{{.Name}} {{.Driver}}",
                    "mynet") == "mynet bridge\n"
        both = json.loads(b.ok("network", "inspect", "mynet", "bridge"))
        assert [d["Name"] for d in both] == ["mynet", "bridge"], both

        # rm prints what it was given, and it is gone.
        assert b.ok("network", "rm", "mynet") == "mynet\n"
        check_names(b)
        p = b.run("network", "inspect", "mynet")
        fails(p, 1, "Error: No such network: mynet")
        assert json.loads(p.stdout) == [], p.stdout


def test_network_create_without_options_and_internal(ctx):
    with Busybox(ctx) as b:
        nid = b.ok("network", "create", "plain").strip()
        doc = inspect_network(b, "plain")
        assert doc["Id"] == nid and doc["Driver"] == "bridge", doc
        subnet = doc["IPAM"]["Config"][0]["Subnet"]
        assert re.match(r"^\d+\.\d+\.\d+\.\d+/\d+$", subnet), doc
        b.ok("network", "create", "--internal", "-d", "bridge", "closed")
        assert inspect_network(b, "closed")["Internal"] is True
        assert b.ok("network", "ls", "-f", "name=closed", "--format",
                    "{{.Internal}}") == "true\n"
        # Each got a subnet of its own.
        other = inspect_network(b, "closed")["IPAM"]["Config"][0]["Subnet"]
        assert other != subnet, (subnet, other)
        assert b.ok("network", "rm", "plain", "closed") == "plain\nclosed\n"
        check_names(b)


def test_network_create_and_rm_errors(ctx):
    with Busybox(ctx) as b:
        b.ok("network", "create", "--subnet", "172.31.0.0/16", "mynet")
        # A name taken: Docker's words, nothing more created.
        fails(b.run("network", "create", "mynet"), 1,
              "Error response from daemon: network with name mynet "
              "already exists")
        fails(b.run("network", "create", "bridge"), 1,
              "network with name bridge already exists")
        check_names(b, "mynet")
        # An overlapping subnet.
        fails(b.run("network", "create", "--subnet", "172.31.5.0/24",
                    "other"), 1, "Error response from daemon: ",
              "overlaps")
        # Bad values: refused before anything reaches berthd, exit 1
        # and no pointer to --help (Docker's: not flag-parse errors).
        for flags, message in (
                (["--subnet", "172.32.0.0/33"],
                 "invalid CIDR address: 172.32.0.0/33"),
                (["--subnet", "not-a-subnet"],
                 "invalid CIDR address: not-a-subnet"),
                (["--subnet", "172.32.0.0/ 16"],
                 "invalid CIDR address: 172.32.0.0/ 16"),
                (["--gateway", "172.33.0.1"],
                 "every ip-range or gateway must have a corresponding "
                 "subnet"),
                (["--subnet", "172.33.0.0/16", "--gateway", "gw"],
                 "invalid gateway address: gw"),
                (["--subnet", "172.33.0.0/16", "--gateway", "172.33.0.1",
                  "--gateway", "172.33.0.2"],
                 "cannot configure multiple gateways (172.33.0.2, "
                 "172.33.0.1) for the same subnet (172.33.0.0/16)")):
            err = fails(b.run("network", "create", *flags, "bad"), 1,
                        "Error: " + message)
            assert "--help" not in err, err
        err = fails(b.run("network", "create", ""), 1,
                    "Error: the network name cannot be empty")
        assert "--help" not in err, err
        fails(b.run("network", "create"), 125,
              "\"berth network create\" requires exactly 1 argument.",
              "See 'berth network create --help'.")
        # A driver berth does not have.
        fails(b.run("network", "create", "-d", "overlay", "bad"), 1,
              "Error response from daemon: ")
        check_names(b, "mynet")

        # rm: an unknown one, a builtin one, several with one unknown.
        fails(b.run("network", "rm", "nope"), 1,
              "Error: No such network: nope")
        fails(b.run("network", "rm", "bridge"), 1,
              "Error response from daemon: bridge is a pre-defined "
              "network and cannot be removed")
        fails(b.run("network", "rm"), 125,
              "\"berth network rm\" requires at least 1 argument.")
        p = b.run("network", "rm", "nope", "mynet")
        fails(p, 1, "Error: No such network: nope")
        assert p.stdout == b"mynet\n", p.stdout
        check_names(b)
        # -f: one that is not there is no error; others still are.
        b.ok("network", "create", "gone")
        p = b.run("network", "rm", "-f", "nope", "gone")
        assert (p.returncode, p.stdout, p.stderr) == (0, b"gone\n", b""), p
        fails(b.run("network", "rm", "--force", "bridge"), 1,
              "bridge is a pre-defined network")
        check_names(b)
        # Filters berthd does not know: Docker's words.
        fails(b.run("network", "ls", "-f", "color=red"), 1,
              "invalid filter 'color'")
        fails(b.run("network", "ls", "-f", "color"), 125,
              "bad format of filter (expected name=value)")
        fails(b.run("network", "inspect", "-f", "{{.Name", "bridge"), 125)


def test_network_connect_disconnect_and_in_use(ctx):
    with Busybox(ctx) as b:
        b.ok("network", "create", "--subnet", "172.30.0.0/16", "front")
        b.ok("network", "create", "--subnet", "172.29.0.0/16", "back")
        try:
            b.ok("run", "-d", "--name", "app", "--network", "front",
                 "--network-alias", "web", "--ip", "172.30.0.50", "busybox",
                 "sleep", "1000")
            cid = b.ok("inspect", "-f", "{{.Id}}", "app").strip()
            members = inspect_network(b, "front")["Containers"]
            assert list(members) == [cid], members
            assert members[cid]["Name"] == "app", members
            assert members[cid]["IPv4Address"].startswith(
                "172.30.0.50/"), members

            # connect: the container is on both; twice is refused.
            assert b.ok("network", "connect", "--alias", "db", "--ip",
                        "172.29.0.9", "back", "app") == ""
            members = inspect_network(b, "back")["Containers"]
            assert members[cid]["IPv4Address"].startswith(
                "172.29.0.9/"), members
            fails(b.run("network", "connect", "back", "app"), 1,
                  "Error response from daemon: ", "already exists in "
                  "network back")
            fails(b.run("network", "connect", "back", "nosuch"), 1,
                  "Error response from daemon: ", "nosuch")
            fails(b.run("network", "connect", "nonet", "app"), 1,
                  "Error response from daemon: network nonet not found")
            fails(b.run("network", "connect", "--ip", "172.29.0", "back",
                        "app"), 125, "invalid IPv4 address: 172.29.0")

            # In use: rm refused while the container runs.
            fails(b.run("network", "rm", "back"), 1,
                  "Error response from daemon: ", "active endpoints")
            assert "back" in names(b)

            # disconnect: gone from the network; twice is refused.
            assert b.ok("network", "disconnect", "back", "app") == ""
            assert inspect_network(b, "back")["Containers"] == {}
            fails(b.run("network", "disconnect", "back", "app"), 1,
                  "Error response from daemon: ", "is not connected to "
                  "network back")
            b.ok("network", "disconnect", "-f", "front", "app")
            assert inspect_network(b, "front")["Containers"] == {}
        finally:
            b.run("rm", "-f", "app")
        b.ok("network", "rm", "front", "back")
        assert b.ps("-a", "-q") == []


def test_network_prune(ctx):
    with Busybox(ctx) as b:
        for n in ("unused1", "unused2", "used"):
            b.ok("network", "create", "--label", f"name={n}", n)
        b.ok("create", "--name", "holder", "--network", "used", "busybox")
        # No -f: Docker's question; anything but y keeps them all.
        for reply in ("", "n\n", "no\n"):
            with answer(reply) as f:
                p = b.run("network", "prune", stdin=f, timeout=30)
            out = p.stdout.decode()
            assert p.returncode == 0, p
            assert "WARNING! This will remove all custom networks not used " \
                "by at least one container." in out, out
            assert "Are you sure you want to continue? [y/N]" in out, out
            assert "Deleted Networks" not in out, out
        check_names(b, "unused1", "unused2", "used")
        # A filter narrows it.
        out = b.ok("network", "prune", "-f", "--filter", "label=name=unused1")
        assert out == "Deleted Networks:\nunused1\n\n", out
        # y: what no container uses goes, the builtin ones stay.
        with answer("y\n") as f:
            out = b.ok("network", "prune", stdin=f)
        assert out.endswith("[y/N] Deleted Networks:\nunused2\n\n"), out
        check_names(b, "used")
        # Nothing left to prune: nothing printed.
        assert b.ok("network", "prune", "-f") == ""
        fails(b.run("network", "prune", "-f", "--filter", "driver=bridge"),
              1, "invalid filter 'driver'")
        b.ok("rm", "holder")
        assert b.ok("network", "prune", "-f") == \
            "Deleted Networks:\nused\n\n"


def test_publish_errors_exit_125_and_create_nothing(ctx):
    with Busybox(ctx) as b:
        b.ok("network", "create", "mynet")
        bad = [
            (["-p", "99999:80"], "invalid hostPort: 99999"),
            (["-p", "0"], "invalid containerPort: 0"),
            (["-p", "http"], "invalid containerPort: http"),
            (["-p", "8080:"], "no port specified"),
            (["-p", "80/sctp"], "invalid protocol \"sctp\""),
            (["-p", "8000:80-81"], "invalid ranges specified for container "
             "and host Ports: 80-81 and 8000"),
            (["-p", "8000-8002:80-81"], "invalid ranges specified"),
            (["-p", "1.2.3:8080:80"], "invalid IP address \"1.2.3\""),
            (["-p", "[::1]:8080:80"], "IPv6"),
            (["-p", "1:2:3:4"], "invalid port specification"),
            (["-p", "1-65535"], "too large"),
            (["--add-host", "a:b=1.2.3.4"], "bad format for add-host"),
            (["--expose", "eighty"], "invalid range format for --expose"),
            (["--expose", "80:80"], "invalid port format for --expose"),
            (["--add-host", "nocolon"], "bad format for add-host"),
            (["--add-host", "db:notanip"], "invalid IP address in add-host"),
            (["--dns", "resolver"], "invalid --dns resolver"),
            (["--network-alias", "web"], "network-scoped aliases are only "
             "supported for user-defined networks"),
            (["--ip", "172.30.0.9"], "user specified IP address is "
             "supported on user defined networks only"),
            (["--network", "mynet", "--ip", "300.0.0.1"],
             "invalid IPv4 address: 300.0.0.1"),
            (["--network", "container:"], "invalid container format"),
            (["--network", "container:other", "-p", "80"],
             "conflicting options: port publishing and the container type "
             "network mode"),
            (["--network", "container:other", "--add-host", "a:1.2.3.4"],
             "conflicting options: custom host-to-IP mapping"),
        ]
        for cmd in ("run", "create"):
            for flags, message in bad:
                p = b.run(cmd, "-d" if cmd == "run" else "--name=x",
                          *flags, "busybox", "true")
                fails(p, 125, message, f"See 'berth {cmd} --help'.")
                assert p.stdout == b"", p
        assert b.ps("-a", "-q") == []
        assert b.ok("network", "inspect", "-f", "{{len .Containers}}",
                    "mynet") == "0\n"


def test_network_alias_needs_a_user_defined_network(ctx):
    with Busybox(ctx) as b:
        for mode in (None, "bridge", "default", "host", "none"):
            net = [] if mode is None else ["--network", mode]
            fails(b.run("run", "--rm", *net, "--network-alias", "a",
                        "busybox", "true"), 125,
                  "network-scoped aliases are only supported for "
                  "user-defined networks")
        assert b.ps("-a", "-q") == []
        # On a user-defined network the alias resolves for its
        # neighbours, as the name does.
        b.ok("network", "create", "mynet")
        try:
            b.ok("run", "-d", "--name", "server", "--network", "mynet",
                 "--network-alias", "db", "busybox", "sleep", "1000")
            for name in ("db", "server"):
                b.ok("run", "--rm", "--network", "mynet", "busybox",
                     "ping", "-c", "1", "-W", "5", name)
        finally:
            b.run("rm", "-f", "server")
        b.ok("network", "rm", "mynet")


def test_port_output(ctx):
    with Busybox(ctx) as b:
        try:
            b.ok("run", "-d", "--name", "web", "-p", "127.0.0.1:18080:80",
                 "-p", "18081:81/udp", "-p", "18090-18091:90-91",
                 "busybox", "sleep", "1000")
            assert b.ok("port", "web").splitlines() == [
                "80/tcp -> 127.0.0.1:18080",
                "81/udp -> 0.0.0.0:18081",
                "90/tcp -> 0.0.0.0:18090",
                "91/tcp -> 0.0.0.0:18091",
            ]
            assert b.ok("port", "web", "80") == "127.0.0.1:18080\n"
            assert b.ok("port", "web", "80/tcp") == "127.0.0.1:18080\n"
            assert b.ok("port", "web", "81/udp") == "0.0.0.0:18081\n"
            assert b.ok("container", "port", "web", "91") == \
                "0.0.0.0:18091\n"
            # No match: the argument as given (current Docker).
            p = b.run("port", "web", "81")
            fails(p, 1, "Error: No public port '81' published for web")
            assert p.stdout == b""
            fails(b.run("port", "web", "82/udp"), 1,
                  "Error: No public port '82/udp' published for web")
            assert b.ok("port", "web", "81/UDP") == "0.0.0.0:18081\n"
            # A port that is no port: exit 1, no pointer to --help.
            err = fails(b.run("port", "web", "http"), 1,
                        "Error: invalid port \"http\"")
            assert "--help" not in err, err
            fails(b.run("port", "nosuch"), 1, "No such container: nosuch")
            fails(b.run("port"), 125, "requires at least 1 argument")

            # -P: the exposed ports (--expose, and -p's own) on free ports.
            b.ok("run", "-d", "--name", "all", "-P", "--expose", "7000",
                 "--expose", "7001/udp", "busybox", "sleep", "1000")
            rows = b.ok("port", "all").splitlines()
            assert len(rows) == 2, rows
            m0 = re.match(r"^7000/tcp -> 0\.0\.0\.0:(\d+)$", rows[0])
            m1 = re.match(r"^7001/udp -> 0\.0\.0\.0:(\d+)$", rows[1])
            assert m0 and m1, rows
            assert int(m0.group(1)) > 0 and int(m1.group(1)) > 0, rows
            # A host range: the first free port of it.
            b.ok("run", "-d", "--name", "ranged", "-p", "18100-18110:80",
                 "busybox", "sleep", "1000")
            port = int(b.ok("port", "ranged", "80").strip().split(":")[1])
            assert 18100 <= port <= 18110, port
            # No published port: nothing printed.
            b.ok("run", "-d", "--name", "quiet", "busybox", "sleep", "1000")
            assert b.ok("port", "quiet") == ""
        finally:
            b.run("rm", "-f", "web", "all", "ranged", "quiet")
        assert b.ps("-a", "-q") == []


def test_network_names_complete(ctx):
    with Busybox(ctx) as b:
        nid = b.ok("network", "create", "mynet").strip()
        b.ok("create", "--name", "box", "busybox")
        words = b.ok("completion", "words", "--", "network", "inspect",
                     "").split()
        assert "mynet" in words and "bridge" in words, words
        assert b.ok("completion", "words", "--", "network", "rm",
                    "my").split() == ["mynet"]
        assert nid[:12] in b.ok("completion", "words", "--", "network", "rm",
                                nid[:3]).split()
        # connect NETWORK CONTAINER: a network first, then a container.
        assert "mynet" in b.ok("completion", "words", "--", "network",
                               "connect", "").split()
        assert "box" in b.ok("completion", "words", "--", "network",
                             "connect", "mynet", "").split()
        b.ok("rm", "box")
        b.ok("network", "rm", "mynet")


def test_dns_search_and_add_host_reach_the_container(ctx):
    with Busybox(ctx) as b:
        out = b.ok("run", "--rm", "--dns", "10.9.9.9", "--dns-search",
                   "example.com", "--add-host", "db:10.0.0.5", "--add-host",
                   "cache=10.0.0.6", "busybox", "sh", "-c",
                   "cat /etc/resolv.conf; echo ---; cat /etc/hosts")
        resolv, hosts = out.split("---\n")
        assert "nameserver 10.9.9.9" in resolv.splitlines(), resolv
        assert "search example.com" in resolv.splitlines(), resolv
        hosts = [l.split() for l in hosts.splitlines()]
        assert ["10.0.0.5", "db"] in hosts and \
            ["10.0.0.6", "cache"] in hosts, hosts
        assert b.ps("-a", "-q") == []


def test_network_container_mode_shares_the_namespace(ctx):
    with Busybox(ctx) as b:
        try:
            b.ok("run", "-d", "--name", "first", "busybox", "sleep", "1000")
            mine = b.ok("exec", "first", "cat", "/sys/class/net/eth0/address")
            theirs = b.ok("run", "--rm", "--network", "container:first",
                          "busybox", "cat", "/sys/class/net/eth0/address")
            assert mine == theirs and mine.strip(), (mine, theirs)
            # none: loopback alone.
            links = b.ok("run", "--rm", "--network", "none", "busybox",
                         "ls", "/sys/class/net").split()
            assert links == ["lo"], links
        finally:
            b.run("rm", "-f", "first")


def test_run_on_an_unknown_network_creates_nothing(ctx):
    with Busybox(ctx) as b:
        for flags in (["--rm"], ["-d", "--rm"]):
            fails(b.run("run", *flags, "--network", "nonet", "busybox",
                        "true"), 125,
                  "Error response from daemon: network nonet not found")
        assert b.ps("-a", "-q") == []


def test_host_network_discards_published_ports_with_a_warning(ctx):
    with Busybox(ctx) as b:
        try:
            p = b.run("run", "-d", "--name", "onhost", "--network", "host",
                      "-p", "18200:80", "busybox", "sleep", "1000")
            assert p.returncode == 0, p
            assert p.stderr.decode() == "WARNING: Published ports are " \
                "discarded when using host network mode\n", p.stderr
            assert b.ok("port", "onhost") == ""
            # A long host range for one container port is one binding.
            b.ok("run", "-d", "--name", "wide", "-p", "18300-19400:80",
                 "busybox", "sleep", "1000")
            port = int(b.ok("port", "wide", "80").strip().split(":")[1])
            assert 18300 <= port <= 19400, port
            assert len(b.ok("port", "wide").splitlines()) == 1
        finally:
            b.run("rm", "-f", "onhost", "wide")
