# The demo (scripts/demo): a three-back-end IPVS-DR cluster with dtcp.ko on
# every back-end.  A client's keep-alive connections are pinned by IPVS to
# one back-end each; every request names the back-end that owns its object,
# and the pinned back-end hands the connection to that owner for the one
# response.  Every response is verified byte by byte.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
log "loading dtcp.ko and building the cluster: client, router, IPVS-DR front-end, 3 back-ends"
cluster_up 3
log "back-end 1's view of the module:"
in_ns "$(ns_be 1)" "$DTCPCTL" status
in_ns "$(ns_be 1)" "$DTCPCTL" peers
servers_up dtcp
log "client: 6 keep-alive connections x 30 requests, objects owned by back-ends 1, 2, 3 in turn"
client --conns 6 --requests 30 --owners 1,2,3 --sizes 4k,64k,512k || die "transfer failed"
for i in 1 2 3; do
    log "back-end $i: server $(srv_line "$i")"
done
log "front-end IPVS table (each connection stays on one back-end):"
in_ns "$NS_F" ipvsadm -Ln --stats
log "hand-off statistics of back-end 1:"
in_ns "$(ns_be 1)" "$DTCPCTL" stats
handoffs=$(sum_srv_stat handoffs)
[ "$handoffs" -gt 0 ] || die "no hand-off happened"
cluster_down
log "demo finished: $handoffs hand-offs, every response verified, nothing left allocated"
