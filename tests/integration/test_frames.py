"""Bounded input (DESIGN.md invariant 4): malformed frames, frames too
large, garbage and frames that never finish get an error reply and/or a
closed connection, never a crash, a big allocation or a hang of others."""
import random
import socket
import time

from harness import Daemon, HEADER, MAX_FRAME_DEFAULT, call_frame, frame, \
    raw_frame, wait_for

SERVICE = "io.berth.Service"
INVALID_FRAME = "io.berth.Service.InvalidFrame"
TOO_LARGE = "io.berth.Service.FrameTooLarge"


def test_malformed_msgpack_gets_invalid_frame_then_close(ctx):
    cases = {
        "never-used byte 0xc1": raw_frame(b"\xc1\xc1\xc1"),
        "empty frame": raw_frame(b""),
        "map missing its entries": raw_frame(b"\x85\xa6method"),
        "truncated string": raw_frame(b"\x81\xa6method\xd9\x40abc"),
        "two values in one frame":
            raw_frame(b"\x80" + frame({"method": "x"})[4:]),
        "array claiming 2^32-1 items": raw_frame(b"\xdd\xff\xff\xff\xff"),
        "map claiming 2^32-1 pairs": raw_frame(b"\xdf\xff\xff\xff\xff\x00"),
        "nesting 1000 deep": raw_frame(b"\x81\xa1a" + b"\x91" * 1000 +
                                       b"\xc0"),
    }
    with Daemon(ctx) as d:
        rss0, peak0 = d.rss_kib(), d.peak_kib()
        for what, data in cases.items():
            with d.raw() as r:
                r.send(data)
                try:
                    r.expect_error(INVALID_FRAME)
                    rest = r.expect_closed()
                    assert rest == b"", f"more bytes after the error: {rest!r}"
                except AssertionError as e:
                    raise AssertionError(f"{what}: {e}") from None
            d.ping(f"after {what}")
        # The count bombs allocated nothing near their claims (4 Gi items),
        # not even address space.
        assert d.rss_kib() - rss0 < 16 << 10, (rss0, d.rss_kib())
        assert d.peak_kib() - peak0 < 256 << 10, (peak0, d.peak_kib())


def test_oversized_frame_header_is_refused_without_allocating(ctx):
    announced = 0xF9999999                              # about 3.9 GiB
    with Daemon(ctx) as d, d.client() as other:
        other.call(f"{SERVICE}.Ping")
        rss0, peak0 = d.rss_kib(), d.peak_kib()
        with d.raw() as r:
            r.send(HEADER.pack(announced) + b"\x81\xa6method" + b"x" * 4096)
            r.expect_error(TOO_LARGE, size=announced, limit=MAX_FRAME_DEFAULT)
            r.expect_closed()
        # One byte over the limit is too large too; the limit itself is not
        # (a frame of exactly max_frame bytes is allowed by the header check).
        with d.raw() as r:
            r.send(HEADER.pack(MAX_FRAME_DEFAULT + 1))
            r.expect_error(TOO_LARGE, size=MAX_FRAME_DEFAULT + 1,
                           limit=MAX_FRAME_DEFAULT)
            r.expect_closed()
        grown = d.rss_kib() - rss0
        assert grown < 16 << 10, f"RSS grew by {grown} KiB"
        # Not even untouched address space was taken for the announced size.
        grown = d.peak_kib() - peak0
        assert grown < 256 << 10, f"VmPeak grew by {grown} KiB"
        assert other.call(f"{SERVICE}.Ping", payload="on") == {"payload": "on"}


def test_max_frame_option_sets_the_limit(ctx):
    limit = 1024
    with Daemon(ctx, "--max-frame", str(limit)) as d:
        assert d.status()["max_frame"] == limit
        with d.raw() as r:
            r.ping("x" * 900)                         # frame under 1024
            data = call_frame(f"{SERVICE}.Ping", {"payload": "x" * 2000})
            r.send(data)
            r.expect_error(TOO_LARGE, size=len(data) - 4, limit=limit)
            r.expect_closed()
        d.ping("still served")


def test_garbage_does_not_disturb_other_clients(ctx):
    seed = int(time.time())
    rnd = random.Random(seed)

    def garbage():
        kind = rnd.randrange(4)
        if kind == 0:                       # anything at all
            return rnd.randbytes(rnd.randrange(1, 2048))
        if kind == 1:                       # a sane header, random body
            return raw_frame(rnd.randbytes(rnd.randrange(0, 512)))
        if kind == 2:                       # msgpack, but not a call
            junk = {rnd.choice(["method", "parameters", "more", "x"]):
                    rnd.choice([1, "s", None, [1, 2], {"a": 1}, True,
                                f"{SERVICE}.Ping", -5, 1.5, b"\x00"])
                    for _ in range(rnd.randrange(4))}
            return frame(junk) * rnd.randrange(1, 4)
        # a real call, then garbage
        return call_frame(f"{SERVICE}.Ping", {"payload": "g"}) + \
            rnd.randbytes(rnd.randrange(1, 64))

    with Daemon(ctx) as d, d.client(timeout=5) as good:
        held = []                           # some garbage connections stay
        deadline = time.monotonic() + 3
        rounds = pings = 0
        try:
            while time.monotonic() < deadline:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(d.path)
                s.setblocking(False)
                try:
                    for _ in range(rnd.randrange(1, 4)):
                        s.send(garbage())
                except (BlockingIOError, BrokenPipeError,
                        ConnectionResetError):
                    pass
                if rnd.random() < 0.1 and len(held) < 50:
                    held.append(s)
                else:
                    s.close()
                rounds += 1
                if rounds % 10 == 0:
                    # Each step of this call must complete within 5 s.
                    reply = good.call(f"{SERVICE}.Ping", payload=str(rounds))
                    assert reply == {"payload": str(rounds)}, \
                        f"seed {seed}: {reply!r}"
                    pings += 1
        finally:
            for s in held:
                s.close()
        assert pings >= 10, f"only {pings} pings in 3 s (seed {seed})"
        assert d.alive(), f"seed {seed}\n{d.log_tail()}"
        wait_for(lambda: d.status()["connections"] <= 2, 10,
                 "garbage connections to be gone")


def test_stalled_partial_frame_is_dropped_after_frame_timeout(ctx):
    with Daemon(ctx, "--frame-timeout", "1") as d:
        idle = d.raw()                      # sent nothing: not a frame
        half_header = d.raw()
        half_header.send(b"\x00\x00")
        half_payload = d.raw()
        body = call_frame(f"{SERVICE}.Ping", {"payload": "p" * 200})
        half_payload.send(body[:len(body) // 2])
        try:
            start = time.monotonic()
            with d.client(timeout=5) as c:
                assert c.call(f"{SERVICE}.Ping", payload="a") == \
                    {"payload": "a"}
            half_header.expect_closed(timeout=6)
            half_payload.expect_closed(timeout=6)
            took = time.monotonic() - start
            # Closed because of the timeout, not at once.
            assert took >= 0.5, f"closed after only {took:.2f}s"
            # A connection with no frame begun is not a stalled frame.
            idle.ping("idle but fine")
            d.ping("others unaffected")
        finally:
            for r in (idle, half_header, half_payload):
                r.close()
