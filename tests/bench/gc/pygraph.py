#!/usr/bin/env python3
"""CPython's side of the collector benchmark: the object graph gcload.c
builds in gencached ("cycles N LEN"), as dicts, collected by gc.collect().

N dicts, each {"next": <the next dict of its cycle>}, in cycles of LEN
(the last one short when LEN does not divide N). Automatic collection is
off while they are built (as gencached's graph is built with gc-enabled
no); the list holding them is dropped so every dict is cyclic garbage,
then one full gc.collect() is timed.

Usage: pygraph.py N LEN
Prints one JSON object: objects, collected (what gc.collect() returned),
seconds, ns_per_object (wall clock), cpu_seconds, cpu_ns_per_object (the
thread's CPU time, user and system), and the python version.
"""
import gc
import json
import sys
import time


def build(n, length):
    """A list of n dicts forming cycles of `length` through key "next"."""
    nodes = [{} for _ in range(n)]
    for start in range(0, n, length):
        last = min(start + length, n) - 1
        for i in range(start, last):
            nodes[i]["next"] = nodes[i + 1]
        nodes[last]["next"] = nodes[start]
    return nodes


def main(argv):
    if len(argv) != 3:
        print("usage: pygraph.py N LEN", file=sys.stderr)
        return 2
    n, length = int(argv[1]), int(argv[2])
    gc.disable()
    gc.collect()
    nodes = build(n, length)
    del nodes
    c0 = time.thread_time()
    t0 = time.perf_counter()
    collected = gc.collect()
    secs = time.perf_counter() - t0
    cpu = time.thread_time() - c0
    print(json.dumps({"objects": n, "collected": collected,
                      "seconds": secs,
                      "ns_per_object": secs * 1e9 / max(1, collected),
                      "cpu_seconds": cpu,
                      "cpu_ns_per_object": cpu * 1e9 / max(1, collected),
                      "python": sys.version.split()[0]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
