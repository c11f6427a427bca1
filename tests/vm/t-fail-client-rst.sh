# DESIGN 4.4, "client sends RST during a hand-off": the client aborts while
# the passive node is sending.  Both nodes free the connection; the
# application on the active node sees ECONNRESET.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
servers_up dtcp
only_via 1
slow_client_link 16mbit
client --requests 1 --owners 2 --sizes 16M --reset-after 256k || die "the client could not reset mid-response"
wait_for 15 at_least 1 srv_stat 1 fallback_ECONNRESET ||
    die "node 1's application did not see ECONNRESET: $(srv_line 1)"
[ "$(srv_stat 2 accepted)" -ge 1 ] || die "node 2 never served the hand-off: $(srv_line 2)"
for i in 1 2; do
    wait_for 15 exactly 0 conns_count "$i" ||
        die "node $i kept entries: $(in_ns "$(ns_be "$i")" "$DTCPCTL" conns)"
done
cluster_down
log "ok"
