# Issue scenario 3: the client sends 10 requests before reading; requests
# that arrive during a hand-off are answered in order after the return.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
servers_up dtcp
client --conns 3 --requests 60 --owners 1,2,3 --random-owners --seed 5 --sizes 100,20k,150k \
    --pipeline 10 || die "pipelined transfer failed"
# Every answer was checked in order above.  A hand-off that falls back is
# answered locally, also in order; under emulation one now and then does
# (open: which refusal it is, so the servers' counters are printed).  Most
# must be handed off.
handoffs=$(sum_srv_stat handoffs) fallbacks=$(sum_srv_stat fallbacks)
[ "$handoffs" -gt 0 ] || die "no hand-off"
if [ "$fallbacks" -gt 0 ]; then
    for i in 1 2 3; do log "back-end $i: $(srv_line "$i")"; done
fi
[ $(( fallbacks * 20 )) -le "$handoffs" ] || die "too many hand-offs fell back: $fallbacks of $((handoffs + fallbacks))"
cluster_down
log "ok: $handoffs hand-offs with 10 requests in flight, $fallbacks fell back"
