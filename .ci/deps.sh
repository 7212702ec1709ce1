#!/usr/bin/env bash
# deps.sh -- install what building, testing and benchmarking gencache need,
# but only what is missing: a warm machine never touches apt.
# Usage: .ci/deps.sh [extra-debian-package ...]
set -euo pipefail

packages=(build-essential clang meson ninja-build pkg-config libuv1-dev
          libjemalloc-dev libcmocka-dev libhiredis-dev redis-tools redis-server tcl python3
          "$@")

# Commands that must answer even when dpkg says all is installed (and the
# only check on a machine without dpkg).
commands=(cc clang meson ninja pkg-config redis-cli redis-benchmark
          redis-server tclsh python3)

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for p in "${packages[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        [ "$status" = "install ok installed" ] || missing+=("$p")
    done
fi
for c in "${commands[@]}"; do
    if ! command -v "$c" >/dev/null 2>&1; then
        missing+=("cmd:$c")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: missing: ${missing[*]}"
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: not root or no apt-get: install these yourself" >&2
    exit 0
fi

# Package names for the commands that were missing.
install=()
for m in "${missing[@]}"; do
    case "$m" in
    cmd:cc) install+=(build-essential) ;;
    cmd:ninja) install+=(ninja-build) ;;
    cmd:redis-cli | cmd:redis-benchmark) install+=(redis-tools) ;;
    cmd:tclsh) install+=(tcl) ;;
    cmd:*) install+=("${m#cmd:}") ;;
    *) install+=("$m") ;;
    esac
done

# Keep the redis-server package from starting a service on port 6379
# while it installs (the Debian policy-rc.d convention).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    made_policy=1
fi
trap '[ "$made_policy" = 1 ] && rm -f "$policy"' EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends $(printf '%s\n' "${install[@]}" | sort -u)
