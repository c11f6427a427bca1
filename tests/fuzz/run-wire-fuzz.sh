#!/usr/bin/env bash
# Build the tunnel-decoder fuzz target with clang (libFuzzer, ASan, UBSan)
# and run it for a bounded time over the committed seed corpus.
#   tests/fuzz/run-wire-fuzz.sh [SECONDS] [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-30}
out=${2:-$top/build/fuzz}
command -v clang >/dev/null || { echo "SKIP: clang not installed"; exit 77; }
mkdir -p "$out/corpus"
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -I"$top/include" -I"$top/include/uapi" "$top/module/wire.c" "$top/tests/fuzz/fuzz_wire.c" \
    -o "$out/fuzz-wire"
# New inputs go to the build directory; the committed seeds stay as they are.
"$out/fuzz-wire" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 \
    "$out/corpus" "$top/tests/fuzz/corpus" 2>&1 | tail -n 12
