# Issue scenario 1: one keep-alive connection, requests alternating among
# the three back-ends, byte-exact (HO_REQUESTS, default 1000).  The client
# delays its ACK of each response's last segment until its next request, so
# passive nodes return the connection with that tail unacknowledged
# (tail_returned).  Then 100 of 64 KiB with return_tail_max=0 (every byte
# acknowledged before the return): the client acknowledges such a response
# at once and its next request follows, often reaching the passive node
# after it returned the connection; it is sent back to the active node
# (seg_returned), never dropped: on this lossless LAN the client never sends
# anything twice.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
servers_up dtcp
n=${HO_REQUESTS:-1000}
retrans=$(client_retrans)
client --conns 1 --requests "$n" --owners 1,2,3 --sizes 2k || die "alternating transfer failed"
tails=$(sum_mod_stat tail_returned)
[ "$tails" -gt 0 ] || die "no return carried an unacknowledged tail"
echo 0 > /sys/module/dtcp/parameters/return_tail_max
client --conns 1 --requests 100 --owners 1,2,3 --sizes 64k || die "alternating 64 KiB transfer failed"
[ "$(sum_mod_stat tail_returned)" -eq "$tails" ] || die "returns carried a tail with return_tail_max=0"
n=$((n + 100))
handoffs=$(sum_srv_stat handoffs)
[ "$(sum_srv_stat fallbacks)" -eq 0 ] || die "hand-offs fell back: $(sum_srv_stat fallbacks)"
# IPVS put each connection on one node: two thirds of the requests left it.
[ "$handoffs" -ge $(( n * 2 / 3 - 2 )) ] || die "only $handoffs of $n handed off"
[ "$(sum_srv_stat accepted)" -eq "$handoffs" ] || die "accepted != handed off"
no_client_retrans "$retrans"
cluster_down
log "ok: $n requests, $handoffs handed off, $tails returns with a tail, $(sum_mod_stat seg_returned) client segments sent back"
