# SHA-256 speed in the guest (scripts/mac-speed): the kernel's tcrypt
# speed test of "sha256" before and after the accelerated implementations
# (dtcp.ko's soft dependency) are loaded; the tunnel's MAC is HMAC over
# whichever the crypto API then prefers.  Prints per driver the bytes per
# second for 1024-byte blocks in one update.
. "$DTCP_ROOT/tests/vm/lib.sh"
speed() {
    local out
    dmesg -C
    modprobe -q tcrypt mode=304 sec=1 2>/dev/null   # tcrypt refuses to stay loaded
    out=$(dmesg)
    grep -q 'testing speed of' <<<"$out" || die "tcrypt ran no speed test (is CONFIG_CRYPTO_TEST a module?)"
    # The figures follow the test's line, on it or (6.1) on a line of their own.
    awk '/testing speed of/ { d = $NF; gsub(/[()]/, "", d) }
         /\( 1024 byte blocks, 1024 bytes per update/ { want = 2 }
         want > 0 { want--; for (i = 1; i <= NF; i++) if ($i == "bytes/sec") { b = $(i - 1); want = 0 } }
         END { if (b == "") exit 1; printf "%-16s %8.1f MB/s (1024-byte blocks, one update)\n", d, b / 1e6 }' \
        <<<"$out" || die "no figure for 1024-byte blocks in tcrypt's output: $out"
}
lsmod | grep -q '^sha256_' && die "an accelerated SHA-256 is loaded already"
speed
modprobe -q sha256 || die "modprobe sha256"
speed
