# buildtype.sh -- sourced by the benchmark drivers (bench.sh, servercap.sh,
# gc/run.sh, gc/trackir.sh, gc/attrib.sh).
# bench_buildtype BIN: print the meson build type of the gencached binary
# BIN when it lives in a meson build dir (BUILD/server/gencached), else
# "unknown".
bench_buildtype() {
    local info
    info=$(dirname "$(dirname "$1")")/meson-info/intro-buildoptions.json
    if [ ! -f "$info" ]; then
        echo unknown
        return
    fi
    python3 -c 'import json, sys
print(next(o["value"] for o in json.load(open(sys.argv[1]))
           if o["name"] == "buildtype"))' "$info"
}

# bench_gencached_bin ROOT: the gencached binary the gc drivers use:
# $GENCACHED_BIN, else ROOT's build-release/server/gencached when built,
# else ROOT/build/server/gencached; an absolute path.
bench_gencached_bin() {
    local bin=${GENCACHED_BIN:-}
    if [ -z "$bin" ]; then
        bin=$1/build/server/gencached
        [ -x "$1/build-release/server/gencached" ] &&
            bin=$1/build-release/server/gencached
    fi
    case "$bin" in /*) ;; *) bin=$PWD/$bin ;; esac
    echo "$bin"
}

# bench_require WHO TOOL...: exit 1 with "WHO: TOOL not found" unless every
# TOOL is a command or an executable path.
bench_require() {
    local who=$1 t
    shift
    for t in "$@"; do
        command -v "$t" >/dev/null || { echo "$who: $t not found" >&2; exit 1; }
    done
}

# bench_workdir NAME: make $work, a temporary directory, and $pids, an
# empty list of server PIDs; at exit (bench_cleanup) every server in
# $pids is stopped and $work removed. Needs tests/cli/server.sh.
bench_workdir() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/gencache-$1-XXXXXX")
    pids=()
    trap bench_cleanup EXIT
}

bench_cleanup() {
    local p
    for p in "${pids[@]}"; do stop_server "$p" || true; done
    rm -rf "$work"
}
