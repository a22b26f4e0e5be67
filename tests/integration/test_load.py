"""Many clients at once, and a client that never reads: berthd serves them
all, keeps its memory bounded, and never lets one peer stall the others."""
import resource
import select
import socket
import time

from harness import Daemon, HEADER, call_frame, wait_for

SERVICE = "io.berth.Service"


class raised_nofile:
    """RLIMIT_NOFILE's soft limit raised to the hard one, for a while."""

    def __init__(self, need):
        self.need = need

    def __enter__(self):
        self.saved = resource.getrlimit(resource.RLIMIT_NOFILE)
        soft, hard = self.saved
        if hard != resource.RLIM_INFINITY and hard < self.need:
            import unittest
            raise unittest.SkipTest(f"RLIMIT_NOFILE hard limit {hard} < "
                                    f"{self.need}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return self

    def __exit__(self, *exc):
        resource.setrlimit(resource.RLIMIT_NOFILE, self.saved)


def parse_frames(buf):
    """Whole frames at the front of buf (bytearray), removed from it."""
    import msgpack
    out = []
    while len(buf) >= HEADER.size:
        (n,) = HEADER.unpack_from(buf)
        if len(buf) < HEADER.size + n:
            break
        out.append(msgpack.unpackb(bytes(buf[HEADER.size:HEADER.size + n]),
                                   raw=False))
        del buf[:HEADER.size + n]
    return out


def test_a_thousand_concurrent_clients(ctx):
    n = 1000
    with raised_nofile(n + 200), Daemon(ctx) as d, d.client() as status:
        base = status.call(f"{SERVICE}.GetStatus")["connections"]
        socks = []
        try:
            for i in range(n):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                socks.append(s)
                s.settimeout(10)
                s.connect(d.path)
            # All connected at once; now every one calls.
            for i, s in enumerate(socks):
                s.sendall(call_frame(f"{SERVICE}.Ping",
                                     {"payload": f"client {i}"}))
            pending = {s.fileno(): (i, s, bytearray())
                       for i, s in enumerate(socks)}
            poller = select.poll()
            for fd in pending:
                poller.register(fd, select.POLLIN)
            deadline = time.monotonic() + 30
            while pending:
                left = deadline - time.monotonic()
                assert left > 0, f"{len(pending)} clients got no answer"
                for fd, _ in poller.poll(left * 1000):
                    i, s, buf = pending[fd]
                    chunk = s.recv(65536)
                    assert chunk, f"client {i}: connection closed"
                    buf += chunk
                    replies = parse_frames(buf)
                    if replies:
                        assert replies == [{"parameters":
                                            {"payload": f"client {i}"}}], \
                            (i, replies)
                        poller.unregister(fd)
                        del pending[fd]
            st = status.call(f"{SERVICE}.GetStatus")
            assert st["connections"] == base + n, (base, st)
        finally:
            for s in socks:
                s.close()
        wait_for(lambda: status.call(f"{SERVICE}.GetStatus")["connections"]
                 == base, 10, f"connections back to {base}")


def test_slow_reader_is_throttled_and_others_still_served(ctx):
    """A client pipelines 4 KiB Pings and never reads.  berthd must stop
    reading from it (not everything can be sent), its memory must stay
    bounded, other clients must still be answered, and once the slow
    client reads, every reply arrives, whole and in order."""
    payload_len = 4096
    budget = 200 << 20                      # what we would send at most
    stall_limit = 2.0                       # total seconds send may block

    def call_bytes(i):
        p = f"{i:09d}".ljust(payload_len, "x")
        return call_frame(f"{SERVICE}.Ping", {"payload": p})

    size = len(call_bytes(0))               # every call is the same size
    growth_limit = (96 if ctx.sanitized else 32) << 10     # KiB

    with Daemon(ctx) as d, d.client(timeout=5) as other:
        other.call(f"{SERVICE}.Ping")
        rss0 = d.rss_kib()
        slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            slow.connect(d.path)
            slow.setblocking(False)
            sent = 0
            blocked = 0.0
            pending = b""
            i = 0
            while sent < budget and blocked < stall_limit:
                if not pending:
                    pending = b"".join(call_bytes(j) for j in range(i, i + 64))
                    i += 64
                try:
                    k = slow.send(pending)
                    sent += k
                    pending = pending[k:]
                except BlockingIOError:
                    t = time.monotonic()
                    select.select([], [slow], [], stall_limit - blocked)
                    blocked += time.monotonic() - t
            assert sent < budget, \
                f"berthd read all {sent} bytes from a client that never reads"
            grown = d.rss_kib() - rss0
            # Unbounded buffering would hold what was sent plus the replies.
            assert grown < growth_limit, \
                f"RSS grew by {grown} KiB while {sent >> 10} KiB were sent"
            t = time.monotonic()
            assert other.call(f"{SERVICE}.Ping", payload="prompt") == \
                {"payload": "prompt"}
            st = other.call(f"{SERVICE}.GetStatus")
            assert st["connections"] >= 2, st

            # Now read: finish the call cut in the middle, then every reply
            # must come back in order.
            calls = -(-sent // size)
            tail = calls * size - sent
            rest = pending[:tail]
            slow.setblocking(True)
            slow.settimeout(10)
            buf = bytearray()
            got = 0
            while got < calls:
                rlist, wlist, _ = select.select([slow], [slow] if rest else [],
                                                [], 10)
                assert rlist or wlist, f"stuck after {got}/{calls} replies"
                if wlist:
                    rest = rest[slow.send(rest):]
                if rlist:
                    chunk = slow.recv(1 << 20)
                    assert chunk, f"closed after {got}/{calls} replies"
                    buf += chunk
                    for reply in parse_frames(buf):
                        want = f"{got:09d}".ljust(payload_len, "x")
                        p = reply.get("parameters", {}).get("payload")
                        assert p == want, \
                            f"reply {got}: {str(reply)[:200]}"
                        got += 1
            assert got == calls
        finally:
            slow.close()
