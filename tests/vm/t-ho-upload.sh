# Issue scenario 6: a 1 MiB request body (upload) followed by a handed-off
# response, on the same connection, repeatedly.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
CLIENT_TIMEOUT=120
cluster_up 3
servers_up dtcp
client --conns 2 --requests 8 --owners 1,2,3 --sizes 64k --upload 1M ||
    die "upload then hand-off failed"
[ "$(sum_srv_stat puts)" -ge 8 ] || die "uploads were not made: $(sum_srv_stat puts)"
[ "$(sum_srv_stat handoffs)" -gt 0 ] || die "no hand-off"
[ "$(sum_srv_stat fallbacks)" -eq 0 ] || die "hand-offs fell back"
cluster_down
log "ok"
