#!/usr/bin/env python3
"""Side-by-side benchmark of redis-server (A) and gencached (B).

Driven by bench.sh, which starts both servers. For every test and pipeline
depth it runs redis-benchmark against A and B in interleaved rounds (A B,
then B A, ...), reads each server's CPU time from /proc/PID/stat around every
run, and prints medians of the per-round ratios (PERFORMANCE.md "Method").
Then it measures memory per key for 1M strings (16-byte keys, 64-byte
values) inserted through redis-cli --pipe.

Usage: bench.py A_PORT A_PID B_PORT B_PID
Env: ROUNDS (5), N (requests per -P 1 run, 100000; -P 32 runs use 10x),
     CLIENTS (50), TESTS ("ping_mbulk set get incr mset"), PIPELINES
     ("1 32"), KEYS (memory test keys, 1000000; 0 skips it), PIN (1: pin
     redis-benchmark to core 0; bench.sh pins the servers to core 1).
"""
import csv
import io
import os
import statistics
import subprocess
import sys

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of every thread of pid, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_bytes(pid):
    """Resident set size of pid in bytes."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def client_prefix():
    """taskset prefix pinning the client to core 0, when asked and able."""
    if os.environ.get("PIN", "1") == "1" and os.cpu_count() >= 2:
        return ["taskset", "-c", "0"]
    return []


def cli(port, *args, stdin=None):
    """Run redis-cli against port; return its stdout as text."""
    cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(port)] + list(args)
    return subprocess.run(cmd, input=stdin, capture_output=True,
                          check=True).stdout.decode()


def run_bench(port, pid, test, pipeline, n, clients):
    """One redis-benchmark run. Returns (ops/s, requests per server
    CPU-second, p50 ms, p99 ms)."""
    cmd = client_prefix() + [
        "redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", test,
        "-n", str(n), "-c", str(clients), "-P", str(pipeline), "-r",
        "100000", "--csv"]
    before = cpu_seconds(pid)
    out = subprocess.run(cmd, capture_output=True, check=True).stdout
    cpu = cpu_seconds(pid) - before
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    if not rows:
        raise RuntimeError("no csv from: " + " ".join(cmd))
    row = rows[0]
    rps = float(row["rps"])
    per_cpu = n / cpu if cpu > 0 else float("inf")
    return rps, per_cpu, float(row["p50_latency_ms"]), float(
        row["p99_latency_ms"])


def bench_row(a, b, test, pipeline, rounds, clients):
    """Interleaved rounds of one test; returns the table row fields."""
    n = int(os.environ.get("N", "100000")) * (10 if pipeline > 1 else 1)
    res = {"A": [], "B": []}
    for r in range(rounds):
        order = (("A", a), ("B", b)) if r % 2 == 0 else (("B", b), ("A", a))
        for name, (port, pid) in order:
            res[name].append(run_bench(port, pid, test, pipeline, n, clients))
    ops_ratio = statistics.median(
        rb[0] / ra[0] for ra, rb in zip(res["A"], res["B"]))
    cpu_ratio = statistics.median(
        rb[1] / ra[1] for ra, rb in zip(res["A"], res["B"]))

    def med(name, i):
        return statistics.median(x[i] for x in res[name])

    return (test, pipeline, med("A", 0), med("B", 0), ops_ratio, cpu_ratio,
            med("A", 2), med("A", 3), med("B", 2), med("B", 3))


def mass_insert_resp(keys):
    """RESP for `keys` SETs of a 16-byte key and a 64-byte value."""
    parts = []
    for i in range(keys):
        k = "key:%012d" % i
        v = ("v%015d" % i) * 4
        parts.append("*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$64\r\n%s\r\n" % (k, v))
    return "".join(parts).encode()


def used_memory(port):
    """used_memory from INFO memory, or None if the server lacks it."""
    for line in cli(port, "info", "memory").splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return None


def memory_per_key(port, pid, payload, keys):
    """(used_memory bytes per key or None, RSS bytes per key) after
    inserting keys strings into an empty server."""
    cli(port, "flushall")
    um0, rss0 = used_memory(port), rss_bytes(pid)
    out = cli(port, "--pipe", stdin=payload)
    if "errors: 0, replies: %d" % keys not in out:
        raise RuntimeError("--pipe on port %d: %s" % (port, out.strip()))
    um1, rss1 = used_memory(port), rss_bytes(pid)
    dbsize = int(cli(port, "dbsize").strip())
    if dbsize != keys:
        raise RuntimeError("port %d holds %d keys, not %d" %
                           (port, dbsize, keys))
    um = (um1 - um0) / keys if um0 is not None and um1 is not None else None
    result = (um, (rss1 - rss0) / keys)
    cli(port, "flushall")
    return result


def fmt_bytes(x):
    return "n/a" if x is None else "%.1f" % x


def main(argv):
    a = (int(argv[1]), int(argv[2]))
    b = (int(argv[3]), int(argv[4]))
    rounds = int(os.environ.get("ROUNDS", "5"))
    clients = int(os.environ.get("CLIENTS", "50"))
    tests = os.environ.get("TESTS", "ping_mbulk set get incr mset").split()
    pipelines = [int(p) for p in os.environ.get("PIPELINES", "1 32").split()]
    print("# %d rounds interleaved, %d clients, client pinned: %s" %
          (rounds, clients, "core 0" if client_prefix() else "no"))
    print("# ratios are gencached / redis, medians of per-round ratios;"
          " cpu = requests per server CPU-second")
    head = ("test", "P", "redis ops/s", "genc ops/s", "ops ratio",
            "cpu ratio", "redis p50/p99 ms", "genc p50/p99 ms")
    print("%-10s %3s %12s %12s %9s %9s %17s %17s" % head)
    for test in tests:
        for p in pipelines:
            r = bench_row(a, b, test, p, rounds, clients)
            print("%-10s %3d %12.0f %12.0f %8.2fx %8.2fx %8.3f/%-8.3f "
                  "%8.3f/%-8.3f" % r, flush=True)
    keys = int(os.environ.get("KEYS", "1000000"))
    if keys <= 0:
        return 0
    payload = mass_insert_resp(keys)
    ma = memory_per_key(a[0], a[1], payload, keys)
    mb = memory_per_key(b[0], b[1], payload, keys)
    print("\n# memory for %d strings (16 B key, 64 B value), bytes per key"
          % keys)
    print("%-10s %12s %12s" % ("server", "used_memory", "RSS"))
    print("%-10s %12s %12s" % ("redis", fmt_bytes(ma[0]), fmt_bytes(ma[1])))
    print("%-10s %12s %12s" % ("gencached", fmt_bytes(mb[0]),
                               fmt_bytes(mb[1])))
    ratio_um = "%.2f" % (mb[0] / ma[0]) if ma[0] and mb[0] else "n/a"
    ratio_rss = "%.2f" % (mb[1] / ma[1]) if ma[1] > 0 else "n/a"
    print("%-10s %12s %12s" % ("ratio", ratio_um, ratio_rss))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
