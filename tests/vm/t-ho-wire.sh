# DESIGN 4.2 on the wire, as the client sees it: a capture at the client
# while connections are handed back and forth among three back-ends (mixed
# sizes, pipelining) is checked by dtcp-wirecheck: on every connection the
# server side's TSval, acknowledgement number and receive-window right edge
# never go backwards, whichever back-end sends; its TSecr echoes a TSval
# the client sent (ts_recent travels) and never goes back; and, the client closing
# every connection itself, the server side sends no RST and no FIN before
# the client's (--clean-close).  A frozen socket leaking a
# segment, a passive socket starting with a smaller window or an older
# clock, a discarded socket resetting or closing the connection, would each
# show here.  The LAN keeps each back-end's packets in
# order (lan_in_order): what goes back here is what a server sent.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
command -v tcpdump >/dev/null || skip "tcpdump is not installed (scripts/install-deps installs it)"
WIRECHECK=$BUILD/tests/tools/dtcp-wirecheck
cluster_up 3
lan_in_order
servers_up dtcp
cap=$(mktemp --suffix=.pcap) capinfo=$(mktemp); defer "rm -f $cap $capinfo"
# A 32 MiB buffer: on one emulated CPU tcpdump falls behind the transfers.
pcap_start "$NS_C" "$cap" "$capinfo" "tcp port $PORT" -s 128 -B 32768
client --conns 4 --requests 120 --owners 1,2,3 --sizes 0,1k,100k,300k || die "transfer failed"
client --conns 2 --requests 60 --pipeline 4 --owners 2,3,1 --sizes 10k,64k || die "pipelined transfer failed"
pcap_stop "$cap" 60
captured=$(pcap_count "$capinfo" captured) received=$(pcap_count "$capinfo" "received by filter")
dropped=$(pcap_count "$capinfo" "dropped by kernel")
[ -n "$captured" ] && [ -n "$received" ] && [ -n "$dropped" ] ||
    die "tcpdump reported no counts: $(cat "$capinfo")"
# The TSecr check needs every segment the client sent, and every
# connection must be there: judged only on a complete capture.
echo_check=() conns_seen=
if [ "$dropped" -gt 0 ] || [ "$captured" -lt "$received" ]; then
    log "the capture is incomplete ($captured of $received packets, $dropped dropped): TSecr not judged"
    echo_check=(--no-echo-check)
fi
handoffs=$(sum_srv_stat handoffs)
log "hand-offs: $handoffs; servers: $(srv_line 1) / $(srv_line 2) / $(srv_line 3)"
[ "$handoffs" -ge 300 ] || die "too few hand-offs for the check to mean anything: $handoffs"
# At least two server segments per request (600): the capture saw the
# traffic.  It sees GSO packets, not wire segments, and a header leaves
# with its body: a 300 KiB response can be a handful of packets.
if ! out=$("$WIRECHECK" "$cap" --server "$VIP" --port "$PORT" --min-segments 1200 --clean-close "${echo_check[@]}"); then
    [ -n "${DTCP_OUT:-}" ] && cp "$cap" "$DTCP_OUT/t-ho-wire.pcap"
    die "invariants violated on the wire: $out"
fi
log "$out"
if [ ${#echo_check[@]} -eq 0 ]; then
    conns_seen=${out%% connections,*}
    [ "$conns_seen" = 6 ] || die "a complete capture with $conns_seen connections, not the clients' 6"
fi
cluster_down
log "ok"
