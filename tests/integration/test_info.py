"""berth info and berth version as Docker's: the client's and the
daemon's sections, counts of containers by state and of images, the
cgroup version detected on this host, security options, the storage
root, the libraries' versions; --format json and templates; and
io.berth.Service.GetInfo's fields behind them."""
import contextlib
import json
import os
import re
import platform
import shutil
import socket
import subprocess
import tempfile
import threading

from harness import HEADER, Daemon, frame, version
from test_container_cli import Busybox, berth


def host_cgroup_version():
    # Hybrid hosts (v1 controllers, a cgroup2 tree beside) are v1.
    return 2 if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else 1


def without_daemon(ctx, *args):
    """berth ARGS with -H naming a socket nobody listens on."""
    with tempfile.TemporaryDirectory(prefix="berth-test-") as tmp:
        sock = "unix://" + os.path.join(tmp, "none.sock")
        p = subprocess.run([ctx.berth, "-H", sock, *args],
                           capture_output=True, text=True, timeout=30)
        return sock, p


def fields(text):
    """'Key: value' lines of a section as {key: value} (first wins)."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition(":")
        if sep and key not in out:
            out[key] = value.strip()
    return out


def test_get_info_describes_the_system(ctx):
    with Daemon(ctx) as d, d.client() as c:
        info = c.Service.GetInfo()
        assert info["containers"] == {"total": 0, "running": 0,
                                      "paused": 0, "stopped": 0}, info
        assert info["images"] == 0
        assert info["storage"] == {"driver": "overlay", "root": d.root,
                                   "run_root": d.run_root}, info
        assert info["cgroup"] == {"driver": "cgroupfs",
                                  "version": host_cgroup_version()}, info
        assert "name=seccomp,profile=builtin" in info["security_options"]
        host = info["host"]
        assert host["kernel"] == platform.release(), host
        assert host["arch"] == platform.machine(), host
        assert host["cpus"] == os.cpu_count(), host
        assert host["memory"] > 0 and host["os_type"] == "linux", host
        assert host["name"] == platform.node(), host
        libs = info["build"]["libraries"]
        for lib in ("libevent", "msgpack", "sqlite", "libseccomp"):
            assert libs.get(lib), (lib, libs)
        assert info["plugins"]["network"] == ["bridge", "host", "none"]
        assert info["plugins"]["volume"] == ["local"]
        # The engine's id: a version 4 UUID, kept with the root.
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-"
                            r"[89ab][0-9a-f]{3}-[0-9a-f]{12}", info["id"]), info
        engine = info["id"]
        d.stop()
        d.start()
        with d.client() as c2:
            assert c2.Service.GetInfo()["id"] == engine
    with Daemon(ctx) as other, other.client() as c:
        assert c.Service.GetInfo()["id"] != engine


def test_info_counts_containers_by_state_and_images(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "-d", "--name", "up", "busybox", "sleep", "300")
        b.ok("run", "-d", "--name", "frozen", "busybox", "sleep", "300")
        b.ok("pause", "frozen")
        b.ok("create", "--name", "made", "busybox", "true")
        b.ok("run", "--name", "done", "busybox", "true")
        out = b.ok("info")
        client, _, server = out.partition("\nServer:\n")
        assert client.startswith("Client:\n"), out
        assert fields(client)["Version"] == version()
        assert fields(client)["Host"] == b.d.address
        f = fields(server)
        assert server.startswith(" Containers: 4\n  Running: 1\n"
                                 "  Paused: 1\n  Stopped: 2\n"
                                 " Images: 1\n"), server
        assert f["Server Version"] == version()
        assert f["Storage Driver"] == "overlay"
        assert f["Cgroup Driver"] == "cgroupfs"
        assert f["Cgroup Version"] == str(host_cgroup_version())
        assert f["Berth Root Dir"] == b.d.root
        assert f["Kernel Version"] == platform.release()
        assert f["Architecture"] == platform.machine()
        assert f["OSType"] == "linux"
        assert f["CPUs"] == str(os.cpu_count())
        assert f["Total Memory"].endswith("iB"), f
        assert f["Name"] == platform.node()
        with b.d.client() as c:
            info = c.Service.GetInfo()
        assert f["ID"] == info["id"], f
        # The harness runs berthd with --log-level debug.
        assert f["Debug Mode"] == "true", f
        assert " Security Options:\n  seccomp\n   Profile: builtin\n" \
            in server, server
        assert "  Network: bridge host none\n" in server, server
        assert "  Volume: local\n" in server, server
        # The same as data, with Docker's field names.
        j = json.loads(b.ok("info", "--format", "json"))
        assert (j["Containers"], j["ContainersRunning"],
                j["ContainersPaused"], j["ContainersStopped"],
                j["Images"]) == (4, 1, 1, 2, 1), j
        assert j["ServerVersion"] == version()
        assert j["CgroupVersion"] == str(host_cgroup_version())
        assert j["BerthRootDir"] == b.d.root
        assert j["ID"] == info["id"], j
        assert j["SecurityOptions"] == ["name=seccomp,profile=builtin"]
        assert j["ClientInfo"]["Version"] == version()
        assert j["Debug"] is True, j
        assert b.ok("info", "--format",
                    "{{.Containers}} {{.ContainersPaused}} {{.Driver}} "
                    "{{json .Plugins.Volume}}") == \
            '4 1 overlay ["local"]\n'
        b.ok("unpause", "frozen")
        b.ok("rm", "-f", "up", "frozen", "made", "done")


def test_a_bad_template_is_a_usage_error_before_connecting(ctx):
    for cmd in ("info", "version"):
        _, p = without_daemon(ctx, cmd, "--format", "{{.Nope")
        assert p.returncode == 125, (cmd, p)
        assert p.stderr.startswith("Error: "), p.stderr
        assert "Cannot connect" not in p.stderr, p.stderr
        assert p.stdout == "", p.stdout


def test_info_without_daemon_shows_the_client_and_fails(ctx):
    sock, p = without_daemon(ctx, "info")
    assert p.returncode == 125, p
    assert p.stdout.startswith("Client:\n Version:"), p.stdout
    assert "Server:" not in p.stdout, p.stdout
    assert sock in p.stderr and "Cannot connect" in p.stderr, p.stderr


def test_version_has_client_and_server_components(ctx):
    with Daemon(ctx) as d:
        p = berth(ctx, d, "version")
        assert p.returncode == 0, p
        out = p.stdout.decode()
        client, _, server = out.partition("\nServer: berthd\n")
        assert server, out
        c = fields(client)
        assert c["Version"] == version(), c
        assert c["OS/Arch"].startswith("linux/"), c
        assert c["C compiler"] and c["C library"].startswith("glibc "), c
        assert c["Built"] and c["Host"] == d.address, c
        assert "io.berth.Service" in c["API interfaces"], c
        assert server.startswith(" Engine:\n  Version:          " +
                                 version() + "\n"), server
        s = fields(server)
        assert s["Kernel"] == platform.release(), s
        for lib in ("libevent", "msgpack", "sqlite", "libseccomp"):
            assert f"\n {lib}:\n  Version:" in server, (lib, server)
        j = json.loads(berth(ctx, d, "version", "--format",
                             "json").stdout)
        assert j["Client"]["Version"] == version()
        assert j["Server"]["Version"] == version()
        names = [comp["Name"] for comp in j["Server"]["Components"]]
        assert names[0] == "Engine" and "sqlite" in names, names
        assert j["Server"]["KernelVersion"] == platform.release()
        p = berth(ctx, d, "version", "--format",
                  "{{.Client.Version}} {{.Server.Version}} {{.Server.Os}}")
        assert p.stdout.decode() == f"{version()} {version()} linux\n", p


def test_version_without_daemon_prints_the_client_and_fails(ctx):
    _, p = without_daemon(ctx, "version")
    assert p.returncode == 125, p
    assert p.stdout.startswith("Client:\n"), p.stdout
    assert "Server" not in p.stdout, p.stdout
    _, p = without_daemon(ctx, "version", "--format", "json")
    assert p.returncode == 125, p
    j = json.loads(p.stdout)
    assert j["Server"] is None and j["Client"]["Version"] == version()


@contextlib.contextmanager
def stand_in(params):
    """A socket answering every call on it with parameters params: a
    daemon whose GetInfo lacks what berthd sends."""
    tmp = tempfile.mkdtemp(prefix="berth-test-")
    path = os.path.join(tmp, "fake.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    srv.settimeout(0.2)
    done = threading.Event()

    def serve():
        while not done.is_set():
            try:
                conn, _ = srv.accept()
            except socket.timeout:
                continue
            with conn:
                conn.settimeout(10)
                buf = b""
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                    while len(buf) >= HEADER.size:
                        (n,) = HEADER.unpack_from(buf)
                        if len(buf) < HEADER.size + n:
                            break
                        buf = buf[HEADER.size + n:]
                        conn.sendall(frame({"parameters": params}))
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield "unix://" + path
    finally:
        done.set()
        t.join(10)
        srv.close()
        shutil.rmtree(tmp, ignore_errors=True)


def test_version_takes_what_getinfo_has(ctx):
    """No "interfaces" in GetInfo: the server's half still prints; Os and
    Arch are the daemon's platform string's."""
    with Daemon(ctx) as d, d.client() as c:
        info = c.Service.GetInfo()
    info.pop("interfaces", None)
    info["build"]["platform"] = "plan9/mips"
    with stand_in(info) as address:
        p = subprocess.run([ctx.berth, "-H", address, "version"],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, p
        assert "\nServer: berthd\n" in p.stdout, p.stdout
        assert "  OS/Arch:          plan9/mips\n" in p.stdout, p.stdout
        p = subprocess.run([ctx.berth, "-H", address, "version", "--format",
                            "json"], capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 0, p
        j = json.loads(p.stdout)["Server"]
        assert (j["Os"], j["Arch"], j["ApiInterfaces"]) == \
            ("plan9", "mips", []), j
        info["build"]["platform"] = "nonsense"
    with stand_in(info) as address:
        p = subprocess.run([ctx.berth, "-H", address, "version", "--format",
                            "{{.Server.Os}}|{{.Server.Arch}}"],
                           capture_output=True, text=True, timeout=30)
        assert (p.returncode, p.stdout) == (0, "|\n"), p


def test_default_host_is_shown_as_berth_connect_takes_it(ctx):
    """Without -H, info and version name the address berth connects to:
    $BERTH_HOST (as unix:///path), else the default."""
    with tempfile.TemporaryDirectory(prefix="berth-test-") as tmp:
        sock = os.path.join(tmp, "none.sock")
        env = dict(os.environ, BERTH_HOST=sock)
        for cmd in ("info", "version"):
            p = subprocess.run([ctx.berth, cmd], capture_output=True,
                               text=True, timeout=30, env=env)
            assert p.returncode == 125, p
            assert "Host:" in p.stdout and f"unix://{sock}\n" in \
                p.stdout, p.stdout
        env.pop("BERTH_HOST")
        p = subprocess.run([ctx.berth, "version", "--format",
                            "{{.Client.Host}}"], capture_output=True,
                           text=True, timeout=30, env=env)
        assert p.stdout == "unix:///run/berth/berth.sock\n", p
