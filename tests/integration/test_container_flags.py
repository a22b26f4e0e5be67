"""run/create flags that the other CLI tests do not reach, each seen where
it takes effect: the container's cgroup files on the host (--memory,
--memory-swap, --cpus, --cpu-shares, --cpuset-cpus, --pids-limit), its
/proc/self/status (--cap-drop, --security-opt no-new-privileges and
seccomp), its mounts (--mount bind and tmpfs), its labels (--label-file)
and how it stops (--stop-signal, --stop-timeout)."""
import json
import os
import subprocess
import tempfile
import time

from harness import cgroup_dirs, wait_for
from test_container_cli import Busybox


def cgroup_file(cid, name):
    """The value of a cgroup file of the container, in whichever
    hierarchy has it (v1 controllers or v2)."""
    for d in cgroup_dirs():
        p = os.path.join(d, cid, name)
        if os.path.exists(p):
            return open(p).read().strip()
    return None


def status(b, args, field):
    out = b.ok("run", "--rm", *args, "busybox", "grep", f"^{field}:",
               "/proc/self/status")
    return out.split(":", 1)[1].strip()


def test_resource_flags_reach_the_cgroup(ctx):
    with Busybox(ctx) as b:
        cid = b.ok("run", "-d", "--memory", "64m", "--memory-swap", "96m",
                   "--cpus", "0.5", "--cpu-shares", "512", "--cpuset-cpus",
                   "0", "--pids-limit", "42", "busybox", "sleep",
                   "300").strip()
        mem = cgroup_file(cid, "memory.limit_in_bytes") or \
            cgroup_file(cid, "memory.max")
        assert mem == str(64 << 20), mem
        swap = cgroup_file(cid, "memory.memsw.limit_in_bytes")
        if swap is not None:
            assert swap == str(96 << 20), swap
        else:
            v2 = cgroup_file(cid, "memory.swap.max")
            assert v2 in (None, str(32 << 20)), v2
        quota = cgroup_file(cid, "cpu.cfs_quota_us")
        if quota is not None:
            assert (quota, cgroup_file(cid, "cpu.cfs_period_us")) == \
                ("50000", "100000")
            assert cgroup_file(cid, "cpu.shares") == "512"
        else:
            assert cgroup_file(cid, "cpu.max") == "50000 100000"
        cpus = cgroup_file(cid, "cpuset.cpus")
        assert cpus in (None, "0"), cpus
        assert cgroup_file(cid, "pids.max") == "42"
        # The limit holds inside: the 43rd process cannot start.
        p = b.run("exec", cid, "sh", "-c",
                  "for i in $(seq 60); do sleep 5 & done 2>&1; echo done")
        out = (p.stdout + p.stderr).decode().lower()
        assert "fork" in out and "done" not in out, p
        b.ok("rm", "-f", cid)
        p = b.run("run", "--rm", "--memory", "64m", "--memory-swap", "32m",
                  "busybox", "true")
        assert p.returncode == 125, p


def test_capability_and_security_flags(ctx):
    with Busybox(ctx) as b:
        full = int(status(b, [], "CapEff"), 16)
        dropped = int(status(b, ["--cap-drop", "CHOWN"], "CapEff"), 16)
        assert full & 1 and not dropped & 1 and dropped == full & ~1, \
            (hex(full), hex(dropped))
        none = int(status(b, ["--cap-drop", "ALL"], "CapEff"), 16)
        assert none == 0, hex(none)
        assert status(b, [], "NoNewPrivs") == "0"
        assert status(b, ["--security-opt", "no-new-privileges"],
                      "NoNewPrivs") == "1"
        assert status(b, [], "Seccomp") == "2"
        assert status(b, ["--security-opt", "seccomp=unconfined"],
                      "Seccomp") == "0"
        with tempfile.TemporaryDirectory() as tmp:
            prof = os.path.join(tmp, "p.json")
            with open(prof, "w") as f:
                json.dump({"defaultAction": "SCMP_ACT_ALLOW",
                           "syscalls": [{"names": ["mkdir", "mkdirat"],
                                         "action": "SCMP_ACT_ERRNO"}]}, f)
            p = b.run("run", "--rm", "--security-opt", f"seccomp={prof}",
                      "busybox", "sh", "-c", "mkdir /x && echo made")
            assert p.returncode != 0 and b"made" not in p.stdout, p
            assert b.ok("run", "--rm", "--security-opt", f"seccomp={prof}",
                        "busybox", "echo", "ok") == "ok\n"
            with open(prof, "w") as f:
                f.write('{"defaultAction": "SCMP_ACT_NOPE"}')
            before = b.ps("-aq")
            p = b.run("create", "--security-opt", f"seccomp={prof}",
                      "busybox")
            assert p.returncode == 125 and b"seccomp" in p.stderr, p
            p = b.run("create", "--security-opt",
                      f"seccomp={tmp}/missing.json", "busybox")
            assert p.returncode == 125 and b"seccomp" in p.stderr, p
            assert b.ps("-aq") == before


def test_mount_flag_binds_and_tmpfs(ctx):
    with Busybox(ctx) as b, tempfile.TemporaryDirectory() as host:
        with open(os.path.join(host, "f"), "w") as f:
            f.write("from host\n")
        out = b.ok("run", "--rm", "--mount",
                   f"type=bind,source={host},target=/mnt,readonly",
                   "busybox", "sh", "-c",
                   "cat /mnt/f; touch /mnt/g 2>/dev/null || echo ro")
        assert out == "from host\nro\n", out
        b.ok("run", "--rm", "--mount", f"type=bind,src={host},dst=/mnt",
             "busybox", "touch", "/mnt/g")
        assert os.path.exists(os.path.join(host, "g"))
        out = b.ok("run", "--rm", "--mount",
                   "type=tmpfs,target=/scratch,tmpfs-size=1m", "busybox",
                   "sh", "-c", "grep ' /scratch ' /proc/mounts")
        assert out.split()[2] == "tmpfs" and "size=1024k" in out, out
        for bad, words in (("type=bind,target=/x", b"absolute source"),
                           ("type=bind,source=/tmp", b"target"),
                           ("type=volume,source=b@d,target=/x",
                            b"invalid characters"),
                           ("type=bind,source=/tmp,target=/x,colour=red",
                            b"unexpected key")):
            p = b.run("run", "--rm", "--mount", bad, "busybox", "true")
            assert p.returncode == 125 and words in p.stderr, (bad, p)
        doc_id = b.ok("create", "--mount",
                      f"type=bind,source={host},target=/mnt,readonly",
                      "busybox").strip()
        mounts = b.inspect(doc_id)["Mounts"]
        assert mounts[0]["Source"] == host and not mounts[0]["RW"], mounts
        b.ok("rm", doc_id)


def test_label_file_and_stop_flags(ctx):
    with Busybox(ctx) as b, tempfile.TemporaryDirectory() as tmp:
        lf = os.path.join(tmp, "labels")
        with open(lf, "w") as f:
            f.write("# a comment\ntier=web\n\nowner=ops\n")
        cid = b.ok("create", "--label-file", lf, "-l", "extra=1",
                   "busybox").strip()
        assert b.inspect(cid)["Config"]["Labels"] == {
            "tier": "web", "owner": "ops", "extra": "1"}
        b.ok("rm", cid)
        # --stop-signal: the container hears USR1 on stop.
        b.ok("run", "-d", "--name", "sig", "--stop-signal", "USR1",
             "busybox", "sh", "-c",
             "trap 'exit 42' USR1; echo ready; while true; do sleep 0.1; "
             "done")
        wait_for(lambda: "ready" in b.ok("logs", "sig"), 10, "trap set")
        b.ok("stop", "sig")
        assert b.inspect("sig")["State"]["ExitCode"] == 42
        # --stop-timeout: SIGKILL after 1 s, not Docker's 10.
        b.ok("run", "-d", "--name", "slow", "--stop-timeout", "1",
             "busybox", "sh", "-c", "trap '' TERM; echo ready; while true; "
             "do sleep 0.1; done")
        wait_for(lambda: "ready" in b.ok("logs", "slow"), 10, "trap set")
        t0 = time.monotonic()
        b.ok("stop", "slow")
        took = time.monotonic() - t0
        assert 0.8 < took < 5, took
        assert b.inspect("slow")["State"]["ExitCode"] == 137
        # stop -t -1: no SIGKILL, it waits until the container stops.
        b.ok("start", "slow")
        wait_for(lambda: b.ok("logs", "slow").count("ready") == 2, 10,
                 "trap set again")
        p = subprocess.Popen([ctx.berth, "-H", b.d.address, "stop", "-t",
                              "-1", "slow"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        time.sleep(2)
        assert p.poll() is None and b.state("slow") == "running"
        b.ok("kill", "slow")
        out, _ = p.communicate(timeout=10)
        assert p.returncode == 0 and out == b"slow\n", (p.returncode, out)
        b.ok("rm", "sig", "slow")
