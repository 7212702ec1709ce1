#!/usr/bin/env bash
# servercap.sh -- server capacity where redis-benchmark is the limit:
# pipeload (tests/bench/pipeload.c: skips replies instead of building
# them) drives redis-server (A), gencached (B) and a second redis-server
# (A2, the noise floor) in interleaved rounds, pinned as bench.sh pins.
# Reports, per test, medians of per-round ratios of ops/s and of requests
# per server CPU-second, and the client's own CPU per request (it must be
# well under the servers' for the ops to measure them). Not part of
# `make test`; RESULTS.md says why and what it showed.
#
# Usage: servercap.sh
# Env: GENCACHED_BIN, REDIS_SERVER, GENC_IO_THREADS (0), REDIS_IO_THREADS
# (1), PIN (1), SERVER_CPUS (1), CLIENT_CPUS (0), ROUNDS (5), N (2000000;
# LRANGE runs N/10), CONNS (50), PIPELINE (32),
# TESTS ("ping get incr lrange_100").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/cli/server.sh"
. "$here/buildtype.sh"

bin=$(bench_gencached_bin "$root")
redis=${REDIS_SERVER:-/usr/bin/redis-server}
cc=${CC:-cc}
bench_require servercap redis-cli python3 "$cc" "$redis" "$bin"

gthreads=${GENC_IO_THREADS:-0} rthreads=${REDIS_IO_THREADS:-1}
rargs=(--io-threads "$rthreads")
[ "$rthreads" -gt 1 ] && rargs+=(--io-threads-do-reads yes)
pin=() cpin=()
if [ "${PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ]; then
    pin=(taskset -c "${SERVER_CPUS:-1}") cpin=(taskset -c "${CLIENT_CPUS:-0}")
fi

bench_workdir servercap

"$cc" -std=c11 -O2 -Wall -Wextra -Werror -o "$work/pipeload" \
    "$here/pipeload.c"

common=(--bind 127.0.0.1 --save '' --appendonly no)
servers=()
start() { # NAME BIN ARGS...
    local name=$1
    shift
    start_server "$work/$name.log" "${pin[@]}" "$@" "${common[@]}" ||
        { echo "servercap: could not start $name" >&2; exit 1; }
    pids+=("$SERVER_PID")
    servers+=("$name:$SERVER_PORT:$SERVER_PID")
}
start redis "$redis" "${rargs[@]}"
start gencached "$bin" --io-threads "$gthreads"
start redis2 "$redis" "${rargs[@]}"

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs; servers pinned:" \
    "${pin[*]:-no}; client pinned: ${cpin[*]:-no}"
echo "# A: redis-server ${rargs[*]}; B: gencached --io-threads $gthreads" \
    "($bin, buildtype $(bench_buildtype "$bin")); load: $(cut -d' ' -f1-3 /proc/loadavg)"
PIPELOAD="$work/pipeload" CPIN="${cpin[*]}" python3 - "${servers[@]}" <<'PY'
import os, resource, statistics, subprocess, sys

servers = [s.split(":") for s in sys.argv[1:]]  # name, port, pid
rounds = int(os.environ.get("ROUNDS", "5"))
n = int(os.environ.get("N", "2000000"))
conns = os.environ.get("CONNS", "50")
pipeline = os.environ.get("PIPELINE", "32")
tests = os.environ.get("TESTS", "ping get incr lrange_100").split()
cpin = os.environ["CPIN"].split()
COMMANDS = {"ping": ["PING"], "get": ["GET", "key:1"],
            "incr": ["INCR", "counter"],
            "lrange_100": ["LRANGE", "mylist", "0", "99"]}

def cli(port, *args):
    subprocess.run(["redis-cli", "-p", port] + list(args), check=True,
                   stdout=subprocess.DEVNULL)

def cpu(pid):
    with open("/proc/%s/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def run(port, pid, test):
    reqs = n // 10 if test.startswith("lrange") else n
    c0 = cpu(pid)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cpin + [os.environ["PIPELOAD"], "-p", port, "-c",
                         conns, "-P", pipeline, "-n", str(reqs), "--"] +
                         COMMANDS[test], check=True, capture_output=True,
                         text=True).stdout
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    kv = dict(x.split("=") for x in out.split())
    if int(kv["errors"]):
        sys.exit("servercap: %s replied errors" % test)
    reqs = int(kv["requests"])
    client = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
    return float(kv["ops"]), (cpu(pid) - c0) / reqs, client / reqs

for name, port, pid in servers:
    cli(port, "set", "key:1", "x" * 64)
    cli(port, "del", "mylist")
    cli(port, "rpush", "mylist", *["v%062d" % i for i in range(100)])

print("test        redis op/s  genc op/s ops B/A ops A/A cpu B/A cpu A/A"
      "  redis us  genc us client us")
for test in tests:
    res = {s[0]: [] for s in servers}
    for r in range(rounds):
        order = servers if r % 2 == 0 else servers[::-1]
        for name, port, pid in order:
            res[name].append(run(port, pid, test))
    med = lambda xs: statistics.median(xs)
    a, b, a2 = res["redis"], res["gencached"], res["redis2"]
    ops = lambda x, y: med([q[0] / p[0] for p, q in zip(x, y)])
    cpr = lambda x, y: med([p[1] / q[1] if q[1] else float("nan")
                            for p, q in zip(x, y)])
    print("%-11s %10.0f %10.0f %7.2f %7.2f %7.2f %7.2f %9.3f %8.3f %9.3f" % (
        test, med([x[0] for x in a]), med([x[0] for x in b]), ops(a, b),
        ops(a, a2), cpr(a, b), cpr(a, a2), med([x[1] for x in a]) * 1e6,
        med([x[1] for x in b]) * 1e6, med([x[2] for x in a + b]) * 1e6))
    sys.stdout.flush()
PY
echo "# load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
