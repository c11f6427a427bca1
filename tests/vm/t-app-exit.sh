# Application contract: an application that exits with hand-offs pending, or
# with handed-off connections it has not accepted yet, leaves no state
# behind, and the clients still get every response byte-exact.
#  1. The passive node's server stops accepting, two hand-offs queue up for
#     it, then it is killed: both come back unserved and the active node
#     serves them itself.
#  2. The active node's server is killed while its hand-off is out: the
#     passive node serves the response; when the connection is back the
#     active node closes it, as the dead application would have.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
servers_up dtcp
only_via 1

# restart_server I: a new dtcp-testsrv on back-end I.
restart_server() {
    local i=$1 j peers=""
    for (( j=1; j<=BACKENDS; j++ )); do
        [ "$i" = "$j" ] || peers+="${peers:+,}$j=$(be_addr "$j"):$PORT"
    done
    ip netns exec "$(ns_be "$i")" "$TESTSRV" --port "$PORT" --node "$i" --mode dtcp \
        --peers "$peers" >>"$SERVER_LOGS/be$i.log" 2>&1 &
    SERVER_PIDS[i]=$!
    defer "kill ${SERVER_PIDS[i]}; wait ${SERVER_PIDS[i]}"
    wait_for 10 tcp_listening "$(ns_be "$i")" "$PORT" || die "server on back-end $i did not restart"
}

out=$(mktemp); defer "rm -f $out"

# 1. Queued, never accepted, then the passive application dies.
kill -STOP "${SERVER_PIDS[2]}"
client --conns 2 --requests 1 --owners 2 --sizes 100k >"$out" 2>&1 &
cpid=$!
wait_for 30 exactly 2 conns_count 2 queued || die "the hand-offs did not queue on node 2: client: $(cat "$out")$(nodes_state 1 2)"
kill -KILL "${SERVER_PIDS[2]}"; wait "${SERVER_PIDS[2]}" 2>/dev/null; SERVER_PIDS[2]=""
wait "$cpid" || die "the queued requests were lost with the passive application: $(cat "$out")"
[ "$(srv_stat 1 fallback_ECONNABORTED)" -eq 2 ] ||
    die "node 1 did not serve both returned requests itself: $(srv_line 1)"
wait_for 15 exactly 0 conns_count 2 || die "node 2 kept entries: $(in_ns "$(ns_be 2)" "$DTCPCTL" conns)"
log "1: queued hand-offs of a dead application came back unserved and were served by node 1"

# 2. The active application dies while its hand-off is out.
restart_server 2
kill -STOP "${SERVER_PIDS[2]}"
client --requests 1 --owners 2 --sizes 100k >"$out" 2>&1 &
cpid=$!
wait_for 30 exactly 1 conns_count 2 queued || die "the hand-off did not queue on node 2: client: $(cat "$out")$(nodes_state 1 2)"
kill -KILL "${SERVER_PIDS[1]}"; wait "${SERVER_PIDS[1]}" 2>/dev/null; SERVER_PIDS[1]=""
[ "$(conns_count 1 handed-out)" -eq 1 ] || die "node 1's entry did not stay out with its application gone"
kill -CONT "${SERVER_PIDS[2]}"
wait "$cpid" || die "the response of a hand-off whose application died did not arrive: $(cat "$out")"
wait_for 15 exactly 0 conns_count 1 || die "node 1 kept entries: $(in_ns "$(ns_be 1)" "$DTCPCTL" conns)"
wait_for 15 exactly 0 conns_count 2 || die "node 2 kept entries: $(in_ns "$(ns_be 2)" "$DTCPCTL" conns)"
log "2: a hand-off outlived its application and the connection was closed on its return"
cluster_down
log "ok"
