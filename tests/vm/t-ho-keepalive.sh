# TCP keepalive on a handed-out socket.  Node 1's server uses keepalive
# (probes after 1 s idle, one unanswered probe ends the connection); node 2
# holds each hand-off 3 s before it answers.  While the connection is away,
# node 1's socket hears nothing from the client: its keepalive timer must
# not run then (a probe would be dropped as a frozen socket's, and the next
# expiry would end the connection under the passive node).  Once the
# connection is back, keepalive must work as before: in the 2.5 s the
# client then stays idle, node 1 probes and the client answers.
# Twice: keepalive on from the accept, and turned on (SO_KEEPALIVE, then
# TCP_KEEPIDLE) by a second thread while the connection is away.
. "$DTCP_ROOT/tests/vm/lib.sh"
dtcp_cluster_up 2
only_via 1	# node 1 is active; node 2 only serves hand-offs

# counter NAME: TcpExt counter NAME of node 1's namespace.
counter() {
    in_ns "$(ns_be 1)" awk -v k="$1" '/^TcpExt:/ { if (!c) { for (i = 1; i <= NF; i++) if ($i == k) c = i }
                                                    else { print $c; exit } }' /proc/net/netstat
}

# phase WHAT NODE1-ARGS...: node 1's server with those options; a hand-off
# held 3 s, 2.5 s idle, then a response node 1 serves itself.
phase() {
    local what=$1 probes handed fallback bad dropped d0 k0
    shift
    start_hosmoke 1 "$@"
    start_hosmoke 2 --hold-ms 3000
    hosmoke_listening 2
    k0=$(counter TCPKeepAlive) d0=$(mod_stat 1 frozen_dropped)
    in_ns "$NS_C" timeout 60 "$BUILD/tests/vm/dtcp-hosmoke" get --host "$VIP" --port "$PORT" \
        --owners 2,1 --count 2 --size 100000 --pause-ms 2500 ||
        die "$what: transfer failed (node 1: $(in_ns "$(ns_be 1)" "$BUILD/userspace/dtcpctl/dtcpctl" stats | tr '\n' ' '))"
    probes=$(( $(counter TCPKeepAlive) - k0 )) dropped=$(( $(mod_stat 1 frozen_dropped) - d0 ))
    hosmoke_log
    handed=$(hosmoke_stat 1 handed) fallback=$(hosmoke_stat 1 fallback) bad=$(hosmoke_sum bad)
    log "$what: keepalive probes from node 1: $probes; dropped from its frozen socket: $dropped"
    [ "$bad" -eq 0 ] || die "$what: $bad checks failed on the servers (see their log)"
    [ "$handed" -eq 1 ] && [ "$fallback" -eq 0 ] || die "$what: node 1 handed off $handed (fell back $fallback) of 1"
    [ "$dropped" -eq 0 ] || die "$what: node 1's frozen socket tried to send $dropped packets (keepalive ran while away)"
    [ "$probes" -ge 1 ] || die "$what: no keepalive probe in the 2.5 s idle after the return: keepalive is off"
    stop_servers
    rm -f "$(hosmoke_file 1)" "$(hosmoke_file 2)"
    counters_zero_all
}
phase "keepalive from the accept" --keepalive 1
phase "keepalive turned on while away" --keepalive-away-ms 200
counters_zero_all
log "ok: connections outlived 3 s hand-offs under 1 s keepalive, and probed again once back"
