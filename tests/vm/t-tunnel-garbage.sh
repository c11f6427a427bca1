# Malformed, truncated, oversize and foreign tunnel messages are dropped and
# counted, change nothing and log nothing.
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
# A well-formed PING from node 1 (header only: magic, version 1, type 8).
printf '\xd7\xc9\x01\x08\x00\x01\x00\x01\x00\x00\x00\x09\x00\x00\x00\x00' > "$tmp/ping"
printf '\x00\x00\x00\x00\x00\x00\x00\x01' >> "$tmp/ping"
head -c 16 /dev/zero >> "$tmp/ping"
head -c 20 "$tmp/ping" > "$tmp/truncated"
head -c 300 /dev/urandom > "$tmp/garbage"
{ cat "$tmp/ping"; head -c 30000 /dev/urandom; } > "$tmp/oversize"   # length field says 0
printf '\xd7\xc9\x02\x08' > "$tmp/version"; tail -c +5 "$tmp/ping" >> "$tmp/version"

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

# The real PING from node 1 itself is accepted (and answered).
send "$(ns_be 1)" "$tmp/ping"
wait_for 5 test "$(stat2 rx_msgs)" -gt "$rx_before" || die "a valid message from a peer was not accepted"
cluster_down
log "ok: dropped and counted, nothing else changed"
