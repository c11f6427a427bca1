# Issue scenario 5: netem 5% loss, 20 ms +/- 10 ms delay and reordering on
# the client link and on the back-end LAN; every transfer byte-exact.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
CLIENT_TIMEOUT=120
cluster_up 3
servers_up dtcp
modprobe -q sch_netem || skip "netem is not available in this kernel"
impair() { in_ns "$1" tc qdisc add dev "$2" root netem delay 20ms 10ms loss 5% reorder 10% 50% ||
           die "netem on $1/$2"; }
impair "$NS_C" eth0           # client -> router
impair "$NS_R" cl0            # router -> client
for i in 1 2 3; do
    impair "$(ns_be "$i")" eth0  # back-end -> LAN (tunnel, replies)
    impair "$NS_R" "b$i"         # LAN -> back-end
done
client --conns 3 --requests "${HO_REQUESTS:-15}" --owners 1,2,3 --sizes 1k,100k ||
    die "transfer under loss, delay and reordering failed"
[ "$(sum_srv_stat handoffs)" -gt 0 ] || die "no hand-off happened"
log "ok: $(sum_srv_stat handoffs) hand-offs, $(sum_srv_stat fallbacks) fell back (answers lost past the timeout)"
cluster_down
