#!/usr/bin/env bash
# run.sh -- the collector benchmark of issue 4 (tests/bench/gc/README in
# gcbench.py's docstring; results in RESULTS.md): stalls while the
# incremental collector frees 1M / 10M cyclic objects, DEL of a 10M-element
# list vs redis-server, GC COLLECT ns per object vs CPython's gc.collect(),
# and SET/GET/HSET with gc-enabled yes vs no. Servers pinned to core 1,
# clients to core 0. Not part of `make test`. trackir.sh counts the
# tracking cost in instructions instead (callgrind), which noise does not
# reach.
# Usage: run.sh [--csv PATH]
# Env: GENCACHED_BIN (default build-release/server/gencached when built,
# else build/server/gencached), REDIS_SERVER (/usr/bin/redis-server),
# CC (cc), QUICK=1 (a smoke test, under 2 minutes), and gcbench.py's
# PARTS, SIZES, CYCLE, SINGLE_CYCLE, LIST_N, HASH_N, ROUNDS, TRACK_ROUNDS,
# TRACK_N, PIPELINES, CLIENTS, PIN, RT, CSV, GENCACHED_ARGS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

. "$here/../buildtype.sh"
bin=$(bench_gencached_bin "$root")
export GENCACHED_BIN=$bin
export REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
bench_require bench-gc redis-benchmark redis-cli python3 taskset "${CC:-cc}" \
    "$REDIS_SERVER" "$bin"

csv=${CSV:-}
if [ "${1:-}" = --csv ]; then
    [ $# -ge 2 ] || { echo "usage: run.sh [--csv PATH]" >&2; exit 2; }
    csv=$2
elif [ $# -gt 0 ]; then
    echo "usage: run.sh [--csv PATH]" >&2
    exit 2
fi
case "$csv" in "" | /*) ;; *) csv=$PWD/$csv ;; esac
export CSV=$csv

work=$(mktemp -d "${TMPDIR:-/tmp}/gencache-bench-gc-XXXXXX")
trap 'rm -rf "$work"' EXIT
"${CC:-cc}" -std=c11 -O2 -Wall -Wextra -Werror -pthread \
    -o "$work/gcload" "$here/gcload.c" -lhiredis
export GCLOAD=$work/gcload

btype=$(bench_buildtype "$bin")
echo "# gencached buildtype: $btype"
python3 "$here/gcbench.py"
