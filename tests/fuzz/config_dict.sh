#!/bin/sh
# config_dict.sh CONFIG_C OUT: write a libFuzzer dictionary for fuzz_config
# to OUT: every lowercase word quoted in CONFIG_C (the directive names, their
# aliases and enum values) plus the config file's own syntax, so mutations
# reach real directives instead of spelling them out byte by byte.
set -eu
{
    grep -oE '"[a-z][a-z0-9-]{1,40}"' "$1" | sort -u
    printf '%s\n' '"include"' '"rename-command"' '"yes"' '"no"' '"\\x"' \
        '"\\n"' '"\x22"' '"\x27"' '"\x0a"' '"-1"' '"0"' '"1gb"' '"100mb"' \
        '"4096"' '"9223372036854775807"'
} >"$2"
