# A delayed ACK the frozen socket had pending, and a connection that comes
# back before its timer fires.  Node 1 answers four small requests itself,
# quickly (the ping-pong mode: a request is acknowledged by a delayed-ACK
# timer unless a response carries the acknowledgement first); the fifth is
# node 2's, which answers at once, so the connection is home again well
# before node 1's timer (at least 40 ms).  The passive socket's response
# acknowledged the request, and the state says whether it still owed an
# ACK: node 1's pending one is stale.  Node 1 must send no pure ACK from the
# RETURN it receives to the client's next request (300 ms later), on a
# connection where the capture shows the request unacknowledged by node 1
# when it sent the HANDOFF, and where the timer did not fire while away
# (frozen_dropped unchanged).  Up to three connections, for one such.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
command -v tcpdump >/dev/null || skip "tcpdump is not installed (scripts/install-deps installs it)"
dtcp_cluster_up 2
only_via 1	# node 1 is active; node 2 only serves hand-offs
start_hosmoke 1
start_hosmoke 2
hosmoke_listening 2

cap=$(mktemp --suffix=.pcap) capinfo=$(mktemp) txt=$(mktemp); defer "rm -f $cap $capinfo $txt $txt.spare"
be1=$(be_addr 1)
proven=0 conns=0
while [ "$proven" -eq 0 ] && [ "$conns" -lt 3 ]; do
    conns=$((conns + 1))
    pcap_node_handoffs 1 "$cap" "$capinfo"
    d0=$(mod_stat 1 frozen_dropped)
    in_ns "$NS_C" timeout 60 "$BUILD/tests/vm/dtcp-hosmoke" get --host "$VIP" --port "$PORT" \
        --owners 1,1,1,1,2,1 --count 6 --size 1000 --pause-ms 300 ||
        die "transfer failed (node 1: $(in_ns "$(ns_be 1)" "$DTCPCTL" stats | tr '\n' ' '))"
    dropped=$(( $(mod_stat 1 frozen_dropped) - d0 ))
    pcap_stop "$cap" 30
    pcap_complete "$capinfo"
    tcpdump -r "$cap" -n -tt 2>/dev/null >"$txt"
    # pending: no segment from the server side between the client's last
    # request and the HANDOFF; spare: pure ACKs from the server side between
    # the RETURN and the client's next request.
    read -r aways pending spare < <(awk -v me="$be1.$TUNNEL_PORT" -v srv="$VIP.$PORT" '
        $3 == me && / UDP/ { if (!away) { aways++; pending = !answered } away = 1; back = 0; next }
        $5 == me ":" && / UDP/ { if (away) back = 1; away = 0; next }
        $5 == srv ":" && !/length 0$/ { answered = 0; back = 0; next }
        $3 == srv { answered = 1; if (back && /Flags \[\.\]/ && /length 0$/) { n++; print > "/dev/stderr" } }
        END { print aways + 0, pending + 0, n + 0 }' "$txt" 2>"$txt.spare")
    log "connection $conns: $aways hand-offs on node 1's link, request unacknowledged at the HANDOFF: $pending, timer fired while away: $dropped, pure ACKs after the return: $spare"
    [ "$aways" -eq 1 ] || die "$aways HANDOFF-to-RETURN intervals in node 1's capture, not 1: $(head -c 2000 "$txt")"
    [ "$spare" -eq 0 ] || die "node 1 sent $spare pure ACKs after the connection came back: $(cat "$txt.spare")"
    [ "$pending" -eq 1 ] && [ "$dropped" -eq 0 ] && proven=1
done
hosmoke_log
handed=$(hosmoke_stat 1 handed) served=$(hosmoke_stat 2 served) bad=$(hosmoke_sum bad)
[ "$bad" -eq 0 ] || die "$bad checks failed on the servers (see their log)"
[ "$handed" -eq "$conns" ] && [ "$served" -eq "$conns" ] ||
    die "node 1 handed off $handed, node 2 served $served, of $conns"
[ "$proven" -eq 1 ] ||
    die "in $conns connections none came back with node 1's delayed ACK still pending: the check above proved nothing"
stop_servers
counters_zero_all
log "ok: node 1's stale delayed ACK stayed unsent after the return"
