#!/usr/bin/env bash
# Loopback integration test for dtcpd (no kernel module): three daemons
# heartbeat each other on 127.0.0.1; one is killed and the others must report
# it down within the configured time; the directory propagates between them;
# SIGHUP applies a good file and rejects a bad one; SIGTERM exits cleanly.
# Usage: loopback.sh PATH/TO/dtcpd
set -uo pipefail
DTCPD=${1:?usage: loopback.sh DTCPD}
INTERVAL_MS=100
TIMEOUT_MS=1000
# Slack for a loaded build machine on top of the configured timeout.
SLACK_MS=${DTCPD_TEST_SLACK_MS:-700}

dir=$(mktemp -d /tmp/dtcpd-loop.XXXXXX)
pids=()
cleanup() { [ -n "${KEEP_LOGS:-}" ] && cat "$dir"/n*.log >"$KEEP_LOGS"; for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for i in 1 2 3; do [ -f "$dir/n$i.log" ] && sed "s/^/  n$i| /" "$dir/n$i.log"; done; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

base=$(( 20000 + ($$ * 7) % 30000 ))
hb_port() { echo $((base + $1)); }
metrics_port() { echo $((base + 10 + $1)); }

# write_config N PEER...: the configuration of node N with the given peers.
write_config() {
    local n=$1; shift
    {
        printf '[node]\nid = %d\ntunnel_port = %d\nvip = "198.18.0.100"\n' "$n" $((base + 20))
        printf 'cluster_key = "%064d"\n' "${KEY_DIGIT:-7}"
        printf '[heartbeat]\naddress = "127.0.0.1"\nport = %d\ninterval_ms = %d\ntimeout_ms = %d\n' \
            "$(hb_port "$n")" $INTERVAL_MS $TIMEOUT_MS
        printf '[directory]\nsocket = "%s/n%d.sock"\nsummary_bits = 4096\n' "$dir" "$n"
        printf '[metrics]\nport = %d\n' "$(metrics_port "$n")"
        local p
        for p in "$@"; do
            printf '[[peer]]\nid = %d\naddress = "127.0.0.1"\nheartbeat_port = %d\n' "$p" "$(hb_port "$p")"
        done
    } > "$dir/n$n.toml"
}

declare -A pid_of
start() {
    "$DTCPD" --no-module -c "$dir/n$1.toml" >>"$dir/n$1.log" 2>&1 &
    pid_of[$1]=$!
    pids+=($!)
}
q() { "$DTCPD" query -s "$dir/n$1.sock" "${@:2}" 2>/dev/null; }
metrics() { exec 9<>"/dev/tcp/127.0.0.1/$(metrics_port "$1")" || return 1
            printf 'GET /metrics HTTP/1.0\r\n\r\n' >&9; cat <&9; exec 9<&-; }
# wait_until TIMEOUT_MS CMD...
wait_until() {
    local deadline=$(( $(now_ms) + $1 )); shift
    until "$@"; do [ "$(now_ms)" -lt "$deadline" ] || return 1; sleep 0.02; done
}
peers_are() { [ "$(q "$1" PEERS)" = "OK $2" ]; }
answer_is() { [ "$(q "$1" "${@:3}")" = "$2" ]; }  # answer_is NODE EXPECTED REQUEST...

write_config 1 2 3; write_config 2 1 3; write_config 3 1 2
start 1; start 2; start 3
for n in 1 2 3; do wait_until 5000 q "$n" PING >/dev/null || fail "node $n does not answer on its socket"; done
wait_until 5000 peers_are 1 "2=up 3=up" || fail "node 1 peers: $(q 1 PEERS)"
wait_until 5000 peers_are 2 "1=up 3=up" || fail "node 2 peers: $(q 2 PEERS)"
wait_until 5000 peers_are 3 "1=up 2=up" || fail "node 3 peers: $(q 3 PEERS)"
echo "all peers up"

# Directory: node 2 caches /x; node 1 learns it from node 2's summary.
[ "$(q 1 PREFER /x)" = "OK 1" ] || fail "before: $(q 1 PREFER /x)"
q 2 CACHED /x >/dev/null || fail "CACHED"
wait_until 3000 answer_is 1 "OK 2" PREFER /x || fail "node 1 does not prefer node 2 for /x: $(q 1 PREFER /x)"
wait_until 3000 answer_is 3 "OK 2" SERVERS /x || fail "node 3 servers: $(q 3 SERVERS /x)"
q 2 EVICTED /x >/dev/null
wait_until 3000 answer_is 1 "OK 1" PREFER /x || fail "eviction not propagated: $(q 1 PREFER /x)"
echo "directory propagates"

# Kill node 3 (no goodbye): 1 and 2 must see it down within the timeout.
kill -9 "${pid_of[3]}"; wait "${pid_of[3]}" 2>/dev/null
t0=$(now_ms)
limit=$((TIMEOUT_MS + SLACK_MS))
wait_until $limit peers_are 1 "2=up 3=down" || fail "node 1 after $(( $(now_ms) - t0 )) ms: $(q 1 PEERS)"
wait_until $((limit - ($(now_ms) - t0))) peers_are 2 "1=up 3=down" || fail "node 2: $(q 2 PEERS)"
elapsed=$(( $(now_ms) - t0 ))
echo "node 3 reported down after ${elapsed} ms (timeout ${TIMEOUT_MS} ms)"
m=$(metrics 1) || fail "metrics endpoint"
grep -q '^dtcpd_peer_up{peer="3",address="127.0.0.1"} 0$' <<<"$m" || fail "metrics: $(grep peer_up <<<"$m")"
grep -q '^dtcpd_peer_state{peer="3",state="down"} 1$' <<<"$m" || fail "metrics: $(grep peer_state <<<"$m")"
grep -q '^dtcpd_peer_up{peer="2",address="127.0.0.1"} 1$' <<<"$m" || fail "metrics: $(grep peer_up <<<"$m")"

# An impostor with the right id and address but the wrong cluster key is
# not taken for node 3.
cp "$dir/n3.toml" "$dir/n3.real"
KEY_DIGIT=5 write_config 3 1 2
start 3
impostor=${pid_of[3]}
wait_until 3000 q 3 PING >/dev/null || fail "impostor does not start"
sleep $(( 2 * TIMEOUT_MS / 1000 + 1 ))
peers_are 1 "2=up 3=down" || fail "impostor accepted by node 1: $(q 1 PEERS)"
peers_are 2 "1=up 3=down" || fail "impostor accepted by node 2: $(q 2 PEERS)"
peers_are 3 "1=down 2=down" || fail "impostor accepts nodes 1 and 2: $(q 3 PEERS)"
rejected=$(metrics 1 | sed -n 's/^dtcpd_heartbeats_rejected_total //p')
[ "${rejected:-0}" -gt 0 ] || fail "rejected heartbeats not counted"
kill -9 "$impostor"; wait "$impostor" 2>/dev/null
mv "$dir/n3.real" "$dir/n3.toml"
echo "impostor with the wrong key rejected ($rejected messages)"

# Back up when it answers again.
start 3
wait_until 5000 peers_are 1 "2=up 3=up" || fail "node 3 not up again: $(q 1 PEERS)"
echo "node 3 up again"

# SIGHUP with a malformed file: rejected with file:line:key, nothing changes.
cp "$dir/n1.toml" "$dir/n1.good"
printf '[[peer]]\nid = 70000\naddress = "127.0.0.1"\n' >> "$dir/n1.toml"
bad_line=$(grep -n '^id = 70000' "$dir/n1.toml" | cut -d: -f1)
kill -HUP "${pid_of[1]}"
wait_until 3000 grep -q "$dir/n1.toml:$bad_line: peer\[2\].id: 70000 is out of range" "$dir/n1.log" ||
    fail "no file:line:key error for the bad reload"
kill -0 "${pid_of[1]}" || fail "node 1 died on a bad reload"
peers_are 1 "2=up 3=up" || fail "bad reload changed peers: $(q 1 PEERS)"
grep -q '^dtcpd_reload_failures_total 1$' <<<"$(metrics 1)" || fail "reload failure not counted"

# SIGHUP with peer 3 removed: applied.
write_config 1 2
kill -HUP "${pid_of[1]}"
wait_until 3000 peers_are 1 "2=up" || fail "peer 3 not removed: $(q 1 PEERS)"
echo "SIGHUP applied and rejected as expected"

# SIGTERM: clean exit, socket removed.
for n in 1 2 3; do
    kill -TERM "${pid_of[$n]}"
    wait "${pid_of[$n]}"; rc=$?
    [ $rc -eq 0 ] || fail "node $n exited $rc on SIGTERM"
    [ ! -e "$dir/n$n.sock" ] || fail "node $n left its socket behind"
done
echo "ok"
