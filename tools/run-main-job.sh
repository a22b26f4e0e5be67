#!/bin/sh
# The README's "run" command: start berthd on temporary roots, talk to it
# with the berth client, stop it.  (Containers come with the runtime and
# lifecycle issues; until then the main job is the daemon round trip.)
set -eu
build=${1:-build}
dir=$(mktemp -d /tmp/berth-run.XXXXXX)
pid=
cleanup() {
	set +x
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
"$build/berthd" --socket "$dir/berth.sock" --root "$dir/root" \
    --run-root "$dir/run" --log-level warn &
pid=$!
export BERTH_HOST="unix://$dir/berth.sock"
# Wait for the socket, bounded: 5 s.
i=0
until "$build/berth" call io.berth.Service.Ping >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 500 ] || { echo "berthd did not come up" >&2; exit 1; }
	sleep 0.01
done
set -x
"$build/berth" version
"$build/berth" info
"$build/berth" call io.berth.Service.Ping '{"payload": "hello from berth"}'
