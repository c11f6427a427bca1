# The passive node's limit (max_conns=1 here) while HANDOFFs wait to be
# built: node 2 receives on CPU 0 (steering) and queues its builds there,
# and CPU 0 is held until the active nodes have retransmitted, so whatever
# reaches node 2 meanwhile arrives before any of it is built.  Clients go
# to nodes 1 and 3 in turn; everything else runs on CPU 1.
#  - A retransmitted HANDOFF (20 ms, 60 ms, ... after the first copy) takes
#    no place of its own: the hand-off is served, not refused as over the
#    limit by its own first copy.
#  - Two hand-offs of two connections, one from each active node, both
#    arriving while held: one is served; the other, over the limit once
#    the first is built, is refused with EBUSY and served by its active
#    node.
# vm-cpus: 2  (scripts/test runs it in a guest of two CPUs)
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
[ "$(nproc)" -ge 2 ] || skip "needs two CPUs (one held, one working); this guest has $(nproc)"
# This script and all it starts (servers, clients, dtcpctl) run on CPU 1:
# none of them waits behind the loop that holds CPU 0.
taskset -pc 1 $$ >/dev/null || die "taskset"
module_load max_conns=1
cluster_up 3
# However long the hold: a hand-off waits up to 30 s for its answer.
SERVER_ARGS="--answer-ms 30000" servers_up dtcp
in_ns "$NS_F" ipvsadm -d -t "$VIP:$PORT" -r "$(be_addr 2):$PORT" || die "ipvsadm -d 2"
in_ns "$(ns_be 2)" sh -c 'echo 1 > /sys/class/net/eth0/queues/rx-0/rps_cpus' || die "steering on node 2"
out=$(mktemp); defer "rm -f $out"
flag=$(mktemp -u); defer "touch $flag"
rtx_sum() { echo $(( $(mod_stat 1 retransmits) + $(mod_stat 3 retransmits) )); }

# 1. One hand-off, its HANDOFF retransmitted while the first copy waits.
hold_cpu 0 "$flag"
client --requests 1 --owners 2 --sizes 10k >"$out" 2>&1 &
cpid=$!
wait_for 30 at_least 1 rtx_sum ||
    die "no HANDOFF was retransmitted while node 2 was held: client: $(cat "$out")$(nodes_state 1 2 3)"
release_cpu "$flag"
wait "$cpid" || die "the hand-off was not served: $(cat "$out")"
[ "$(srv_stat 2 accepted)" -eq 1 ] ||
    die "node 2 did not serve the hand-off: $(srv_line 1) $(srv_line 3)$(nodes_state 1 2 3)"
[ "$(mod_stat 2 handoff_refused)" -eq 0 ] || die "node 2 counts $(mod_stat 2 handoff_refused) refused HANDOFFs, not 0"
# Every entry freed, not only out of the tables: one waiting to be freed
# still counts against the limit.
conns_live() { dtcpctl -j status | jq .live.conns; }
wait_for 15 exactly 0 conns_live || die "entries remain: $(dtcpctl -j status | jq -c .live)"
log "1: a HANDOFF retransmitted before its first copy was built was served"

# 2. Two hand-offs to node 2 at once, from nodes 1 and 3.
declare -A rtx0
for i in 1 3; do rtx0[$i]=$(mod_stat "$i" retransmits); done
hold_cpu 0 "$flag"
client --conns 2 --requests 1 --owners 2 --sizes 10k >"$out" 2>&1 &
cpid=$!
for i in 1 3; do
    wait_for 30 at_least $((rtx0[$i] + 1)) mod_stat "$i" retransmits ||
        die "node $i's HANDOFF was not retransmitted while node 2 was held: client: $(cat "$out")$(nodes_state 1 2 3)"
done
release_cpu "$flag"
wait "$cpid" || die "a request was not served: $(cat "$out")"
[ "$(srv_stat 2 accepted)" -eq 2 ] ||
    die "node 2 served $(( $(srv_stat 2 accepted) - 1 )) of the two, not one: $(srv_line 1) $(srv_line 3)$(nodes_state 1 2 3)"
[ $(( $(srv_stat 1 fallback_EBUSY) + $(srv_stat 3 fallback_EBUSY) )) -eq 1 ] ||
    die "not one hand-off refused with EBUSY: $(srv_line 1) $(srv_line 3)"
[ "$(mod_stat 2 handoff_refused)" -eq 1 ] || die "node 2 counts $(mod_stat 2 handoff_refused) refused HANDOFFs, not 1"
log "2: of two HANDOFFs built at once with room for one, one was served and one refused"
cluster_down
log "ok"
