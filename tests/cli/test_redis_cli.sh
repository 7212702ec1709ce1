#!/usr/bin/env bash
# test_redis_cli.sh -- redis-cli against a real gencached: plain commands,
# --pipe mass insertion, --scan, INFO, output quoting and RESP3. TAP output.
# Needs GENCACHED_BIN (meson sets it), redis-cli and python3.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/server.sh"

bin=${GENCACHED_BIN:?GENCACHED_BIN is not set}
work=$(mktemp -d "${TMPDIR:-/tmp}/gencache-cli-XXXXXX")
n=0
failed=0

cleanup() {
    [ -n "${SERVER_PID:-}" ] && stop_server "$SERVER_PID"
    rm -rf "$work"
}
trap cleanup EXIT

# check NAME EXPECTED ACTUAL: one TAP line.
check() {
    n=$((n + 1))
    if [ "$2" = "$3" ]; then
        echo "ok $n - $1"
    else
        failed=$((failed + 1))
        echo "not ok $n - $1"
        printf '# expected: %q\n#      got: %q\n' "$2" "$3"
    fi
}

# check_grep NAME REGEX TEXT: TEXT has a line matching REGEX.
check_grep() {
    n=$((n + 1))
    if grep -qE -- "$2" <<<"$3"; then
        echo "ok $n - $1"
    else
        failed=$((failed + 1))
        echo "not ok $n - $1"
        printf '# no line matches %s in:\n' "$2"
        head -20 <<<"$3" | sed 's/^/#   /'
    fi
}

cd "$work"
io_args=()
if [ -n "${GENCACHE_IO_THREADS:-}" ]; then
    io_args=(--io-threads "$GENCACHE_IO_THREADS")
fi
if ! start_server "$work/server.log" "$bin" --bind 127.0.0.1 --save '' \
    --appendonly no "${io_args[@]}"; then
    echo "1..1"
    echo "not ok 1 - gencached starts and answers PING"
    exit 1
fi
cli() {
    redis-cli -h 127.0.0.1 -p "$SERVER_PORT" "$@" 2>&1
}

check "set a b" "OK" "$(cli set a b)"
check "get a" "b" "$(cli get a)"
check "get of a missing key prints nothing in raw mode" "" "$(cli get nosuchkey)"
check "del a" "1" "$(cli del a)"

# Mass insertion: 100k SET commands as RESP through --pipe.
python3 - >"$work/mass.resp" <<'PY'
import sys
out = []
for i in range(100000):
    k, v = "key:%d" % i, "value:%d" % i
    out.append("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n"
               % (len(k), k, len(v), v))
sys.stdout.write("".join(out))
PY
pipe_out=$(cli --pipe <"$work/mass.resp")
check_grep "--pipe of 100000 SETs: no errors" \
    '^errors: 0, replies: 100000$' "$pipe_out"
check "dbsize after --pipe" "100000" "$(cli dbsize)"
check "a piped key reads back" "value:4242" "$(cli get key:4242)"
check "--scan sees every key" "100000" "$(cli --scan | wc -l | tr -d ' ')"
check "--scan --pattern 'key:1*'" "11111" \
    "$(cli --scan --pattern 'key:1*' | wc -l | tr -d ' ')"
check "--scan --pattern 'key:99*' (unique keys)" "1111" \
    "$(cli --scan --pattern 'key:99*' | sort -u | wc -l | tr -d ' ')"

info=$(cli info)
check_grep "INFO has redis_version" '^redis_version:[0-9]+\.[0-9]+' "$info"
check_grep "INFO has the keyspace line" '^db0:keys=100000,' "$info"
check_grep "INFO server has its section header" '^# Server' \
    "$(cli info server)"

cli set nl $'x\ny' >/dev/null
check "--no-raw quotes a newline" '"x\ny"' "$(cli --no-raw get nl)"
check "--raw prints it unquoted" $'x\ny' "$(cli --raw get nl)"
check "--no-raw integer" "(integer) 100001" "$(cli --no-raw dbsize)"
check "--no-raw nil" "(nil)" "$(cli --no-raw get nosuchkey)"
check_grep "--no-raw error" '^\(error\) ERR wrong number of arguments' \
    "$(cli --no-raw get)"

hello=$(cli -3 hello 3)
check_grep "-3 HELLO 3 reports proto 3" '^proto 3$' "$hello"
check_grep "-3 HELLO 3 reports the server name" '^server ' "$hello"
check "-3 get" "value:1" "$(cli -3 get key:1)"
check "flushall" "OK" "$(cli flushall)"
check "dbsize after flushall" "0" "$(cli dbsize)"

stop_server "$SERVER_PID"
rc=$?
SERVER_PID=
check "gencached exits 0 on SIGTERM" "0" "$rc"
if [ "$rc" != 0 ]; then
    sed 's/^/# /' "$work/server.log" | tail -40
fi

# jemalloc's options built into gencached (server/main.c) take effect:
# stats_print, from the environment (which adds to them), prints them at
# exit. Under the C library's malloc there is nothing to check.
if start_server "$work/stats.log" env MALLOC_CONF=stats_print:true "$bin" \
    --bind 127.0.0.1 --save '' --appendonly no; then
    allocator=$(cli info memory | tr -d '\r' | sed -n 's/^mem_allocator://p')
    stop_server "$SERVER_PID"
    SERVER_PID=
    case "$allocator" in
    jemalloc-*)
        check_grep "jemalloc runs with gencached's oversize_threshold 0" \
            '^ *opt\.oversize_threshold: 0$' "$(cat "$work/stats.log")"
        check_grep "jemalloc runs with gencached's tcache_nslots_small_max" \
            '^ *opt\.tcache_nslots_small_max: 1024$' \
            "$(cat "$work/stats.log")"
        check_grep "jemalloc runs with gencached's lg_tcache_nslots_mul" \
            '^ *opt\.lg_tcache_nslots_mul: 4$' "$(cat "$work/stats.log")"
        ;;
    esac
else
    check "gencached starts with MALLOC_CONF set" "started" "failed"
fi

echo "1..$n"
[ "$failed" = 0 ]
