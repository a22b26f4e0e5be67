#!/usr/bin/python3
"""Build the bundled busybox image as an image archive, reproducibly.

    tools/mkimage.py --format docker|oci -o OUT.tar [--tag NAME:TAG]
                     [--rootfs DIR] [--epoch SECONDS]

Input: a root filesystem directory (--rootfs; by default one is built with
tools/mkrootfs.sh in a temporary directory, removed afterwards).  Output:
one tarball (OUT.tar, "-" for stdout), written to OUT.tar.tmp and renamed.

--format docker: a docker-archive as the classic `docker save` writes it:
    manifest.json    [{"Config": "<cfg>.json", "RepoTags": ["busybox:latest"],
                       "Layers": ["<diffid>/layer.tar"]}]
    repositories     {"busybox": {"latest": "<diffid>"}}
    <cfg>.json       the image config; <cfg> is its sha256 hex
    <diffid>/        VERSION, json (v1 layer metadata), layer.tar
--format oci: an OCI image layout:
    oci-layout, index.json (one manifest, annotated with
    org.opencontainers.image.ref.name = the tag and io.containerd.image.name
    = the full reference, docker.io/library/busybox:latest by default),
    blobs/sha256/<hex> for the manifest, the config and the layer, the layer
    gzip-compressed (mtime 0, no file name in the gzip header).

The image config: architecture of the host (amd64 on x86_64), os linux,
Cmd ["sh"], the usual PATH, rootfs.diff_ids = sha256 of the uncompressed
layer tar, one history entry, "created" = the epoch.

Reproducible: the same rootfs contents give the same bytes on every run.
The layer tar (pax format) lists entries sorted by path, keeps modes and
the rootfs's numeric owners, names them from the rootfs's own etc/passwd
and etc/group (not the host's), sets every mtime to the epoch
(SOURCE_DATE_EPOCH if set, else 0, or --epoch) and records no atime, ctime
or xattrs.  The outer tarball's entries are in a fixed order, owned 0:0,
dated at the epoch.  JSON is written with sorted keys and no spaces.
Standard library only.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MKROOTFS = os.path.join(HERE, "mkrootfs.sh")

PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"

# uname -m to the GOARCH names image configs use.
ARCHES = {
    "x86_64": ("amd64", None), "amd64": ("amd64", None),
    "aarch64": ("arm64", None), "arm64": ("arm64", None),
    "armv7l": ("arm", "v7"), "armv6l": ("arm", "v6"),
    "i386": ("386", None), "i686": ("386", None),
    "ppc64le": ("ppc64le", None), "s390x": ("s390x", None),
    "riscv64": ("riscv64", None), "mips64": ("mips64", None),
}


def die(msg):
    print(f"mkimage: {msg}", file=sys.stderr)
    sys.exit(1)


def canonical_json(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def rfc3339(epoch):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def parse_tag(ref):
    """NAME[:TAG] -> (repo as docker shows it, tag, full reference)."""
    name, tag = ref, "latest"
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        name, tag = ref[:colon], ref[colon + 1:]
    if not name or not tag or "@" in ref:
        die(f"bad tag {ref!r} (want NAME:TAG)")
    first = name.split("/", 1)[0]
    if "/" in name and ("." in first or ":" in first or first == "localhost"):
        full = name
    elif "/" in name:
        full = "docker.io/" + name
    else:
        full = "docker.io/library/" + name
    return name, tag, f"{full}:{tag}"


def read_ids(path):
    """id -> name from a passwd or group file; the first name wins."""
    ids = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                fields = line.rstrip("\n").split(":")
                if len(fields) >= 3 and fields[2].isdigit():
                    ids.setdefault(int(fields[2]), fields[0])
    except FileNotFoundError:
        pass
    return ids


def walk_sorted(root):
    """Every path below root, relative, sorted byte-wise, parents first."""
    out = []

    def rec(rel):
        full = os.path.join(root, rel) if rel else root
        for name in sorted(os.listdir(full), key=os.fsencode):
            sub = os.path.join(rel, name) if rel else name
            out.append(sub)
            if stat.S_ISDIR(os.lstat(os.path.join(root, sub)).st_mode):
                rec(sub)
    rec("")
    return out


def build_layer(root, epoch):
    """The uncompressed layer tar of root, as bytes."""
    users = read_ids(os.path.join(root, "etc", "passwd"))
    groups = read_ids(os.path.join(root, "etc", "group"))
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in walk_sorted(root):
            path = os.path.join(root, rel)
            # gettarinfo records hard links (same inode seen before) as
            # LNKTYPE entries; the sorted walk makes that deterministic.
            ti = tar.gettarinfo(path, arcname=rel)
            if ti is None:          # a socket: not part of an image
                continue
            ti.mtime = epoch
            ti.uname = users.get(ti.uid, "")
            ti.gname = groups.get(ti.gid, "")
            ti.pax_headers = {}
            if ti.isreg():
                with open(path, "rb") as f:
                    tar.addfile(ti, f)
            else:
                tar.addfile(ti)
    return buf.getvalue()


def gzip_bytes(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0,
                       compresslevel=9) as gz:
        gz.write(data)
    return buf.getvalue()


def image_config(diff_id, epoch):
    arch, variant = ARCHES.get(platform.machine(), (platform.machine(), None))
    created = rfc3339(epoch)
    cfg = {
        "architecture": arch,
        "os": "linux",
        "created": created,
        "config": {"Cmd": ["sh"], "Env": [PATH_ENV]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff_id]},
        "history": [{
            "created": created,
            "created_by": "berth tools/mkimage.py: busybox rootfs",
        }],
    }
    if variant:
        cfg["variant"] = variant
    return cfg


class Archive:
    """The outer tarball: entries in the order added, owned 0:0, dated at
    the epoch."""

    def __init__(self, epoch):
        self.buf = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.buf, mode="w",
                                format=tarfile.PAX_FORMAT)
        self.epoch = epoch

    def _info(self, name, kind, mode, size=0):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.size, ti.mtime = kind, mode, size, self.epoch
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        return ti

    def dir(self, name):
        self.tar.addfile(self._info(name, tarfile.DIRTYPE, 0o755))

    def file(self, name, data):
        ti = self._info(name, tarfile.REGTYPE, 0o644, len(data))
        self.tar.addfile(ti, io.BytesIO(data))

    def finish(self):
        self.tar.close()
        return self.buf.getvalue()


def docker_archive(layer, epoch, ref):
    repo, tag, _ = parse_tag(ref)
    diff_id = sha256_hex(layer)
    config = canonical_json(image_config(diff_id, epoch))
    config_hex = sha256_hex(config)
    v1 = {
        "id": diff_id,
        "created": rfc3339(epoch),
        "os": "linux",
        "container_config": {"Cmd": None, "Env": None},
    }
    manifest = [{
        "Config": config_hex + ".json",
        "RepoTags": [f"{repo}:{tag}"],
        "Layers": [diff_id + "/layer.tar"],
    }]
    ar = Archive(epoch)
    ar.dir(diff_id)
    ar.file(diff_id + "/VERSION", b"1.0")
    ar.file(diff_id + "/json", canonical_json(v1))
    ar.file(diff_id + "/layer.tar", layer)
    ar.file(config_hex + ".json", config)
    ar.file("manifest.json", canonical_json(manifest))
    ar.file("repositories", canonical_json({repo: {tag: diff_id}}))
    return ar.finish()


def oci_archive(layer, epoch, ref):
    _, tag, full = parse_tag(ref)
    diff_id = sha256_hex(layer)
    gz = gzip_bytes(layer)
    config = canonical_json(image_config(diff_id, epoch))

    def desc(mt, data):
        return {"mediaType": mt, "digest": "sha256:" + sha256_hex(data),
                "size": len(data)}

    manifest = canonical_json({
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": desc(MT_CONFIG, config),
        "layers": [desc(MT_LAYER_GZIP, gz)],
    })
    mdesc = desc(MT_MANIFEST, manifest)
    mdesc["annotations"] = {
        "io.containerd.image.name": full,
        "org.opencontainers.image.ref.name": tag,
    }
    index = canonical_json({
        "schemaVersion": 2,
        "mediaType": MT_INDEX,
        "manifests": [mdesc],
    })
    ar = Archive(epoch)
    ar.file("oci-layout", canonical_json({"imageLayoutVersion": "1.0.0"}))
    ar.file("index.json", index)
    ar.dir("blobs")
    ar.dir("blobs/sha256")
    for blob in sorted((manifest, config, gz), key=sha256_hex):
        ar.file("blobs/sha256/" + sha256_hex(blob), blob)
    return ar.finish()


def write_output(path, data):
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


def main():
    ap = argparse.ArgumentParser(
        description="Build the busybox image as a docker-archive or an "
                    "OCI layout tarball, reproducibly.")
    ap.add_argument("--format", choices=("docker", "oci"), required=True)
    ap.add_argument("-o", "--output", required=True,
                    help="the tarball to write, - for stdout")
    ap.add_argument("--tag", default="busybox:latest")
    ap.add_argument("--rootfs", help="rootfs directory (default: built "
                    "with tools/mkrootfs.sh in a temporary directory)")
    ap.add_argument("--epoch", type=int,
                    default=int(os.environ.get("SOURCE_DATE_EPOCH", "0")),
                    help="mtime of every entry and the image's creation "
                    "time (default SOURCE_DATE_EPOCH or 0)")
    args = ap.parse_args()
    parse_tag(args.tag)

    if args.rootfs:
        if not os.path.isdir(args.rootfs):
            die(f"{args.rootfs}: not a directory")
        layer = build_layer(args.rootfs, args.epoch)
    else:
        tmp = tempfile.mkdtemp(prefix="mkimage-")
        try:
            root = os.path.join(tmp, "rootfs")
            r = subprocess.run(["sh", MKROOTFS, root])
            if r.returncode != 0:
                die("tools/mkrootfs.sh failed")
            layer = build_layer(root, args.epoch)
        finally:
            shutil.rmtree(tmp)

    if args.format == "docker":
        data = docker_archive(layer, args.epoch, args.tag)
    else:
        data = oci_archive(layer, args.epoch, args.tag)
    write_output(args.output, data)


if __name__ == "__main__":
    main()
