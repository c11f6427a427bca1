# DESIGN 4.4, "client half-closes (FIN) during a hand-off": the FIN reaches
# the passive node while it sends; it comes back with the connection, the
# application on the active node reads end-of-stream after the return and
# closes: the client gets the whole response, then a clean end of stream.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
servers_up dtcp
only_via 1
slow_client_link 32mbit          # 4 MiB take about 1 s: the FIN comes mid-response
client --requests 1 --owners 2 --sizes 4M --half-close-after 64k ||
    die "the client did not get the whole response and a clean close"
[ "$(srv_stat 1 handoffs)" -eq 1 ] || die "node 1 did not hand the request off: $(srv_line 1)"
[ "$(srv_stat 1 fallbacks)" -eq 0 ] || die "node 1 fell back: $(srv_line 1)"
[ "$(mod_stat 1 handoff_done)" -ge 1 ] || die "node 1 counted no completed hand-off"
wait_for 15 exactly 0 conns_count 1 || die "node 1 kept entries: $(in_ns "$(ns_be 1)" "$DTCPCTL" conns)"
cluster_down
log "ok"
