# shellcheck shell=bash
# Helpers for the hand-off scenarios (sourced after lib.sh): a DTCP cluster
# of N back-ends behind the IPVS-DR front-end, each with the module
# configured (node id, tunnel port, cluster key, VIP, peers) and
# dtcp-testsrv running.
DTCPCTL=$BUILD/userspace/dtcpctl/dtcpctl
TESTSRV=$BUILD/tests/tools/dtcp-testsrv
TESTCLI=$BUILD/tests/tools/dtcp-testcli
TUNNEL_PORT=${TUNNEL_PORT:-7400}

# Skip (77) unless the loaded module implements peers and statistics.
require_handoff_abi() {
    local err
    err=$("$DTCPCTL" peers 2>&1 >/dev/null) ||
        skip "the module has no peer table yet: $err"
    "$DTCPCTL" -j stats 2>/dev/null | jq -e 'has("handoff_done")' >/dev/null ||
        skip "the module reports no hand-off statistics yet"
}

# cluster_up N: module loaded, topology up, every back-end configured (one
# random cluster key, in CLUSTER_KEY_HEX).
cluster_up() {
    module_load
    require_handoff_abi
    topo_up "$1"
    cluster_config "$1"
}

# cluster_config N: every back-end's module configured (node id, tunnel
# port, a new cluster key, VIP, peers).
cluster_config() {
    local n=$1 i j ns keyf
    keyf=$(mktemp)
    defer "rm -f $keyf"
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$keyf"
    CLUSTER_KEY_HEX=$(cat "$keyf")
    for (( i=1; i<=n; i++ )); do
        ns=$(ns_be "$i")
        in_ns "$ns" "$DTCPCTL" config set --node-id "$i" --port "$TUNNEL_PORT" --key-file "$keyf" \
            --vip "$VIP" || die "config on back-end $i"
        for (( j=1; j<=n; j++ )); do
            [ "$i" = "$j" ] && continue
            in_ns "$ns" "$DTCPCTL" peer set "$j" "$(be_addr "$j")" --port "$TUNNEL_PORT" ||
                die "peer $j on back-end $i"
        done
    done
}

# servers_up MODE: dtcp-testsrv in MODE on every back-end, on $PORT; their
# output goes to $SERVER_LOGS/be<I>.log; SERVER_ARGS: more options for each.
SERVER_PIDS=()
SERVER_LOGS=
servers_up() {
    local mode=$1 i j peers
    SERVER_LOGS=$(mktemp -d)
    defer "rm -rf $SERVER_LOGS"
    for (( i=1; i<=BACKENDS; i++ )); do
        peers=""
        for (( j=1; j<=BACKENDS; j++ )); do
            [ "$i" = "$j" ] || peers+="${peers:+,}$j=$(be_addr "$j"):$PORT"
        done
        # ip netns exec execs the server: $! is the server itself.
        # shellcheck disable=SC2086  # SERVER_ARGS: words on purpose
        ip netns exec "$(ns_be "$i")" "$TESTSRV" --port "$PORT" --node "$i" --mode "$mode" \
            --peers "$peers" ${SERVER_ARGS:-} >"$SERVER_LOGS/be$i.log" 2>&1 &
        SERVER_PIDS[i]=$!
        defer "kill ${SERVER_PIDS[i]}; wait ${SERVER_PIDS[i]}"
    done
    for (( i=1; i<=BACKENDS; i++ )); do
        wait_for 10 tcp_listening "$(ns_be "$i")" "$PORT" ||
            die "server on back-end $i not listening: $(cat "$SERVER_LOGS/be$i.log")"
    done
}

# servers_down: stop the servers (and wait for them).
servers_down() {
    local i
    for (( i=1; i<=BACKENDS; i++ )); do
        [ -n "${SERVER_PIDS[i]:-}" ] || continue
        kill "${SERVER_PIDS[i]}" 2>/dev/null
        wait "${SERVER_PIDS[i]}" 2>/dev/null
        SERVER_PIDS[i]=""
    done
}

# srv_line I: back-end I's server counters (its reply to STATS).
srv_line() {
    # shellcheck disable=SC2016
    in_ns "$(ns_be "$1")" timeout 5 bash -c \
        'exec 3<>"/dev/tcp/$0/$1" && printf "STATS\n" >&3 && read -r l <&3 && echo "$l"' \
        "$(be_addr "$1")" "$PORT" || die "no STATS from back-end $1"
}

# srv_stat I NAME: one counter of back-end I's server (0 when absent).
srv_stat() {
    local v
    v=$(srv_line "$1" | sed -n "s/.* $2=\([0-9]*\).*/\1/p")
    echo "${v:-0}"
}

# sum_srv_stat NAME: the counter summed over all back-ends.
sum_srv_stat() {
    local i s=0
    for (( i=1; i<=BACKENDS; i++ )); do s=$(( s + $(srv_stat "$i" "$1") )); done
    echo "$s"
}

# sum_mod_stat NAME: a module statistic summed over all back-ends.
sum_mod_stat() {
    local i s=0
    for (( i=1; i<=BACKENDS; i++ )); do s=$(( s + $(mod_stat "$i" "$1") )); done
    echo "$s"
}

# sum_mod_stats NAME...: several module statistics, each summed over all
# back-ends, on one line in the order given; each back-end's read once.
sum_mod_stats() {
    local i
    for (( i=1; i<=BACKENDS; i++ )); do
        in_ns "$(ns_be "$i")" "$DTCPCTL" -j stats
    done | jq -rs '$ARGS.positional as $k | [$k[] as $n | map(.[$n] // 0) | add] | join(" ")' --args "$@"
}

# nodes_state I...: for a failure message, the states of back-end I's
# connection entries and its module's non-zero statistics, a line each.
nodes_state() {
    local i
    for i in "$@"; do
        printf '\n  back-end %s: conns %s; stats %s' "$i" \
            "$(in_ns "$(ns_be "$i")" "$DTCPCTL" -j conns | jq -c 'map(.state)')" \
            "$(in_ns "$(ns_be "$i")" "$DTCPCTL" -j stats |
                jq -c 'with_entries(select(.value != 0))')"
    done
}

# client_retrans: TCP segments the client namespace has sent again so far.
client_retrans() {
    in_ns "$NS_C" awk '/^Tcp:/ { if (!c) { for (i = 1; i <= NF; i++) if ($i == "RetransSegs") c = i }
                                 else { print $c; exit } }' /proc/net/snmp
}

# no_client_retrans BEFORE: since client_retrans said BEFORE, the client
# sent nothing twice: on a lossless LAN, none of its segments was lost on
# the way through a hand-off.
no_client_retrans() {
    local n
    n=$(( $(client_retrans) - $1 ))
    [ "$n" -eq 0 ] || die "the client sent $n segments again (sent back to the active node: $(sum_mod_stat seg_returned))"
}

# client ARGS...: dtcp-testcli from the client namespace to the VIP (run
# through CLIENT_PREFIX, a command and its arguments, when set).
CLIENT_PREFIX=()
client() {
    in_ns "$NS_C" "${CLIENT_PREFIX[@]}" timeout 600 "$TESTCLI" --host "$VIP" --port "$PORT" --timeout "${CLIENT_TIMEOUT:-60}" "$@"
}

# cluster_down: stop the servers, remove the peers, and require every
# live-object counter in every back-end to return to zero.
cluster_down() {
    local i j ns
    servers_down
    # Peers first, everywhere: the live-object counters are module wide.
    # (A node a scenario killed has no namespace left: skipped.)
    for (( i=1; i<=BACKENDS; i++ )); do
        ns=$(ns_be "$i")
        [ -e "/run/netns/$ns" ] || continue
        for (( j=1; j<=BACKENDS; j++ )); do
            [ "$i" = "$j" ] || in_ns "$ns" "$DTCPCTL" peer del "$j" >/dev/null 2>&1
        done
    done
    for (( i=1; i<=BACKENDS; i++ )); do
        ns=$(ns_be "$i")
        [ -e "/run/netns/$ns" ] || continue
        wait_for 20 ns_counters_zero "$ns" ||
            die "back-end $i: live objects remain: $(in_ns "$ns" "$DTCPCTL" -j status | jq -c .live)"
    done
}

ns_counters_zero() {
    in_ns "$1" "$DTCPCTL" -j status | jq -e '.live | length > 0 and all(.[]; . == 0)' >/dev/null
}

# --- failure scenarios --------------------------------------------------------

# delay_tunnel_out I DELAY: back-end I's tunnel messages (UDP to the tunnel
# port) leave its LAN link only after DELAY (netem); the rest goes at once.
delay_tunnel_out() {
    local ns; ns=$(ns_be "$1")
    in_ns "$ns" tc qdisc add dev eth0 root handle 1: prio || die "tc prio"
    in_ns "$ns" tc qdisc add dev eth0 parent 1:3 handle 30: netem delay "$2" || die "tc netem"
    in_ns "$ns" tc filter add dev eth0 parent 1: protocol ip prio 1 u32 \
        match ip protocol 17 0xff match ip dport "$TUNNEL_PORT" 0xffff flowid 1:3 || die "tc filter"
}

# hold_cpu CPU FILE: a real-time busy loop takes CPU until FILE exists (at
# most 20 s; in the background, release_cpu FILE ends it): nothing of normal
# priority runs there meanwhile, kernel workers included (the real-time
# throttle and, from 6.12 on, the CPU's fair server, which would each let
# them run 50 ms a second, are off until the scenario ends); interrupts and
# the softirqs they raise still do.
hold_cpu() {
    local rt fs=/sys/kernel/debug/sched/fair_server/cpu$1/runtime v
    rt=$(cat /proc/sys/kernel/sched_rt_runtime_us)
    defer "echo $rt >/proc/sys/kernel/sched_rt_runtime_us"
    echo -1 >/proc/sys/kernel/sched_rt_runtime_us || die "real-time throttle"
    mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
    if [ -e "$fs" ]; then
        v=$(cat "$fs")
        defer "echo $v >$fs"
        echo 0 >"$fs" || die "fair server of CPU $1"
    fi
    # Returns once the loop runs ("$2.held").
    # shellcheck disable=SC2016  # expanded by the inner shell
    taskset -c "$1" chrt -f 50 bash -c \
        ': >"$0.held"; s=${EPOCHREALTIME/./}
         while [ ! -e "$0" ] && (( ${EPOCHREALTIME/./} - s < 20000000 )); do :; done; rm -f "$0.held"' \
        "$2" &
    HOLD_PID=$!
    wait_for 10 test -e "$2.held" || die "CPU $1 not held"
}

# release_cpu FILE: end hold_cpu's loop and wait for it.
release_cpu() { touch "$1"; wait "$HOLD_PID"; rm -f "$1"; }

# lan_in_order: each back-end's packets reach the router in the order they
# were sent, as on a wire.  A veth pair queues a packet on the CPU that sends
# it, and one socket sends from more than one CPU (the application, a softirq
# answering an ACK): two of its segments can swap places on their way to the
# client.  Receive packet steering of every back-end link to CPU 0 keeps one
# queue, so that a capture at the client shows the servers' own order.
lan_in_order() {
    local i
    for (( i=1; i<=BACKENDS; i++ )); do
        in_ns "$NS_R" sh -c "echo 1 > /sys/class/net/b$i/queues/rx-0/rps_cpus" ||
            die "receive packet steering on back-end $i's link"
    done
}

# slow_client_link RATE: responses reach the client at RATE (netem), so that a
# large one is still on its way when a scenario strikes.
slow_client_link() {
    modprobe -q sch_netem || skip "netem is not available in this kernel"
    in_ns "$NS_R" tc qdisc add dev cl0 root netem rate "$1" || die "netem rate on the client link"
}

# node_die I: back-end I vanishes: its link goes (nothing it sends arrives
# anywhere from now on), its server is killed, its namespace deleted.
node_die() {
    in_ns "$NS_R" ip link del "b$1" || die "deleting back-end $1's link"
    if [ -n "${SERVER_PIDS[$1]:-}" ]; then
        kill -KILL "${SERVER_PIDS[$1]}" 2>/dev/null
        wait "${SERVER_PIDS[$1]}" 2>/dev/null
        SERVER_PIDS[$1]=""
    fi
    ip netns del "$(ns_be "$1")" || die "deleting back-end $1's namespace"
}

# at_least N CMD... / exactly N CMD...: the number CMD prints, compared
# (for wait_for, which must run CMD again each time).
at_least() { local n=$1; shift; [ "$("$@")" -ge "$n" ]; }
exactly() { local n=$1; shift; [ "$("$@")" -eq "$n" ]; }

# conns_count I [STATE]: connection entries in back-end I (in STATE).
conns_count() {
    in_ns "$(ns_be "$1")" "$DTCPCTL" -j conns |
        jq --arg s "${2:-}" '[.[] | select($s == "" or .state == $s)] | length'
}

# client_reset_only FILE: the client's only complaint, in FILE, is a reset
# (no wrong byte, no timeout).
client_reset_only() {
    local lines
    lines=$(grep -c '^dtcp-testcli: ' "$1")
    [ "$lines" -eq 1 ] && grep -q 'read: Connection reset by peer' "$1"
}

# node_dies_mid_response I: a client, sent to node 1, asks for 16 MiB owned
# by node 2 over a slow link; while node 2 serves it, node I dies.  The
# client must get a reset within RESET_BOUND_S seconds (the module's limit
# of silence is 6 s; the rest is slack for TCG), and nothing else: sets
# RESET_MS to how long it took.
RESET_BOUND_S=15
node_dies_mid_response() {
    local out cpid rc t0
    only_via 1
    slow_client_link 16mbit          # 16 MiB take about 8 s
    out=$(mktemp); defer "rm -f $out"
    CLIENT_TIMEOUT=60 client --requests 1 --owners 2 --sizes 16M >"$out" 2>&1 &
    cpid=$!
    wait_for 30 at_least 1 conns_count 2 serving || die "node 2 never served the hand-off: $(cat "$out")"
    node_die "$1"
    t0=$(date +%s%N)
    wait "$cpid"; rc=$?
    RESET_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
    log "client: exit $rc after ${RESET_MS} ms: $(tr '\n' ' ' <"$out")"
    [ "$rc" -ne 0 ] || die "the client got the whole response although node $1 died during it"
    client_reset_only "$out" || die "the client saw something other than a reset"
    [ "$RESET_MS" -le $((RESET_BOUND_S * 1000)) ] ||
        die "the reset took ${RESET_MS} ms (bound ${RESET_BOUND_S} s)"
}

# For the measuring scripts (bench.sh, client-wait.sh).
# rotate K WORD...: the words rotated left by K (an order that changes from
# round to round, so that a drift of the machine's speed favours none).
rotate() { local k=$1; shift; local a=("$@"); k=$(( k % ${#a[@]} )); echo "${a[@]:k}" "${a[@]:0:k}"; }
# median NUMBER...: their median (the lower middle one of an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# pcap_start NS FILE INFO FILTER [TCPDUMP-OPTION...]: tcpdump on NS's eth0
# writes the packets FILTER takes to FILE, its standard error (the closing
# counts) to INFO; PCAP_PID is tcpdump itself (ip netns exec execs it).
pcap_start() {
    local ns=$1 file=$2 info=$3 filter=$4
    shift 4
    ip netns exec "$ns" tcpdump -i eth0 -Z root -U "$@" -w "$file" "$filter" 2>"$info" &
    PCAP_PID=$!
    defer "kill $PCAP_PID"
    wait_for 10 test -s "$file" || die "tcpdump did not start"
}
# pcap_settled FILE: a capture tcpdump is writing to FILE has not grown for a
# second (what tcpdump has not read from its buffer when it stops is lost
# without a count: stop it only then).
pcap_settled() { local a; a=$(stat -c %s "$1"); sleep 1; [ "$(stat -c %s "$1")" = "$a" ]; }
# pcap_stop FILE SECONDS: stop pcap_start's tcpdump once FILE has settled
# (waiting at most SECONDS for that).
pcap_stop() {
    wait_for "$2" pcap_settled "$1" || die "the capture kept growing after the transfer"
    kill -TERM "$PCAP_PID"; wait "$PCAP_PID"
}
# pcap_count INFO LABEL: N of tcpdump's closing "N packet(s) LABEL" in INFO,
# its standard error.
pcap_count() { sed -n "s/^\([0-9]*\) packets\{0,1\} $2\$/\1/p" "$1"; }
# pcap_node_handoffs NODE FILE INFO: pcap_start on back-end NODE's link for
# the connections' TCP segments and the tunnel's HANDOFF (type 1) and RETURN
# (type 5) messages, by the type byte of their header.
pcap_node_handoffs() {
    pcap_start "$(ns_be "$1")" "$2" "$3" \
        "tcp port $PORT or (udp port $TUNNEL_PORT and (udp[11] == 1 or udp[11] == 5))" -s 96
}
# pcap_complete INFO: tcpdump's kernel buffer lost no packet.
pcap_complete() { [ "$(pcap_count "$1" "dropped by kernel")" = 0 ] || die "the capture is incomplete: $(cat "$1")"; }
