#!/usr/bin/python3
"""Write the committed seed corpus tests/fuzz/seeds/fuzz-unpack/: a few
small layer archives for the layer-extraction fuzz target.

Run from anywhere: python3 tests/fuzz/make-unpack-seeds.py.  Standard
library only; the output is byte-identical from run to run (fixed mtimes,
owners and gzip header), so re-running it changes nothing unless this file
changed.

    plain.tar         directories, files, a hard link, a fifo
    symlink.tar       absolute and "../" symlinks, a file written through a
                      symlinked directory
    whiteout.tar      a whiteout (.wh.name) and an opaque marker
                      (.wh..wh..opq)
    xattr.tar         pax xattrs, among them a trusted.overlay one the
                      unpacker must drop
    dotdot.tar        a name with a ".." component (refused)
    gzip.tar.gz       plain.tar, gzip'd (mtime 0, no file name)
"""
import gzip
import io
import os
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "seeds", "fuzz-unpack")
MTIME = 1700000000


def entry(name, kind=tarfile.REGTYPE, data=b"", mode=None, link="",
          uid=0, gid=0, pax=None):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mtime = MTIME
    ti.uid, ti.gid = uid, gid
    ti.uname = ti.gname = ""
    ti.linkname = link
    ti.mode = mode if mode is not None else \
        (0o755 if kind in (tarfile.DIRTYPE, tarfile.SYMTYPE) else 0o644)
    if pax:
        ti.pax_headers = pax
    if kind == tarfile.REGTYPE:
        ti.size = len(data)
        return ti, io.BytesIO(data)
    return ti, None


def tar(entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for ti, f in entries:
            t.addfile(ti, f)
    # tarfile pads to a 10 KiB record; a small seed fuzzes faster: keep
    # the 512-byte blocks up to the two zero blocks that end the archive.
    data = buf.getvalue().rstrip(b"\0")
    return data + b"\0" * (-len(data) % 512 + 1024)


def seeds():
    plain = tar([
        entry("etc/", tarfile.DIRTYPE),
        entry("etc/passwd", data=b"root:x:0:0:root:/root:/bin/sh\n"),
        entry("bin/", tarfile.DIRTYPE),
        entry("bin/busybox", data=b"\x7fELF", mode=0o755),
        entry("bin/ls", tarfile.LNKTYPE, link="bin/busybox"),
        entry("home/tester/", tarfile.DIRTYPE, mode=0o700, uid=1000,
              gid=1000),
        entry("tmp/fifo", tarfile.FIFOTYPE),
    ], fmt=tarfile.GNU_FORMAT)
    yield "plain.tar", plain
    yield "symlink.tar", tar([
        entry("bin/", tarfile.DIRTYPE),
        entry("etc/", tarfile.DIRTYPE),
        entry("bin/sh", tarfile.SYMTYPE, link="busybox"),
        entry("abs", tarfile.SYMTYPE, link="/etc"),
        entry("up", tarfile.SYMTYPE, link="../../.."),
        entry("up/escaped", data=b"x"),
        entry("abs/shadow", data=b"y"),
        entry("hl", tarfile.LNKTYPE, link="abs/shadow"),
    ])
    yield "whiteout.tar", tar([
        entry("etc/", tarfile.DIRTYPE),
        entry("etc/.wh.passwd"),
        entry("var/", tarfile.DIRTYPE),
        entry("var/.wh..wh..opq"),
        entry(".wh.tmp"),
    ])
    yield "xattr.tar", tar([
        entry("f", data=b"z", pax={
            "SCHILY.xattr.user.berth": "yes",
            "SCHILY.xattr.trusted.overlay.opaque": "y",
        }),
        entry("d/", tarfile.DIRTYPE, pax={
            "SCHILY.xattr.user.dir": "1",
        }),
    ])
    yield "dotdot.tar", tar([entry("a/../../b", data=b"no")])
    gz = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz, mtime=0) as g:
        g.write(plain)
    yield "gzip.tar.gz", gz.getvalue()


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
