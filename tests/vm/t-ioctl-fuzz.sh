# The /dev/dtcp ioctl fuzzer (tests/fuzz/ioctl_fuzz.cpp) against the live
# module, in a fresh namespace whose node is configured (node 1, tunnel port,
# cluster key, the VIP on lo) with peer 2 up at an address where nothing
# answers (routed into a dummy interface, which drops everything) and peer 3
# down.  A random seed runs for DTCP_IOCTLFUZZ_SECS seconds (default 20):
# every call returns in time with an errno of the documented set, hand-offs
# to the silent peer time out leaving their connection usable, the live
# counters match what the fuzzer holds.  Afterwards, with the namespace gone,
# every live-object counter is zero, and the module logged nothing but its
# rate-limited notes on the hand-offs that peer 2 never answered.
# A failure prints the seed and iteration that reproduce it.
. "$DTCP_ROOT/tests/vm/lib.sh"

FUZZ=$BUILD/tests/fuzz/dtcp-ioctl-fuzz
DTCPCTL=$BUILD/userspace/dtcpctl/dtcpctl
SECS=${DTCP_IOCTLFUZZ_SECS:-20}
SILENT_NET=198.19.99
[ -x "$FUZZ" ] || die "$FUZZ not built"
modprobe -q dummy || skip "no dummy network interface driver in this kernel"

module_load
log_before=$(dmesg | wc -l)

ns=dtcp-iof-$SUFFIX
ns_add "$ns"
in_ns "$ns" ip addr add "$VIP/32" dev lo || die "VIP on lo"
# Nothing answers there: the dummy interface drops what it is given.
in_ns "$ns" ip link add dummy0 type dummy || die "dummy interface"
in_ns "$ns" ip link set dummy0 up
in_ns "$ns" ip addr add "$SILENT_NET.1/24" dev dummy0 || die "dummy address"
keyf=$(mktemp)
defer "rm -f $keyf"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$keyf"
in_ns "$ns" "$DTCPCTL" config set --node-id 1 --port 7400 --key-file "$keyf" --vip "$VIP" ||
    die "config set"
in_ns "$ns" "$DTCPCTL" peer set 2 "$SILENT_NET.2" --port 7400 || die "peer set 2 (silent)"
in_ns "$ns" "$DTCPCTL" peer set 3 "$SILENT_NET.3" --port 7400 --down || die "peer set 3 (down)"

seed=${DTCP_IOCTLFUZZ_SEED:-$(od -An -N6 -tu8 /dev/urandom | tr -d ' ')}
log "random run: seed $seed, $SECS s"
in_ns "$ns" "$FUZZ" --seed "$seed" --seconds "$SECS" || die "fuzzer failed (seed $seed)"
# The silent peer stayed silent (else the fuzzer's expectations were wrong).
rx=$(in_ns "$ns" "$DTCPCTL" -j peers | jq '[.[] | .rx] | add') || die "dtcpctl peers"
[ "$rx" = 0 ] || die "the peers sent $rx tunnel messages; nothing should answer"
ip netns del "$ns" || die "ip netns del $ns"

# With the namespace gone, nothing remains: peers included.
all_zero() { dtcpctl -j status | jq -e '.live | length > 0 and all(.[]; . == 0)'; }
wait_for 60 all_zero || die "live objects remain after the namespace went: $(dtcpctl -j status | jq -c .live)"
check_counters_zero

# The module's kernel log: only the rate-limited note on a hand-off that the
# silent peer (node 2) never answered (module/active.c), and the count of
# those the rate limit suppressed.  Nothing else from the module, and no
# warning, oops or hung task from anyone.
new_log=$(dmesg | tail -n +$((log_before + 1)) | sed 's/^\[[^]]*\] *//')
unexpected=$(grep -i dtcp <<<"$new_log" |
    grep -Ev '^dtcp: node 2 did not answer hand-off 1/[0-9]+ in [0-9]+ ms$' |
    grep -Ev '^dtcp_do_handoff: [0-9]+ callbacks suppressed$')
[ -z "$unexpected" ] || die "unexpected kernel log lines from the module: $unexpected"
bad=$(grep -E 'WARNING|BUG|Oops|general protection|refcount_t|use-after-free|blocked for more than|hung_task|stack-protector|KASAN|UBSAN|list_add corruption|list_del corruption' <<<"$new_log")
[ -z "$bad" ] || die "kernel problems: $bad"
notes=$(grep -c '^dtcp: node 2 did not answer' <<<"$new_log")
log "kernel log: $notes notes on unanswered hand-offs, nothing else"
module_unload
log "ok"
