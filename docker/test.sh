#!/usr/bin/env bash
# test.sh -- build the gencached image and test it for real, then the two
# compose files. Prints one "ok"/"not ok" line per check and ends with
# "N passed, M failed"; exits non-zero when a check failed.
#
#   docker/test.sh          (or: make docker-test)
#
# What it needs and does by itself:
# - a Docker engine: when `docker info` fails it starts dockerd (log in the
#   work directory) and stops it at the end; an engine that was running is
#   left alone. With DOCKER_HOST=unix:///some/dir/docker.sock the engine it
#   starts keeps its socket and state in /some/dir (no bridge network). Packages docker.io, docker-compose, debootstrap and
#   redis-tools are installed with apt-get when missing (root only).
# - the base image debian:bookworm-slim: used when present locally; else
#   loaded from $GENCACHE_BASE_CACHE (a `docker save` tar) when that file
#   exists; else made with `debootstrap --variant=minbase bookworm` from
#   $DEBIAN_MIRROR, slimmed like the official image and `docker import`ed
#   (and saved to $GENCACHE_BASE_CACHE when set). No registry is contacted.
# - every container uses host networking and listens on 127.0.0.1 ports
#   picked at random (never 6379); its containers and compose projects are
#   removed at the end. The images gencache:test, gencache-twemproxy:test
#   and the build cache are kept, so the next run rebuilds in seconds.
# (shellcheck takes the checks run through check() for unreachable code.)
# shellcheck disable=SC2317
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

IMAGE=${GENCACHE_IMAGE:-gencache:test}
PROXY_IMAGE=${GENCACHE_PROXY_IMAGE:-gencache-twemproxy:test}
BASE=debian:bookworm-slim
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SIZE_LIMIT_MB=100

work=$(mktemp -d "${TMPDIR:-/tmp}/gencache-docker-XXXXXX")
tag=gct$$
started_dockerd=
private_root=
containers=()
projects=()
pass=0
fail=0

log() { printf '# %s\n' "$*"; }

# check DESCRIPTION COMMAND...: one test case.
check() {
    local desc=$1
    shift
    if "$@" >>"$work/checks.log" 2>&1; then
        pass=$((pass + 1))
        echo "ok $((pass + fail)) - $desc"
    else
        fail=$((fail + 1))
        echo "not ok $((pass + fail)) - $desc"
    fi
}

# fatal MESSAGE: a step everything after depends on failed.
fatal() {
    fail=$((fail + 1))
    echo "not ok $((pass + fail)) - $*"
    finish
}

compose() {
    if docker-compose version >/dev/null 2>&1; then
        docker-compose "$@"
    else
        docker compose "$@"
    fi
}

cleanup() {
    local c p
    for p in "${projects[@]}"; do
        compose -p "${p%%:*}" -f "${p#*:}" down -t 5 >/dev/null 2>&1 || true
    done
    for c in "${containers[@]}"; do
        docker rm -f "$c" >/dev/null 2>&1 || true
    done
    if [ -n "$started_dockerd" ]; then
        log "stopping the dockerd this script started (pid $started_dockerd)"
        kill "$started_dockerd" 2>/dev/null || true
        for _ in $(seq 1 30); do
            kill -0 "$started_dockerd" 2>/dev/null || break
            sleep 1
        done
        # A private engine's network namespace stays mounted after it ends.
        if [ -n "$private_root" ]; then
            umount "$private_root/exec/netns/default" 2>/dev/null || true
        fi
    fi
    rm -rf "$work"
}

finish() {
    if [ "$fail" != 0 ] && [ -s "$work/checks.log" ]; then
        log "output of the checks (last 40 lines):"
        tail -n 40 "$work/checks.log" | sed 's/^/#   /'
    fi
    cleanup
    echo "$pass passed, $fail failed"
    [ "$fail" = 0 ]
    exit
}
trap 'fail=$((fail + 1)); echo "not ok - interrupted"; finish' INT TERM

# apt_install PACKAGE...: install missing Debian packages (root only).
apt_install() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
    log "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        "$@" >"$work/apt.log" 2>&1 ||
        { apt-get update >>"$work/apt.log" 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y \
                --no-install-recommends "$@" >>"$work/apt.log" 2>&1; }
}

# Make sure docker, docker-compose, redis-cli are there and an engine runs.
ensure_engine() {
    local need=()
    command -v docker >/dev/null || need+=(docker.io)
    command -v docker-compose >/dev/null || need+=(docker-compose)
    command -v redis-cli >/dev/null || need+=(redis-tools)
    if [ ${#need[@]} -gt 0 ]; then
        apt_install "${need[@]}" || return 1
    fi
    docker info >/dev/null 2>&1 && return 0
    command -v dockerd >/dev/null || return 1
    log "no Docker engine answers: starting dockerd"
    local args=()
    case "${DOCKER_HOST:-}" in
    unix://*)
        # A private engine next to a system one: its own socket, state and
        # no bridge (every container here uses host networking).
        private_root=$(dirname "${DOCKER_HOST#unix://}")
        args=(-H "$DOCKER_HOST" --data-root "$private_root/data"
              --exec-root "$private_root/exec"
              --pidfile "$private_root/dockerd.pid" --bridge none
              --iptables=false)
        ;;
    esac
    dockerd "${args[@]}" >"$work/dockerd.log" 2>&1 &
    started_dockerd=$!
    for _ in $(seq 1 60); do
        docker info >/dev/null 2>&1 && return 0
        kill -0 "$started_dockerd" 2>/dev/null || break
        sleep 1
    done
    tail -n 20 "$work/dockerd.log" | sed 's/^/#   /'
    return 1
}

# Create debian:bookworm-slim with debootstrap, trimmed the way the official
# slim image is (no docs, man pages or locales; no apt lists or caches).
make_base() {
    local root=$work/rootfs
    command -v debootstrap >/dev/null || apt_install debootstrap || return 1
    log "debootstrap --variant=minbase bookworm from $DEBIAN_MIRROR"
    debootstrap --variant=minbase bookworm "$root" "$DEBIAN_MIRROR" \
        >"$work/debootstrap.log" 2>&1 ||
        { tail -n 20 "$work/debootstrap.log" | sed 's/^/#   /'; return 1; }
    rm -f "$root/etc/apt/sources.list"
    cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $DEBIAN_MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
    printf 'Acquire::Languages "none";\n' \
        >"$root/etc/apt/apt.conf.d/docker-no-languages"
    find "$root/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null
    find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 \
        ! -name locale.alias -exec rm -rf {} + 2>/dev/null
    rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* \
        "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
        "$root"/var/lib/apt/lists/* "$root"/var/log/*.log "$root"/tmp/*
    tar --numeric-owner -C "$root" -c . |
        docker import --change 'CMD ["bash"]' - "$BASE" >/dev/null || return 1
    rm -rf "$root"
}

ensure_base() {
    docker image inspect "$BASE" >/dev/null 2>&1 && return 0
    if [ -n "${GENCACHE_BASE_CACHE:-}" ] && [ -f "$GENCACHE_BASE_CACHE" ]; then
        log "loading $BASE from $GENCACHE_BASE_CACHE"
        docker load -i "$GENCACHE_BASE_CACHE" >/dev/null &&
            docker image inspect "$BASE" >/dev/null 2>&1 && return 0
    fi
    make_base || return 1
    if [ -n "${GENCACHE_BASE_CACHE:-}" ]; then
        mkdir -p "$(dirname "$GENCACHE_BASE_CACHE")" &&
            docker save -o "$GENCACHE_BASE_CACHE" "$BASE" &&
            log "saved $BASE to $GENCACHE_BASE_CACHE"
    fi
    return 0
}

# free_port: print a loopback TCP port nobody listens on (not 6379).
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null &&
            ! grep -qx "$p" "$work/ports" 2>/dev/null; then
            echo "$p" >>"$work/ports"
            echo "$p"
            return
        fi
    done
}

# wait_pong PORT: wait up to 20 s for PONG on 127.0.0.1:PORT.
wait_pong() {
    for _ in $(seq 1 100); do
        [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return 0
        sleep 0.2
    done
    return 1
}

# expect WANT COMMAND...: COMMAND's output must be WANT exactly.
expect() {
    local want=$1 got
    shift
    got=$("$@" 2>&1)
    [ "$got" = "$want" ] && return 0
    echo "expected [$want], got [$got] from: $*"
    return 1
}

# contains NEEDLE COMMAND...: COMMAND's output must contain NEEDLE.
contains() {
    local needle=$1 got
    shift
    got=$("$@" 2>&1)
    case "$got" in *"$needle"*) return 0 ;; esac
    echo "[$needle] not in the output of: $*"
    echo "$got" | head -n 20
    return 1
}

health_of() { docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null; }

# wait_healthy CONTAINER: up to 60 s for the HEALTHCHECK to pass.
wait_healthy() {
    for _ in $(seq 1 60); do
        [ "$(health_of "$1")" = healthy ] && return 0
        sleep 1
    done
    echo "health of $1: $(health_of "$1")"
    docker inspect -f '{{json .State.Health}}' "$1"
    return 1
}

# stop_clean CONTAINER: docker stop (SIGTERM, 10 s) must end it with exit
# code 0 in well under the timeout (a SIGKILL would be 137 after 10 s).
stop_clean() {
    local t0 t1 code
    t0=$(date +%s)
    docker stop -t 10 "$1" >/dev/null || return 1
    t1=$(date +%s)
    code=$(docker inspect -f '{{.State.ExitCode}}' "$1")
    echo "exit code $code after $((t1 - t0)) s"
    [ "$code" = 0 ] && [ $((t1 - t0)) -lt 9 ]
}

# ---------------------------------------------------------------- images

t_start=$(date +%s)
# unavailable REASON: this machine cannot run containers. A failure, but a
# skip (exit 77) under GENCACHE_DOCKER_OPTIONAL=1, which .ci/run sets.
unavailable() {
    if [ "${GENCACHE_DOCKER_OPTIONAL:-0}" = 1 ]; then
        echo "docker: SKIPPED: $*"
        cleanup
        echo "0 passed, 0 failed"
        exit 77
    fi
    fatal "$*"
}

ensure_engine ||
    unavailable "no Docker engine (docker.io) could be installed or started"
ensure_base ||
    unavailable "no $BASE image could be made (debootstrap + docker import)"
docker run --rm --network host "$BASE" true >"$work/smoke.log" 2>&1 ||
    { sed 's/^/#   /' "$work/smoke.log"
      unavailable "the engine cannot run a container of $BASE"; }
t_base=$(date +%s)
log "base image ready in $((t_base - t_start)) s"

# image_id NAME: the image's id, or nothing.
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null; }

# prune_stale OLD_ID NAME: after a rebuild, remove the image NAME used to
# be (when it changed and no container uses it), and every build stage of
# docker/Dockerfile but the newest: without this each rebuild of a changed
# tree would leave ~320 MB behind.
prune_stale() {
    local ids
    if [ -n "$1" ] && [ "$1" != "$(image_id "$2")" ]; then
        docker rmi "$1" >/dev/null 2>&1 || true
    fi
    ids=$(docker images -q --no-trunc -f dangling=true \
        -f label=org.gencache.stage=build | tail -n +2)
    [ -z "$ids" ] || echo "$ids" | xargs docker rmi >/dev/null 2>&1 || true
}

old_image=$(image_id "$IMAGE")
old_proxy=$(image_id "$PROXY_IMAGE")

# Host networking for the RUN steps too: apt reaches the mirror the host
# uses without a bridge network.
if ! docker build --network host -f docker/Dockerfile -t "$IMAGE" . \
    >"$work/build.log" 2>&1; then
    tail -n 30 "$work/build.log" | sed 's/^/#   /'
    fatal "docker build -f docker/Dockerfile"
fi
if ! docker build --network host -f docker/twemproxy.Dockerfile \
    -t "$PROXY_IMAGE" docker >"$work/build-proxy.log" 2>&1; then
    tail -n 30 "$work/build-proxy.log" | sed 's/^/#   /'
    fatal "docker build -f docker/twemproxy.Dockerfile"
fi
prune_stale "$old_image" "$IMAGE"
prune_stale "$old_proxy" "$PROXY_IMAGE"
t_build=$(date +%s)
log "images built in $((t_build - t_base)) s"

size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
size_mb=$(((size + 999999) / 1000000))
log "image $IMAGE: $size_mb MB ($size bytes)"
check "image size ${size_mb} MB is under $SIZE_LIMIT_MB MB" \
    test "$size_mb" -lt "$SIZE_LIMIT_MB"
check "image runs as a non-root user" \
    expect gencache docker run --rm --network host --entrypoint id "$IMAGE" -un
check "image config listens on 0.0.0.0 with protected mode off" \
    sh -c "docker run --rm --network host --entrypoint cat '$IMAGE' \
        /etc/gencache/gencached.conf | grep -x 'bind 0.0.0.0' &&
        docker run --rm --network host --entrypoint cat '$IMAGE' \
        /etc/gencache/gencached.conf | grep -x 'protected-mode no'"
check "image exposes 6379/tcp" \
    contains 6379/tcp docker image inspect -f '{{json .Config.ExposedPorts}}' "$IMAGE"

# ------------------------------------------------------- single container

port=$(free_port)
name=$tag-single
containers+=("$name")
# Extra arguments pass through to gencached after the image's config.
if ! docker run -d --name "$name" --network host -e GENCACHE_PORT="$port" \
    "$IMAGE" --port "$port" --bind 127.0.0.1 --maxmemory 1gb \
    >>"$work/checks.log" 2>&1 || ! wait_pong "$port"; then
    docker logs "$name" 2>&1 | tail -n 20 | sed 's/^/#   /'
    fatal "container $name answers PING on 127.0.0.1:$port"
fi
check "PING" expect PONG redis-cli -p "$port" ping
check "SET" expect OK redis-cli -p "$port" set greeting hello
check "GET" expect hello redis-cli -p "$port" get greeting
check "INFO server reports the port" \
    contains "tcp_port:$port" redis-cli -p "$port" info server
check "INFO gc reports the collector" \
    contains "gc_enabled:1" redis-cli -p "$port" info gc
check "argument override: CONFIG GET maxmemory is 1gb" \
    expect "$(printf 'maxmemory\n1073741824')" \
    redis-cli -p "$port" config get maxmemory
check "image config is loaded: CONFIG GET protected-mode is no" \
    expect "$(printf 'protected-mode\nno')" \
    redis-cli -p "$port" config get protected-mode
check "gencached is PID 1 of the container" \
    expect gencached docker exec "$name" cat /proc/1/comm
check "HEALTHCHECK turns healthy" wait_healthy "$name"
check "SIGTERM (docker stop): exit code 0, well within 10 s" \
    stop_clean "$name"

# ------------------------------------------------------ docker-compose.yml

export GENCACHE_IMAGE=$IMAGE GENCACHE_PROXY_IMAGE=$PROXY_IMAGE
GENCACHE_PORT=$(free_port)
export GENCACHE_PORT
single=${tag}single
projects+=("$single:docker/docker-compose.yml")
if compose -p "$single" -f docker/docker-compose.yml up -d \
    >>"$work/checks.log" 2>&1 && wait_pong "$GENCACHE_PORT"; then
    check "compose: PING" expect PONG redis-cli -p "$GENCACHE_PORT" ping
    check "compose: the mounted config is used (maxmemory 256mb)" \
        expect "$(printf 'maxmemory\n268435456')" \
        redis-cli -p "$GENCACHE_PORT" config get maxmemory
    check "compose: the mounted config tunes the collector (gc-threshold0 2000)" \
        expect "$(printf 'gc-threshold0\n2000')" \
        redis-cli -p "$GENCACHE_PORT" config get gc-threshold0
    check "compose: healthy" \
        wait_healthy "$(compose -p "$single" -f docker/docker-compose.yml \
            ps -q gencached)"
else
    check "compose: docker/docker-compose.yml comes up" false
fi
compose -p "$single" -f docker/docker-compose.yml down -t 10 \
    >>"$work/checks.log" 2>&1

# ----------------------------------------------------- cluster.compose.yml

SHARD1_PORT=$(free_port)
SHARD2_PORT=$(free_port)
SHARD3_PORT=$(free_port)
PROXY_PORT=$(free_port)
PROXY_STATS_PORT=$(free_port)
export SHARD1_PORT SHARD2_PORT SHARD3_PORT PROXY_PORT PROXY_STATS_PORT
cluster=${tag}cluster
projects+=("$cluster:docker/cluster.compose.yml")
shards=("$SHARD1_PORT" "$SHARD2_PORT" "$SHARD3_PORT")

# proxy_ok: the proxy forwards a SET and a GET.
proxy_ok() {
    redis-cli -p "$PROXY_PORT" set probe 1 >/dev/null 2>&1 &&
        [ "$(redis-cli -p "$PROXY_PORT" get probe 2>/dev/null)" = 1 ]
}

# keys_spread: 60 keys through the proxy land on all three shards, and
# every one reads back through the proxy.
keys_spread() {
    local i s n total=0
    for i in $(seq 1 60); do
        redis-cli -p "$PROXY_PORT" set "key:$i" "value:$i" >/dev/null
    done
    for s in "${shards[@]}"; do
        n=$(redis-cli -p "$s" dbsize)
        echo "shard on port $s holds $n keys"
        [ "$n" -gt 0 ] || return 1
        total=$((total + n))
    done
    # 60 keys plus the "probe" key of proxy_ok.
    [ "$total" = 61 ] || return 1
    for i in $(seq 1 60); do
        [ "$(redis-cli -p "$PROXY_PORT" get "key:$i")" = "value:$i" ] || return 1
    done
}

# hash_tags_colocate: keys sharing a {tag} sit on one shard.
hash_tags_colocate() {
    local u s holders
    for u in $(seq 1 20); do
        redis-cli -p "$PROXY_PORT" mset "{user:$u}:profile" p \
            "{user:$u}:session" s >/dev/null
        holders=0
        for s in "${shards[@]}"; do
            [ "$(redis-cli -p "$s" exists "{user:$u}:profile" \
                "{user:$u}:session")" = 2 ] && holders=$((holders + 1))
        done
        [ "$holders" = 1 ] || { echo "{user:$u} is split"; return 1; }
    done
}

# unknown_closed: twemproxy closes the connection on a command it does not
# know (the documented REF.* limitation), and serves the next connection.
unknown_closed() {
    ! redis-cli -p "$PROXY_PORT" ref.get somekey >/dev/null 2>&1 &&
        [ "$(redis-cli -p "$PROXY_PORT" get key:1)" = value:1 ]
}

if compose -p "$cluster" -f docker/cluster.compose.yml up -d \
    >>"$work/checks.log" 2>&1; then
    for _ in $(seq 1 100); do
        proxy_ok && break
        sleep 0.2
    done
    check "cluster: the proxy forwards SET/GET" proxy_ok
    check "cluster: keys land on all three shards and read back" keys_spread
    log "keys per shard: $(for s in "${shards[@]}"; do
        printf '%s ' "$(redis-cli -p "$s" dbsize)"; done)"
    check "cluster: {hash tag} keys land on one shard" hash_tags_colocate
    check "cluster: unknown commands (REF.*) are refused by twemproxy" \
        unknown_closed
    check "cluster: the proxy's health check turns healthy" \
        wait_healthy "$(compose -p "$cluster" -f docker/cluster.compose.yml \
            ps -q proxy)"
else
    check "cluster: docker/cluster.compose.yml comes up" false
fi
compose -p "$cluster" -f docker/cluster.compose.yml down -t 10 \
    >>"$work/checks.log" 2>&1

log "total $(($(date +%s) - t_start)) s"
finish
