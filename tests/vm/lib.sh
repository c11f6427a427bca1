# shellcheck shell=bash
# Helpers for the netns scenarios that run inside the test VM.
#
# Topology built by topo_up N (all names carry a per-run suffix):
#
#   client ─── router ─── bridge (in router) ─┬─ front-end (IPVS-DR, VIP on lo)
#   C_ADDR      R_CL / R_LAN                  ├─ back-end 1 (VIP on lo, arp_ignore=1, arp_announce=2)
#                                             ├─ ...
#                                             └─ back-end N
#
# The client reaches the VIP through the router; the router sends it to the
# front-end, whose IPVS forwards the frame (direct routing) to one back-end;
# the back-end answers the client directly with the VIP as source address.
# Addresses come from the benchmarking range 198.18.0.0/15 and exist only
# inside the VM's namespaces.

set -o pipefail

SUFFIX=${SUFFIX:-$$}
NS_C=dtcp-c-$SUFFIX
NS_R=dtcp-r-$SUFFIX
NS_F=dtcp-f-$SUFFIX
VIP=198.18.0.100
C_ADDR=198.18.1.2
R_CL=198.18.1.1
R_LAN=198.19.0.254
F_ADDR=198.19.0.1
BE_NET=198.19.0
BUILD=${DTCP_BUILD:-$DTCP_ROOT/build/user}
BACKENDS=0
PORT=${PORT:-80}

log() { printf '[%s] %s\n' "$(date +%T.%3N)" "$*"; }
# Run and log a command; failure is the caller's business.
run() { [ "${DTCP_VERBOSE:-0}" = 1 ] && log "+ $*"; "$@"; }
die() { log "FAIL: $*"; exit 1; }
skip() { log "SKIP: $*"; exit 77; }
ns_be() { echo "dtcp-b$1-$SUFFIX"; }
be_addr() { echo "$BE_NET.$((10 + $1))"; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# wait_for TIMEOUT_S CMD...: poll CMD until it succeeds (never a fixed sleep).
wait_for() {
    local timeout=$1; shift
    local deadline=$(( $(date +%s%N) + timeout * 1000000000 ))
    until "$@" >/dev/null 2>&1; do
        [ "$(date +%s%N)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}

# --- module ----------------------------------------------------------------
module_loaded() { grep -q '^dtcp ' /proc/modules; }
module_load() {
    local dep
    module_loaded && return 0
    # insmod does not resolve dependencies: load them first.
    for dep in $(modinfo -F depends "$DTCP_MODULE" | tr ',' ' '); do
        modprobe -q "$dep" || die "modprobe $dep (a dependency of dtcp.ko) failed"
    done
    # Nor soft ones ("pre: aes cmac": the CPU's accelerated AES, which
    # modprobe loads first on a real host): as modprobe does, a missing one
    # is no error.
    for dep in $(modinfo -F softdep "$DTCP_MODULE" | sed -E 's/post:.*//; s/pre://'); do
        modprobe -q "$dep"
    done
    run insmod "$DTCP_MODULE" "$@" || die "insmod $DTCP_MODULE failed"
}
module_unload() {
    module_loaded || return 0
    run rmmod dtcp || die "rmmod dtcp failed"
}
dtcpctl() { "$BUILD/userspace/dtcpctl/dtcpctl" "$@"; }
# mod_stat I NAME: a statistic of the module in back-end I.
mod_stat() {
    in_ns "$(ns_be "$1")" "$BUILD/userspace/dtcpctl/dtcpctl" -j stats | jq -r --arg k "$2" '.[$k] // 0'
}

# Every live-object counter is zero (peers are configuration, not leaks:
# they go with their namespace, and the module checks them at unload).
check_counters_zero() {
    local json
    json=$(dtcpctl -j status) || die "dtcpctl status failed"
    jq -e '.live | length > 0 and (del(.peers) | all(.[]; . == 0))' <<<"$json" >/dev/null ||
        die "live objects remain: $(jq -c .live <<<"$json")"
}

# --- topology ----------------------------------------------------------------
CLEANUPS=()
on_exit() { local i; for (( i=${#CLEANUPS[@]}-1; i>=0; i-- )); do eval "${CLEANUPS[$i]}" >/dev/null 2>&1; done; }
trap on_exit EXIT
defer() { CLEANUPS+=("$*"); }

ns_add() {
    run ip netns add "$1" || die "ip netns add $1"
    defer "ip netns del $1"
    in_ns "$1" ip link set lo up
    in_ns "$1" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

# veth NS1 IF1 NS2 IF2: a veth pair created straight into the two namespaces.
veth() {
    run ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || die "veth $2/$4"
    in_ns "$1" ip link set "$2" up
    in_ns "$3" ip link set "$4" up
}

# topo_up N: client, router with the LAN bridge, IPVS-DR front-end, N back-ends.
topo_up() {
    local n=$1 i ns
    BACKENDS=$n
    modprobe -q ip_vs || skip "IPVS (ip_vs) is not available in this kernel"
    modprobe -q ip_vs_rr; modprobe -q veth; modprobe -q bridge
    ns_add "$NS_C"; ns_add "$NS_R"; ns_add "$NS_F"
    veth "$NS_C" eth0 "$NS_R" cl0
    in_ns "$NS_C" ip addr add "$C_ADDR/24" dev eth0
    in_ns "$NS_C" ip route add default via "$R_CL"
    in_ns "$NS_R" ip addr add "$R_CL/24" dev cl0
    in_ns "$NS_R" sysctl -qw net.ipv4.ip_forward=1
    # A fixed address: else the bridge takes the lowest of its ports', and
    # deleting that port (a back-end dying) changes the router's address
    # under the other back-ends' neighbour caches for seconds.
    in_ns "$NS_R" ip link add br0 address 02:00:00:00:00:fe type bridge
    in_ns "$NS_R" ip link set br0 up
    in_ns "$NS_R" ip addr add "$R_LAN/24" dev br0
    in_ns "$NS_R" ip route add "$VIP/32" via "$F_ADDR"

    veth "$NS_F" eth0 "$NS_R" f0
    in_ns "$NS_R" ip link set f0 master br0
    in_ns "$NS_F" ip addr add "$F_ADDR/24" dev eth0
    in_ns "$NS_F" ip addr add "$VIP/32" dev lo
    in_ns "$NS_F" ip route add default via "$R_LAN"
    in_ns "$NS_F" sysctl -qw net.ipv4.vs.conntrack=0 2>/dev/null || true
    in_ns "$NS_F" ipvsadm -A -t "$VIP:$PORT" -s rr || die "ipvsadm -A"

    for (( i=1; i<=n; i++ )); do
        ns=$(ns_be "$i")
        ns_add "$ns"
        veth "$ns" eth0 "$NS_R" "b$i"
        in_ns "$NS_R" ip link set "b$i" master br0
        in_ns "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
            net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2
        in_ns "$ns" ip addr add "$(be_addr "$i")/24" dev eth0
        in_ns "$ns" ip addr add "$VIP/32" dev lo
        in_ns "$ns" ip route add default via "$R_LAN"
        in_ns "$NS_F" ipvsadm -a -t "$VIP:$PORT" -r "$(be_addr "$i"):$PORT" -g || die "ipvsadm -a"
    done
    # The LAN and the client link carry traffic once ARP resolves: poll for it.
    for (( i=1; i<=n; i++ )); do
        wait_for 10 in_ns "$NS_R" ping -c1 -W1 "$(be_addr "$i")" || die "back-end $i unreachable"
    done
    wait_for 10 in_ns "$NS_C" ping -c1 -W1 "$R_CL" || die "router unreachable"
}

# start_bg NS CMD...: start a long-running command in NS, killed at exit
# (also when the scenario fails: ip netns exec execs CMD, so $! is CMD
# itself, not a subshell that a kill would leave CMD behind).
start_bg() {
    local ns=$1; shift
    ip netns exec "$ns" "$@" &
    local pid=$!
    defer "kill $pid; wait $pid"
    echo "$pid"
}

# tcp_listening NS PORT: something listens on PORT in NS.
tcp_listening() { in_ns "$1" ss -Htln "sport = :$2" | grep -q .; }

# dtcp_cluster_up N: topology plus dtcp on every back-end: node ids 1..N,
# tunnel port 7400, the VIP, every other back-end as a peer.
TUNNEL_PORT=7400
dtcp_cluster_up() {
    local n=$1 i j peers
    module_load
    topo_up "$n"
    for (( i=1; i<=n; i++ )); do
        peers=()
        for (( j=1; j<=n; j++ )); do
            [ "$j" -eq "$i" ] || peers+=(--peer "$j=$(be_addr "$j")")
        done
        in_ns "$(ns_be "$i")" "$BUILD/tests/vm/dtcp-vmconf" --node "$i" --port "$TUNNEL_PORT" \
            --vip "$VIP" "${peers[@]}" || die "configuring back-end $i failed"
    done
}

# only_via I: the front-end sends every client to back-end I (the others
# still serve hand-offs).
only_via() {
    local i
    for (( i=1; i<=BACKENDS; i++ )); do
        [ "$i" = "$1" ] && continue
        in_ns "$NS_F" ipvsadm -d -t "$VIP:$PORT" -r "$(be_addr "$i"):$PORT" || die "ipvsadm -d $i"
    done
}

# Live-object counters are zero on every node (connection entries drain
# asynchronously after the last exchange: poll briefly).
counters_zero_all() {
    wait_for 10 check_counters_zero_quiet || check_counters_zero
}
check_counters_zero_quiet() { ( check_counters_zero ) >/dev/null 2>&1; }

# hosmoke_file I: the counters file of back-end I's smoke server.
hosmoke_file() { echo "/tmp/hosmoke-$SUFFIX-$1"; }

# start_hosmoke I [ARGS...]: the hand-off smoke server on back-end I (ARGS:
# more options); hosmoke_listening N: wait until back-ends 1..N listen.
start_hosmoke() {
    local i=$1
    shift
    start_bg "$(ns_be "$i")" "$BUILD/tests/vm/dtcp-hosmoke" serve --node "$i" --port "$PORT" \
        --stats "$(hosmoke_file "$i")" "$@" >/dev/null
}
hosmoke_listening() {
    local i
    for (( i=1; i<=$1; i++ )); do
        wait_for 10 tcp_listening "$(ns_be "$i")" "$PORT" || die "server on back-end $i not listening"
    done
}

# start_hosmoke_all N [ARGS...]: the smoke server on every back-end, each
# with ARGS.
start_hosmoke_all() {
    local i n=$1
    shift
    for (( i=1; i<=n; i++ )); do start_hosmoke "$i" "$@"; done
    hosmoke_listening "$n"
}

# hosmoke_stat I FIELD: FIELD (local, handed, fallback, served, bad, faulted)
# of back-end I's smoke server (0 before it wrote any); hosmoke_sum FIELD:
# summed over the back-ends; hosmoke_log: every back-end's counters, logged.
hosmoke_stat() {
    local f
    f=$(hosmoke_file "$1")
    [ -f "$f" ] || { echo 0; return; }
    awk -v k="$2" '{ for (j = 1; j < NF; j += 2) if ($j == k) print $(j + 1) }' "$f"
}
hosmoke_sum() {
    local i s=0
    for (( i=1; i<=BACKENDS; i++ )); do s=$(( s + $(hosmoke_stat "$i" "$1") )); done
    echo "$s"
}
hosmoke_log() {
    local i
    for (( i=1; i<=BACKENDS; i++ )); do
        if [ -f "$(hosmoke_file "$i")" ]; then log "back-end $i: $(cat "$(hosmoke_file "$i")")"; fi
    done
}

# check_handoff_stats TOTAL: all TOTAL requests answered; those owned by
# another node were handed off, none fell back to local service; every
# rebuilt socket passed the server's checks (send buffer, idle time).
check_handoff_stats() {
    local total=$1 local_n handed fallback served bad
    hosmoke_log
    local_n=$(hosmoke_sum local) handed=$(hosmoke_sum handed) fallback=$(hosmoke_sum fallback)
    served=$(hosmoke_sum served) bad=$(hosmoke_sum bad)
    [ "$bad" -eq 0 ] || die "$bad rebuilt sockets failed the server's checks (see its log)"
    [ "$fallback" -eq 0 ] || die "$fallback hand-offs fell back to local service"
    [ "$handed" -gt 0 ] || die "nothing was handed off"
    [ "$handed" -eq "$served" ] || die "$handed handed off but $served served by passive nodes"
    [ $((local_n + served)) -eq "$total" ] || die "$local_n local + $served handed != $total requests"
}

# Stop every server started with start_bg and wait until they are gone.
stop_servers() {
    pkill -f "dtcp-hosmoke serve" ; pkill -f "dtcp-xfer serve"
    wait_for 10 sh -c '! pgrep -f "dtcp-(hosmoke|xfer) serve"' || die "servers did not stop"
}

# known_bug REASON: skip (77) a scenario that exposes a known, open bug,
# unless DTCP_RUN_KNOWN_BUGS=1 (to work on it).  The reason is printed.
known_bug() {
    [ "${DTCP_RUN_KNOWN_BUGS:-0}" = 1 ] && return 0
    skip "known bug, not yet fixed: $*"
}

# known_bug_on KVER_PREFIX REASON: known_bug on matching kernels only.
known_bug_on() {
    case $DTCP_KVER in "$1"*) known_bug "$2 (kernel $DTCP_KVER)" ;; esac
}
