# Issue scenario 3: the client sends 10 requests before reading; requests
# that arrive during a hand-off are answered in order after the return.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
servers_up dtcp
client --conns 3 --requests 60 --owners 1,2,3 --random-owners --seed 5 --sizes 100,20k,150k \
    --pipeline 10 || die "pipelined transfer failed"
[ "$(sum_srv_stat fallbacks)" -eq 0 ] || die "hand-offs fell back: $(sum_srv_stat fallbacks)"
[ "$(sum_srv_stat handoffs)" -gt 0 ] || die "no hand-off"
cluster_down
log "ok: $(sum_srv_stat handoffs) hand-offs with 10 requests in flight"
