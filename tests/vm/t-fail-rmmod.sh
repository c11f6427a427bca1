# DESIGN 4.4, "module unload with connections handed out": while hand-offs
# are in flight, unloading dtcp.ko is refused (the connections and the
# applications' /dev/dtcp files hold it) and nothing else changes: every
# response still arrives byte-exact.  Once the applications are gone and the
# connections are home and closed, the module unloads, leaving no object
# behind (the kernel warns when a cache is destroyed with objects in it).
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
servers_up dtcp
only_via 1
slow_client_link 64mbit
out=$(mktemp); defer "rm -f $out"
# 32 responses of 2 MiB over a 64 Mbit/s link: at least 8 s of transfers.
# Each check below starts dtcpctl (and jq) in a guest this transfer keeps
# busy, which can take seconds per check: with half as many requests, the
# checks of some runs on 6.12 came too late to see a hand-off in flight.
client --conns 4 --requests 8 --owners 2,3 --sizes 2M >"$out" 2>&1 &
cpid=$!
# In flight: node 1's entry is handed out while the passive node serves and
# then drains (with a large send buffer the server may close at once, so
# the passive side is mostly DRAINING, not SERVING); "handing" until the
# passive node's HANDOFF_ACK, 5 ms after it built the socket.
# Counted two ways: the entries' states in a dump, and node 1's hand-offs
# started but not yet ended.
in_flight() {
    local open
    open=$(in_ns "$(ns_be 1)" "$DTCPCTL" -j stats |
           jq '.handoff_started - .handoff_done - .handoff_failed')
    echo $(( open + $(conns_count 1 handing) + $(conns_count 1 handed-out) ))
}
wait_for 30 at_least 1 in_flight ||
    die "no hand-off in flight: $(cat "$out"); node 1: $(srv_line 1); $(in_ns "$(ns_be 1)" "$DTCPCTL" stats | tr '\n' ' ')"
refused=0
for _ in 1 2 3; do
    if err=$(rmmod dtcp 2>&1); then
        die "dtcp.ko unloaded with hand-offs in flight"
    fi
    grep -qi 'in use' <<<"$err" || die "rmmod failed for another reason: $err"
    refused=$((refused + 1))
done
module_loaded || die "the module is gone"
wait "$cpid" || die "transfers failed around the refused unloads: $(cat "$out")"
log "client: $(cat "$out")"
[ "$(sum_srv_stat handoffs)" -ge 1 ] || die "nothing was handed off"
cluster_down
rmmod dtcp || die "rmmod after the connections went home and closed failed"
log "ok: unload refused $refused times in flight, then done"
