# Benchmark (scripts/bench-handoff), inside the VM: hand-off versus back-end
# forwarding on the same topology and objects, with serving locally as the
# reference, in two CPU arrangements; then bulk TCP throughput through a
# back-end with the module loaded and idle versus not loaded.
#   BENCH_REQUESTS   requests per object size, mode, arrangement and latency
#                    round (60)
#   BENCH_LAT_ROUNDS latency rounds (3)
#   BENCH_SIZES      object sizes measured ("1k 10k 100k 1M")
#   BENCH_CPUS       CPU arrangements measured, each in every round ("own
#                    shared"; "shared" alone on a guest of one CPU):
#                      own     the client on a CPU of its own, as if it were
#                              another machine: the client process and the
#                              receive processing of the packets it sends
#                              and gets are kept apart (CPU BENCH_CLIENT_CPU
#                              for the client, the other CPUs for the router,
#                              the front-end, the back-ends and their servers)
#                      shared  everything shares every CPU; the work the
#                              router and the cluster do for a packet the
#                              client sends then runs in the client's own
#                              time, as part of sending it
#   BENCH_CLIENT_CPU the client's CPU in the "own" arrangement (0)
#   BENCH_LAN_RATE   rate of every back-end's link, both ways (netem), e.g.
#                    100mbit; unset, links run at the emulated machine's speed
#   BENCH_ROUNDS     bulk runs per side, taken in turn (3), BENCH_SECONDS each (3)
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
REQS=${BENCH_REQUESTS:-60}
ROUNDS=${BENCH_ROUNDS:-3}
LAT_ROUNDS=${BENCH_LAT_ROUNDS:-3}
read -r -a SIZES <<<"${BENCH_SIZES:-1k 10k 100k 1M}"
ncpu=$(nproc)
if (( ncpu >= 2 )); then default_cpus="own shared"; else default_cpus="shared"; fi
read -r -a ARRS <<<"${BENCH_CPUS:-$default_cpus}"
cc=${BENCH_CLIENT_CPU:-0}
for arr in "${ARRS[@]}"; do
    case $arr in
        shared) ;;
        own)
            (( ncpu >= 2 )) || die "BENCH_CPUS=own needs at least 2 CPUs, the guest has $ncpu"
            if ! [[ $cc =~ ^[0-9]+$ ]] || (( cc >= ncpu )); then
                die "BENCH_CLIENT_CPU=$cc: the guest's CPUs are 0-$((ncpu - 1))"
            fi ;;
        *) die "BENCH_CPUS: '$arr' is not an arrangement (own, shared)" ;;
    esac
done
all=$(( (1 << ncpu) - 1 )) cmask=$(( 1 << cc )) rmask=$(( all & ~(1 << cc) ))
cluster_up 3

# cpu_split ROUTER CLIENT SHELL (CPU masks; RPS 0: where the packet
# arrives): receive processing of the client's packets at the router, of the
# packets it gets, and this shell with all it starts from then on (servers,
# tools).
cpu_split() {
    in_ns "$NS_R" sh -c "printf %x $1 >/sys/class/net/cl0/queues/rx-0/rps_cpus" ||
        die "RPS on the router's client link"
    in_ns "$NS_C" sh -c "printf %x $2 >/sys/class/net/eth0/queues/rx-0/rps_cpus" ||
        die "RPS on the client's link"
    taskset -p "$(printf %x "$3")" $$ >/dev/null || die "taskset"
}
# arrange ARR: the CPUs as arrangement ARR wants them (servers started
# afterwards inherit this shell's).
arrange() {
    case $1 in
        own)    cpu_split "$rmask" "$cmask" "$rmask"; CLIENT_PREFIX=(taskset -c "$cc") ;;
        shared) cpu_split 0 0 "$all"; CLIENT_PREFIX=() ;;
    esac
}
describe() {
    case $1 in
        own)    echo "own: the client on CPU $cc, the rest on CPU mask 0x$(printf %x "$rmask")" ;;
        shared) echo "shared: every CPU shared" ;;
    esac
}

if [ -n "${BENCH_LAN_RATE:-}" ]; then
    modprobe -q sch_netem || skip "netem is not available in this kernel"
    for i in 1 2 3; do
        in_ns "$(ns_be "$i")" tc qdisc add dev eth0 root netem rate "$BENCH_LAN_RATE" limit 100000 ||
            die "netem on back-end $i"
        in_ns "$NS_R" tc qdisc add dev "b$i" root netem rate "$BENCH_LAN_RATE" limit 100000 ||
            die "netem towards back-end $i"
    done
fi
if [ -n "${DTCP_VM_ICOUNT:-}" ]; then
    echo "guest clock: instruction-counted, $((1 << DTCP_VM_ICOUNT)) ns per instruction, $ncpu CPU"
else
    echo "guest clock: the host's, $ncpu CPUs"
fi
echo "back-end links: ${BENCH_LAN_RATE:-unlimited}; $REQS requests per size, mode, arrangement and round"
for arr in "${ARRS[@]}"; do echo "  $(describe "$arr")"; done

# Back-end LAN bytes: what back-ends send to other back-ends (tunnel
# messages, forwarded fetches and their ACKs), counted by a tc filter.
for i in 1 2 3; do
    ns=$(ns_be "$i")
    in_ns "$ns" tc qdisc add dev eth0 clsact
    in_ns "$ns" tc filter add dev eth0 egress protocol ip prio 1 u32 \
        match ip dst "$BE_NET.0/24" action pass
done
lan_bytes() {
    local i s=0 b
    for i in 1 2 3; do
        b=$(in_ns "$(ns_be "$i")" tc -s filter show dev eth0 egress | awk '/Sent/ { print $2; exit }')
        s=$((s + ${b:-0}))
    done
    echo "$s"
}

# Latency rounds: each measures every arrangement, mode and size; the
# arrangements and, within each, the modes in an order that rotates from
# round to round (a drift of the machine's speed favours none).  The table
# gives per arrangement, mode and size the median over the rounds of each
# round's p50 and p99, each round's p50 (last column), and the LAN bytes per
# request over all rounds.  "local": every back-end serves every object
# itself, the floor both other modes add to.
declare -A P50 P99 FB LAN SEGS HOS
modes=(local forward dtcp)
for (( r=1; r<=LAT_ROUNDS; r++ )); do
    read -r -a arr_order <<<"$(rotate $((r - 1)) "${ARRS[@]}")"
    for arr in "${arr_order[@]}"; do
        arrange "$arr"
        read -r -a order <<<"$(rotate $((r - 1)) "${modes[@]}")"
        for mode in "${order[@]}"; do
            servers_up "$mode"
            for size in "${SIZES[@]}"; do
                before=$(lan_bytes)
                # Client segments the active node sent on through the tunnel
                # (ACKs and requests that reach it while the connection is
                # out), per hand-off.
                [ "$mode" != dtcp ] || read -r seg0 ho0 < <(sum_mod_stats seg_forwarded handoff_done)
                # One connection; owners alternate, so two thirds of the
                # requests are for an object another node owns (remote).
                out=$(client --conns 1 --requests "$REQS" --owners 1,2,3 --sizes "$size" --json) ||
                    die "$arr $mode $size: client failed"
                after=$(lan_bytes)
                k=$arr,$mode,$size
                P50[$k]+="$(jq -r '.latency_ms.p50' <<<"$out") "
                P99[$k]+="$(jq -r '.latency_ms.p99' <<<"$out") "
                FB[$k]+="$(jq -r '.first_byte_ms.p50' <<<"$out") "
                LAN[$k]=$(( ${LAN[$k]:-0} + after - before ))
                if [ "$mode" = dtcp ]; then
                    read -r seg1 ho1 < <(sum_mod_stats seg_forwarded handoff_done)
                    SEGS[$arr,$size]=$(( ${SEGS[$arr,$size]:-0} + seg1 - seg0 ))
                    HOS[$arr,$size]=$(( ${HOS[$arr,$size]:-0} + ho1 - ho0 ))
                fi
            done
            servers_down
        done
    done
done
printf '%-7s %-8s %-8s %10s %10s %12s %14s  %s\n' cpus mode object p50_ms p99_ms 1st_byte_p50 lan_bytes/req \
    "p50 of each round"
for arr in "${ARRS[@]}"; do
    for mode in "${modes[@]}"; do
        for size in "${SIZES[@]}"; do
            k=$arr,$mode,$size
            # shellcheck disable=SC2086  # the lists split on purpose
            printf '%-7s %-8s %-8s %10.3f %10.3f %12.3f %14d  %s\n' "$arr" "$mode" "$size" "$(median ${P50[$k]})" \
                "$(median ${P99[$k]})" "$(median ${FB[$k]})" $(( LAN[$k] / (REQS * LAT_ROUNDS) )) \
                "$(printf '%.2f ' ${P50[$k]})"
        done
    done
done
# The hand-off against forwarding, per arrangement and size: the ratio of
# the medians, and in how many rounds the hand-off's p50 was the lower.
echo "hand-off / forwarding:"
for arr in "${ARRS[@]}"; do
    for size in "${SIZES[@]}"; do
        # shellcheck disable=SC2206
        d=(${P50[$arr,dtcp,$size]}) f=(${P50[$arr,forward,$size]})
        won=0
        for (( i=0; i<${#d[@]}; i++ )); do
            awk -v a="${d[i]}" -v b="${f[i]}" 'BEGIN { exit !(a < b) }' && won=$((won + 1))
        done
        # shellcheck disable=SC2086
        printf '  %-7s %-5s p50 %.2f, LAN bytes %.4f; hand-off lower in %d of %d rounds; %s hand-offs, %.2f client segments forwarded per hand-off\n' \
            "$arr" "$size" "$(jq -n "$(median ${d[@]}) / $(median ${f[@]})")" \
            "$(jq -n "${LAN[$arr,dtcp,$size]} / ([${LAN[$arr,forward,$size]}, 1] | max)")" "$won" "${#d[@]}" \
            "${HOS[$arr,$size]}" "$(jq -n "${SEGS[$arr,$size]} / ([${HOS[$arr,$size]}, 1] | max)")"
    done
done

# The bulk rounds share every CPU: a client pinned away from its own
# receive processing measures the pinning.
arrange shared

# Bulk throughput through back-end 1 (its own address, no hand-off), with
# dtcp.ko loaded, configured and idle, and not loaded, ROUNDS times each:
# the emulated machine's speed drifts, so one run of each says little.
command -v iperf3 >/dev/null || skip "iperf3 not installed"
bulk() {
    in_ns "$(ns_be 1)" iperf3 -s -1 -B "$(be_addr 1)" >/dev/null 2>&1 &
    wait_for 10 tcp_listening "$(ns_be 1)" 5201 || die "iperf3 server"
    in_ns "$NS_C" iperf3 -c "$(be_addr 1)" -t "${BENCH_SECONDS:-3}" -J |
        jq '.end.sum_received.bits_per_second / 1e5 | floor / 10'
    wait
}
# Each round measures both sides one after the other, in turn with first
# and without first, so that a drift of the machine's speed favours neither.
with=() without=()
for (( r=1; r<=ROUNDS; r++ )); do
    if (( r % 2 )); then
        with+=("$(bulk)")
        cluster_down
        module_unload
        without+=("$(bulk)")
    else
        without+=("$(bulk)")
        module_load
        cluster_config 3
        with+=("$(bulk)")
    fi
done
module_loaded && cluster_down
w=$(median "${with[@]}") wo=$(median "${without[@]}")
# Each round's two runs follow one another: their ratio is the least
# disturbed by the drift; its median over the rounds is printed too.
ratios=()
for (( r=0; r<ROUNDS; r++ )); do ratios+=("$(jq -n "${with[r]} / ${without[r]}")"); done
printf 'bulk TCP through a back-end, Mbit/s, median of %d: with dtcp.ko idle %s (%s), without %s (%s), ratio %.3f; median of the rounds'"'"' ratios %.3f\n' \
    "$ROUNDS" "$w" "${with[*]}" "$wo" "${without[*]}" "$(jq -n "$w/$wo")" "$(median "${ratios[@]}")"
