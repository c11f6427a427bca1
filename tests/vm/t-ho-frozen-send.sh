# A frozen socket that does try to send, and the wire.  Node 1 answers four
# small requests itself, quickly: its socket goes into the interactive
# (ping-pong) mode where a request is acknowledged late, by a delayed ACK
# timer, unless a response carries the acknowledgement first.  The fifth
# request is node 2's: node 1 reads it and hands the connection off, its
# delayed ACK still pending; node 2 holds the connection 1 s, well past the
# timer (at most 200 ms).  The timer fires on the frozen socket, which sends
# its ACK: the hooks must drop it (frozen_dropped), and a capture on node 1's
# link must show no TCP segment of the connection leaving node 1 between the
# HANDOFF it sent and the RETURN it received.  The acknowledgement is the
# passive socket's to send (delayed too, DTCP_ST_ACK_DUE): the client must
# not send its request again while node 2 holds the connection.  Node 1
# answers the sixth request once the connection is back.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
command -v tcpdump >/dev/null || skip "tcpdump is not installed (scripts/install-deps installs it)"
dtcp_cluster_up 2
only_via 1	# node 1 is active; node 2 only serves hand-offs
start_hosmoke 1
start_hosmoke 2 --hold-ms 1000
hosmoke_listening 2

cap=$(mktemp --suffix=.pcap) capinfo=$(mktemp) txt=$(mktemp); defer "rm -f $cap $capinfo $txt"
pcap_node_handoffs 1 "$cap" "$capinfo"

# One connection at a time, up to three: a connection on which the request
# was acknowledged before the freeze (the emulated machine too slow for the
# ping-pong mode) tries nothing and proves nothing either way.
d0=$(mod_stat 1 frozen_dropped) dropped=0 conns=0 r0=$(client_retrans)
while [ "$dropped" -eq 0 ] && [ "$conns" -lt 3 ]; do
    conns=$((conns + 1))
    in_ns "$NS_C" timeout 60 "$BUILD/tests/vm/dtcp-hosmoke" get --host "$VIP" --port "$PORT" \
        --owners 1,1,1,1,2,1 --count 6 --size 1000 ||
        die "transfer failed (node 1: $(in_ns "$(ns_be 1)" "$DTCPCTL" stats | tr '\n' ' '))"
    dropped=$(( $(mod_stat 1 frozen_dropped) - d0 ))
done
retrans=$(( $(client_retrans) - r0 ))
pcap_stop "$cap" 30
pcap_complete "$capinfo"
hosmoke_log
handed=$(hosmoke_stat 1 handed) served=$(hosmoke_stat 2 served) bad=$(hosmoke_sum bad)
[ "$bad" -eq 0 ] || die "$bad checks failed on the servers (see their log)"
[ "$handed" -eq "$conns" ] && [ "$served" -eq "$conns" ] ||
    die "node 1 handed off $handed, node 2 served $served, of $conns"

tcpdump -r "$cap" -n -tt 2>/dev/null >"$txt"
be1=$(be_addr 1)
# Away from a HANDOFF node 1 sends to the RETURN it receives (their
# retransmissions change nothing): every TCP segment from the server side
# meanwhile is the frozen socket's.
read -r aways leaked < <(awk -v me="$be1.$TUNNEL_PORT" -v srv="$VIP.$PORT" '
    $3 == me && / UDP/ { if (!away) aways++; away = 1; next }
    $5 == me ":" && / UDP/ { away = 0; next }
    $3 == srv && away { n++; print > "/dev/stderr" }
    END { print aways + 0, n + 0 }' "$txt" 2>"$txt.leaks")
defer "rm -f $txt.leaks"
log "$conns connections, $aways hand-offs on node 1's link; the frozen socket tried to send $dropped packets; $leaked reached the link; the client sent $retrans segments again"
[ "$aways" -eq "$conns" ] || die "$aways HANDOFF-to-RETURN intervals in node 1's capture, not $conns: $(head -c 2000 "$txt")"
[ "$leaked" -eq 0 ] || die "$leaked segments of the frozen socket on the wire: $(cat "$txt.leaks")"
# The acknowledgement Sa owed is the passive node's to send: within the
# delayed-ACK time, not after the client's retransmission timeout.
[ "$retrans" -eq 0 ] ||
    die "the client sent $retrans segments again: its request went unacknowledged while node 2 held the connection"
[ "$dropped" -ge 1 ] ||
    die "in $conns connections node 1's frozen socket sent nothing (no delayed ACK pending at the freeze): the check above proved nothing"
stop_servers
counters_zero_all
log "ok: the frozen socket's ACK was dropped in node 1 and never reached the wire"
