# The module knows whether its daemon runs: dtcpd registers its netlink
# socket (SET_DAEMON); when that socket goes away (SIGKILL, clean stop) the
# module forgets it, status says so and "dtcpctl monitor" sees daemon-gone.
# Also: "dtcpctl config show" shows what dtcpd configured, the flag is per
# namespace, and monitor ends with exit 0 on SIGINT and SIGTERM.
. "$DTCP_ROOT/tests/vm/lib.sh"

DTCPD=$BUILD/userspace/dtcpd/dtcpd
DTCPCTL=$BUILD/userspace/dtcpctl/dtcpctl
[ -x "$DTCPD" ] || die "$DTCPD not built"
NS_A=dtcp-da-$SUFFIX
NS_B=dtcp-db-$SUFFIX
KEY=$(printf '%064x' 4242)

module_load
modprobe -q dummy || skip "no dummy network device in this kernel"
ns_add "$NS_A"
ns_add "$NS_B"
# Node 1's back-end address; its peer (node 2) is never there, so it stays down.
in_ns "$NS_A" ip link add eth0 type dummy || die "dummy device"
in_ns "$NS_A" ip link set eth0 up
in_ns "$NS_A" ip addr add 198.19.0.11/24 dev eth0

dir=$(mktemp -d)
defer "rm -rf $dir"
cat > "$dir/n1.toml" <<EOF
[node]
id = 1
tunnel_port = 7410
vip = "$VIP"
cluster_key = "$KEY"
[heartbeat]
address = "198.19.0.11"
port = 7411
interval_ms = 200
timeout_ms = 1000
[directory]
socket = "$dir/n1.sock"
[metrics]
port = 0
[[peer]]
id = 2
address = "198.19.0.12"
EOF

ctl() { local ns=$1; shift; in_ns "$ns" "$DTCPCTL" "$@"; }
daemon_is() { ctl "$1" -j status 2>/dev/null | jq -e --argjson d "$2" '.daemon == $d' >/dev/null; }
show() { local f; for f in "$dir"/*.log "$dir"/mon.*; do [ -f "$f" ] && sed "s/^/    $(basename "$f")| /" "$f"; done; }

# No daemon yet, in either namespace.
daemon_is "$NS_A" false || die "daemon reported before one ran: $(ctl "$NS_A" -j status)"
daemon_is "$NS_B" false || die "namespace B: $(ctl "$NS_B" -j status)"
grep -Eq '^daemon +not running$' <<<"$(ctl "$NS_A" status)" || die "status table: $(ctl "$NS_A" status)"

# Monitors in namespace A, JSON and text.  They are subscribed once they
# print a configuration change (poked until one shows up: never a sleep).
# (ip netns exec execs the program: $! is the monitor's own pid.)
ip netns exec "$NS_A" "$DTCPCTL" monitor -j > "$dir/mon.json" 2> "$dir/mon.json.err" &
mon_json=$!
defer "kill $mon_json"
ip netns exec "$NS_A" "$DTCPCTL" monitor > "$dir/mon.txt" 2> "$dir/mon.txt.err" &
mon_txt=$!
defer "kill $mon_txt"
subscribed() {
    ctl "$NS_A" config set --port 7410 >/dev/null 2>&1
    grep -q '"event":"config-changed"' "$dir/mon.json" && grep -q ' config-changed ' "$dir/mon.txt"
}
wait_for 20 subscribed || { show; die "the monitors print no configuration change"; }
# Every JSON line is one complete object.
jq -e -s 'length > 0 and all(.[]; .time and .event and (.type | type == "number") and .text)' \
    "$dir/mon.json" >/dev/null || { show; die "monitor -j lines are not JSON objects"; }
log "monitors subscribed"

# dtcpd registers: status says so in its namespace only, monitor sees daemon-up.
ip netns exec "$NS_A" "$DTCPD" -c "$dir/n1.toml" >> "$dir/dtcpd.log" 2>&1 &
pid=$!
defer "kill -9 $pid"
wait_for 20 daemon_is "$NS_A" true || { show; die "status does not show the daemon: $(ctl "$NS_A" -j status)"; }
grep -Eq '^daemon +running$' <<<"$(ctl "$NS_A" status)" || die "status table: $(ctl "$NS_A" status)"
daemon_is "$NS_B" false || die "namespace B shows namespace A's daemon: $(ctl "$NS_B" -j status)"
wait_for 10 grep -q '"event":"daemon-up"' "$dir/mon.json" || { show; die "monitor: no daemon-up"; }
log "daemon registered (namespace A only)"

# config show: what dtcpd pushed.
want=$(jq -n --arg vip "$VIP" '{node_id: 1, tunnel_port: 7410, vip: $vip, cluster_key_set: true,
    peers: [{id: 2, address: "198.19.0.12", port: 7410, up: false}]}')
config_is() { ctl "$NS_A" -j config show | jq -e --argjson w "$want" '. == $w' >/dev/null; }
wait_for 10 config_is || { show; die "config show -j: $(ctl "$NS_A" -j config show), want $want"; }
table=$(ctl "$NS_A" config show) || die "config show"
for line in "node id +1" "tunnel port +7410" "vip +$VIP" "cluster key +set" "2 +198\.19\.0\.12 +7410 +down"; do
    grep -Eq "^ *$line\$" <<<"$table" || die "config show table lacks '$line': $table"
done
log "config show matches the configuration"

# A second daemon in the namespace is refused (EBUSY); when it exits, the
# first stays registered: only the registered socket's release counts.
sed -e "s|/n1.sock|/n1b.sock|" -e "s|^port = 7411|port = 7412|" "$dir/n1.toml" > "$dir/n1b.toml"
ip netns exec "$NS_A" "$DTCPD" -c "$dir/n1b.toml" > "$dir/second.log" 2>&1 &
pid2=$!
defer "kill -9 $pid2"
wait_for 20 grep -q 'cannot register with dtcp.ko as its daemon: .*another daemon is registered' "$dir/second.log" ||
    { show; die "the second daemon was not refused"; }
kill -TERM "$pid2"; wait "$pid2"
daemon_is "$NS_A" true || { show; die "the second daemon's exit unregistered the first"; }
log "second daemon refused; its exit leaves the first registered"

# SIGKILL: the module notices the socket released.
kill -9 "$pid"
wait "$pid" 2>/dev/null
wait_for 5 daemon_is "$NS_A" false || { show; die "daemon still reported after SIGKILL: $(ctl "$NS_A" -j status)"; }
wait_for 5 grep -q '"event":"daemon-gone"' "$dir/mon.json" || { show; die "monitor -j: no daemon-gone"; }
wait_for 5 grep -Eq '^[0-9T:.+-]+ daemon-gone +daemon gone$' "$dir/mon.txt" || { show; die "monitor: no daemon-gone line"; }
log "SIGKILL: status says no daemon, monitors saw daemon-gone"

# A new daemon registers again (the killed one's registration is gone);
# a clean stop unregisters too.
gone_before=$(grep -c '"event":"daemon-gone"' "$dir/mon.json")
ip netns exec "$NS_A" "$DTCPD" -c "$dir/n1.toml" >> "$dir/dtcpd.log" 2>&1 &
pid=$!
defer "kill -9 $pid"
wait_for 20 daemon_is "$NS_A" true || { show; die "restarted daemon not registered"; }
kill -TERM "$pid"
wait "$pid"; rc=$?
[ $rc -eq 0 ] || die "dtcpd exited $rc on SIGTERM"
wait_for 5 daemon_is "$NS_A" false || die "daemon still reported after SIGTERM"
gone_after() { [ "$(grep -c '"event":"daemon-gone"' "$dir/mon.json")" -gt "$gone_before" ]; }
wait_for 5 gone_after || { show; die "monitor: no daemon-gone after the clean stop"; }
! grep -q 'cannot register' "$dir/dtcpd.log" || { show; die "dtcpd could not register"; }
log "restart registered again, SIGTERM unregistered"

# The monitors end on SIGINT / SIGTERM with exit 0 and nothing on stderr.
kill -INT "$mon_json"; wait "$mon_json"; rc=$?
[ $rc -eq 0 ] || die "monitor -j exited $rc on SIGINT"
kill -TERM "$mon_txt"; wait "$mon_txt"; rc=$?
[ $rc -eq 0 ] || die "monitor exited $rc on SIGTERM"
[ ! -s "$dir/mon.json.err" ] && [ ! -s "$dir/mon.txt.err" ] || { show; die "monitor wrote errors"; }

check_counters_zero
module_unload
log "ok"
