# One keep-alive connection whose requests alternate among three back-ends:
# every response byte-exact, whichever back-end served it; every request
# owned by another node really was handed off (no local fallback).
. "$DTCP_ROOT/tests/vm/lib.sh"
COUNT=${COUNT:-60}
dtcp_cluster_up 3
start_hosmoke_all 3
in_ns "$NS_C" timeout 300 "$BUILD/tests/vm/dtcp-hosmoke" get --host "$VIP" --port "$PORT" \
    --owners 1,2,3 --count "$COUNT" --size "${SIZE:-20000}" || die "transfer failed"
# IPVS pinned the connection to one back-end: it handed two thirds away.
check_handoff_stats "$COUNT"
stop_servers
counters_zero_all
