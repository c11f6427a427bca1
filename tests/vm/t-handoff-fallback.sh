# Hand-offs that cannot happen fail cleanly and the active node serves the
# request itself (DESIGN §4.4, first row): a peer marked down (ENOENT), a
# passive node with no application accepting (NACK: ECONNREFUSED).  The
# client sees every response, byte-exact.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
servers_up dtcp

# Node 3 stops accepting hand-offs: its server goes away.
kill "${SERVER_PIDS[3]}"; wait "${SERVER_PIDS[3]}"; SERVER_PIDS[3]=""
in_ns "$NS_F" ipvsadm -d -t "$VIP:$PORT" -r "$(be_addr 3):$PORT" || die "ipvsadm -d"
# Node 1 believes node 2 is down.
in_ns "$(ns_be 1)" "$DTCPCTL" peer set 2 "$(be_addr 2)" --port "$TUNNEL_PORT" --down || die "peer down"

client --conns 4 --requests 12 --owners 1,2,3 --sizes 50k || die "transfer with failing hand-offs failed"
for i in 1 2; do
    log "back-end $i: $(srv_line "$i")"
done
[ "$(srv_stat 1 fallback_ENOENT)" -gt 0 ] || die "node 1 never saw ENOENT for the down peer"
[ "$(srv_stat 1 fallback_ECONNREFUSED)" -gt 0 ] || die "node 1 never saw ECONNREFUSED from node 3"
[ "$(srv_stat 2 fallback_ECONNREFUSED)" -gt 0 ] || die "node 2 never saw ECONNREFUSED from node 3"
[ "$(srv_stat 1 handoffs)" -eq 0 ] || die "node 1 handed off to a down or refusing node"
# Node 3 counts each HANDOFF it refused, once however often it came.
refused=$(( $(srv_stat 1 fallback_ECONNREFUSED) + $(srv_stat 2 fallback_ECONNREFUSED) ))
[ "$(mod_stat 3 handoff_refused)" -eq "$refused" ] ||
    die "node 3 counts $(mod_stat 3 handoff_refused) refused HANDOFFs, its peers $refused refusals"
[ "$(mod_stat 2 handoff_refused)" -eq 0 ] || die "node 2 counts refused HANDOFFs: $(mod_stat 2 handoff_refused)"
[ "$(srv_stat 2 handoffs)" -gt 0 ] || die "node 2 handed nothing to node 1"
cluster_down
log "ok"
