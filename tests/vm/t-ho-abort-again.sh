# A hand-off whose answer comes too late is taken back (ABORT) while the
# passive application still holds the socket it accepted; the active node
# then hands the same connection to the same node again, and again.  Such a
# new HANDOFF must not take the place of the old entry before the
# application has closed its socket (the old entry still has that socket to
# discard, and no reference to give up yet): it is refused.  The active node
# serves every request itself, every byte is exact, the held socket sends
# nothing to the client, and nothing is left behind.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
COUNT=4
dtcp_cluster_up 2
only_via 1	# node 1 is active; node 2 only serves hand-offs
# Node 2's tunnel messages (its HANDOFF_ACKs) reach node 1 only after
# 400 ms, far beyond node 1's answer timeout of 100 ms.
delay_tunnel_out 2 400ms

start_hosmoke 1 --answer-ms 100
start_hosmoke 2 --hold-ms 1500
hosmoke_listening 2

in_ns "$NS_C" timeout 120 "$BUILD/tests/vm/dtcp-hosmoke" get --host "$VIP" --port "$PORT" \
    --owners 2 --count "$COUNT" --size 3000 || die "transfer failed"
# The held socket is served (into silence) and closed after its hold.
held_served() { [ "$(hosmoke_stat 2 served)" -ge 1 ]; }
wait_for 20 held_served || die "node 2 never served the socket it held: $(cat "$(hosmoke_file 2)" 2>&1)"
hosmoke_log
handed=$(hosmoke_sum handed) fallback=$(hosmoke_sum fallback) local_n=$(hosmoke_sum local)
bad=$(hosmoke_sum bad)
[ "$bad" -eq 0 ] || die "$bad rebuilt sockets failed the server's checks"
[ "$handed" -eq 0 ] || die "$handed hand-offs completed; none can in time"
[ "$fallback" -eq "$COUNT" ] || die "$fallback of $COUNT hand-offs fell back"
[ "$local_n" -eq "$COUNT" ] || die "node 1 served $local_n of $COUNT requests"
timeouts=$(mod_stat 1 handoff_timeout)
[ "$timeouts" -eq "$COUNT" ] || die "node 1 counted $timeouts answer timeouts, expected $COUNT"
stop_servers
counters_zero_all
log "ok: $COUNT hand-offs taken back while node 2 held the first one's socket"
