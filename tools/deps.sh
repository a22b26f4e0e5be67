#!/bin/sh
# Install, with apt-get, every Debian package that berth's build and tests
# need and that is missing; do nothing when all are there.
set -eu

# build
PKGS="gcc make pkg-config libc6-dev libevent-dev libmsgpack-dev libjansson-dev"
PKGS="$PKGS libseccomp-dev libcap-dev"
# the store: digests (OpenSSL), metadata (SQLite), layers (libarchive)
PKGS="$PKGS libssl-dev libsqlite3-dev libarchive-dev"
# container logs: rotated segments compressed with zstd
PKGS="$PKGS libzstd-dev"
# networks: netlink (libmnl), NAT and published ports (libnftables)
PKGS="$PKGS libmnl-dev libnftables-dev"
# the REPL (berth shell): line editing, history, completion
PKGS="$PKGS libedit-dev"
# tests: the test runner and Python client, setpriv (util-linux),
# systemd-socket-activate (systemd), groupadd (passwd), ps (procps),
# ip (iproute2: the network namespaces tests run berthd in), nft
# (nftables: the tests read berth's table back and make one of their own)
PKGS="$PKGS python3 python3-msgpack util-linux systemd passwd procps iproute2"
PKGS="$PKGS nftables"
# runtime tests: a rootfs from Debian's static busybox; runc to compare with
PKGS="$PKGS busybox-static runc"
# image tests: skopeo reads and writes what berth saves and loads
PKGS="$PKGS skopeo"
# fuzzing: clang with its libFuzzer runtime
PKGS="$PKGS clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: these packages are missing and installing them needs root:" >&2
	echo "deps:   sudo apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
