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
# msg TYPE SEQ KEYHEX [PAYLOAD]: a message of TYPE (two hex digits) from node 1
# (magic, version $ver, sender 1, origin 1, id 9, sequence SEQ) carrying the
# bytes of file PAYLOAD (none: header only), with its MAC under the key
# KEYHEX: AES-256-CMAC of the whole message with a zero MAC field (16 bytes).
msg() {
    local len=0 out hex
    [ -z "${4:-}" ] || len=$(stat -c %s "$4")
    hex="d7c9$(printf %02x "$ver")${1}0001000100000009$(printf %08x "$len")$(printf %016x "$2")"
    out="$tmp/msg.$1.$2.$len"
    { xxd -r -p <<<"${hex}$(printf '0%.0s' {1..32})"; [ -z "${4:-}" ] || cat "$4"; } > "$tmp/unsigned"
    { head -c 24 "$tmp/unsigned"
      openssl mac -cipher AES-256-CBC -macopt "hexkey:$3" -binary -in "$tmp/unsigned" CMAC
      [ -z "${4:-}" ] || cat "$4"
    } > "$out"
    echo "$out"
}
# ping SEQ KEYHEX: a PING (type 8, no payload).
ping() { msg 08 "$1" "$2"; }
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
# again is a replay, and so is one older than the window (1024 numbers);
# older ones inside the window, not seen yet, are accepted (reordering),
# the oldest of them 1001 below the newest, once.
send "$(ns_be 1)" "$tmp/ping"
wait_for 5 test "$(stat2 rx_msgs)" -eq $((rx_before + 1)) || die "a valid message from a peer was not accepted"
rep_before=$(stat2 drop_replay)
send "$(ns_be 1)" "$tmp/ping"
send "$(ns_be 1)" "$(ping $((base - 2000)) "$CLUSTER_KEY_HEX")"
wait_for 5 test "$(stat2 drop_replay)" -eq $((rep_before + 2)) ||
    die "replays not counted: $(stat2 drop_replay) (before $rep_before)"
send "$(ns_be 1)" "$(ping $((base - 3)) "$CLUSTER_KEY_HEX")"
wait_for 5 test "$(stat2 rx_msgs)" -eq $((rx_before + 2)) || die "a reordered message was refused"
old_ping=$(ping $((base - 1000)) "$CLUSTER_KEY_HEX")
send "$(ns_be 1)" "$old_ping"
wait_for 5 test "$(stat2 rx_msgs)" -eq $((rx_before + 3)) ||
    die "a message reordered by 1001 numbers was refused"
send "$(ns_be 1)" "$old_ping"
wait_for 5 test "$(stat2 drop_replay)" -eq $((rep_before + 3)) ||
    die "the same message again was not a replay: $(stat2 drop_replay) (before $rep_before)"
[ "$(stat2 rx_msgs)" -eq $((rx_before + 3)) ] || die "a replay was accepted"

# Longer messages signed by OpenSSL: SEGMENTs (type 4) of a connection node 2
# does not have, of 1024, 1040 and 2140 bytes (one 1 KiB chunk of the
# module's MAC, two ending on a complete block, three ending on a padded one),
# are accepted, then dropped for want of their connection; the last with its
# final byte changed is forged.
rx_before=$(stat2 rx_msgs) nc_before=$(stat2 drop_no_conn) mac_before=$(stat2 drop_bad_mac)
seq=$((base + 10))
for n in 984 1000 2100; do
    { printf '\x45'; head -c $((n - 2)) /dev/urandom; printf A; } > "$tmp/seg$n"
    send "$(ns_be 1)" "$(msg 04 $seq "$CLUSTER_KEY_HEX" "$tmp/seg$n")"
    seq=$((seq + 1))
done
wait_for 5 test "$(stat2 drop_no_conn)" -eq $((nc_before + 3)) ||
    die "signed SEGMENTs of 1024-2140 bytes not accepted: rx_msgs $(stat2 rx_msgs) (before $rx_before)," \
        "drop_no_conn $(stat2 drop_no_conn) (before $nc_before), drop_bad_mac $(stat2 drop_bad_mac) (before $mac_before)"
[ "$(stat2 rx_msgs)" -eq $((rx_before + 3)) ] || die "rx_msgs $(stat2 rx_msgs), expected $((rx_before + 3))"
f=$(msg 04 $seq "$CLUSTER_KEY_HEX" "$tmp/seg2100")
{ head -c -1 "$f"; printf B; } > "$tmp/forged"
send "$(ns_be 1)" "$tmp/forged"
wait_for 5 test "$(stat2 drop_bad_mac)" -eq $((mac_before + 1)) ||
    die "a SEGMENT changed in its last byte was not dropped as forged: $(stat2 drop_bad_mac) (before $mac_before)"
[ "$(stat2 rx_msgs)" -eq $((rx_before + 3)) ] || die "a forged SEGMENT was accepted"
check_counters_zero
new_log=$(dmesg | tail -n +$((log_before + 1)) | grep -c dtcp)
[ "$new_log" -eq 0 ] || die "dropping forged or replayed messages logged $new_log kernel lines"
cluster_down
log "ok: dropped and counted, nothing else changed; signed messages (40 to 2140 bytes) accepted once"
