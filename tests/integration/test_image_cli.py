"""Docker's image commands in the berth CLI against a real berthd: load,
images, tag, inspect, history, save, import, rmi, image prune, system df,
with Docker's output, exit codes and nothing left behind on failure."""
import json
import os
import pty
import select
import subprocess
import tarfile
import tempfile
import io
import unittest

from harness import Daemon
from image_harness import busybox, call, image_ids, load, members


def berth(ctx, d, *args, stdin=None, timeout=120):
    if not os.access(ctx.berth, os.X_OK):
        raise unittest.SkipTest(f"{ctx.berth} not built")
    return subprocess.run([ctx.berth, "-H", d.address, *args],
                          capture_output=True, timeout=timeout,
                          stdin=stdin if stdin is not None
                          else subprocess.DEVNULL)


def ok(p):
    assert p.returncode == 0, (p.args, p.returncode, p.stderr)
    return p.stdout.decode()


def _archive(tmp, fmt="docker", tag="busybox:latest"):
    path = os.path.join(tmp, f"{fmt}-{tag.replace(':', '_')}.tar")
    with open(path, "wb") as f:
        f.write(busybox(fmt, tag))
    return path


def test_cli_load_from_file_and_stdin(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        out = ok(berth(ctx, d, "load", "-i", _archive(tmp)))
        assert out == "Loaded image: busybox:latest\n", out
        with open(_archive(tmp, "oci", "busybox:oci"), "rb") as f:
            out = ok(berth(ctx, d, "load", stdin=f))
        assert out == "Loaded image: busybox:oci\n", out
        with open(os.path.join(tmp, "junk"), "wb") as f:
            f.write(os.urandom(4096))
        p = berth(ctx, d, "load", "-i", os.path.join(tmp, "junk"))
        assert p.returncode == 1, p
        assert p.stderr.decode().startswith("Error response from daemon:"), \
            p.stderr
        assert len(image_ids(d)) == 1


def test_cli_images_lists_tags_ids_and_filters(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        ok(berth(ctx, d, "load", "-i", _archive(tmp)))
        ok(berth(ctx, d, "tag", "busybox", "example.com/team/app:1.0"))
        iid = image_ids(d)[0]
        out = ok(berth(ctx, d, "images")).splitlines()
        assert out[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID",
                                  "CREATED", "SIZE"], out
        rows = sorted(l.split()[:3] for l in out[1:])
        short = iid[len("sha256:"):][:12]
        assert rows == [["busybox", "latest", short],
                        ["example.com/team/app", "1.0", short]], rows
        assert ok(berth(ctx, d, "images", "-q")).split() == [short, short]
        out = ok(berth(ctx, d, "images", "--format",
                       "{{.Repository}}:{{.Tag}}",
                       "--filter", "reference=busybox"))
        assert out == "busybox:latest\n", out
        out = ok(berth(ctx, d, "images", "--filter", "dangling=true", "-q"))
        assert out == "", out


def test_cli_inspect_and_history(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        ok(berth(ctx, d, "load", "-i", _archive(tmp)))
        doc = json.loads(ok(berth(ctx, d, "image", "inspect", "busybox")))
        assert isinstance(doc, list) and len(doc) == 1, doc
        assert doc[0]["RepoTags"] == ["busybox:latest"], doc[0]
        assert doc[0]["Config"]["Cmd"] == ["sh"], doc[0]["Config"]
        out = ok(berth(ctx, d, "image", "inspect", "--format",
                       "{{.Id}} {{json .Config.Cmd}}", "busybox"))
        assert out == f"{doc[0]['Id']} [\"sh\"]\n", out
        p = berth(ctx, d, "image", "inspect", "nosuch")
        assert p.returncode == 1, p
        assert "No such image: nosuch" in p.stderr.decode(), p.stderr
        out = ok(berth(ctx, d, "history", "busybox")).splitlines()
        assert out[0].split()[:3] == ["IMAGE", "CREATED", "CREATED"], out
        assert len(out) == 2 and "mkimage" in out[1], out


def test_cli_save_writes_an_archive_that_loads_back(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        ok(berth(ctx, d, "load", "-i", _archive(tmp)))
        iid = image_ids(d)[0]
        for fmt in ("docker", "oci"):
            path = os.path.join(tmp, f"saved-{fmt}.tar")
            ok(berth(ctx, d, "save", "--format", fmt, "-o", path, "busybox"))
            names = members(open(path, "rb").read())
            assert ("index.json" in names) == (fmt == "oci"), names.keys()
            assert "manifest.json" in names, names.keys()
            with Daemon(ctx) as d2:
                assert ok(berth(ctx, d2, "load", "-i", path)) == \
                    "Loaded image: busybox:latest\n"
                assert image_ids(d2) == [iid]
        # A failed save leaves no file and no temporary file.
        before = sorted(os.listdir(tmp))
        p = berth(ctx, d, "save", "-o", os.path.join(tmp, "bad.tar"),
                  "nosuch")
        assert p.returncode == 1, p
        assert sorted(os.listdir(tmp)) == before, os.listdir(tmp)


def test_cli_save_refuses_a_terminal(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        ok(berth(ctx, d, "load", "-i", _archive(tmp)))
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execv(ctx.berth, [ctx.berth, "-H", d.address, "save",
                                     "busybox"])
            finally:
                os._exit(127)
        out = b""
        while True:
            r, _, _ = select.select([fd], [], [], 30)
            if not r:
                break
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        assert os.waitstatus_to_exitcode(status) != 0, out
        assert b"cowardly refusing to save to a terminal" in out, out


def test_cli_import_with_changes(ctx):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        ti = tarfile.TarInfo("hello")
        ti.size = 3
        t.addfile(ti, io.BytesIO(b"hi\n"))
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "rootfs.tar")
        with open(path, "wb") as f:
            f.write(buf.getvalue())
        out = ok(berth(ctx, d, "import", "-c", 'CMD ["/hello"]',
                       "--change", "ENV A=1", "-c", "EXPOSE 80",
                       "-m", "from a test", path, "imp:1"))
        assert out.startswith("sha256:") and len(out.strip()) == 71, out
        doc = json.loads(ok(berth(ctx, d, "image", "inspect", "imp:1")))[0]
        assert doc["Id"] == out.strip(), doc["Id"]
        assert doc["Config"]["Cmd"] == ["/hello"], doc["Config"]
        assert "A=1" in doc["Config"]["Env"], doc["Config"]
        assert doc["Config"]["ExposedPorts"] == {"80/tcp": {}}, doc["Config"]
        assert doc["Comment"] == "from a test", doc["Comment"]
        with open(path, "rb") as f:
            p = berth(ctx, d, "import", "-c", "BOGUS x", "-", "bad:1",
                      stdin=f)
        assert p.returncode == 1, p
        assert "BOGUS" in p.stderr.decode(), p.stderr
        assert image_ids(d) == [doc["Id"]]


def test_cli_rmi_untags_then_deletes(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        ok(berth(ctx, d, "load", "-i", _archive(tmp)))
        iid = image_ids(d)[0]
        ok(berth(ctx, d, "tag", "busybox", "other:1"))
        p = berth(ctx, d, "rmi", iid[7:19])
        assert p.returncode == 1, p
        assert "must be forced" in p.stderr.decode(), p.stderr
        assert ok(berth(ctx, d, "rmi", "other:1")) == "Untagged: other:1\n"
        out = ok(berth(ctx, d, "rmi", "busybox"))
        assert out == f"Untagged: busybox:latest\nDeleted: {iid}\n", out
        p = berth(ctx, d, "rmi", "nosuch")
        assert p.returncode == 1 and b"nosuch" in p.stderr, p
        assert image_ids(d) == []


def test_cli_prune_and_system_df(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        ok(berth(ctx, d, "load", "-i", _archive(tmp)))
        df = ok(berth(ctx, d, "system", "df")).splitlines()
        assert df[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE",
                                 "RECLAIMABLE"], df
        assert df[1].split()[:3] == ["Images", "1", "0"], df
        # Tagged: a plain prune keeps it, -a removes it.
        out = ok(berth(ctx, d, "image", "prune", "-f"))
        assert "Total reclaimed space: 0B" in out, out
        assert len(image_ids(d)) == 1
        out = ok(berth(ctx, d, "image", "prune", "-a", "-f"))
        assert "untagged: busybox:latest" in out, out
        assert "Total reclaimed space:" in out and "space: 0B" not in out, out
        assert image_ids(d) == []
        assert os.listdir(os.path.join(d.root, "blobs", "sha256")) == []


def test_cli_load_shows_progress_on_a_terminal(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        path = _archive(tmp)
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execv(ctx.berth, [ctx.berth, "-H", d.address, "load",
                                     "-i", path])
            finally:
                os._exit(127)
        out = b""
        while True:
            r, _, _ = select.select([fd], [], [], 60)
            if not r:
                break
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        assert os.waitstatus_to_exitcode(status) == 0, out
        assert b"Loading layer" in out, out
        assert b"Loaded image: busybox:latest" in out, out
