# shutdown(SHUT_WR) on a handed-out socket.  A second thread on node 1
# shuts its socket down for writing 200 ms into each hand-off, while node 2
# holds the connection 1 s before it answers.  The call must succeed at
# once, send nothing while the connection is away (no FIN from the frozen
# socket: the client is still being answered by node 2), and the FIN must
# follow the response once the connection is back: the client reads the
# whole response, then the end of the stream, never a reset; also when the
# connection comes back with part of the response unacknowledged (a tail
# node 1 must queue although the socket is shut down for writing).
. "$DTCP_ROOT/tests/vm/lib.sh"
dtcp_cluster_up 2
only_via 1	# node 1 is active; node 2 only serves hand-offs
start_hosmoke 1 --shutdown-away-ms 200
start_hosmoke 2 --hold-ms 1000
hosmoke_listening 2

# get SIZE: one request for SIZE bytes owned by node 2; the response, then
# the end of the stream, nothing sent by the frozen socket.
get() {
    local d0 dropped
    d0=$(mod_stat 1 frozen_dropped)
    in_ns "$NS_C" timeout 60 "$BUILD/tests/vm/dtcp-hosmoke" get --host "$VIP" --port "$PORT" \
        --owners 2 --count 1 --size "$1" --expect-eof 1 ||
        die "$1 bytes: the response, then the end of the stream, did not arrive (node 1: $(in_ns "$(ns_be 1)" "$BUILD/userspace/dtcpctl/dtcpctl" stats | tr '\n' ' '))"
    dropped=$(( $(mod_stat 1 frozen_dropped) - d0 ))
    [ "$dropped" -eq 0 ] || die "$1 bytes: node 1's frozen socket tried to send $dropped packets"
}
for size in 100000 0 3000000; do get "$size"; done
# With 50 ms of delay on the client's link, a 1 KiB response is returned
# unacknowledged: its tail goes into node 1's socket past the shutdown.
modprobe -q sch_netem || skip "netem is not available in this kernel"
in_ns "$NS_C" tc qdisc add dev eth0 root netem delay 50ms || die "netem on the client link"
t0=$(mod_stat 2 tail_returned)  # counted by the passive node
for i in 1 2 3; do get 1000; done
tails=$(( $(mod_stat 2 tail_returned) - t0 ))
hosmoke_log
log "1 KiB returns that brought a tail back: $tails of 3"
[ "$tails" -ge 1 ] || die "no 1 KiB return carried a tail: the tail past a shutdown was not tried"
handed=$(hosmoke_stat 1 handed) fallback=$(hosmoke_stat 1 fallback) bad=$(hosmoke_sum bad)
[ "$bad" -eq 0 ] || die "$bad checks failed on the servers (see their log)"
[ "$handed" -eq 6 ] && [ "$fallback" -eq 0 ] || die "node 1 handed off $handed (fell back $fallback) of 6"
stop_servers

# The passive side: node 2's application shuts each hand-off it served down
# for writing before it closes it.  The connection is not node 2's to end:
# no FIN reaches the client, the connection comes back, and node 1 answers
# the next requests on it.
in_ns "$NS_C" tc qdisc del dev eth0 root || die "netem off the client link"
rm -f "$(hosmoke_file 1)" "$(hosmoke_file 2)"
start_hosmoke 1
start_hosmoke 2 --shutdown-served 1
hosmoke_listening 2
in_ns "$NS_C" timeout 60 "$BUILD/tests/vm/dtcp-hosmoke" get --host "$VIP" --port "$PORT" \
    --owners 2,1,2,1 --count 4 --size 100000 ||
    die "the passive node's shutdown ended the connection (node 2: $(in_ns "$(ns_be 2)" "$BUILD/userspace/dtcpctl/dtcpctl" stats | tr '\n' ' '))"
hosmoke_log
handed=$(hosmoke_stat 1 handed) served=$(hosmoke_stat 2 served) bad=$(hosmoke_sum bad)
[ "$bad" -eq 0 ] || die "$bad checks failed on the servers (see their log)"
[ "$handed" -eq 2 ] && [ "$served" -eq 2 ] || die "node 1 handed off $handed, node 2 served $served, of 2"
stop_servers
counters_zero_all
log "ok: shut down while away, the FIN followed each response once the connection was back; a passive node's shutdown sent none"
