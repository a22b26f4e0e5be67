#!/bin/sh
# The README's "run" command: start berthd on temporary roots, load the
# bundled busybox image (tools/mkimage.py, from Debian's busybox-static)
# with the berth client, and run a container from it through berthd:
# `berth run --rm busybox ...`; then stop everything.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/berth-run.XXXXXX)
pid=
cleanup() {
	set +x
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
"$build/berthd" --socket "$dir/berth.sock" --root "$dir/root" \
    --run-root "$dir/run" --log-level warn --cgroup-parent "berth-run-$$" &
pid=$!
export BERTH_HOST="unix://$dir/berth.sock"
# Wait for the socket, bounded: 5 s.
i=0
until "$build/berth" call io.berth.Service.Ping >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 500 ] || { echo "berthd did not come up" >&2; exit 1; }
	sleep 0.01
done
/usr/bin/python3 "$top/tools/mkimage.py" --format docker \
    -o "$dir/busybox.tar" --tag busybox:latest
set -x
"$build/berth" version
"$build/berth" load -i "$dir/busybox.tar"
"$build/berth" images
"$build/berth" run --rm busybox sh -c 'echo hello from busybox; id; ls /bin | wc -l; ip -4 -o addr show eth0'
"$build/berth" ps -a
