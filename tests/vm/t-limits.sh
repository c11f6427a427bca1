# Limits, each with a clear error and the request still served: with the
# module's table limited to two entries per node (max_conns=2),
#  - an active node whose table is full refuses its next hand-off (EBUSY)
#    and its application serves the request itself;
#  - a passive node whose table is full refuses a hand-off with a NACK
#    (EBUSY at the active node), which serves the request itself.
# (Request size, self, unknown or down nodes and unsuitable sockets are
# covered by the hand-off API tests, t-handoff-api; HANDOFFs that arrive
# while others are being built by t-limits-build.)
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
module_load max_conns=2
cluster_up 3
servers_up dtcp
only_via 1
out=$(mktemp); defer "rm -f $out"

# Two hand-offs wait on node 2, whose server does not accept: node 1 and
# node 2 hold two entries each.
kill -STOP "${SERVER_PIDS[2]}"
defer "kill -CONT ${SERVER_PIDS[2]}"
CLIENT_TIMEOUT=300 client --conns 2 --requests 1 --owners 2 --sizes 10k >"$out" 2>&1 &
cpid=$!
wait_for 30 exactly 2 conns_count 2 queued || die "the hand-offs did not queue on node 2: client: $(cat "$out")$(nodes_state 1 2)"

# Node 1's table is full.
client --requests 1 --owners 3 --sizes 10k || die "a request refused by a full table was not served"
[ "$(srv_stat 1 fallback_EBUSY)" -eq 1 ] || die "node 1 did not refuse with EBUSY: $(srv_line 1)"
[ "$(srv_stat 3 accepted)" -eq 0 ] || die "node 3 got a hand-off past node 1's limit"

# Node 2's table is full: a hand-off from node 3 is refused by a NACK.
# New clients go to node 3; node 1 keeps its connections (weight 0, not
# removed: IPVS drops the packets of a removed server's connections).
in_ns "$NS_F" ipvsadm -a -t "$VIP:$PORT" -r "$(be_addr 3):$PORT" -g || die "ipvsadm -a 3"
in_ns "$NS_F" ipvsadm -e -t "$VIP:$PORT" -r "$(be_addr 1):$PORT" -g -w 0 || die "ipvsadm -e 1"
client --requests 1 --owners 2 --sizes 10k || die "a request refused by a full passive node was not served"
[ "$(srv_stat 3 fallback_EBUSY)" -eq 1 ] || die "node 3 did not see EBUSY from node 2: $(srv_line 3)"
[ "$(mod_stat 2 handoff_refused)" -eq 1 ] || die "node 2 counts $(mod_stat 2 handoff_refused) refused HANDOFFs, not 1"
[ "$(mod_stat 1 handoff_refused)" -eq 0 ] || die "node 1 counts a refused HANDOFF: its limit refuses before any"

kill -CONT "${SERVER_PIDS[2]}"
wait "$cpid" || die "the queued hand-offs did not finish: $(cat "$out")"
[ "$(srv_stat 2 accepted)" -eq 2 ] || die "node 2 served $(srv_stat 2 accepted) hand-offs, not 2"
cluster_down
log "ok"
