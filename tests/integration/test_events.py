"""berth events (and berth system events) against a real berthd: image
events seen live by a command started before them, --since replaying the
daemon's memory, --until ending the command, Docker's filters (type,
event, image, label, container; the same key ORs, keys AND), a bad
filter refused, --format json and templates, SIGINT ending it with 0,
a stopping daemon ending it.

Container events (create, start, die with its exitCode, destroy) come
from the container code; their tests are the test_container_* ones
below."""
import io
import json
import os
import select
import signal
import subprocess
import tarfile
import tempfile
import time
import unittest

from harness import Daemon, Raw, need_root, wait_for
from image_harness import busybox, image_ids

LINE_TIMEOUT = 20.0


def berth(ctx, d, *args, stdin=None, timeout=60):
    if not os.access(ctx.berth, os.X_OK):
        raise unittest.SkipTest(f"{ctx.berth} not built")
    return subprocess.run([ctx.berth, "-H", d.address, *args],
                          capture_output=True, timeout=timeout,
                          stdin=stdin if stdin is not None
                          else subprocess.DEVNULL)


def ok(p):
    assert p.returncode == 0, (p.args, p.returncode, p.stdout, p.stderr)
    return p.stdout.decode()


def stamp(ns=None):
    """A time as --since and --until take it: unix seconds.nanoseconds."""
    ns = time.time_ns() if ns is None else ns
    return f"{ns // 10**9}.{ns % 10**9:09d}"


def fields(line):
    """Docker's default line: (type, action, id, {attributes})."""
    head, _, rest = line.partition(" (")
    parts = head.split(" ")
    assert len(parts) >= 3, line
    ts, typ, action = parts[0], parts[1], parts[2]
    actor = parts[3] if len(parts) > 3 else ""
    assert ts[:4].isdigit() and "T" in ts, line
    attrs = {}
    if rest:
        assert rest.endswith(")"), line
        for kv in rest[:-1].split(", "):
            k, _, v = kv.partition("=")
            attrs[k] = v
    return typ, action, actor, attrs


class Watch:
    """A running "berth events" whose lines are read as they come."""

    def __init__(self, ctx, d, *args):
        if not os.access(ctx.berth, os.X_OK):
            raise unittest.SkipTest(f"{ctx.berth} not built")
        self.proc = subprocess.Popen(
            [ctx.berth, "-H", d.address, "events", *args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self.buf = b""
        self.lines = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()

    def _read(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not r:
            return False
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            return None
        self.buf += chunk
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            self.lines.append(line.decode())
        return True

    def wait_line(self, pred, what, timeout=LINE_TIMEOUT):
        """The first line (seen so far or to come) that pred accepts."""
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if pred(line):
                    return line
            seen = len(self.lines)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no event {what} within {timeout}s; "
                                     f"got {self.lines!r}")
            if self._read(left) is None:
                raise AssertionError(
                    f"berth events ended before {what}: "
                    f"{self.proc.wait()} {self.proc.stderr.read()!r} "
                    f"lines {self.lines!r}")

    def wait_event(self, typ, action, pred=lambda f: True, **kw):
        return fields(self.wait_line(
            lambda l: fields(l)[:2] == (typ, action) and pred(fields(l)),
            f"{typ} {action}", **kw))

    def sync(self, ctx, d, name="berth-events-probe:latest"):
        """Until a tag made now is seen: the subscription is live."""
        deadline = time.monotonic() + LINE_TIMEOUT
        while True:
            ok(berth(ctx, d, "tag", "busybox", name))
            try:
                self.wait_line(lambda l: fields(l)[1] == "tag" and
                               fields(l)[3].get("name") == name,
                               "probe tag", timeout=0.3)
                return
            except AssertionError:
                if time.monotonic() > deadline:
                    raise


def load_busybox(ctx, d, tmp, tag="busybox:latest"):
    path = os.path.join(tmp, f"{tag.replace(':', '_')}.tar")
    with open(path, "wb") as f:
        f.write(busybox("docker", tag))
    ok(berth(ctx, d, "load", "-i", path))


def rootfs_tar(tmp):
    """A one-file root filesystem tarball for import."""
    path = os.path.join(tmp, "rootfs.tar")
    with tarfile.open(path, "w") as t:
        data = b"hello\n"
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return path


def replay(ctx, d, since, until, *args):
    """berth events --since --until: it must end by itself, with 0."""
    out = ok(berth(ctx, d, "events", "--since", since, "--until", until,
                   *args, timeout=30))
    return [fields(l) for l in out.splitlines()]


# --- image events ---------------------------------------------------------

def test_image_events_are_seen_live(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        # --since covers the moment before the subscription is read.
        with Watch(ctx, d, "--since", stamp()) as w:
            load_busybox(ctx, d, tmp)
            iid = image_ids(d)[0]
            _, _, actor, attrs = w.wait_event("image", "load")
            assert actor == iid and attrs.get("name") == iid, (actor, attrs)
            # From here on the stream is live.
            ok(berth(ctx, d, "tag", "busybox", "example.com/app:1.0"))
            _, _, actor, attrs = w.wait_event("image", "tag")
            assert actor == iid, actor
            assert attrs["name"] == "example.com/app:1.0", attrs
            ok(berth(ctx, d, "rmi", "example.com/app:1.0"))
            _, _, actor, attrs = w.wait_event("image", "untag")
            assert actor == iid and attrs["name"] == iid, (actor, attrs)
            ok(berth(ctx, d, "rmi", "busybox"))
            w.wait_event("image", "delete", lambda f: f[2] == iid)
            actions = [fields(l)[1] for l in w.lines]
            assert actions == ["load", "tag", "untag", "untag", "delete"], \
                w.lines
            assert w.proc.poll() is None, "berth events ended by itself"


def test_without_since_only_new_events_are_shown(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        load_busybox(ctx, d, tmp)
        ok(berth(ctx, d, "tag", "busybox", "before:1"))
        with Watch(ctx, d) as w:
            w.sync(ctx, d)
            ok(berth(ctx, d, "tag", "busybox", "after:1"))
            w.wait_event("image", "tag", lambda f: f[3]["name"] ==
                         "after:1")
            assert not any("before:1" in l or " load " in l
                           for l in w.lines), w.lines


def test_save_import_and_prune_events(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        t0 = stamp()
        load_busybox(ctx, d, tmp)
        iid = image_ids(d)[0]
        ok(berth(ctx, d, "save", "-o", os.path.join(tmp, "s.tar"),
                 "busybox"))
        out = ok(berth(ctx, d, "import", rootfs_tar(tmp), "imported:1"))
        imported = out.strip()
        ok(berth(ctx, d, "rmi", "imported:1"))
        ok(berth(ctx, d, "image", "prune", "-a", "-f"))
        evs = replay(ctx, d, t0, stamp())
        acts = [(e[1], e[2]) for e in evs]
        assert ("save", iid) in acts, evs
        assert acts[0] == ("load", iid), evs
        assert any(a == "import" and imported.endswith(i[7:])
                   for a, i in acts if i.startswith("sha256:")), evs
        assert ("delete", iid) in acts, evs
        prune = [e for e in evs if e[1] == "prune"]
        assert len(prune) == 1 and prune[0][0] == "image", evs
        assert int(prune[0][3]["reclaimed"]) > 0, prune


# --- since, until ---------------------------------------------------------

def test_since_replays_and_until_ends_the_command(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        load_busybox(ctx, d, tmp)
        t0 = stamp()
        ok(berth(ctx, d, "tag", "busybox", "one:1"))
        ok(berth(ctx, d, "tag", "busybox", "two:1"))
        t1 = stamp()
        ok(berth(ctx, d, "tag", "busybox", "three:1"))
        names = [e[3]["name"] for e in replay(ctx, d, t0, t1)]
        assert names == ["one:1", "two:1"], names
        # Only since: the replay, then it follows (until interrupted).
        with Watch(ctx, d, "--since", t0) as w:
            w.wait_event("image", "tag", lambda f: f[3]["name"] ==
                         "three:1")
            assert [fields(l)[3]["name"] for l in w.lines] == \
                ["one:1", "two:1", "three:1"], w.lines
            ok(berth(ctx, d, "tag", "busybox", "four:1"))
            w.wait_event("image", "tag", lambda f: f[3]["name"] ==
                         "four:1")
        # A relative since ("1h": an hour ago) reaches back to the load.
        p = berth(ctx, d, "events", "--since", "1h", "--until", stamp())
        assert [fields(l)[1] for l in ok(p).splitlines()][0] == "load", p
        # until in the future: events until then, then the end, status 0.
        with Watch(ctx, d, "--until", stamp(time.time_ns() + 2 * 10**9)) \
                as w:
            ok(berth(ctx, d, "tag", "busybox", "five:1"))
            w.wait_event("image", "tag", lambda f: f[3]["name"] ==
                         "five:1")
            assert w.proc.wait(timeout=15) == 0, w.proc.stderr.read()
        # until before since is refused.
        p = berth(ctx, d, "events", "--since", t1, "--until", t0)
        assert p.returncode == 1, p
        assert b"Error response from daemon:" in p.stderr, p.stderr


def test_system_events_is_events(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        t0 = stamp()
        load_busybox(ctx, d, tmp)
        t1 = stamp()
        a = ok(berth(ctx, d, "events", "--since", t0, "--until", t1))
        b = ok(berth(ctx, d, "system", "events", "--since", t0, "--until",
                     t1))
        assert a == b and " image load " in a, (a, b)


# --- filters --------------------------------------------------------------

def test_filters(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        t0 = stamp()
        load_busybox(ctx, d, tmp)
        iid = image_ids(d)[0]
        ok(berth(ctx, d, "tag", "busybox", "other:2"))
        out = ok(berth(ctx, d, "import", "-c", "LABEL team=blue",
                       rootfs_tar(tmp), "labelled:1"))
        ok(berth(ctx, d, "tag", "labelled:1", "labelled:2"))
        ok(berth(ctx, d, "rmi", "other:2"))
        t1 = stamp()

        def acts(*filters):
            args = []
            for f in filters:
                args += ["--filter", f]
            return [(e[1], e[3].get("name")) for e in
                    replay(ctx, d, t0, t1, *args)]

        every = acts()
        assert [a for a, _ in every] == ["load", "tag", "import", "tag",
                                         "untag"], every
        assert acts("type=image") == every
        assert acts("type=container") == []
        assert acts("event=tag") == [("tag", "other:2"),
                                     ("tag", "labelled:2")]
        # The same key ORs.
        assert [a for a, _ in acts("event=tag", "event=untag")] == \
            ["tag", "tag", "untag"]
        # Different keys AND.
        assert acts("type=container", "event=tag") == []
        assert acts("type=image", "event=load") == [("load", iid)]
        # image: the id, or the name with or without its tag.
        assert [a for a, _ in acts(f"image={iid}")] == ["load", "tag",
                                                       "untag"]
        assert acts("image=other") == [("tag", "other:2")]
        assert acts("image=labelled:2") == [("tag", "labelled:2")]
        assert acts("image=nosuch") == []
        # label: the image's labels are the event's attributes.
        assert [a for a, _ in acts("label=team")] == ["import", "tag"]
        assert [a for a, _ in acts("label=team=blue")] == ["import", "tag"]
        assert acts("label=team=red") == []
        assert acts("label=team=blue", "label=nosuch") == []
        # Docker's filter names are case-insensitive, values trimmed.
        assert [a for a, _ in acts("EVENT = import")] == ["import"]


def test_a_bad_filter_is_refused(ctx):
    with Daemon(ctx) as d:
        p = berth(ctx, d, "events", "--filter", "colour=red")
        assert p.returncode == 1, p
        assert p.stderr.decode() == \
            "Error response from daemon: invalid filter 'colour'\n", p.stderr
        p = berth(ctx, d, "events", "--filter", "novalue")
        assert p.returncode == 125, p
        assert b"bad format of filter" in p.stderr, p.stderr
        p = berth(ctx, d, "events", "--since", "yesterday-ish")
        assert p.returncode == 125, p


# --- output ---------------------------------------------------------------

def test_json_and_template_formats(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        t0 = stamp()
        load_busybox(ctx, d, tmp)
        iid = image_ids(d)[0]
        ok(berth(ctx, d, "tag", "busybox", "fmt:1"))
        t1 = stamp()
        for fmt in ("json", "{{json .}}"):
            out = ok(berth(ctx, d, "events", "--since", t0, "--until", t1,
                           "--format", fmt))
            docs = [json.loads(l) for l in out.splitlines()]
            assert [e["Action"] for e in docs] == ["load", "tag"], docs
            e = docs[1]
            assert e["Type"] == "image" and e["scope"] == "local", e
            assert e["Actor"] == {"ID": iid,
                                  "Attributes": {"name": "fmt:1"}}, e
            assert e["time"] == e["timeNano"] // 10**9, e
            assert e["status"] == "tag" and e["id"] == iid, e
        out = ok(berth(ctx, d, "events", "--since", t0, "--until", t1,
                       "--format", "{{.Type}}/{{.Action}}/"
                       "{{.Actor.Attributes.name}}"))
        assert out == f"image/load/{iid}\nimage/tag/fmt:1\n", out
        # The default line: time, type, action, id, sorted attributes.
        line = ok(berth(ctx, d, "events", "--since", t0, "--until", t1,
                        "--filter", "event=tag")).rstrip("\n")
        ts, rest = line.split(" ", 1)
        assert rest == f"image tag {iid} (name=fmt:1)", line
        assert len(ts.split(".")[1]) >= 10, ts   # 9 digits and a zone


def test_sigint_ends_it_with_status_0(ctx):
    with Daemon(ctx) as d:
        with Watch(ctx, d) as w:
            # Connected (ours is the other connection): SIGINT is caught.
            wait_for(lambda: _connections(d) >= 2, 10, "berth events")
            w.proc.send_signal(signal.SIGINT)
            assert w.proc.wait(timeout=10) == 0, w.proc.stderr.read()


def test_a_stopping_daemon_ends_it(ctx):
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        load_busybox(ctx, d, tmp)
        with Watch(ctx, d) as w:
            w.sync(ctx, d)
            t = time.monotonic()
            d.stop()
            assert w.proc.wait(timeout=15) == 0, w.proc.stderr.read()
            # Not held for berthd's drain timeout (10 s).
            assert time.monotonic() - t < 8, time.monotonic() - t


# --- container events (emitted by the container code) ---------------------

def _container_events(ctx, d, t0, *filters):
    args = []
    for f in filters:
        args += ["--filter", f]
    return replay(ctx, d, t0, stamp(), *args)


def test_container_lifecycle_events(ctx):
    need_root()
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        load_busybox(ctx, d, tmp)
        t0 = stamp()
        cid = ok(berth(ctx, d, "create", "--name", "ev1", "--label",
                       "tier=web", "busybox", "sh", "-c",
                       "exit 3")).strip()
        ok(berth(ctx, d, "start", "ev1"))
        assert ok(berth(ctx, d, "wait", "ev1")).strip() == "3"
        ok(berth(ctx, d, "rm", "ev1"))
        evs = _container_events(ctx, d, t0, "type=container")
        acts = [e[1] for e in evs]
        want = ["create", "start", "die", "destroy"]
        it = iter(acts)
        assert all(a in it for a in want), acts
        for typ, action, actor, attrs in evs:
            assert typ == "container" and actor == cid, evs
            assert attrs["name"] == "ev1" and attrs["image"] == "busybox", \
                attrs
            assert attrs["tier"] == "web", attrs
        die = [e for e in evs if e[1] == "die"]
        assert die[0][3]["exitCode"] == "3", die


def test_container_operations_emit_their_events(ctx):
    need_root()
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        load_busybox(ctx, d, tmp)
        t0 = stamp()
        ok(berth(ctx, d, "run", "-d", "--name", "ops", "busybox", "sh",
                 "-c", "trap 'exit 9' TERM; while true; do sleep 0.1; "
                 "done"))
        ok(berth(ctx, d, "pause", "ops"))
        ok(berth(ctx, d, "unpause", "ops"))
        assert berth(ctx, d, "exec", "ops", "sh", "-c",
                     "exit 4").returncode == 4
        ok(berth(ctx, d, "rename", "ops", "ops2"))
        ok(berth(ctx, d, "kill", "-s", "USR1", "ops2"))
        ok(berth(ctx, d, "stop", "ops2"))
        out = ok(berth(ctx, d, "events", "--since", t0, "--until", stamp(),
                       "--filter", "type=container", "--format", "json",
                       timeout=30))
        evs = [(e["Type"], e["Action"], e["Actor"]["ID"],
                e["Actor"]["Attributes"])
               for e in map(json.loads, out.splitlines())]
        acts = [e[1] for e in evs]
        want = ["create", "start", "pause", "unpause", "exec_start: sh -c "
                "exit 4", "exec_die", "rename", "kill", "kill", "die",
                "stop"]
        it = iter(acts)
        assert all(a in it for a in want), acts
        by = {e[1]: e[3] for e in evs}
        assert by["exec_die"]["exitCode"] == "4", by
        assert by["rename"]["oldName"] == "/ops" and \
            by["rename"]["name"] == "ops2", by
        kills = [e[3]["signal"] for e in evs if e[1] == "kill"]
        assert kills == ["10", "15"], kills
        assert by["die"]["exitCode"] == "9", by
        # "event=exec_start" matches the action up to its ':'.
        ex = ok(berth(ctx, d, "events", "--since", t0, "--until", stamp(),
                      "--filter", "event=exec_start", "--format",
                      "{{.Action}}", timeout=30))
        assert ex == "exec_start: sh -c exit 4\n", ex
        ok(berth(ctx, d, "rm", "ops2"))


def test_container_event_filters(ctx):
    need_root()
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        load_busybox(ctx, d, tmp)
        t0 = stamp()
        cid = ok(berth(ctx, d, "run", "--name", "ev2", "--label", "k=v",
                       "busybox", "true")).strip() or None
        ok(berth(ctx, d, "run", "--name", "ev3", "busybox", "true"))
        evs = _container_events(ctx, d, t0, "container=ev2")
        assert evs and all(e[3]["name"] == "ev2" for e in evs), evs
        cid = evs[0][2]
        assert _container_events(ctx, d, t0, f"container={cid[:12]}") == \
            evs
        assert [e[1] for e in _container_events(ctx, d, t0,
                                                "container=ev2",
                                                "event=die")] == ["die"]
        # image= matches a container's image; label= its labels.
        names = {e[3]["name"] for e in _container_events(
            ctx, d, t0, "type=container", "image=busybox")}
        assert names == {"ev2", "ev3"}, names
        assert {e[3]["name"] for e in _container_events(
            ctx, d, t0, "label=k=v")} == {"ev2"}
        live = _container_events(ctx, d, t0, "container=nosuch")
        assert live == [], live


# --- the protocol ---------------------------------------------------------

def test_events_must_be_a_more_call(ctx):
    with Daemon(ctx) as d, Raw(d.path) as r:
        r.call("io.berth.Service.Events")
        r.expect_error("io.berth.Service.InvalidCall",
                       reason="more required")
        r.call("io.berth.Service.Events", {"filters": {"nosuch": ["x"]}},
               more=True)
        r.expect_error("io.berth.Service.InvalidParameter",
                       parameter="filters")
        # until in the past and no event: the final reply at once.
        r.call("io.berth.Service.Events", {"until": 1}, more=True)
        assert r.reply() == {"parameters": {}}
        r.ping("still served")


def test_a_subscriber_that_falls_behind_is_told_and_ended(ctx):
    """berthd keeps no queue per subscriber beyond its connection's
    output buffer: one that does not read while more than the ring's
    1024 events happen gets an error naming the loss, not unbounded
    memory."""
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        # Big events (an image's labels are their attributes) fill the
        # subscriber's output buffer after a few dozen.
        ok(berth(ctx, d, "import", "-c", "LABEL big=" + "x" * 16384,
                 rootfs_tar(tmp), "big:1"))
        with Raw(d.path) as sub, Raw(d.path, timeout=60) as tagger:
            # since: replayed from the ring too, whenever berthd reads it.
            sub.call("io.berth.Service.Events",
                     {"since": 1, "filters": {"event": ["tag"]}}, more=True)
            total = 1500
            for start in range(0, total, 250):
                for i in range(start, min(total, start + 250)):
                    tagger.call("io.berth.Image.Tag",
                                {"source": "big:1", "target": f"t:{i}"})
                for i in range(start, min(total, start + 250)):
                    assert "error" not in tagger.reply()
            got = 0
            while True:
                reply = sub.reply()
                if "error" in reply:
                    break
                assert reply.get("continues") is True, reply
                got += 1
            assert reply["error"] == "io.berth.Service.SystemError", reply
            assert "lost" in reply["message"], reply
            assert 0 < got < total, got
            # The stream is over; the connection serves calls again.
            sub.ping("after")
        d.stop()


def _connections(d):
    with Raw(d.path) as r:
        r.call("io.berth.Service.GetStatus")
        return r.reply()["parameters"]["connections"]


def test_container_die_at_daemon_stop_is_seen_before_the_end(ctx):
    need_root()
    with Daemon(ctx) as d, tempfile.TemporaryDirectory() as tmp:
        load_busybox(ctx, d, tmp)
        with Watch(ctx, d, "--since", stamp(), "--filter",
                   "type=container") as w:
            # It stops at SIGTERM, well within berthd's drain time.
            ok(berth(ctx, d, "run", "-d", "--name", "sleeper", "busybox",
                     "sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait"))
            w.wait_event("container", "start")
            d.stop()
            # berthd stops its containers, then ends the stream.
            assert w.proc.wait(timeout=30) == 0, w.proc.stderr.read()
            w.wait_line(lambda l: fields(l)[1] == "die", "die",
                        timeout=1)
