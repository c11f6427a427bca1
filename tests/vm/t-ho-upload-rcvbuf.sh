# The servers lock their connections' receive buffers at 4 KiB (SO_RCVBUF).
# The passive socket, rebuilt without that lock, may accept more of an
# upload pipelined behind a handed-off request than the active socket's
# locked buffer holds; those bytes were acknowledged, so the active socket
# must take them all at the return (its buffer is let out for them and put
# back).  Every upload must arrive, no reset, no fallback.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
CLIENT_TIMEOUT=180
cluster_up 3
only_via 1	# node 1 is active: every GET is for another node's object
SERVER_ARGS="--rcvbuf 4096" servers_up dtcp
client --conns 2 --requests 8 --owners 2,3 --sizes 1M --upload 2M --pipeline 2 ||
    die "uploads pipelined behind hand-offs with a locked receive buffer failed"
[ "$(sum_srv_stat puts)" -ge 8 ] || die "uploads were not made: $(sum_srv_stat puts)"
[ "$(sum_srv_stat handoffs)" -ge 2 ] || die "$(sum_srv_stat handoffs) hand-offs with uploads pipelined behind them"
[ "$(sum_srv_stat fallbacks)" -eq 0 ] || die "$(sum_srv_stat fallbacks) hand-offs fell back"
[ "$(sum_mod_stat handoff_failed)" -eq 0 ] || die "hand-offs failed: $(sum_mod_stat handoff_failed)"
restored=$(sum_mod_stat upload_restored)
[ "$restored" -ge 1 ] || die "no return restored client bytes"
cluster_down
log "ok: $restored returns restored client bytes"
