#!/usr/bin/env python3
"""GC COLLECT's server CPU time per object against CPython's gc.collect(),
in interleaved rounds (the A/B tool behind RESULTS.md's CPU figures).

Each round, for every gencached binary given: a fresh server pinned to
core 1 (gcbench.Server), the garbage graph of gcbench's collect part
(N hashes in cycles of CYCLE, every key DELeted, gc-enabled no), then one
GC COLLECT timed by the CPU time of every server thread
(/proc/PID/task/*/schedstat, nanoseconds) and by the wall clock. Then
CPython's gc.collect() on the same graph of dicts, pinned to core 1 too
(pygraph.py: the thread's CPU time). Ends with the median and range of
each, and the median of the per-round ratios CPython / gencached.

Usage: collectcpu.py N ROUNDS LABEL=BINARY[@MALLOC_CONF] ...
  @MALLOC_CONF runs that server with MALLOC_CONF set (jemalloc options).
  A LABEL ending in "P" sends MEMORY PURGE before the GC COLLECT.
Env: GCLOAD (the gcload binary, as run.sh builds it), CYCLE (10000),
NOPY=1 (skip CPython: A/B of builds only), PERF=LABEL (perf record -g of
that server's first collection to perf-LABEL.data).
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ.setdefault("GENCACHED_BIN", "/bin/false")  # set per server
import gcbench  # noqa: E402  (after the path and env it reads)


def sched_ns(pid):
    """CPU time of every thread of pid so far, in nanoseconds."""
    total = 0
    for task in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/schedstat" % (pid, task)) as f:
            total += int(f.read().split()[0])
    return total


def server_round(label, spec, n, cycle, perf):
    """One GC COLLECT on a fresh server: (cpu ns, wall ns) per object."""
    binary, _, conf = spec.partition("@")
    os.environ["GENCACHED_BIN"] = binary
    if conf:
        os.environ["MALLOC_CONF"] = conf
    try:
        srv = gcbench.Server("gencached")
    finally:
        os.environ.pop("MALLOC_CONF", None)
    rec = None
    try:
        gcbench.load_graph(srv, n, cycle)
        if label.endswith("P"):
            srv.cmd("MEMORY", "PURGE")
            time.sleep(0.5)
        if perf:
            rec = subprocess.Popen(
                ["perf", "record", "-g", "-o", "perf-%s.data" % label,
                 "-p", str(srv.pid)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
        with gcbench.Conn(srv.port) as c:
            s0, t0 = sched_ns(srv.pid), time.perf_counter()
            freed = c.cmd("GC", "COLLECT")
            t1, s1 = time.perf_counter(), sched_ns(srv.pid)
    finally:
        if rec:
            rec.send_signal(2)
            rec.wait()
        srv.stop()
    if freed != n:
        raise RuntimeError("%s: GC COLLECT freed %s of %d" % (label, freed, n))
    return (s1 - s0) / n, (t1 - t0) * 1e9 / n


def cpython_round(n, cycle):
    """CPython's gc.collect() on core 1: (cpu ns, wall ns) per object."""
    out = subprocess.run(
        gcbench.SERVER_PIN + [sys.executable, os.path.join(HERE, "pygraph.py"),
                              str(n), str(cycle)],
        capture_output=True, check=True, timeout=3600).stdout
    py = json.loads(out)
    return py["cpu_ns_per_object"], py["ns_per_object"]


def summary(name, rows, ref):
    """One summary line: medians and ranges, and the ratio to CPython."""
    cpu = [r[0] for r in rows]
    wall = [r[1] for r in rows]
    line = "%-10s cpu %4.0f [%4.0f-%4.0f]  wall %4.0f [%4.0f-%4.0f]" % (
        name, statistics.median(cpu), min(cpu), max(cpu),
        statistics.median(wall), min(wall), max(wall))
    if ref:
        ratios = [ref[i][0] / rows[i][0] for i in range(len(rows))]
        line += "  CPython/this cpu %.2f [%.2f-%.2f]" % (
            statistics.median(ratios), min(ratios), max(ratios))
    return line


def main(argv):
    if len(argv) < 4 or any("=" not in a for a in argv[3:]):
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: collectcpu.py N ROUNDS LABEL=BINARY[@MALLOC_CONF] ...",
              file=sys.stderr)
        return 2
    n, rounds = int(argv[1]), int(argv[2])
    cycle = int(os.environ.get("CYCLE", "10000"))
    builds = [a.split("=", 1) for a in argv[3:]]
    nopy = os.environ.get("NOPY") == "1"
    perf = os.environ.get("PERF")
    res = {label: [] for label, _ in builds}
    py = []
    for r in range(rounds):
        for label, spec in builds:
            res[label].append(server_round(label, spec, n, cycle,
                                           perf == label and r == 0))
            print("round %d %s cpu %.0f wall %.0f ns/object" % (
                (r, label) + res[label][-1]), flush=True)
        if not nopy:
            py.append(cpython_round(n, cycle))
            print("round %d cpython cpu %.0f wall %.0f ns/object (load %s)"
                  % ((r,) + py[-1] + (gcbench.loadavg(),)), flush=True)
    print("\n%d objects in cycles of %d, %d rounds (ns/object: median "
          "[min-max]; ratios: median [min-max] of per-round ratios)"
          % (n, cycle, rounds))
    for label, _ in builds:
        print(summary(label, res[label], py))
    if py:
        print(summary("cpython", py, None))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
