"""Containers at scale through the real berth CLI and a real berthd: a
container writing 1 GiB to stdout (and some to stderr) while berthd's
peak memory stays bounded and its log keeps the last lines within the
rotation's bound; 200 containers running at once, listed by `berth ps`
(count, names, states) and `berth ps -q`, then all removed with nothing
left: no container, cgroup, mount or process.

test_container.py's test_a_noisy_container_does_not_grow_berthd (200 MB
over the protocol) and test_many_containers_at_once (100 over the
protocol) are smaller forms of these two; they stay, being quicker."""
import os
import re
import subprocess
import tempfile
import threading
import unittest

from harness import CGROUP_PARENT, Daemon, cgroup_dirs, need_root, wait_for
from image_harness import busybox

# What berthd keeps of a container's log (daemon/container-logs.c):
# segments of 32 MiB, 4 of them, the older ones zstd-compressed.
LOG_SEGMENT = 32 << 20
LOG_FILES = 4
# berthd's peak RSS while 1 GiB goes through its log pump.  Measured on
# the 2-core development VM: about 10 MiB (the same as idle with an
# image loaded); the bound leaves room for a sanitizer build's overhead.
HWM_BOUND_KIB = 64 * 1024
LINE = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
       "0123456789abcdef"          # 79 characters and the newline: 80 bytes
RUNNING = 200
CLIENTS = 8


def cli(ctx, d, *args, timeout=120, stdout=subprocess.PIPE):
    if not os.access(ctx.berth, os.X_OK):
        raise unittest.SkipTest(f"{ctx.berth} not built")
    return subprocess.run([ctx.berth, "-H", d.address, *args],
                          stdin=subprocess.DEVNULL, stdout=stdout,
                          stderr=subprocess.PIPE, timeout=timeout)


def ok(p):
    assert p.returncode == 0, (p.args[3:], p.returncode, p.stdout[-500:]
                               if p.stdout else p.stdout, p.stderr[-500:])
    return p.stdout.decode() if p.stdout is not None else ""


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def nfds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def load_busybox(ctx, d):
    with tempfile.TemporaryDirectory(prefix="berth-scale-") as tmp:
        path = os.path.join(tmp, "busybox.tar")
        with open(path, "wb") as f:
            f.write(busybox("docker", "busybox:latest"))
        ok(cli(ctx, d, "load", "-i", path))


def mounts_under(path, pid="self"):
    """Mount points under path in the mount table of pid."""
    path = os.path.realpath(path)
    out = []
    with open(f"/proc/{pid}/mountinfo") as f:
        for line in f:
            mp = line.split()[4].encode().decode("unicode_escape")
            if mp == path or mp.startswith(path + "/"):
                out.append(mp)
    return out


def container_cgroups():
    """Directories below the tests' cgroup parent, in every hierarchy."""
    return [os.path.join(top, n) for top in cgroup_dirs()
            for n in os.listdir(top)
            if os.path.isdir(os.path.join(top, n))]


def processes_in(parent):
    """Processes in a cgroup below parent, in any hierarchy."""
    pids = []
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            with open(f"/proc/{e}/cgroup") as f:
                if f"/{parent}/" in f.read():
                    pids.append(int(e))
        except OSError:
            pass
    return pids


def in_parallel(n, fn, items):
    """fn(item) for every item from n threads; the first failure is
    raised once all are done."""
    errs, lock = [], threading.Lock()
    chunks = [items[i::n] for i in range(n)]

    def worker(chunk):
        for it in chunk:
            try:
                fn(it)
            except BaseException as e:  # noqa: BLE001
                with lock:
                    errs.append(e)
                return

    ts = [threading.Thread(target=worker, args=(c,)) for c in chunks]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errs:
        raise errs[0]


def test_a_gigabyte_of_output_keeps_berthd_small_and_the_log_bounded(ctx):
    need_root()
    nlines = -(-(1 << 30) // len(LINE + "\n"))        # at least 1 GiB
    script = (f"yes {LINE} | head -n {nlines}; "
              f"i=0; while [ $i -lt 1000 ]; do echo err$i {LINE} >&2; "
              f"i=$((i+1)); done; echo err-end >&2; echo the-end")
    with Daemon(ctx) as d:
        load_busybox(ctx, d)
        cid = ok(cli(ctx, d, "run", "-d", "--name", "noisy", "busybox",
                     "sh", "-c", script)).strip()
        assert re.fullmatch(r"[0-9a-f]{64}", cid), cid
        code = ok(cli(ctx, d, "wait", "noisy", timeout=280)).strip()
        assert code == "0", code
        hwm = status_kib(d.pid, "VmHWM")
        assert hwm < HWM_BOUND_KIB, \
            f"berthd peak RSS {hwm} KiB after 1 GiB of output"
        # The last lines, on their streams.
        p = cli(ctx, d, "logs", "--tail", "1", "noisy")
        assert ok(p) == "the-end\n" and p.stderr == b"", p
        p = cli(ctx, d, "logs", "--tail", "2", "noisy")
        assert ok(p) == "the-end\n" and p.stderr == b"err-end\n", p
        # What is kept is bounded by the rotation: at most LOG_FILES
        # segments on disk, each at most a segment's size...
        cdir = os.path.join(d.root, "containers", cid)
        wait_for(lambda: not any(f.endswith(".tmp") for f in os.listdir(
            cdir)), 60, "the compression helper done")
        segs = {f: os.path.getsize(os.path.join(cdir, f))
                for f in os.listdir(cdir) if f.startswith("container.log")}
        assert 1 <= len(segs) <= LOG_FILES, segs
        assert all(s <= LOG_SEGMENT + (1 << 20) for s in segs.values()), \
            segs
        # ...and read back it is whole lines from the end of the output,
        # more than one segment of them, no more than all the segments.
        p = cli(ctx, d, "logs", "noisy", timeout=120)
        out, err = ok(p), p.stderr.decode()
        assert LOG_SEGMENT < len(out) + len(err) <= LOG_FILES * LOG_SEGMENT, \
            (len(out), len(err), segs)
        lines = out.splitlines()
        assert lines[-1] == "the-end", lines[-3:]
        bad = [l for l in lines[:-1] if l != LINE]
        assert not bad, f"{len(bad)} torn or foreign stdout lines: {bad[:3]}"
        errs = err.splitlines()
        assert errs[-1] == "err-end", errs[-3:]
        assert errs[:-1] == [f"err{i} {LINE}" for i in range(1000)], \
            (len(errs), errs[:2])
        ok(cli(ctx, d, "rm", "noisy"))
        wait_for(lambda: not os.path.exists(cdir), 30, "the log removed")


def test_two_hundred_running_are_listed_and_removed_without_a_trace(ctx):
    need_root()
    with Daemon(ctx) as d:
        load_busybox(ctx, d)
        fds0 = nfds(d.pid)
        names = [f"scale-{i:03d}" for i in range(RUNNING)]
        # Several CLI processes at once, as several users would.
        in_parallel(CLIENTS, lambda n: ok(cli(
            ctx, d, "run", "-d", "--name", n, "busybox", "sleep", "3600")),
            names)
        # berth ps: a header and one row per container, all Up.
        rows = ok(cli(ctx, d, "ps")).splitlines()
        assert len(rows) == RUNNING + 1, (len(rows), rows[:2])
        assert rows[0].split()[:2] == ["CONTAINER", "ID"], rows[0]
        assert all(" Up " in r for r in rows[1:]), \
            [r for r in rows[1:] if " Up " not in r][:3]
        assert sorted(r.split()[-1] for r in rows[1:]) == names
        got = ok(cli(ctx, d, "ps", "--format",
                     "{{.Names}} {{.State}}")).splitlines()
        assert sorted(got) == [f"{n} running" for n in names], got[:3]
        ids = ok(cli(ctx, d, "ps", "-q", "--no-trunc")).split()
        assert len(set(ids)) == RUNNING, len(set(ids))
        wc = subprocess.run(f"'{ctx.berth}' -H '{d.address}' ps -q | wc -l",
                            shell=True, capture_output=True, text=True,
                            timeout=60)
        assert wc.stdout.strip() == str(RUNNING), (wc.stdout, wc.stderr)
        pids = ok(cli(ctx, d, "inspect", "--format", "{{.State.Pid}}",
                      *names)).split()
        assert len(pids) == RUNNING and "0" not in pids, pids[:5]
        assert len(processes_in(CGROUP_PARENT)) >= RUNNING
        assert len(container_cgroups()) >= RUNNING
        # (Their rootfs mounts live in their own mount namespaces: the
        # host's and berthd's mount tables never hold them.)
        # All removed, several rm -f at once, many names per call.
        batches = [names[i:i + 25] for i in range(0, RUNNING, 25)]
        in_parallel(CLIENTS, lambda b: ok(cli(ctx, d, "rm", "-f", *b)),
                    batches)
        assert ok(cli(ctx, d, "ps", "-a", "-q")) == ""
        assert ok(cli(ctx, d, "ps", "-a")).count("\n") == 1
        # Nothing left: processes, cgroups, mounts, files, fds.
        wait_for(lambda: not processes_in(CGROUP_PARENT), 10,
                 "the containers' processes gone")
        for p in pids:
            try:
                with open(f"/proc/{p}/cmdline", "rb") as f:
                    assert f.read() != b"sleep\x003600\x00", p
            except OSError:
                pass
        assert container_cgroups() == [], container_cgroups()[:3]
        assert mounts_under(d.dir) == [], mounts_under(d.dir)[:3]
        assert mounts_under(d.dir, d.pid) == [], \
            mounts_under(d.dir, d.pid)[:3]
        cdir = os.path.join(d.root, "containers")
        wait_for(lambda: os.listdir(cdir) == [], 30,
                 "the containers' files removed")
        wait_for(lambda: nfds(d.pid) <= fds0, 10,
                 f"berthd's fds back to {fds0}")
