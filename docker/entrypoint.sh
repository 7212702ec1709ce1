#!/bin/sh
# entrypoint.sh -- the image's entry point, with the official Redis image's
# conventions:
#   docker run IMAGE                         gencached with the image's config
#   docker run IMAGE --maxmemory 1gb ...     the same, with these overrides
#   docker run IMAGE /path/my.conf [--opt]   gencached with another config file
#   docker run IMAGE sh                      any other command runs as given
# gencached is exec'd, so it is PID 1 and receives the stop signal itself.
set -e

conf=/etc/gencache/gencached.conf

# First argument is an option (-x / --x): the default server with overrides.
if [ "${1#-}" != "$1" ]; then
    set -- gencached "$conf" "$@"
fi

# First argument is a config file.
case "$1" in
*.conf) set -- gencached "$@" ;;
esac

exec "$@"
