#!/usr/bin/env python3
"""Count individual test cases in meson testlog.json files.

A TAP test (cmocka with CMOCKA_MESSAGE_OUTPUT=TAP) counts each "ok N" and
"not ok N" line; planned cases that never reported count as failed, and a
test program that ended badly with no failing case (a crash, a failing
group teardown, a timeout) counts one more failure. Any other test counts
as one case by its meson result.

Usage: summary.py [--extra PASSED FAILED] TESTLOG.json...
Prints the failing tests, then the last line exactly "N passed, M failed".
Exit status 1 when M > 0 or no test ran at all.
"""
import json
import re
import sys

OK_RESULTS = {"OK", "EXPECTEDFAIL"}
PLAN = re.compile(r"^1\.\.(\d+)")
OK_LINE = re.compile(r"^ok\b")
NOT_OK_LINE = re.compile(r"^not ok\b")
SKIP = re.compile(r"#\s*skip", re.IGNORECASE)


def count_tap(stdout):
    """Return (passed, failed, skipped, planned) from TAP text."""
    passed = failed = skipped = 0
    planned = None
    for line in stdout.splitlines():
        m = PLAN.match(line)
        if m and planned is None:
            planned = int(m.group(1))
        elif NOT_OK_LINE.match(line):
            failed += 1
        elif OK_LINE.match(line):
            if SKIP.search(line):
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped, planned


def count_test(t):
    """Return (passed, failed, skipped, failing-case names) for one test."""
    result = t.get("result", "ERROR")
    stdout = t.get("stdout") or ""
    if result == "SKIP":
        return 0, 0, 1, []
    if not PLAN.search(stdout) and not re.search(r"^(not )?ok\b", stdout,
                                                  re.MULTILINE):
        ok = result in OK_RESULTS
        return (1, 0, 0, []) if ok else (0, 1, 0, [t["name"] + " " + result])
    passed, failed, skipped, planned = count_tap(stdout)
    names = [t["name"] + ": " + l for l in stdout.splitlines()
             if NOT_OK_LINE.match(l)]
    if planned is not None and passed + failed + skipped < planned:
        missing = planned - passed - failed - skipped
        failed += missing
        names.append("%s: %d planned cases never ran" % (t["name"], missing))
    if result not in OK_RESULTS and failed == 0:
        failed = 1
        names.append("%s: %s (exit %s)" % (t["name"], result,
                                            t.get("returncode")))
    return passed, failed, skipped, names


def main(argv):
    passed = failed = skipped = 0
    names = []
    args = argv[1:]
    if len(args) >= 3 and args[0] == "--extra":
        passed += int(args[1])
        failed += int(args[2])
        args = args[3:]
    for path in args:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.readlines()
        except OSError as e:
            print("summary: %s: %s" % (path, e))
            failed += 1
            continue
        for line in lines:
            line = line.strip()
            if not line:
                continue
            p, fl, s, n = count_test(json.loads(line))
            passed += p
            failed += fl
            skipped += s
            names += n
    if names:
        print("Failing cases:")
        for n in names:
            print("  " + n)
    if skipped:
        print("(%d skipped)" % skipped)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
