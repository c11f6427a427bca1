# dtcpctl peers / peer set / peer del / conns / stats / config set --vip
# against the live module.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
module_load
require_handoff_abi
[ "$(dtcpctl -j peers)" = "[]" ] || die "fresh module has peers: $(dtcpctl -j peers)"

dtcpctl config set --node-id 1 --port 7400 || die "config set"
dtcpctl peer set 2 198.19.0.12 || die "peer set 2"
dtcpctl peer set 3 198.19.0.13 --port 7401 --down || die "peer set 3"
json=$(dtcpctl -j peers) || die "peers -j"
jq -e 'length == 2
       and (.[] | select(.id == 2) | .address == "198.19.0.12" and .up == true)
       and (.[] | select(.id == 3) | .address == "198.19.0.13" and .port == 7401 and .up == false)' \
    <<<"$json" >/dev/null || die "peer dump: $json"
[ "$(dtcpctl -j status | jq .live.peers)" = 2 ] || die "live peer counter: $(dtcpctl -j status)"
table=$(dtcpctl peers) || die "peers"
head -1 <<<"$table" | grep -Eq '^ +id +address +port +state +tx +rx$' || die "peers header: $table"
[ "$(awk '$1 == 3 { print $2, $3, $4 }' <<<"$table")" = "198.19.0.13 7401 down" ] || die "peers table: $table"

# Update in place: same id, new state; -j after the command works too.
dtcpctl peer set 3 198.19.0.13 --port 7401 || die "peer set 3 up"
dtcpctl peers -j | jq -e 'length == 2 and (.[] | select(.id == 3) | .up == true)' >/dev/null ||
    die "peer update: $(dtcpctl -j peers)"

# Bad usage: exit 2, nothing changed.
dtcpctl peer set 0 10.0.0.1 2>/dev/null; [ $? -eq 2 ] || die "peer id 0 not a usage error"
dtcpctl peer set 4 10.0.0 2>/dev/null; [ $? -eq 2 ] || die "bad address not a usage error"
dtcpctl peer set 4 10.0.0.4 --port 0 2>/dev/null; [ $? -eq 2 ] || die "port 0 not a usage error"
dtcpctl peer del 2>/dev/null; [ $? -eq 2 ] || die "peer del without id not a usage error"
[ "$(dtcpctl -j peers | jq length)" = 2 ] || die "refused changes altered the peers"

# Unprivileged: may read, may not change.
setpriv --reuid=65534 --regid=65534 --clear-groups "$DTCPCTL" peers >/dev/null || die "unprivileged peers failed"
err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$DTCPCTL" peer set 4 10.0.0.4 2>&1)
[ $? -eq 1 ] || die "unprivileged peer set not refused"
grep -q CAP_NET_ADMIN <<<"$err" || die "unprivileged refusal message: $err"

# Delete; deleting again is an error that says which peer.
dtcpctl peer del 3 || die "peer del 3"
err=$(dtcpctl peer del 3 2>&1); [ $? -eq 1 ] || die "deleting a missing peer succeeded"
[ "$(dtcpctl -j peers | jq -c 'map(.id)')" = "[2]" ] || die "after delete: $(dtcpctl -j peers)"

# The dump spans many messages: fill the table to DTCP_MAX_PEERS (256).
for (( id = 3; id <= 257; id++ )); do
    dtcpctl peer set "$id" "10.1.$(( id / 256 )).$(( id % 256 ))" || die "peer set $id"
done
[ "$(dtcpctl -j peers | jq 'map(.id) | sort == [range(2; 258)]')" = true ] || die "256-peer dump incomplete"
dtcpctl peer set 258 10.2.0.1 2>/dev/null; [ $? -eq 1 ] || die "peer 257 beyond DTCP_MAX_PEERS accepted"
[ "$(dtcpctl -j peers | jq length)" = 256 ] || die "peer count after refusal"
for (( id = 2; id <= 257; id++ )); do dtcpctl peer del "$id" || die "peer del $id"; done

# VIP round trip.
dtcpctl config set --vip 198.18.0.100 || die "config set --vip"
[ "$(dtcpctl -j status | jq -r .vip)" = 198.18.0.100 ] || die "vip not applied: $(dtcpctl -j status)"
dtcpctl config show | grep -Eqx 'vip +198\.18\.0\.100' || die "config show: $(dtcpctl config show)"
[ "$(dtcpctl -j config show | jq -r .vip)" = 198.18.0.100 ] || die "config show -j: $(dtcpctl -j config show)"
dtcpctl config set --vip 1.2.3 2>/dev/null; [ $? -eq 2 ] || die "bad vip not a usage error"

# No connections; statistics present, all counters numbers.
[ "$(dtcpctl -j conns)" = "[]" ] || die "conns on an idle module: $(dtcpctl -j conns)"
dtcpctl conns | head -1 | grep -Eq '^ +id +origin +role +state +client +local +peer +handoffs +bytes$' ||
    die "conns header: $(dtcpctl conns)"
dtcpctl -j stats | jq -e 'has("handoff_started") and has("drop_bad_mac") and all(.[]; type == "number")' \
    >/dev/null || die "stats: $(dtcpctl -j stats)"
[ "$(dtcpctl stats | awk '$1 == "handoff_failed" { print $2 }')" = 0 ] || die "stats table: $(dtcpctl stats)"

check_counters_zero
module_unload
log "ok"
