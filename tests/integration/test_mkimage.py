"""tools/mkimage.py: the busybox image as a docker-archive and as an OCI
layout, byte-identical from run to run, every digest and size consistent,
and a layer that extracts to a usable busybox tree."""
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import unittest

PYTHON = "/usr/bin/python3"


def _need_busybox():
    if not os.path.exists("/bin/busybox"):
        raise unittest.SkipTest("no /bin/busybox (busybox-static)")


def _mkimage(ctx, fmt, out, *extra):
    subprocess.run([PYTHON, os.path.join(ctx.top, "tools", "mkimage.py"),
                    "--format", fmt, "-o", out, *extra],
                   check=True, timeout=60)
    with open(out, "rb") as f:
        return f.read()


def _members(data):
    """name -> bytes (None for a directory) of an uncompressed tarball."""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for ti in tar:
            out[ti.name] = tar.extractfile(ti).read() if ti.isreg() else None
    return out


def _sha(data):
    return hashlib.sha256(data).hexdigest()


def _check_layer(layer):
    """The layer tar extracts to a tree with busybox, sh and passwd."""
    with tempfile.TemporaryDirectory() as d:
        with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
            names = [ti.name for ti in tar.getmembers()]
            assert names == sorted(names, key=os.fsencode), "not sorted"
            for ti in tar.getmembers():
                assert ti.mtime == 0, f"{ti.name}: mtime {ti.mtime}"
            tar.extractall(d, numeric_owner=True)
        bb = os.path.join(d, "bin", "busybox")
        assert os.path.isfile(bb) and os.access(bb, os.X_OK)
        assert os.readlink(os.path.join(d, "bin", "sh")) == "busybox"
        with open(os.path.join(d, "etc", "passwd")) as f:
            assert f.read().startswith("root:x:0:0:")
        st = os.stat(os.path.join(d, "home", "tester"))
        assert (st.st_uid, st.st_gid) == (1000, 1000), st


def _check_config(config, diff_id):
    cfg = json.loads(config)
    assert cfg["os"] == "linux"
    if os.uname().machine == "x86_64":
        assert cfg["architecture"] == "amd64", cfg["architecture"]
    assert cfg["config"]["Cmd"] == ["sh"]
    assert cfg["config"]["Env"][0].startswith("PATH=/usr/local/sbin:")
    assert cfg["rootfs"] == {"type": "layers",
                             "diff_ids": ["sha256:" + diff_id]}, cfg
    assert cfg["created"] and cfg["history"]


class _Images:
    """Both formats built twice: once from a rootfs of mkimage's own making
    (the default), once from one given with --rootfs."""

    def __init__(self, ctx):
        _need_busybox()
        self.dir = tempfile.mkdtemp(prefix="test-mkimage-")
        rootfs = os.path.join(self.dir, "rootfs")
        subprocess.run(["sh", os.path.join(ctx.top, "tools", "mkrootfs.sh"),
                        rootfs], check=True, timeout=60)
        self.runs = {}
        for fmt in ("docker", "oci"):
            a = _mkimage(ctx, fmt, os.path.join(self.dir, fmt + "-a.tar"))
            b = _mkimage(ctx, fmt, os.path.join(self.dir, fmt + "-b.tar"),
                         "--rootfs", rootfs)
            self.runs[fmt] = (a, b)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir)


def test_mkimage_is_reproducible_and_consistent(ctx):
    with _Images(ctx) as im:
        for fmt, (a, b) in im.runs.items():
            assert a == b, f"{fmt}: two runs differ"
        _check_docker(im.runs["docker"][0])
        _check_oci(im.runs["oci"][0])
        _docker_load(os.path.join(im.dir, "docker-a.tar"))


def _check_docker(data):
    m = _members(data)
    manifest = json.loads(m["manifest.json"])
    assert len(manifest) == 1, manifest
    entry = manifest[0]
    assert entry["RepoTags"] == ["busybox:latest"], entry
    config = m[entry["Config"]]
    assert entry["Config"] == _sha(config) + ".json"
    assert len(entry["Layers"]) == 1
    layer = m[entry["Layers"][0]]
    diff_id = _sha(layer)
    _check_config(config, diff_id)
    repos = json.loads(m["repositories"])
    layer_dir = entry["Layers"][0].split("/")[0]
    assert repos == {"busybox": {"latest": layer_dir}}, repos
    assert m[layer_dir + "/VERSION"] == b"1.0"
    _check_layer(layer)


def _check_oci(data):
    m = _members(data)
    assert json.loads(m["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    for name, blob in m.items():
        if name.startswith("blobs/sha256/") and blob is not None:
            assert name == "blobs/sha256/" + _sha(blob), name

    def blob(desc):
        algo, hexd = desc["digest"].split(":")
        assert algo == "sha256"
        b = m["blobs/sha256/" + hexd]
        assert len(b) == desc["size"], desc
        return b

    index = json.loads(m["index.json"])
    assert index["schemaVersion"] == 2
    assert len(index["manifests"]) == 1
    mdesc = index["manifests"][0]
    assert mdesc["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    ann = mdesc["annotations"]
    assert ann["org.opencontainers.image.ref.name"] == "latest", ann
    assert ann["io.containerd.image.name"] == \
        "docker.io/library/busybox:latest", ann
    manifest = json.loads(blob(mdesc))
    assert manifest["mediaType"] == mdesc["mediaType"]
    assert manifest["config"]["mediaType"] == \
        "application/vnd.oci.image.config.v1+json"
    (ldesc,) = manifest["layers"]
    assert ldesc["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip"
    gz = blob(ldesc)
    # gzip header: magic, method, flags (no FNAME), mtime 0.
    assert gz[:3] == b"\x1f\x8b\x08" and gz[3] & 0x08 == 0, gz[:10]
    assert gz[4:8] == b"\0\0\0\0", gz[:10]
    import gzip
    layer = gzip.decompress(gz)
    _check_config(blob(manifest["config"]), _sha(layer))
    _check_layer(layer)


def _docker_load(path):
    """docker load, only when a docker daemon already runs."""
    if shutil.which("docker") is None:
        return
    try:
        r = subprocess.run(["docker", "info"], capture_output=True,
                           timeout=5)
    except subprocess.TimeoutExpired:
        return
    if r.returncode != 0:
        return
    out = subprocess.run(["docker", "load", "-i", path], check=True,
                         capture_output=True, text=True, timeout=60).stdout
    assert "busybox:latest" in out, out
