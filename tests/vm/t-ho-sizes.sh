# Issue scenario 4: response sizes 0 B, 1 B, MSS-1, MSS, MSS+1 (with and
# without TCP timestamps: 1447/1448/1449 and 1459/1460/1461), 64 KiB, 10 MiB.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
CLIENT_TIMEOUT=120
cluster_up 3
servers_up dtcp
retrans=$(client_retrans)
acked=$(sum_mod_stat drain_acked)
client --conns 1 --requests 30 --owners 1,2,3 --sizes 0,1,1447,1448,1449,1459,1460,1461,64k,10M \
    || die "transfer of edge sizes failed"
[ "$(sum_srv_stat fallbacks)" -eq 0 ] || die "hand-offs fell back: $(sum_srv_stat fallbacks)"
no_client_retrans "$retrans"
handoffs=$(sum_srv_stat handoffs)
# The 10 MiB responses' last ACKs reach a draining socket: each such drain
# ends as that ACK comes in, not at the next poll.
acked=$(( $(sum_mod_stat drain_acked) - acked ))
[ "$acked" -ge 1 ] || die "no drain ended on the client's ACK ($handoffs hand-offs)"
cluster_down
log "ok: $handoffs hand-offs, $acked drains ended on the client's ACK"
