#!/bin/sh
# The README's "run" command: start berthd on temporary roots, load the
# bundled busybox image (tools/mkimage.py, from Debian's busybox-static)
# with the berth client, show it, and run a container from its unpacked
# layer with berth-runtime; then stop everything.  (berthd runs
# containers itself with the lifecycle issue: this becomes `berth run
# --rm busybox echo hello`.)
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$(mktemp -d /tmp/berth-run.XXXXXX)
pid=
cleanup() {
	set +x
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	"$build/berth-runtime" --root "$dir/state" delete --force main-job \
	    >/dev/null 2>&1 || true
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
/usr/bin/python3 "$top/tools/mkimage.py" --format docker \
    -o "$dir/busybox.tar" --tag busybox:latest
set -x
"$build/berth" version
"$build/berth" load -i "$dir/busybox.tar"
"$build/berth" images
"$build/berth" image inspect --format '{{json .Config.Cmd}} {{.Os}}/{{.Architecture}}' busybox
# The image's one layer, as berthd unpacked it, is the container's root.
layer=$("$build/berth" image inspect --format '{{index .RootFS.Layers 0}}' \
    busybox)
mkdir "$dir/bundle"
"$build/berth-runtime" spec --bundle "$dir/bundle"
/usr/bin/python3 - "$dir/bundle/config.json" "$dir/root/layers/${layer#sha256:}" <<'EOF'
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
c = json.load(open(path))
c["root"] = {"path": rootfs, "readonly": True}
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c",
                        "echo hello from busybox; id; ls /bin | wc -l"]
json.dump(c, open(path, "w"))
EOF
"$build/berth-runtime" --root "$dir/state" run --bundle "$dir/bundle" main-job
