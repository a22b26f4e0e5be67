"""Archives as other tools write them: Docker's symlinked layer.tar
members, compressed layers in a docker-archive, multi-platform OCI
indexes; and what berth saves read by skopeo (and Docker when docker.io is
installed), and the reverse."""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import unittest

from harness import Daemon
from image_harness import (IMAGE, arch, busybox, call, expect_stream_error,
                           image_ids, load, save, sha256, tar_bytes)

SKOPEO_TIMEOUT = 120


def _rewrite(archive, fn):
    """A copy of a tar archive whose (name, kind, data/target) entries go
    through fn, which returns a list of entries."""
    entries = []
    with tarfile.open(fileobj=io.BytesIO(archive)) as t:
        for m in t.getmembers():
            if m.isdir():
                entries.append((m.name, "dir", None))
            elif m.isfile():
                entries.append((m.name, "file", t.extractfile(m).read()))
    return tar_bytes(fn(entries))


def _busybox_id(d):
    return load(d, busybox("docker"))["images"][0]["id"]


def test_load_follows_symlinked_layer_members(ctx):
    """docker save links a layer.tar that two images share; the manifest
    names the link."""
    def relink(entries):
        out = []
        for name, kind, data in entries:
            if name.endswith("/layer.tar"):
                out.append(("real", "dir", None))
                out.append(("real/layer.tar", "file", data))
                out.append((name, "symlink", "../real/layer.tar"))
            else:
                out.append((name, kind, data))
        return out

    archive = _rewrite(busybox("docker"), relink)
    with Daemon(ctx) as d:
        r = load(d, archive)
        assert r["images"][0]["references"] == ["busybox:latest"], r
        with Daemon(ctx) as d2:
            assert r["images"][0]["id"] == _busybox_id(d2)


def test_load_refuses_symlinked_layer_leaving_the_archive(ctx):
    def escape(entries):
        out = []
        for name, kind, data in entries:
            if name.endswith("/layer.tar"):
                out.append((name, "symlink", "../../etc/passwd"))
            else:
                out.append((name, kind, data))
        return out

    with Daemon(ctx) as d:
        e = expect_stream_error(load, d, _rewrite(busybox("docker"), escape))
        assert e.name == f"{IMAGE}.InvalidArchive", e
        assert "leaves the archive" in e.message, e.message
        assert image_ids(d) == []


def test_load_takes_gzip_layers_in_a_docker_archive(ctx):
    """docker load takes a compressed layer.tar; the config's diff ID is
    still checked against the uncompressed content."""
    def compress(entries):
        return [(n, k, gzip.compress(b, mtime=0) if n.endswith("layer.tar")
                 else b) for n, k, b in entries]

    def corrupt(entries):
        out = []
        for n, k, b in entries:
            if n.endswith("layer.tar"):
                raw = bytearray(b)
                raw[len(raw) // 2] ^= 1
                b = gzip.compress(bytes(raw), mtime=0)
            out.append((n, k, b))
        return out

    with Daemon(ctx) as d:
        r = load(d, _rewrite(busybox("docker"), compress))
        with Daemon(ctx) as d2:
            assert r["images"][0]["id"] == _busybox_id(d2)
        e = expect_stream_error(load, d, _rewrite(busybox("docker", "bad:1"),
                                                  corrupt))
        assert e.name in (f"{IMAGE}.DiffIDMismatch",
                          "io.berth.Image.InvalidLayer"), e
        tags = [t for i in call(d, "List")["images"] for t in i["repo_tags"]]
        assert "bad:1" not in tags, tags


def _nested_index(oci, platforms):
    """The OCI layout oci with its manifest moved into a nested index
    listing it under the host's platform and others as decoys."""
    files = {}
    with tarfile.open(fileobj=io.BytesIO(oci)) as t:
        for m in t.getmembers():
            if m.isfile():
                files[m.name] = t.extractfile(m).read()
    index = json.loads(files["index.json"])
    desc = index["manifests"][0]
    entries = []
    for os_, a in platforms:
        e = {k: v for k, v in desc.items() if k != "annotations"}
        e["platform"] = {"os": os_, "architecture": a}
        if (os_, a) != ("linux", arch()):
            # A decoy that is not in the archive: never read.
            e["digest"] = "sha256:" + "0" * 64
        entries.append(e)
    nested = json.dumps({"schemaVersion": 2,
                         "mediaType": "application/vnd.oci.image.index.v1+json",
                         "manifests": entries}).encode()
    nested_hex = hashlib.sha256(nested).hexdigest()
    files[f"blobs/sha256/{nested_hex}"] = nested
    index["manifests"] = [{
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": "sha256:" + nested_hex, "size": len(nested),
        "annotations": desc.get("annotations", {})}]
    files["index.json"] = json.dumps(index).encode()
    return tar_bytes([(n, "file", b) for n, b in sorted(files.items())])


def test_load_picks_the_hosts_manifest_from_a_multi_platform_index(ctx):
    oci = busybox("oci", "busybox:multi")
    with Daemon(ctx) as d:
        r = load(d, _nested_index(oci, [("linux", "s390x"),
                                        ("linux", arch()),
                                        ("windows", arch())]))
        assert r["images"][0]["references"] == ["busybox:multi"], r
        with Daemon(ctx) as d2:
            assert r["images"][0]["id"] == _busybox_id(d2)
        e = expect_stream_error(load, d, _nested_index(
            oci, [("linux", "s390x"), ("windows", arch())]))
        assert e.name == f"{IMAGE}.PlatformNotFound", e
        assert f"linux/{arch()}" in e.message, e.message


# --- skopeo ---------------------------------------------------------------

def _skopeo():
    path = shutil.which("skopeo")
    if path is None:
        raise unittest.SkipTest("no skopeo (apt-get install skopeo)")
    return path


def _run(argv):
    r = subprocess.run(argv, capture_output=True, timeout=SKOPEO_TIMEOUT)
    assert r.returncode == 0, (argv, r.stderr.decode(errors="replace"))
    return r.stdout


def test_skopeo_reads_what_berth_saves(ctx):
    skopeo = _skopeo()
    with Daemon(ctx) as d, tempfile.TemporaryDirectory(
            prefix="berth-skopeo-") as tmp:
        bid = _busybox_id(d)
        cases = [("docker", None, "docker-archive"),
                 ("oci", None, "oci-archive"),
                 ("oci", "gzip", "oci-archive"),
                 ("oci", "zstd", "oci-archive"),
                 ("docker", "gzip", "docker-archive")]
        for fmt, comp, transport in cases:
            path = os.path.join(tmp, f"{fmt}-{comp}.tar")
            with open(path, "wb") as f:
                f.write(save(d, ["busybox"], fmt, comp))
            config = _run([skopeo, "inspect", "--raw", "--config",
                           f"{transport}:{path}"])
            assert sha256(config) == bid, (fmt, comp)
            # And the layers: a copy verifies every blob's digest.
            _run([skopeo, "copy", f"{transport}:{path}",
                  f"oci:{tmp}/copy-{fmt}-{comp}:x"])


def test_berth_loads_what_skopeo_writes(ctx):
    skopeo = _skopeo()
    with Daemon(ctx) as d, tempfile.TemporaryDirectory(
            prefix="berth-skopeo-") as tmp:
        src = os.path.join(tmp, "src.tar")
        with open(src, "wb") as f:
            f.write(busybox("docker"))
        with Daemon(ctx) as d0:
            bid = _busybox_id(d0)
            want = call(d0, "Inspect", image=bid)["image"]
        for transport, tag in [("oci-archive", "busybox:sko"),
                               ("docker-archive", "busybox:skd")]:
            out = os.path.join(tmp, f"{transport}.tar")
            _run([skopeo, "copy", f"docker-archive:{src}",
                  f"{transport}:{out}:{tag}"])
            with open(out, "rb") as f:
                r = load(d, f.read())
            assert r["images"][0]["references"] == [tag], (transport, r)
            got = call(d, "Inspect", image=tag)["image"]
            # skopeo rewrites a Docker config as an OCI one for an OCI
            # archive (a new id); the layers and the config's content stay.
            if transport == "docker-archive":
                assert got["Id"] == bid, (transport, got["Id"])
            assert got["RootFS"] == want["RootFS"], transport
            assert got["Config"]["Cmd"] == want["Config"]["Cmd"], transport
            assert got["Config"]["Env"] == want["Config"]["Env"], transport


# --- Docker ---------------------------------------------------------------

def test_docker_loads_what_berth_saves_and_the_reverse(ctx):
    from test_docker import DockerEngine
    with DockerEngine(ctx) as engine, Daemon(ctx) as d, \
            tempfile.TemporaryDirectory(prefix="berth-docker-img-") as tmp:
        bid = _busybox_id(d)
        call(d, "Tag", source="busybox", target="berth/saved:1")
        for fmt in ("docker", "oci"):
            path = os.path.join(tmp, f"{fmt}.tar")
            with open(path, "wb") as f:
                f.write(save(d, ["berth/saved:1"], fmt))
            r = engine.docker("load", "-i", path)
            assert r.returncode == 0, (fmt, r.stderr)
            r = engine.docker("image", "inspect", "-f", "{{.Id}}",
                              "berth/saved:1")
            assert r.stdout.strip() == bid, (fmt, r.stdout, r.stderr)
            engine.docker("rmi", "berth/saved:1")
        # Docker's own save of an image it imported, into berth.
        r = engine.docker("save", "-o", os.path.join(tmp, "from-docker.tar"),
                          "busybox:latest")
        assert r.returncode == 0, r.stderr
        did = engine.docker("image", "inspect", "-f", "{{.Id}}",
                            "busybox:latest").stdout.strip()
        with open(os.path.join(tmp, "from-docker.tar"), "rb") as f:
            r = load(d, f.read())
        assert r["images"][0]["id"] == did, (r, did)
