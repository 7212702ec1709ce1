#!/usr/bin/env bash
# attrib.sh -- where the time of every PING round trip over 1 ms goes
# while the incremental collector frees a 10M-object garbage graph
# (issue 4), and in a baseline window with no collection: the scheduler
# and interrupt events of both CPUs are recorded in a private tracefs
# instance and every slow PING is split into client/server running,
# waiting for a CPU (and who ran instead), wake-up in flight, asleep and
# interrupts; uprobes and perf samples say what the server ran. Prints a
# table per slow PING and a summary per window. attrib.py's docstring
# has the method and the categories. One run: ~70 s at 10M objects plus
# the analysis. Not part of `make test`; needs root (tracefs, perf).
# Usage: attrib.sh
# Env: GENCACHED_BIN (as run.sh: build-release/server/gencached when
# built, else build/server/gencached), CC (cc), TIMEOUT_S (1800: the
# whole run is killed after it; the server, gcload and the tracefs
# instance and uprobes are cleaned up), and attrib.py's N (10000000),
# CYCLE (10000), BASE_MS (5000), SLOW_US (1000), PIN (1), BUF_MB (384),
# UPROBES (1), FUNCS, PROFILE_HZ (10000), KEEP (dir), GENCACHED_ARGS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

. "$here/../buildtype.sh"
bin=$(bench_gencached_bin "$root")
export GENCACHED_BIN=$bin
bench_require attrib python3 taskset timeout "${CC:-cc}" "$bin"
if [ ! -w /sys/kernel/tracing/instances ]; then
    echo "attrib: needs root and tracefs at /sys/kernel/tracing" >&2
    exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/gencache-attrib-XXXXXX")
trap 'rm -rf "$work"' EXIT
"${CC:-cc}" -std=c11 -O2 -Wall -Wextra -Werror -pthread \
    -o "$work/gcload" "$here/gcload.c" -lhiredis
export GCLOAD=$work/gcload

echo "# gencached buildtype: $(bench_buildtype "$bin")"
timeout "${TIMEOUT_S:-1800}" python3 "$here/attrib.py"
