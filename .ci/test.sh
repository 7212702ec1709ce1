#!/usr/bin/env bash
# test.sh BUILD_DIR "MESON_SETUP_OPTIONS" [meson test args...]
# Configure BUILD_DIR if needed, build it, run `meson test` over every suite
# and print the per-case summary; the last line is "N passed, M failed".
# Exit status 0 only when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."
build=$1
setup_opts=$2
shift 2

if [ ! -f "$build/build.ninja" ]; then
    rm -rf "$build"
    # shellcheck disable=SC2086 # the options are a word list
    if ! meson setup "$build" $setup_opts; then
        echo "meson setup failed"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi
if ! meson compile -C "$build"; then
    echo "build failed"
    echo "0 passed, 1 failed"
    exit 1
fi
rm -f "$build"/meson-logs/testlog.json "$build"/meson-logs/testlog-*.json
meson test -C "$build" --print-errorlogs "$@"
rc=$?
# The integration and redis-cli suites again, against a server with four
# I/O threads (IO_THREADS_PASS=0 skips it, e.g. for a unit-only run).
if [ "${IO_THREADS_PASS:-1}" = 1 ]; then
    meson test -C "$build" --print-errorlogs --setup iothreads \
        --suite integration --suite cli "$@" || rc=1
fi
# Every log written above (testlog.json, testlog-<setup>.json).
logs=()
for f in "$build"/meson-logs/testlog.json "$build"/meson-logs/testlog-*.json; do
    [ -f "$f" ] && logs+=("$f")
done
python3 .ci/summary.py "${logs[@]}" || rc=1
exit $rc
