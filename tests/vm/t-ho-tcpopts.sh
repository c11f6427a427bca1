# Issue scenario 7: a client with TCP timestamps off, SACK off, window
# scaling off (one at a time); hand-offs carry whatever was negotiated.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
servers_up dtcp
for opt in tcp_timestamps tcp_sack tcp_window_scaling; do
    in_ns "$NS_C" sysctl -qw "net.ipv4.$opt=0"
    client --conns 1 --requests 12 --owners 1,2,3 --sizes 200k || die "transfer without $opt failed"
    in_ns "$NS_C" sysctl -qw "net.ipv4.$opt=1"
done
[ "$(sum_srv_stat fallbacks)" -eq 0 ] || die "hand-offs fell back: $(sum_srv_stat fallbacks)"
handoffs=$(sum_srv_stat handoffs)
[ "$handoffs" -ge 24 ] || die "only $handoffs hand-offs"
cluster_down
log "ok: $handoffs hand-offs without timestamps, SACK, window scaling"
