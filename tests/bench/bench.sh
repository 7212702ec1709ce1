#!/usr/bin/env bash
# bench.sh -- redis-server and gencached side by side (PERFORMANCE.md):
# both servers pinned to core 1, redis-benchmark pinned to core 0,
# interleaved rounds, ops/s and requests per server CPU-second, latency,
# and memory per element. Not part of `make test`.
# Usage: bench.sh [--csv PATH]   (also written as CSV to PATH)
# Env: GENCACHED_BIN (default build/server/gencached), REDIS_SERVER
# (default /usr/bin/redis-server), GENCACHED_ARGS (default
# "--io-threads 0"), PIN (1), CSV (a path, as --csv), and bench.py's
# ROUNDS, N, CLIENTS, TESTS, PIPELINES, KEYS, MEMTESTS, QUICK (QUICK=1 is
# a smoke test: 1 round, small N and KEYS).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/cli/server.sh"

bin=${GENCACHED_BIN:-$root/build/server/gencached}
case "$bin" in /*) ;; *) bin=$PWD/$bin ;; esac
redis=${REDIS_SERVER:-/usr/bin/redis-server}
read -r -a gargs <<<"${GENCACHED_ARGS---io-threads 0}"
for t in redis-benchmark redis-cli python3 "$redis" "$bin"; do
    command -v "$t" >/dev/null || { echo "bench: $t not found" >&2; exit 1; }
done

pin=()
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    pin=(taskset -c 1)
else
    export PIN=0
fi

# The CSV path is made absolute: the script runs in a temporary directory.
csv=${CSV:-}
if [ "${1:-}" = --csv ]; then
    [ $# -ge 2 ] || { echo "usage: bench.sh [--csv PATH]" >&2; exit 2; }
    csv=$2
elif [ $# -gt 0 ]; then
    echo "usage: bench.sh [--csv PATH]" >&2
    exit 2
fi
case "$csv" in "" | /*) ;; *) csv=$PWD/$csv ;; esac
export CSV=$csv

# The meson build type of the binary, when it lives in a meson build dir.
btype=unknown
info=$(dirname "$(dirname "$bin")")/meson-info/intro-buildoptions.json
if [ -f "$info" ]; then
    btype=$(python3 -c 'import json, sys
print(next(o["value"] for o in json.load(open(sys.argv[1]))
           if o["name"] == "buildtype"))' "$info")
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/gencache-bench-XXXXXX")
a_pid= b_pid=
cleanup() {
    [ -n "$a_pid" ] && stop_server "$a_pid"
    [ -n "$b_pid" ] && stop_server "$b_pid"
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

start_server "$work/redis.log" "${pin[@]}" "$redis" --bind 127.0.0.1 \
    --save '' --appendonly no
a_pid=$SERVER_PID a_port=$SERVER_PORT
start_server "$work/gencached.log" "${pin[@]}" "$bin" --bind 127.0.0.1 \
    --save '' --appendonly no "${gargs[@]}"
b_pid=$SERVER_PID b_port=$SERVER_PORT

echo "# redis-server $("$redis" --version | sed 's/.*v=\([^ ]*\).*/\1/') on port $a_port," \
    "gencached ($bin ${gargs[*]}, buildtype $btype) on port $b_port," \
    "servers pinned: ${pin[*]:-no}"
python3 "$here/bench.py" "$a_port" "$a_pid" "$b_port" "$b_pid"
