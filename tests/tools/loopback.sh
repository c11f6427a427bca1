#!/bin/bash
# End-to-end test of dtcp-testsrv and dtcp-testcli on loopback (no kernel
# module needed): local and forward modes, pipelining, uploads, fallbacks,
# dtcp-xfer compatibility.  Binds 127.0.0.1 only; every wait is bounded.
# Usage: loopback.sh BUILD_DIR_OF_TESTS_TOOLS
set -u -o pipefail
BIN=${1:?usage: loopback.sh DIR}
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
die() { echo "FAIL: $*" >&2; exit 1; }
log() { echo "--- $*"; }

# start NAME ARGS...: start a server on a free port; sets PORT_<NAME>, PID_<NAME>.
start() {
    local name=$1; shift
    "$SRV" --addr 127.0.0.1 --port 0 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
    local pid=$! i
    PIDS+=("$pid")
    for (( i = 0; i < 100; i++ )); do
        grep -q '^listening ' "$WORK/$name.out" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || die "server $name exited: $(cat "$WORK/$name.err")"
        sleep 0.05
    done
    local port
    port=$(sed -n 's/^listening 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$WORK/$name.out")
    [ -n "$port" ] || die "server $name did not say where it listens"
    printf -v "PORT_$name" '%s' "$port"
    printf -v "PID_$name" '%s' "$pid"
}

# stat PORT NAME: one counter from the server's STATS reply.
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

log "local mode: every owner served here, pipelined, with uploads"
start n1 --node 1
start n2 --node 2
client --port "$PORT_n1" --conns 4 --requests 40 --owners 1,2,3 --sizes 0,1,1000,64k,1M \
    --pipeline 8 --upload 100k || die "local-mode transfer failed"
# 4 x 40 requests, half of them PUTs.
expect_stat "$PORT_n1" local -eq 80
expect_stat "$PORT_n1" puts -eq 80
expect_stat "$PORT_n1" fallbacks -eq 0
expect_stat "$PORT_n1" errors -eq 0

log "sizes and owners rotate over the GETs, uploads in between"
out=$(client --port "$PORT_n1" --requests 8 --sizes 10,1000 --upload 5 --json) || die "rotation run failed: $out"
# 4 GETs (10, 1000, 10, 1000 bytes) and 4 PUTs of 5 bytes.
grep -q '"bytes":2040,' <<<"$out" || die "rotation run summary: $out"

log "dtcp-xfer's requests still work"
timeout 30 "$BIN/dtcp-xfer" get --host 127.0.0.1 --port "$PORT_n1" --size 200000 --count 5 --seed 3 ||
    die "dtcp-xfer get against dtcp-testsrv failed"

log "forward mode: objects of other nodes fetched from their owner and relayed"
start n3 --node 3 --mode forward --peers "1=127.0.0.1:$PORT_n1,2=127.0.0.1:$PORT_n2"
before1=$(stat "$PORT_n1" local)
before2=$(stat "$PORT_n2" local)
conns_before=$(stat "$PORT_n1" conns)
out=$(client --port "$PORT_n3" --conns 3 --requests 30 --owners 1,2,3 --sizes 10,300k --pipeline 4 --json) ||
    die "forward-mode transfer failed: $out"
# The relay keeps its upstream connections open: at most one per client
# connection (the STATS query itself is one more).
upstream=$(( $(stat "$PORT_n1" conns) - conns_before - 1 ))
[ "$upstream" -ge 1 ] && [ "$upstream" -le 3 ] ||
    die "node 1 saw $upstream upstream connections for 30 forwarded requests, want 1..3"
grep -q '"failures":0' <<<"$out" || die "forward-mode summary: $out"
grep -q '"ok":90' <<<"$out" || die "forward-mode summary: $out"
# Owners in turn per connection: 30 of the 90 are node 3's own.
expect_stat "$PORT_n3" forwarded -eq 60
expect_stat "$PORT_n3" local -eq 30
expect_stat "$PORT_n3" fallbacks -eq 0
expect_stat "$PORT_n1" local -eq $(( before1 + 30 ))
expect_stat "$PORT_n2" local -eq $(( before2 + 30 ))

log "the owner restarts: pooled connections to it are replaced, no fallback"
kill "$PID_n2"; wait "$PID_n2" 2>/dev/null
old_n2=$PORT_n2
"$SRV" --addr 127.0.0.1 --port "$old_n2" --node 2 >"$WORK/n2.out" 2>"$WORK/n2.err" &
PID_n2=$!
PIDS+=("$PID_n2")
for (( i = 0; i < 100; i++ )); do grep -q '^listening ' "$WORK/n2.out" && break; sleep 0.05; done
grep -q '^listening ' "$WORK/n2.out" || die "node 2 did not restart: $(cat "$WORK/n2.err")"
before=$(stat "$PORT_n3" fallbacks)
client --port "$PORT_n3" --conns 2 --requests 6 --owners 2 --sizes 1000 || die "transfer after restart failed"
expect_stat "$PORT_n3" fallbacks -eq "$before"

log "random owners, deep pipeline, tiny objects"
client --port "$PORT_n3" --conns 2 --requests 200 --owners 1,2,3 --random-owners --seed 11 --sizes 0,1,7 \
    --pipeline 64 || die "random-owner transfer failed"

log "forward to a node that is down: served locally, counted as a fallback"
start dead --node 9
kill "$PID_dead"; wait "$PID_dead" 2>/dev/null
start n4 --node 4 --mode forward --peers "5=127.0.0.1:$PORT_dead"
client --port "$PORT_n4" --requests 6 --owners 5,4 --sizes 5000 || die "fallback transfer failed"
expect_stat "$PORT_n4" fallbacks -eq 3
expect_stat "$PORT_n4" local -eq 6
expect_stat "$PORT_n4" forwarded -eq 0

log "the client fails loudly"
client --port "$PORT_dead" --requests 1 2>"$WORK/cli.err" && die "client succeeded against a closed port"
grep -q 'connect' "$WORK/cli.err" || die "client error message: $(cat "$WORK/cli.err")"
client --port "$PORT_n1" --sizes 1x 2>/dev/null; [ $? -eq 2 ] || die "bad --sizes not a usage error"
"$SRV" --mode forward --node 1 2>/dev/null; [ $? -eq 2 ] || die "forward mode without peers not refused"
"$SRV" --mode forward --node 1 --peers 2=1.2.3:80 2>/dev/null; [ $? -eq 2 ] || die "bad --peers not refused"
"$SRV" --mode nonsense 2>/dev/null; [ $? -eq 2 ] || die "bad --mode not a usage error"
"$SRV" --node 0 2>/dev/null; [ $? -eq 2 ] || die "node 0 not a usage error"

log "a malformed request gets ERR and the connection closes"
exec {fd}<>"/dev/tcp/127.0.0.1/$PORT_n1"
printf 'GET 1 5 1\nHELLO\n' >&"$fd"
reply=$(timeout 5 cat <&"$fd" | tr -d '\0' | tail -c 20 | tr '\n' '|')
exec {fd}>&-
[[ $reply == *"ERR bad request|" ]] || die "malformed request reply: '$reply'"

if [ ! -e /dev/dtcp ]; then
    log "dtcp mode without the module: refused"
    "$SRV" --mode dtcp --node 1 --addr 127.0.0.1 --port 0 2>"$WORK/dtcp.err"; rc=$?
    [ $rc -eq 1 ] || die "dtcp mode without /dev/dtcp exited $rc"
    grep -q /dev/dtcp "$WORK/dtcp.err" || die "dtcp mode message: $(cat "$WORK/dtcp.err")"
fi

log "SIGTERM prints the counters and exits 0"
kill -TERM "$PID_n2"
wait "$PID_n2"; rc=$?
[ $rc -eq 0 ] || die "server exit status $rc after SIGTERM"
grep -q '^STATS node=2 ' "$WORK/n2.out" || die "no final STATS line: $(cat "$WORK/n2.out")"
echo "ok"
