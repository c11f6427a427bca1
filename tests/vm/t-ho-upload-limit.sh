# The active node's copy of client bytes sent to a passive node has a limit
# (module parameter upload_max_kb, per namespace).  Past it a client segment
# with data is dropped before it leaves, as if lost on the way: the passive
# socket never acknowledges a byte the active node could not keep, and the
# client sends it again (to the passive node, or to Sa once the connection
# is back).  With the limit at 64 KiB and uploads of 1 MiB pipelined behind
# handed-off requests, segments must be dropped and every byte still arrive.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
CLIENT_TIMEOUT=180
param=/sys/module/dtcp/parameters/upload_max_kb
cluster_up 3
only_via 1	# node 1 is active: every GET is for another node's object
servers_up dtcp
old=$(cat $param)
defer "echo $old > $param"
echo 64 > $param
client --conns 1 --requests 8 --owners 2,3 --sizes 256k --upload 1M --pipeline 2 ||
    die "uploads past upload_max_kb were not delivered"
[ "$(sum_srv_stat puts)" -ge 4 ] || die "uploads were not made: $(sum_srv_stat puts)"
[ "$(sum_srv_stat handoffs)" -ge 2 ] || die "$(sum_srv_stat handoffs) hand-offs with uploads pipelined behind them"
[ "$(sum_srv_stat fallbacks)" -eq 0 ] || die "$(sum_srv_stat fallbacks) hand-offs fell back"
dropped=$(sum_mod_stat upload_dropped)
[ "$dropped" -gt 0 ] || die "no segment dropped with upload_max_kb=64 (the limit is not applied)"
[ "$(sum_mod_stat handoff_failed)" -eq 0 ] || die "hand-offs failed: $(sum_mod_stat handoff_failed)"
echo "$old" > $param
cluster_down
log "ok: $dropped client segments dropped at the limit, none lost"
