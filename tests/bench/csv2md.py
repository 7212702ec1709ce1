#!/usr/bin/env python3
"""Markdown tables (as in RESULTS.md) from a CSV written by bench.sh --csv.

Usage: csv2md.py FILE.csv
"""
import csv
import sys


def num(x, spec):
    """x (CSV text) formatted with spec, or '' when empty."""
    return "" if x in ("", None) else spec % float(x)


def bold_below(x, limit=1.0):
    """Ratio text, bold when below limit."""
    if x in ("", None):
        return ""
    s = "%.2f" % float(x)
    return "**%s**" % s if float(x) < limit else s


def label(r):
    """Row label: test name and value size."""
    t = "PING" if r["test"].startswith("ping") else r["test"].upper()
    return t, ("-" if r["size"] in ("", "0") else r["size"])


def throughput(rows):
    """The throughput table."""
    print("| test | size | P | requests | redis ops/s | genc ops/s | ops B/A "
          "| ops A/A | cpu B/A | cpu A/A | redis us/req | genc us/req |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        t, size = label(r)
        print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |"
              % (t, size, r["pipeline"], r["requests"],
                 num(r["redis_ops"], "%.0f"), num(r["genc_ops"], "%.0f"),
                 bold_below(r["ops_ratio"]), num(r["ops_ratio_aa"], "%.2f"),
                 bold_below(r["cpu_ratio"]), num(r["cpu_ratio_aa"], "%.2f"),
                 num(r["redis_us_per_req"], "%.2f"),
                 num(r["genc_us_per_req"], "%.2f")))


def latency(rows):
    """The fixed-rate latency table."""
    print("| test | rate/s | server | p50 us | p99 us | p99.9 us | max us "
          "| p99 ratio | p99.9 ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        for pre, name in (("redis", "redis"), ("genc", "gencached"),
                          ("redis2", "redis (A2)")):
            if r.get(pre + "_p50_us") in ("", None):
                continue
            ratios = ("", "")
            if pre == "genc":
                ratios = (num(r["p99_ratio"], "%.2f"),
                          num(r["p999_ratio"], "%.2f"))
            elif pre == "redis2":
                ratios = (num(r["p99_ratio_aa"], "%.2f") + " (A/A)",
                          num(r["p999_ratio_aa"], "%.2f") + " (A/A)")
            print("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                r["test"].upper(), r["rate"], name,
                num(r[pre + "_p50_us"], "%.0f"),
                num(r[pre + "_p99_us"], "%.0f"),
                num(r[pre + "_p999_us"], "%.0f"),
                num(r[pre + "_max_us"], "%.0f"), ratios[0], ratios[1]))


def memory(rows):
    """The memory table."""
    print("| data | elements | payload B | redis B/elem | genc B/elem | ratio "
          "| encoding (redis / genc) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %s | %s | %s | %s | %s / %s |" % (
            r["test"], r["elements"], r["payload_bytes"],
            num(r["redis_bytes_per_elem"], "%.1f"),
            num(r["genc_bytes_per_elem"], "%.1f"),
            num(r["mem_ratio"], "%.2f"), r["redis_encoding"],
            r["genc_encoding"]))


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with open(argv[1], newline="") as f:
        rows = list(csv.DictReader(f))
    for kind, fn in (("throughput", throughput), ("latency", latency),
                     ("memory", memory)):
        sub = [r for r in rows if r["kind"] == kind]
        if sub:
            print("\n### %s\n" % kind.capitalize())
            fn(sub)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
