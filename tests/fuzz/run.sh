#!/bin/sh
# Build the libFuzzer targets tests/fuzz/fuzz-*.c with clang against the
# protocol sources, plus the extra sources and libraries a target names in
# target_extra below (ASan + UBSan, all in build-fuzz/), seed a scratch corpus
# from tests/fuzz/seeds/<target>/, run each target SECONDS seconds, and exit
# non-zero when any of them finds a crash, leak, OOM or timeout.
#
#	tests/fuzz/run.sh [SECONDS]		default 20
#
# Environment: CLANG (default clang), FUZZ_JOBS unused (one process per
# target, one after the other).  Findings are kept in build-fuzz/<target>/
# as crash-*, leak-*, oom-* or timeout-* files; each fuzzer's log is
# build-fuzz/<target>.log.
set -eu

SECONDS_PER_TARGET=${1:-20}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$TOP/build-fuzz
CLANG=${CLANG:-clang}
PKGS="libevent msgpack"

cd "$TOP"
command -v "$CLANG" >/dev/null || { echo "fuzz: $CLANG not found" >&2; exit 2; }
mkdir -p "$OUT/gen" "$OUT/protocol"

CFLAGS="-g -O1 -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -fno-omit-frame-pointer
    -fsanitize=address,undefined -fno-sanitize-recover=all
    -Iprotocol -I$OUT/gen $(pkg-config --cflags $PKGS)"
LIBS=$(pkg-config --libs $PKGS)

# The protocol library, instrumented for coverage but without libFuzzer's
# main; rebuilt every run (a handful of files).
tools/embed-interfaces.sh protocol/*.varlink > "$OUT/gen/interfaces.c.tmp"
mv "$OUT/gen/interfaces.c.tmp" "$OUT/gen/interfaces.c"
objs=
for src in protocol/*.c "$OUT/gen/interfaces.c"; do
	obj=$OUT/${src#"$OUT"/}
	obj=${obj%.c}.o
	# shellcheck disable=SC2086
	$CLANG $CFLAGS -fsanitize=fuzzer-no-link -c -o "$obj" "$src"
	objs="$objs $obj"
done

# What a target needs beyond the protocol library: sources (built like it)
# in extra_src, pkg-config packages in extra_pkgs.
target_extra() {
	case $1 in
	fuzz-unpack)	extra_src="store/unpack.c store/tree.c"; extra_pkgs=libarchive ;;
	*)		extra_src=; extra_pkgs= ;;
	esac
}

status=0
for src in tests/fuzz/fuzz-*.c; do
	target=$(basename "$src" .c)
	bin=$OUT/$target
	target_extra "$target"
	extra_objs=
	extra_cflags=
	extra_libs=
	if [ -n "$extra_pkgs" ]; then
		# shellcheck disable=SC2086
		extra_cflags=$(pkg-config --cflags $extra_pkgs)
		# shellcheck disable=SC2086
		extra_libs=$(pkg-config --libs $extra_pkgs)
	fi
	for esrc in $extra_src; do
		eobj=$OUT/${esrc%.c}.o
		mkdir -p "$(dirname "$eobj")"
		extra_cflags="$extra_cflags -I$(dirname "$esrc")"
		# shellcheck disable=SC2086
		$CLANG $CFLAGS $extra_cflags -fsanitize=fuzzer-no-link -c \
		    -o "$eobj" "$esrc"
		extra_objs="$extra_objs $eobj"
	done
	# shellcheck disable=SC2086
	$CLANG $CFLAGS $extra_cflags -fsanitize=fuzzer -o "$bin" "$src" \
	    $objs $extra_objs $LIBS $extra_libs

	corpus=$OUT/corpus/$target
	findings=$OUT/$target.findings
	log=$OUT/$target.log
	mkdir -p "$corpus" "$findings"
	rm -f "$findings"/*
	if [ -d "tests/fuzz/seeds/$target" ]; then
		cp -f tests/fuzz/seeds/"$target"/* "$corpus"/
	fi

	# fuzz-frame reads 64 KiB frames: let an input hold a whole one.
	case $target in
	fuzz-frame)	maxlen=70000 ;;
	# a layer: room for a few tar entries (512-byte headers).
	fuzz-unpack)	maxlen=16384 ;;
	*)		maxlen=8192 ;;
	esac
	# The frame codec promises no allocation beyond a small multiple of
	# a frame: a 256 MiB malloc limit against 64 KiB frames checks it.
	rc=0
	"$bin" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=1024 \
	    -malloc_limit_mb=256 -timeout=10 -max_len="$maxlen" \
	    -artifact_prefix="$findings/" -print_final_stats=1 \
	    "$corpus" >"$log" 2>&1 || rc=$?

	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	units=$(find "$corpus" -type f | wc -l)
	found=$(find "$findings" -type f | wc -l)
	if [ "$rc" -eq 0 ] && [ "$found" -eq 0 ]; then
		echo "fuzz: $target ok: ${runs:-?} runs in" \
		    "${SECONDS_PER_TARGET}s, coverage ${cov:-?}, corpus $units"
	else
		echo "fuzz: $target FAILED (exit $rc): ${runs:-?} runs," \
		    "findings in $findings/, log $log"
		ls "$findings" | sed 's/^/fuzz:   /'
		tail -n 40 "$log" | sed 's/^/    /'
		status=1
	fi
done
exit $status
