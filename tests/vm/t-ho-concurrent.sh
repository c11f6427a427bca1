# Issue scenario 2: concurrent connections with random owners
# (HO_CONNS x HO_REQUESTS, default 50 x 200).
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
CLIENT_TIMEOUT=120
cluster_up 3
servers_up dtcp
conns=${HO_CONNS:-50} reqs=${HO_REQUESTS:-200}
client --conns "$conns" --requests "$reqs" --owners 1,2,3 --random-owners --seed 11 --sizes 1k,8k \
    || die "concurrent transfer failed"
[ "$(sum_srv_stat handoffs)" -gt 0 ] || die "no hand-off"
[ "$(sum_srv_stat accepted)" -eq "$(sum_srv_stat handoffs)" ] || die "accepted != handed off"
log "ok: $conns x $reqs requests, $(sum_srv_stat handoffs) handed off, $(sum_srv_stat fallbacks) fell back"
cluster_down
