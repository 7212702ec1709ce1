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
rm -f "$build/meson-logs/testlog.json"
meson test -C "$build" --print-errorlogs "$@"
rc=$?
python3 .ci/summary.py "$build/meson-logs/testlog.json" || rc=1
exit $rc
