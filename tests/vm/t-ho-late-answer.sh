# The passive node's answer comes after the active node's answer timeout,
# but it serves at once: the client's acknowledgement of bytes the active
# node never sent answers the HANDOFF (the passive node sends HANDOFF_ACK
# only 5 ms after building its socket, or not at all when its RETURN comes
# first, so a response is often on its way before any answer).  The active
# node must not time out and serve the request a second time over what the
# client has already received: every hand-off completes, byte-exact, none
# times out, and nothing is left behind.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
COUNT=4
dtcp_cluster_up 2
only_via 1	# node 1 is active; node 2 only serves hand-offs
# Node 2's tunnel messages (HANDOFF_ACK, RETURN) reach node 1 only after
# 1 s, far beyond node 1's answer timeout of 300 ms; the client's
# segments, diverted by node 1, reach node 2 at once.
delay_tunnel_out 2 1000ms

start_hosmoke 1 --answer-ms 300
start_hosmoke 2
hosmoke_listening 2

in_ns "$NS_C" timeout 120 "$BUILD/tests/vm/dtcp-hosmoke" get --host "$VIP" --port "$PORT" \
    --owners 2 --count "$COUNT" --size 3000 || die "transfer failed"
# The client has every response; the last RETURN is still on its way.
settled() { [ $(( $(hosmoke_sum handed) + $(hosmoke_sum fallback) + $(hosmoke_sum local) )) -ge "$COUNT" ]; }
wait_for 20 settled || die "node 1's hand-offs did not all end: $(hosmoke_log)"
hosmoke_log
handed=$(hosmoke_sum handed) fallback=$(hosmoke_sum fallback) bad=$(hosmoke_sum bad)
[ "$bad" -eq 0 ] || die "$bad rebuilt sockets failed the server's checks"
[ "$fallback" -eq 0 ] || die "$fallback hand-offs fell back although node 2 served them"
[ "$handed" -eq "$COUNT" ] || die "$handed of $COUNT hand-offs completed"
timeouts=$(mod_stat 1 handoff_timeout)
[ "$timeouts" -eq 0 ] || die "node 1 counted $timeouts answer timeouts"
stop_servers
counters_zero_all
log "ok: $COUNT hand-offs answered by the client's progress before node 2's late answer"
