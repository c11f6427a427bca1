# The netlink fuzzer (tests/fuzz/nl_fuzz.cpp) against the live module, each
# run in a fresh namespace: first the committed seeds (tests/fuzz/nl-seeds.txt),
# then a random seed for DTCP_NLFUZZ_SECS seconds (default 60), then an
# unprivileged run (every change refused, nothing changed).  Every message
# gets its answer in time, refused ones change nothing, events stay well
# formed; afterwards the fuzzer's daemon registration is gone with its
# socket, with the namespaces gone every live-object counter is zero, and
# the module wrote nothing to the kernel log.
# A failure prints the seed and iteration that reproduce it.
. "$DTCP_ROOT/tests/vm/lib.sh"

FUZZ=$BUILD/tests/fuzz/dtcp-nl-fuzz
DTCPCTL=$BUILD/userspace/dtcpctl/dtcpctl
SEEDS=$DTCP_ROOT/tests/fuzz/nl-seeds.txt
SECS=${DTCP_NLFUZZ_SECS:-60}
UNPRIV_SECS=${DTCP_NLFUZZ_UNPRIV_SECS:-10}
[ -x "$FUZZ" ] || die "$FUZZ not built"

module_load
log_before=$(dmesg | wc -l)
# Every run starts in a fresh namespace (the same start state each time, so
# that a seed and an iteration count reproduce a failure); afterwards the
# fuzzer's socket, which may have registered as the daemon, is gone and so
# is the registration, and the namespace is deleted.
n=0
fuzz_in_fresh_ns() {
    local ns=dtcp-nlf$n-$SUFFIX rc
    n=$((n + 1))
    ns_add "$ns"
    in_ns "$ns" "$@"
    rc=$?
    no_daemon() { in_ns "$ns" "$DTCPCTL" -j status | jq -e '.daemon == false'; }
    [ $rc -ne 0 ] || wait_for 10 no_daemon ||
        die "daemon registration outlived the fuzzer: $(in_ns "$ns" "$DTCPCTL" -j status)"
    ip netns del "$ns" || die "ip netns del $ns"
    return $rc
}

# The committed seeds: "SEED [ITERATIONS]" per line.
seeds=0
while read -r seed iters _; do
    case $seed in ''|'#'*) continue ;; esac
    fuzz_in_fresh_ns "$FUZZ" --seed "$seed" --iterations "${iters:-3000}" || die "committed seed $seed failed"
    seeds=$((seeds + 1))
done < "$SEEDS"
[ $seeds -gt 0 ] || die "no seeds in $SEEDS"
log "$seeds committed seeds replayed"

seed=${DTCP_NLFUZZ_SEED:-$(od -An -N6 -tu8 /dev/urandom | tr -d ' ')}
log "random run: seed $seed, $SECS s"
fuzz_in_fresh_ns "$FUZZ" --seed "$seed" --seconds "$SECS" || die "random run failed (seed $seed)"

fuzz_in_fresh_ns setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$FUZZ" --unprivileged --seed "$seed" --seconds "$UNPRIV_SECS" || die "unprivileged run failed (seed $seed)"

# With the namespaces gone, nothing remains: peers included.
all_zero() { dtcpctl -j status | jq -e '.live | length > 0 and all(.[]; . == 0)'; }
wait_for 60 all_zero || die "live objects remain after the namespace went: $(dtcpctl -j status | jq -c .live)"
check_counters_zero
# The module logs nothing.  (The netlink core's rate-limited notes on the
# fuzzer's malformed attributes name the fuzzer's process and are expected.)
module_log=$(dmesg | tail -n +$((log_before + 1)) | grep dtcp | grep -v "dtcp-nl-fuzz")
[ -z "$module_log" ] || die "kernel log lines from the module: $module_log"
module_unload
log "ok"
