# buildtype.sh -- sourced by the benchmark drivers (bench.sh, gc/run.sh).
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
