#!/usr/bin/env bash
# What scripts/profile-handoff relies on in the two builds:
#   check-build.sh PLUGIN MARK
# the plugin exports the two symbols QEMU looks up; the marker is a static
# executable at a fixed address, its two marks distinct functions, and it
# refuses anything but "start" or "stop".
set -euo pipefail
plugin=$1 mark=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
for s in qemu_plugin_install qemu_plugin_version; do
    nm -D --defined-only "$plugin" | awk -v s="$s" '$3 == s { f = 1 } END { exit !f }' ||
        fail "$plugin does not export $s"
done
exported=$(nm -D --defined-only "$plugin" | awk '$2 ~ /^[TDB]$/' | wc -l)
[ "$exported" -eq 2 ] || fail "$plugin exports $exported symbols, not 2: $(nm -D --defined-only "$plugin" | awk '{ print $3 }' | xargs)"
file -b "$mark" | grep -q 'statically linked' || fail "$mark is not statically linked: $(file -b "$mark")"
file -b "$mark" | grep -q '^ELF 64-bit LSB executable' || fail "$mark is position-independent: $(file -b "$mark")"
a=$(nm "$mark" | awk '$3 == "mark_start" { print $1 }') b=$(nm "$mark" | awk '$3 == "mark_stop" { print $1 }')
[ -n "$a" ] && [ -n "$b" ] || fail "$mark has no mark_start or mark_stop"
[ "$a" != "$b" ] || fail "mark_start and mark_stop share address $a"
"$mark" start || fail "'$mark start' failed"
"$mark" stop || fail "'$mark stop' failed"
if "$mark" other 2>/dev/null; then fail "'$mark other' succeeded"; fi
if "$mark" 2>/dev/null; then fail "'$mark' without an argument succeeded"; fi
echo "ok: plugin exports qemu_plugin_install and qemu_plugin_version; mark_start $a, mark_stop $b"
