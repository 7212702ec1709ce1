#!/usr/bin/env python3
"""Side-by-side benchmark of redis-server (A), gencached (B) and a second
redis-server (A2, the A/A noise floor).

Driven by bench.sh, which starts the servers. Three parts, all in one run:

1. Throughput. For every test, value size (-d) and pipeline depth it runs
   redis-benchmark against A, B and A2 in interleaved rounds (A B A2, then
   A2 B A, ...), reads each server's CPU time (all threads) from
   /proc/PID/stat around every run, and reports medians of the per-round
   ratios B/A (gencached vs redis) and A2/A (redis vs redis: the noise
   floor), for ops/s and for requests per server CPU-second
   (PERFORMANCE.md "Method"). Before every run the test's key is reset
   (and filled for the pop and LRANGE tests, or every key of the key space
   written for GET) outside the measured window, and every server is left
   to go idle, so deferred work of the setup is not billed to the run.
2. Latency at fixed rates: tests/bench/latency.c (open loop, latency from
   each request's due time) at the same rate against every server,
   interleaved in rotating rounds; p50/p99/p99.9/max, medians of per-round
   B/A and A2/A ratios, a p99 verdict against the A/A floor, the client's
   own send-lag percentiles (a row the client limits is marked so), and
   server CPU per request.
3. Memory per element (used_memory delta, RSS delta) for data loaded
   through redis-cli --pipe, A and B only.

Usage: bench.py A_PORT A_PID B_PORT B_PID [A2_PORT A2_PID] [--csv PATH]
Env (QUICK=1 defaults in brackets):
  ROUNDS (5 [1])       rounds per throughput row
  N (100000 [5000])    requests per -P 1 run; -P >1 runs use 10x; LRANGE
                       uses half; every run is also capped by BYTES
  BYTES (512M [32M])   cap on value bytes a run moves (n * size * values
                       per request), keeping the 4 KB rows to seconds
  CLIENTS (50)         redis-benchmark -c
  TESTS                throughput tests (DEFAULT_TESTS, -t names)
  SIZES ("64 4096")    value sizes (-d); tests that carry no value
                       (PING, INCR, SADD, SPOP, ZADD) run at the first only
  PIPELINES ("1 32")   -P values
  KEYSPACE (100000)    -r, and the GET key space; sizes >= 1024 use 1/10
  LAT_TESTS ("get set" ["get"])  fixed-rate latency tests; "" skips
  RATES ("10000 20000 40000" [20000])  requests/s of the latency rows
                       (RATE, one rate, is still read as the default)
  LAT_SECONDS (5 [3])  measured seconds per latency run (plus 1 s warm-up)
  LAT_ROUNDS (5 [1])   interleaved latency rounds; LAT_CONNS (50)
  LAT_SIZE (64)        value size of the latency tests
  LAT_RT (0)           1: servers (all threads) and the latency client run
                       SCHED_FIFO 1 during the latency rows (chrt; needs
                       root), so neighbours' processes cannot preempt them
  LATENCY_BIN          the built latency tool (bench.sh sets it)
  KEYS (1000000 [20000]) elements per memory test; 0 skips memory
  MEMTESTS ("strings hash hash100 set zset")
  CLIENT_CPUS ("0")    taskset -c list for the clients; "" or PIN=0: none
  CSV                  a path, the same as --csv
  GENC_IO_THREADS, REDIS_IO_THREADS, SERVER_CPUS: set by bench.sh, only
                       recorded in the output here.
"""
import csv
import io
import math
import os
import statistics
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
QUICK = os.environ.get("QUICK", "0") == "1"

DEFAULT_TESTS = ("ping_mbulk set get incr lpush rpush lpop rpop sadd hset "
                 "spop zadd lrange_100 mset")
DEFAULT_MEMTESTS = "strings hash hash100 set zset"

# redis-benchmark 7.0 commands that carry no -d value: one size suffices.
SIZELESS = {"ping_mbulk", "ping_inline", "incr", "sadd", "spop", "zadd"}
# Values moved per request (for the BYTES cap).
VALUES_PER_REQ = {"mset": 10, "lrange_100": 100, "lrange_300": 300,
                  "lrange_600": 600}
# LRANGE tests run as a custom command on a list filled beforehand, so
# redis-benchmark's own "LPUSH (needed to benchmark LRANGE)" phase is
# neither run nor billed. Value: last index of the range.
LRANGE_LAST = {"lrange_100": 99, "lrange_300": 299, "lrange_600": 599}
N_DIVISOR = {"lrange_100": 2, "lrange_300": 4, "lrange_600": 5}
# The key each test works on, deleted before and after every run.
TEST_KEY = {"lpush": "mylist", "rpush": "mylist", "lpop": "mylist",
            "rpop": "mylist", "sadd": "myset", "spop": "myset",
            "hset": "myhash", "zadd": "myzset", "lrange_100": "mylist",
            "lrange_300": "mylist", "lrange_600": "mylist"}
CHUNK = 1000
NAMES = ("A", "B", "A2")

CSV_FIELDS = (
    "kind", "test", "size", "pipeline", "requests", "rounds",
    "genc_io_threads", "redis_io_threads", "server_cpus", "client_cpus",
    "redis_ops", "genc_ops", "redis2_ops", "ops_ratio", "ops_ratio_aa",
    "cpu_ratio", "cpu_ratio_aa", "redis_us_per_req", "genc_us_per_req",
    "redis2_us_per_req", "redis_p50_ms", "redis_p99_ms", "genc_p50_ms",
    "genc_p99_ms", "rate", "redis_p50_us", "redis_p99_us", "redis_p999_us",
    "redis_max_us", "genc_p50_us", "genc_p99_us", "genc_p999_us",
    "genc_max_us", "redis2_p50_us", "redis2_p99_us", "redis2_p999_us",
    "redis2_max_us", "p99_ratio", "p99_ratio_aa", "p999_ratio",
    "p999_ratio_aa", "client_lag_p99_us", "elements", "payload_bytes",
    "conns", "rt", "p50_ratio", "p50_ratio_aa", "svc_p99_ratio",
    "svc_p99_ratio_aa", "p99_floor", "client_lag_p50_us",
    "client_lag_p999_us", "client_stall_max_us", "verdict",
    "redis_bytes_per_elem", "genc_bytes_per_elem", "mem_ratio",
    "redis_rss_per_elem", "genc_rss_per_elem", "redis_encoding",
    "genc_encoding")


def env_int(name, default, quick_default=None):
    """Integer env var (k/M/G suffixes allowed); QUICK=1 may change the
    default."""
    if quick_default is not None and QUICK:
        default = quick_default
    v = os.environ.get(name, str(default)).strip()
    mult = {"k": 1 << 10, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    if v and v[-1] in mult:
        return int(float(v[:-1]) * mult[v[-1]])
    return int(v)


def env_list(name, default, quick_default=None):
    """Whitespace or comma separated env var as a list."""
    if quick_default is not None and QUICK:
        default = quick_default
    return os.environ.get(name, default).replace(",", " ").split()


def cpu_seconds(pid):
    """utime + stime of the whole process pid (all threads), seconds."""
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


def alive(pid):
    """True while pid exists."""
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def client_prefix():
    """taskset prefix pinning the clients, when asked and able."""
    cpus = os.environ.get("CLIENT_CPUS", "0")
    if os.environ.get("PIN", "1") == "1" and cpus and os.cpu_count() >= 2:
        return ["taskset", "-c", cpus]
    return []


def cli(port, *args, stdin=None):
    """Run redis-cli against port; return its stdout as text."""
    cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(port)] + list(args)
    return subprocess.run(cmd, input=stdin, capture_output=True,
                          check=True, timeout=600).stdout.decode()


def resp(*args):
    """One command in RESP as bytes."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def pipe_load(port, payload, commands):
    """Send payload (bytes of `commands` commands) with redis-cli --pipe;
    raise unless every reply came back without error."""
    out = cli(port, "--pipe", stdin=payload)
    if "errors: 0, replies: %d" % commands not in out:
        raise RuntimeError("--pipe on port %d: %s" % (port, out.strip()))


def quiesce(pids, limit=10.0):
    """Wait until every pid uses at most one clock tick per 0.2 s (its
    deferred work is done), or limit seconds passed."""
    end = time.monotonic() + limit
    last = {p: cpu_seconds(p) for p in pids}
    while time.monotonic() < end:
        time.sleep(0.2)
        now = {p: cpu_seconds(p) for p in pids}
        if all(now[p] - last[p] <= 1.0 / CLK_TCK for p in pids):
            return
        last = now


def keyspace_for(size):
    """-r key space for a value size (1/10 for values of 1 KB or more)."""
    ks = env_int("KEYSPACE", 100000)
    return max(1, ks // 10) if size >= 1024 else ks


_PAYLOADS = {}


def fill_payload(kind, count, size):
    """Cached (RESP bytes, command count): kind "list" pushes count
    elements of size bytes ('x', as redis-benchmark's data) onto mylist,
    "set" adds count members to myset, "keys" SETs key:000000000000 ..
    count-1 to size-byte values (the names redis-benchmark's
    key:__rand_int__ gives)."""
    key = (kind, count, size)
    if key in _PAYLOADS:
        return _PAYLOADS[key]
    parts = []
    if kind == "keys":
        value = b"x" * size
        step = max(1, min(CHUNK, (1 << 20) // (size + 32)))
        for start in range(0, count, step):
            args = [b"MSET"]
            for i in range(start, min(count, start + step)):
                args += [b"key:%012d" % i, value]
            parts.append(resp(*args))
    else:
        elem = b"x" * size
        step = max(1, min(CHUNK, (1 << 20) // (size + 16)))
        for start in range(0, count, step):
            stop = min(count, start + step)
            if kind == "list":
                parts.append(resp(b"RPUSH", b"mylist",
                                  *([elem] * (stop - start))))
            else:
                parts.append(resp(b"SADD", b"myset", *[
                    b"element:%012d" % i for i in range(start, stop)]))
    _PAYLOADS[key] = (b"".join(parts), len(parts))
    return _PAYLOADS[key]


def setup(port, test, n, size):
    """Reset the key test uses; fill it for the pop and LRANGE tests."""
    key = TEST_KEY.get(test)
    if key is None:
        return
    cli(port, "del", key)
    fill = None
    if test in ("lpop", "rpop"):
        fill = fill_payload("list", n, size)
    elif test == "spop":
        fill = fill_payload("set", n, 0)
    elif test in LRANGE_LAST:
        fill = fill_payload("list", LRANGE_LAST[test] + 1, size)
    if fill:
        pipe_load(port, fill[0], fill[1])


def cleanup(port, test):
    """Drop the test's key after a run (big lists of 4 KB values)."""
    key = TEST_KEY.get(test)
    if key is not None:
        cli(port, "del", key)


def bench_cmd(port, test, pipeline, n, clients, size):
    """redis-benchmark command line for one run."""
    cmd = client_prefix() + [
        "redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-n", str(n),
        "-c", str(clients), "-P", str(pipeline), "-d", str(size),
        "-r", str(keyspace_for(size)), "--csv"]
    if test in LRANGE_LAST:
        return cmd + ["LRANGE", "mylist", "0", str(LRANGE_LAST[test])]
    return cmd + ["-t", test]


def run_bench(port, pid, test, pipeline, n, clients, size):
    """One redis-benchmark run. Returns (ops/s, requests per server
    CPU-second, p50 ms, p99 ms)."""
    cmd = bench_cmd(port, test, pipeline, n, clients, size)
    before = cpu_seconds(pid)
    out = subprocess.run(cmd, capture_output=True, check=True,
                         timeout=900).stdout
    cpu = cpu_seconds(pid) - before
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    if not rows:
        raise RuntimeError("no csv from: " + " ".join(cmd))
    row = rows[-1]
    # Below one clock tick the CPU time is unknown; bound it by one tick.
    per_cpu = n / max(cpu, 1.0 / CLK_TCK)
    return (float(row["rps"]), per_cpu, float(row["p50_latency_ms"]),
            float(row["p99_latency_ms"]))


def requests_for(test, pipeline, size, clients):
    """Requests per run for test at pipeline depth and value size."""
    n = env_int("N", 100000, 5000) * (10 if pipeline > 1 else 1)
    n = max(1, n // N_DIVISOR.get(test, 1))
    if test not in SIZELESS:
        per_req = size * VALUES_PER_REQ.get(test, 1)
        cap = env_int("BYTES", 512 << 20, 32 << 20) // max(1, per_req)
        floor = clients * pipeline * 4
        n = min(n, max(cap, floor))
    return n


def ratio_median(res, x, y, i):
    """Median over rounds of res[x][r][i] / res[y][r][i]."""
    return statistics.median(rx[i] / ry[i] for rx, ry in zip(res[x], res[y]))


def bench_row(servers, test, pipeline, size, rounds, clients):
    """Interleaved rounds of one test; returns a dict of CSV fields."""
    n = requests_for(test, pipeline, size, clients)
    names = [x for x in NAMES if x in servers]
    if test == "get":
        fill = fill_payload("keys", keyspace_for(size), size)
        for x in names:
            pipe_load(servers[x][0], fill[0], fill[1])
    res = {x: [] for x in names}
    for r in range(rounds):
        order = names if r % 2 == 0 else names[::-1]
        for x in order:
            setup(servers[x][0], test, n, size)
        quiesce([servers[x][1] for x in order])
        for x in order:
            port, pid = servers[x]
            res[x].append(run_bench(port, pid, test, pipeline, n, clients,
                                    size))
            cleanup(port, test)

    def med(x, i):
        return statistics.median(v[i] for v in res[x])

    row = {"kind": "throughput", "test": test, "size": size,
           "pipeline": pipeline, "requests": n, "rounds": rounds,
           "redis_ops": med("A", 0), "genc_ops": med("B", 0),
           "ops_ratio": ratio_median(res, "B", "A", 0),
           "cpu_ratio": ratio_median(res, "B", "A", 1),
           "redis_us_per_req": 1e6 / med("A", 1),
           "genc_us_per_req": 1e6 / med("B", 1),
           "redis_p50_ms": med("A", 2), "redis_p99_ms": med("A", 3),
           "genc_p50_ms": med("B", 2), "genc_p99_ms": med("B", 3)}
    if "A2" in res:
        row.update({"redis2_ops": med("A2", 0),
                    "ops_ratio_aa": ratio_median(res, "A2", "A", 0),
                    "cpu_ratio_aa": ratio_median(res, "A2", "A", 1),
                    "redis2_us_per_req": 1e6 / med("A2", 1)})
    return row


def fmt(x, spec="%.2f"):
    """x formatted, or n/a for None."""
    return "n/a" if x is None else spec % x


class Output:
    """The text tables on stdout and, when asked, CSV rows in a file."""

    def __init__(self, path, config):
        self.config = config
        self.file = open(path, "w", newline="") if path else None
        self.csv = None
        if self.file:
            self.csv = csv.DictWriter(self.file, CSV_FIELDS)
            self.csv.writeheader()

    def row(self, fields):
        if self.csv:
            self.csv.writerow(dict(self.config, **fields))
            self.file.flush()

    def close(self):
        if self.file:
            self.file.close()


def test_label(test):
    """Row label of a redis-benchmark test name."""
    return "PING" if test.startswith("ping") else test.upper()


def throughput(servers, out, rounds, clients):
    """Every throughput row; returns (failed rows, result rows)."""
    tests = env_list("TESTS", DEFAULT_TESTS)
    sizes = [int(s) for s in env_list("SIZES", "64 4096")]
    pipelines = [int(p) for p in env_list("PIPELINES", "1 32")]
    print("\n## Throughput: %d round(s) interleaved (A B A2, A2 B A, ...),"
          " %d clients, clients pinned: %s" %
          (rounds, clients, " ".join(client_prefix()[2:]) or "no"))
    print("# B/A = gencached / redis, A2/A = redis / redis (noise floor);"
          " medians of per-round ratios. cpu = requests per server"
          " CPU-second (>1: gencached cheaper); us/req = server CPU per"
          " request (all threads).")
    print("%-10s %5s %3s %10s %10s %7s %7s %7s %7s %8s %8s" % (
        "test", "size", "P", "redis op/s", "genc op/s", "ops B/A",
        "ops A/A", "cpu B/A", "cpu A/A", "redis us", "genc us"))
    failed, rows = 0, []
    for size_i, size in enumerate(sizes):
        for test in tests:
            if test in SIZELESS and size_i > 0:
                continue
            for p in pipelines:
                label = test_label(test)
                if not all(alive(pid) for _, pid in servers.values()):
                    print("%-10s %5d %3d FAILED: a server is gone" %
                          (label, size, p))
                    return failed + 1, rows
                try:
                    r = bench_row(servers, test, p, size, rounds, clients)
                except (subprocess.SubprocessError, RuntimeError) as e:
                    print("%-10s %5d %3d FAILED: %s" % (label, size, p, e),
                          flush=True)
                    failed += 1
                    continue
                if test in SIZELESS:
                    r["size"] = 0
                print("%-10s %5s %3d %10.0f %10.0f %7.2f %7s %7.2f %7s "
                      "%8.2f %8.2f" % (
                          label, size if test not in SIZELESS else "-", p,
                          r["redis_ops"], r["genc_ops"], r["ops_ratio"],
                          fmt(r.get("ops_ratio_aa")), r["cpu_ratio"],
                          fmt(r.get("cpu_ratio_aa")), r["redis_us_per_req"],
                          r["genc_us_per_req"]), flush=True)
                out.row(r)
                rows.append(r)
    return failed, rows


def summary(rows):
    """Noise floor per pipeline depth and metric, and the rows whose B/A
    ratio is outside it (the ratios that mean something)."""
    if not rows or "ops_ratio_aa" not in rows[0]:
        return
    print("\n## Noise floor (A2/A, redis vs redis) and verdicts")
    print("# floor = largest |A2/A - 1| over the rows of that P; a B/A"
          " ratio farther from 1 than the floor is marked + (gencached"
          " better) or - (worse), else = (within noise).")
    for p in sorted({r["pipeline"] for r in rows}):
        sub = [r for r in rows if r["pipeline"] == p]
        for metric in ("ops", "cpu"):
            aa = [abs(r[metric + "_ratio_aa"] - 1) for r in sub]
            floor = max(aa)
            ba = [r[metric + "_ratio"] for r in sub]
            geo = math.exp(statistics.mean(math.log(x) for x in ba))
            marks = []
            for r in sub:
                x = r[metric + "_ratio"]
                m = "+" if x > 1 + floor else "-" if x < 1 - floor else "="
                marks.append("%s%s%s" % (test_label(r["test"]),
                                         "" if not r["size"] else
                                         "/%d" % r["size"], m))
            print("P=%-3d %s: floor %.2f (median |A2/A-1| %.2f); B/A geomean"
                  " %.2f, min %.2f, max %.2f; rows below 1.0: %d of %d" % (
                      p, metric, floor, statistics.median(aa), geo, min(ba),
                      max(ba), sum(1 for x in ba if x < 1.0), len(ba)))
            print("      " + " ".join(marks))


def parse_latency(text):
    """key=value pairs of the latency tool's output line as a dict."""
    fields = {}
    for kv in text.split():
        k, _, v = kv.partition("=")
        fields[k] = float(v)
    return fields


def rt_prefix():
    """chrt prefix for the latency client when LAT_RT=1, else []."""
    return ["chrt", "-f", "1"] if os.environ.get("LAT_RT", "0") == "1" \
        else []


def set_rt(pids, on):
    """Every thread of every pid to SCHED_FIFO 1 (on) or back to
    SCHED_OTHER. Only with LAT_RT=1; the kernel's RT throttling (95 % of
    a second) keeps the rest of the machine running."""
    if os.environ.get("LAT_RT", "0") != "1":
        return
    for pid in pids:
        cmd = ["chrt", "-a", "-f", "-p", "1", str(pid)] if on else \
            ["chrt", "-a", "-o", "-p", "0", str(pid)]
        subprocess.run(cmd, check=True, capture_output=True)


def latency_round(servers, names, test, rate, secs, conns, size, ks):
    """One run of the latency tool per server, in the given order: a dict
    name -> the tool's fields plus us_per_req (server CPU per request)."""
    out = {}
    for x in names:
        port, pid = servers[x]
        cmd = rt_prefix() + client_prefix() + [
            os.environ["LATENCY_BIN"], "-p", str(port), "-r", str(rate),
            "-t", str(secs), "-w", "1", "-c", str(conns), "-d", str(size),
            "-k", str(ks), "-m", test]
        before = cpu_seconds(pid)
        proc = subprocess.run(cmd, capture_output=True, timeout=secs + 60)
        cpu = cpu_seconds(pid) - before
        if proc.returncode != 0:
            raise RuntimeError("%s: %s %s" % (
                " ".join(cmd), proc.stdout.decode().strip(),
                proc.stderr.decode().strip()))
        f = parse_latency(proc.stdout.decode())
        f["us_per_req"] = cpu * 1e6 / (rate * (secs + 1))
        out[x] = f
    return out


def latency_row(servers, names, test, rate, secs, rounds, conns, size, ks):
    """Interleaved rounds at one rate (round r starts at server r mod 3:
    A B A2, B A2 A, A2 A B, ...); the row of medians and ratios."""
    res = {x: [] for x in names}
    for r in range(rounds):
        k = r % len(names)
        got = latency_round(servers, names[k:] + names[:k], test, rate,
                            secs, conns, size, ks)
        for x in names:
            res[x].append(got[x])

    def med(x, key):
        return statistics.median(f[key] for f in res[x])

    def rmed(x, y, key):
        return statistics.median(fx[key] / fy[key]
                                 for fx, fy in zip(res[x], res[y]))

    row = {"kind": "latency", "test": test, "size": size, "rounds": rounds,
           "rate": rate, "conns": conns,
           "rt": os.environ.get("LAT_RT", "0"),
           "requests": int(med("A", "requests"))}
    for x, pre in (("A", "redis"), ("B", "genc"), ("A2", "redis2")):
        if x in res:
            for key in ("p50_us", "p99_us", "p999_us", "max_us",
                        "svc_p99_us", "us_per_req"):
                row[pre + "_" + key] = med(x, key)
            row[pre + "_missing"] = int(sum(f["missing"] for f in res[x]))
    for key, col in (("p50_us", "p50_ratio"), ("p99_us", "p99_ratio"),
                     ("p999_us", "p999_ratio"),
                     ("svc_p99_us", "svc_p99_ratio")):
        row[col] = rmed("B", "A", key)
        if "A2" in res:
            row[col + "_aa"] = rmed("A2", "A", key)
    if "A2" in res:
        # The noise floor: how far apart two identical servers' p99 are,
        # either way round (median over rounds).
        row["p99_floor"] = statistics.median(
            max(a2["p99_us"] / a["p99_us"], a["p99_us"] / a2["p99_us"])
            for a, a2 in zip(res["A"], res["A2"]))
    every = [f for x in names for f in res[x]]
    row["client_lag_p50_us"] = statistics.median(
        f["send_lag_p50_us"] for f in every)
    row["client_lag_p99_us"] = statistics.median(
        f["send_lag_p99_us"] for f in every)
    row["client_lag_p999_us"] = statistics.median(
        f["send_lag_p999_us"] for f in every)
    row["client_stall_max_us"] = max(f["stall_max_us"] for f in every)
    p99s = [row[pre + "_p99_us"] for pre in ("redis", "genc", "redis2")
            if pre + "_p99_us" in row]
    limited = row["client_lag_p99_us"] > 0.5 * min(p99s)
    floor = row.get("p99_floor", 1.0)
    if limited:
        row["verdict"] = "client-limited"
    elif row["p99_ratio"] <= floor:
        row["verdict"] = "met" if row["p99_ratio"] > 1 else "met (lower)"
    else:
        row["verdict"] = "not met"
    return row


def latency(servers, out):
    """Fixed-rate latency rows; returns the number of failed rows."""
    tests = env_list("LAT_TESTS", "get set", "get")
    tool = os.environ.get("LATENCY_BIN")
    if not tests:
        return 0
    if not tool:
        print("\n# latency: LATENCY_BIN not set, skipped")
        return 1
    rates = [int(x) for x in env_list("RATES", os.environ.get(
        "RATE", "10000 20000 40000"), os.environ.get("RATE", "20000"))]
    secs = env_int("LAT_SECONDS", 5, 3)
    rounds = env_int("LAT_ROUNDS", 5, 1)
    conns = env_int("LAT_CONNS", 50)
    size = env_int("LAT_SIZE", 64)
    ks = keyspace_for(size)
    names = [x for x in NAMES if x in servers]
    print("\n## Latency at fixed rates (open loop, %d conns, -P 1, %d s +"
          " 1 s warm-up, %d interleaved round(s), %d B values, latency from"
          " each request's due time), microseconds; client pinned: %s;"
          " SCHED_FIFO (LAT_RT): %s" % (
              conns, secs, rounds, size,
              " ".join(client_prefix()[2:]) or "no",
              "yes" if rt_prefix() else "no"))
    print("# ratios: medians of per-round ratios, B/A = gencached / redis,"
          " A2/A = redis / redis; floor = median of max(A2/A, A/A2) p99;"
          " verdict: gencached p99 <= redis within the floor (met),"
          " or not; client-limited when the client's send-lag p99 is over"
          " half the lowest server p99. svc = from the actual send;"
          " lag = client's send lag p50/p99/p99.9, stall = its longest"
          " hold-off; us/req = server CPU per request.")
    print("%-4s %6s %-6s %8s %8s %9s %9s %8s %7s %16s %16s %10s" % (
        "test", "rate", "server", "p50", "p99", "p99.9", "svc p99",
        "us/req", "missing", "p50/p99/p99.9 B/A", "... A2/A", "lag"))
    failed = 0
    fill = fill_payload("keys", ks, size)
    pids = [servers[x][1] for x in names]
    for test in tests:
        for rate in rates:
            try:
                for x in names:
                    pipe_load(servers[x][0], fill[0], fill[1])
                quiesce(pids)
                set_rt(pids, True)
                try:
                    row = latency_row(servers, names, test, rate, secs,
                                      rounds, conns, size, ks)
                finally:
                    set_rt(pids, False)
            except (subprocess.SubprocessError, RuntimeError) as e:
                print("%-4s %6d FAILED: %s" % (test, rate, e), flush=True)
                failed += 1
                continue
            for x, pre in (("A", "redis"), ("B", "genc"), ("A2", "redis2")):
                if x not in servers:
                    continue
                ratios = ("", "", "")
                if x == "B":
                    ratios = ("%.2f/%.2f/%.2f" % (
                        row["p50_ratio"], row["p99_ratio"],
                        row["p999_ratio"]), "",
                        "%.0f/%.0f/%.0f" % (row["client_lag_p50_us"],
                                            row["client_lag_p99_us"],
                                            row["client_lag_p999_us"]))
                elif x == "A2":
                    ratios = ("", "%.2f/%.2f/%.2f" % (
                        row["p50_ratio_aa"], row["p99_ratio_aa"],
                        row["p999_ratio_aa"]), "")
                print("%-4s %6d %-6s %8.1f %8.1f %9.1f %9.1f %8.2f %7d "
                      "%16s %16s %10s" % (
                          test.upper(), rate, pre, row[pre + "_p50_us"],
                          row[pre + "_p99_us"], row[pre + "_p999_us"],
                          row[pre + "_svc_p99_us"],
                          row[pre + "_us_per_req"], row[pre + "_missing"],
                          ratios[0], ratios[1], ratios[2]), flush=True)
            print("%-4s %6d verdict: %s (p99 B/A %.2f, floor %s; from the"
                  " send: svc p99 B/A %.2f, A2/A %s; client stall max"
                  " %.0f us)" % (
                      test.upper(), rate, row["verdict"], row["p99_ratio"],
                      fmt(row.get("p99_floor")), row["svc_p99_ratio"],
                      fmt(row.get("svc_p99_ratio_aa")),
                      row["client_stall_max_us"]),
                  flush=True)
            for pre in ("redis", "genc", "redis2"):
                for key in ("us_per_req", "svc_p99_us", "missing"):
                    row.pop(pre + "_" + key, None)
            out.row(row)
    return failed


def used_memory(port):
    """used_memory from INFO memory, or None if the server lacks it."""
    for line in cli(port, "info", "memory").splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return None


def mem_strings(count):
    """count SETs of a 16-byte key and a 64-byte value."""
    parts = [resp("SET", "key:%012d" % i, ("v%015d" % i) * 4)
             for i in range(count)]
    return b"".join(parts), count


def mem_one_key(cmd, key, count, elem):
    """Variadic cmd on one key, CHUNK elements a command; elem(i) gives
    the argument list of element i."""
    parts = []
    for start in range(0, count, CHUNK):
        args = [cmd, key]
        for i in range(start, min(count, start + CHUNK)):
            args.extend(elem(i))
        parts.append(resp(*args))
    return b"".join(parts), len(parts)


def mem_hash100(count):
    """count // 100 hashes of 100 fields (16-byte field, 8-byte value)."""
    parts = []
    for k in range(max(1, count // 100)):
        args = ["HSET", "h:%012d" % k]
        for j in range(100):
            args.extend(("f:%014d" % j, "v%07d" % j))
        parts.append(resp(*args))
    return b"".join(parts), len(parts)


# name -> (description, payload bytes per element, key to sample, check
# command and expected reply for `count` elements, payload builder)
MEM_TESTS = {
    "strings": ("1 key per element, 16 B key + 64 B value", 80,
                "key:000000000000", lambda c: (("dbsize",), c),
                mem_strings),
    "hash": ("one hash, 16 B field + 8 B value", 24, "bighash",
             lambda c: (("hlen", "bighash"), c),
             lambda c: mem_one_key("HSET", "bighash", c, lambda i: (
                 "f:%014d" % i, "v%07d" % (i % 10000000)))),
    "hash100": ("hashes of 100 fields, 16 B field + 8 B value", 24,
                "h:000000000000",
                lambda c: (("dbsize",), max(1, c // 100)), mem_hash100),
    "set": ("one set, 16 B member", 16, "bigset",
            lambda c: (("scard", "bigset"), c),
            lambda c: mem_one_key("SADD", "bigset", c, lambda i: (
                "m:%014d" % i,))),
    "zset": ("one sorted set, 16 B member + 8 B score", 24, "bigzset",
             lambda c: (("zcard", "bigzset"), c),
             lambda c: mem_one_key("ZADD", "bigzset", c, lambda i: (
                 str(i), "m:%014d" % i))),
}


def encoding(port, key):
    """OBJECT ENCODING of key, or '?' when the server does not say."""
    try:
        return cli(port, "object", "encoding", key).strip() or "?"
    except subprocess.CalledProcessError:
        return "?"


def memory_per_element(port, pid, name, payload, commands, count):
    """(used_memory bytes per element or None, RSS bytes per element,
    encoding of a sample key) after loading payload into an empty
    server."""
    _, _, sample, check, _ = MEM_TESTS[name]
    cli(port, "flushall")
    quiesce([pid])
    um0, rss0 = used_memory(port), rss_bytes(pid)
    pipe_load(port, payload, commands)
    quiesce([pid])
    um1, rss1 = used_memory(port), rss_bytes(pid)
    args, want = check(count)
    got = int(cli(port, *args).strip())
    if got != want:
        raise RuntimeError("port %d: %s gave %d, not %d" %
                           (port, " ".join(args), got, want))
    elements = count if name != "hash100" else want * 100
    um = (um1 - um0) / elements if None not in (um0, um1) else None
    result = (um, (rss1 - rss0) / elements, encoding(port, sample))
    cli(port, "flushall")
    quiesce([pid])
    return result


def memory(servers, out, count):
    """Every memory row (redis A and gencached B); returns the number of
    failed rows."""
    a, b = servers["A"], servers["B"]
    names = env_list("MEMTESTS", DEFAULT_MEMTESTS)
    print("\n## Memory: used_memory (and RSS) delta per element after"
          " loading %d elements with redis-cli --pipe; overhead ="
          " bytes per element - payload" % count)
    print("%-8s %8s %8s %8s %6s %9s %9s %9s %9s %-10s %-10s" % (
        "test", "elements", "redis B", "genc B", "ratio", "redis ovh",
        "genc ovh", "redis RSS", "genc RSS", "redis enc", "genc enc"))
    failed = 0
    for x in servers:
        cli(servers[x][0], "flushall")
    for name in names:
        if name not in MEM_TESTS:
            print("%-8s FAILED: unknown memory test" % name)
            failed += 1
            continue
        desc, payload_bytes, _, _, build = MEM_TESTS[name]
        payload, commands = build(count)
        try:
            ma = memory_per_element(a[0], a[1], name, payload, commands,
                                    count)
            mb = memory_per_element(b[0], b[1], name, payload, commands,
                                    count)
        except (subprocess.SubprocessError, RuntimeError) as e:
            print("%-8s FAILED: %s" % (name, e), flush=True)
            failed += 1
            continue
        elements = count if name != "hash100" else max(1, count // 100) * 100
        um_ratio = mb[0] / ma[0] if ma[0] and mb[0] is not None else None
        print("%-8s %8d %8s %8s %6s %9s %9s %9s %9s %-10s %-10s (%s)" % (
            name, elements, fmt(ma[0], "%.1f"), fmt(mb[0], "%.1f"),
            fmt(um_ratio),
            fmt(None if ma[0] is None else ma[0] - payload_bytes, "%.1f"),
            fmt(None if mb[0] is None else mb[0] - payload_bytes, "%.1f"),
            fmt(ma[1], "%.1f"), fmt(mb[1], "%.1f"), ma[2], mb[2], desc),
            flush=True)
        out.row({"kind": "memory", "test": name, "elements": elements,
                 "payload_bytes": payload_bytes,
                 "redis_bytes_per_elem": ma[0], "genc_bytes_per_elem": mb[0],
                 "mem_ratio": um_ratio, "redis_rss_per_elem": ma[1],
                 "genc_rss_per_elem": mb[1], "redis_encoding": ma[2],
                 "genc_encoding": mb[2]})
    return failed


USAGE = "usage: bench.py A_PORT A_PID B_PORT B_PID [A2_PORT A2_PID] " \
        "[--csv PATH]"


def loadavg():
    """The 1/5/15 minute load averages as text."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main(argv):
    args = argv[1:]
    csv_path = os.environ.get("CSV") or None
    if "--csv" in args:
        i = args.index("--csv")
        if i + 1 >= len(args):
            print(USAGE, file=sys.stderr)
            return 2
        csv_path = args[i + 1]
        del args[i:i + 2]
    if len(args) not in (4, 6):
        print(USAGE, file=sys.stderr)
        return 2
    servers = {}
    for k, x in enumerate(NAMES[:len(args) // 2]):
        servers[x] = (int(args[2 * k]), int(args[2 * k + 1]))
    rounds = env_int("ROUNDS", 5, 1)
    clients = env_int("CLIENTS", 50)
    config = {"genc_io_threads": os.environ.get("GENC_IO_THREADS", ""),
              "redis_io_threads": os.environ.get("REDIS_IO_THREADS", ""),
              "server_cpus": os.environ.get("SERVER_CPUS", ""),
              "client_cpus": " ".join(client_prefix()[2:])}
    out = Output(csv_path, config)
    t0 = time.monotonic()
    print("# load average at start: %s%s" % (
        loadavg(), " (QUICK=1 smoke run)" if QUICK else ""))
    failed, rows = throughput(servers, out, rounds, clients)
    summary(rows)
    failed += latency(servers, out)
    count = env_int("KEYS", 1000000, 20000)
    if count > 0:
        failed += memory(servers, out, count)
    print("\n# load average at end: %s; %.0f s" % (
        loadavg(), time.monotonic() - t0))
    out.close()
    if csv_path:
        print("# CSV written to %s" % csv_path)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
