# DESIGN 4.4, "A dies while handed out": the active node vanishes while the
# passive node serves a response (its link, server and namespace go).  The
# passive node hears nothing more about the hand-off, resets the client
# itself and frees its socket; the dead node's own entry ends when its
# namespace does.  The client gets a reset within a bounded time.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
servers_up dtcp
node_dies_mid_response 1
[ "$(mod_stat 2 peer_lost)" -ge 1 ] || die "node 2 did not count the lost peer"
wait_for 15 exactly 0 conns_count 2 || die "node 2 kept entries: $(in_ns "$(ns_be 2)" "$DTCPCTL" conns)"
cluster_down
log "ok: reset after ${RESET_MS} ms"
