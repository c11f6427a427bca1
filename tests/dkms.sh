#!/usr/bin/env bash
# DKMS: add + build for every supported installed kernel, in private trees
# (nothing installed on the system).  Runs on the build machine.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src" "$tmp/dkms"
mapfile -t kernels < <("$top/scripts/kernels")
[ ${#kernels[@]} -gt 0 ] || { echo "no supported kernel installed" >&2; exit 1; }
"$top/scripts/dkms-install" --sourcetree "$tmp/src" --dkmstree "$tmp/dkms" --no-install "${kernels[@]}" \
    >"$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
for k in "${kernels[@]}"; do
    ko=$(find "$tmp/dkms/dtcp/$ver/$k" -name 'dtcp.ko*' | head -1)
    [ -n "$ko" ] || { echo "dkms: no dtcp.ko built for $k"; cat "$tmp/log"; exit 1; }
    modinfo -F vermagic "$ko" | grep -q "^$k " || { echo "dkms: $ko has the wrong vermagic"; exit 1; }
    echo "dkms: built for $k"
done
