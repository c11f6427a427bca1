# Benchmark (scripts/bench-handoff), inside the VM: hand-off versus back-end
# forwarding on the same topology and objects; then bulk TCP throughput
# through a back-end with the module loaded and idle versus not loaded.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
REQS=${BENCH_REQUESTS:-60}
cluster_up 3

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

printf '%-8s %-8s %10s %10s %14s\n' mode object p50_ms p99_ms lan_bytes/req
for mode in forward dtcp; do
    servers_up "$mode"
    for size in 1k 10k 100k 1M; do
        before=$(lan_bytes)
        # One connection; owners alternate, so two thirds of the requests
        # are for an object another node owns (remote).
        out=$(client --conns 1 --requests "$REQS" --owners 1,2,3 --sizes "$size" --json) ||
            die "$mode $size: client failed"
        after=$(lan_bytes)
        p50=$(jq -r '.latency_ms.p50' <<<"$out")
        p99=$(jq -r '.latency_ms.p99' <<<"$out")
        printf '%-8s %-8s %10s %10s %14s\n' "$mode" "$size" "$p50" "$p99" $(( (after - before) / REQS ))
    done
    servers_down
done

# Bulk throughput through back-end 1, module idle vs not loaded.
command -v iperf3 >/dev/null || skip "iperf3 not installed"
bulk() {
    in_ns "$(ns_be 1)" iperf3 -s -1 -B "$(be_addr 1)" >/dev/null 2>&1 &
    wait_for 10 tcp_listening "$(ns_be 1)" 5201 || die "iperf3 server"
    in_ns "$NS_C" iperf3 -c "$(be_addr 1)" -t "${BENCH_SECONDS:-5}" -J | jq '.end.sum_received.bits_per_second'
    wait
}
with=$(bulk)
cluster_down
for i in 1 2 3; do in_ns "$(ns_be "$i")" ip link set eth0 up; done
rmmod dtcp || die "rmmod"
without=$(bulk)
printf 'bulk TCP through a back-end: with dtcp.ko idle %.0f Mbit/s, without %.0f Mbit/s, ratio %.3f\n' \
    "$(jq -n "$with/1e6")" "$(jq -n "$without/1e6")" "$(jq -n "$with/$without")"
