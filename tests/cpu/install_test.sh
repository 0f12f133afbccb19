#!/bin/sh
# cmake --install the build into a temporary prefix, build an outside C
# program with `pkg-config --static --libs zc` from that prefix, run it.
# usage: install_test.sh <build dir> <C compiler> <program source>
set -eu
build=$1 cc=$2 src=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log"
pc=$(find "$tmp/prefix" -name zc.pc)
[ -n "$pc" ] || { echo "install_test: zc.pc was not installed" >&2; exit 1; }
# The installed zc.pc as it is: it must point at the prefix it was installed
# to, not the one the build was configured with (README's --prefix /opt/zc).
pcdir=$(dirname "$pc")
flags="$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags zc) $(PKG_CONFIG_PATH=$pcdir pkg-config --static --libs zc)"
echo "cc prog.c $flags"
# shellcheck disable=SC2086 # the flags are a word list
"$cc" -std=c17 -Wall -Wextra -Werror -o "$tmp/prog" "$src" $flags
"$tmp/prog"
