"""Who may talk to berthd: the socket it creates (0660 root:GROUP), the
SO_PEERCRED check behind it (root or --group members), and sockets handed
over by systemd-style socket activation."""
import grp
import json
import os
import shutil
import stat
import subprocess
import unittest
import uuid

from harness import Daemon, as_user, need_root

SERVICE = "io.berth.Service"
NOBODY = 65534

# Run as another user: one Ping on a raw connection; print the reply and
# whether the daemon closed the connection afterwards.  berthd may refuse
# a peer as soon as it connects, so the send may fail; the reply is read
# anyway.
PEER_SCRIPT = r"""
import json, socket, struct, sys, msgpack
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
body = msgpack.packb({"method": "io.berth.Service.Ping",
                      "parameters": {"payload": "from nobody"}})
try:
    s.sendall(struct.pack(">I", len(body)) + body)
except (BrokenPipeError, ConnectionResetError):
    pass        # refused before the call was read: the reply is queued
buf = b""
def fill(n):
    global buf
    while len(buf) < n:
        try:
            c = s.recv(65536)
        except ConnectionResetError:
            return False
        if not c:
            return False
        buf += c
    return True
reply = None
if fill(4):
    n = struct.unpack(">I", buf[:4])[0]
    if fill(4 + n):
        reply = msgpack.unpackb(buf[4:4 + n], raw=False)
        buf = buf[4 + n:]
closed = False
s.settimeout(5)
try:
    closed = s.recv(1) == b""
except ConnectionResetError:
    closed = True
except socket.timeout:
    closed = False
print(json.dumps({"reply": reply, "closed": closed}))
"""


def peer(path, groups=()):
    script = "import sys; sys.argv[1:] = [%r]\n%s" % (path, PEER_SCRIPT)
    p = as_user(NOBODY, NOBODY, list(groups), script)
    assert p.returncode == 0, f"peer script failed: {p.stderr}"
    return json.loads(p.stdout)


class throwaway_group:
    """A system group that exists only for the test."""

    def __enter__(self):
        need_root()
        if not shutil.which("groupadd"):
            raise unittest.SkipTest("no groupadd")
        self.name = "berth-t" + uuid.uuid4().hex[:8]
        subprocess.run(["groupadd", "--system", self.name], check=True,
                       capture_output=True)
        self.gid = grp.getgrnam(self.name).gr_gid
        return self

    def __exit__(self, *exc):
        subprocess.run(["groupdel", self.name], capture_output=True)


def test_socket_is_0660_root_root_by_default(ctx):
    need_root()
    with Daemon(ctx) as d:
        st = os.stat(d.socket)
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o660, oct(st.st_mode)
        assert (st.st_uid, st.st_gid) == (0, 0), (st.st_uid, st.st_gid)


def test_socket_group_is_the_group_option(ctx):
    with throwaway_group() as g, Daemon(ctx, "--group", g.name) as d:
        st = os.stat(d.socket)
        assert stat.S_IMODE(st.st_mode) == 0o660, oct(st.st_mode)
        assert (st.st_uid, st.st_gid) == (0, g.gid), (st.st_uid, st.st_gid)
        d.ping()


def test_unknown_group_is_refused_at_start(ctx):
    from harness import run_berthd
    with Daemon(ctx, start=False) as d:
        p = run_berthd(ctx, ["--socket", d.socket, "--root", d.root,
                             "--run-root", d.run_root, "--group",
                             "no-such-group-" + uuid.uuid4().hex[:6]])
        assert p.returncode != 0, p
        assert "no-such-group" in p.stderr, p.stderr


def test_peer_not_root_nor_in_group_is_denied(ctx):
    """Through a 0666 activated socket, so that only berthd's own check
    stands between nobody and the daemon."""
    need_root()
    with Daemon(ctx, launcher="activate", socket_mode=0o666,
                dir_mode=0o755) as d:
        out = peer(d.path)
        reply = out["reply"]
        assert reply is not None, f"no reply before close: {out}"
        assert reply.get("error") == f"{SERVICE}.PermissionDenied", out
        assert reply.get("parameters", {}).get("uid") == NOBODY, out
        assert out["closed"], f"connection left open: {out}"
        d.ping("root is still served")


def test_peer_in_the_daemons_group_is_served(ctx):
    with throwaway_group() as g, \
            Daemon(ctx, "--group", g.name, launcher="activate",
                   socket_mode=0o666, dir_mode=0o755) as d:
        out = peer(d.path, groups=[g.gid])
        assert out["reply"] == {"parameters": {"payload": "from nobody"}}, out
        assert not out["closed"], out
        # Membership is what counts: the same user without the group is not.
        out = peer(d.path)
        assert out["reply"].get("error") == f"{SERVICE}.PermissionDenied", out
        # Another group is not the daemon's group either.
        out = peer(d.path, groups=[grp.getgrnam("nogroup").gr_gid])
        assert out["reply"].get("error") == f"{SERVICE}.PermissionDenied", out


def test_socket_activation_serves_the_passed_socket(ctx):
    with Daemon(ctx, launcher="activate") as d:
        st = d.status()
        assert st["pid"] == d.pid, st
        with d.client() as c:
            assert c.call(f"{SERVICE}.Ping", payload="a") == {"payload": "a"}
        assert not os.path.exists(d.socket), \
            f"berthd created {d.socket} although it was given a socket"
        # The socket is systemd's: berthd leaves it in place.
        d.stop()
        assert os.path.exists(d.activated)


def test_systemd_socket_activate_starts_berthd(ctx):
    if not shutil.which("systemd-socket-activate"):
        raise unittest.SkipTest("no systemd-socket-activate")
    with Daemon(ctx, launcher="systemd") as d:
        st = d.status()
        assert st["pid"] == d.pid, st
        d.ping("via systemd")
        assert not os.path.exists(d.socket)
