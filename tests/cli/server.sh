# server.sh -- sourced by the shell test and benchmark scripts: find a free
# loopback port and start or stop a server by PID (no ps, no ss).

# Print a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# wait_ping PORT PID [SECONDS]: wait until the server answers PING (PONG or
# NOAUTH). 0 when it does; 1 if PID exited or the time ran out.
wait_ping() {
    local port=$1 pid=$2 limit=${3:-10} i reply
    for ((i = 0; i < limit * 20; i++)); do
        kill -0 "$pid" 2>/dev/null || return 1
        reply=$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null || true)
        case "$reply" in PONG | NOAUTH*) return 0 ;; esac
        sleep 0.05
    done
    return 1
}

# start_server LOG BIN ARGS...: start BIN on a free port with ARGS (the
# port is appended as --port P). Sets SERVER_PID and SERVER_PORT; retries
# on a new port up to 5 times. Returns 1 (log on stderr) if it never
# answered.
start_server() {
    local log=$1 try
    shift
    for try in 1 2 3 4 5; do
        SERVER_PORT=$(free_port)
        "$@" --port "$SERVER_PORT" </dev/null >"$log" 2>&1 &
        SERVER_PID=$!
        if wait_ping "$SERVER_PORT" "$SERVER_PID" 30; then
            return 0
        fi
        stop_server "$SERVER_PID"
    done
    echo "could not start: $*" >&2
    sed 's/^/# /' "$log" >&2
    return 1
}

# stop_server PID: SIGTERM, up to 30 s, then SIGKILL. Returns the exit
# status (137 etc. if it had to be killed).
stop_server() {
    local pid=$1 i rc=0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 600; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || rc=$?
    return $rc
}
