# DESIGN 4.4, "P dies after HANDOFF_ACK": the passive node vanishes in the
# middle of a response (its link, server and namespace go).  The active node
# hears nothing more about the hand-off, takes the passive node for dead,
# resets the client at the sequence number the client has reached and frees
# everything.  The client gets a reset within a bounded time: never a hang,
# never a wrong byte.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
servers_up dtcp
node_dies_mid_response 2
[ "$(mod_stat 1 peer_lost)" -ge 1 ] || die "node 1 did not count the lost peer"
wait_for 10 at_least 1 srv_stat 1 fallback_ECONNRESET ||
    die "node 1's application did not see ECONNRESET: $(srv_line 1)"
wait_for 10 exactly 0 conns_count 1 || die "node 1 kept entries: $(in_ns "$(ns_be 1)" "$DTCPCTL" conns)"
cluster_down
log "ok: reset after ${RESET_MS} ms"
