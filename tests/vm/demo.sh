# The demo scenario (scripts/demo): a three-back-end IPVS-DR cluster with
# dtcp.ko loaded on every node; a client fetches verified objects through it.
. "$DTCP_ROOT/tests/vm/lib.sh"
log "loading dtcp.ko"
module_load
dtcpctl status
log "building the cluster: client, router, IPVS-DR front-end, 3 back-ends"
topo_up 3
for i in 1 2 3; do
    in_ns "$(ns_be "$i")" dtcpctl config set --node-id "$i" --port 7400
    start_bg "$(ns_be "$i")" "$BUILD/tests/tools/dtcp-xfer" serve --port "$PORT" >/dev/null
done
for i in 1 2 3; do wait_for 10 tcp_listening "$(ns_be "$i")" "$PORT" || die "back-end $i not serving"; done
for c in 1 2 3; do
    log "client connection $c to $VIP:$PORT (10 requests of 64 KiB, every byte checked)"
    in_ns "$NS_C" timeout 60 "$BUILD/tests/tools/dtcp-xfer" get --host "$VIP" --port "$PORT" \
        --size 65536 --count 10 --seed "$c" || die "transfer failed"
done
log "front-end IPVS table:"
in_ns "$NS_F" ipvsadm -Ln --stats
log "back-end 2's view of the module:"
in_ns "$(ns_be 2)" dtcpctl status
check_counters_zero
log "demo finished: every response verified"
