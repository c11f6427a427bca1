# An ACCEPT whose answer cannot be written back (its structure read-only)
# fails with EFAULT and installs no descriptor (the application could not
# know it); the connection goes back to its active node unserved, which
# answers that request itself.  Every passive node's first two accepts fault
# so; every response is byte-exact, and nothing is left behind.
. "$DTCP_ROOT/tests/vm/lib.sh"
COUNT=30
dtcp_cluster_up 3
start_hosmoke_all 3 --fault-accepts 2
in_ns "$NS_C" timeout 120 "$BUILD/tests/vm/dtcp-hosmoke" get --host "$VIP" --port "$PORT" \
    --owners 1,2,3 --count "$COUNT" --size 20000 || die "transfer failed"
faulted=$(hosmoke_sum faulted) fallback=$(hosmoke_sum fallback) bad=$(hosmoke_sum bad)
served=$(hosmoke_sum served) handed=$(hosmoke_sum handed) local_n=$(hosmoke_sum local)
log "faulted $faulted fallback $fallback served $served handed $handed local $local_n bad $bad"
[ "$bad" -eq 0 ] || die "$bad faulting accepts misbehaved (see the server's log)"
# IPVS pins the connection to one back-end; the other two each fault twice.
[ "$faulted" -eq 4 ] || die "$faulted accepts faulted, expected 4"
[ "$fallback" -eq "$faulted" ] || die "$fallback fallbacks for $faulted faulted accepts"
[ "$handed" -eq "$served" ] || die "$handed handed off but $served served"
[ $((local_n + served)) -eq "$COUNT" ] || die "$local_n local + $served handed != $COUNT requests"
stop_servers
counters_zero_all
