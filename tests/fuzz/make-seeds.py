#!/usr/bin/python3
"""Write the committed seed corpora under tests/fuzz/seeds/<target>/.

Run from anywhere: python3 tests/fuzz/make-seeds.py.  Only the standard
library: a minimal msgpack encoder covers what the seeds need.  The output
files are committed; re-run this after changing it or the .varlink files.

fuzz-frame input: one byte that chooses the chunking (0 = all at once),
then the stream of frames (4-byte big-endian length + one msgpack map).
"""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SEEDS = os.path.join(HERE, "seeds")


class Ext:
    def __init__(self, code, data):
        self.code, self.data = code, data


def pack(v):
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v <= 0x7F:
            return struct.pack("B", v)
        if -32 <= v < 0:
            return struct.pack("b", v)
        if 0 <= v <= 0xFFFF:
            return b"\xcd" + struct.pack(">H", v)
        if 0 <= v <= 0xFFFFFFFF:
            return b"\xce" + struct.pack(">I", v)
        if v > 0:
            return b"\xcf" + struct.pack(">Q", v)
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 32:
            return struct.pack("B", 0xA0 | len(b)) + b
        if len(b) < 256:
            return b"\xd9" + struct.pack("B", len(b)) + b
        return b"\xda" + struct.pack(">H", len(b)) + b
    if isinstance(v, bytes):
        return b"\xc4" + struct.pack("B", len(v)) + v
    if isinstance(v, Ext):
        return b"\xc7" + struct.pack("Bb", len(v.data), v.code) + v.data
    if isinstance(v, list):
        head = (struct.pack("B", 0x90 | len(v)) if len(v) < 16
                else b"\xdc" + struct.pack(">H", len(v)))
        return head + b"".join(pack(x) for x in v)
    if isinstance(v, dict):
        head = (struct.pack("B", 0x80 | len(v)) if len(v) < 16
                else b"\xde" + struct.pack(">H", len(v)))
        return head + b"".join(pack(k) + pack(x) for k, x in v.items())
    raise TypeError(type(v))


def frame(v):
    body = v if isinstance(v, bytes) else pack(v)
    return struct.pack(">I", len(body)) + body


def call(method, params=None, **flags):
    m = {"method": "io.berth.Service." + method}
    m.update(flags)
    m["parameters"] = {} if params is None else params
    return frame(m)


FRAME_SEEDS = {
    "ping": b"\x00" + call("Ping"),
    "ping-payload": b"\x00" + call("Ping", {"payload": "hello"}),
    "getinfo": b"\x05" + call("GetInfo"),
    "describe": b"\x00" + call("GetInterfaceDescription",
                               {"interface": "io.berth.Service"}),
    "pipelined": b"\x13" + call("Ping", {"payload": "1"})
    + call("GetStatus", more=True) + call("Ping", oneway=True)
    + call("GetInterfaceDescription", {"interface": "io.berth.Nope"}),
    "bad-params": b"\x00" + call("Ping", {"payload": 7, "extra": [1, None]}),
    "bad-method": b"\x02" + call("NoSuchMethod") + frame(
        {"method": "io.berth.Nope.Ping", "parameters": None}),
    "bad-call": b"\x01" + frame({"method": 1, "upgrade": "yes"}) + frame(
        {"method": "a", "more": True, "oneway": True}),
    "reply": b"\x00" + frame({"continues": True,
                              "parameters": {"payload": "x"}})
    + frame({"parameters": {"vendor": "berth", "interfaces": ["a", "b"]}}),
    "error-reply": b"\x00" + frame({
        "error": "io.berth.Service.InvalidParameter",
        "message": "parameter 'payload': expected string, got int",
        "errno": 22,
        "parameters": {"parameter": "payload", "n": -3, "big": 1 << 40}}),
    "types": b"\x07" + frame({"method": "io.berth.Service.Ping",
                              "parameters": {"payload": "p", "f": 1.25,
                                             "b": b"\x00\x01",
                                             "e": Ext(5, b"abc"),
                                             "n": -1 << 40,
                                             "deep": [[[{"a": [[]]}]]]}}),
    "too-large": b"\x00" + struct.pack(">I", 1 << 20) + b"\x80",
    "not-a-map": b"\x00" + frame(b"\x93\x01\x02\x03") + frame(b"\xc1"),
}


def write(target, name, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


IDL_ALL_TYPES = """\
# Every form of type the language has.
interface org.example.Types

type Mode (ro, rw)
type Mount (source: string, target: string, mode: ?Mode)
type Nested (mounts: []Mount, labels: [string]string, any: object)

method Create(name: ?string, nested: Nested, count: int, ratio: float,
	flag: bool, tags: ?[]?string) -> (id: string)
method List(all: ?bool) -> (items: [string]Nested)
error NotFound (name: string)
"""


def main():
    if os.path.isdir(SEEDS):
        shutil.rmtree(SEEDS)
    for name, data in FRAME_SEEDS.items():
        write("fuzz-frame", name, data)
    with open(os.path.join(TOP, "protocol", "io.berth.Service.varlink"),
              "rb") as f:
        write("fuzz-idl", "io.berth.Service", f.read())
    write("fuzz-idl", "all-types", IDL_ALL_TYPES.encode())
    write("fuzz-idl", "minimal", b"interface a.b\nmethod M() -> ()\n")
    # Regressions: a loop of names (the validator recursed for ever) and
    # types nested past the parser's limit (the parser recursed unbounded).
    write("fuzz-idl", "name-loop", b"interface a.b\ntype A ?B\ntype B A\n"
          b"method M(a: A, b: ?B) -> ()\n")
    write("fuzz-idl", "deep", b"interface a.b\nmethod M(a: " + b"[]" * 100
          + b"int) -> ()\n")


if __name__ == "__main__":
    main()
