#!/bin/sh
# twemproxy-entrypoint.sh -- start nutcracker for a pool of gencached shards.
# /etc/nutcracker/nutcracker.yml is used when mounted; otherwise the pool is
# written from the environment:
#   NUTCRACKER_LISTEN   address:port the proxy listens on
#   NUTCRACKER_SERVERS  space-separated host:port:weight:name, one per shard.
#                       Keys are placed by the shard's name (ketama over
#                       names), so renaming a shard moves its keys, while
#                       changing its address does not.
#   NUTCRACKER_STATS_ADDR, NUTCRACKER_STATS_PORT  the stats listener
# Extra arguments are passed to nutcracker.
set -e

conf=/etc/nutcracker/nutcracker.yml
if [ ! -f "$conf" ]; then
    conf=/tmp/nutcracker.yml
    {
        echo "gencache:"
        echo "  listen: $NUTCRACKER_LISTEN"
        echo "  redis: true"
        echo "  hash: fnv1a_64"
        echo "  distribution: ketama"
        echo "  # Only the part of a key between { and } is hashed: keys that"
        echo "  # reference each other share a tag, e.g. {user:42}:profile."
        echo "  hash_tag: \"{}\""
        echo "  auto_eject_hosts: false"
        echo "  preconnect: true"
        echo "  timeout: 2000"
        echo "  servers:"
        for s in $NUTCRACKER_SERVERS; do
            addr=${s%:*}
            name=${s##*:}
            echo "    - $addr $name"
        done
    } > "$conf"
fi

# Log to standard error (docker logs), not to Debian's /var/log default.
exec nutcracker -c "$conf" -o /dev/stderr -a "$NUTCRACKER_STATS_ADDR" \
    -s "$NUTCRACKER_STATS_PORT" "$@"
