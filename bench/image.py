#!/usr/bin/python3
"""Image load throughput and snapshot prepare time, side by side: berthd's
io.berth.Image.Load of a large multi-layer docker-archive (cold: a fresh
root; warm: the same image again, its layers present), `docker load` of the
same archive where a Docker daemon answers, and the floors (sha256sum of
the archive, cp of it, tar -xf of its layer tars), in seconds and MB/s of
archive bytes; then the time to prepare, mount, unmount and remove a
container's overlay snapshot over the image's layers.

	bench/image.py BUILD [-n RUNS] [-s SNAPSHOT_RUNS] [--mb MB]

The archive (BENCH_IMAGE_MB, default 300 MB, in 5 layers of many small and
a few large files, pseudo-random and about half compressible) is made once,
deterministically, and kept in BENCH_IMAGE_CACHE (default
/var/tmp/berth-bench) for reruns.  Needs root.  Everything runs on
temporary roots removed afterwards; the daemon is stopped by its pid.

The snapshot figure is store/snapshot.c's own: build/bench/snapshot calls
snapshot_prepare, snapshot_mount, snapshot_unmount and snapshot_remove
over the image's layer directories in a private mount namespace.
The roots and the floors' scratch go under $TMPDIR (default /tmp):
TMPDIR=/dev/shm shows the CPU cost without the disk's.  Docker's own
data root is wherever its daemon keeps it.  The archive is read from the
page cache in every case (it was just
written or just read): the figures are not disk reads.
"""
import argparse
import ctypes
import hashlib
import io
import json
import os
import random
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

import msgpack

MiB = 1 << 20
CHUNK = MiB                     # bytes per {"data"} frame
REPO_TAG = "bench/big:latest"
LAYERS = 5
FORMAT_VERSION = 1              # bump when the archive's recipe changes
MTIME = 1700000000
DAEMON_TIMEOUT = 10             # seconds for berthd to accept
LOAD_TIMEOUT = 600


def p90(xs):
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


# --- the archive ------------------------------------------------------------

class Content:
    """Deterministic file contents: 4 KiB pieces, half random bytes, half
    slices of a fixed text of words, so that compressors find about half."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        words = ["".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz")
                         for _ in range(self.rng.randint(2, 10)))
                 for _ in range(2000)]
        text = " ".join(self.rng.choice(words) for _ in range(300000))
        self.text = text.encode()[:MiB]

    def piece(self, n):
        if self.rng.random() < 0.5:
            return self.rng.randbytes(n)
        off = self.rng.randrange(0, len(self.text) - n)
        return self.text[off:off + n]

    def data(self, n):
        out = bytearray()
        while len(out) < n:
            out += self.piece(min(4096, n - len(out)))
        return bytes(out)


def tar_info(name, size=0, kind=tarfile.REGTYPE, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size = size
    ti.type = kind
    ti.mode = mode
    ti.mtime = MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    return ti


def make_layer(path, index, nbytes):
    """A layer tar of about nbytes: 40% in small files (256 B to 16 KiB,
    100 to a directory), the rest in large ones (4 to 24 MiB).  Returns
    the number of files."""
    c = Content(f"berth-bench-layer-{index}")
    nfiles = 0
    top = f"layer{index}"
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        t.addfile(tar_info(top + "/", kind=tarfile.DIRTYPE, mode=0o755))
        small, d = 0, -1
        while small < nbytes * 4 // 10:
            if nfiles % 100 == 0:
                d += 1
                t.addfile(tar_info(f"{top}/small/{d:04d}/",
                                   kind=tarfile.DIRTYPE, mode=0o755))
            n = c.rng.randint(256, 16384)
            t.addfile(tar_info(f"{top}/small/{d:04d}/f{nfiles:06d}", n),
                      io.BytesIO(c.data(n)))
            small += n
            nfiles += 1
        t.addfile(tar_info(f"{top}/large/", kind=tarfile.DIRTYPE,
                           mode=0o755))
        large, k = 0, 0
        while large < nbytes - small:
            n = min(c.rng.randint(4 * MiB, 24 * MiB), nbytes - small - large)
            t.addfile(tar_info(f"{top}/large/blob{k:03d}.bin", n),
                      io.BytesIO(c.data(n)))
            large += n
            k += 1
            nfiles += 1
        # Something for the upper layers to shadow: the same path in each.
        t.addfile(tar_info("etc/", kind=tarfile.DIRTYPE, mode=0o755))
        msg = f"layer {index}\n".encode()
        t.addfile(tar_info("etc/bench-layer", len(msg)), io.BytesIO(msg))
        nfiles += 1
    return nfiles


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(MiB)
            if not b:
                return h.hexdigest()
            h.update(b)


def image_cache(mb, cachedir):
    """The cached archive for mb: {"dir", "archive", "layers", "diff_ids",
    "files"}; made when missing or made from other parameters."""
    params = {"mb": mb, "layers": LAYERS, "version": FORMAT_VERSION,
              "tag": REPO_TAG}
    d = os.path.join(cachedir, f"image-{mb}mb-{LAYERS}l-v{FORMAT_VERSION}")
    meta = os.path.join(d, "params.json")
    try:
        with open(meta) as f:
            m = json.load(f)
        if m["params"] == params and os.path.exists(m["archive"]):
            return m
    except (OSError, ValueError, KeyError):
        pass

    print(f"bench: making a {mb} MB {LAYERS}-layer archive in {d} "
          f"(once)", file=sys.stderr)
    t0 = time.monotonic()
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d, mode=0o755)
    per = mb * MiB // LAYERS
    layers, diff_ids, files = [], [], 0
    for i in range(LAYERS):
        p = os.path.join(d, f"layer-{i}.tar")
        files += make_layer(p, i, per)
        layers.append(p)
        diff_ids.append("sha256:" + sha256_file(p))
    config = {
        "architecture": "amd64", "os": "linux",
        "created": "2023-11-14T22:13:20Z",
        "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2023-11-14T22:13:20Z",
                     "created_by": f"bench layer {i}"}
                    for i in range(LAYERS)],
    }
    cfg = json.dumps(config, sort_keys=True).encode()
    cfg_hex = hashlib.sha256(cfg).hexdigest()
    names = [f"{x[7:]}/layer.tar" for x in diff_ids]
    manifest = json.dumps([{"Config": f"{cfg_hex}.json",
                            "RepoTags": [REPO_TAG],
                            "Layers": names}]).encode()
    archive = os.path.join(d, "archive.tar")
    with tarfile.open(archive + ".tmp", "w",
                      format=tarfile.PAX_FORMAT) as t:
        for p, name in zip(layers, names):
            t.addfile(tar_info(name.split("/")[0] + "/",
                               kind=tarfile.DIRTYPE, mode=0o755))
            with open(p, "rb") as f:
                t.addfile(tar_info(name, os.path.getsize(p)), f)
        t.addfile(tar_info(f"{cfg_hex}.json", len(cfg)), io.BytesIO(cfg))
        t.addfile(tar_info("manifest.json", len(manifest)),
                  io.BytesIO(manifest))
    os.rename(archive + ".tmp", archive)
    m = {"params": params, "dir": d, "archive": archive, "layers": layers,
         "diff_ids": diff_ids, "files": files}
    with open(meta + ".tmp", "w") as f:
        json.dump(m, f, indent=1)
    os.rename(meta + ".tmp", meta)
    print(f"bench: made in {time.monotonic() - t0:.1f} s", file=sys.stderr)
    return m


# --- berthd -----------------------------------------------------------------

def frame(obj):
    body = msgpack.packb(obj, use_bin_type=True)
    return struct.pack(">I", len(body)) + body


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        b = sock.recv(n - len(buf))
        if not b:
            raise EOFError("berthd closed the connection")
        buf += b
    return bytes(buf)


def recv_frame(sock):
    (n,) = struct.unpack(">I", recv_exact(sock, 4))
    return msgpack.unpackb(recv_exact(sock, n), raw=False,
                           strict_map_key=False)


class Daemon:
    def __init__(self, build, tmp, name):
        self.base = os.path.join(tmp, name)
        self.root = os.path.join(self.base, "root")
        self.run = os.path.join(self.base, "run")
        self.sock = os.path.join(self.base, "berth.sock")
        self.log = os.path.join(self.base, "berthd.log")
        os.makedirs(self.root)
        os.makedirs(self.run)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [os.path.join(build, "berthd"), "--socket", self.sock,
                 "--root", self.root, "--run-root", self.run,
                 "--log-level", "warn"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + DAEMON_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"berthd exited {self.proc.returncode}: "
                                   f"{self.log_tail()}")
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.sock)
                s.close()
                return
            except OSError:
                s.close()
                if time.monotonic() > deadline:
                    raise RuntimeError("berthd does not accept on "
                                       f"{self.sock}")
                time.sleep(0.02)

    def log_tail(self, n=20):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop(self):
        """SIGTERM by pid, SIGKILL after 10 s; True when it exited 0."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode == 0

    def load(self, archive):
        """Load archive over one upgraded connection.  Returns (seconds,
        seconds until the first "Loading layer" progress or None, the
        final reply's parameters)."""
        size = os.path.getsize(archive)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(LOAD_TIMEOUT)
        s.connect(self.sock)
        replies, failure = [], []
        first_layer = []

        def reader():
            try:
                while True:
                    r = recv_frame(s)
                    replies.append(r)
                    p = (r.get("parameters") or {}).get("progress") or {}
                    if not first_layer and p.get("action") == \
                            "Loading layer":
                        first_layer.append(time.perf_counter())
                    if "error" in r or not r.get("continues"):
                        return
            except Exception as e:  # noqa: BLE001 reported below
                failure.append(e)

        t0 = time.perf_counter()
        s.sendall(frame({"method": "io.berth.Image.Load",
                         "parameters": {"size": size}, "upgrade": True}))
        th = threading.Thread(target=reader, daemon=True)
        th.start()
        try:
            with open(archive, "rb") as f:
                while True:
                    b = f.read(CHUNK)
                    if not b:
                        break
                    s.sendall(frame({"data": b}))
            s.sendall(frame({"eof": True}))
        except OSError as e:
            failure.append(e)   # the reader has the daemon's reason
        th.join(LOAD_TIMEOUT)
        t1 = time.perf_counter()
        s.close()
        last = replies[-1] if replies else {}
        if "error" in last:
            raise RuntimeError(f"Load: {last.get('error')}: "
                               f"{last.get('message')}")
        if th.is_alive() or not replies or last.get("continues"):
            raise RuntimeError(f"Load: no final reply "
                               f"({failure[0] if failure else 'timeout'}); "
                               f"berthd log: {self.log_tail()}")
        unpack = (t1 - first_layer[0]) if first_layer else None
        return t1 - t0, unpack, last.get("parameters") or {}


# --- floors and docker ------------------------------------------------------

def timed(cmd, **kw):
    os.sync()
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       **kw)
    t1 = time.perf_counter()
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: "
                           f"{p.stderr.decode(errors='replace')[-500:]}")
    return t1 - t0


def docker_works():
    if shutil.which("docker") is None:
        return "docker: not installed"
    try:
        p = subprocess.run(["docker", "info"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=30)
    except subprocess.TimeoutExpired:
        return "docker: `docker info` timed out, skipped"
    if p.returncode != 0:
        why = p.stderr.decode(errors="replace").strip().splitlines()
        return ("docker: no daemon answers (`docker info`: "
                f"{why[-1] if why else p.returncode}), skipped")
    return None


def docker_rmi():
    subprocess.run(["docker", "rmi", "-f", REPO_TAG],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


# --- snapshots --------------------------------------------------------------

def snapshot_bench(build, snapdir, lowers, runs):
    """build/bench/snapshot: store/snapshot.c's prepare, mount, unmount
    and remove, timed in C."""
    r = subprocess.run([os.path.join(build, "bench", "snapshot"), snapdir,
                        str(runs), *lowers], capture_output=True, text=True,
                       timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"snapshot: {r.stderr.strip()}")
    return json.loads(r.stdout)


# --- cleanup ----------------------------------------------------------------

def mounts_under(path):
    path = os.path.realpath(path)
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].encode().decode("unicode_escape")
            if mp == path or mp.startswith(path + "/"):
                out.append(mp)
    return out


def remove_tmp(tmp):
    """Remove tmp, never through a mount: detach what is mounted first,
    refuse when something stays."""
    libc = ctypes.CDLL(None, use_errno=True)
    for mp in sorted(mounts_under(tmp), key=len, reverse=True):
        libc.umount2(mp.encode(), MNT_DETACH | UMOUNT_NOFOLLOW)
    left = mounts_under(tmp)
    if left:
        print(f"bench: not removing {tmp}: still mounted: {left}",
              file=sys.stderr)
        return False
    shutil.rmtree(tmp, ignore_errors=True)
    return True


# --- main -------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build")
    ap.add_argument("-n", "--runs", type=int, default=3,
                    help="loads of each kind (default 3)")
    ap.add_argument("-s", "--snapshot-runs", type=int, default=50)
    ap.add_argument("--mb", type=int,
                    default=int(os.environ.get("BENCH_IMAGE_MB", "300")))
    ap.add_argument("--cache", default=os.environ.get(
        "BENCH_IMAGE_CACHE", "/var/tmp/berth-bench"))
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)
    if os.geteuid() != 0:
        print("bench/image.py: needs root", file=sys.stderr)
        return 2
    build = os.path.abspath(args.build)
    if not os.access(os.path.join(build, "berthd"), os.X_OK):
        print(f"bench: {build}/berthd not built (make all)", file=sys.stderr)
        return 2

    img = image_cache(args.mb, args.cache)
    archive = img["archive"]
    size = os.path.getsize(archive)
    rows, notes, rc = [], [], 0
    berth_unpack, cold = [], []
    snap = None
    tmp = tempfile.mkdtemp(prefix="berth-bench-image-")
    daemon = None
    try:
        # berth: each round a fresh root, a cold load then a warm one.
        warm = []
        for i in range(args.runs):
            if daemon is not None:
                if not daemon.stop():
                    notes.append(f"berthd exited {daemon.proc.returncode}"
                                 f" after SIGTERM: {daemon.log_tail(5)}")
                    rc = 1
                shutil.rmtree(daemon.base)
            daemon = Daemon(build, tmp, f"d{i}")
            os.sync()   # no writeback of earlier work inside the timing
            t, unpack, res = daemon.load(archive)
            cold.append(t)
            if unpack is not None:
                berth_unpack.append(unpack)
            refs = [r for im in res.get("images") or []
                    for r in im.get("references") or []]
            if not any(r.endswith(REPO_TAG) for r in refs):
                raise RuntimeError(f"Load: {REPO_TAG} not among the "
                                   f"loaded references: {res}")
            os.sync()
            warm.append(daemon.load(archive)[0])
        rows.append(("berth load, cold", cold))
        rows.append(("berth load, warm", warm))

        # The snapshot, over the last root's layers, topmost first.
        lowers = [os.path.join(daemon.root, "layers", x[7:])
                  for x in reversed(img["diff_ids"])]
        for p in lowers:
            if not os.path.isdir(p):
                raise RuntimeError(f"no layer directory {p}")
        snapdir = os.path.join(tmp, "snapshots")
        os.mkdir(snapdir, 0o700)
        os.sync()
        snap = snapshot_bench(build, snapdir, lowers,
                              args.snapshot_runs)
        if not daemon.stop():
            notes.append(f"berthd exited {daemon.proc.returncode} after "
                         f"SIGTERM: {daemon.log_tail(5)}")
            rc = 1
        log = daemon.log_tail(10).strip()
        if log:
            notes.append("berthd said: " + log)
        daemon = None

        # docker, when a daemon answers.
        why = docker_works()
        if why:
            notes.append(why)
        else:
            try:
                dc, dw = [], []
                for i in range(args.runs):
                    docker_rmi()
                    dc.append(timed(["docker", "load", "-q", "-i",
                                     archive]))
                    dw.append(timed(["docker", "load", "-q", "-i",
                                     archive]))
                rows.append(("docker load, cold", dc))
                rows.append(("docker load, warm", dw))
            except RuntimeError as e:
                notes.append(f"docker: failed: {e}")
            finally:
                docker_rmi()

        # The floors.
        rows.append(("sha256sum archive",
                     [timed(["sha256sum", archive])
                      for _ in range(args.runs)]))
        cp = []
        for i in range(args.runs):
            dst = os.path.join(tmp, "copy.tar")
            cp.append(timed(["sh", "-c", 'cp "$1" "$2" && sync -f "$2"',
                             "cp", archive, dst]))
            os.unlink(dst)
        rows.append(("cp archive + syncfs", cp))
        tx, tn = [], []
        for i in range(args.runs):
            dst = os.path.join(tmp, "extract")
            os.mkdir(dst)
            script = ('d=$1; shift; for l; do tar -xf "$l" -C "$d" || '
                      'exit 1; done')
            tn.append(timed(["sh", "-c", script, "tar", dst]
                            + img["layers"]))
            shutil.rmtree(dst)
        rows.append(("tar -xf layers", tn))
        for i in range(args.runs):
            dst = os.path.join(tmp, "extract")
            os.mkdir(dst)
            script = ('d=$1; shift; for l; do tar -xf "$l" -C "$d" || '
                      'exit 1; done; sync -f "$d"')
            tx.append(timed(["sh", "-c", script, "tar", dst]
                            + img["layers"]))
            shutil.rmtree(dst)
        rows.append(("tar -xf layers + syncfs", tx))
    except (RuntimeError, OSError, EOFError) as e:
        print(f"bench: image: {e}", file=sys.stderr)
        rc = 1
    finally:
        if daemon is not None:
            daemon.stop()
        if not remove_tmp(tmp):
            rc = 1

    print(f"image load: {size / MiB:.0f} MiB docker-archive, {LAYERS} "
          f"layers, {img['files']} files ({archive}); median of "
          f"{args.runs}, MiB/s of archive bytes")
    print(f"{'':26} {'median s':>9} {'min s':>9} {'MiB/s':>9}")
    for name, t in rows:
        m = statistics.median(t)
        print(f"{name:26} {m:9.3f} {min(t):9.3f} {size / MiB / m:9.1f}")
    if berth_unpack and cold:
        m = statistics.median(berth_unpack)
        share = m / statistics.median(cold) * 100
        print(f"  berth cold: first \"Loading layer\" progress to the final "
              f"reply (unpacking): {m:.3f} s, {share:.0f}% of the load")
    if snap:
        print()
        print(f"snapshot over the {LAYERS} layers (store/snapshot.c, "
              f"build/bench/snapshot), "
              f"{len(snap['prepare'])} runs")
        print(f"{'':26} {'median ms':>9} {'p90 ms':>9} {'min ms':>9}")
        for name, t in (("snapshot_prepare", snap["mkdir"]),
                        ("snapshot_mount", snap["mount"]),
                        ("prepare + mount", snap["prepare"]),
                        ("unmount + remove", snap["remove"])):
            print(f"{name:26} {statistics.median(t):9.3f} {p90(t):9.3f} "
                  f"{min(t):9.3f}")
    for n in notes:
        print(f"note: {n}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
