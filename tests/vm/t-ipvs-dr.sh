# A TCP transfer through the IPVS direct-routing topology, module loaded:
# every byte verified, replies straight from the back-ends.
. "$DTCP_ROOT/tests/vm/lib.sh"
module_load
topo_up 3
for i in 1 2 3; do
    start_bg "$(ns_be "$i")" "$BUILD/tests/tools/dtcp-xfer" serve --port "$PORT" >/dev/null
done
for i in 1 2 3; do
    wait_for 10 tcp_listening "$(ns_be "$i")" "$PORT" || die "server on back-end $i not listening"
done
# Six connections (round robin: two per back-end), each 20 requests of 100 KiB.
for c in 1 2 3 4 5 6; do
    in_ns "$NS_C" timeout 60 "$BUILD/tests/tools/dtcp-xfer" get --host "$VIP" --port "$PORT" \
        --size 102400 --count 20 --seed "$c" || die "transfer $c failed"
done
# IPVS carried the connections (which back-end each went to is its choice:
# client ports reused within its connection timeout keep their back-end).
# Kernels before 6.2 fold the per-CPU counters into the totals only from the
# rate estimator, every 2 s: poll the totals instead of reading them once.
ipvs_conns() {
    in_ns "$NS_F" ipvsadm -Ln --stats |
        awk '$1 == "->" && $2 ~ /:'"$PORT"'$/ { s += $3 } END { print s + 0 }'
}
ipvs_counted() { [ "$(ipvs_conns)" -ge 1 ]; }
if ! wait_for 6 ipvs_counted; then
    log "$(in_ns "$NS_F" ipvsadm -Ln --stats)"
    die "IPVS counted no connection to a back-end"
fi
log "$(in_ns "$NS_F" ipvsadm -Ln --stats)"
check_counters_zero
