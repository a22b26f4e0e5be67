"""Networks over the protocol against a real berthd, which runs in a network
namespace of the test's own (harness.Daemon), with an "outside host" in
another namespace joined by a veth: the default bridge with outbound NAT,
user-defined networks with names resolved by the embedded DNS, isolation
between networks, --internal, published TCP and UDP ports (on loopback,
on the namespace's address and from outside), -P, and nothing left --
interface, rule or lease -- after rm and after a berthd restart, clean or
SIGKILL."""
import contextlib
import json
import os
import re
import subprocess

from harness import Daemon, caller, need_root, wait_for
from image_harness import busybox, import_, load, members

C = "io.berth.Container."
N = "io.berth.Network."
PY = "/usr/bin/python3"

OUTSIDE = "10.254.0.2"
INSIDE = "10.254.0.1"


call, expect_error = caller()


def start(d, cmd, name=None, host=None, **config):
    config = dict(config, image="busybox", cmd=list(cmd))
    if host:
        config["host"] = host
    params = {"config": config}
    if name:
        params["name"] = name
    cid = call(d, C + "Create", **params)["id"]
    call(d, C + "Start", container=cid)
    return cid


def run(d, cmd, **kwargs):
    """Run to the end: (exit code, output)."""
    cid = start(d, cmd, **kwargs)
    code = call(d, C + "Wait", container=cid)["exit_code"]
    out = []
    with d.client(timeout=60) as c:
        for r in c.stream(C + "Logs", {"container": cid}):
            if r.get("data") is not None:
                out.append(r["data"])
    call(d, C + "Remove", container=cid)
    return code, b"".join(out).decode()


def inspect(d, cid):
    return call(d, C + "Inspect", container=cid)["container"]


def address(d, cid, network="bridge"):
    return inspect(d, cid)["NetworkSettings"]["Networks"][network][
        "IPAddress"]


def pid(d, cid):
    return inspect(d, cid)["State"]["Pid"]


def nft_table(d):
    """berth's nftables table in berthd's namespace, or None."""
    p = d.netns.run(["nft", "-j", "list", "table", "ip", "berth"],
                    check=False)
    if p.returncode == 0:
        return json.loads(p.stdout)
    # Only "no such table" is None: a missing nft must not pass for it.
    assert "No such file or directory" in p.stderr, (p.returncode, p.stderr)
    return None


def berth_links(d):
    return [n for n in d.netns.links()
            if n.startswith("bth") or n.startswith("br-") or n == "berth0"]


def bridge_index(d):
    """berth0's ifindex in berthd's namespace."""
    out = d.netns.run(["ip", "-o", "link", "show", "berth0"]).stdout
    return int(out.split(":")[0])


def leases(d):
    import sqlite3
    db = sqlite3.connect(os.path.join(d.root, "metadata.db"))
    try:
        return db.execute("SELECT network, container, address FROM "
                          "endpoints").fetchall()
    finally:
        db.close()


def serve(ns_prefix, proto, port, reply=b"pong", host="0.0.0.0"):
    """A one-shot server in a namespace (command prefix): answers the
    first message with reply + the peer's address; returns the Popen once
    it listens."""
    kind = "SOCK_DGRAM" if proto == "udp" else "SOCK_STREAM"
    script = f"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.{kind})
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(({host!r}, {port}))
if {kind!r} == "SOCK_STREAM":
    s.listen(8)
print("ready", flush=True)
s.settimeout(30)
if {kind!r} == "SOCK_STREAM":
    c, peer = s.accept()
    c.recv(100)
    c.sendall({reply!r} + b" " + peer[0].encode())
    c.close()
else:
    data, peer = s.recvfrom(100)
    s.sendto({reply!r} + b" " + peer[0].encode(), peer)
"""
    p = subprocess.Popen(ns_prefix + [PY, "-c", script],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert p.stdout.readline() == b"ready\n", p.stderr.read()
    return p


def ask(ns_prefix, proto, host, port, timeout=5):
    """Send "ping" from a namespace and return the answer (or None)."""
    kind = "SOCK_DGRAM" if proto == "udp" else "SOCK_STREAM"
    script = f"""
import socket
s = socket.socket(socket.AF_INET, socket.{kind})
s.settimeout({timeout})
try:
    if {kind!r} == "SOCK_STREAM":
        s.connect(({host!r}, {port}))
        s.sendall(b"ping")
        print(s.recv(100).decode())
    else:
        s.sendto(b"ping", ({host!r}, {port}))
        print(s.recvfrom(100)[0].decode())
except OSError as e:
    print("ERR", e)
"""
    p = subprocess.run(ns_prefix + [PY, "-c", script], capture_output=True,
                       timeout=timeout + 10)
    out = p.stdout.decode().strip()
    return None if out.startswith("ERR") or not out else out


UPSTREAM = r"""
import socket, struct, sys
# The outside host's resolver: ext.example.test is 192.0.2.7, every
# other name does not exist.
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
answer = sys.argv[2]
print("ready", flush=True)
while True:
    q, peer = s.recvfrom(512)
    qid, flags, qd = struct.unpack(">HHH", q[:6])
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode().lower())
        i += 1 + q[i]
    qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
    question = q[12:i + 5]
    name = ".".join(labels)
    if name == "ext.example.test" and qtype == 1:
        ans = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + \
            socket.inet_aton(answer)
        hdr = struct.pack(">HHHHHH", qid, 0x8180, 1, 1, 0, 0)
    elif name == "ext.example.test":
        ans, hdr = b"", struct.pack(">HHHHHH", qid, 0x8180, 1, 0, 0, 0)
    else:
        ans, hdr = b"", struct.pack(">HHHHHH", qid, 0x8183, 1, 0, 0, 0)
    s.sendto(hdr + question + ans, peer)
"""


def ctr_ns(d, cid):
    return ["nsenter", f"--net=/proc/{pid(d, cid)}/ns/net"]


@contextlib.contextmanager
def daemon(ctx, *args):
    """berthd with busybox loaded, an outside host beside its namespace,
    and a resolv.conf pointing there."""
    need_root()
    # Bridges and rules go at once when unused (the default waits 10 s).
    if "--network-linger" not in args:
        args = ("--network-linger", "0") + args
    with Daemon(ctx, *args, start=False) as d:
        d.outside = d.netns.outside_host(OUTSIDE, INSIDE)
        resolv = os.path.join(d.dir, "resolv.conf")
        with open(resolv, "w") as f:
            f.write(f"nameserver {OUTSIDE}\n")
        d.args += ["--resolv-conf", resolv]
        dns = subprocess.Popen(d.outside.prefix() + [
            PY, "-c", UPSTREAM, OUTSIDE, "192.0.2.7"], stdout=subprocess.PIPE)
        try:
            assert dns.stdout.readline() == b"ready\n"
            d.start()
            load(d, busybox("docker"))
            yield d
        finally:
            dns.kill()
            dns.wait()


def assert_clean(d):
    # A stopped container's veth pair goes with its namespace, which the
    # kernel tears down on its own a moment later.
    try:
        wait_for(lambda: berth_links(d) == [], 5, "berth's links to go")
    except AssertionError:
        pass
    assert berth_links(d) == [], berth_links(d)
    assert nft_table(d) is None, nft_table(d)
    assert leases(d) == [], leases(d)


def test_default_bridge_address_files_and_outbound_nat(ctx):
    with daemon(ctx) as d:
        srv = serve(d.outside.prefix(), "tcp", 9000)
        try:
            code, out = run(d, ["sh", "-c",
                                "ip -4 -o addr show eth0; ip route; "
                                "cat /etc/hosts /etc/resolv.conf; "
                                f"echo ping | nc -w 5 {OUTSIDE} 9000"],
                            hostname="web1")
            assert code == 0, out
            assert re.search(r"eth0\s+inet 172\.17\.0\.\d+/16", out), out
            assert "default via 172.17.0.1 dev eth0" in out, out
            assert re.search(r"172\.17\.0\.\d+\tweb1", out), out
            assert "127.0.0.1\tlocalhost" in out, out
            assert f"nameserver {OUTSIDE}" in out, out
            # Outbound: the outside host sees berthd's namespace's
            # address, not the container's (masquerade).
            assert f"pong {INSIDE}" in out, out
        finally:
            srv.kill()
            srv.wait()
        assert_clean(d)


def test_none_and_host_modes(ctx):
    with daemon(ctx) as d:
        code, out = run(d, ["ip", "-o", "link"],
                        host={"network_mode": "none"})
        assert code == 0 and "lo:" in out and "UP" in out.split("lo:")[1]\
            .splitlines()[0] or "LOOPBACK,UP" in out, out
        assert "eth0" not in out, out
        code, out = run(d, ["ip", "-o", "link"],
                        host={"network_mode": "host"})
        assert code == 0 and "vo" in out, out   # the outside veth
        assert_clean(d)


def test_user_network_names_aliases_and_isolation(ctx):
    with daemon(ctx) as d:
        call(d, N + "Create", name="front", subnet="10.77.0.0/24")
        call(d, N + "Create", name="back")
        web = start(d, ["httpd", "-f", "-p", "80", "-h", "/etc"],
                    name="web", host={"network_mode": "front"},
                    networks={"front": {"aliases": ["www"]}})
        other = start(d, ["httpd", "-f", "-p", "80", "-h", "/etc"],
                      name="other", host={"network_mode": "back"})
        wa = address(d, web, "front")
        oa = address(d, other, "back")
        assert wa.startswith("10.77.0."), wa
        # Traffic by name, not only lookups.  Debian's busybox-static
        # is glibc linked statically: its getaddrinfo has the DNS
        # backend built in (no NSS module to load; glibc >= 2.34) and,
        # with no nsswitch.conf in the image, asks /etc/resolv.conf's
        # server, so wget reaches "web" and its alias through the
        # embedded DNS.  httpd serves /etc: /etc/hostname says whose
        # answer it is.
        code, out = run(d, ["sh", "-c",
                            "cat /etc/resolv.conf; nslookup web; "
                            "nslookup www; nslookup WEB.; "
                            "echo by-name $(wget -q -O - "
                            "http://web/hostname); "
                            "echo by-alias $(wget -q -O - "
                            "http://www/hostname); "
                            "nslookup ext.example.test; "
                            "nslookup nosuch.example.test; "
                            "nc -w 2 %s 80 </dev/null && echo reached "
                            "|| echo isolated" % oa],
                        host={"network_mode": "front"})
        assert "nameserver 127.0.0.11" in out, out
        assert out.count(f"Address: {wa}") >= 3, out
        # Its hostname is its short id (Docker's default; Inspect's
        # Config.Hostname says "" as configured).
        hostname = web[:12]
        assert f"by-name {hostname}\n" in out, out
        assert f"by-alias {hostname}\n" in out, out
        assert "isolated" in out and "reached" not in out, out
        # Other names go to the host's resolvers (the outside host's).
        assert "Address: 192.0.2.7" in out, out
        assert "NXDOMAIN" in out, out
        # Names are per network: "web" is unknown on "back".
        code, out = run(d, ["nslookup", "web"],
                        host={"network_mode": "back"})
        assert wa not in out, out
        # An address of its own choosing.
        code, out = run(d, ["ip", "-4", "-o", "addr", "show", "eth0"],
                        host={"network_mode": "front"},
                        networks={"front": {"ipv4_address": "10.77.0.50"}})
        assert "10.77.0.50/24" in out, out
        for c in (web, other):
            call(d, C + "Remove", container=c, force=True)
        expect_error("io.berth.Network.AddressUnavailable", d,
                     C + "Start", container=call(
                         d, C + "Create", config={
                             "image": "busybox", "cmd": ["true"],
                             "host": {"network_mode": "front"},
                             "networks": {"front": {
                                 "ipv4_address": "10.78.0.5"}}})["id"])
        for c in call(d, C + "List", all=True)["containers"]:
            call(d, C + "Remove", container=c["id"], force=True)
        call(d, N + "Remove", network="front")
        call(d, N + "Remove", network="back")
        assert_clean(d)


def test_internal_network_has_no_way_out(ctx):
    with daemon(ctx) as d:
        call(d, N + "Create", name="vault", internal=True)
        srv = serve(d.outside.prefix(), "tcp", 9001)
        try:
            peer = start(d, ["httpd", "-f", "-p", "80", "-h", "/etc"],
                         name="peer", host={"network_mode": "vault"})
            pa = address(d, peer, "vault")
            code, out = run(d, ["sh", "-c",
                                f"ip route; echo ping | nc -w 2 {OUTSIDE} "
                                f"9001 && echo out || echo blocked; "
                                f"wget -q -O - http://{pa}/hostname && "
                                f"echo peer-ok"],
                            host={"network_mode": "vault"})
            assert "default" not in out, out
            assert "blocked" in out and "pong" not in out, out
            assert "peer-ok" in out, out
            # Names of its own only: a lookup forwarded upstream would
            # be a way out (CVE-2024-29018).
            code, out = run(d, ["sh", "-c", "nslookup peer; "
                                "nslookup ext.example.test"],
                            host={"network_mode": "vault"})
            assert f"Address: {pa}" in out, out
            assert "192.0.2.7" not in out and "REFUSED" in out, out
            call(d, C + "Remove", container=peer, force=True)
        finally:
            srv.kill()
            srv.wait()
        assert_clean(d)


def refused_port(d, port):
    """A container publishing port 80 as port, whose start fails with
    PortInUse and leaves it not running: its id."""
    cid = call(d, C + "Create", config={
        "image": "busybox", "cmd": ["sleep", "300"],
        "host": {"port_bindings": [{"container_port": 80,
                                    "host_port": port}]}})["id"]
    expect_error("io.berth.Network.PortInUse", d, C + "Start",
                 container=cid)
    assert inspect(d, cid)["State"]["Status"] in ("exited", "created")
    return cid


def test_published_tcp_and_udp_ports_answer_everywhere(ctx):
    with daemon(ctx) as d:
        cid = start(d, ["sleep", "300"], host={"port_bindings": [
            {"container_port": 80, "protocol": "tcp", "host_port": 18080},
            {"container_port": 53, "protocol": "udp", "host_port": 15353},
            {"container_port": 81, "protocol": "tcp", "host_ip": INSIDE,
             "host_port": 18081}]})
        ports = call(d, C + "Port", container=cid)["ports"]
        assert sorted((p["container_port"], p["protocol"], p["host_ip"],
                       p["host_port"]) for p in ports) == [
            (53, "udp", "0.0.0.0", 15353), (80, "tcp", "0.0.0.0", 18080),
            (81, "tcp", INSIDE, 18081)], ports
        ns = ctr_ns(d, cid)
        for proto, port, cport in (("tcp", 18080, 80), ("udp", 15353, 53)):
            for where, host in ((d.netns.prefix(), "127.0.0.1"),
                                (d.netns.prefix(), INSIDE),
                                (d.outside.prefix(), INSIDE)):
                srv = serve(ns, proto, cport)
                try:
                    got = ask(where, proto, host, port)
                    assert got is not None and got.startswith("pong"), \
                        (proto, host, got)
                finally:
                    srv.kill()
                    srv.wait()
        # From outside, the container sees the outside host's address.
        srv = serve(ns, "tcp", 80)
        try:
            assert ask(d.outside.prefix(), "tcp", INSIDE, 18080) == \
                f"pong {OUTSIDE}"
        finally:
            srv.kill()
            srv.wait()
        # A binding to one address answers there only.
        srv = serve(ns, "tcp", 81)
        try:
            assert ask(d.netns.prefix(), "tcp", "127.0.0.1", 18081,
                       timeout=2) is None
            assert ask(d.netns.prefix(), "tcp", INSIDE, 18081) \
                .startswith("pong")
        finally:
            srv.kill()
            srv.wait()
        settings = inspect(d, cid)["NetworkSettings"]["Ports"]
        assert settings["80/tcp"] == [{"HostIp": "0.0.0.0",
                                       "HostPort": "18080"}], settings
        # The same host port again: refused, and nothing of it left.
        before = call(d, C + "List", all=True)["containers"]
        other = refused_port(d, 18080)
        assert len(leases(d)) == 1, leases(d)
        call(d, C + "Remove", container=other)
        assert len(call(d, C + "List", all=True)["containers"]) == \
            len(before)
        call(d, C + "Remove", container=cid, force=True)
        assert_clean(d)
        # A port a process of the host's (berthd's namespace) listens on:
        # a DNAT there would shadow it, so the start is refused, and
        # nothing of the network is left.
        holder = serve(d.netns.prefix(), "tcp", 18099)
        try:
            taken = refused_port(d, 18099)
            assert_clean(d)
            call(d, C + "Remove", container=taken)
        finally:
            holder.kill()
            holder.wait()


def busybox_exposing(d, ref, *ports):
    """busybox's files imported again as ref with EXPOSE for ports: an
    image whose own config has ExposedPorts."""
    archive = members(busybox("docker"))
    layer = json.loads(archive["manifest.json"])[0]["Layers"][0]
    import_(d, archive[layer], reference=ref,
            changes=[f"EXPOSE {' '.join(ports)}"])
    doc = call(d, "io.berth.Image.Inspect", image=ref)["image"]
    assert sorted(doc["Config"]["ExposedPorts"]) == sorted(ports), doc


def test_publish_all_takes_free_ports_for_exposed_ones(ctx):
    with daemon(ctx) as d:
        # A process of the host's holds the first port of the range, the
        # one a fresh berthd would take first: -P must skip it.
        holder = serve(d.netns.prefix(), "tcp", 32768)
        try:
            cid = start(d, ["sleep", "300"], exposed_ports=["80/tcp",
                                                            "5353/udp"],
                        host={"publish_all": True})
        finally:
            holder.kill()
            holder.wait()
        ports = call(d, C + "Port", container=cid)["ports"]
        assert sorted((p["container_port"], p["protocol"])
                      for p in ports) == [(80, "tcp"), (5353, "udp")], ports
        for p in ports:
            assert 32768 <= p["host_port"] <= 60999, p
        tcp = [p for p in ports if p["protocol"] == "tcp"][0]
        assert tcp["host_port"] != 32768, tcp
        srv = serve(ctr_ns(d, cid), "tcp", 80)
        try:
            assert ask(d.netns.prefix(), "tcp", "127.0.0.1",
                       tcp["host_port"]).startswith("pong")
        finally:
            srv.kill()
            srv.wait()
        call(d, C + "Remove", container=cid, force=True)
        assert_clean(d)
        # The image's own EXPOSE, with nothing in the container's config.
        busybox_exposing(d, "exposing:1", "8080/tcp")
        cid = call(d, C + "Create", config={
            "image": "exposing:1", "cmd": ["sleep", "300"],
            "host": {"publish_all": True}})["id"]
        call(d, C + "Start", container=cid)
        ports = call(d, C + "Port", container=cid)["ports"]
        assert [(p["container_port"], p["protocol"]) for p in ports] == \
            [(8080, "tcp")], ports
        assert 32768 <= ports[0]["host_port"] <= 60999, ports
        srv = serve(ctr_ns(d, cid), "tcp", 8080)
        try:
            assert ask(d.netns.prefix(), "tcp", "127.0.0.1",
                       ports[0]["host_port"]).startswith("pong")
        finally:
            srv.kill()
            srv.wait()
        call(d, C + "Remove", container=cid, force=True)
        assert_clean(d)


def test_connect_and_disconnect_a_running_container(ctx):
    with daemon(ctx) as d:
        call(d, N + "Create", name="extra", subnet="10.88.0.0/24")
        cid = start(d, ["sleep", "300"], name="c1")
        call(d, N + "Connect", network="extra", container="c1",
             aliases=["one"])
        expect_error("io.berth.Network.AlreadyConnected", d,
                     N + "Connect", network="extra", container="c1")
        code, out = run(d, ["nslookup", "one"],
                        host={"network_mode": "extra"})
        assert "10.88.0." in out, out
        doc = call(d, N + "Inspect", network="extra")["network"]
        assert list(doc["Containers"]) == [cid], doc
        expect_error("io.berth.Network.InUse", d, N + "Remove",
                     network="extra")
        call(d, N + "Disconnect", network="extra", container="c1")
        assert "extra" not in inspect(d, cid)["NetworkSettings"][
            "Networks"]
        links = d.netns.run(["nsenter", f"--net=/proc/{pid(d, cid)}/ns/net",
                             "ip", "-o", "link"]).stdout
        assert "eth1" not in links, links
        call(d, N + "Remove", network="extra")
        call(d, C + "Remove", container=cid, force=True)
        assert_clean(d)


def test_bad_network_input_is_refused_with_nothing_made(ctx):
    with daemon(ctx) as d:
        before = call(d, N + "List")["networks"]
        expect_error("io.berth.Network.InvalidConfig", d, N + "Create",
                     name="x", subnet="10.1.2.3/24")
        expect_error("io.berth.Network.InvalidConfig", d, N + "Create",
                     name="x", subnet="nonsense")
        expect_error("io.berth.Network.InvalidConfig", d, N + "Create",
                     name="bad name")
        expect_error("io.berth.Network.InvalidConfig", d, N + "Create",
                     name="x", subnet="10.9.0.0/24", gateway="10.10.0.1")
        # Overlaps the outside link's route, then another network.
        expect_error("io.berth.Network.PoolOverlap", d, N + "Create",
                     name="x", subnet="10.254.0.0/16")
        call(d, N + "Create", name="a", subnet="10.60.0.0/16")
        expect_error("io.berth.Network.PoolOverlap", d, N + "Create",
                     name="b", subnet="10.60.5.0/24")
        expect_error("io.berth.Network.NameInUse", d, N + "Create",
                     name="a")
        expect_error("io.berth.Network.Builtin", d, N + "Remove",
                     network="bridge")
        expect_error("io.berth.Network.NotFound", d, N + "Remove",
                     network="nosuch")
        # A container naming a network that does not exist: the start
        # fails, nothing of it stays.
        cid = call(d, C + "Create", config={
            "image": "busybox", "cmd": ["true"],
            "host": {"network_mode": "nosuch"}})["id"]
        expect_error("io.berth.Network.NotFound", d, C + "Start",
                     container=cid)
        call(d, C + "Remove", container=cid)
        call(d, N + "Remove", network="a")
        assert call(d, N + "List")["networks"] == before
        assert_clean(d)


def published_on(d, network, subnet, port):
    """A new network and a container on it (never restarted) publishing
    port 80 as port: its id, once it holds its one lease."""
    call(d, N + "Create", name=network, subnet=subnet)
    cid = start(d, ["sleep", "300"], host={
        "network_mode": network, "restart_policy": {"name": "no"},
        "port_bindings": [{"container_port": 80, "host_port": port}]})
    assert len(leases(d)) == 1, leases(d)
    return cid


def test_nothing_left_after_restart_clean_or_killed(ctx):
    with daemon(ctx) as d:
        cid = published_on(d, "keep", "10.66.0.0/24", 18090)
        addr = address(d, cid, "keep")
        # SIGKILL: the container is adopted with its network.
        d.kill()
        d.start()
        assert inspect(d, cid)["State"]["Running"], inspect(d, cid)
        assert address(d, cid, "keep") == addr
        assert len(leases(d)) == 1, leases(d)
        srv = serve(ctr_ns(d, cid), "tcp", 80)
        try:
            assert ask(d.netns.prefix(), "tcp", "127.0.0.1", 18090) \
                .startswith("pong")
        finally:
            srv.kill()
            srv.wait()
        # Clean stop: containers stopped, nothing of the network left.
        d.stop()
        assert_clean(d)
        d.start()
        assert_clean(d)
        assert [n["name"] for n in call(d, N + "List")["networks"]
                if n["name"] == "keep"] == ["keep"]
        call(d, C + "Remove", container=cid, force=True)
        call(d, N + "Prune")
        assert "keep" not in [n["name"] for n in
                              call(d, N + "List")["networks"]]
        assert_clean(d)


def test_a_container_that_exits_while_berthd_is_down_frees_its_lease(ctx):
    with daemon(ctx) as d:
        cid = published_on(d, "gone", "10.67.0.0/24", 18091)
        assert berth_links(d) and nft_table(d) is not None
        p = pid(d, cid)
        d.kill()
        # The container ends while no berthd is there to see it.
        os.kill(p, 9)

        def gone():
            try:
                with open(f"/proc/{p}/stat") as f:
                    return f.read().split(")")[-1].split()[0] in "ZX"
            except FileNotFoundError:
                return True
        wait_for(gone, 10, f"container process {p} to end")
        d.start()
        assert inspect(d, cid)["State"]["Running"] is False, \
            inspect(d, cid)["State"]
        # Its address, bridge, veth and rules: all released by the next
        # berthd, and the port is free for another.
        assert_clean(d)
        other = start(d, ["sleep", "300"], host={
            "network_mode": "gone",
            "port_bindings": [{"container_port": 80, "host_port": 18091}]})
        assert len(leases(d)) == 1, leases(d)
        for c in (cid, other):
            call(d, C + "Remove", container=c, force=True)
        call(d, N + "Remove", network="gone")
        assert_clean(d)


def test_containers_never_reach_the_hosts_loopback(ctx):
    """route_localnet on the bridges (for published ports on 127.0.0.1)
    must not let a container's own packets to 127.x in (CVE-2020-8558):
    a service of the host's bound to 127.0.0.1 stays the host's."""
    with daemon(ctx) as d:
        cid = start(d, ["sleep", "300"])
        gw = inspect(d, cid)["NetworkSettings"]["Gateway"]
        listen = subprocess.Popen(d.netns.prefix() + [PY, "-c", """
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 9999))
s.settimeout(3)
print("ready", flush=True)
try:
    print("GOT", s.recvfrom(100)[0].decode(), flush=True)
except OSError:
    print("nothing", flush=True)
"""], stdout=subprocess.PIPE, text=True)
        try:
            assert listen.stdout.readline() == "ready\n"
            # What a container with CAP_NET_RAW can send: frames to
            # 127.0.0.1 through the gateway (made here with a route).
            ns = ctr_ns(d, cid)
            for cmd in (["sysctl", "-qw",
                         "net.ipv4.conf.all.route_localnet=1"],
                        ["sysctl", "-qw",
                         "net.ipv4.conf.eth0.route_localnet=1"],
                        ["ip", "addr", "flush", "dev", "lo"],
                        ["ip", "route", "add", "127.0.0.1/32", "via", gw,
                         "dev", "eth0"]):
                subprocess.run(ns + cmd, check=True, capture_output=True)
            subprocess.run(ns + [PY, "-c", "import socket\n"
                                 "s = socket.socket(2, 2)\n"
                                 "for i in range(3):\n"
                                 " s.sendto(b'in', ('127.0.0.1', 9999))"],
                           check=True)
            assert listen.stdout.read().strip() == "nothing"
        finally:
            listen.kill()
            listen.wait()
        call(d, C + "Remove", container=cid, force=True)
        assert_clean(d)


def test_a_host_that_did_not_forward_is_no_router_for_others(ctx):
    """berthd turns ip_forward on for its bridges; what else the host
    would then forward (here: outside host to a third namespace) stays
    dropped, before, during and after a container."""
    from netns import Netns
    with daemon(ctx) as d:
        third = Netns(prefix="berth-x")
        try:
            subprocess.run(["ip", "link", "add", "vx3a", "netns",
                            d.netns.name, "type", "veth", "peer", "name",
                            "vx3b", "netns", third.name], check=True)
            d.netns.run(["ip", "addr", "add", "10.253.0.1/24", "dev",
                         "vx3a"])
            d.netns.run(["ip", "link", "set", "vx3a", "up"])
            third.run(["ip", "addr", "add", "10.253.0.2/24", "dev", "vx3b"])
            third.run(["ip", "link", "set", "vx3b", "up"])
            third.run(["ip", "route", "add", "default", "via",
                       "10.253.0.1"])
            d.outside.run(["ip", "route", "add", "10.253.0.0/24", "via",
                           INSIDE])
            # A host that does not forward (new namespaces here inherit
            # the host's setting).
            d.netns.run(["sysctl", "-qw", "net.ipv4.ip_forward=0"])

            def through():
                srv = serve(third.prefix(), "tcp", 9005)
                try:
                    return ask(d.outside.prefix(), "tcp", "10.253.0.2",
                               9005, timeout=2)
                finally:
                    srv.kill()
                    srv.wait()
            assert through() is None
            cid = start(d, ["sleep", "300"])
            assert d.netns.run(["sysctl", "-n", "net.ipv4.ip_forward"])\
                .stdout.strip() == "1"
            assert through() is None
            # ... while the container itself still gets out.
            srv = serve(d.outside.prefix(), "tcp", 9006)
            try:
                code, out = run(d, ["sh", "-c", f"echo x | nc -w 3 "
                                    f"{OUTSIDE} 9006"])
                assert "pong" in out, out
            finally:
                srv.kill()
                srv.wait()
            call(d, C + "Remove", container=cid, force=True)
            assert through() is None
        finally:
            third.delete()
        assert_clean(d)


def test_disconnect_moves_the_default_route_and_the_ports_with_it(ctx):
    """Disconnecting a container's first network: its default route and
    its published ports go to the next network (Docker re-elects the
    gateway endpoint); the old address, given to another container, gets
    none of its traffic."""
    with daemon(ctx) as d:
        call(d, N + "Create", name="x", subnet="10.77.0.0/24")
        keep = start(d, ["sleep", "300"])       # the table stays
        c1 = start(d, ["sleep", "300"], host={
            "network_mode": "x", "port_bindings": [
                {"container_port": 80, "host_port": 18080}]})
        call(d, N + "Connect", network="bridge", container=c1)
        call(d, N + "Disconnect", network="x", container=c1)
        routes = subprocess.run(ctr_ns(d, c1) + ["ip", "route"],
                                capture_output=True, text=True).stdout
        assert "default via 172.17.0.1" in routes, routes
        assert [(p["container_port"], p["host_port"]) for p in call(
            d, C + "Port", container=c1)["ports"]] == [(80, 18080)]
        # A container on x at c1's old address (asked for: a released
        # address is not handed out again at once).
        c2 = start(d, ["sleep", "300"], host={"network_mode": "x"},
                   networks={"x": {"ipv4_address": "10.77.0.2"}})
        assert address(d, c2, "x") == "10.77.0.2"
        s1 = serve(ctr_ns(d, c1), "tcp", 80, reply=b"c1")
        s2 = serve(ctr_ns(d, c2), "tcp", 80, reply=b"c2")
        try:
            got = ask(d.netns.prefix(), "tcp", "127.0.0.1", 18080)
            assert got is not None and got.startswith("c1"), got
        finally:
            for srv in (s1, s2):
                srv.kill()
                srv.wait()
        # Still c1's: another container cannot have it.
        c3 = call(d, C + "Create", config={
            "image": "busybox", "cmd": ["sleep", "300"],
            "host": {"port_bindings": [{"container_port": 80,
                                        "host_port": 18080}]}})["id"]
        expect_error("io.berth.Network.PortInUse", d, C + "Start",
                     container=c3)
        for c in (keep, c1, c2, c3):
            call(d, C + "Remove", container=c, force=True)
        call(d, N + "Remove", network="x")
        assert_clean(d)


def test_a_shared_namespace_loses_its_owners_interfaces(ctx):
    """container:A holds A's namespace; when A stops its veth and lease
    go all the same (B keeps its loopback), and nothing is left."""
    with daemon(ctx) as d:
        a = start(d, ["sleep", "300"], name="a")
        b = start(d, ["sleep", "300"], host={"network_mode": "container:a"})
        links = subprocess.run(ctr_ns(d, b) + ["ip", "-o", "link"],
                               capture_output=True, text=True).stdout
        assert "eth0" in links, links
        call(d, C + "Stop", container=a, timeout=0)
        assert leases(d) == []
        wait_for(lambda: "bth" not in " ".join(berth_links(d)), 5,
                 "a's veth to go")
        links = subprocess.run(ctr_ns(d, b) + ["ip", "-o", "link"],
                               capture_output=True, text=True).stdout
        assert "eth0" not in links and "lo" in links, links
        for c in (b, a):
            call(d, C + "Remove", container=c, force=True)
        assert_clean(d)


def test_restarts_and_failed_starts_leave_nothing(ctx):
    with daemon(ctx) as d:
        call(d, N + "Create", name="r", subnet="10.79.0.0/24")
        cid = start(d, ["sh", "-c", "sleep 0.3; exit 3"], host={
            "network_mode": "r", "restart_policy": {
                "name": "on-failure", "maximum_retry_count": 3},
            "port_bindings": [{"container_port": 80,
                               "host_port": 18095}]})
        wait_for(lambda: inspect(d, cid)["RestartCount"] == 3 and
                 inspect(d, cid)["State"]["Status"] == "exited", 30,
                 "three restarts")
        assert_clean(d)
        # A command that is not there: the start fails after the
        # network was made; nothing of it stays.
        bad = call(d, C + "Create", config={
            "image": "busybox", "cmd": ["/nonexistent"],
            "host": {"network_mode": "r", "port_bindings": [
                {"container_port": 80, "host_port": 18096}]}})["id"]
        expect_error("io.berth.Container.StartFailed", d, C + "Start",
                     container=bad)
        assert_clean(d)
        for c in (cid, bad):
            call(d, C + "Remove", container=c)
        call(d, N + "Remove", network="r")
        assert_clean(d)


def test_extra_hosts_host_gateway_and_bad_entries(ctx):
    with daemon(ctx) as d:
        code, out = run(d, ["cat", "/etc/hosts"], host={
            "extra_hosts": ["gw:host-gateway", "db=10.1.2.3",
                            "six:fd00::1"]})
        assert code == 0, out
        assert "172.17.0.1\tgw\n" in out and "10.1.2.3\tdb\n" in out \
            and "fd00::1\tsix\n" in out, out
        # host-gateway is the host's end of the container's own network.
        call(d, N + "Create", name="hg", subnet="10.81.0.0/24")
        code, out = run(d, ["cat", "/etc/hosts"], host={
            "network_mode": "hg", "extra_hosts": ["gw:host-gateway"]})
        assert "10.81.0.1\tgw\n" in out, out
        code, out = run(d, ["cat", "/etc/hosts"], host={
            "network_mode": "host", "extra_hosts": ["gw:host-gateway"]})
        assert "127.0.0.1\tgw\n" in out, out
        call(d, N + "Remove", network="hg")
        for bad in ("x:1.2.3", "y:", ":1.2.3.4", "a b:1.2.3.4"):
            cid = call(d, C + "Create", config={
                "image": "busybox", "cmd": ["true"],
                "host": {"extra_hosts": [bad]}})["id"]
            expect_error("io.berth.Container.InvalidConfig", d,
                         C + "Start", container=cid)
            call(d, C + "Remove", container=cid)
            assert_clean(d)


def test_an_unused_bridge_lingers_then_goes(ctx):
    """A run after a run finds the bridge and rules made; they go once
    nothing has used them for --network-linger seconds, and at once
    when berthd stops."""
    # Long enough that a second run on a loaded machine still comes
    # within it.
    with daemon(ctx, "--network-linger", "5") as d:
        run(d, ["true"])
        links = berth_links(d)
        assert links == ["berth0"] and nft_table(d) is not None, links
        first = bridge_index(d)
        run(d, ["true"])
        # The same bridge, not one made again.
        assert berth_links(d) == ["berth0"]
        assert bridge_index(d) == first, (bridge_index(d), first)
        wait_for(lambda: berth_links(d) == [] and nft_table(d) is None,
                 30, "the bridge to go")
        run(d, ["true"])
        assert berth_links(d) == ["berth0"]
        d.stop()
        assert_clean(d)


def test_dns_on_a_user_network_forwards_to_the_containers_servers(ctx):
    """--dns on a user-defined network: its names still resolve, others
    go to the container's servers (Docker's ExtServers), not the
    host's."""
    with daemon(ctx) as d:
        d.outside.run(["ip", "addr", "add", "10.254.0.3/24", "dev",
                       d.outside.links()[-1]])
        other = subprocess.Popen(d.outside.prefix() + [
            PY, "-c", UPSTREAM, "10.254.0.3", "192.0.2.9"],
            stdout=subprocess.PIPE)
        try:
            assert other.stdout.readline() == b"ready\n"
            call(d, N + "Create", name="u")
            peer = start(d, ["sleep", "300"], name="peer",
                         host={"network_mode": "u"})
            pa = address(d, peer, "u")
            code, out = run(d, ["sh", "-c", "nslookup ext.example.test; "
                                "nslookup peer; cat /etc/resolv.conf"],
                            host={"network_mode": "u",
                                  "dns": ["10.254.0.3"]})
            assert "192.0.2.9" in out and "192.0.2.7" not in out, out
            assert f"Address: {pa}" in out, out
            assert "nameserver 127.0.0.11" in out and \
                "to 10.254.0.3" in out, out
            code, out = run(d, ["nslookup", "ext.example.test"],
                            host={"network_mode": "u"})
            assert "192.0.2.7" in out, out
            call(d, C + "Remove", container=peer, force=True)
            call(d, N + "Remove", network="u")
        finally:
            other.kill()
            other.wait()
        assert_clean(d)
