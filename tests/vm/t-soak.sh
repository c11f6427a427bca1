# Soak: mixed hand-offs on a 3-back-end cluster for DTCP_SOAK_SECS seconds
# (default 30: the short version the suite runs; scripts/soak runs 10 min)
# under loss, delay and reordering on the client link and the back-end LAN.
#
# Four client loops run until the deadline, each starting a fresh
# dtcp-testcli (new connections, new seed) per round: small objects on 4
# connections with random owners (some owned by any node), pipelined
# medium objects, 256 KiB and 1 MiB objects, uploads between hand-offs.
# The client verifies every body byte (pattern, or CRC-32 of an upload).
#
# Recorded before and after, and sampled every DTCP_SOAK_SAMPLE seconds
# (default 5): the module's slab cache dtcp_conn (active objects in
# /proc/slabinfo) and its live-object counters; at the end the hand-off
# statistics of every back-end's module and server.  Passes when no byte was
# wrong, hand-offs happened (at least DTCP_SOAK_MIN_RATE per second of load,
# default 1), the modules' count of hand-offs done equals the servers', at
# most 1% of them failed and at most 1% fell back (under loss a hand-off may
# fail: its answer or the socket's quiescence can take longer than the
# caller's deadline), and once the servers are
# gone the live counters are zero and dtcp_conn holds exactly as many objects
# as before the load (counted after a shrink, which returns the per-CPU slabs'
# free objects to the cache, so no slack is needed; the samples are taken
# without a shrink and count whole slabs in use).  The summary also goes
# to $DTCP_OUT/soak-summary, the samples to $DTCP_OUT/soak-samples.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
secs=${DTCP_SOAK_SECS:-30}
every=${DTCP_SOAK_SAMPLE:-5}
min_rate=${DTCP_SOAK_MIN_RATE:-1}
seed=${DTCP_SOAK_SEED:-$(( $(date +%s) % 100000 ))}
CLIENT_TIMEOUT=60
CACHE=dtcp_conn
summary=${DTCP_OUT:-/tmp}/soak-summary
samples=${DTCP_OUT:-/tmp}/soak-samples
: >"$summary"; : >"$samples"
say() { log "$*"; echo "$*" >>"$summary"; }

modprobe -q sch_netem || skip "netem is not available in this kernel"
SECONDS=0
cluster_up 3

# --- the slab cache ----------------------------------------------------------
# SLUB merges caches of the same object size and flags: one set of slabs then
# serves several caches and its count says nothing about the module.
# dtcp_conn (552-byte objects on Debian's 6.1 and 6.12) has nothing to merge
# with: it has its own line in /proc/slabinfo and no aliases.  Its count is
# checked only while that holds (at the start and at the end).
slab_active() { awk -v c="$CACHE" '$1 == c { print $2; f = 1 } END { exit !f }' /proc/slabinfo; }
slab_shrunk() { echo 1 >"/sys/kernel/slab/$CACHE/shrink" && slab_active; }
slab_at() { [ "$(slab_shrunk)" = "$1" ]; }
slab_alone() { [ "$(cat "/sys/kernel/slab/$CACHE/aliases" 2>/dev/null)" = 0 ] && slab_active >/dev/null; }
[ -e "/sys/kernel/slab/$CACHE" ] || die "no slab cache $CACHE with the module loaded"
slab_own=1
if ! slab_alone; then
    slab_own=0
    say "slab: $CACHE shares its slabs with other caches ($(cat "/sys/kernel/slab/$CACHE/aliases") aliases): its count is not checked"
fi
slab_base=-
if [ "$slab_own" = 1 ]; then
    slab_base=$(slab_shrunk) || die "no line for $CACHE in /proc/slabinfo"
fi
say "baseline: $CACHE active objects $slab_base (after shrink); live $(dtcpctl -j status | jq -c .live)"

servers_up dtcp

# --- impairments -------------------------------------------------------------
netem() { in_ns "$1" tc qdisc add dev "$2" root netem "${@:3}" || die "netem on $1/$2"; }
netem "$NS_C" eth0 delay 5ms 2ms loss 1% reorder 5% 50%   # client -> router
netem "$NS_R" cl0 delay 5ms 2ms loss 1% reorder 5% 50%    # router -> client
for i in 1 2 3; do
    netem "$(ns_be "$i")" eth0 delay 1ms 1ms loss 1%      # back-end -> LAN (tunnel, replies)
    netem "$NS_R" "b$i" delay 1ms 1ms loss 1%             # LAN -> back-end
done

# --- load --------------------------------------------------------------------
work=$(mktemp -d)
defer "rm -rf $work"
deadline=$(( $(date +%s) + secs ))

# soak_loop NAME INDEX ARGS...: dtcp-testcli rounds until the deadline; each
# round's JSON summary goes to NAME.ok, a failing round's output to NAME.fail
# (and the loop stops).
soak_loop() {
    local name=$1 idx=$2 round=0 s out
    shift 2
    while [ "$(date +%s)" -lt "$deadline" ]; do
        round=$((round + 1))
        s=$(( seed * 100 + idx * 100000000 + round ))
        if ! out=$(client --json --seed "$s" "$@" 2>&1); then
            printf '%s round %d (--seed %d): %s\n' "$name" "$round" "$s" "$out" >"$work/$name.fail"
            return 1
        fi
        printf '%s\n' "$out" >>"$work/$name.ok"
    done
}

loops=(small piped large upload)
say "set up in $SECONDS s; load: $secs s, seed $seed; netem: client link 5 ms +/- 2 ms, 1% loss, 5% reordering; LAN 1 ms +/- 1 ms, 1% loss"
soak_loop small 1 --conns 4 --requests 40 --owners 0,1,2,3 --random-owners --sizes 0,100,1k,4k,16k &
pids=($!)
soak_loop piped 2 --conns 2 --requests 24 --owners 1,2,3 --random-owners --pipeline 4 --sizes 1k,20k,150k &
pids+=($!)
soak_loop large 3 --conns 2 --requests 2 --owners 1,2,3 --random-owners --sizes 256k,1M &
pids+=($!)
soak_loop upload 4 --conns 1 --requests 8 --owners 1,2,3 --sizes 4k,300k --upload 64k &
pids+=($!)
for p in "${pids[@]}"; do defer "kill $p; wait $p"; done

# Samples while the load runs: elapsed s, dtcp_conn active objects (no
# shrink: what the cache holds, per-CPU slabs included), live counters.
t0=$(date +%s)
echo "# s slab_active conns handoffs files" >>"$samples"
while [ "$(date +%s)" -lt "$deadline" ]; do
    st=$(dtcpctl -j status)
    echo "$(( $(date +%s) - t0 )) $(slab_active || echo -) $(jq -r '[.live.conns, .live.handoffs, .live.files] | join(" ")' <<<"$st")" >>"$samples"
    sleep "$every"
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
load_s=$(( $(date +%s) - t0 ))
awk '!/^#/ && $2 != "-" { n++; if (n == 1 || $2 < mn) mn = $2; if ($2 > mx) mx = $2;
                          if ($3 > mc) mc = $3; if ($4 > mh) mh = $4 }
     END { printf "during load (%d samples): %s active objects min %d max %d; live conns max %d, hand-offs in flight max %d\n",
           n, c, mn, mx, mc, mh }' c="$CACHE" "$samples" | while read -r l; do say "$l"; done

# --- results -----------------------------------------------------------------
for f in "$work"/*.fail; do
    [ -e "$f" ] || continue
    say "client failed: $(cat "$f")"
done
totals=$(cat "$work"/*.ok 2>/dev/null | jq -s '{rounds: length, requests: (map(.requests) | add),
    ok: (map(.ok) | add), failures: (map(.failures) | add), bytes: (map(.bytes) | add)}')
say "clients ($load_s s): $(jq -c . <<<"$totals")"
for l in "${loops[@]}"; do
    [ -e "$work/$l.ok" ] && say "  $l: $(jq -s -c '{rounds: length, requests: (map(.requests) | add),
        p50_ms_avg: (map(.latency_ms.p50) | add / length | floor), p99_ms_max: (map(.latency_ms.p99) | max | floor)}' "$work/$l.ok")"
done

# The clients are done, but the last hand-offs' returns may still be under
# way: the counters are read once none is in flight, and again should the
# servers' count lag behind the modules' by the moment between the two reads.
in_flight_none() { dtcpctl -j status | jq -e '.live.handoffs == 0' >/dev/null; }
wait_for 20 in_flight_none || say "hand-offs still in flight 20 s after the load: $(dtcpctl -j status | jq -c .live)"
read_counters() {
    local i
    mod=$(for i in 1 2 3; do in_ns "$(ns_be "$i")" "$DTCPCTL" -j stats; done |
          jq -s -c 'reduce (.[] | to_entries[]) as $e ({}; .[$e.key] += $e.value)')
    srv_lines=""
    for i in 1 2 3; do srv_lines+="$(srv_line "$i")"$'\n'; done
    done_n=$(jq '.handoff_done // 0' <<<"$mod") failed_n=$(jq '.handoff_failed // 0' <<<"$mod")
    again_n=$(jq '.handoff_again // 0' <<<"$mod")
    handoffs=$(srv_sum handoffs) fallbacks=$(srv_sum fallbacks)
    accepted=$(srv_sum accepted) srv_errors=$(srv_sum errors)
}
# srv_sum NAME: a server counter summed over the three back-ends.
srv_sum() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$srv_lines" | awk '{ s += $1 } END { print s + 0 }'; }
read_counters
[ "$done_n" = "$handoffs" ] || { sleep 1; read_counters; }
while read -r l; do say "server: $l"; done <<<"${srv_lines%$'\n'}"
say "modules (sum of 3): $mod"
say "counters read at $SECONDS s"

# --- settle ------------------------------------------------------------------
servers_down
settle0=$(date +%s%N)
# Passive entries linger 1 s after their socket is gone; tombstones (10 s)
# are xarray values, not dtcp_conn objects, and no live counter.
no_entries() { dtcpctl -j status | jq -e '.live.conns == 0 and .live.handoffs == 0 and .live.files == 0' >/dev/null; }
wait_for 20 no_entries || say "entries remain 20 s after the servers stopped: $(dtcpctl -j status | jq -c .live)"
settle_ms=$(( ($(date +%s%N) - settle0) / 1000000 ))
cluster_down   # peers removed; every live counter zero (else it fails here)
say "after: live $(dtcpctl -j status | jq -c .live), zero ${settle_ms} ms after the servers stopped"
if [ "$slab_own" = 1 ] && ! slab_alone; then
    slab_own=0
    say "slab: a cache was merged into $CACHE during the load: its count is not checked"
fi
if [ "$slab_own" = 1 ]; then
    wait_for 10 slab_at "$slab_base" || true
    slab_end=$(slab_shrunk)
    say "after: $CACHE active objects $slab_end (after shrink), baseline $slab_base"
fi
say "scenario time so far $SECONDS s (load $load_s s)"

# --- verdict -----------------------------------------------------------------
[ "$rc" = 0 ] || die "a client saw wrong data or no progress (above)"
jq -e '.requests > 0 and .failures == 0 and .ok == .requests' <<<"$totals" >/dev/null ||
    die "requests failed: $(jq -c . <<<"$totals")"
[ "$srv_errors" = 0 ] || die "servers counted $srv_errors errors"
[ "$done_n" -ge $(( min_rate * secs )) ] ||
    die "only $done_n hand-offs done in $secs s (floor $(( min_rate * secs )))"
[ "$done_n" = "$handoffs" ] || die "modules report $done_n hand-offs done, servers $handoffs"
[ $(( failed_n * 100 )) -le $(( done_n + failed_n )) ] ||
    die "too many hand-offs failed: $failed_n of $(( done_n + failed_n ))"
[ $(( fallbacks * 100 )) -le $(( handoffs + fallbacks )) ] ||
    die "too many hand-offs fell back: $fallbacks of $(( handoffs + fallbacks ))"
if [ "$slab_own" = 1 ]; then
    [ "$slab_end" = "$slab_base" ] || die "$CACHE holds $slab_end objects, $slab_base before the load"
fi
say "ok: $(jq '.requests' <<<"$totals") requests verified, $done_n hand-offs done, $failed_n failed, $again_n started over, $fallbacks fell back, $accepted served by passive nodes"
