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
# zc.pc carries the configured prefix; a copy points at the temporary one
# (only zc's: hwloc and libaccel-config resolve from the system as usual).
mkdir "$tmp/pc"
sed "s|^prefix=.*|prefix=$tmp/prefix|" "$pc" >"$tmp/pc/zc.pc"
flags="$(PKG_CONFIG_PATH=$tmp/pc pkg-config --cflags zc) $(PKG_CONFIG_PATH=$tmp/pc pkg-config --static --libs zc)"
echo "cc prog.c $flags"
# shellcheck disable=SC2086 # the flags are a word list
"$cc" -std=c17 -Wall -Wextra -Werror -o "$tmp/prog" "$src" $flags
"$tmp/prog"
