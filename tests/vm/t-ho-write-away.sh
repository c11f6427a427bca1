# DESIGN 4.2, "writes on a handed-out socket cannot corrupt the stream":
# while each of node 1's hand-offs is out (node 2 holds every connection it
# accepts 400 ms before it answers), a second thread on node 1 writes to the
# handed-out socket 100 ms into the hand-off.  A non-blocking write must
# fail with EAGAIN; a blocking one must wait until the connection is back
# (not return within the 400 ms) and its bytes ("AWAY <seed>") must reach
# the client right after the response node 2 sent, every byte of both
# exact; the next response follows them.  Twice: the blocking write a
# write(), then a sendfile() (the socket's page path: sendpage on 6.1).
. "$DTCP_ROOT/tests/vm/lib.sh"
COUNT=6
dtcp_cluster_up 2
only_via 1	# node 1 is active; node 2 only serves hand-offs

for how in write sendfile; do
    rm -f "$(hosmoke_file 1)" "$(hosmoke_file 2)"
    start_hosmoke 1 --write-away-ms 100 --away-min-ms 400 --away-sendfile "$([ $how = sendfile ] && echo 1 || echo 0)"
    start_hosmoke 2 --hold-ms 400
    hosmoke_listening 2
    # Owners alternate 2, 1: three hand-offs, each followed by a local response.
    in_ns "$NS_C" timeout 120 "$BUILD/tests/vm/dtcp-hosmoke" get --host "$VIP" --port "$PORT" \
        --owners 2,1 --count "$COUNT" --size 100000 --expect-away $(( COUNT / 2 )) ||
        die "$how: transfer failed (node 1: $(in_ns "$(ns_be 1)" "$BUILD/userspace/dtcpctl/dtcpctl" stats | tr "\n" " "))"
    hosmoke_log
    handed=$(hosmoke_stat 1 handed) away=$(hosmoke_stat 1 away) bad=$(hosmoke_sum bad)
    [ "$bad" -eq 0 ] || die "$how: $bad checks failed on the servers (see their log)"
    [ "$handed" -eq $(( COUNT / 2 )) ] || die "$how: node 1 handed off $handed of $(( COUNT / 2 )) requests"
    [ "$away" -eq "$handed" ] || die "$how: $away of $handed writes while away behaved"
    stop_servers
    counters_zero_all
done
log "ok: $handed hand-offs per pass, a write (then a sendfile) during each: EAGAIN when non-blocking, blocked until the return"
