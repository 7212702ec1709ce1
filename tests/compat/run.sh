#!/usr/bin/env bash
# run.sh -- run the units of Redis's own Tcl suite listed in units.txt (one
# per line, "#" comments) against a fresh gencached on a free port, through
# $SHARED/compat/redis-suite.sh. Last line: "N passed, M failed".
# Env: GENCACHED_BIN (required), SHARED (default ../shared from the repo
# root), REDIS_SUITE_PROFILE (default nodebug), GENCACHE_IO_THREADS (run the
# server with that many I/O threads), any redis-suite.sh knob.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/tests/cli/server.sh"

bin=${GENCACHED_BIN:?GENCACHED_BIN is not set}
case "$bin" in /*) ;; *) bin=$PWD/$bin ;; esac
shared=$(cd "$root" && realpath "${SHARED:-../shared}")
suite=$shared/compat/redis-suite.sh
[ -x "$suite" ] || { echo "no $suite"; echo "0 passed, 1 failed"; exit 1; }

mapfile -t units < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/units.txt" | grep -v '^$')
[ ${#units[@]} -gt 0 ] || { echo "no units in $here/units.txt"; exit 0; }

work=$(mktemp -d "${TMPDIR:-/tmp}/gencache-compat-XXXXXX")
cd "$work" || exit 1
io_args=()
if [ -n "${GENCACHE_IO_THREADS:-}" ]; then
    io_args=(--io-threads "$GENCACHE_IO_THREADS")
fi
if ! start_server "$work/server.log" "$bin" --bind 127.0.0.1 --save '' \
    --appendonly no "${io_args[@]}"; then
    rm -rf "$work"
    echo "0 passed, 1 failed"
    exit 1
fi
trap 'stop_server "$SERVER_PID"; rm -rf "$work"' EXIT

# The suite's control socket: a random base rather than its fixed 21079,
# so two runs on one machine (developers, CI) do not collide.
export REDIS_SUITE_CTRL_PORT=${REDIS_SUITE_CTRL_PORT:-$((20000 + RANDOM % 20000))}
REDIS_SUITE_PROFILE=${REDIS_SUITE_PROFILE:-nodebug} \
    "$suite" "$SERVER_PORT" "${units[@]}" | tee "$work/suite.out"
rc=${PIPESTATUS[0]}
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "gencached died during the suite; its log:"
    tail -40 "$work/server.log" | sed 's/^/# /'
    rc=1
    grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/suite.out" | tail -n 1
fi
exit "$rc"
