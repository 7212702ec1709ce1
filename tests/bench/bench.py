#!/usr/bin/env python3
"""Side-by-side benchmark of redis-server (A) and gencached (B).

Driven by bench.sh, which starts both servers. For every test and pipeline
depth it runs redis-benchmark against A and B in interleaved rounds (A B,
then B A, ...), reads each server's CPU time from /proc/PID/stat around every
run, and prints medians of the per-round ratios (PERFORMANCE.md "Method").
Before every run the test's key is reset (and filled for the pop and LRANGE
tests) outside the measured window, and both servers are left to go idle so
deferred work (a collector slice, a lazy free) of the setup is not billed to
the run. Then it measures memory per element (used_memory delta, RSS delta)
for data loaded through redis-cli --pipe.

Usage: bench.py A_PORT A_PID B_PORT B_PID [--csv PATH]
Env: ROUNDS (5), N (requests per -P 1 run, 100000; -P 32 runs use 10x; the
     LRANGE tests use N/2, N/4, N/5), CLIENTS (50), TESTS (throughput tests,
     redis-benchmark -t names, default all of DEFAULT_TESTS), PIPELINES
     ("1 32"), KEYS (elements per memory test, 1000000; 0 skips memory),
     MEMTESTS (default "strings hash hash100 set zset"), CSV (a path, the
     same as --csv), QUICK=1 (smoke test: ROUNDS=1, N=2000, KEYS=20000
     unless set), PIN (1: pin redis-benchmark to core 0; bench.sh pins the
     servers to core 1).
"""
import csv
import io
import os
import statistics
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")

DEFAULT_TESTS = ("ping_mbulk set get incr mset lpush rpush lpop rpop sadd "
                 "hset spop zadd lrange_100 lrange_300 lrange_600")
DEFAULT_MEMTESTS = "strings hash hash100 set zset"

# LRANGE tests run as a custom command on a list filled beforehand, so the
# "LPUSH (needed to benchmark LRANGE)" phase of redis-benchmark -t
# lrange_N is neither run nor billed. Value: last index of the range.
LRANGE_LAST = {"lrange_100": 99, "lrange_300": 299, "lrange_600": 599}
# Request count divisors keeping the slow LRANGE rows near a few seconds.
N_DIVISOR = {"lrange_100": 2, "lrange_300": 4, "lrange_600": 5}
# Element redis-benchmark 7.0 pushes for LPUSH/RPUSH (3 bytes, -d 3).
LIST_ELEMENT = "xxx"
CHUNK = 1000

CSV_FIELDS = ("kind", "test", "pipeline", "requests", "redis_ops",
              "genc_ops", "ops_ratio", "cpu_ratio", "redis_us_per_req",
              "genc_us_per_req", "redis_p50_ms", "redis_p99_ms",
              "genc_p50_ms", "genc_p99_ms", "elements", "payload_bytes",
              "redis_bytes_per_elem", "genc_bytes_per_elem", "mem_ratio",
              "redis_rss_per_elem", "genc_rss_per_elem", "redis_encoding",
              "genc_encoding")


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


def alive(pid):
    """True while pid exists."""
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def client_prefix():
    """taskset prefix pinning the client to core 0, when asked and able."""
    if os.environ.get("PIN", "1") == "1" and os.cpu_count() >= 2:
        return ["taskset", "-c", "0"]
    return []


def cli(port, *args, stdin=None):
    """Run redis-cli against port; return its stdout as text."""
    cmd = ["redis-cli", "-h", "127.0.0.1", "-p", str(port)] + list(args)
    return subprocess.run(cmd, input=stdin, capture_output=True,
                          check=True, timeout=600).stdout.decode()


def resp(*args):
    """One command in RESP as text."""
    out = ["*%d\r\n" % len(args)]
    for a in args:
        a = str(a)
        out.append("$%d\r\n%s\r\n" % (len(a.encode()), a))
    return "".join(out)


def pipe_load(port, payload, commands):
    """Send payload (bytes of `commands` commands) with redis-cli --pipe;
    raise unless every reply came back without error."""
    out = cli(port, "--pipe", stdin=payload)
    if "errors: 0, replies: %d" % commands not in out:
        raise RuntimeError("--pipe on port %d: %s" % (port, out.strip()))


def quiesce(pid, limit=10.0):
    """Wait until pid uses at most one clock tick per 0.2 s (its deferred
    work is done), or limit seconds passed."""
    end = time.monotonic() + limit
    last = cpu_seconds(pid)
    while time.monotonic() < end:
        time.sleep(0.2)
        now = cpu_seconds(pid)
        if now - last <= 1.0 / CLK_TCK:
            return
        last = now


_FILL_CACHE = {}


def fill_payload(kind, count):
    """(RESP bytes, command count) pushing count elements onto mylist
    (kind "list") or adding count members to myset (kind "set")."""
    key = (kind, count)
    if key not in _FILL_CACHE:
        parts = []
        for start in range(0, count, CHUNK):
            stop = min(count, start + CHUNK)
            if kind == "list":
                args = ["RPUSH", "mylist"] + [LIST_ELEMENT] * (stop - start)
            else:
                args = ["SADD", "myset"] + [
                    "element:%012d" % i for i in range(start, stop)]
            parts.append(resp(*args))
        _FILL_CACHE[key] = ("".join(parts).encode(), len(parts))
    return _FILL_CACHE[key]


def setup(port, test, n):
    """Reset the key test uses; fill it for the pop and LRANGE tests."""
    key = {"lpush": "mylist", "rpush": "mylist", "lpop": "mylist",
           "rpop": "mylist", "sadd": "myset", "spop": "myset",
           "hset": "myhash", "zadd": "myzset"}.get(test)
    if test in LRANGE_LAST:
        key = "mylist"
    if key is None:
        return
    cli(port, "del", key)
    fill = None
    if test in ("lpop", "rpop"):
        fill = fill_payload("list", n)
    elif test == "spop":
        fill = fill_payload("set", n)
    elif test in LRANGE_LAST:
        fill = fill_payload("list", LRANGE_LAST[test] + 1)
    if fill:
        pipe_load(port, fill[0], fill[1])


def bench_cmd(port, test, pipeline, n, clients):
    """redis-benchmark command line for one run."""
    cmd = client_prefix() + [
        "redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-n", str(n),
        "-c", str(clients), "-P", str(pipeline), "-r", "100000", "--csv"]
    if test in LRANGE_LAST:
        return cmd + ["LRANGE", "mylist", "0", str(LRANGE_LAST[test])]
    return cmd + ["-t", test]


def run_bench(port, pid, test, pipeline, n, clients):
    """One redis-benchmark run. Returns (ops/s, requests per server
    CPU-second, p50 ms, p99 ms)."""
    cmd = bench_cmd(port, test, pipeline, n, clients)
    before = cpu_seconds(pid)
    out = subprocess.run(cmd, capture_output=True, check=True,
                         timeout=600).stdout
    cpu = cpu_seconds(pid) - before
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    if not rows:
        raise RuntimeError("no csv from: " + " ".join(cmd))
    row = rows[0]
    # Below one clock tick the CPU time is unknown; bound it by one tick.
    per_cpu = n / max(cpu, 1.0 / CLK_TCK)
    return (float(row["rps"]), per_cpu, float(row["p50_latency_ms"]),
            float(row["p99_latency_ms"]))


def requests_for(test, pipeline):
    """Requests per run for test at pipeline depth."""
    n = int(os.environ.get("N", "100000")) * (10 if pipeline > 1 else 1)
    return max(1, n // N_DIVISOR.get(test, 1))


def bench_row(a, b, test, pipeline, rounds, clients):
    """Interleaved rounds of one test; returns a dict of CSV fields."""
    n = requests_for(test, pipeline)
    res = {"A": [], "B": []}
    for r in range(rounds):
        order = (("A", a), ("B", b)) if r % 2 == 0 else (("B", b), ("A", a))
        for _, (port, pid) in order:
            setup(port, test, n)
        for _, (_, pid) in order:
            quiesce(pid)
        for name, (port, pid) in order:
            res[name].append(run_bench(port, pid, test, pipeline, n, clients))

    def med(name, i):
        return statistics.median(x[i] for x in res[name])

    return {
        "kind": "throughput", "test": test, "pipeline": pipeline,
        "requests": n, "redis_ops": med("A", 0), "genc_ops": med("B", 0),
        "ops_ratio": statistics.median(
            rb[0] / ra[0] for ra, rb in zip(res["A"], res["B"])),
        "cpu_ratio": statistics.median(
            rb[1] / ra[1] for ra, rb in zip(res["A"], res["B"])),
        "redis_us_per_req": 1e6 / med("A", 1),
        "genc_us_per_req": 1e6 / med("B", 1),
        "redis_p50_ms": med("A", 2), "redis_p99_ms": med("A", 3),
        "genc_p50_ms": med("B", 2), "genc_p99_ms": med("B", 3)}


def used_memory(port):
    """used_memory from INFO memory, or None if the server lacks it."""
    for line in cli(port, "info", "memory").splitlines():
        if line.startswith("used_memory:"):
            return int(line.split(":")[1])
    return None


def mem_strings(count):
    """count SETs of a 16-byte key and a 64-byte value."""
    parts = []
    for i in range(count):
        parts.append(resp("SET", "key:%012d" % i, ("v%015d" % i) * 4))
    return "".join(parts), count


def mem_one_key(cmd, key, count, elem):
    """Variadic cmd on one key, CHUNK elements a command; elem(i) gives
    the argument list of element i."""
    parts = []
    for start in range(0, count, CHUNK):
        args = [cmd, key]
        for i in range(start, min(count, start + CHUNK)):
            args.extend(elem(i))
        parts.append(resp(*args))
    return "".join(parts), len(parts)


def mem_hash100(count):
    """count // 100 hashes of 100 fields (16-byte field, 8-byte value)."""
    parts = []
    for k in range(max(1, count // 100)):
        args = ["HSET", "h:%012d" % k]
        for j in range(100):
            args.extend(("f:%014d" % j, "v%07d" % j))
        parts.append(resp(*args))
    return "".join(parts), len(parts)


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
    quiesce(pid)
    um0, rss0 = used_memory(port), rss_bytes(pid)
    pipe_load(port, payload, commands)
    quiesce(pid)
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
    quiesce(pid)
    return result


def fmt(x, spec="%.1f"):
    return "n/a" if x is None else spec % x


class Output:
    """The text table on stdout and, when asked, CSV rows in a file."""

    def __init__(self, path):
        self.file = open(path, "w", newline="") if path else None
        self.csv = None
        if self.file:
            self.csv = csv.DictWriter(self.file, CSV_FIELDS)
            self.csv.writeheader()

    def row(self, fields):
        if self.csv:
            self.csv.writerow(fields)
            self.file.flush()

    def close(self):
        if self.file:
            self.file.close()


def env_int(name, default, quick_default):
    """Integer env var; QUICK=1 changes the default."""
    quick = os.environ.get("QUICK", "0") == "1"
    return int(os.environ.get(name, quick_default if quick else default))


def throughput(a, b, out, rounds, clients):
    """Every throughput row; returns the number of failed rows."""
    tests = os.environ.get("TESTS", DEFAULT_TESTS).replace(",", " ").split()
    pipelines = [int(p) for p in os.environ.get("PIPELINES", "1 32").split()]
    print("# %d rounds interleaved, %d clients, client pinned: %s" %
          (rounds, clients, "core 0" if client_prefix() else "no"))
    print("# ratios are gencached / redis, medians of per-round ratios;"
          " cpu ratio = requests per server CPU-second (>1: gencached"
          " cheaper); us/req = server CPU per request; * = ratio < 0.9")
    head = ("test", "P", "redis ops/s", "genc ops/s", "ops ratio",
            "cpu ratio", "redis us/req", "genc us/req", "redis p50/p99 ms",
            "genc p50/p99 ms")
    print("%-10s %3s %11s %11s %9s %9s %8s %8s %17s %17s" % head)
    failed = 0
    for test in tests:
        for p in pipelines:
            if not (alive(a[1]) and alive(b[1])):
                print("%-10s %3d FAILED: a server is gone" % (test, p))
                return failed + 1
            try:
                r = bench_row(a, b, test, p, rounds, clients)
            except (subprocess.SubprocessError, RuntimeError) as e:
                print("%-10s %3d FAILED: %s" % (test, p, e), flush=True)
                failed += 1
                continue
            mark = "*" if min(r["ops_ratio"], r["cpu_ratio"]) < 0.9 else " "
            print("%-10s %3d %11.0f %11.0f %8.2fx %8.2fx %8.2f %8.2f "
                  "%8.3f/%-8.3f %8.3f/%-8.3f%s" % (
                      test, p, r["redis_ops"], r["genc_ops"],
                      r["ops_ratio"], r["cpu_ratio"], r["redis_us_per_req"],
                      r["genc_us_per_req"], r["redis_p50_ms"],
                      r["redis_p99_ms"], r["genc_p50_ms"], r["genc_p99_ms"],
                      mark), flush=True)
            out.row(r)
    return failed


def memory(a, b, out, count):
    """Every memory row; returns the number of failed rows."""
    names = os.environ.get("MEMTESTS", DEFAULT_MEMTESTS).split()
    print("\n# memory: used_memory (and RSS) delta per element after"
          " loading %d elements with redis-cli --pipe; overhead ="
          " bytes per element - payload" % count)
    print("%-8s %8s %9s %9s %6s %9s %9s %8s %8s %6s %-11s %-11s" % (
        "test", "elements", "redis B", "genc B", "ratio", "redis ovh",
        "genc ovh", "redis RSS", "genc RSS", "ratio", "redis enc",
        "genc enc"))
    failed = 0
    for name in names:
        if name not in MEM_TESTS:
            print("%-8s FAILED: unknown memory test" % name)
            failed += 1
            continue
        desc, payload_bytes, _, _, build = MEM_TESTS[name]
        payload, commands = build(count)
        payload = payload.encode()
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
        rss_ratio = mb[1] / ma[1] if ma[1] > 0 else None
        print("%-8s %8d %9s %9s %6s %9s %9s %8s %8s %6s %-11s %-11s  (%s)" % (
            name, elements, fmt(ma[0]), fmt(mb[0]), fmt(um_ratio, "%.2f"),
            fmt(None if ma[0] is None else ma[0] - payload_bytes),
            fmt(None if mb[0] is None else mb[0] - payload_bytes),
            fmt(ma[1]), fmt(mb[1]), fmt(rss_ratio, "%.2f"), ma[2], mb[2],
            desc), flush=True)
        out.row({"kind": "memory", "test": name, "elements": elements,
                 "payload_bytes": payload_bytes,
                 "redis_bytes_per_elem": ma[0], "genc_bytes_per_elem": mb[0],
                 "mem_ratio": um_ratio, "redis_rss_per_elem": ma[1],
                 "genc_rss_per_elem": mb[1], "redis_encoding": ma[2],
                 "genc_encoding": mb[2]})
    return failed


def main(argv):
    args = argv[1:]
    csv_path = os.environ.get("CSV") or None
    if "--csv" in args:
        i = args.index("--csv")
        if i + 1 >= len(args):
            print("usage: bench.py A_PORT A_PID B_PORT B_PID [--csv PATH]",
                  file=sys.stderr)
            return 2
        csv_path = args[i + 1]
        del args[i:i + 2]
    if len(args) != 4:
        print("usage: bench.py A_PORT A_PID B_PORT B_PID [--csv PATH]",
              file=sys.stderr)
        return 2
    a = (int(args[0]), int(args[1]))
    b = (int(args[2]), int(args[3]))
    rounds = env_int("ROUNDS", "5", "1")
    clients = int(os.environ.get("CLIENTS", "50"))
    if os.environ.get("QUICK", "0") == "1":
        os.environ.setdefault("N", "2000")
    out = Output(csv_path)
    with open("/proc/loadavg") as f:
        print("# load average at start: %s" % " ".join(f.read().split()[:3]))
    failed = throughput(a, b, out, rounds, clients)
    count = env_int("KEYS", "1000000", "20000")
    if count > 0:
        failed += memory(a, b, out, count)
    with open("/proc/loadavg") as f:
        print("# load average at end: %s" % " ".join(f.read().split()[:3]))
    out.close()
    if csv_path:
        print("# CSV written to %s" % csv_path)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
