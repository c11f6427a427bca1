# Where the client's time goes after the response is on its link
# (scripts/client-wait), inside the VM, every CPU shared: for forwarding,
# the hand-off and serving locally, ROUNDS rounds in an order that rotates,
# each round two passes of REQUESTS requests on one keep-alive connection
# whose owners alternate.
#   capture pass  tcpdump on the client's link: per request, when the
#                 response's first and last byte reached it (from the
#                 request's segment); p50 over the requests
#   sched pass    the scheduler's switch events: how long per request the
#                 client was runnable but kept off a CPU (preempted), its
#                 involuntary context switches per request, which tasks
#                 took its CPU from it, and, for kernel workers, the work
#                 item each ran
# The client's own p50 latency is reported from both passes.  Both tools
# cost CPU time on this machine, in every mode alike.
#   CLIENT_WAIT_SIZE      object size (100k)
#   CLIENT_WAIT_REQUESTS  requests per pass (90)
#   CLIENT_WAIT_ROUNDS    rounds (3)
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
SIZE=${CLIENT_WAIT_SIZE:-100k}
REQS=${CLIENT_WAIT_REQUESTS:-90}
ROUNDS=${CLIENT_WAIT_ROUNDS:-3}
T=/sys/kernel/tracing
[ -d "$T/events" ] || mount -t tracefs nodev "$T" || skip "tracefs is not available"
for e in sched/sched_switch workqueue/workqueue_execute_start; do
    [ -d "$T/events/$e" ] || skip "this kernel has no $e event"
done
command -v tcpdump >/dev/null || skip "tcpdump is not installed"
[ -x /usr/bin/time ] || skip "/usr/bin/time is not installed"
echo 16384 > "$T/buffer_size_kb" || die "trace buffer size"
cluster_up 3
CAP=$(mktemp -d)
defer "rm -rf $CAP"

# wire_times PCAP: per request, the response's first and last byte on the
# client's link, in µs after the request's segment; prints the medians.
wire_times() {
    tcpdump -r "$1" -n -tt 2>/dev/null | awk -v vip="$VIP.$PORT" '
        function flush() { if (start && last) { nf++; f[nf] = (first - start) * 1e6; l[nf] = (last - start) * 1e6 } }
        function med(a, n,   i, j, t) {
            for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return n ? a[int((n + 1) / 2)] : 0 }
        { len = 0; for (i = 1; i <= NF; i++) if ($i == "length") len = $(i + 1) + 0 }
        len == 0 { next }
        $3 != vip { flush(); start = $1; first = 0; last = 0; next }	# the client sends: a request
        start { if (!first) first = $1; last = $1 }
        END { flush(); printf "%.0f %.0f %d", med(f, nf), med(l, nf), nf }'
}
# preempted TRACE: µs per request the client was runnable and off a CPU;
# after "|", the tasks that took its CPU (switches away from it while
# runnable, per request); after another "|", the work items the kernel
# workers that took it ran first.
preempted() {
    awk -v reqs="$REQS" '
        { cpu = $0; sub(/^[^[]*\[/, "", cpu); cpu = substr(cpu, 1, 3) + 0 }
        / sched_switch: / {
            t = $0; sub(/^.*\] [^ ]* /, "", t); split(t, a, ":"); ts = a[1] + 0
            pc = ""; ps = ""; nc = ""
            for (i = 1; i <= NF; i++) {
                if ($i ~ /^prev_comm=/) pc = substr($i, 11)
                if ($i ~ /^prev_state=/) ps = substr($i, 12)
                if ($i ~ /^next_comm=/) nc = substr($i, 11)
            }
            took = pc == "dtcp-testcli" && ps ~ /^R/
            kw[cpu] = took && nc ~ /^kworker/
            if (took && !off) { off = ts; sub(/\/[0-9]+.*/, "", nc); who[nc]++ }
            if (nc == "dtcp-testcli" && off) { tot += ts - off; off = 0 }
            next
        }
        / workqueue_execute_start: / {
            if (kw[cpu]) { f = $NF ~ /^\[/ ? $(NF - 1) : $NF; work[f]++ }
            kw[cpu] = 0
        }
        END {
            printf "%.0f |", tot * 1e6 / reqs
            for (k in who) if (who[k] * 10 >= reqs) printf " %s %.2f", k, who[k] / reqs
            printf " |"
            for (k in work) if (work[k] * 20 >= reqs) printf " %s %.2f", k, work[k] / reqs
        }' "$1"
}
declare -A LAT1 LAT2 FIRST LAST PRE INV WHO WORK
modes=(forward dtcp local)
for (( r=1; r<=ROUNDS; r++ )); do
    read -r -a order <<<"$(rotate $((r - 1)) "${modes[@]}")"
    for mode in "${order[@]}"; do
        servers_up "$mode"
        client --conns 1 --requests 6 --owners 1,2,3 --sizes "$SIZE" >/dev/null || die "$mode: warm-up failed"
        in_ns "$NS_C" tcpdump -i eth0 -n -U -s 96 -w "$CAP/$mode.pcap" tcp port "$PORT" 2>"$CAP/tcpdump.err" &
        tp=$!
        # Capturing once it says so (on stderr, also with -w).
        wait_for 30 grep -q "listening on" "$CAP/tcpdump.err" || die "tcpdump: $(cat "$CAP/tcpdump.err")"
        out=$(client --conns 1 --requests "$REQS" --owners 1,2,3 --sizes "$SIZE" --json) || die "$mode: capture pass failed"
        sleep 0.2
        kill "$tp"; wait "$tp" 2>/dev/null
        LAT1[$mode]+="$(jq -r .latency_ms.p50 <<<"$out") "
        read -r f l n <<<"$(wire_times "$CAP/$mode.pcap")"
        (( n >= REQS * 9 / 10 )) || die "$mode: $n of $REQS responses in the capture"
        FIRST[$mode]+="$f " LAST[$mode]+="$l "

        echo 0 > "$T/tracing_on"; echo > "$T/trace"
        echo 1 > "$T/events/sched/sched_switch/enable"
        echo 1 > "$T/events/workqueue/workqueue_execute_start/enable"
        echo 1 > "$T/tracing_on"
        CLIENT_PREFIX=(/usr/bin/time -o "$CAP/time" -f "%c")
        out=$(client --conns 1 --requests "$REQS" --owners 1,2,3 --sizes "$SIZE" --json) || die "$mode: sched pass failed"
        CLIENT_PREFIX=()
        echo 0 > "$T/tracing_on"; echo 0 > "$T/events/sched/sched_switch/enable"
        echo 0 > "$T/events/workqueue/workqueue_execute_start/enable"
        LAT2[$mode]+="$(jq -r .latency_ms.p50 <<<"$out") "
        grep -qiE "lost [0-9]+ events" "$T/trace" && die "$mode: the trace lost events"
        p=$(preempted "$T/trace")
        rest=${p#*|}
        PRE[$mode]+="${p%% |*} " WHO[$mode]+="[${rest%%|*}] " WORK[$mode]+="[${rest#*|}] "
        INV[$mode]+="$(jq -n "$(tail -1 "$CAP/time") / $REQS * 100 | round / 100") "
        servers_down
    done
done
echo > "$T/trace"
echo "$REQS requests of $SIZE per pass, $ROUNDS rounds, every CPU shared; medians over the rounds (each round's values below)"
printf '%-8s %12s %12s %12s %12s %14s %12s\n' mode p50_ms wire_1st_us wire_last_us p50_ms preempted_us invol_cs
for mode in "${modes[@]}"; do
    # shellcheck disable=SC2086  # the lists split on purpose
    printf '%-8s %12.2f %12d %12d %12.2f %14d %12.2f\n' "$mode" "$(median ${LAT1[$mode]})" "$(median ${FIRST[$mode]})" \
        "$(median ${LAST[$mode]})" "$(median ${LAT2[$mode]})" "$(median ${PRE[$mode]})" "$(median ${INV[$mode]})"
done
echo "(p50_ms: the client's p50 latency in the capture pass, then in the sched pass; preempted_us and invol_cs per request)"
for mode in "${modes[@]}"; do
    echo "$mode: p50 ${LAT1[$mode]}/ ${LAT2[$mode]}; last byte ${LAST[$mode]}; preempted ${PRE[$mode]}"
    echo "  tasks that took the client's CPU, switches per request, per round: ${WHO[$mode]}"
    echo "  work items those kernel workers ran, per request, per round: ${WORK[$mode]}"
done
cluster_down
