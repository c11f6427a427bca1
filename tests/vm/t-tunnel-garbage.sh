# Malformed, truncated, oversize, foreign, forged and replayed tunnel
# messages are dropped and counted, change nothing and log nothing.
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
cluster_up 3
target=$(be_addr 2)
ns2=$(ns_be 2)
stat2() { mod_stat 2 "$1"; }
peers_before=$(in_ns "$ns2" "$DTCPCTL" -j peers | jq -c 'map({id, addr, up})')
rx_before=$(stat2 rx_msgs)
log_before=$(dmesg | wc -l)

# send NS FILE: one UDP datagram with FILE's bytes to back-end 2's tunnel port.
send() { in_ns "$1" bash -c "cat '$2' > /dev/udp/$target/$TUNNEL_PORT"; }
tmp=$(mktemp -d); defer "rm -rf $tmp"
# The wire version this module speaks, and one it does not.
ver=$(sed -n 's/^#define DTCP_WIRE_VERSION[[:space:]]*\([0-9]*\)$/\1/p' "$DTCP_ROOT/include/dtcp/wire.h")
[ -n "$ver" ] || die "no DTCP_WIRE_VERSION in include/dtcp/wire.h"
# ping SEQ KEYHEX: a PING from node 1 (header only: magic, version $ver, type 8,
# sender 1, origin 1, id 9, length 0, sequence SEQ) with its MAC under the key
# KEYHEX: AES-256-CMAC of the header with a zero MAC field (16 bytes).
ping() {
    local seq hex i
    seq=$(printf '%016x' "$1")
    hex="d7c9$(printf %02x "$ver")080001000100000009 00000000"
    for i in 0 2 4 6 8 10 12 14; do hex+=" ${seq:$i:2}"; done
    hex=$(tr -d ' ' <<<"$hex")
    xxd -r -p <<<"${hex}$(printf '0%.0s' {1..32})" > "$tmp/unsigned"
    { head -c 24 "$tmp/unsigned"
      openssl mac -cipher AES-256-CBC -macopt "hexkey:$2" -binary -in "$tmp/unsigned" CMAC
    } > "$tmp/ping.$1"
    echo "$tmp/ping.$1"
}
# Far above the sequence numbers node 1 really sends (its start time in the
# high half): from here on node 2 takes node 1's own messages for replays.
base=$(( ($(date +%s) + 100000) << 32 ))
cp "$(ping $((base + 1)) "$CLUSTER_KEY_HEX")" "$tmp/ping"
head -c 20 "$tmp/ping" > "$tmp/truncated"
head -c 300 /dev/urandom > "$tmp/garbage"
{ cat "$tmp/ping"; head -c 30000 /dev/urandom; } > "$tmp/oversize"   # length field says 0
{ printf '\xd7\xc9'; printf "\\x$(printf %02x $((ver + 1)))"; printf '\x08'; tail -c +5 "$tmp/ping"; } > "$tmp/version"

mal_before=$(stat2 drop_malformed) unk_before=$(stat2 drop_unknown_peer)
for f in truncated garbage oversize version; do send "$(ns_be 1)" "$tmp/$f"; done
send "$NS_C" "$tmp/ping"            # right format, wrong sender address
wait_for 5 test "$(stat2 drop_malformed)" -ge $((mal_before + 4)) ||
    die "malformed messages not counted: $(stat2 drop_malformed) (before $mal_before)"
wait_for 5 test "$(stat2 drop_unknown_peer)" -ge $((unk_before + 1)) ||
    die "foreign message not counted: $(stat2 drop_unknown_peer)"
[ "$(stat2 drop_malformed)" -eq $((mal_before + 4)) ] || die "malformed count off: $(stat2 drop_malformed)"
[ "$(stat2 rx_msgs)" -eq "$rx_before" ] || die "a bad message was accepted"

# Nothing changed: peers, live objects, kernel log.
[ "$(in_ns "$ns2" "$DTCPCTL" -j peers | jq -c 'map({id, addr, up})')" = "$peers_before" ] ||
    die "peer table changed"
check_counters_zero
new_log=$(dmesg | tail -n +$((log_before + 1)) | grep -c dtcp)
[ "$new_log" -eq 0 ] || die "dropping bad messages logged $new_log kernel lines"

# Forged: the right format from node 1's address, signed with another key.
mac_before=$(stat2 drop_bad_mac)
send "$(ns_be 1)" "$(ping $((base + 2)) "$(printf '%064x' 7)")"
wait_for 5 test "$(stat2 drop_bad_mac)" -eq $((mac_before + 1)) ||
    die "forged message not counted: $(stat2 drop_bad_mac) (before $mac_before)"
[ "$(stat2 rx_msgs)" -eq "$rx_before" ] || die "a forged message was accepted"

# A signed PING from node 1 is accepted (and answered); the same datagram
# again is a replay, and so is one older than the window; an older one
# inside the window, not seen yet, is accepted (reordering).
send "$(ns_be 1)" "$tmp/ping"
wait_for 5 test "$(stat2 rx_msgs)" -eq $((rx_before + 1)) || die "a valid message from a peer was not accepted"
rep_before=$(stat2 drop_replay)
send "$(ns_be 1)" "$tmp/ping"
send "$(ns_be 1)" "$(ping $((base - 100)) "$CLUSTER_KEY_HEX")"
wait_for 5 test "$(stat2 drop_replay)" -eq $((rep_before + 2)) ||
    die "replays not counted: $(stat2 drop_replay) (before $rep_before)"
send "$(ns_be 1)" "$(ping $((base - 3)) "$CLUSTER_KEY_HEX")"
wait_for 5 test "$(stat2 rx_msgs)" -eq $((rx_before + 2)) || die "a reordered message was refused"
[ "$(stat2 drop_replay)" -eq $((rep_before + 2)) ] || die "replay count off: $(stat2 drop_replay)"
new_log=$(dmesg | tail -n +$((log_before + 1)) | grep -c dtcp)
[ "$new_log" -eq 0 ] || die "dropping forged or replayed messages logged $new_log kernel lines"
cluster_down
log "ok: dropped and counted, nothing else changed; signed messages accepted once"
