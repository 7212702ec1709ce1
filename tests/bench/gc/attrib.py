#!/usr/bin/env python3
"""Where the time of every slow PING goes (issue 4's 10M-object stall).

One stall round of gcbench.py's part 1 (N objects in cycles of CYCLE,
loaded with gc-enabled no and DELeted, then CONFIG SET gc-enabled yes),
with gcload's PING loop running BASE_MS before the trigger (the baseline:
idle server, no collection) and through the collection. Meanwhile the
kernel's scheduler and interrupt events of both CPUs are recorded in a
private tracefs instance (trace clock "mono", so its times are gcload's
CLOCK_MONOTONIC; a ring buffer with no reader during the run, so unlike
`perf record` no tracing process competes for the CPUs). gcload
(GCLOAD_SLOW_LOG) writes the send and reply time of every PING over
SLOW_US and its PING thread's id.

Each slow PING's round trip [send, reply] is then split, instant by
instant, by the state of the client's PING thread and, while that thread
sleeps waiting for the reply, of the server's executor (its main thread):

  client run      the PING thread on a CPU (interrupts on that CPU apart)
  client runq     the PING thread runnable, another task on its CPU
  client wake     woken (sched_waking) but not yet queued (sched_wakeup):
                  the wake-up IPI to a halted vCPU in flight
  server run      the executor on a CPU: the server's own work (a
                  collector slice, INFO, the PING itself)
  server runq     the executor runnable, another task on its CPU
  server wake     as client wake, for the executor
  server sleep    both threads asleep (the request or its wake-up in the
                  kernel, or the server waiting for nothing)
  irq             hard and soft interrupts on the running thread's CPU
                  (loopback delivery runs as NET_RX softirq there)
  untraced        before the trace knows the thread's state

"ran instead" names the tasks that had the CPU while a thread waited in
its run queue or for its wake-up (swapper = the CPU idle, i.e. halted;
a * marks this run's own server and gcload threads).

What the server did while it ran: uprobes on FUNCS (entry and return,
in a private copy of the binary) give the time it ran inside each, and
`perf record -e cpu-clock` of the executor at PROFILE_HZ gives the
functions it was sampled in. Time the hypervisor takes from a vCPU
shows in the guest as "run" of whatever the vCPU was running. Two checks
of it: the kernel's steal accounting (sched_stat_runtime leaves out
reported steal: "reported stolen"), and the perf samples (the sampling
timer cannot fire while the vCPU is not running, or with interrupts off:
"server run sampled" far below "server run" over a long stretch means the
server was not executing; over stretches of 0.4 ms and more of a normal
run the samples cover 0.9-1.0 of the time, over short ones less).

Prints a table per window (base, during) of every PING over SLOW_US and
a summary: how many, and how much of their time went to each state, the
tasks that ran instead, and every PING in which the server ran over 1 ms
(the server's own stall, unless the samples show it was not executing).

Env: GENCACHED_BIN, GCLOAD (attrib.sh builds it), N (10000000), CYCLE
(10000), BASE_MS (5000), SLOW_US (1000), PIN (1: server on core 1, gcload
on core 0; 0: unpinned), BUF_MB (ring buffer per CPU, 384), UPROBES (1),
FUNCS (DEFAULT_FUNCS), PROFILE_HZ (10000; 0: no sampling), KEEP (a
directory: the trace, gcload's log and the samples are copied there),
GENCACHED_ARGS. Needs root (tracefs, uprobes, perf).
Re-analysis of kept files: attrib.py TRACE SLOWLOG SERVER_TID [SAMPLES].
"""
import bisect
import collections
import json
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

TRACEFS = "/sys/kernel/tracing"
EVENTS = ["sched/sched_switch", "sched/sched_waking", "sched/sched_wakeup",
          "sched/sched_wakeup_new", "sched/sched_migrate_task",
          "sched/sched_stat_runtime",
          "irq/irq_handler_entry", "irq/irq_handler_exit",
          "irq/softirq_entry", "irq/softirq_exit", "power/cpu_idle"] + [
              "irq_vectors/%s_%s" % (v, e) for v in (
                  "local_timer", "reschedule", "call_function",
                  "call_function_single", "irq_work")
              for e in ("entry", "exit")]
CATS = ("client run", "client runq", "client wake", "server run",
        "server runq", "server wake", "server sleep", "irq", "untraced")

LINE = re.compile(r"^\s*(.*?)-(\d+)\s+\[(\d+)\]\s+\S+\s+(\d+\.\d+): "
                  r"(\w+): (.*)$")
SWITCH = re.compile(r"prev_comm=(.*) prev_pid=(\d+) prev_prio=\d+ "
                    r"prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+) ")
WAKE = re.compile(r"comm=(.*) pid=(\d+) prio=\d+ target_cpu=(\d+)")
MIGRATE = re.compile(r"pid=(\d+) prio=\d+ orig_cpu=\d+ dest_cpu=(\d+)")
STAT = re.compile(r"pid=(\d+) runtime=(\d+)")
# The collector's slice, a whole turn of the idle handle (slice, deferred
# freeing, replies), a step of deferred freeing, and INFO (gcload polls it
# every 2 ms during the collection).
DEFAULT_FUNCS = "hp_gc_step srv_gc_idle_turn hp_free_step cmd_info"


def add_probes(binary, group, funcs):
    """uprobes on the entry and return of funcs in binary (a private copy:
    uprobes are per file), as events group/F and group/F_ret__return (perf
    adds the suffix). Returns the group, or None when perf could not add
    them."""
    args = ["perf", "probe", "-q", "-x", binary]
    for f in funcs:
        args += ["-a", "%s:%s=%s" % (group, f, f),
                 "-a", "%s:%s_ret=%s%%return" % (group, f, f)]
    r = subprocess.run(args, capture_output=True, timeout=120)
    if r.returncode:
        print("# uprobes not added: %s" % r.stderr.decode().strip())
        return None
    return group


def del_probes(group):
    subprocess.run(["perf", "probe", "-q", "-d", group + ":*"],
                   capture_output=True, timeout=120)


class Tracer:
    """A private tracefs instance recording EVENTS (and the uprobes of
    group, when given) on every CPU."""

    def __init__(self, buf_mb, group=None):
        self.dir = os.path.join(TRACEFS, "instances",
                                "gencache-attrib-%d" % os.getpid())
        os.mkdir(self.dir)
        self.write("tracing_on", "0")
        self.write("trace_clock", "mono")
        self.write("buffer_size_kb", str(buf_mb * 1024))
        for e in EVENTS + ([group] if group else []):
            if os.path.exists(os.path.join(self.dir, "events", e)):
                self.write("events/%s/enable" % e, "1")

    def write(self, name, value):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(value)

    def start(self):
        self.write("tracing_on", "1")

    def stop(self):
        self.write("tracing_on", "0")

    def overruns(self):
        """Events lost to a full buffer, summed over the CPUs."""
        lost = 0
        for cpu in os.listdir(os.path.join(self.dir, "per_cpu")):
            with open(os.path.join(self.dir, "per_cpu", cpu, "stats")) as f:
                for line in f:
                    if line.startswith("overrun:"):
                        lost += int(line.split()[1])
        return lost

    def save(self, path):
        with open(os.path.join(self.dir, "trace"), "rb") as src, \
                open(path, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)

    def remove(self):
        """Stop, disable the events and delete the instance."""
        try:
            self.stop()
            self.write("events/enable", "0")
        finally:
            os.rmdir(self.dir)


class Timeline:
    """Scheduler state of the watched threads and what each CPU ran.

    This machine's sched_switch tracepoint (ftrace and perf alike) does
    not report every switch: on CPU 1 no switch out of the idle task is
    reported, nor out of some other tasks. So the task in whose context
    each event runs is checked against the CPU's known occupant, and the
    switches missed are put back (missed_switches: from the new task's
    sched_stat_runtime, else at the earliest moment, the rest of the
    interval up to the new task's first event kept as the inference's
    uncertainty, `gaps`)."""

    def __init__(self, watch):
        self.watch = set(watch)
        self.state = {}      # tid -> (state, cpu, since)
        self.spans = {t: [] for t in watch}  # (start, end, state, cpu)
        self.cpu_task = {}   # cpu -> (label, since, pid)
        self.cpu_runs = collections.defaultdict(list)  # (start, end, label)
        self.cpu_seen = {}   # cpu -> time of its last event
        self.gaps = collections.defaultdict(list)      # (start, end)
        self.comm = {}
        self.irq_depth = collections.defaultdict(int)
        self.irq_since = {}
        self.irqs = collections.defaultdict(list)      # (start, end)
        self.first = self.last = None
        self.ours = set()    # tids (str) of this run's server and gcload
        self.probes = set()  # names of the uprobed functions
        self.open_calls = collections.defaultdict(list)  # tid -> [(f, t)]
        self.calls = collections.defaultdict(list)  # tid -> (start, end, f)
        self.stint = {}      # tid -> [switched in, runtime ns]
        self.stints = collections.defaultdict(list)  # (start, end, run ns)

    def set_state(self, tid, t, state, cpu):
        old = self.state.get(tid)
        if state == "run" and (not old or old[0] != "run"):
            self.stint[tid] = [t, 0]
        elif old and old[0] == "run" and state != "run" and \
                tid in self.stint:
            start, ns = self.stint.pop(tid)
            self.stints[tid].append((start, t, ns))
        if old:
            if old[0] == state and old[1] == cpu:
                return
            self.spans[tid].append((old[2], t, old[0], old[1]))
        self.state[tid] = (state, cpu, t)

    def run_on(self, cpu, t, pid):
        old = self.cpu_task.get(cpu)
        if old:
            self.cpu_runs[cpu].append((old[1], t, old[0]))
        self.cpu_task[cpu] = (label(self.comm.get(pid, "?"), pid), t, pid)

    def switch_in(self, t_sw, cpu, pid, unsure_until):
        """A switch of cpu to pid at t_sw that the trace missed (the time
        is uncertain up to unsure_until unless that is None)."""
        cur = self.cpu_task.get(cpu)
        if cur is None:
            self.cpu_task[cpu] = (label(self.comm.get(pid, "?"), pid),
                                  self.first or t_sw, pid)
            return
        if cur[2] == pid:
            return
        if pid in self.state:
            t_sw = max(t_sw, self.state[pid][2])
        t_sw = max(t_sw, cur[1])
        if cur[2] in self.watch:
            self.set_state(cur[2], t_sw, "runq", cpu)
        if pid in self.watch:
            self.set_state(pid, t_sw, "run", cpu)
        self.run_on(cpu, t_sw, pid)
        if unsure_until is not None and unsure_until > t_sw:
            self.gaps[cpu].append((t_sw, unsure_until))

    def occupant(self, cpu, t, pid):
        """Evidence that pid runs on cpu at t: a switch the first pass did
        not put back is inferred at the earliest moment."""
        cur = self.cpu_task.get(cpu)
        if cur is None or cur[2] != pid:
            self.switch_in(min(self.cpu_seen.get(cpu, t), t), cpu, pid, t)

    def event(self, cpu, t, ctx, name, args):
        if self.first is None:
            self.first = t
        self.last = t
        if name == "sched_switch":
            m = SWITCH.match(args)
            if m:
                prev, nxt = int(m.group(2)), int(m.group(5))
                self.comm[prev], self.comm[nxt] = m.group(1), m.group(4)
                self.occupant(cpu, t, prev)
                if prev in self.watch:
                    runnable = m.group(3).startswith("R")
                    self.set_state(prev, t, "runq" if runnable else "sleep",
                                   cpu)
                if nxt in self.watch:
                    self.set_state(nxt, t, "run", cpu)
                self.run_on(cpu, t, nxt)
            self.cpu_seen[cpu] = t
            return
        self.occupant(cpu, t, ctx)
        self.cpu_seen[cpu] = t
        if name in self.probes or name.endswith("_ret__return"):
            if ctx in self.watch:
                self.call(ctx, t, name)
            return
        if name == "sched_stat_runtime":
            m = STAT.search(args)
            if m and int(m.group(1)) in self.stint:
                self.stint[int(m.group(1))][1] += int(m.group(2))
            return
        if name in ("sched_waking", "sched_wakeup", "sched_wakeup_new"):
            m = WAKE.match(args)
            if not m:
                return
            tid, target = int(m.group(2)), int(m.group(3))
            self.comm[tid] = m.group(1)
            if tid not in self.watch:
                return
            st = self.state.get(tid, ("untraced",))[0]
            if name == "sched_waking" and st in ("sleep", "untraced"):
                self.set_state(tid, t, "wake", target)
            elif name != "sched_waking" and st in ("sleep", "wake",
                                                   "untraced"):
                self.set_state(tid, t, "runq", target)
        elif name == "sched_migrate_task":
            m = MIGRATE.search(args)
            if m and int(m.group(1)) in self.watch:
                tid = int(m.group(1))
                st = self.state.get(tid)
                if st and st[0] in ("runq", "wake"):
                    self.set_state(tid, t, st[0], int(m.group(2)))
        elif name.endswith("_entry"):
            if self.irq_depth[cpu] == 0:
                self.irq_since[cpu] = t
            self.irq_depth[cpu] += 1
        elif name.endswith("_exit"):
            if self.irq_depth[cpu] > 0:
                self.irq_depth[cpu] -= 1
                if self.irq_depth[cpu] == 0:
                    self.irqs[cpu].append((self.irq_since[cpu], t))

    def call(self, tid, t, name):
        """A uprobe hit of thread tid: the entry or return of a function."""
        stack = self.open_calls[tid]
        if name in self.probes:
            stack.append((name, t))
            return
        f = name[:-len("_ret__return")]
        while stack:
            g, t0 = stack.pop()
            if g == f:
                self.calls[tid].append((t0, t, f))
                break

    def finish(self):
        for tid, st in self.state.items():
            self.spans[tid].append((st[2], self.last, st[0], st[1]))
        for cpu, (lab, since, _) in self.cpu_task.items():
            self.cpu_runs[cpu].append((since, self.last, lab))
        self.span_starts = {t: [s[0] for s in v]
                            for t, v in self.spans.items()}
        self.run_starts = {c: [r[0] for r in v]
                           for c, v in self.cpu_runs.items()}
        self.irq_starts = {c: [r[0] for r in v]
                           for c, v in self.irqs.items()}
        self.gap_starts = {c: [r[0] for r in v]
                           for c, v in self.gaps.items()}
        for tid in self.calls:
            self.calls[tid].sort()
        self.call_starts = {t: [c[0] for c in v]
                            for t, v in self.calls.items()}
        self.stint_starts = {t: [c[0] for c in v]
                             for t, v in self.stints.items()}


def label(comm, pid):
    """A task's name in the report: swapper for every idle task."""
    return "swapper" if pid == 0 else "%s:%d" % (comm, pid)


def overlapping(items, starts, a, b):
    """The (start, end, ...) tuples of items (sorted, non-overlapping, with
    starts their start times) that overlap [a, b), clipped to it."""
    i = max(bisect.bisect_right(starts, a) - 1, 0)
    while i < len(items) and items[i][0] < b:
        s, e = max(items[i][0], a), min(items[i][1], b)
        if e > s:
            yield (s, e) + tuple(items[i][2:])
        i += 1


def trace_events(path, lo, hi):
    """Yield (cpu, time, pid of the task in whose context it ran, event
    name, its fields) of the ftrace text file path between lo and hi
    (seconds, CLOCK_MONOTONIC)."""
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = LINE.match(line)
            if not m:
                continue
            t = float(m.group(4))
            if t < lo:
                continue
            if t > hi:
                break
            yield (int(m.group(3)), t, int(m.group(2)), m.group(5),
                   m.group(6))


def missed_switches(path, lo, hi):
    """First pass: the switches the trace does not report (see Timeline).
    A task found running on a CPU that the trace did not switch to was
    switched in when its first sched_stat_runtime there says (its time
    minus the runtime it reports: the kernel counts interrupts in it, as
    IRQ_TIME_ACCOUNTING is off), within [previous occupant's last event,
    its own first event]. Without such an event (the idle task), the
    earliest moment is taken and the interval kept as uncertain. Returns
    [(time, index of the task's first event in trace_events, cpu, pid, end
    of the uncertain interval or None)], sorted."""
    occ, seen, pending, out = {}, {}, {}, []
    for i, (cpu, t, ctx, name, args) in enumerate(
            trace_events(path, lo, hi)):
        who, nxt = ctx, None
        if name == "sched_switch":
            m = SWITCH.match(args)
            if not m:
                continue
            who, nxt = int(m.group(2)), int(m.group(5))
        if cpu in occ and occ[cpu] != who:
            p = pending.pop(cpu, None)
            if p:
                out.append((p[1], p[3], cpu, p[0], p[2]))
            pending[cpu] = (who, seen[cpu], t, i)
        p = pending.get(cpu)
        if p and name == "sched_stat_runtime":
            m = STAT.search(args)
            if m and int(m.group(1)) == p[0]:
                t_sw = min(max(t - int(m.group(2)) / 1e9, p[1]), p[2])
                out.append((t_sw, p[3], cpu, p[0], None))
                del pending[cpu]
        elif p and nxt is not None and who == p[0]:
            out.append((p[1], p[3], cpu, p[0], p[2]))
            del pending[cpu]
        occ[cpu] = who if nxt is None else nxt
        seen[cpu] = t
    out.extend((p[1], p[3], cpu, p[0], p[2]) for cpu, p in pending.items())
    out.sort()
    return out


def read_trace(path, tl, lo, hi):
    """Feed tl the events of the trace between lo and hi, with the
    switches it misses put back in (two passes)."""
    synth = missed_switches(path, lo, hi)
    i = 0
    for k, (cpu, t, ctx, name, args) in enumerate(
            trace_events(path, lo, hi)):
        # A switch goes after the old occupant's events at its time and
        # before the new one's first event.
        while i < len(synth) and (synth[i][0] < t or synth[i][1] <= k):
            t_sw, _, scpu, pid, unsure = synth[i]
            tl.switch_in(t_sw, scpu, pid, unsure)
            i += 1
        tl.event(cpu, t, ctx, name, args)
    tl.inferred_total = len(synth)
    tl.finish()


def read_log(path):
    """gcload's GCLOAD_SLOW_LOG: (marks in s, [(t0, t1) in s])."""
    marks, pings = {}, []
    with open(path) as f:
        for line in f:
            w = line.split()
            if w[0] == "ping":
                pings.append((int(w[1]) / 1e9, int(w[2]) / 1e9))
            elif w[0] == "tid":
                marks["tid"] = int(w[1])
            else:
                marks[w[0]] = int(w[1]) / 1e9
    return marks, pings


def add_run(tl, cpu, a, b, who, acc):
    """Account [a, b) of `who` (client/server) running on cpu into acc,
    interrupts on that cpu apart."""
    irq = sum(e - s for s, e in overlapping(tl.irqs.get(cpu, []),
                                            tl.irq_starts.get(cpu, []),
                                            a, b))
    acc["irq"] += irq
    acc[who + " run"] += (b - a) - irq


def add_others(tl, cpu, a, b, me, others):
    """Add to others the tasks other than me that ran on cpu in [a, b)
    (this run's own server and gcload threads marked with a *)."""
    for s, e, lab in overlapping(tl.cpu_runs.get(cpu, []),
                                 tl.run_starts.get(cpu, []), a, b):
        if not lab.endswith(":%d" % me):
            if lab.rsplit(":", 1)[-1] in tl.ours:
                lab += "*"
            others[lab] += e - s


def inferred(tl, cpu, a, b):
    """Seconds of [a, b) during which cpu's occupant is inferred."""
    return sum(e - s for s, e in overlapping(
        tl.gaps.get(cpu, []), tl.gap_starts.get(cpu, []), a, b))


def calls_in(tl, tid, a, b, acc):
    """Add to acc (function -> seconds) the uprobed calls of tid overlapping
    [a, b) (calls nest, so they are scanned back from b)."""
    calls = tl.calls.get(tid, [])
    i = bisect.bisect_left(tl.call_starts.get(tid, []), b) - 1
    while i >= 0 and calls[i][0] > a - 1.0:
        s, e, f = calls[i]
        if e > a:
            acc[f] += min(e, b) - max(s, a)
        i -= 1


def cpu_time(tl, tid, a, b):
    """Seconds of CPU the kernel charged tid within [a, b): each stint on a
    CPU (switch in to out) contributes its overlap scaled by its runtime
    (sched_stat_runtime, which leaves out time the hypervisor reports as
    stolen) over its wall time."""
    out = 0.0
    for s, e, ns in overlapping(tl.stints.get(tid, []),
                                tl.stint_starts.get(tid, []), a, b):
        full = next(x for x in tl.stints[tid][
            max(bisect.bisect_right(tl.stint_starts[tid], s) - 1, 0):]
            if x[1] >= e)
        wall = full[1] - full[0]
        out += (e - s) * (min(ns / 1e9 / wall, 1.0) if wall > 0 else 1.0)
    return out


def attribute(tl, ctid, stid, t0, t1, samples=None, hz=1):
    """Split the round trip [t0, t1] into CATS (seconds), plus "server
    stolen" (time the hypervisor took while the server ran, as far as the
    kernel's steal accounting knows), "server sampled" (perf samples of
    the server while it ran, at 1/hz s each: a sampling timer cannot fire
    while the vCPU is not running, so a shortfall against "server run"
    is time the hypervisor took without reporting it) and "calls"
    (seconds the server ran inside each uprobed function). Returns
    (acc, the tasks that ran instead of the client and of the server,
    longest server run stretch, seconds of it that rest on an inferred
    switch)."""
    acc = collections.Counter({c: 0.0 for c in CATS})
    others = collections.Counter()
    sothers = collections.Counter()
    fcalls = collections.Counter()
    stretch = unsure = 0.0
    for a, b, st, cpu in overlapping(tl.spans[ctid], tl.span_starts[ctid],
                                     t0, t1):
        if st != "sleep":
            unsure += inferred(tl, cpu, a, b)
        if st == "run":
            add_run(tl, cpu, a, b, "client", acc)
        elif st in ("runq", "wake"):
            acc["client " + st] += b - a
            add_others(tl, cpu, a, b, ctid, others)
        elif st == "untraced":
            acc["untraced"] += b - a
        else:
            for sa, sb, sst, scpu in overlapping(
                    tl.spans[stid], tl.span_starts[stid], a, b):
                if sst != "sleep":
                    unsure += inferred(tl, scpu, sa, sb)
                if sst == "run":
                    add_run(tl, scpu, sa, sb, "server", acc)
                    stretch = max(stretch, sb - sa)
                    acc["server stolen"] += max(
                        0.0, (sb - sa) - cpu_time(tl, stid, sa, sb))
                    calls_in(tl, stid, sa, sb, fcalls)
                    if samples:
                        acc["server sampled"] += (
                            bisect.bisect_left(samples[0], sb) -
                            bisect.bisect_left(samples[0], sa)) / hz
                elif sst in ("runq", "wake"):
                    acc["server " + sst] += sb - sa
                    add_others(tl, scpu, sa, sb, stid, sothers)
                elif sst == "untraced":
                    acc["untraced"] += sb - sa
                else:
                    acc["server sleep"] += sb - sa
    covered = sum(acc[c] for c in CATS)
    acc["untraced"] += max(0.0, (t1 - t0) - covered)
    acc["calls"] = fcalls
    return acc, others, sothers, stretch, unsure


def cause(acc):
    """The category holding most of a round trip."""
    return max(CATS, key=lambda c: acc[c])


def top(others, k):
    return ", ".join("%s %.2f" % (lab, s * 1e3)
                     for lab, s in others.most_common(k)) or "-"


def read_samples(path):
    """([times], [symbols]) of perf samples, sorted, or None."""
    if not path or not os.path.exists(path):
        return None
    out = []
    with open(path) as f:
        for line in f:
            w = line.split(None, 2)
            if len(w) >= 2 and w[0].endswith(":"):
                try:
                    out.append((float(w[0][:-1]),
                                w[2].strip() if len(w) == 3 else "?"))
                except ValueError:
                    continue
    out.sort()
    return [t for t, _ in out], [s for _, s in out]


def on_cpu(samples, hz, a, b):
    """The functions the server was sampled in within [a, b), as text
    ("name ms" at the sampling period each)."""
    if not samples:
        return "(not sampled)"
    times, syms = samples
    i, j = bisect.bisect_left(times, a), bisect.bisect_left(times, b)
    c = collections.Counter(syms[i:j])
    return ", ".join("%s %.2f" % (f, n * 1e3 / hz)
                     for f, n in c.most_common(6)) or "no samples"


def report(tl, marks, pings, counts, samples=None):
    """Print the per-PING tables and the summaries of both windows."""
    ctid, stid = marks["tid"], marks["stid"]
    windows = (("base", marks["base"], marks["send"]),
               ("during", marks["send"], float("inf")))
    held = []
    for name, lo, hi in windows:
        mine = [p for p in pings if lo <= p[1] < hi]
        print("\n### %s: %d of %s PINGs over %.1f ms (ms after the trigger, "
              "round trip and its parts in ms)\n" % (
                  name, len(mine), counts.get(name, "?"),
                  marks["slow_us"] / 1e3))
        print("| at ms | rtt | " + " | ".join(CATS) +
              " | longest server stretch | server run+irq reported stolen |"
              " server run sampled | inferred | "
              "most | server in (uprobes) | ran instead of client; of "
              "server (ms) |")
        print("|" + "---|" * (len(CATS) + 9))
        tot = collections.Counter()
        who = collections.Counter()
        swho = collections.Counter()
        most = collections.Counter()
        rtt = unsure_all = 0.0
        for t0, t1 in mine:
            acc, others, sothers, stretch, unsure = attribute(
                tl, ctid, stid, t0, t1, samples, marks["hz"])
            unsure_all += unsure
            fcalls = acc.pop("calls")
            tot.update(acc)
            who.update(others)
            swho.update(sothers)
            most[cause(acc)] += 1
            rtt += t1 - t0
            if acc["server run"] > 1e-3:
                held.append((name, t0, t1, acc["server run"], stretch,
                             acc["server stolen"], fcalls,
                             acc["server sampled"]))
            print("| %.1f | %.2f | %s | %.2f | %.2f | %s | %.2f | %s | %s | "
                  "%s; %s |" % (
                      (t0 - marks["send"]) * 1e3, (t1 - t0) * 1e3,
                      " | ".join("%.2f" % (acc[c] * 1e3) for c in CATS),
                      stretch * 1e3, acc["server stolen"] * 1e3,
                      "%.2f" % (acc["server sampled"] * 1e3) if samples
                      else "n/a", unsure * 1e3,
                      cause(acc), top(fcalls, 3), top(others, 2),
                      top(sothers, 2)))
        if not mine:
            continue
        print("\n**%s summary**: %d PINGs over %.1f ms, %.1f ms in all; " % (
            name, len(mine), marks["slow_us"] / 1e3, rtt * 1e3) +
            ", ".join("%s %.1f ms (%.0f%%)" % (c, tot[c] * 1e3,
                                               100 * tot[c] / rtt)
                      for c in CATS if tot[c] > 0) +
            "; of server run and its irqs, reported stolen: %.1f ms, "
            "covered by perf samples: %s ms" % (
                tot["server stolen"] * 1e3,
                "%.1f" % (tot["server sampled"] * 1e3) if samples else
                "n/a") +
            ". Largest part: %s. Ran instead of the client: %s. Instead of "
            "the server: %s. Resting on inferred switches: %.1f ms." % (
                ", ".join("%s in %d" % kv for kv in most.most_common()),
                top(who, 6), top(swho, 6), unsure_all * 1e3))
    print("\n**server holding a PING** (server run > 1 ms inside one round "
          "trip): %s" % ("none" if not held else "; ".join(
              "%s at %.1f ms: %.2f ms run (of it and its irqs %.2f ms "
              "reported stolen), longest stretch %.2f ms, in (uprobes): %s; "
              "perf samples cover %s ms of the run, in: %s" % (
                  n, (a - marks["send"]) * 1e3, r * 1e3, c * 1e3, s * 1e3,
                  top(f, 4), "%.2f" % (sm * 1e3) if samples else "n/a",
                  on_cpu(samples, marks["hz"], a, b))
              for n, a, b, r, s, c, f, sm in held)))


def steal():
    """Steal jiffies of every CPU from /proc/stat."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            w = line.split()
            if w[0].startswith("cpu") and w[0] != "cpu":
                out[w[0]] = int(w[8])
    return out


def analyse(trace, log, stid, counts, slow_us, funcs, ours=(),
            samples=None):
    """Read gcload's log and the trace; print the report. funcs: the
    uprobed functions; ours: tids (as strings) of the server's threads
    (gcload's two are known); samples: `perf script -F time,sym` of the
    server's executor, `perf script -F time,ip,sym`, or None)."""
    marks, pings = read_log(log)
    marks["stid"], marks["slow_us"] = stid, slow_us
    marks["hz"] = int(os.environ.get("PROFILE_HZ", "10000"))
    tl = Timeline([marks["tid"], stid])
    tl.ours = set(ours) | {str(marks["tid"]), str(marks["tid"] - 1)}
    tl.probes = set(funcs)
    first = min([marks["base"]] + [p[0] for p in pings])
    read_trace(trace, tl, first - 1.0, marks["end"] + 0.1)
    if tl.first is None or tl.first > first:
        print("# WARNING: the trace starts after the first PING (%s)" %
              tl.first)
    print("# %d switches missing from the trace, put back; %d of them "
          "with an uncertain time (%.1f ms of uncertainty in all)" % (
        tl.inferred_total, sum(len(v) for v in tl.gaps.values()),
        sum(e - s for v in tl.gaps.values() for s, e in v) * 1e3))
    report(tl, marks, pings, counts, read_samples(samples))


def on_term(signum, frame):
    raise SystemExit("attrib: signal %d" % signum)


def main():
    if len(sys.argv) in (4, 5):
        analyse(sys.argv[1], sys.argv[2], int(sys.argv[3]), {},
                int(os.environ.get("SLOW_US", "1000")),
                os.environ.get("FUNCS", DEFAULT_FUNCS).split(),
                samples=sys.argv[4] if len(sys.argv) == 5 else None)
        return 0
    signal.signal(signal.SIGTERM, on_term)
    n = int(os.environ.get("N", "10000000"))
    cycle = int(os.environ.get("CYCLE", "10000"))
    base_ms = int(os.environ.get("BASE_MS", "5000"))
    slow_us = int(os.environ.get("SLOW_US", "1000"))
    buf_mb = int(os.environ.get("BUF_MB", "384"))
    keep = os.environ.get("KEEP")
    funcs = os.environ.get("FUNCS", DEFAULT_FUNCS).split()
    work = tempfile.mkdtemp(prefix="gencache-attrib-")
    log = os.path.join(work, "slow.log")
    trace = os.path.join(work, "trace.txt")
    os.environ["GCLOAD_SLOW_LOG"] = log
    os.environ["GCLOAD_SLOW_US"] = str(slow_us)
    srv = tracer = group = perf = None
    profile_hz = int(os.environ.get("PROFILE_HZ", "10000"))
    samples_path = os.path.join(work, "perf.data")
    samples = os.path.join(work, "samples.txt") if profile_hz else None
    try:
        if os.environ.get("UPROBES", "1") == "1" and funcs:
            binary = os.path.join(work, "gencached")
            shutil.copy(os.environ["GENCACHED_BIN"], binary)
            os.environ["GENCACHED_BIN"] = binary
            group = add_probes(binary, "gcattrib%d" % os.getpid(), funcs)
        if not group:
            funcs = []
        srv = gcbench.Server("gencached")
        load0 = gcbench.loadavg()
        per_object = gcbench.load_graph(srv, n, cycle)
        tracer = Tracer(buf_mb, group)
        st0 = steal()
        load1 = gcbench.loadavg()
        tracer.start()
        if profile_hz:
            perf = subprocess.Popen(
                ["perf", "record", "-q", "-k", "CLOCK_MONOTONIC", "-m",
                 "2048", "-e", "cpu-clock", "-F", str(profile_hz), "-t",
                 str(srv.pid), "-o", samples_path],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        res = json.loads(srv.gcload(
            "stall", base_ms, 3600, "--tracked-zero", "CONFIG", "SET",
            "gc-enabled", "yes"))
        tracer.stop()
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait(60)
            perf = None
            with open(samples, "w") as out:
                subprocess.run(["perf", "script", "-i", samples_path, "--ns",
                                "-F", "time,ip,sym"], stdout=out,
                               stderr=subprocess.DEVNULL, timeout=600)
        ours = os.listdir("/proc/%d/task" % srv.pid)
        st1 = steal()
        load2 = gcbench.loadavg()
        g = gcbench.gc_fields(srv)
        lost = tracer.overruns()
        tracer.save(trace)
        tracer.remove()
        tracer = None
        print("# attrib %s: N %d, cycle %d, PIN %d, base %d ms, %.0f "
              "B/object; load average: start %s, trigger %s, end %s; "
              "steal during the trace (jiffies): %s; trace events lost: %d" %
              (time.strftime("%Y-%m-%d %H:%M:%S %Z"), n, cycle,
               gcbench.PIN, base_ms, per_object, load0, load1, load2,
               {c: st1[c] - st0[c] for c in st1}, lost))
        print("# collection: %.0f ms, %d slices, longest slice %.3f ms; "
              "PING base p99.9/max %.3f/%.3f ms, during p99.9/max "
              "%.3f/%.3f ms, over 1 ms %d (base %d)" % (
                  g["gc_duration_ms"], g["gc_slices"],
                  g["gc_slice_max_ms"], res["base"]["p999_us"] / 1e3,
                  res["base"]["max_us"] / 1e3,
                  res["during"]["p999_us"] / 1e3,
                  res["during"]["max_us"] / 1e3,
                  res["during"]["over_1ms"], res["base"]["over_1ms"]))
        sys.stdout.flush()
        analyse(trace, log, srv.pid, {k: res[k]["count"]
                                      for k in ("base", "during")}, slow_us,
                funcs, ours, samples)
        if keep:
            os.makedirs(keep, exist_ok=True)
            shutil.copy(trace, os.path.join(keep, "trace.txt"))
            shutil.copy(log, os.path.join(keep, "slow.log"))
            if samples:
                shutil.copy(samples, os.path.join(keep, "samples.txt"))
            print("# kept in %s (re-analyse: attrib.py %s/trace.txt "
                  "%s/slow.log %d %s)" % (keep, keep, keep, srv.pid,
                                          keep + "/samples.txt" if samples
                                          else ""))
    finally:
        if perf:
            perf.kill()
            perf.wait()
        if tracer:
            tracer.remove()
        if srv:
            srv.stop()
        if group:
            del_probes(group)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
