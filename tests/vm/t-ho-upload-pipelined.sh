# Uploads pipelined behind handed-off requests: each GET for another node's
# object is followed at once by a PUT of 4 MiB, whose body reaches the
# passive socket while it serves and stays there unread.  Those bytes do not
# travel back: the active node kept a copy as it forwarded them and puts them
# into its own socket with the return (module/upload.h).  The client must get
# every byte and every CRC right, and no reset; the copies are freed (the
# live counters, checked at cluster_down, include upload_pages).
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
CLIENT_TIMEOUT=120
cluster_up 3
only_via 1	# node 1 is active: every GET is for another node's object
servers_up dtcp
dtcpctl1() { in_ns "$(ns_be 1)" "$BUILD/userspace/dtcpctl/dtcpctl" "$@"; }
client --conns 2 --requests 16 --owners 2,3 --sizes 4M --upload 4M --pipeline 2 ||
    die "uploads pipelined behind handed-off requests failed (node 1: $(dtcpctl1 stats | tr "\n" " "))"
[ "$(sum_srv_stat puts)" -ge 16 ] || die "uploads were not made: $(sum_srv_stat puts)"
[ "$(sum_srv_stat handoffs)" -ge 2 ] || die "$(sum_srv_stat handoffs) hand-offs with uploads pipelined behind them"
[ "$(sum_srv_stat fallbacks)" -eq 0 ] || die "$(sum_srv_stat fallbacks) hand-offs fell back"
# The path under test was taken: client bytes came back from node 1's copy.
[ "$(sum_mod_stat upload_restored)" -ge 1 ] || die "no return restored client bytes: $(dtcpctl1 stats | tr "\n" " ")"
[ "$(sum_mod_stat upload_dropped)" -eq 0 ] || die "client segments dropped for want of room: $(sum_mod_stat upload_dropped)"
[ "$(sum_mod_stat handoff_failed)" -eq 0 ] || die "hand-offs failed: $(sum_mod_stat handoff_failed)"
cluster_down
log "ok"
