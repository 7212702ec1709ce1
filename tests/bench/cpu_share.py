#!/usr/bin/env python3
"""Where a request's CPU goes with io-threads: the executor's share.

Runs redis-benchmark against gencached with several io-threads settings and
reads each server thread's CPU time (utime + stime from
/proc/PID/task/TID/stat) before and after, so it reports, per request:

  exec_us   CPU of the executor thread (commands, the heap, hand-offs)
  io_us     CPU of all I/O threads (system calls, parsing, writing)
  share     exec_us / (exec_us + io_us): the part no I/O thread can take

With enough cores the executor is the bottleneck at 1 / exec_us requests
per second (Amdahl): that is what the README's sizing advice is built on.

Usage: cpu_share.py [--bin GENCACHED] [--threads 0,1,2,3] [--requests N]
                    [--pipeline 1,32] [--tests set,get] [--csv FILE]
The server is pinned to the cores given by --server-cpus (default: all but
core 0) and the client to --client-cpus (default: core 0).
"""
import argparse
import csv
import os
import random
import re
import socket
import subprocess
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid):
    """{thread name: CPU seconds} for every thread of pid."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                stat = f.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        secs = (int(fields[11]) + int(fields[12])) / CLK_TCK
        key = name if name.startswith("io-thread-") else "executor" \
            if int(tid) == pid else name + ":" + tid
        out[key] = out.get(key, 0.0) + secs
    return out


def free_port():
    for _ in range(50):
        port = random.randint(20000, 60000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise SystemExit("no free port")


def wait_ready(port, limit=10.0):
    end = time.time() + limit
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("gencached did not start")


def bench(port, test, pipeline, requests, clients, client_cpus):
    """ops/s of one redis-benchmark run."""
    cmd = ["taskset", "-c", client_cpus, "redis-benchmark", "-p", str(port),
           "-q", "-t", test, "-n", str(requests), "-c", str(clients),
           "-P", str(pipeline), "-r", "100000"]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    m = re.findall(r"([\d.]+) requests per second", out.replace("\r", "\n"))
    return float(m[-1]) if m else 0.0


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get(
        "GENCACHED_BIN", "build-release/server/gencached"))
    ap.add_argument("--threads", default="0,1,2,3")
    ap.add_argument("--pipeline", default="1,32")
    ap.add_argument("--tests", default="set,get")
    ap.add_argument("--requests", type=int, default=1000000)
    ap.add_argument("--clients", type=int, default=50)
    ncpu = os.cpu_count() or 2
    ap.add_argument("--server-cpus", default="1-%d" % (ncpu - 1)
                    if ncpu > 1 else "0")
    ap.add_argument("--client-cpus", default="0")
    ap.add_argument("--csv")
    a = ap.parse_args(argv)

    rows = []
    print("%-8s %-5s %3s %12s %9s %9s %7s" % (
        "test", "-P", "io", "ops/s", "exec_us", "io_us", "share"))
    for n in [int(x) for x in a.threads.split(",")]:
        port = free_port()
        srv = subprocess.Popen(
            ["taskset", "-c", a.server_cpus, a.bin, "--port", str(port),
             "--bind", "127.0.0.1", "--save", "", "--io-threads", str(n)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_ready(port)
            for test in a.tests.split(","):
                for p in [int(x) for x in a.pipeline.split(",")]:
                    before = thread_cpu(srv.pid)
                    ops = bench(port, test, p, a.requests, a.clients,
                                a.client_cpus)
                    after = thread_cpu(srv.pid)
                    exe = after.get("executor", 0) - before.get("executor", 0)
                    io = sum(after[k] - before.get(k, 0) for k in after
                             if k.startswith("io-thread-"))
                    exec_us = exe / a.requests * 1e6
                    io_us = io / a.requests * 1e6
                    share = exec_us / (exec_us + io_us) if exec_us + io_us \
                        else 0.0
                    rows.append([test, p, n, round(ops), round(exec_us, 3),
                                 round(io_us, 3), round(share, 3)])
                    print("%-8s %-5d %3d %12.0f %9.3f %9.3f %7.2f" % (
                        test, p, n, ops, exec_us, io_us, share))
        finally:
            srv.terminate()
            srv.wait()
    if a.csv:
        with open(a.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["test", "pipeline", "io_threads", "ops_per_sec",
                        "executor_us_per_req", "io_us_per_req",
                        "executor_share"])
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
