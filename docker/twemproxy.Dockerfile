# twemproxy (Debian's nutcracker package) in front of gencached shards; used
# by docker/cluster.compose.yml. Build with the docker/ directory as context:
#
#   docker build -f docker/twemproxy.Dockerfile -t gencache-twemproxy docker
#
# The pool is written at start from the environment (twemproxy-entrypoint.sh),
# or taken as is when a file is mounted at /etc/nutcracker/nutcracker.yml.

FROM debian:bookworm-slim

# The package's maintainer scripts would start a service: forbid it.
RUN set -eux; \
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; \
    chmod 755 /usr/sbin/policy-rc.d; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        nutcracker; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /usr/sbin/policy-rc.d; \
    nutcracker --version

COPY twemproxy-entrypoint.sh /usr/local/bin/twemproxy-entrypoint.sh

# Defaults of the generated pool; cluster.compose.yml sets them.
ENV NUTCRACKER_LISTEN=0.0.0.0:6379 \
    NUTCRACKER_SERVERS="shard1:6379:1:shard1 shard2:6379:1:shard2 shard3:6379:1:shard3" \
    NUTCRACKER_STATS_ADDR=127.0.0.1 \
    NUTCRACKER_STATS_PORT=22222

USER nobody
EXPOSE 6379

# PING through the proxy, as a RESP array (twemproxy takes no inline
# commands). twemproxy answers PING itself, so healthy means the proxy is
# up, not that every shard is.
HEALTHCHECK --interval=5s --timeout=5s --start-period=5s --retries=3 \
    CMD ["bash", "-c", "port=${NUTCRACKER_LISTEN##*:}; exec 3<>/dev/tcp/127.0.0.1/$port && printf '*1\\r\\n$4\\r\\nPING\\r\\n' >&3 && read -r -t 3 reply <&3 && [ \"$reply\" = $'+PONG\\r' ]"]

# nutcracker exits on SIGINT; as PID 1 it would ignore SIGTERM.
STOPSIGNAL SIGINT
ENTRYPOINT ["twemproxy-entrypoint.sh"]
