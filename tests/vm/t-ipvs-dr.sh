# A TCP transfer through the IPVS direct-routing topology, module loaded:
# every back-end serves, every byte verified.
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
stats=$(in_ns "$NS_F" ipvsadm -Ln --stats)
log "$stats"
for i in 1 2 3; do
    conns=$(awk -v rs="$(be_addr "$i"):$PORT" '$2 == rs { print $3 }' <<<"$stats")
    [ "${conns:-0}" -ge 1 ] || die "back-end $i served no connection"
done
check_counters_zero
