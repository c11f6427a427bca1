#!/bin/bash
# dtcp-testsrv's dtcp mode end to end on loopback, with libdtcp-fakedev.so
# standing in for /dev/dtcp (it passes the socket to the passive process
# instead of moving TCP state): hand-offs, the accept loop, pipelined
# requests after a hand-off, fallbacks.  Binds 127.0.0.1 only; bounded waits.
# Usage: handoff_sim.sh BUILD_DIR_OF_TESTS_TOOLS PATH_OF_libdtcp-fakedev.so
set -u -o pipefail
BIN=${1:?usage: handoff_sim.sh DIR FAKEDEV}
FAKE=${2:?usage: handoff_sim.sh DIR FAKEDEV}
SRV=$BIN/dtcp-testsrv
CLI=$BIN/dtcp-testcli
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
die() { echo "FAIL: $*" >&2; for f in "$WORK"/*.err; do [ -s "$f" ] && { echo "== $f"; cat "$f"; }; done >&2; exit 1; }
log() { echo "--- $*"; }

# start NAME NODE ARGS...: a dtcp-mode server of node NODE on a free port.
start() {
    local name=$1 node=$2; shift 2
    DTCP_FAKE_DIR=$WORK DTCP_FAKE_NODE=$node LD_PRELOAD=$FAKE \
        "$SRV" --addr 127.0.0.1 --port 0 --mode dtcp "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local pid=$! i
    PIDS+=("$pid")
    for (( i = 0; i < 100; i++ )); do
        grep -q '^listening ' "$WORK/$name.out" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || die "server $name exited"
        sleep 0.05
    done
    local port
    port=$(sed -n 's/^listening 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$WORK/$name.out")
    [ -n "$port" ] || die "server $name did not say where it listens"
    printf -v "PORT_$name" '%s' "$port"
    printf -v "PID_$name" '%s' "$pid"
}

stat() {
    local fd line
    exec {fd}<>"/dev/tcp/127.0.0.1/$1" || die "cannot connect to port $1"
    printf 'STATS\n' >&"$fd"
    read -r -t 5 line <&"$fd" || die "no STATS reply from port $1"
    exec {fd}>&-
    sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<"$line"
}

expect_stat() {  # PORT NAME OP VALUE
    local v
    v=$(stat "$1" "$2")
    [ -n "$v" ] && [ "$v" "$3" "$4" ] || die "server on port $1: $2 is '${v}', want $3 $4"
}

client() { timeout 60 "$CLI" --host 127.0.0.1 "$@"; }

log "node id from the (stand-in) module"
start n1 1
start n2 2
start n3 3
grep -q '^listening 127.0.0.1:[0-9]* node 2 mode dtcp$' "$WORK/n2.out" || die "node 2: $(cat "$WORK/n2.out")"

log "hand-offs: each request served by its owner, pipelined, with uploads"
client --port "$PORT_n1" --conns 3 --requests 40 --owners 1,2,3 --sizes 0,1,1000,64k,1M \
    --pipeline 8 --upload 100k || die "transfer with hand-offs failed"
# 3 x 40 requests: 60 PUTs (served by node 1), 60 GETs with owners in turn.
expect_stat "$PORT_n1" handoffs -eq 40
expect_stat "$PORT_n1" local -eq 20
expect_stat "$PORT_n1" puts -eq 60
expect_stat "$PORT_n1" fallbacks -eq 0
expect_stat "$PORT_n2" accepted -eq 20
expect_stat "$PORT_n3" accepted -eq 20
expect_stat "$PORT_n2" errors -eq 0

log "random owners, deep pipeline, into every node"
for n in 1 2 3; do
    port_var=PORT_n$n
    client --port "${!port_var}" --conns 2 --requests 100 --owners 1,2,3 --random-owners --seed "$n" \
        --sizes 10,20k --pipeline 32 || die "random-owner transfer via node $n failed"
done

log "an unknown node: served locally, fallback counted with its errno"
client --port "$PORT_n2" --requests 4 --owners 9,2 --sizes 3000 || die "fallback transfer failed"
expect_stat "$PORT_n2" fallbacks -eq 2
expect_stat "$PORT_n2" fallback_ENOENT -eq 2

log "the owner stops: hand-offs to it fall back, the rest go on"
kill "$PID_n3"; wait "$PID_n3" 2>/dev/null
before=$(stat "$PORT_n1" fallbacks)
client --port "$PORT_n1" --requests 9 --owners 1,2,3 --sizes 5000 || die "transfer with node 3 down failed"
expect_stat "$PORT_n1" fallbacks -eq $(( before + 3 ))
echo "ok"
