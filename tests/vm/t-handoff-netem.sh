# Partial hand-off under loss, delay and reordering on the client's link and
# on the back-end LAN: every transfer completes byte-exactly.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
servers_up dtcp
modprobe -q sch_netem || skip "netem is not available in this kernel"
in_ns "$NS_C" tc qdisc add dev eth0 root netem delay 5ms 2ms loss 1% reorder 5% 50% ||
    die "netem on the client link"
in_ns "$NS_R" tc qdisc add dev cl0 root netem delay 5ms 2ms loss 1% ||
    die "netem towards the client"
for i in 1 2 3; do
    in_ns "$(ns_be "$i")" tc qdisc add dev eth0 root netem delay 1ms loss 1% || die "netem on back-end $i"
done
client --conns 4 --requests 20 --owners 1,2,3 --sizes 1k,300k --pipeline 2 --upload 50k ||
    die "transfer under loss and reordering failed"
[ "$(sum_srv_stat handoffs)" -gt 0 ] || die "no hand-off happened"
log "fallbacks under loss: $(sum_srv_stat fallbacks)"
cluster_down
log "ok"
