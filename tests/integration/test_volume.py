"""Volumes as Docker's local driver has them, through the berth CLI
against a real berthd: volume create/ls/inspect/rm/prune; named volumes
outliving their container and shared by two at once; anonymous volumes
(-v /path, the image's VOLUME) and rm -v; copy-up of the image's content
into a new volume (not into one with content, not with nocopy); ro
volumes and binds; a volume in use refusing rm; --volumes-from;
tmpfs-backed volumes mounted on the host while used and never left
mounted, even after berthd is SIGKILLed; bind propagation; inspect's
Mounts; bad input refused with nothing left behind."""
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

from harness import Daemon, wait_for
from image_harness import helpers
from test_container_cli import Busybox


def mounts_under(path):
    """Mount points in this mount namespace at or below path."""
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4]
            if mp == path or mp.startswith(path.rstrip("/") + "/"):
                out.append(mp)
    return out


class Volumes(Busybox):
    """Busybox's daemon; at the end, nothing may stay mounted below its
    directory (what is, is detached before the directory goes)."""

    def __exit__(self, *exc):
        left = mounts_under(self.d.dir)
        try:
            super().__exit__(*exc)
        finally:
            for mp in sorted(mounts_under(self.d.dir), reverse=True):
                subprocess.run(["umount", "-l", mp], check=False)
        if exc[0] is None:
            assert left == [], left

    @property
    def root(self):
        return self.d.root

    def vols(self):
        return sorted(self.ok("volume", "ls", "-q").split())

    def vol(self, name):
        doc = json.loads(self.ok("volume", "inspect", name))
        assert isinstance(doc, list) and len(doc) == 1, doc
        return doc[0]

    def volume_dirs(self):
        d = os.path.join(self.root, "volumes")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def image_with_volume(self, tag="withvol:latest"):
        """An image whose /data holds seed (uid 1234, mode 0640) in a
        directory of mode 0750, declared VOLUME /data."""
        cid = self.ok("create", "busybox", "sh", "-c",
                      "mkdir -p /data/sub && echo seeded > /data/seed && "
                      "echo deep > /data/sub/deep && "
                      "ln -s seed /data/link && "
                      "chown 1234:1234 /data/seed && chmod 0640 /data/seed "
                      "&& chmod 0750 /data").strip()
        self.ok("start", "-a", cid)
        tar = os.path.join(self.tmp.name, "rootfs.tar")
        self.ok("export", "-o", tar, cid)
        self.ok("rm", cid)
        self.ok("import", "--change", "VOLUME /data", "--change",
                'CMD ["sh"]', tar, tag)
        return tag


def test_named_volume_outlives_its_container_and_is_shared(ctx):
    with Volumes(ctx) as b:
        assert b.ok("volume", "create", "--label", "k=v", "data") == \
            "data\n"
        doc = b.vol("data")
        assert doc["Name"] == "data" and doc["Driver"] == "local", doc
        assert doc["Scope"] == "local" and doc["Labels"] == {"k": "v"}, doc
        assert doc["Mountpoint"] == os.path.join(
            b.root, "volumes", "data", "_data"), doc
        assert doc["CreatedAt"].endswith("Z") and "T" in doc["CreatedAt"]
        # Creating it again returns it as it is.
        assert b.ok("volume", "create", "data") == "data\n"
        b.ok("run", "--rm", "-v", "data:/data", "busybox", "sh", "-c",
             "echo kept > /data/f")
        assert b.ok("run", "--rm", "-v", "data:/data", "busybox", "cat",
                    "/data/f") == "kept\n"
        with open(os.path.join(doc["Mountpoint"], "f")) as f:
            assert f.read() == "kept\n"
        # Two at once: each sees what the other writes.
        b.ok("run", "-d", "--name", "one", "-v", "data:/d", "busybox", "sh",
             "-c", "while [ ! -f /d/ping ]; do sleep 0.05; done; "
             "echo pong > /d/pong; sleep 30")
        out = b.ok("run", "--rm", "-v", "data:/d", "busybox", "sh", "-c",
                   "touch /d/ping; i=0; while [ ! -f /d/pong ] && "
                   "[ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done; "
                   "cat /d/pong")
        assert out == "pong\n", out
        b.ok("rm", "-f", "one")
        # run -v NAME: made when missing, as Docker's.
        b.ok("run", "--rm", "-v", "made:/m", "busybox", "true")
        assert "made" in b.vols()
        rows = b.ok("volume", "ls").splitlines()
        assert rows[0].split() == ["DRIVER", "VOLUME", "NAME"], rows
        assert ["local", "data"] in [r.split() for r in rows[1:]], rows
        assert b.ok("volume", "ls", "-q", "--filter", "label=k=v") == \
            "data\n"
        assert b.ok("volume", "ls", "--format", "{{.Name}} {{.Driver}}",
                    "--filter", "name=mad") == "made local\n"
        # The Labels column sorted by key, as ps and network ls.
        b.ok("volume", "create", "--label", "z=1", "--label", "a=2",
             "--label", "m", "tagged")
        assert b.ok("volume", "ls", "--format", "{{.Labels}}", "--filter",
                    "name=tagged") == "a=2,m=,z=1\n"
        b.ok("volume", "rm", "tagged")
        b.ok("volume", "rm", "data", "made")
        assert b.vols() == []
        # Docker's events: create, mount and unmount each run, destroy.
        out = b.ok("events", "--since", "10m", "--until",
                   str(time.time() + 1), "--filter", "type=volume",
                   "--filter", "volume=made", "--format",
                   "{{.Action}}")
        assert out.split() == ["create", "mount", "unmount", "destroy"], \
            out
        wait_for(lambda: b.volume_dirs() == [], 10, "volume files gone")


def test_copy_up_fills_a_new_volume_from_the_image(ctx):
    with Volumes(ctx) as b:
        img = b.image_with_volume()
        # The image's VOLUME: an anonymous volume, filled from it.
        out = b.ok("run", "--rm", img, "sh", "-c",
                   "cat /data/seed /data/sub/deep; readlink /data/link; "
                   "stat -c '%u %a' /data/seed; stat -c '%a' /data")
        assert out == "seeded\ndeep\nseed\n1234 640\n750\n", out
        # A new named volume is filled too, ownership and modes kept.
        out = b.ok("run", "--rm", "-v", "fresh:/data", img, "sh", "-c",
                   "cat /data/seed; stat -c '%u %a' /data/seed")
        assert out == "seeded\n1234 640\n", out
        data = b.vol("fresh")["Mountpoint"]
        assert os.stat(os.path.join(data, "seed")).st_uid == 1234
        assert oct(os.stat(data).st_mode & 0o7777) == "0o750"
        # One with content is not.
        b.ok("volume", "create", "full")
        b.ok("run", "--rm", "-v", "full:/x", "busybox", "sh", "-c",
             "echo mine > /x/mine")
        out = b.ok("run", "--rm", "-v", "full:/data", img, "ls", "/data")
        assert out == "mine\n", out
        # nocopy: left empty.
        out = b.ok("run", "--rm", "-v", "bare:/data:nocopy", img, "ls",
                   "-A", "/data")
        assert out == "", out
        out = b.ok("run", "--rm", "--mount",
                   "type=volume,source=bare2,target=/data,volume-nocopy",
                   img, "ls", "-A", "/data")
        assert out == "", out
        # A bind is never copied into.
        with tempfile.TemporaryDirectory() as host:
            b.ok("run", "--rm", "-v", f"{host}:/data", img, "true")
            assert os.listdir(host) == []


def test_copy_up_stays_inside_the_image(ctx):
    """An image path that is a symlink out of the rootfs resolves inside
    it: nothing of the host's is copied."""
    with Volumes(ctx) as b:
        cid = b.ok("create", "busybox", "sh", "-c",
                   "mkdir -p /etc/berth-seed && echo inner > "
                   "/etc/berth-seed/f && ln -s /etc/berth-seed /escape")\
            .strip()
        b.ok("start", "-a", cid)
        tar = os.path.join(b.tmp.name, "rootfs.tar")
        b.ok("export", "-o", tar, cid)
        b.ok("rm", cid)
        b.ok("import", "--change", "VOLUME /escape/..", "--change",
             'CMD ["sh"]', tar, "escape:latest")
        # /escape/.. is / inside the image: the image's /, never the
        # host's; and a link to an absolute path stays in the image.
        out = b.ok("run", "--rm", "-v", "esc:/probe", "escape", "sh", "-c",
                   "true")
        assert out == "", out
        b.ok("import", "--change", "VOLUME /escape", "--change",
             'CMD ["sh"]', tar, "escape2:latest")
        out = b.ok("run", "--rm", "-v", "esc2:/escape", "escape2", "ls",
                   "/escape")
        assert out == "f\n", out


def test_readonly_volume_and_bind_refuse_writes(ctx):
    with Volumes(ctx) as b, tempfile.TemporaryDirectory() as host:
        b.ok("volume", "create", "data")
        for spec in ("data:/d:ro", f"{host}:/d:ro"):
            p = b.run("run", "--rm", "-v", spec, "busybox", "sh", "-c",
                      "touch /d/x")
            assert p.returncode != 0 and b"Read-only file system" in \
                p.stderr, (spec, p)
        p = b.run("run", "--rm", "--mount",
                  "type=volume,source=data,target=/d,readonly", "busybox",
                  "touch", "/d/x")
        assert p.returncode != 0 and b"Read-only" in p.stderr, p
        assert os.listdir(host) == []
        assert os.listdir(b.vol("data")["Mountpoint"]) == []
        # rw still writes.
        b.ok("run", "--rm", "-v", f"{host}:/d:rw", "busybox", "touch",
             "/d/x")
        assert os.listdir(host) == ["x"]


def test_volume_in_use_refuses_rm(ctx):
    with Volumes(ctx) as b:
        b.ok("volume", "create", "data")
        cid = b.ok("create", "-v", "data:/d", "busybox", "sh", "-c",
                   "echo v > /d/f").strip()
        b.ok("start", "-a", cid)
        # Stopped, still a user: refused, with Docker's words.
        p = b.run("volume", "rm", "data")
        assert p.returncode == 1, p
        assert f"volume is in use - [{cid}]".encode() in p.stderr, p
        p = b.run("volume", "rm", "-f", "data")
        assert p.returncode == 1 and b"in use" in p.stderr, p
        assert b.vols() == ["data"]
        with open(os.path.join(b.vol("data")["Mountpoint"], "f")) as f:
            assert f.read() == "v\n"
        assert b.vol("data")["Name"] == "data"
        # prune -a leaves it too.
        b.ok("volume", "prune", "-a", "-f")
        assert b.vols() == ["data"]
        b.ok("rm", cid)
        assert b.ok("volume", "rm", "data") == "data\n"
        assert b.vols() == []
        wait_for(lambda: b.volume_dirs() == [], 10, "volume files gone")
        p = b.run("volume", "rm", "data")
        assert p.returncode == 1 and b"no such volume" in p.stderr, p
        b.ok("volume", "rm", "-f", "data")


def test_rm_v_removes_anonymous_volumes_not_named_ones(ctx):
    with Volumes(ctx) as b:
        cid = b.ok("create", "-v", "/anon", "-v", "named:/n", "busybox",
                   "true").strip()
        mounts = {m["Destination"]: m for m in b.inspect(cid)["Mounts"]}
        anon = mounts["/anon"]
        assert anon["Type"] == "volume" and len(anon["Name"]) == 64, anon
        assert anon["Driver"] == "local" and anon["RW"] is True, anon
        assert anon["Source"] == os.path.join(b.root, "volumes",
                                              anon["Name"], "_data")
        assert mounts["/n"]["Name"] == "named", mounts
        assert mounts["/n"]["Mode"] == "z", mounts
        assert b.vols() == sorted([anon["Name"], "named"])
        assert b.vol(anon["Name"])["Labels"] == \
            {"com.docker.volume.anonymous": ""}
        b.ok("rm", "-v", cid)
        assert b.vols() == ["named"], b.vols()
        # Without -v, an anonymous volume stays, dangling; prune takes
        # it (and only it, without -a).
        cid = b.ok("create", "-v", "/anon", "busybox", "true").strip()
        name = b.inspect(cid)["Mounts"][0]["Name"]
        b.ok("rm", cid)
        assert b.ok("volume", "ls", "-q", "--filter", "dangling=true")\
            .split() == sorted([name, "named"])
        out = b.ok("volume", "prune", "-f")
        assert out.startswith(f"Deleted Volumes:\n{name}\n"), out
        assert b.vols() == ["named"]
        b.ok("volume", "prune", "-a", "-f")
        assert b.vols() == []
        # run --rm takes the anonymous ones along.
        img = b.image_with_volume()
        b.ok("run", "--rm", img, "true")
        b.ok("run", "--rm", "-v", "/x", "busybox", "true")
        assert b.vols() == [], b.vols()
        wait_for(lambda: b.volume_dirs() == [], 10, "volume files gone")


def tree_removers(d):
    """The pids of berthd's tree-remove helpers."""
    return [p for p, cmd in helpers(d) if cmd[1:3] == [b"--helper",
                                                        b"tree-remove"]]


def test_prune_reports_the_space_its_files_gave_back(ctx):
    with Volumes(ctx) as b:
        b.ok("volume", "create", "big")
        # 3 MiB, and a hard link to it that must not count twice.
        b.ok("run", "--rm", "-v", "big:/d", "busybox", "sh", "-c",
             "dd if=/dev/zero of=/d/f bs=1M count=3 2>/dev/null && "
             "ln /d/f /d/g")
        cid = b.ok("create", "-v", "/anon", "busybox", "true").strip()
        anon = b.inspect(cid)["Mounts"][0]["Name"]
        b.ok("rm", cid)
        out = b.ok("volume", "prune", "-a", "-f").splitlines()
        assert out[0] == "Deleted Volumes:", out
        assert sorted(out[1:3]) == sorted(["big", anon]) and out[3] == "", out
        # Docker's decimal units; the files are gone when it answers.
        m = re.fullmatch(r"Total reclaimed space: ([0-9.]+)MB", out[4])
        assert m and 3.145 <= float(m.group(1)) < 3.5, out
        assert b.volume_dirs() == [], b.volume_dirs()
        assert b.ok("volume", "prune", "-a", "-f") == \
            "Total reclaimed space: 0B\n"
        # Docker's prune events, one a prune, with what it gave back.
        out = b.ok("events", "--since", "0", "--until", str(time.time()),
                   "--filter", "event=prune", "--format",
                   "{{.Type}} {{.Actor.Attributes.reclaimed}}")
        got = [l.split() for l in out.splitlines()]
        assert [t for t, _ in got] == ["volume", "volume"], out
        assert 3 << 20 <= int(got[0][1]) < 3.5e6 and got[1][1] == "0", out
        # A client that leaves before the answer: the files still go,
        # the event still comes, berthd goes on.  Its helper is held
        # stopped (when caught: it may be done first) while the client
        # hangs up, so the reply has no one to go to.
        b.ok("volume", "create", "left")
        b.ok("run", "--rm", "-v", "left:/d", "busybox", "sh", "-c",
             "for i in $(seq 3000); do echo $i > /d/f$i; done")
        r = b.d.raw()
        r.call("io.berth.Volume.Prune", {"all": True})
        r.sock.shutdown(socket.SHUT_WR)
        wait_for(lambda: b.vols() == [] or tree_removers(b.d), 10,
                 "the prune")
        held = tree_removers(b.d)
        for pid in held:
            os.kill(pid, signal.SIGSTOP)
        r.close()
        time.sleep(0.2)
        for pid in held:
            os.kill(pid, signal.SIGCONT)
        wait_for(lambda: b.volume_dirs() == [], 10, "volume files gone")
        assert b.vols() == []
        wait_for(lambda: len(b.ok(
            "events", "--since", "0", "--until", str(time.time()),
            "--filter", "event=prune").splitlines()) == 3, 10, "the event")
        assert b.d.ping() is not None


def test_volumes_from(ctx):
    with Volumes(ctx) as b:
        b.ok("create", "--name", "src", "-v", "vf:/shared", "-v", "/anon",
             "busybox", "true")
        b.ok("run", "--rm", "--volumes-from", "src", "busybox", "sh", "-c",
             "echo from > /shared/f && echo a > /anon/f")
        out = b.ok("run", "--rm", "-v", "vf:/v", "busybox", "cat", "/v/f")
        assert out == "from\n", out
        p = b.run("run", "--rm", "--volumes-from", "src:ro", "busybox",
                  "sh", "-c", "cat /anon/f; touch /shared/g")
        assert p.stdout == b"a\n" and b"Read-only" in p.stderr, p
        cid = b.ok("create", "--volumes-from", "src", "busybox",
                   "true").strip()
        dests = sorted(m["Destination"] for m in b.inspect(cid)["Mounts"])
        assert dests == ["/anon", "/shared"], dests
        # The second user keeps the anonymous volume from rm -v.
        anon = [m["Name"] for m in b.inspect("src")["Mounts"]
                if m["Destination"] == "/anon"][0]
        b.ok("rm", "-v", "src")
        assert anon in b.vols()
        b.ok("rm", "-v", cid)
        assert anon not in b.vols()
        p = b.run("create", "--volumes-from", "nosuch", "busybox", "true")
        assert p.returncode == 125 and b"No such container" in p.stderr, p


def test_tmpfs_volume_is_shared_and_unmounted_after(ctx):
    with Volumes(ctx) as b:
        b.ok("volume", "create", "--opt", "type=tmpfs", "--opt",
             "device=tmpfs", "--opt", "o=size=1m,mode=1777", "tv")
        doc = b.vol("tv")
        assert doc["Options"] == {"type": "tmpfs", "device": "tmpfs",
                                  "o": "size=1m,mode=1777"}, doc
        data = doc["Mountpoint"]
        assert mounts_under(data) == []
        b.ok("run", "-d", "--name", "one", "-v", "tv:/t", "busybox", "sh",
             "-c", "echo one > /t/f; sleep 30")
        assert mounts_under(data) == [data]
        out = b.ok("run", "--rm", "-v", "tv:/t", "busybox", "sh", "-c",
                   "i=0; while [ ! -f /t/f ] && [ $i -lt 200 ]; do "
                   "sleep 0.05; i=$((i+1)); done; cat /t/f; "
                   "grep ' /t ' /proc/mounts")
        assert out.startswith("one\ntmpfs /t tmpfs") and \
            "size=1024k" in out, out
        # Still used by one: still mounted.
        assert mounts_under(data) == [data]
        b.ok("stop", "-t", "0", "one")
        assert mounts_under(b.d.dir) == [], mounts_under(b.d.dir)
        # The data lived in the tmpfs: gone with it.
        assert os.listdir(data) == []
        b.ok("rm", "one")
        b.ok("volume", "rm", "tv")


def test_bind_backed_volume(ctx):
    with Volumes(ctx) as b, tempfile.TemporaryDirectory() as host:
        with open(os.path.join(host, "f"), "w") as f:
            f.write("host\n")
        b.ok("volume", "create", "--opt", "type=none", "--opt", "o=bind",
             "--opt", f"device={host}", "bv")
        out = b.ok("run", "--rm", "-v", "bv:/b", "busybox", "sh", "-c",
                   "cat /b/f; echo ctr > /b/g")
        assert out == "host\n", out
        assert sorted(os.listdir(host)) == ["f", "g"]
        assert mounts_under(b.d.dir) == []
        b.ok("volume", "rm", "bv")
        # The host's directory is never removed with the volume.
        assert sorted(os.listdir(host)) == ["f", "g"]


def test_bind_propagation(ctx):
    with Volumes(ctx) as b, tempfile.TemporaryDirectory() as host:
        def line(spec):
            out = b.ok("run", "--rm", "-v", spec, "busybox", "grep",
                       " /mnt ", "/proc/self/mountinfo")
            return out.split(" - ")[0]
        assert "shared:" in line(f"{host}:/mnt:rshared")
        assert "master:" in line(f"{host}:/mnt:rslave") or \
            "shared:" not in line(f"{host}:/mnt:rslave")
        assert "shared:" not in line(f"{host}:/mnt")
        cid = b.ok("create", "-v", f"{host}:/mnt:ro,rshared", "busybox",
                   "true").strip()
        m = b.inspect(cid)["Mounts"][0]
        assert (m["Type"], m["Source"], m["Destination"], m["RW"],
                m["Propagation"], m["Mode"]) == \
            ("bind", host, "/mnt", False, "rshared", "ro,rshared"), m
        b.ok("rm", cid)


def test_missing_bind_source(ctx):
    with Volumes(ctx) as b, tempfile.TemporaryDirectory() as tmp:
        missing = os.path.join(tmp, "a", "b")
        p = b.run("run", "--rm", "--mount",
                  f"type=bind,source={missing},target=/x", "busybox", "true")
        assert p.returncode == 125 and \
            b"bind source path does not exist" in p.stderr, p
        assert not os.path.exists(missing)
        # -v makes it, as Docker's.
        b.ok("run", "--rm", "-v", f"{missing}:/x", "busybox", "true")
        assert os.path.isdir(missing)
        assert b.ps("-aq") == []


def test_bad_input_is_refused_and_leaves_nothing(ctx):
    with Volumes(ctx) as b:
        cases = [
            (("volume", "create", "b@d"), b"invalid characters"),
            (("volume", "create", "x"), b"invalid characters"),
            (("volume", "create", "xx"), None),  # fine: control
            (("volume", "create", "--opt", "colour=red", "yy"),
             b"invalid option"),
            (("volume", "create", "--opt", "type=tmpfs", "zz"),
             b"device"),
            (("volume", "create", "--opt", "type=none", "--opt", "o=bind",
              "--opt", "device=/nonexistent/dir", "ww"), b"no such"),
            (("run", "--rm", "-v", "b@d:/x", "busybox", "true"),
             b"invalid characters"),
            (("run", "--rm", "-v", "good:rel", "busybox", "true"),
             b"must be absolute"),
            (("run", "--rm", "-v", "/rel", "-v", "relative", "busybox",
              "true"), b"must be absolute"),
            (("run", "--rm", "-v", "good:/x:bogus", "busybox", "true"),
             b"invalid mode"),
            (("run", "--rm", "-v", "good:/x", "-v", "other:/x", "busybox",
              "true"), b"Duplicate mount point"),
            (("run", "--rm", "--mount", "type=volume,source=good,target=/x,"
              "bind-propagation=rshared", "busybox", "true"),
             b"propagation"),
            (("run", "--rm", "--mount", "type=tmpfs,source=s,target=/x",
              "busybox", "true"), b"Source"),
        ]
        for args, words in cases:
            p = b.run(*args)
            if words is None:
                assert p.returncode == 0, p
                continue
            assert p.returncode in (1, 125) and words in p.stderr, \
                (args, p)
        assert b.vols() == ["xx"], b.vols()
        assert b.volume_dirs() == ["xx"], b.volume_dirs()
        assert b.ps("-aq") == []


def test_inspect_mounts_lists_each_kind(ctx):
    with Volumes(ctx) as b, tempfile.TemporaryDirectory() as host:
        cid = b.ok("create", "-v", f"{host}:/b", "-v", "nv:/v:ro",
                   "--mount", "type=tmpfs,target=/t,tmpfs-size=1m",
                   "--tmpfs", "/tt", "busybox", "true").strip()
        got = {m["Destination"]: m for m in b.inspect(cid)["Mounts"]}
        assert sorted(got) == ["/b", "/t", "/v"], got
        assert got["/b"] == {"Type": "bind", "Source": host,
                             "Destination": "/b", "Mode": "", "RW": True,
                             "Propagation": "rprivate"}, got["/b"]
        assert got["/v"] == {"Type": "volume", "Name": "nv",
                             "Source": os.path.join(b.root, "volumes", "nv",
                                                    "_data"),
                             "Destination": "/v", "Driver": "local",
                             "Mode": "ro", "RW": False,
                             "Propagation": ""}, got["/v"]
        assert got["/t"]["Type"] == "tmpfs" and got["/t"]["RW"], got["/t"]
        b.ok("rm", cid)


def test_no_stray_mount_after_berthd_is_killed(ctx):
    with Volumes(ctx) as b:
        b.ok("volume", "create", "--opt", "type=tmpfs", "--opt",
             "device=tmpfs", "tv")
        data = b.vol("tv")["Mountpoint"]
        cid = b.ok("run", "-d", "-v", "tv:/t", "busybox", "sleep",
                   "60").strip()
        pid = b.inspect(cid)["State"]["Pid"]
        assert mounts_under(data) == [data]
        b.d.kill()
        # The container dies while no berthd watches it.
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not os.path.exists(f"/proc/{pid}/stat") or
                 open(f"/proc/{pid}/stat").read().split()[2] == "Z", 10,
                 "the container's death")
        b.d.start()
        wait_for(lambda: b.state(cid) == "exited", 10, "exited")
        assert mounts_under(b.d.dir) == [], mounts_under(b.d.dir)
        # And one still running keeps its mount through a restart.
        b.ok("start", cid)
        assert mounts_under(data) == [data]
        b.d.kill()
        b.d.start()
        assert b.state(cid) == "running"
        assert mounts_under(data) == [data]
        b.ok("rm", "-f", cid)
        wait_for(lambda: mounts_under(b.d.dir) == [], 10, "unmounted")


def image_with_files(b, tag, n, make="echo $i > f$i"):
    """An image whose /data holds n entries made by `make` (sh, $i is
    1..n)."""
    cid = b.ok("create", "busybox", "sh", "-c",
               f"mkdir -p /data && cd /data && i=1; while [ $i -le {n} ];"
               f" do {make}; i=$((i+1)); done").strip()
    b.ok("start", "-a", cid)
    tar = os.path.join(b.tmp.name, "rootfs.tar")
    b.ok("export", "-o", tar, cid)
    b.ok("rm", cid)
    b.ok("import", "--change", 'CMD ["sh"]', tar, tag)
    os.unlink(tar)
    return tag


def test_no_copy_up_into_a_volume_another_container_holds(ctx):
    # A running container holds the volume: what it can change under the
    # copy (a name swapped for a symlink to a host file) must never lead
    # the copy out, so nothing is copied into it at all.
    with Volumes(ctx) as b:
        img = b.image_with_volume()
        b.ok("volume", "create", "held")
        holder = b.ok("run", "-d", "-v", "held:/data", "busybox", "sleep",
                      "60").strip()
        out = b.ok("run", "--rm", "-v", "held:/data", img, "ls", "-A",
                   "/data")
        assert out == "", out
        assert os.listdir(b.vol("held")["Mountpoint"]) == []
        b.ok("rm", "-f", holder)


def test_copy_up_of_fifos_and_devices_keeps_their_modes(ctx):
    # Modes set through the new node's fd, not its name.
    with Volumes(ctx) as b:
        img = image_with_files(b, "fifos:latest", 20,
                               "mkfifo -m 0712 p$i; ln f0 h$i 2>/dev/null "
                               "|| echo x > f0")
        out = b.ok("run", "--rm", "-v", "fv:/data", img, "sh", "-c",
                   "stat -c '%a %F' /data/p7; stat -c '%h' /data/f0")
        assert out == "712 fifo\n20\n", out


def test_volume_rm_while_an_earlier_removal_runs(ctx):
    # The trash of an earlier removal of the same name (its helper still
    # at work) is not in the way: each removal has a trash of its own.
    with Volumes(ctx) as b:
        vols = os.path.join(b.root, "volumes")
        b.ok("volume", "create", "big")
        os.makedirs(os.path.join(vols, ".trash-big", "keep"))
        try:
            b.ok("volume", "rm", "big")
            assert "big" not in b.vols()
            assert b.ok("volume", "create", "big") == "big\n"
            b.ok("volume", "rm", "big")
            # And for real: a removal of many files still running.
            b.ok("volume", "create", "big")
            b.ok("run", "--rm", "-v", "big:/d", "busybox", "sh", "-c",
                 "cd /d && i=0; while [ $i -lt 20000 ]; do echo > f$i; "
                 "i=$((i+1)); done")
            for _ in range(3):
                b.ok("volume", "rm", "big")
                assert b.ok("volume", "create", "big") == "big\n"
            b.ok("volume", "rm", "big")
            wait_for(lambda: b.volume_dirs() == [".trash-big"], 20,
                     "the trash removed")
        finally:
            subprocess.run(["rm", "-rf", os.path.join(vols, ".trash-big")])


def copying(b, name):
    """Wait for a copy-up into volume name to have begun (its _staging
    made); the path of _staging."""
    staging = os.path.join(b.root, "volumes", name, "_staging")
    wait_for(lambda: os.path.isdir(staging), 30, f"the copy into {name}")
    return staging


def kill_during_copy(b, cid):
    """Kill a container whose copy-up runs (over the protocol: no CLI to
    start first), and check that the kill did cut the copy short."""
    with b.d.client() as c:
        c.call("io.berth.Container.Kill", container=cid)
    wait_for(lambda: f"{cid[:12]}: copy-up cancelled" in b.d.log(), 30,
             "the copy-up to be cancelled")


def test_two_starts_on_one_new_volume_share_one_copy(ctx):
    with Volumes(ctx) as b:
        img = image_with_files(b, "bigdata:latest", 4000)
        for attempt in range(2):
            name = f"sv{attempt}"
            ids = [b.ok("create", "-v", f"{name}:/data", img, "sh", "-c",
                        "ls /data | wc -l").strip() for _ in range(2)]
            procs = [subprocess.Popen([ctx.berth, "-H", b.d.address,
                                       "start", "-a", i],
                                      stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE)
                     for i in ids]
            for p in procs:
                out, err = p.communicate(timeout=60)
                assert p.returncode == 0, err
                assert out.decode().strip() == "4000", (attempt, out)
            for i in ids:
                b.ok("rm", i)
        # The first start is killed during its copy, while the second
        # waits for it: the one waiting copies itself, and sees all of
        # it.
        big = image_with_files(b, "bigger:latest", 20000)
        ids = [b.ok("create", "-v", "sv9:/data", big, "sh", "-c",
                    "ls /data | wc -l").strip() for _ in range(2)]
        first = subprocess.Popen([ctx.berth, "-H", b.d.address, "start",
                                  ids[0]], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        copying(b, "sv9")
        second = subprocess.Popen([ctx.berth, "-H", b.d.address, "start",
                                   "-a", ids[1]], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        wait_for(lambda: f"{ids[1][:12]}: waits for the copy-up into sv9"
                 in b.d.log(), 30, "the second start to wait")
        kill_during_copy(b, ids[0])
        first.communicate(timeout=60)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert out.decode().strip() == "20000", out
        for i in ids:
            b.ok("rm", "-f", i)


def test_copy_up_is_atomic_and_happens_once(ctx):
    with Volumes(ctx) as b:
        img = b.image_with_volume()
        # Emptied, restarted: not filled again (Docker copies once).
        b.ok("volume", "create", "rv")
        cid = b.ok("create", "-v", "rv:/data", img, "sh", "-c",
                   "ls /data; rm -rf /data/*").strip()
        b.ok("start", cid)
        b.ok("wait", cid)
        first = b.ok("logs", cid)
        assert "seed" in first, first
        b.ok("start", cid)
        b.ok("wait", cid)
        assert b.ok("logs", cid) == first, "filled again"
        assert os.listdir(b.vol("rv")["Mountpoint"]) == []
        b.ok("rm", cid)
        # A start killed during its copy-up: the volume is left empty
        # (never half filled), and the next start fills it whole.
        big = image_with_files(b, "bigdata:latest", 20000)
        cid = b.ok("create", "-v", "pv:/data", big, "sh", "-c",
                   "ls /data | wc -l").strip()
        p = subprocess.Popen([ctx.berth, "-H", b.d.address, "start", cid],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        staging = copying(b, "pv")
        kill_during_copy(b, cid)
        p.communicate(timeout=60)
        data = b.vol("pv")["Mountpoint"]
        # Cut short: what was copied stays in _staging, _data is empty.
        assert os.listdir(data) == [], len(os.listdir(data))
        assert os.path.isdir(staging)
        b.ok("start", cid)
        b.ok("wait", cid)
        assert b.ok("logs", cid).split()[-1] == "20000"
        assert len(os.listdir(data)) == 20000
        b.ok("rm", cid)
        # A staging directory a crash left is swept at start; _data
        # stays as it was.
        b.ok("volume", "create", "cv")
        vdir = os.path.dirname(b.vol("cv")["Mountpoint"])
        os.makedirs(os.path.join(vdir, "_staging", "half"))
        b.d.kill()
        b.d.start()
        assert sorted(os.listdir(vdir)) == ["_data"], os.listdir(vdir)
        assert not [x for x in b.volume_dirs() if x.startswith(".trash")]
        out = b.ok("run", "--rm", "-v", "cv:/data", img, "cat", "/data/seed")
        assert out == "seeded\n", out


def test_no_stray_mount_when_the_root_is_not_canonical(ctx):
    need = tempfile.mkdtemp(prefix="berth-link-")
    try:
        os.mkdir(os.path.join(need, "real"))
        os.symlink("real", os.path.join(need, "link"))

        class Linked(Volumes):
            def __init__(self, ctx):
                # Busybox's, with the root given through a symlink and
                # a trailing slash.
                self.ctx = ctx
                self.tmp = tempfile.TemporaryDirectory()
                self.d = Daemon(ctx, root=os.path.join(need, "link") + "/")

        with Linked(ctx) as b, tempfile.TemporaryDirectory() as host:
            with open(os.path.join(host, "f"), "w") as f:
                f.write("x")
            b.ok("volume", "create", "--opt", "type=none", "--opt",
                 "o=bind", "--opt", f"device={host}", "bv")
            for _ in range(3):
                assert b.ok("run", "--rm", "-v", "bv:/x", "busybox", "ls",
                            "/x") == "f\n"
                assert mounts_under(need) == [], mounts_under(need)
            assert b.vol("bv")["Mountpoint"] == os.path.join(
                need, "real", "volumes", "bv", "_data")
            b.ok("volume", "rm", "bv")
            assert mounts_under(need) == []
    finally:
        for mp in sorted(mounts_under(need), reverse=True):
            subprocess.run(["umount", "-l", mp], check=False)
        subprocess.run(["rm", "-rf", need], check=False)


def test_ro_bind_is_read_only_all_the_way_down(ctx):
    with Volumes(ctx) as b, tempfile.TemporaryDirectory() as host:
        os.mkdir(os.path.join(host, "sub"))
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs",
                        os.path.join(host, "sub")], check=True)
        try:
            p = b.run("run", "--rm", "-v", f"{host}:/m:ro", "busybox", "sh",
                      "-c", "touch /m/top || touch /m/sub/x && echo WROTE")
            assert b"WROTE" not in p.stdout, p
            assert os.listdir(os.path.join(host, "sub")) == []
            out = b.ok("run", "--rm", "-v", f"{host}:/m:ro", "busybox",
                       "grep", " /m/sub ", "/proc/self/mountinfo")
            assert " ro," in out.split(" - ")[0] + ",", out
        finally:
            subprocess.run(["umount", "-l", os.path.join(host, "sub")])


def test_tmpfs_volume_mount_flags_in_o(ctx):
    with Volumes(ctx) as b:
        b.ok("volume", "create", "--opt", "type=tmpfs", "--opt",
             "device=tmpfs", "--opt", "o=size=1m,noexec,nosuid,nodev", "fl")
        out = b.ok("run", "--rm", "-v", "fl:/t", "busybox", "grep", " /t ",
                   "/proc/self/mountinfo")
        opts = out.split()[5].split(",")
        assert "noexec" in opts and "nosuid" in opts and "nodev" in opts, out
        assert "size=1024k" in out, out
        assert mounts_under(b.d.dir) == []


def test_rslave_bind_sees_host_mounts_made_after_start(ctx):
    with Volumes(ctx) as b, tempfile.TemporaryDirectory() as host:
        # The source a shared mount, as a host's / usually is.
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", host], check=True)
        try:
            subprocess.run(["mount", "--make-shared", host], check=True)
            os.mkdir(os.path.join(host, "sub"))
            cid = b.ok("run", "-d", "-v", f"{host}:/mnt:rslave", "busybox",
                       "sleep", "60").strip()
            subprocess.run(["mount", "-t", "tmpfs", "late",
                            os.path.join(host, "sub")], check=True)
            out = b.ok("exec", cid, "grep", " /mnt/sub ",
                       "/proc/self/mountinfo")
            assert "master:" in out and " late " in out, out
            b.ok("rm", "-f", cid)
            # rprivate (the default): it does not.
            cid = b.ok("run", "-d", "-v", f"{host}:/mnt", "busybox",
                       "sleep", "60").strip()
            subprocess.run(["umount", os.path.join(host, "sub")],
                           check=True)
            subprocess.run(["mount", "-t", "tmpfs", "later",
                            os.path.join(host, "sub")], check=True)
            p = b.run("exec", cid, "grep", " later ",
                      "/proc/self/mountinfo")
            assert p.returncode == 1, p
            b.ok("rm", "-f", cid)
        finally:
            subprocess.run(["umount", "-R", "-l", host])


def test_rm_f_of_a_missing_volume_emits_nothing(ctx):
    with Volumes(ctx) as b:
        t0 = time.time_ns()
        b.ok("volume", "rm", "-f", "nosuch")
        b.ok("volume", "create", "gone")
        b.ok("volume", "rm", "-f", "gone")
        t1 = time.time_ns() + 10**8
        out = b.ok("events", "--since", f"{t0 // 10**9}.{t0 % 10**9:09d}",
                   "--until", f"{t1 // 10**9}.{t1 % 10**9:09d}",
                   "--filter", "type=volume")
        assert "nosuch" not in out, out
        assert "destroy gone" in out, out
