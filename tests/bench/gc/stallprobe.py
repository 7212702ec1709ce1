#!/usr/bin/env python3
"""Where the time of the collector's longest slices goes (issue 4).

One stall round of gcbench.py's part 1 (N objects in cycles of CYCLE,
gc-enabled yes as the trigger, gcload's PING loop on a second connection),
with the server observed from outside:

- before/after counters of the server process (/proc/PID/stat minor and
  major faults, user/system CPU; /proc/PID/status voluntary/involuntary
  context switches; /proc/PID/schedstat run time and run-queue wait;
  AnonHugePages of /proc/PID/smaps_rollup) and of the machine
  (/proc/vmstat direct reclaim and compaction, THP allocations;
  /proc/stat steal time of the server's core: time the hypervisor ran
  something else on this vCPU);
- with PERF=1, `perf record` (of the server's core when pinned) of
  uprobes on the entry and return of FUNCS (hp_gc_step: the collector's
  slice; srv_gc_idle_turn: a whole turn of the idle handle, deferred
  freeing included; hp_free_step; cmd_info: the INFO the stall meter
  polls), sched_switch, user page faults, direct reclaim, compaction and
  the syscalls and interrupts on the server's time, and for every call over SLOW_MS: its
  length, the time the server was switched out and what ran instead, the
  page faults taken, the syscalls made (and their time), and what is left
  (CPU the call really used, interrupts, or time stolen by the
  hypervisor, which the guest cannot see).

Env: GENCACHED_BIN (a private copy is probed: uprobes are per inode), GCLOAD
(built like run.sh when unset), N (1000000), CYCLE (10000), THP (0; 1 runs
the server with GLIBC_TUNABLES=glibc.malloc.hugetlb=1, which makes malloc
madvise(MADV_HUGEPAGE) its memory, so THP is used under the "madvise"
policy), RT (0; 1 runs the server's threads and gcload SCHED_FIFO 1 from
the trigger on, so no ordinary process can preempt them: what is left of
a slice is the server's own work, page faults and interrupts), PERF (1),
SLOW_MS (2), FUNCS ("hp_gc_step srv_gc_idle_turn hp_free_step cmd_info"),
PIN (1). Prints a readable report.
Needs root for perf's uprobes and tracepoints.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gcbench  # noqa: E402

VMSTAT = ("pgfault", "pgmajfault", "allocstall_normal", "allocstall_movable",
          "pgscan_direct", "pgsteal_direct", "compact_stall", "compact_fail",
          "thp_fault_alloc", "thp_fault_fallback", "thp_collapse_alloc",
          "thp_split_pmd", "pswpin", "pswpout")
MEM_SYSCALLS = {9: "mmap", 11: "munmap", 12: "brk", 25: "mremap",
                28: "madvise"}


def proc_counters(pid, cpu):
    """A dict of the counters named in the docstring."""
    c = {}
    with open("/proc/%d/stat" % pid) as f:
        fs = f.read().rsplit(")", 1)[1].split()
    c["minflt"], c["majflt"] = int(fs[7]), int(fs[9])
    c["utime_ms"] = int(fs[11]) * 1000 // gcbench.CLK_TCK
    c["stime_ms"] = int(fs[12]) * 1000 // gcbench.CLK_TCK
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("voluntary_ctxt_switches",
                     "nonvoluntary_ctxt_switches"):
                c[k] = int(v)
            elif k in ("VmRSS", "THP_enabled"):
                c[k] = int(v.split()[0])
    with open("/proc/%d/schedstat" % pid) as f:
        run, wait, slices = f.read().split()
    c["run_ms"], c["rq_wait_ms"] = int(run) // 10**6, int(wait) // 10**6
    c["anon_huge_kb"] = 0
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("AnonHugePages:"):
                c["anon_huge_kb"] = int(line.split()[1])
    with open("/proc/vmstat") as f:
        for line in f:
            k, v = line.split()
            if k in VMSTAT:
                c[k] = int(v)
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu%d " % cpu):
                c["steal_ms_cpu%d" % cpu] = (int(line.split()[8]) * 1000 //
                                             gcbench.CLK_TCK)
    return c


def perf_events(funcs):
    """The perf -e list (tracepoints that this kernel lacks are left
    out)."""
    avail = subprocess.run(["perf", "list", "tracepoint"],
                           capture_output=True, text=True).stdout
    evs = ["sched:sched_switch", "exceptions:page_fault_user",
           "vmscan:mm_vmscan_direct_reclaim_begin",
           "vmscan:mm_vmscan_direct_reclaim_end",
           "compaction:mm_compaction_begin", "compaction:mm_compaction_end",
           "raw_syscalls:sys_enter", "raw_syscalls:sys_exit",
           "irq:softirq_entry", "irq:softirq_exit", "irq:irq_handler_entry",
           "irq:irq_handler_exit", "irq_vectors:local_timer_entry",
           "irq_vectors:local_timer_exit",
           "irq_vectors:call_function_entry",
           "irq_vectors:call_function_exit"]
    probes = []
    for f in funcs:
        probes += ["probe_gencached:" + f, "probe_gencached:%s__return" % f]
    return probes + [e for e in evs if e in avail]


LINE = re.compile(r"^\s*(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s?(.*)$")


def new_call(t):
    """The record of one probed call starting at t."""
    return {"t0": t, "off": 0.0, "preempt": 0, "faults": 0, "sys": {},
            "sys_ms": 0.0, "reclaim": 0, "compact": 0, "by": set(),
            "irq_ms": 0.0, "irqs": 0}


def analyse(data, pid, funcs):
    """Every call of the probed functions made by the server's main thread:
    a dict function -> list of records (ms: length; off: ms switched out;
    preempt; by: what ran instead; faults; sys: syscalls made and sys_ms
    their time; reclaim, compact: direct reclaim / compaction entered;
    irqs, irq_ms: interrupts and softirqs run on the server's time)."""
    out = subprocess.run(["perf", "script", "-i", data, "-F",
                          "pid,tid,cpu,time,event,trace"],
                         capture_output=True, text=True).stdout
    calls = {f: [] for f in funcs}
    open_calls = {}
    off_at = None
    sc_enter = {}
    irq_at = None
    for line in out.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        tid, t, ev, rest = int(m.group(2)), float(m.group(4)), m.group(5), \
            m.group(6)
        ev = ev.rstrip(":")
        if ev.startswith("probe_gencached:"):
            if tid != pid:
                continue
            name = ev.split(":", 1)[1]
            if name.endswith("__return"):
                rec = open_calls.pop(name[:-len("__return")], None)
                if rec:
                    rec["ms"] = (t - rec["t0"]) * 1000
                    calls[name[:-len("__return")]].append(rec)
            else:
                open_calls[name] = new_call(t)
            continue
        if ev == "sched:sched_switch":
            pm = re.search(r"prev_pid=(\d+) prev_prio=\d+ prev_state=(\S+)",
                           rest)
            nm = re.search(r"next_pid=(\d+)", rest)
            if pm and int(pm.group(1)) == pid:
                off_at = t
                who = re.search(r"next_comm=(.*) next_pid", rest)
                for rec in open_calls.values():
                    if pm.group(2).startswith("R"):
                        rec["preempt"] += 1
                    if who:
                        rec["by"].add(who.group(1))
            elif nm and int(nm.group(1)) == pid and off_at is not None:
                for rec in open_calls.values():
                    rec["off"] += (t - max(off_at, rec["t0"])) * 1000
                off_at = None
            continue
        if tid != pid:
            continue
        if ev.startswith("irq") and ev.endswith("_entry"):
            if irq_at is None:
                irq_at = t
            continue
        if ev.startswith("irq") and ev.endswith("_exit"):
            if irq_at is not None:
                for rec in open_calls.values():
                    rec["irqs"] += 1
                    rec["irq_ms"] += (t - max(irq_at, rec["t0"])) * 1000
            irq_at = None
            continue
        nr = None
        if ev.startswith("raw_syscalls:"):
            sm = re.search(r"NR (\d+)", rest)
            if not sm:
                continue
            nr = int(sm.group(1))
        if ev == "raw_syscalls:sys_enter":
            sc_enter[nr] = t
            continue
        for rec in open_calls.values():
            if ev == "exceptions:page_fault_user":
                rec["faults"] += 1
            elif ev.endswith("direct_reclaim_begin"):
                rec["reclaim"] += 1
            elif ev.endswith("compaction_begin"):
                rec["compact"] += 1
            elif ev == "raw_syscalls:sys_exit":
                if nr in sc_enter and sc_enter[nr] >= rec["t0"]:
                    name = MEM_SYSCALLS.get(nr, "nr%d" % nr)
                    rec["sys"][name] = rec["sys"].get(name, 0) + 1
                    rec["sys_ms"] += (t - sc_enter[nr]) * 1000
    return calls


def print_calls(func, recs, slow_ms):
    """The table of func's calls over slow_ms, longest first."""
    slow = [r for r in recs if r["ms"] > slow_ms]
    print("\n# %s: %d calls traced, longest %.3f ms, %d over %.1f ms "
          "(uprobes add a few us each); all calls: %d page faults, %.1f ms "
          "off-CPU, %d preemptions" % (
              func, len(recs), max([r["ms"] for r in recs] or [0]),
              len(slow), slow_ms, sum(r["faults"] for r in recs),
              sum(r["off"] for r in recs),
              sum(r["preempt"] for r in recs)))
    if not slow:
        return
    print("| ms | off-CPU ms | preempted | page faults | syscalls | "
          "syscall ms | reclaim | compaction | irqs | irq ms | "
          "on-CPU ms | ran instead |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in sorted(slow, key=lambda r: -r["ms"])[:15]:
        print("| %.3f | %.3f | %d | %d | %s | %.3f | %d | %d | %d | %.3f | "
              "%.3f | %s |" % (
                  r["ms"], r["off"], r["preempt"], r["faults"],
                  " ".join("%s %d" % kv for kv in sorted(r["sys"].items()))
                  or "-", r["sys_ms"], r["reclaim"], r["compact"],
                  r["irqs"], r["irq_ms"], r["ms"] - r["off"],
                  " ".join(sorted(r["by"])) or "-"))


def main():
    n = int(os.environ.get("N", "1000000"))
    cycle = int(os.environ.get("CYCLE", "10000"))
    thp = os.environ.get("THP", "0") == "1"
    rt = os.environ.get("RT", "0") == "1"
    use_perf = os.environ.get("PERF", "1") == "1"
    slow_ms = float(os.environ.get("SLOW_MS", "2"))
    funcs = os.environ.get("FUNCS", "hp_gc_step srv_gc_idle_turn "
                           "hp_free_step cmd_info").split()
    work = tempfile.mkdtemp(prefix="stallprobe-")
    src = os.environ.get("GENCACHED_BIN") or os.path.join(
        HERE, "../../../build-release/server/gencached")
    binary = os.path.join(work, "gencached")
    shutil.copy(src, binary)
    os.environ["GENCACHED_BIN"] = binary
    if not os.environ.get("GCLOAD"):
        gcbench.GCLOAD = os.path.join(work, "gcload")
        subprocess.run(["cc", "-std=c11", "-O2", "-pthread", "-o",
                        gcbench.GCLOAD, os.path.join(HERE, "gcload.c"),
                        "-lhiredis"], check=True)
    cpu = 1 if gcbench.PIN else 0
    probes = False
    srv = None
    try:
        if use_perf:
            subprocess.run(["perf", "probe", "-q", "-x", binary] +
                           sum([["-a", f, "-a", f + "%return"]
                                for f in funcs], []), check=True)
            probes = True
        if thp:
            os.environ["GLIBC_TUNABLES"] = "glibc.malloc.hugetlb=1"
        srv = gcbench.Server("gencached")
        os.environ.pop("GLIBC_TUNABLES", None)
        per_object = gcbench.load_graph(srv, n, cycle)
        print("# stallprobe %s: N %d, cycle %d, THP via malloc madvise: %s, "
              "SCHED_FIFO: %s, load average %s, %.0f B/object" % (
                  time.strftime("%Y-%m-%d %H:%M:%S %Z"), n, cycle,
                  "yes" if thp else "no", "yes" if rt else "no",
                  gcbench.loadavg(), per_object))
        if rt:
            subprocess.run(["chrt", "-a", "-f", "-p", "1", str(srv.pid)],
                           check=True, capture_output=True)
            gcbench.CLIENT_PIN = ["chrt", "-f", "1"] + gcbench.CLIENT_PIN
        before = proc_counters(srv.pid, cpu)
        perf = None
        data = os.path.join(work, "perf.data")
        if use_perf:
            # With the server pinned, everything on its core is recorded:
            # the switch back to the server happens in another task's
            # context, which -p would not see.
            target = ["-C", str(cpu)] if gcbench.PIN else ["-p",
                                                           str(srv.pid)]
            perf = subprocess.Popen(
                ["perf", "record", "-q", "-m", "1024", "-o", data] +
                target + sum([["-e", e] for e in perf_events(funcs)], []),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
        res = gcbench.stall_round(srv, ["CONFIG", "SET", "gc-enabled",
                                        "yes"])
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait(60)
        after = proc_counters(srv.pid, cpu)
        g = gcbench.gc_fields(srv)
        print("# PING p99 %.3f ms, max %.3f ms, >1 ms %d; gc %.0f ms, "
              "%d slices, %.0f ms in slices, longest %.3f ms" % (
                  res["during"]["p99_us"] / 1000,
                  res["during"]["max_us"] / 1000, res["during"]["over_1ms"],
                  g["gc_duration_ms"], g["gc_slices"],
                  g["gc_slice_total_ms"], g["gc_slice_max_ms"]))
        print("# counters over the collection (after - before):")
        for k in sorted(after):
            if k in ("VmRSS", "THP_enabled", "anon_huge_kb"):
                print("#   %s %d -> %d" % (k, before.get(k, 0), after[k]))
            else:
                print("#   %s %+d" % (k, after[k] - before.get(k, 0)))
        print("# worst PINGs [ms after the trigger, round trip ms]: %s" %
              res["during"].get("worst"))
        if perf:
            calls = analyse(data, srv.pid, funcs)
            for f in funcs:
                print_calls(f, calls[f], slow_ms)
    finally:
        if srv:
            srv.stop()
        if probes:
            subprocess.run(["perf", "probe", "-q", "-d", "probe_gencached:*"])
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
