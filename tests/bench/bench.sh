#!/usr/bin/env bash
# bench.sh -- gencached against redis-server side by side (PERFORMANCE.md):
# redis-server (A), gencached (B) and a second redis-server (A2, the A/A
# noise floor) on random loopback ports; bench.py then runs interleaved
# redis-benchmark rounds (ops/s and requests per server CPU-second),
# fixed-rate latency with tests/bench/latency.c (built here with cc), and
# memory per element. Not part of `make test`.
#
# Usage: bench.sh [--csv PATH]   (the rows also go to PATH as CSV)
# Env:
#   GENCACHED_BIN     gencached binary (default build/server/gencached)
#   REDIS_SERVER      redis-server binary (default /usr/bin/redis-server)
#   GENC_IO_THREADS   gencached --io-threads N (default 0)
#   REDIS_IO_THREADS  redis-server --io-threads N (default 1; N > 1 adds
#                     --io-threads-do-reads yes)
#   GENCACHED_ARGS, REDIS_ARGS  extra server arguments
#   PIN               1 (default): servers on SERVER_CPUS, clients on
#                     CLIENT_CPUS with taskset; 0: nothing pinned
#   SERVER_CPUS (1), CLIENT_CPUS (0)  taskset -c lists
#   NOISE             1 (default): start A2 and report A/A ratios; 0: skip
#   QUICK=1           smoke run (~2 minutes): 1 round, small N and KEYS
#   CSV               a path, as --csv
#   and bench.py's ROUNDS, N, BYTES, CLIENTS, TESTS, SIZES, PIPELINES,
#   KEYSPACE, LAT_TESTS, RATE, LAT_SECONDS, LAT_ROUNDS, LAT_CONNS,
#   LAT_SIZE, KEYS, MEMTESTS (see its docstring).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/cli/server.sh"

usage() {
    echo "usage: bench.sh [--csv PATH]" >&2
    exit 2
}

bin=${GENCACHED_BIN:-$root/build/server/gencached}
case "$bin" in /*) ;; *) bin=$PWD/$bin ;; esac
redis=${REDIS_SERVER:-/usr/bin/redis-server}
cc=${CC:-cc}
. "$here/buildtype.sh"
bench_require bench redis-benchmark redis-cli python3 "$cc" "$redis" "$bin"

gthreads=${GENC_IO_THREADS:-0}
rthreads=${REDIS_IO_THREADS:-1}
read -r -a gargs <<<"${GENCACHED_ARGS:-}"
read -r -a rargs <<<"${REDIS_ARGS:-}"
gargs=(--io-threads "$gthreads" "${gargs[@]}")
rargs=(--io-threads "$rthreads" "${rargs[@]}")
[ "$rthreads" -gt 1 ] && rargs+=(--io-threads-do-reads yes)
export GENC_IO_THREADS=$gthreads REDIS_IO_THREADS=$rthreads

pin=()
export SERVER_CPUS=${SERVER_CPUS-1} CLIENT_CPUS=${CLIENT_CPUS-0}
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    [ -n "$SERVER_CPUS" ] && pin=(taskset -c "$SERVER_CPUS")
    export PIN=1
else
    export PIN=0 SERVER_CPUS='' CLIENT_CPUS=''
fi

# The CSV path is made absolute: the script runs in a temporary directory.
csv=${CSV:-}
if [ $# -gt 0 ]; then
    if [ "$1" != --csv ] || [ $# -ne 2 ]; then usage; fi
    csv=$2
fi
case "$csv" in "" | /*) ;; *) csv=$PWD/$csv ;; esac
export CSV=$csv

# The meson build type of the binary, when it lives in a meson build dir.
btype=$(bench_buildtype "$bin")

bench_workdir bench
cd "$work"

# The open-loop latency tool: plain C, no library.
"$cc" -std=c11 -O2 -Wall -Wextra -Werror -o "$work/latency" "$here/latency.c"
export LATENCY_BIN=$work/latency

# start LOG ARGS...: start_server, or stop with its log (called in a ||
# list so that a failed try does not end the script before the retries).
start() {
    start_server "$@" || { echo "bench: could not start a server" >&2; exit 1; }
}

common=(--bind 127.0.0.1 --save '' --appendonly no)
start "$work/redis.log" "${pin[@]}" "$redis" "${common[@]}" "${rargs[@]}"
a_pid=$SERVER_PID a_port=$SERVER_PORT
pids+=("$a_pid")
start "$work/gencached.log" "${pin[@]}" "$bin" "${common[@]}" "${gargs[@]}"
b_pid=$SERVER_PID b_port=$SERVER_PORT
pids+=("$b_pid")
noise=()
if [ "${NOISE:-1}" = 1 ]; then
    start "$work/redis2.log" "${pin[@]}" "$redis" "${common[@]}" "${rargs[@]}"
    noise=("$SERVER_PORT" "$SERVER_PID")
    pids+=("$SERVER_PID")
fi

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r)"
echo "# A: redis-server $("$redis" --version | sed 's/.*v=\([^ ]*\).*/\1/')" \
    "${rargs[*]} on port $a_port${noise:+; A2: the same on port ${noise[0]}}"
echo "# B: gencached $bin ${gargs[*]} (buildtype $btype) on port $b_port"
cpin=no
[ -n "$CLIENT_CPUS" ] && cpin="taskset -c $CLIENT_CPUS"
echo "# servers pinned: ${pin[*]:-no}; clients pinned: $cpin"
python3 "$here/bench.py" "$a_port" "$a_pid" "$b_port" "$b_pid" "${noise[@]}"
