# Issue scenario 1: one keep-alive connection, requests alternating among
# the three back-ends, byte-exact (HO_REQUESTS, default 1000).
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
servers_up dtcp
n=${HO_REQUESTS:-1000}
client --conns 1 --requests "$n" --owners 1,2,3 --sizes 2k || die "alternating transfer failed"
[ "$(sum_srv_stat fallbacks)" -eq 0 ] || die "hand-offs fell back: $(sum_srv_stat fallbacks)"
# IPVS put the connection on one node: two thirds of the requests left it.
[ "$(sum_srv_stat handoffs)" -ge $(( n * 2 / 3 - 1 )) ] || die "only $(sum_srv_stat handoffs) of $n handed off"
[ "$(sum_srv_stat accepted)" -eq "$(sum_srv_stat handoffs)" ] || die "accepted != handed off"
cluster_down
log "ok: $n requests, $(sum_srv_stat handoffs) handed off"
