#!/usr/bin/env python3
"""The collector benchmark of issue 4 (HEAP.md "The cycle collector",
PERFORMANCE.md "Method"). run.sh builds gcload and calls this.

Four parts, each on fresh servers pinned to core 1 (clients on core 0):

stall    N hashes in cycles of CYCLE (each field "next" a strong reference
         to the next node) loaded with gc-enabled no, every key DELeted so
         the whole graph is cyclic garbage (all of it in gen0), then
         CONFIG SET gc-enabled yes: the automatic collector works through
         it in slices while a second connection runs a closed PING loop.
         Reports the PING round trips (baseline before the trigger, and
         from the trigger until nothing is tracked or queued), the
         collection's duration, slices and longest slice (INFO gc).
del      DEL of a big list (LIST_N elements) and of a big hash (HASH_N
         fields) with the PING loop running, in gencached and in
         redis-server (lazyfree off: synchronous DEL), rounds interleaved.
collect  GC COLLECT (stop-the-world, the client waits) on the same garbage
         graph: ns per object freed, beside CPython's gc.collect() on the
         same graph of dicts (pygraph.py).
track    SET / GET / HSET throughput, no REF.* used, gencached with
         gc-enabled yes vs no (and yes vs yes: the noise floor), interleaved
         rounds of redis-benchmark, medians of per-round ratios of ops/s
         and of requests per server CPU-second.

Env: QUICK=1 (small sizes, 1 round: a smoke test under 2 minutes), PARTS
("stall del collect track"), SIZES (graph sizes, "1000000 10000000"),
CYCLE (10000), SINGLE_CYCLE (1: also a 1M-object graph that is a single
cycle; 0 skips it), LIST_N (10000000), HASH_N (1000000), ROUNDS (rounds
of the 1M-and-smaller stall rows and of the del rows, 3; bigger graphs run
once), TRACK_ROUNDS (5), TRACK_N (100000 requests per -P 1 run, 10x at
-P 32), PIPELINES ("1 32"), CLIENTS (50), CSV (path), GENCACHED_BIN,
GENCACHED_ARGS (extra arguments of every gencached, split on spaces),
REDIS_SERVER, GCLOAD (set by run.sh), PIN (1), RT (a SCHED_FIFO
priority, e.g. 10: servers and gcload run under `chrt -f RT`, so that the
machine's other tasks cannot hold their threads in a run queue; unset:
normal scheduling).
"""
import csv
import json
import os
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")

QUICK = os.environ.get("QUICK", "0") == "1"
PIN = os.environ.get("PIN", "1") == "1" and os.cpu_count() >= 2
RT = os.environ.get("RT", "")
RT_PREFIX = ["chrt", "-f", RT] if RT else []
SERVER_PIN = (["taskset", "-c", "1"] if PIN else []) + RT_PREFIX
CLIENT_PIN = (["taskset", "-c", "0"] if PIN else []) + RT_PREFIX
GCLOAD = os.environ.get("GCLOAD", "gcload")

CSV_FIELDS = ("part", "server", "test", "objects", "cycle", "rounds",
              "cmd_ms", "done_ms", "base_p99_ms", "base_max_ms", "p50_ms",
              "p99_ms", "p999_ms", "max_ms", "worst_max_ms", "over_1ms",
              "gc_duration_ms", "gc_slices", "gc_slice_total_ms",
              "gc_slice_max_ms",
              "bytes_per_object", "ns_per_object", "ops_ratio",
              "cpu_ratio", "noise_ops_ratio", "noise_cpu_ratio", "note")


def cpu_seconds(pid):
    """utime + stime of every thread of pid, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def quiesce(pid, limit=10.0):
    """Wait until pid uses at most one clock tick per 0.2 s (deferred work
    done), or limit seconds passed."""
    end = time.monotonic() + limit
    last = cpu_seconds(pid)
    while time.monotonic() < end:
        time.sleep(0.2)
        now = cpu_seconds(pid)
        if now - last <= 1.0 / CLK_TCK:
            return
        last = now


def run_benchmark(srv, test, pipeline, n, clients):
    """One redis-benchmark run of test (-t) on srv, pinned to core 0.
    Returns (ops/s, requests per server CPU-second)."""
    cmd = CLIENT_PIN + [
        "redis-benchmark", "-h", "127.0.0.1", "-p", str(srv.port), "-n",
        str(n), "-c", str(clients), "-P", str(pipeline), "-r", "100000",
        "--csv", "-t", test]
    before = cpu_seconds(srv.pid)
    out = subprocess.run(cmd, capture_output=True, check=True,
                         timeout=600).stdout.decode()
    cpu = cpu_seconds(srv.pid) - before
    rows = list(csv.DictReader(out.splitlines()))
    if not rows:
        raise RuntimeError("no csv from: " + " ".join(cmd))
    # Below one clock tick the CPU time is unknown; bound it by one tick.
    return float(rows[0]["rps"]), n / max(cpu, 1.0 / CLK_TCK)


def env(name, default, quick_default):
    """Env var name as a string; QUICK=1 changes its default."""
    return os.environ.get(name, quick_default if QUICK else default)


class Server:
    """A server process on a free loopback port, pinned to core 1; stopped
    by its PID."""

    def __init__(self, kind, args=()):
        self.kind = kind
        if kind == "redis":
            binary = os.environ.get("REDIS_SERVER", "/usr/bin/redis-server")
            extra = ["--lazyfree-lazy-user-del", "no",
                     "--lazyfree-lazy-server-del", "no"]
        else:
            binary = os.environ["GENCACHED_BIN"]
            extra = ["--io-threads", "0"] + os.environ.get(
                "GENCACHED_ARGS", "").split()
        for _ in range(5):
            self.port = free_port()
            cmd = SERVER_PIN + [binary, "--bind", "127.0.0.1", "--port",
                                str(self.port), "--save", "",
                                "--appendonly", "no"] + extra + list(args)
            self.log = open("/tmp/gcbench-%s-%d.log" % (kind, self.port), "w")
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                         stdout=self.log,
                                         stderr=subprocess.STDOUT)
            self.pid = self.proc.pid
            if self.wait_ready():
                return
            self.stop()
        raise RuntimeError("could not start %s" % binary)

    def wait_ready(self):
        """True once the server answers PING (10 s at most)."""
        end = time.monotonic() + 10
        while time.monotonic() < end and self.proc.poll() is None:
            try:
                if self.cmd("PING") == "PONG":
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def cmd(self, *args):
        """One command on a fresh connection; the decoded reply."""
        with Conn(self.port) as c:
            return c.cmd(*args)

    def info(self, section):
        """INFO section as a dict of str -> str."""
        out = {}
        for line in self.cmd("INFO", section).splitlines():
            if ":" in line and not line.startswith("#"):
                k, v = line.split(":", 1)
                out[k] = v
        return out

    def gcload(self, *args):
        """Run gcload against this server (pinned to core 0); its stdout."""
        cmd = CLIENT_PIN + [GCLOAD, "127.0.0.1", str(self.port)] + [
            str(a) for a in args]
        return subprocess.run(cmd, capture_output=True, check=True,
                              timeout=3600).stdout.decode()

    def stop(self):
        """SIGTERM, then SIGKILL after 20 s."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def free_port():
    """A loopback TCP port that was free a moment ago."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Conn:
    """A minimal RESP2 client: one connection, one command at a time."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), 5)
        self.sock.settimeout(3600)
        self.buf = b""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def cmd(self, *args):
        """Send a command, return its reply (errors raise RuntimeError)."""
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self.reply()

    def line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise OSError("connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                data = self.sock.recv(65536)
                if not data:
                    raise OSError("connection closed")
                self.buf += data
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)


class Output:
    """CSV rows in a file (when asked) and markdown tables on stdout."""

    def __init__(self, path):
        self.file = open(path, "w", newline="") if path else None
        self.csv = csv.DictWriter(self.file, CSV_FIELDS) if path else None
        if self.csv:
            self.csv.writeheader()
        self.tables = []

    def row(self, fields):
        if self.csv:
            self.csv.writerow(fields)
            self.file.flush()

    def close(self):
        if self.file:
            self.file.close()


def ms(us):
    """Microseconds to milliseconds, rounded for the table."""
    return None if us is None else round(us / 1000.0, 3)


def f3(x):
    return "n/a" if x is None else ("%.3f" % x if x < 10 else "%.1f" % x)


def med(rows, key):
    """Median of key over rows (None when absent)."""
    vals = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def stall_round(srv, trigger, tracked_zero=True, timeout=3600):
    """Run gcload stall with `trigger` on srv; return its JSON."""
    args = ["stall", 500, timeout] + (["--tracked-zero"] if tracked_zero
                                      else []) + list(trigger)
    res = json.loads(srv.gcload(*args))
    if res["timed_out"]:
        raise RuntimeError("the server did not finish in %d s" % timeout)
    return res


def summarize(results):
    """Medians over rounds of gcload stall results, plus the worst max."""
    flat = []
    for r in results:
        flat.append({"cmd_ms": ms(r["cmd_us"]), "done_ms": ms(r["done_us"]),
                     "base_p99_ms": ms(r["base"]["p99_us"]),
                     "base_max_ms": ms(r["base"]["max_us"]),
                     "p50_ms": ms(r["during"]["p50_us"]),
                     "p99_ms": ms(r["during"]["p99_us"]),
                     "p999_ms": ms(r["during"]["p999_us"]),
                     "max_ms": ms(r["during"]["max_us"]),
                     "over_1ms": r["during"]["over_1ms"]})
    out = {k: med(flat, k) for k in flat[0]}
    out["worst_max_ms"] = max(x["max_ms"] for x in flat)
    out["rounds"] = len(flat)
    return out


def load_graph(srv, n, cycle):
    """Build the cyclic graph with automatic collection off, then DEL
    every key. Returns used_memory bytes per object."""
    srv.cmd("CONFIG", "SET", "gc-enabled", "no")
    um0 = int(srv.info("memory")["used_memory"])
    srv.gcload("cycles", n, cycle)
    um1 = int(srv.info("memory")["used_memory"])
    tracked = int(srv.info("gc")["gc_tracked_objects"])
    if tracked != n:
        raise RuntimeError("%d objects tracked, not %d" % (tracked, n))
    srv.gcload("delkeys", n)
    if int(srv.cmd("DBSIZE")) != 0:
        raise RuntimeError("keys left after DEL")
    quiesce(srv.pid)
    return (um1 - um0) / n


def fit_sizes(sizes, per_object):
    """The sizes whose graph fits in memory (gencached's RSS is taken as
    1.3x used_memory, CPython's dicts as 300 B each, and half of
    MemAvailable as the limit: the machine is shared). Returns (sizes,
    notes)."""
    with open("/proc/meminfo") as f:
        avail = next(int(line.split()[1]) * 1024 for line in f
                     if line.startswith("MemAvailable:"))
    keep, notes = [], []
    for n in sizes:
        need = max(n * per_object * 1.3, n * 300)
        if need <= avail / 2:
            keep.append(n)
            continue
        fit = int(avail / 2 / max(per_object * 1.3, 300)) // 100000 * 100000
        notes.append("%d objects need ~%.1f GB, over half of MemAvailable "
                     "(%.1f GB): ran %d instead" % (n, need / 1e9,
                                                    avail / 1e9, fit))
        if fit > 0:
            keep.append(fit)
    return keep, notes


def gc_fields(srv):
    """Collector figures of the last collection (fresh server: totals are
    this collection's)."""
    g = srv.info("gc")
    return {"gc_duration_ms": ms(int(g["gc_last_collection_duration_us"])),
            "gc_slices": int(g["gc_slices"]),
            "gc_slice_total_ms": ms(int(g["gc_slice_time_total_us"])),
            "gc_slice_max_ms": ms(int(g["gc_slice_time_max_us"])),
            "collected": int(g["gc_collected_objects"])}


def part_stall(out, sizes, cycle, rounds_small, single, header=True):
    """Part 1: the PING loop while the automatic collector frees the graph.
    Returns used_memory bytes per object of the last graph."""
    if header:
        stall_header()
    per_object = None
    rows = [(n, cycle) for n in sizes]
    if single:
        n1 = min(sizes[0], 1000000) if sizes else 0
        if n1:
            rows.append((n1, n1))
    for n, cyc in rows:
        per_object = stall_row(out, n, cyc,
                               rounds_small if n <= 1000000 else 1)
    return per_object


def gc_config():
    """The collector's default config, as a fresh gencached reports it."""
    srv = Server("gencached")
    try:
        names = ("gc-slice-budget-us", "gc-slice-objects",
                 "gc-max-cpu-percent", "gc-threshold0")
        parts = []
        for name in names:
            reply = srv.cmd("CONFIG", "GET", name)
            parts.append("%s %s" % (name, reply[1] if reply else "(absent)"))
        return ", ".join(parts)
    finally:
        srv.stop()


def stall_header():
    """The heading of part 1's table."""
    print("\n## 1. Stall while the incremental collector frees a cyclic "
          "garbage graph (defaults: %s)\n" % gc_config())
    print("| objects | cycle length | rounds | PING base p99 / max ms | "
          "PING p50 / p99 / p99.9 ms | PING max ms (worst round) | "
          "PINGs > 1 ms | until done ms | gc duration ms | slices | "
          "slice time ms | longest slice ms | used_memory B/object |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def stall_row(out, n, cyc, rounds):
    """One row of part 1: `rounds` fresh servers, each loading the graph
    of n objects in cycles of cyc and collecting it automatically.
    Returns used_memory bytes per object."""
    results, gcs = [], []
    for _ in range(rounds):
        srv = Server("gencached")
        try:
            per_object = load_graph(srv, n, cyc)
            results.append(stall_round(
                srv, ["CONFIG", "SET", "gc-enabled", "yes"]))
            gcs.append(gc_fields(srv))
        finally:
            srv.stop()
    s = summarize(results)
    g = {k: med(gcs, k) for k in gcs[0]}
    g["gc_slice_max_ms"] = max(x["gc_slice_max_ms"] for x in gcs)
    print("| %d | %d | %d | %s / %s | %s / %s / %s | %s (%s) | %s | "
          "%s | %s | %d | %s | %s | %.0f |" % (
              n, cyc, s["rounds"], f3(s["base_p99_ms"]),
              f3(s["base_max_ms"]), f3(s["p50_ms"]), f3(s["p99_ms"]),
              f3(s["p999_ms"]), f3(s["max_ms"]), f3(s["worst_max_ms"]),
              s["over_1ms"], f3(s["done_ms"]), f3(g["gc_duration_ms"]),
              g["gc_slices"], f3(g["gc_slice_total_ms"]),
              f3(g["gc_slice_max_ms"]), per_object),
          flush=True)
    row = dict(s, part="stall", server="gencached",
               test="incremental collection", objects=n, cycle=cyc,
               bytes_per_object=round(per_object, 1), **{
                   k: g[k] for k in ("gc_duration_ms", "gc_slices",
                                     "gc_slice_total_ms",
                                     "gc_slice_max_ms")})
    out.row(row)
    return per_object


def part_del(out, list_n, hash_n, rounds):
    """Part 2: DEL of a big list and a big hash, gencached vs redis."""
    print("\n## 2. DEL of a big value with a PING loop running "
          "(redis: lazyfree off, synchronous DEL)\n")
    print("| value | server | rounds | DEL reply ms | until freed ms | "
          "PING base p99 / max ms | PING p50 / p99 / p99.9 ms | "
          "PING max ms (worst round) | PINGs > 1 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind, n in (("list", list_n), ("hash", hash_n)):
        if n <= 0:
            continue
        res = {"redis": [], "gencached": []}
        for r in range(rounds):
            order = ("redis", "gencached") if r % 2 == 0 else (
                "gencached", "redis")
            for name in order:
                srv = Server(name)
                try:
                    srv.gcload(kind, "big", n)
                    got = srv.cmd("LLEN" if kind == "list" else "HLEN",
                                  "big")
                    if got != n:
                        raise RuntimeError("%s: %s has %s elements" %
                                           (name, kind, got))
                    quiesce(srv.pid)
                    res[name].append(stall_round(
                        srv, ["DEL", "big"], tracked_zero=False))
                finally:
                    srv.stop()
        for name in ("redis", "gencached"):
            s = summarize(res[name])
            label = "%s of %d %s" % (kind, n, "elements" if kind == "list"
                                     else "fields")
            print("| %s | %s | %d | %s | %s | %s / %s | %s / %s / %s | "
                  "%s (%s) | %s |" % (
                      label, name, s["rounds"], f3(s["cmd_ms"]),
                      f3(s["done_ms"]), f3(s["base_p99_ms"]),
                      f3(s["base_max_ms"]), f3(s["p50_ms"]),
                      f3(s["p99_ms"]), f3(s["p999_ms"]), f3(s["max_ms"]),
                      f3(s["worst_max_ms"]), s["over_1ms"]), flush=True)
            out.row(dict(s, part="del", server=name, test="DEL " + kind,
                         objects=n))


def part_collect(out, sizes, cycle):
    """Part 3: GC COLLECT vs CPython's gc.collect(), ns per object."""
    print("\n## 3. Full collection of the garbage graph, ns per object "
          "(gencached GC COLLECT, stop-the-world, vs CPython %s "
          "gc.collect())\n" % sys.version.split()[0])
    print("| objects | cycle length | gencached GC COLLECT ms | "
          "gencached server duration ms | gencached ns/object | "
          "CPython gc.collect() ms | CPython ns/object | "
          "CPython / gencached |")
    print("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        srv = Server("gencached")
        try:
            load_graph(srv, n, cycle)
            with Conn(srv.port) as c:
                t0 = time.perf_counter()
                freed = c.cmd("GC", "COLLECT")
                secs = time.perf_counter() - t0
            g = gc_fields(srv)
        finally:
            srv.stop()
        if freed != n:
            raise RuntimeError("GC COLLECT freed %s of %d" % (freed, n))
        py = json.loads(subprocess.run(
            SERVER_PIN + [sys.executable, os.path.join(HERE, "pygraph.py"),
                          str(n), str(cycle)],
            capture_output=True, check=True, timeout=3600).stdout)
        ns = secs * 1e9 / freed
        print("| %d | %d | %.1f | %.1f | %.0f | %.1f | %.0f | %.2fx |" % (
            n, cycle, secs * 1e3, g["gc_duration_ms"], ns,
            py["seconds"] * 1e3, py["ns_per_object"],
            py["ns_per_object"] / ns), flush=True)
        out.row({"part": "collect", "server": "gencached",
                 "test": "GC COLLECT", "objects": n, "cycle": cycle,
                 "cmd_ms": round(secs * 1e3, 3),
                 "gc_duration_ms": g["gc_duration_ms"],
                 "ns_per_object": round(ns, 1)})
        out.row({"part": "collect", "server": "cpython",
                 "test": "gc.collect()", "objects": n, "cycle": cycle,
                 "cmd_ms": round(py["seconds"] * 1e3, 3),
                 "ns_per_object": round(py["ns_per_object"], 1),
                 "note": "python " + py["python"]})


def part_track(out, rounds, n, pipelines, clients):
    """Part 4: throughput with gc-enabled yes vs no, no REF.* used."""
    print("\n## 4. Cost of tracking: gc-enabled yes / no, no REF.* used "
          "(%d interleaved rounds, %d clients, -r 100000; ratios are "
          "medians of per-round ratios; noise = yes / a second yes server)"
          "\n" % (rounds, clients))
    print("| test | P | yes ops/s | no ops/s | ops ratio yes/no | "
          "cpu ratio yes/no | noise ops ratio | noise cpu ratio | "
          "yes us/req | no us/req |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    srvs = {"yes": Server("gencached", ["--gc-enabled", "yes"]),
            "no": Server("gencached", ["--gc-enabled", "no"]),
            "yes2": Server("gencached", ["--gc-enabled", "yes"])}
    try:
        for name, s in srvs.items():
            want = "no" if name == "no" else "yes"
            got = s.cmd("CONFIG", "GET", "gc-enabled")[1]
            if got != want:
                raise RuntimeError("%s: gc-enabled is %s" % (name, got))
        for test in ("set", "get", "hset"):
            for p in pipelines:
                reqs = n * (10 if p > 1 else 1)
                res = {k: [] for k in srvs}
                names = list(srvs)
                for r in range(rounds):
                    order = names if r % 2 == 0 else names[::-1]
                    for k in order:
                        srvs[k].cmd("FLUSHALL")
                    for k in order:
                        quiesce(srvs[k].pid)
                    for k in order:
                        res[k].append(run_benchmark(srvs[k], test, p, reqs,
                                                    clients))

                def ratio(a, b, i):
                    return statistics.median(
                        x[i] / y[i] for x, y in zip(res[a], res[b]))

                row = {"ops_ratio": ratio("yes", "no", 0),
                       "cpu_ratio": ratio("yes", "no", 1),
                       "noise_ops_ratio": ratio("yes", "yes2", 0),
                       "noise_cpu_ratio": ratio("yes", "yes2", 1)}
                yes_ops = statistics.median(x[0] for x in res["yes"])
                no_ops = statistics.median(x[0] for x in res["no"])
                yes_us = 1e6 / statistics.median(x[1] for x in res["yes"])
                no_us = 1e6 / statistics.median(x[1] for x in res["no"])
                for s in srvs.values():
                    g = s.info("gc")
                    if int(g["gc_tracked_objects"]) or int(g["gc_slices"]):
                        raise RuntimeError("objects tracked or collector "
                                           "slices run without REF.*")
                print("| %s | %d | %.0f | %.0f | %.3f | %.3f | %.3f | %.3f "
                      "| %.2f | %.2f |" % (
                          test.upper(), p, yes_ops, no_ops,
                          row["ops_ratio"], row["cpu_ratio"],
                          row["noise_ops_ratio"], row["noise_cpu_ratio"],
                          yes_us, no_us), flush=True)
                out.row(dict({k: round(v, 4) for k, v in row.items()},
                             part="track", server="gencached",
                             test="%s -P %d" % (test.upper(), p),
                             objects=reqs, rounds=rounds))
        print("\nNo object was tracked and no collector slice ran on any "
              "of the three servers (INFO gc checked after every row).")
    finally:
        for s in srvs.values():
            s.stop()


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    parts = env("PARTS", "stall del collect track",
                "stall del collect track").split()
    sizes = [int(x) for x in env("SIZES", "1000000 10000000",
                                 "100000 200000").split()]
    cycle = int(env("CYCLE", "10000", "1000"))
    single = env("SINGLE_CYCLE", "1", "1") == "1"
    list_n = int(env("LIST_N", "10000000", "1000000"))
    hash_n = int(env("HASH_N", "1000000", "100000"))
    rounds = int(env("ROUNDS", "3", "1"))
    track_rounds = int(env("TRACK_ROUNDS", "5", "1"))
    track_n = int(env("TRACK_N", "100000", "20000"))
    pipelines = [int(p) for p in env("PIPELINES", "1 32", "1 32").split()]
    clients = int(os.environ.get("CLIENTS", "50"))
    out = Output(os.environ.get("CSV") or None)
    print("# gcbench: %s; servers pinned: %s; load average at start: %s" % (
        time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "core 1, clients core 0" if PIN else "no", loadavg()))
    print("# gencached %s; redis-server %s; QUICK=%d" % (
        os.environ["GENCACHED_BIN"],
        os.environ.get("REDIS_SERVER", "/usr/bin/redis-server"), QUICK))
    per_object = None
    if "stall" in parts:
        # The first (smallest) size measures memory per object before
        # the big ones are tried.
        first, rest = sizes[:1], sizes[1:]
        per_object = part_stall(out, first, cycle, rounds, single)
        rest, notes = fit_sizes(rest, per_object or 500)
        for note in notes:
            print("# NOTE: " + note)
        if rest:
            part_stall(out, rest, cycle, rounds, False, header=False)
        sizes = first + rest
    else:
        sizes, notes = fit_sizes(sizes, 500)
        for note in notes:
            print("# NOTE: " + note)
    if "del" in parts:
        part_del(out, list_n, hash_n, rounds)
    if "collect" in parts:
        part_collect(out, sizes, cycle)
    if "track" in parts:
        part_track(out, track_rounds, track_n, pipelines, clients)
    print("\n# load average at end: %s" % loadavg())
    out.close()
    if out.file:
        print("# CSV written to %s" % os.environ["CSV"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
