# Where the instructions of a request go (scripts/profile-handoff), inside a
# guest on instruction-counted time with QEMU's plugin tests/perf/insn-profile.c
# loaded: PROFILE_ROUNDS rounds, each measuring every mode (serving locally,
# forwarding, the hand-off) in an order that rotates from round to round: one
# keep-alive connection whose owners alternate, PROFILE_REQUESTS requests of
# PROFILE_SIZE after 30 unmeasured; the plugin counts what every
# instruction block executed between "mark start" and "mark stop" around the
# measured client run (the client's start and exit included, once per run).
#   PROFILE_SIZE      object size (100k)
#   PROFILE_REQUESTS  requests measured per mode and round (200)
#   PROFILE_ROUNDS    rounds (3)
#   PROFILE_MARK      the marker (tests/perf/mark.c, dtcp-mark)
# Writes to $DTCP_OUT: kallsyms (this boot's symbols, for the host to name
# the blocks) and runs (per mode and round: the mode, its dump's number,
# requests, hand-offs, client segments forwarded through the tunnel, p50 ms,
# object size).
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
SIZE=${PROFILE_SIZE:-100k}
REQS=${PROFILE_REQUESTS:-200}
ROUNDS=${PROFILE_ROUNDS:-3}
MARK=${PROFILE_MARK:-}
[[ $REQS =~ ^[1-9][0-9]*$ ]] || die "PROFILE_REQUESTS=$REQS: not a positive number"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "PROFILE_ROUNDS=$ROUNDS: not a positive number"
[ -x "$MARK" ] || die "PROFILE_MARK: no marker program at '$MARK'"
cluster_up 3
cat /proc/kallsyms >"$DTCP_OUT/kallsyms"
# Addresses show as zeros unless this shell may see them (root, kptr_restrict < 2).
awk '$2 ~ /^[tT]$/ && $1 !~ /^0+$/ { n++ } END { exit !(n > 1000) }' "$DTCP_OUT/kallsyms" ||
    die "/proc/kallsyms shows no addresses (kernel.kptr_restrict is $(cat /proc/sys/kernel/kptr_restrict))"
: >"$DTCP_OUT/runs"
n=0
for (( r=1; r<=ROUNDS; r++ )); do
    for mode in $(rotate $((r - 1)) local forward dtcp); do
        servers_up "$mode"
        client --conns 1 --requests 30 --owners 1,2,3 --sizes "$SIZE" >/dev/null || die "$mode: warm-up failed"
        read -r h0 s0 < <(sum_mod_stats handoff_done seg_forwarded)
        "$MARK" start
        out=$(client --conns 1 --requests "$REQS" --owners 1,2,3 --sizes "$SIZE" --json) || die "$mode: client failed"
        "$MARK" stop
        read -r h1 s1 < <(sum_mod_stats handoff_done seg_forwarded)
        echo "$mode $n $REQS $((h1 - h0)) $((s1 - s0)) $(jq -r .latency_ms.p50 <<<"$out") $SIZE" >>"$DTCP_OUT/runs"
        n=$((n + 1))
        servers_down
    done
done
cluster_down
