"""io.berth.Container over the protocol against a real berthd: containers
made from the bundled busybox image on overlay snapshots, supervised
through pidfds, their output in logs; and nothing left behind (no
snapshot, cgroup, process or log) once they are removed."""
import contextlib
import os
import signal
import socket
import subprocess
import threading
import time

import berth
from harness import Daemon, caller, cgroup_dirs, wait_for, need_root
from image_harness import busybox, load

C = "io.berth.Container."


call, expect_error = caller(C)


def create(d, cmd, name=None, **config):
    config = dict(config, image="busybox", cmd=list(cmd))
    params = {"config": config}
    if name:
        params["name"] = name
    return call(d, "Create", **params)["id"]


def run(d, cmd, **config):
    """Create, start and wait: (id, exit code)."""
    cid = create(d, cmd, **config)
    call(d, "Start", container=cid)
    return cid, call(d, "Wait", container=cid)["exit_code"]


def logs(d, cid, **params):
    out = []
    with d.client(timeout=60) as c:
        for r in c.stream(C + "Logs", dict(params, container=cid)):
            if r.get("data") is not None:
                out.append((r["stream"], r["data"]))
    return out


def text(records, stream=None):
    return b"".join(d for s, d in records if stream in (None, s)).decode()


def ctr_cgroups(cid):
    """The container's cgroup directories, in every hierarchy."""
    return [os.path.join(p, cid) for p in cgroup_dirs()
            if os.path.isdir(os.path.join(p, cid))]


def assert_gone(d, cid):
    assert not os.path.exists(os.path.join(d.root, "containers", cid)), cid
    assert ctr_cgroups(cid) == [], ctr_cgroups(cid)
    assert call(d, "List", all=True)["containers"] == [] or \
        cid not in [c["id"] for c in call(d, "List", all=True)["containers"]]


@contextlib.contextmanager
def daemon(ctx):
    """A berthd on temporary roots with busybox loaded."""
    need_root()
    with Daemon(ctx) as d:
        load(d, busybox("docker"))
        yield d


def test_container_runs_and_reports_its_exit_code(ctx):
    with daemon(ctx) as d:
        for code in (0, 3):
            cid, got = run(d, ["sh", "-c", f"echo out; echo err >&2; "
                                            f"exit {code}"])
            assert got == code, (code, got)
            recs = logs(d, cid)
            assert text(recs, "stdout") == "out\n", recs
            assert text(recs, "stderr") == "err\n", recs
            st = call(d, "Inspect", container=cid)["container"]["State"]
            assert st["Status"] == "exited" and st["ExitCode"] == code, st
            call(d, "Remove", container=cid)
            assert_gone(d, cid)


def test_start_failures_are_126_and_127(ctx):
    with daemon(ctx) as d:
        for cmd, code in ((["nosuch"], 127), (["/etc/passwd"], 126)):
            cid = create(d, cmd)
            e = expect_error(C + "StartFailed", d, "Start", container=cid)
            assert e.parameters["exit_code"] == code, (cmd, e)
            st = call(d, "Inspect", container=cid)["container"]["State"]
            assert st["ExitCode"] == code and st["Error"], st
            call(d, "Remove", container=cid)
            assert_gone(d, cid)


def test_env_workdir_user_hostname_entrypoint(ctx):
    with daemon(ctx) as d:
        cid, code = run(d, ["-c", "echo $A $B; pwd; id -un; hostname"],
                        env=["A=1", "B=two words"], working_dir="/tmp",
                        user="nobody", hostname="h1", entrypoint=["sh"])
        assert code == 0
        out = text(logs(d, cid)).splitlines()
        assert out == ["1 two words", "/tmp", "nobody", "h1"], out
        doc = call(d, "Inspect", container=cid)["container"]
        assert doc["Path"] == "sh" and doc["Args"][0] == "-c", doc
        assert doc["Name"].startswith("/"), doc["Name"]
        call(d, "Remove", container=cid)


def test_auto_remove_leaves_nothing(ctx):
    with daemon(ctx) as d:
        cid = create(d, ["sh", "-c", "echo bye; exit 4"],
                     host={"auto_remove": True})
        got = {}

        def waiter():
            got["r"] = call(d, "Wait", container=cid,
                            condition="next_exit")

        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(0.2)
        call(d, "Start", container=cid)
        t.join(30)
        # The waiter that came first hears the code before the removal.
        assert got.get("r", {}).get("exit_code") == 4, got
        wait_for(lambda: cid not in [c["id"] for c in call(
            d, "List", all=True)["containers"]], 10, "auto-remove")
        assert_gone(d, cid)
        # Its files went aside and a helper removes them.
        wait_for(lambda: os.listdir(os.path.join(d.root, "containers")) ==
                 [], 10, "the container's files removed")


def test_restart_sweeps_what_no_container_owns(ctx):
    """Files a crash left under ROOT/containers (a removal moved aside,
    a create that died) go at the next start; containers stay."""
    with daemon(ctx) as d:
        keep = create(d, ["true"])
        d.stop()
        base = os.path.join(d.root, "containers")
        for stray in (".trash-" + "a" * 64, "b" * 64):
            os.makedirs(os.path.join(base, stray, "upper", "deep"))
            with open(os.path.join(base, stray, "upper", "f"), "w") as f:
                f.write("x")
        d.start()
        assert sorted(os.listdir(base)) == [keep], os.listdir(base)
        call(d, "Start", container=keep)
        assert call(d, "Wait", container=keep)["exit_code"] == 0
        call(d, "Remove", container=keep)
        wait_for(lambda: os.listdir(base) == [], 10, "removed")


def test_stop_escalates_to_sigkill_after_the_timeout(ctx):
    with daemon(ctx) as d:
        # sh as pid 1 ignores SIGTERM: stop must end with SIGKILL.
        cid = create(d, ["sleep", "300"])
        call(d, "Start", container=cid)
        t0 = time.monotonic()
        call(d, "Stop", container=cid, timeout=1)
        took = time.monotonic() - t0
        assert 0.9 < took < 10, took
        st = call(d, "Inspect", container=cid)["container"]["State"]
        assert st["ExitCode"] == 137 and not st["Running"], st
        # A trap that exits makes SIGTERM enough.
        cid2 = create(d, ["sh", "-c", "trap 'exit 0' TERM; "
                                      "while :; do sleep 0.1; done"])
        call(d, "Start", container=cid2)
        time.sleep(0.3)
        call(d, "Stop", container=cid2, timeout=20)
        assert call(d, "Wait", container=cid2)["exit_code"] == 0
        for c in (cid, cid2):
            call(d, "Remove", container=c)


def test_kill_remove_force_and_states(ctx):
    with daemon(ctx) as d:
        cid = create(d, ["sleep", "300"], name="sleeper")
        expect_error(C + "InvalidState", d, "Kill", container="sleeper")
        call(d, "Start", container="sleeper")
        # Starting a running one changes nothing (Docker's 304).
        pid = call(d, "Inspect", container=cid)["container"]["State"]["Pid"]
        assert call(d, "Start", container=cid[:8]) == {}
        assert call(d, "Inspect",
                    container=cid)["container"]["State"]["Pid"] == pid
        expect_error(C + "Running", d, "Remove", container=cid)
        expect_error(C + "InvalidSignal", d, "Kill", container=cid,
                     signal="NOPE")
        rows = call(d, "List")["containers"]
        assert [r["names"] for r in rows] == [["sleeper"]], rows
        assert rows[0]["status"].startswith("Up"), rows
        call(d, "Kill", container=cid, signal="KILL")
        assert call(d, "Wait", container=cid)["exit_code"] == 137
        assert call(d, "List")["containers"] == []
        call(d, "Start", container=cid)
        call(d, "Remove", container=cid, force=True)
        assert_gone(d, cid)
        expect_error(C + "NotFound", d, "Inspect", container=cid)
        expect_error(C + "InvalidName", d, "Create", name="bad name",
                     config={"image": "busybox"})
        expect_error("io.berth.Image.NotFound", d, "Create",
                     config={"image": "nosuch"})


def test_logs_follow_tail_and_since(ctx):
    with daemon(ctx) as d:
        cid = create(d, ["sh", "-c", "for i in 1 2 3 4 5; do echo line$i; "
                                     "sleep 0.2; done"])
        call(d, "Start", container=cid)
        seen = []
        t0 = time.monotonic()
        with d.client(timeout=30) as c:
            for r in c.stream(C + "Logs", {"container": cid,
                                           "follow": True}):
                if r.get("data") is not None:
                    seen.append((time.monotonic() - t0, r["data"]))
        lines = [x.decode().strip() for _, x in seen]
        assert lines == [f"line{i}" for i in range(1, 6)], lines
        # Followed as written: the first line came well before the last.
        assert seen[-1][0] - seen[0][0] > 0.5, seen
        assert text(logs(d, cid, tail=2)) == "line4\nline5\n"
        times = [r for r in logs(d, cid)]
        assert len(times) == 5
        with d.client(timeout=30) as c:
            recs = [r for r in c.stream(C + "Logs", {"container": cid})
                    if r.get("data") is not None]
        since = recs[2]["time"]
        assert text(logs(d, cid, since=since)) == "line3\nline4\nline5\n"
        call(d, "Remove", container=cid)


def test_a_noisy_container_does_not_grow_berthd(ctx):
    """200 MB through the log pump while nobody reads: berthd's RSS stays
    bounded (the pipe pushes back, nothing is queued in memory)."""
    with daemon(ctx) as d:
        cid, code = run(d, ["sh", "-c", "yes 0123456789abcdef0123456789abc"
                                        "def0123456789abcde | head -c "
                                        "200000000"])
        assert code == 0, code
        with open(f"/proc/{d.pid}/status") as f:
            rss = [int(l.split()[1]) for l in f if l.startswith("VmHWM")][0]
        assert rss < 64 * 1024, f"berthd peak RSS {rss} KiB"
        tail = text(logs(d, cid, tail=1))
        assert tail.startswith("0123456789abcdef"), tail[:40]
        call(d, "Remove", container=cid)


def test_oom_kill_is_reported(ctx):
    with daemon(ctx) as d:
        cid, code = run(d, ["sh", "-c", "x=$(head -c 200000000 /dev/zero | "
                                        "tr '\\0' a); echo ${#x}"],
                        host={"memory": 32 << 20, "memory_swap": 32 << 20})
        st = call(d, "Inspect", container=cid)["container"]["State"]
        assert code == 137, (code, st)
        assert st["OOMKilled"] is True, st
        # ...and in the events, before its die.
        with d.client(timeout=30) as c:
            evs = [r["event"] for r in c.stream(
                "io.berth.Service.Events",
                {"since": 0, "until": time.time_ns(),
                 "filters": {"container": [cid]}}) if r.get("event")]
        acts = [e["action"] for e in evs]
        assert "oom" in acts and acts.index("oom") < acts.index("die"), acts
        call(d, "Remove", container=cid)


def test_sigterm_stops_containers_and_sigkill_restart_recovers(ctx):
    need_root()
    with Daemon(ctx) as d:
        load(d, busybox("docker"))
        # Counts, and exits 5 on SIGTERM: its status after adoption is
        # read back exactly.
        cid = create(d, ["sh", "-c", "trap 'exit 5' TERM; i=0; "
                         "while true; do echo $i; i=$((i+1)); sleep 0.05; "
                         "done"])
        call(d, "Start", container=cid)
        dead = create(d, ["sh", "-c", "sleep 0.5; exit 7"])
        call(d, "Start", container=dead)
        tty = call(d, "Create", config={
            "image": "busybox", "cmd": ["sleep", "300"], "tty": True,
            "host": {"restart_policy": {"name": "always"}}})["id"]
        call(d, "Start", container=tty)
        pid = call(d, "Inspect", container=cid)["container"]["State"]["Pid"]
        tty_pid = call(d, "Inspect",
                       container=tty)["container"]["State"]["Pid"]
        assert pid > 0
        # SIGKILL of berthd: the containers outlive it, and the counter
        # writes on into its FIFO meanwhile...
        os.kill(d.pid, signal.SIGKILL)
        d.proc.wait(10)
        assert os.path.exists(f"/proc/{pid}")
        time.sleep(1.5)
        # ...and the restart adopts it: same process, its output kept.
        d.start()
        st = call(d, "Inspect", container=cid)["container"]["State"]
        assert st["Status"] == "running" and st["Pid"] == pid, st
        time.sleep(0.5)
        lines = text(logs(d, cid)).split()
        assert [int(x) for x in lines] == list(range(len(lines))), lines
        assert len(lines) > 40, len(lines)
        # One that exited while berthd was away: exited with its status
        # when its zombie was still there to read, else 255 and why.
        st = call(d, "Inspect", container=dead)["container"]["State"]
        assert st["Status"] == "exited", st
        assert (st["ExitCode"], st["Error"]) == (7, "") or (
            st["ExitCode"] == 255 and "unknown" in st["Error"]), st
        assert ctr_cgroups(dead) == []
        # One with a terminal cannot be adopted: killed, then its
        # restart policy (always) starts it again.
        wait_for(lambda: call(d, "Inspect", container=tty)["container"]
                 ["State"]["Status"] == "running", 10, "tty restarted")
        doc = call(d, "Inspect", container=tty)["container"]
        assert doc["State"]["Pid"] != tty_pid, doc["State"]
        wait_for(lambda: not os.path.exists(f"/proc/{tty_pid}") or
                 open(f"/proc/{tty_pid}/stat").read().split()[2] == "Z", 10,
                 "the old tty container killed")
        # The adopted one stops as any other, its exit code known.
        call(d, "Stop", container=cid, timeout=5)
        st = call(d, "Inspect", container=cid)["container"]["State"]
        assert st["Status"] == "exited" and st["ExitCode"] == 5, st
        assert ctr_cgroups(cid) == []
        call(d, "Stop", container=tty, timeout=0)
        # SIGTERM: berthd stops what runs (SIGTERM, then SIGKILL) and
        # exits 0 with the state recorded, even with an exec running in
        # a container (berthd's child, which the init's exit waits for).
        call(d, "Start", container=cid)
        call(d, "Exec", container=cid, cmd=["sleep", "999"], detach=True)
        d.stop()
        d.start()
        st = call(d, "Inspect", container=cid)["container"]["State"]
        assert st["Status"] == "exited", st
        for c in (cid, dead, tty):
            call(d, "Remove", container=c, force=True)
            assert_gone(d, c)


def test_many_containers_at_once(ctx):
    with daemon(ctx) as d:
        ids = [create(d, ["sleep", "300"]) for _ in range(100)]
        for cid in ids:
            call(d, "Start", container=cid)
        rows = call(d, "List")["containers"]
        assert sorted(r["id"] for r in rows) == sorted(ids), len(rows)
        assert all(r["state"] == "running" for r in rows)
        for cid in ids:
            call(d, "Remove", container=cid, force=True)
        assert call(d, "List", all=True)["containers"] == []
        for cid in ids:
            assert ctr_cgroups(cid) == []


def test_pause_freezes_and_unpause_thaws(ctx):
    with daemon(ctx) as d:
        cid = create(d, ["sh", "-c", "i=0; while :; do i=$((i+1)); "
                                     "echo $i; sleep 0.05; done"])
        call(d, "Start", container=cid)
        time.sleep(0.3)
        call(d, "Pause", container=cid)
        expect_error(C + "InvalidState", d, "Pause", container=cid)
        doc = call(d, "Inspect", container=cid)["container"]
        assert doc["State"]["Paused"] is True, doc["State"]
        assert doc["State"]["Status"] == "paused", doc["State"]
        row = call(d, "List")["containers"][0]
        assert row["status"].endswith("(Paused)"), row
        n = len(logs(d, cid))
        time.sleep(0.5)
        assert len(logs(d, cid)) == n, "output while paused"
        call(d, "Unpause", container=cid)
        expect_error(C + "InvalidState", d, "Unpause", container=cid)
        time.sleep(0.4)
        assert len(logs(d, cid)) > n, "no output after unpause"
        # Stop and remove -f thaw a paused container first.
        call(d, "Pause", container=cid)
        call(d, "Stop", container=cid, timeout=1)
        st = call(d, "Inspect", container=cid)["container"]["State"]
        assert not st["Running"] and not st["Paused"], st
        call(d, "Start", container=cid)
        call(d, "Pause", container=cid)
        call(d, "Remove", container=cid, force=True)
        assert_gone(d, cid)
        expect_error(C + "InvalidState", d, "Pause",
                     container=create(d, ["true"]))


def test_create_refuses_bad_config_and_leaves_nothing(ctx):
    """What the spawner would refuse is refused by Create, naming the
    field, before anything of the container exists."""
    bad = [
        ({"cmd": ["true"], "host": {"binds": ["b@d:/x"]}}, "binds"),
        ({"cmd": ["true"], "host": {"binds": ["data:x"]}}, "binds"),
        ({"cmd": ["true"], "host": {"mounts": [
            {"type": "bind", "source": "/nonexistent/berth",
             "target": "/x"}]}}, "mounts"),
        ({"cmd": ["true"], "host": {"binds": ["/tmp:/x:rx"]}}, "binds"),
        ({"cmd": ["true"], "host": {"cap_add": ["NOPE"]}}, "cap_add"),
        ({"cmd": ["true"], "host": {"ulimits": [
            {"name": "nofile", "soft": 10, "hard": 5}]}}, "ulimits"),
        ({"cmd": ["true"], "host": {"tmpfs": {"rel": ""}}}, "tmpfs"),
        ({"cmd": ["true"], "working_dir": "rel"}, "working_dir"),
        ({"cmd": [], "entrypoint": []}, "cmd"),
    ]
    with daemon(ctx) as d:
        for config, field in bad:
            e = expect_error(C + "InvalidConfig", d, "Create",
                             config=dict(config, image="busybox"))
            assert e.parameters.get("field") == field, (config, e)
        assert call(d, "List", all=True)["containers"] == []
        assert os.listdir(os.path.join(d.root, "containers")) == []
        assert os.listdir(os.path.join(d.root, "volumes")) == []


def test_remove_answers_waiters_and_its_own_caller(ctx):
    """Removing a container answers those waiting on it from inside the
    Remove call: each reply is whole and goes to its own caller."""
    with daemon(ctx) as d:
        cid = create(d, ["true"])
        got = {}

        def waiter(cond):
            try:
                got[cond] = call(d, "Wait", container=cid, condition=cond)
            except berth.BerthError as e:
                got[cond] = e

        ts = [threading.Thread(target=waiter, args=(c,))
              for c in ("not_running", "removed")]
        for t in ts:
            t.start()
        time.sleep(0.3)
        assert call(d, "Remove", container=cid) == {}
        for t in ts:
            t.join(10)
        assert got == {"not_running": {"exit_code": 0},
                       "removed": {"exit_code": 0}}, got
        d.ping()


def test_overlong_names_and_signals_are_refused(ctx):
    with daemon(ctx) as d:
        expect_error(C + "InvalidName", d, "Create", name="n" * 200,
                     config={"image": "busybox", "cmd": ["true"]})
        assert call(d, "List", all=True)["containers"] == []
        cid = create(d, ["sleep", "300"])
        call(d, "Start", container=cid)
        expect_error(C + "InvalidSignal", d, "Kill", container=cid,
                     signal="S" * 100)
        assert call(d, "List")["containers"][0]["state"] == "running"
        call(d, "Remove", container=cid, force=True)


def test_a_container_holds_its_image(ctx):
    """A container's lease keeps its image from rmi and prune; with the
    container gone, the image goes."""
    I = "io.berth.Image."
    with daemon(ctx) as d:
        cid = create(d, ["true"])
        with d.client(timeout=60) as c:
            img = c.call(I + "List")["images"][0]
            assert img["containers"] == 1, img
            for name in ("busybox", img["id"]):
                try:
                    c.call(I + "Remove", image=name)
                    raise AssertionError(f"rmi {name} while in use")
                except berth.BerthError as e:
                    assert e.name == I + "InUse", e
            c.call(I + "Prune", all=True)
            assert [i["id"] for i in c.call(I + "List")["images"]] == \
                [img["id"]]
            call(d, "Remove", container=cid)
            r = c.call(I + "Remove", image="busybox")
            assert r["deleted"] == [img["id"]], r


def test_a_waiting_client_that_hangs_up_is_let_go_at_once(ctx):
    """Wait and Logs follow read nothing from the peer while they wait:
    berthd still notices the peer hang up, and frees it then, not at
    the container's exit."""
    from harness import Raw
    with daemon(ctx) as d:
        cid = create(d, ["sleep", "300"])
        call(d, "Start", container=cid)
        for method, params in (("Wait", {"container": cid}),
                               ("Logs", {"container": cid,
                                         "follow": True})):
            r = Raw(d.path)
            r.call(C + method, params, more=method == "Logs")
            time.sleep(0.2)
            r.close()

            def connections():
                with Raw(d.path) as s:
                    s.call("io.berth.Service.GetStatus")
                    return s.reply()["parameters"]["connections"]
            wait_for(lambda: connections() == 1, 5,
                     f"the {method} client let go")
        call(d, "Remove", container=cid, force=True)


def test_a_half_closed_session_costs_no_cpu_and_is_let_go_at_hangup(ctx):
    """A client that half-closes (shutdown SHUT_WR) keeps its session:
    berthd must not spin on the socket meanwhile, and still lets the
    peer go once it closes."""
    from harness import Raw

    def ticks():
        f = open(f"/proc/{d.pid}/stat").read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])

    with daemon(ctx) as d:
        r = Raw(d.path)
        r.call("io.berth.Service.Events", {}, more=True)
        time.sleep(0.3)
        r.sock.shutdown(socket.SHUT_WR)
        time.sleep(0.3)
        t0 = ticks()
        time.sleep(2)
        spent = ticks() - t0
        # A busy loop is ~200 ticks here; idle is 0 or 1.
        assert spent < 40, spent
        r.close()

        def connections():
            with Raw(d.path) as s:
                s.call("io.berth.Service.GetStatus")
                return s.reply()["parameters"]["connections"]
        wait_for(lambda: connections() == 1, 5, "the peer let go")


def test_a_cgroup_left_by_an_unfinished_start_is_swept(ctx):
    """berthd killed between a container's exec and its record: at the
    next start its cgroup still holds a process, though the container
    is not recorded as running.  It is killed and the cgroup removed."""
    need_root()
    from harness import CGROUP_PARENT
    with Daemon(ctx) as d:
        load(d, busybox("docker"))
        cid = create(d, ["sleep", "300"])
        d.stop()
        # What the unfinished start left: its cgroup, a process in it.
        pids = "/sys/fs/cgroup/pids"
        if not os.path.isdir(pids):
            pids = "/sys/fs/cgroup"
        cg = os.path.join(pids, CGROUP_PARENT, cid)
        os.makedirs(cg)
        # Not the test's child: reaped by init once killed (as a real
        # container's init would be, berthd being gone).
        pid = int(subprocess.run(
            ["sh", "-c", "sleep 300 >/dev/null 2>&1 & echo $!"],
            capture_output=True, text=True, check=True).stdout)
        try:
            with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                f.write(str(pid))
            d.start()
            # A reply means berthd's start-up, the sweep with it, is
            # over.
            st = call(d, "Inspect", container=cid)["container"]["State"]
            assert st["Status"] == "created", st
            wait_for(lambda: not os.path.exists(f"/proc/{pid}") or
                     open(f"/proc/{pid}/stat").read().split()[2] == "Z",
                     10, "the leftover process killed")
            assert ctr_cgroups(cid) == [], ctr_cgroups(cid)
            call(d, "Remove", container=cid)
        finally:
            # Ours only while it is still that sleep (no pid reuse).
            try:
                if open(f"/proc/{pid}/cmdline", "rb").read() == \
                        b"sleep\x00300\x00":
                    os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
