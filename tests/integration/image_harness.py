"""What the io.berth.Image tests share: upgraded Load/Import streams, Save
streams, archives built by hand, and looks into berthd's store (ROOT/...).

    with Daemon(ctx) as d:
        r = load(d, archive_bytes)          # final reply's parameters
        data, size = save(d, ["busybox"], "docker")
"""
import gzip
import hashlib
import io
import json
import os
import socket
import sqlite3
import subprocess
import tarfile

import msgpack

from harness import HEADER, PYTHON, TOP, caller, frame

IMAGE = "io.berth.Image"
CHUNK = 1 << 20
MKIMAGE = os.path.join(TOP, "tools", "mkimage.py")
_CACHE = {}


# --- bundled busybox ------------------------------------------------------

def busybox(fmt="docker", tag="busybox:latest"):
    """The bytes of the bundled busybox image (mkimage.py), cached."""
    key = (fmt, tag)
    if key not in _CACHE:
        import tempfile
        with tempfile.TemporaryDirectory(prefix="berth-img-") as tmp:
            out = os.path.join(tmp, "img.tar")
            subprocess.run([PYTHON, MKIMAGE, "--format", fmt, "-o", out,
                            "--tag", tag], check=True, capture_output=True,
                           timeout=120)
            with open(out, "rb") as f:
                _CACHE[key] = f.read()
    return _CACHE[key]


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def members(tar_bytes):
    """{name: bytes} of a tarball's regular files."""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as t:
        for m in t.getmembers():
            if m.isfile():
                out[m.name] = t.extractfile(m).read()
    return out


# --- upgraded calls -------------------------------------------------------

class StreamError(Exception):
    """The final reply of an upgraded call was an error."""

    def __init__(self, reply, progress):
        self.reply = reply
        self.name = reply.get("error")
        self.message = reply.get("message", "")
        self.parameters = reply.get("parameters") or {}
        self.progress = progress
        super().__init__(f"{self.name}: {self.message} {self.parameters}")


class Upgraded:
    """One upgraded call (Load, Import) on its own connection."""

    def __init__(self, path, method, parameters=None, timeout=60.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = bytearray()
        self.progress = []
        self.sock.sendall(frame({"method": method,
                                 "parameters": parameters or {},
                                 "upgrade": True}))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.sock.close()

    def send_data(self, data, chunk=CHUNK):
        for i in range(0, len(data), chunk):
            self.sock.sendall(frame({"data": data[i:i + chunk]}))

    def send_eof(self):
        self.sock.sendall(frame({"eof": True}))

    def recv_frame(self):
        while True:
            if len(self.buf) >= HEADER.size:
                (n,) = HEADER.unpack_from(self.buf)
                if len(self.buf) >= HEADER.size + n:
                    body = bytes(self.buf[HEADER.size:HEADER.size + n])
                    del self.buf[:HEADER.size + n]
                    return msgpack.unpackb(body, raw=False,
                                           strict_map_key=False)
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                return None
            self.buf += chunk

    def result(self):
        """Read progress replies up to the final reply; its parameters, or
        raise StreamError.  The daemon must then close the connection."""
        while True:
            reply = self.recv_frame()
            assert reply is not None, \
                "daemon closed the connection without a final reply " \
                f"(progress so far: {self.progress[-3:]})"
            if "error" in reply:
                self._expect_closed()
                raise StreamError(reply, self.progress)
            params = reply.get("parameters") or {}
            if reply.get("continues"):
                assert "progress" in params, f"odd stream reply {reply!r}"
                self.progress.append(params["progress"])
                continue
            self._expect_closed()
            return params

    def _expect_closed(self):
        """berthd closes an upgraded connection after its final reply:
        EOF (or a reset) soon, not silence."""
        self.sock.settimeout(5)
        try:
            extra = self.recv_frame()
        except ConnectionResetError:
            return
        except socket.timeout:
            raise AssertionError("the connection stayed open after the "
                                 "final reply") from None
        assert extra is None, f"frame after the final reply: {extra!r}"


def upgraded(d, method, data, parameters=None, chunk=CHUNK, timeout=120.0):
    """Send an upgraded call with data streamed; the final parameters."""
    with Upgraded(d.path, method, parameters, timeout) as u:
        try:
            u.send_data(data, chunk)
            u.send_eof()
        except (BrokenPipeError, ConnectionResetError):
            pass                # the daemon answered early; read why
        return u.result()


def load(d, data, **parameters):
    return upgraded(d, f"{IMAGE}.Load", data, parameters)


def import_(d, data, **parameters):
    return upgraded(d, f"{IMAGE}.Import", data, parameters)


def expect_stream_error(fn, *args, **kwargs):
    try:
        r = fn(*args, **kwargs)
    except StreamError as e:
        return e
    raise AssertionError(f"expected an error, got {r!r}")


def save(d, images, fmt=None, compression=None, timeout=120.0):
    """Save over a "more" call: the archive's bytes and the final size."""
    params = {"images": list(images)}
    if fmt:
        params["format"] = fmt
    if compression:
        params["compression"] = compression
    out = bytearray()
    size = None
    with d.client(timeout=timeout) as c:
        for reply in c.stream(f"{IMAGE}.Save", params):
            if reply.get("data") is not None:
                out += reply["data"]
            if reply.get("size") is not None:
                size = reply["size"]
    assert size == len(out), f"Save said size {size}, sent {len(out)}"
    return bytes(out)


call, expect_error = caller(IMAGE + ".")


def images(d):
    return call(d, "List")["images"]


def image_ids(d):
    return sorted(i["id"] for i in images(d))


# --- the store ------------------------------------------------------------

def layers_dir(d):
    return os.path.join(d.root, "layers")


def layer_dirs(d):
    """Entries of ROOT/layers other than tmp."""
    try:
        return sorted(n for n in os.listdir(layers_dir(d)) if n != "tmp")
    except FileNotFoundError:
        return []


def staging(d):
    """Entries of ROOT/layers/tmp."""
    try:
        return sorted(os.listdir(os.path.join(layers_dir(d), "tmp")))
    except FileNotFoundError:
        return []


def blob_files(d):
    p = os.path.join(d.root, "blobs", "sha256")
    try:
        return sorted("sha256:" + n for n in os.listdir(p)
                      if not n.startswith("."))
    except FileNotFoundError:
        return []


def db(d):
    return sqlite3.connect(os.path.join(d.root, "metadata.db"), timeout=10)


def query(d, sql, args=()):
    con = db(d)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def insert_lease(d, image_id, holder="c1"):
    """With the daemon stopped: a lease row, as a container would hold."""
    con = db(d)
    try:
        con.execute("INSERT INTO leases(image, holder) VALUES (?, ?)",
                    (image_id, holder))
        con.commit()
    finally:
        con.close()


# --- helper processes -----------------------------------------------------

def children(pid):
    """Direct children of pid (from /proc/PID/task/*/children)."""
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out += [int(x) for x in f.read().split()]
            except FileNotFoundError:
                pass
    except FileNotFoundError:
        pass
    return out


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")
    except (FileNotFoundError, ProcessLookupError):
        return []


def descendants(pid):
    out = []
    todo = children(pid)
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children(p)
    return out


def helpers(d):
    """(pid, cmdline) of berthd's descendants that are helpers or their
    children."""
    return [(p, cmdline(p)) for p in descendants(d.pid)]


# --- archives by hand -----------------------------------------------------

def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    """A tar of entries: (name, kind, extra) with kind "file" (extra =
    bytes), "dir", "symlink" (extra = target), "hardlink" (extra =
    target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, kind, extra in entries:
            ti = tarfile.TarInfo(name)
            ti.mtime = 0
            ti.uid = ti.gid = 0
            if kind == "file":
                ti.size = len(extra)
                ti.mode = 0o644
                t.addfile(ti, io.BytesIO(extra))
            elif kind == "dir":
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                t.addfile(ti)
            elif kind == "symlink":
                ti.type = tarfile.SYMTYPE
                ti.linkname = extra
                ti.mode = 0o777
                t.addfile(ti)
            elif kind == "hardlink":
                ti.type = tarfile.LNKTYPE
                ti.linkname = extra
                ti.mode = 0o644
                t.addfile(ti)
            else:
                raise ValueError(kind)
    return buf.getvalue()


def _canon(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def arch():
    import platform
    m = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(m, m)


def image_config(layer_tars, cmd=("sh",), created="1970-01-01T00:00:00Z"):
    return {
        "architecture": arch(), "os": "linux", "created": created,
        "config": {"Cmd": list(cmd), "Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers",
                   "diff_ids": [sha256(l) for l in layer_tars]},
        "history": [{"created": created, "created_by": f"layer {i}"}
                    for i in range(len(layer_tars))],
    }


def docker_archive(layer_tars, tag="hand:latest", config=None):
    """A docker-archive (docker save) of these uncompressed layer tars."""
    config = config or image_config(layer_tars)
    cfg = _canon(config)
    cfg_hex = hashlib.sha256(cfg).hexdigest()
    files = [(f"{cfg_hex}.json", cfg)]
    names = []
    for l in layer_tars:
        h = hashlib.sha256(l).hexdigest()
        files.append((f"{h}/layer.tar", l))
        names.append(f"{h}/layer.tar")
    manifest = [{"Config": f"{cfg_hex}.json",
                 "RepoTags": [tag] if tag else [], "Layers": names}]
    files.append(("manifest.json", _canon(manifest)))
    entries = [(n, "file", b) for n, b in files]
    dirs = sorted({n.split("/")[0] for n, _ in files if "/" in n})
    return tar_bytes([(dname, "dir", None) for dname in dirs] + entries), \
        "sha256:" + cfg_hex


def oci_layout(layer_blobs, diff_ids, tag="latest",
               name="docker.io/library/hand:latest", blob_names=None,
               media_type="application/vnd.oci.image.layer.v1.tar"):
    """An OCI layout tar; layer_blobs are stored as given, blob_names (hex)
    default to their digests (override to make a corrupt layout)."""
    config = {"architecture": arch(), "os": "linux",
              "created": "1970-01-01T00:00:00Z",
              "config": {"Cmd": ["sh"]},
              "rootfs": {"type": "layers", "diff_ids": list(diff_ids)}}
    cfg = _canon(config)
    blob_names = blob_names or [hashlib.sha256(b).hexdigest()
                                for b in layer_blobs]
    manifest = {"schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType":
                           "application/vnd.oci.image.config.v1+json",
                           "digest": sha256(cfg), "size": len(cfg)},
                "layers": [{"mediaType": media_type,
                            "digest": "sha256:" + h, "size": len(b)}
                           for b, h in zip(layer_blobs, blob_names)]}
    man = _canon(manifest)
    index = {"schemaVersion": 2,
             "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType":
                            "application/vnd.oci.image.manifest.v1+json",
                            "digest": sha256(man), "size": len(man),
                            "annotations": {
                                "org.opencontainers.image.ref.name": tag,
                                "io.containerd.image.name": name}}]}
    entries = [("oci-layout", "file", b'{"imageLayoutVersion":"1.0.0"}'),
               ("index.json", "file", _canon(index)),
               ("blobs", "dir", None), ("blobs/sha256", "dir", None),
               ("blobs/sha256/" + sha256(man)[7:], "file", man),
               ("blobs/sha256/" + sha256(cfg)[7:], "file", cfg)]
    for b, h in zip(layer_blobs, blob_names):
        entries.append(("blobs/sha256/" + h, "file", b))
    return tar_bytes(entries), sha256(cfg)


def gz(data):
    return gzip.compress(data, mtime=0)
