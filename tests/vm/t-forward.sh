# The back-end forwarding baseline (LARD/BEF) through the IPVS-DR cluster:
# dtcp-testsrv in forward mode on three back-ends; a request for another
# node's object is fetched from its owner and relayed.  Byte-exact
# verification; no module features needed beyond loading.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
module_load
topo_up 3
servers_up forward
client --conns 6 --requests 24 --owners 1,2,3 --sizes 1k,200k --pipeline 2 --upload 32k ||
    die "forwarded transfer failed"
forwarded=$(sum_srv_stat forwarded)
log "forwarded $forwarded, fallbacks $(sum_srv_stat fallbacks)"
[ "$(sum_srv_stat fallbacks)" -eq 0 ] || die "forwarding fell back with every node up"
# Six connections, owners in turn, half the requests uploads: 72 GETs, 2/3
# of them owned by another node than the one serving the connection.
[ "$forwarded" -eq 48 ] || die "forwarded $forwarded requests, want 48"
for i in 1 2 3; do
    [ "$(srv_stat "$i" local)" -gt 0 ] || die "back-end $i served nothing itself"
done
servers_down
check_counters_zero
module_unload
log "ok"
