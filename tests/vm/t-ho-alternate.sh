# Issue scenario 1: one keep-alive connection, requests alternating among
# the three back-ends, byte-exact (HO_REQUESTS, default 1000).  Then 60 of
# 1 KiB with 5 ms of delay on the client's link: every response is sent
# before the client can acknowledge it, so passive nodes return the
# connection with the response unacknowledged (tail_returned).  The active
# node owns such a tail from then on: 10% loss towards the client makes it
# send lost ones again (else the client would wait forever).
# Then 100 of 64 KiB with return_tail_max=0 (every byte acknowledged before
# the return): the client acknowledges such a response at once and its next
# request follows, often reaching the passive node after it returned the
# connection; it is sent back to the active node (seg_returned), never
# dropped: on this lossless LAN the client never sends anything twice (nor
# in the first part).
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
servers_up dtcp
n=${HO_REQUESTS:-1000}
retrans=$(client_retrans)
client --conns 1 --requests "$n" --owners 1,2,3 --sizes 2k || die "alternating transfer failed"
no_client_retrans "$retrans"
before=$(sum_mod_stat tail_returned)
modprobe -q sch_netem || die "netem is not available"
in_ns "$NS_C" tc qdisc add dev eth0 root netem delay 5ms || die "netem on the client link"
in_ns "$NS_R" tc qdisc add dev cl0 root netem loss 10% || die "netem towards the client"
client --conns 1 --requests 60 --owners 1,2,3 --sizes 1k || die "alternating 1 KiB transfer failed"
in_ns "$NS_C" tc qdisc del dev eth0 root
in_ns "$NS_R" tc qdisc del dev cl0 root
n=$((n + 60))
tails=$(sum_mod_stat tail_returned)
log "returns with a tail: $before in the first part, $((tails - before)) of the 40 hand-offs of 1 KiB"
[ $((tails - before)) -ge 20 ] || die "only $((tails - before)) of 40 returns of a 1 KiB response carried it as a tail"
echo 0 > /sys/module/dtcp/parameters/return_tail_max
retrans=$(client_retrans)	# the loss above made the client repeat requests
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
