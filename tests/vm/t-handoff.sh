# Partial hand-off through the IPVS-DR cluster: dtcp-testsrv in dtcp mode on
# three back-ends; every request goes to the back-end owning its object.
# Byte-exact verification, pipelining, uploads, client TCP option variants;
# every hand-off succeeds (no fallback); counters return to zero.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
servers_up dtcp

client --conns 6 --requests 24 --owners 1,2,3 --sizes 1k,100k,1M --upload 64k ||
    die "transfer with hand-offs failed"
client --conns 3 --requests 60 --owners 1,2,3 --random-owners --seed 7 --sizes 0,10,30k --pipeline 4 ||
    die "pipelined transfer with hand-offs failed"
for opt in tcp_timestamps tcp_sack tcp_window_scaling; do
    in_ns "$NS_C" sysctl -qw "net.ipv4.$opt=0"
    client --conns 3 --requests 12 --owners 1,2,3 --sizes 200k || die "transfer without $opt failed"
    in_ns "$NS_C" sysctl -qw "net.ipv4.$opt=1"
done

handoffs=$(sum_srv_stat handoffs)
accepted=$(sum_srv_stat accepted)
fallbacks=$(sum_srv_stat fallbacks)
log "servers: $handoffs hand-offs, $accepted accepted, $fallbacks fallbacks"
[ "$fallbacks" -eq 0 ] || die "$fallbacks hand-offs failed with every node up"
[ "$handoffs" -gt 0 ] || die "no hand-off happened"
[ "$handoffs" -eq "$accepted" ] || die "$handoffs hand-offs but $accepted accepted"
done_total=0 served_total=0
for i in 1 2 3; do
    [ "$(mod_stat "$i" handoff_failed)" = 0 ] || die "back-end $i: hand-offs failed in the module"
    [ "$(srv_stat "$i" accepted)" -gt 0 ] || die "back-end $i served no hand-off"
    done_total=$(( done_total + $(mod_stat "$i" handoff_done) ))
    served_total=$(( served_total + $(mod_stat "$i" handoff_served) ))
done
[ "$done_total" -eq "$handoffs" ] || die "module counted $done_total hand-offs done, servers $handoffs"
[ "$served_total" -eq "$accepted" ] || die "module counted $served_total served, servers $accepted"
cluster_down
log "ok"
