"""Looking at containers through the berth CLI against a real berthd: top,
stats, rename, diff, export (and their "container ..." names), with
Docker's output and exit codes."""
import io
import json
import os
import subprocess
import tarfile
import tempfile
import time

from harness import wait_for
from test_container_cli import Busybox


def sleeper(b, name, *prep):
    """A running container named name that ran the shell lines prep
    first."""
    script = "; ".join(list(prep) + ["touch /tmp/ready", "exec sleep 300"])
    b.ok("run", "-d", "--name", name, "busybox", "sh", "-c", script)
    wait_for(lambda: b.run("diff", name).stdout.find(b"/tmp/ready") >= 0,
             timeout=30, what=f"{name} ready")


def test_top_lists_the_containers_processes(ctx):
    with Busybox(ctx) as b:
        sleeper(b, "topper")
        lines = b.ok("top", "topper").splitlines()
        assert lines[0].split() == ["UID", "PID", "PPID", "C", "STIME",
                                    "TTY", "TIME", "CMD"], lines
        assert len(lines) == 2 and lines[1].split()[0] == "root", lines
        assert lines[1].endswith("sleep 300"), lines
        pid = b.inspect("topper")["State"]["Pid"]
        assert lines[1].split()[1] == str(pid), (lines, pid)
        # Other ps options: the host's ps, the container's rows.
        lines = b.ok("top", "topper", "-o", "pid,comm").splitlines()
        assert lines[0].split() == ["PID", "COMMAND"], lines
        assert [l.split() for l in lines[1:]] == [[str(pid), "sleep"]], lines
        b.ok("stop", "-t", "0", "topper")
        p = b.run("top", "topper")
        assert p.returncode == 1 and b"is not running" in p.stderr, p
        b.ok("rm", "topper")


def test_stats_no_stream_shows_a_row(ctx):
    with Busybox(ctx) as b:
        sleeper(b, "statted")
        lines = b.ok("stats", "--no-stream", "statted").splitlines()
        assert len(lines) == 2, lines
        head = lines[0]
        for col in ("CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT",
                    "MEM %", "NET I/O", "BLOCK I/O", "PIDS"):
            assert col in head, head
        out = b.ok("stats", "--no-stream", "--format", "{{json .}}",
                   "statted")
        row = json.loads(out)
        assert row["Name"] == "statted" and row["PIDs"] == "1", row
        assert row["Container"] == "statted", row
        assert len(row["ID"]) == 12, row
        usage, limit = row["MemUsage"].split(" / ")
        assert usage.endswith("B") and usage[0].isdigit(), row
        assert usage != "0B" and limit != "0B", row
        assert row["CPUPerc"].endswith("%"), row
        # No names: the running containers; -a the stopped ones too.
        b.ok("create", "--name", "idle", "busybox", "true")
        names = [json.loads(l)["Name"] for l in b.ok(
            "stats", "--no-stream", "--format", "json").splitlines()]
        assert names == ["statted"], names
        names = [json.loads(l)["Name"] for l in b.ok(
            "stats", "-a", "--no-stream", "--format", "json").splitlines()]
        assert sorted(names) == ["idle", "statted"], names
        row = json.loads(b.ok("stats", "--no-stream", "--format",
                              "{{json .}}", "idle"))
        assert row["PIDs"] == "0" and row["CPUPerc"] == "0.00%", row
        b.ok("rm", "-f", "statted", "idle")


def test_stats_stream_ends_when_the_container_stops(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "-d", "--name", "brief", "busybox", "sleep", "2")
        out = b.ok("stats", "--format", "{{.Name}} {{.PIDs}}", "brief",
                   timeout=30)
        lines = out.splitlines()
        assert len(lines) >= 2 and lines[0] == "brief 1", lines
        assert lines[-1] == "brief 0", lines
        b.ok("rm", "brief")


def test_rename_changes_the_name_everywhere(ctx):
    with Busybox(ctx) as b:
        b.ok("create", "--name", "before", "busybox", "true")
        b.ok("create", "--name", "other", "busybox", "true")
        assert b.ok("rename", "before", "after") == ""
        assert b.inspect("after")["Name"] == "/after"
        names = b.ok("ps", "-a", "--format", "{{.Names}}").split()
        assert sorted(names) == ["after", "other"], names
        p = b.run("rename", "after", "other")
        assert p.returncode == 1 and b"already in use" in p.stderr, p
        assert b.inspect("after")["Name"] == "/after"
        p = b.run("rename", "after", "after")
        assert p.returncode == 1 and b"same name" in p.stderr, p
        p = b.run("rename", "after", "bad/name")
        assert p.returncode == 1 and b"Invalid container name" in \
            p.stderr, p
        b.ok("rm", "after", "other")


def test_diff_shows_added_changed_and_deleted(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "--name", "changer", "busybox", "sh", "-c",
             "echo new > /added; echo x >> /etc/passwd; rm /etc/group")
        lines = b.ok("diff", "changer").splitlines()
        assert "A /added" in lines, lines
        assert "C /etc" in lines and "C /etc/passwd" in lines, lines
        assert "D /etc/group" in lines, lines
        assert lines == sorted(lines, key=lambda l: l[2:]), lines
        b.ok("rm", "changer")


def tar_names(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return {m.name: m for m in t.getmembers()}, t


def check_export(b, name, tmp):
    out = b.run("export", name)
    assert out.returncode == 0, out
    names, _ = tar_names(out.stdout)
    assert "bin/busybox" in names and names["bin/busybox"].isfile(), \
        sorted(names)[:20]
    assert "written" in names, sorted(names)
    assert not any(n.startswith("/") or n.startswith("./") for n in names)
    assert "etc/group" not in names
    with tarfile.open(fileobj=io.BytesIO(out.stdout)) as t:
        assert t.extractfile("written").read() == b"by the container\n"
    path = os.path.join(tmp, f"{name}.tar")
    assert b.ok("export", "-o", path, name) == ""
    with open(path, "rb") as f:
        assert set(tar_names(f.read())[0]) == set(names)


def test_export_writes_the_whole_filesystem(ctx):
    with Busybox(ctx) as b, tempfile.TemporaryDirectory() as tmp:
        sleeper(b, "running", "echo 'by the container' > /written",
                "rm /etc/group")
        check_export(b, "running", tmp)
        # Not what is mounted inside it.
        names, _ = tar_names(b.run("export", "running").stdout)
        assert not any(n.startswith("proc/") and n != "proc/"
                       for n in names), [n for n in names if "proc" in n][:5]
        b.ok("stop", "-t", "0", "running")
        check_export(b, "running", tmp)
        b.ok("rm", "running")


def test_export_is_the_layers_not_the_mounts_nor_the_host(ctx):
    with Busybox(ctx) as b, tempfile.TemporaryDirectory() as tmp:
        host = os.path.join(tmp, "hostfile")
        with open(host, "w") as f:
            f.write("host secret\n")
        # A bind-mounted file, and links that lead out of the tree if
        # they were followed on the host: the tar has the mount target
        # as the image has it and the links as links.
        b.ok("run", "-d", "--name", "ex", "-v", f"{host}:/etc/motd:ro",
             "busybox", "sh", "-c", "ln -s /etc /etc-link; "
             "ln -s /etc/shadow /shadow-link; sleep 300")
        time.sleep(0.3)
        data = b.run("export", "ex").stdout
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            members = {m.name: m for m in t.getmembers()}
            assert members["etc-link"].issym(), members["etc-link"]
            assert members["etc-link"].linkname == "/etc"
            assert members["shadow-link"].issym()
            assert not any(n.startswith("etc-link/") for n in members)
            motd = members.get("etc/motd")
            content = t.extractfile(motd).read() if motd is not None and \
                motd.isfile() else b""
            assert b"host secret" not in content, content
        assert b"host secret" not in data
        b.ok("rm", "-f", "ex")


def test_export_to_a_file_is_whole_or_nothing(ctx):
    with Busybox(ctx) as b, tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "precious.tar")
        with open(out, "w") as f:
            f.write("keep me\n")
        p = b.run("export", "-o", out, "typo")
        assert p.returncode == 1 and b"No such container" in p.stderr, p
        assert open(out).read() == "keep me\n"
        assert os.listdir(tmp) == ["precious.tar"], os.listdir(tmp)
        b.ok("create", "--name", "c", "busybox", "true")
        b.ok("export", "-o", out, "c")
        names, _ = tar_names(open(out, "rb").read())
        assert "bin/busybox" in names
        assert os.listdir(tmp) == ["precious.tar"], os.listdir(tmp)
        b.ok("rm", "c")


def test_export_refuses_a_terminal(ctx):
    with Busybox(ctx) as b:
        b.ok("create", "--name", "tty", "busybox", "true")
        master, slave = os.openpty()
        try:
            p = subprocess.run([ctx.berth, "-H", b.d.address, "export",
                                "tty"], stdout=slave,
                               stderr=subprocess.PIPE, timeout=30)
        finally:
            os.close(slave)
            os.close(master)
        assert p.returncode == 1, p
        assert b"cowardly refusing to save to a terminal" in p.stderr, p
        b.ok("rm", "tty")


def test_no_such_container(ctx):
    with Busybox(ctx) as b:
        for args in (["top", "x"], ["stats", "--no-stream", "x"],
                     ["rename", "x", "y"], ["diff", "x"],
                     ["export", "x"]):
            p = b.run(*args)
            assert p.returncode == 1, (args, p)
            assert p.stderr.decode().endswith("No such container: x\n"), \
                (args, p.stderr)


def test_container_group_names_the_commands(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "--name", "grouped", "busybox", "touch", "/new")
        assert b.ok("container", "diff", "grouped") == "A /new\n"
        assert b.ok("container", "rename", "grouped", "regrouped") == ""
        p = b.run("container", "top", "regrouped")
        assert p.returncode == 1 and b"is not running" in p.stderr, p
        row = json.loads(b.ok("container", "stats", "--no-stream",
                              "--format", "json", "regrouped"))
        assert row["Name"] == "regrouped", row
        names, _ = tar_names(b.run("container", "export",
                                   "regrouped").stdout)
        assert "new" in names, sorted(names)
        help = b.ok("container", "--help")
        for cmd in ("top", "stats", "rename", "diff", "export"):
            assert f"  {cmd} " in help, help
        b.ok("rm", "regrouped")


def test_an_abandoned_export_leaves_no_helper_behind(ctx):
    from harness import Raw

    def pidfds(pid):
        n = 0
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if "pidfd" in os.readlink(f"/proc/{pid}/fd/{fd}"):
                    n += 1
            except OSError:
                pass
        return n

    with Busybox(ctx) as b:
        b.ok("create", "--name", "big", "busybox", "true")
        base = pidfds(b.d.pid)
        for _ in range(3):
            r = Raw(b.d.path)
            r.call("io.berth.Container.Export", {"container": "big"},
                   more=True)
            r.recv_frame()          # a first chunk: the helper runs
            r.close()
        wait_for(lambda: pidfds(b.d.pid) == base, 10,
                 "the export helpers gone")
        b.ok("rm", "big")
