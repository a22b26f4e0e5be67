"""Restart policies through the real CLI and a real berthd: on-failure:N
restarts N times, always restarts a container that exits 0 until it is
stopped, unless-stopped and always come back after berthd restarts, the
backoff between restarts, and the policy's errors."""
import time

from harness import wait_for
from test_container_cli import Busybox


def restarts(b, name):
    return b.inspect(name)["RestartCount"]


def test_on_failure_3_restarts_three_times_then_stays_exited(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "-d", "--name", "flaky", "--restart", "on-failure:3",
             "busybox", "sh", "-c", "echo run; exit 3")
        wait_for(lambda: restarts(b, "flaky") == 3 and
                 b.state("flaky") == "exited", 30, "three restarts")
        time.sleep(1.5)       # and no fourth: 100+200+400 ms, then 800
        doc = b.inspect("flaky")
        assert doc["RestartCount"] == 3, doc
        assert doc["State"]["ExitCode"] == 3, doc["State"]
        assert doc["HostConfig"]["RestartPolicy"] == {
            "Name": "on-failure", "MaximumRetryCount": 3}, doc
        assert doc["State"]["Restarting"] is False
        # Four runs, each logged.
        assert b.ok("logs", "flaky").count("run\n") == 4
        # A success is not a failure: no restart.
        b.ok("run", "-d", "--name", "fine", "--restart", "on-failure",
             "busybox", "true")
        wait_for(lambda: b.state("fine") == "exited", 10, "exit")
        time.sleep(0.5)
        assert restarts(b, "fine") == 0
        b.ok("rm", "flaky", "fine")


def test_always_restarts_until_stopped_with_backoff(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "-d", "--name", "again", "--restart", "always",
             "busybox", "sh", "-c", "cut -d\" \" -f1 /proc/uptime; exit 0")
        wait_for(lambda: restarts(b, "again") >= 4, 30, "four restarts")
        # Between restarts the container is "restarting", listed by ps.
        lines = b.ok("logs", "again").split()
        times = [float(t) for t in lines]
        gaps = [b2 - a for a, b2 in zip(times, times[1:])]
        # 100, 200, 400 ms...: each gap at least the backoff, growing.
        assert gaps[2] > gaps[0] and gaps[2] >= 0.35, gaps
        b.ok("stop", "again")
        count = restarts(b, "again")
        time.sleep(2)
        assert restarts(b, "again") == count
        assert b.state("again") == "exited"
        assert b.inspect("again")["State"]["Restarting"] is False
        b.ok("rm", "again")


def test_restarting_container_is_listed_and_refuses_plain_rm(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "-d", "--name", "loop", "--restart", "always",
             "busybox", "sh", "-c", "exit 1")
        wait_for(lambda: restarts(b, "loop") >= 5, 30, "restarts")
        # The backoff has grown past a second: it waits, restarting.  (It
        # may come to run for a moment between the look and the rm: then
        # rm refuses it as running, and the next wait is tried.)
        for _ in range(3):
            wait_for(lambda: b.inspect("loop")["State"]["Restarting"], 10,
                     "restarting")
            assert "loop" in b.ok("ps", "--format",
                                  "{{.Names}} {{.State}}")
            p = b.run("rm", "loop")
            assert p.returncode != 0, p
            if b"restarting" in p.stderr:
                break
            assert b"is running" in p.stderr, p
        assert b"restarting" in p.stderr, p
        b.ok("rm", "-f", "loop")
        assert b.ps("-aq") == []


def test_policies_come_back_after_berthd_restarts(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "-d", "--name", "a", "--restart", "always", "busybox",
             "sleep", "300")
        b.ok("run", "-d", "--name", "u", "--restart", "unless-stopped",
             "busybox", "sleep", "300")
        b.ok("run", "-d", "--name", "us", "--restart", "unless-stopped",
             "busybox", "sleep", "300")
        b.ok("run", "-d", "--name", "n", "busybox", "sleep", "300")
        b.ok("stop", "-t", "0", "us")
        b.d.stop()
        b.d.start()
        wait_for(lambda: b.state("a") == "running" and
                 b.state("u") == "running", 20, "policies applied")
        assert b.state("us") == "exited"
        assert b.state("n") == "exited"
        b.ok("rm", "-f", "a", "u", "us", "n")


def test_bad_policies_are_refused_and_leave_nothing(ctx):
    with Busybox(ctx) as b:
        for args, words in (
                (["--restart", "sometimes"], b"invalid restart policy"),
                (["--restart", "always:3"], b"only be used with"),
                (["--restart", "on-failure:x"], b"must be an integer"),
                (["--rm", "--restart", "always"], b"--restart and --rm")):
            p = b.run("run", "-d", *args, "busybox", "true")
            assert p.returncode == 125 and words in p.stderr, (args, p)
        assert b.ps("-aq") == []


def test_what_cannot_start_is_not_restarted_and_start_resets_the_count(ctx):
    with Busybox(ctx) as b:
        p = b.run("run", "-d", "--name", "nocmd", "--restart", "always",
                  "busybox", "nosuchcmd")
        assert p.returncode == 127, p
        time.sleep(1)
        doc = b.inspect("nocmd")
        assert doc["RestartCount"] == 0 and not doc["State"]["Restarting"], \
            doc["State"]
        # on-failure:2 used up; a start asked for counts afresh.
        b.ok("run", "-d", "--name", "f2", "--restart", "on-failure:2",
             "busybox", "false")
        wait_for(lambda: restarts(b, "f2") == 2 and
                 b.state("f2") == "exited", 20, "two restarts")
        b.ok("start", "f2")
        wait_for(lambda: restarts(b, "f2") == 2 and
                 b.state("f2") == "exited", 20, "two restarts again")
        assert b.ok("logs", "f2") == ""
        # start of a running container: nothing to do, no error, and a
        # stop in progress is not undone by it.
        b.ok("run", "-d", "--name", "up", "--restart", "always", "busybox",
             "sleep", "300")
        b.ok("start", "up")
        b.ok("stop", "-t", "0", "up")
        time.sleep(0.5)
        assert b.state("up") == "exited" and restarts(b, "up") == 0
        b.ok("rm", "nocmd", "f2", "up")


def test_kill_of_a_restarting_container_stops_its_restarts(ctx):
    with Busybox(ctx) as b:
        b.ok("run", "-d", "--name", "k", "--restart", "always", "busybox",
             "sh", "-c", "exit 1")
        wait_for(lambda: b.inspect("k")["State"]["Restarting"] and
                 restarts(b, "k") >= 3, 20, "restarting")
        b.ok("kill", "k")
        count = restarts(b, "k")
        time.sleep(2)
        assert restarts(b, "k") == count and b.state("k") == "exited"
        b.ok("rm", "k")


def test_a_rm_container_that_stopped_while_berthd_was_down_is_removed(ctx):
    import os
    import signal
    with Busybox(ctx) as b:
        cid = b.ok("run", "-d", "--rm", "busybox", "sleep", "300").strip()
        pid = b.inspect(cid)["State"]["Pid"]
        os.kill(b.d.pid, signal.SIGKILL)
        b.d.proc.wait(10)
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: not os.path.exists(f"/proc/{pid}") or
                 open(f"/proc/{pid}/stat").read().split()[2] == "Z", 10,
                 "the container gone")
        b.d.start()
        wait_for(lambda: b.ps("-aq") == [], 10, "the --rm container removed")
