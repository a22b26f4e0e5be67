"""Network namespaces of the test's own, so that no bridge, rule or packet
of berthd's reaches the host's network.

    ns = Netns()                 # /run/netns/berth-t<pid>-<n>, lo up
    ns.run(["ip", "addr"])       # a command inside it (nsenter --net)
    out = ns.outside_host()      # another namespace joined by a veth
    ns.delete()                  # always, in a finally or cleanup

nsenter --net is used, not `ip netns exec`, which remounts /sys and so
hides the cgroup hierarchies from what runs inside.
"""
import itertools
import os
import subprocess

_seq = itertools.count()


def _ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), check=check,
                          capture_output=True, text=True, timeout=10)


class Netns:
    def __init__(self, prefix="berth-t"):
        self.name = f"{prefix}{os.getpid()}-{next(_seq)}"
        self.path = f"/run/netns/{self.name}"
        self.peers = []
        _ip("netns", "add", self.name)
        try:
            _ip("-n", self.name, "link", "set", "lo", "up")
        except BaseException:
            self.delete()
            raise

    def prefix(self):
        """The command prefix that runs a command inside."""
        return ["nsenter", f"--net={self.path}"]

    def run(self, cmd, check=True, timeout=10, **kwargs):
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        return subprocess.run(self.prefix() + list(cmd), check=check,
                              timeout=timeout, **kwargs)

    def popen(self, cmd, **kwargs):
        return subprocess.Popen(self.prefix() + list(cmd), **kwargs)

    def links(self):
        """The interface names inside."""
        out = _ip("-n", self.name, "-o", "link", "show").stdout
        return sorted(line.split(":")[1].strip().split("@")[0]
                      for line in out.splitlines())

    def outside_host(self, address="10.254.0.2", inside="10.254.0.1",
                     prefixlen=24):
        """Another namespace joined to this one by a veth: this side gets
        `inside` (and a default route to nothing else), the other
        `address` with its default route back through `inside`.  Returns
        the other Netns, deleted with this one."""
        other = Netns(prefix="berth-o")
        self.peers.append(other)
        a, b = f"vo{next(_seq)}a", f"vo{next(_seq)}b"
        _ip("-n", self.name, "link", "add", a, "type", "veth", "peer",
            "name", b, "netns", other.name)
        _ip("-n", self.name, "addr", "add", f"{inside}/{prefixlen}",
            "dev", a)
        _ip("-n", self.name, "link", "set", a, "up")
        _ip("-n", other.name, "addr", "add", f"{address}/{prefixlen}",
            "dev", b)
        _ip("-n", other.name, "link", "set", b, "up")
        _ip("-n", other.name, "route", "add", "default", "via", inside)
        other.address = address
        self.outside_link = a
        return other

    def delete(self):
        for p in self.peers:
            p.delete()
        self.peers = []
        _ip("netns", "del", self.name, check=False)
