# DESIGN 4.4, "P dies after HANDOFF_ACK": the passive node vanishes in the
# middle of a response (its link, server and namespace go).  The active node
# hears nothing more about the hand-off, takes the passive node for dead,
# resets the client at the sequence number the client has reached and frees
# everything.  The client gets a reset within a bounded time: never a hang,
# never a wrong byte.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
BOUND_S=15   # the module's limit of silence is 6 s; the rest is slack for TCG
cluster_up 3
servers_up dtcp
only_via 1
slow_client_link 16mbit          # 16 MiB take about 8 s
out=$(mktemp); defer "rm -f $out"
CLIENT_TIMEOUT=60 client --requests 1 --owners 2 --sizes 16M >"$out" 2>&1 &
cpid=$!
wait_for 30 at_least 1 conns_count 2 serving || die "node 2 never served the hand-off: $(cat "$out")"
node_die 2
t0=$(date +%s%N)
wait "$cpid"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
log "client: exit $rc after ${ms} ms: $(tr '\n' ' ' <"$out")"
[ "$rc" -ne 0 ] || die "the client got the whole response from a node that died during it"
client_reset_only "$out" || die "the client saw something other than a reset"
[ "$ms" -le $((BOUND_S * 1000)) ] || die "the reset took ${ms} ms (bound ${BOUND_S} s)"
[ "$(mod_stat 1 peer_lost)" -ge 1 ] || die "node 1 did not count the lost peer"
wait_for 10 at_least 1 srv_stat 1 fallback_ECONNRESET ||
    die "node 1's application did not see ECONNRESET: $(srv_line 1)"
wait_for 10 exactly 0 conns_count 1 || die "node 1 kept entries: $(in_ns "$(ns_be 1)" "$DTCPCTL" conns)"
cluster_down
log "ok: reset after ${ms} ms"
