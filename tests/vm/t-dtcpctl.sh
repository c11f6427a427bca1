# dtcpctl against the live module: tables, JSON, configuration, errors.
. "$DTCP_ROOT/tests/vm/lib.sh"

# Without the module: one clear line on stderr, exit 1.
module_unload
err=$(dtcpctl status 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] || die "exit $rc without the module, want 1"
[ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || die "want one line, got: $err"
grep -q 'not loaded' <<<"$err" || die "message does not say the module is not loaded: $err"

module_load
out=$(dtcpctl status) || die "dtcpctl status failed"
grep -Eq '^module +[0-9]+\.[0-9]+\.[0-9]+ \(ABI 1\)$' <<<"$out" || die "bad module line: $out"
grep -Eq '^node id +unset$' <<<"$out" || die "node id should be unset: $out"
grep -Eq '^live objects +files 0  conns 0  handoffs 0  peers 0  upload_pages 0$' <<<"$out" || die "bad counters: $out"

json=$(dtcpctl -j status) || die "dtcpctl -j status failed"
jq -e '.abi_version == 1 and .node_id == null and .cluster_key_set == false and .live.conns == 0 and
       .daemon == false and .mac_driver == null and .mac_blocks_driver == null' \
    <<<"$json" >/dev/null || die "unexpected JSON: $json"

# Configuration round trip.
keyf=$(mktemp); head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$keyf"
dtcpctl config set --node-id 3 --port 7400 --key-file "$keyf" || die "config set failed"
json=$(dtcpctl -j status)
jq -e '.node_id == 3 and .tunnel_port == 7400 and .cluster_key_set == true' <<<"$json" >/dev/null ||
    die "configuration not applied: $json"
# The MAC runs on the fastest AES cipher the kernel has: module_load, like
# modprobe, loaded the accelerated one dtcp.ko asks for (its soft
# dependency) before the key was set.
best=$(awk -F' *: *' '$1 == "name" { n = $2 } $1 == "driver" { d = $2 } $1 == "type" { t = $2 }
                      $1 == "priority" { pr = $2 }
                      /^$/ { if (n == "aes" && t == "cipher" && pr + 0 > p) { p = pr + 0; b = d } n = "" }
                      END { if (n == "aes" && t == "cipher" && pr + 0 > p) b = d; print b }' /proc/crypto)
[ -n "$best" ] || die "no AES cipher in /proc/crypto"
if [ "$(uname -m)" = x86_64 ] && grep -qw aes /proc/cpuinfo; then
    [ "$best" = aes-aesni ] || die "the CPU has AES-NI, yet the fastest AES loaded is $best"
fi
mac=$(jq -r .mac_driver <<<"$json")
[ "$mac" = "cmac($best)" ] || die "the MAC runs on $mac, the kernel's fastest AES is $best"
log "MAC: $mac"
grep -Eq "^mac +cmac\\($best\\)$" <<<"$(dtcpctl status)" || die "status shows no mac line: $(dtcpctl status)"
# With AES-NI the MAC's blocks go through its CBC-AES, a chunk per FPU
# section, which the module checked against cmac(aes) when the key was set.
blocks=$(jq -r .mac_blocks_driver <<<"$json")
if [ "$best" = aes-aesni ]; then
    [ "$blocks" = __cbc-aes-aesni ] || die "AES-NI is loaded, yet the MAC's blocks go through '$blocks'"
    grep -Eq '^mac blocks +__cbc-aes-aesni$' <<<"$(dtcpctl status)" ||
        die "status shows no mac blocks line: $(dtcpctl status)"
fi
log "MAC blocks: $blocks"
want=$'node id      3\ntunnel port  7400\nvip          unset\ncluster key  set\npeers        none'
[ "$(dtcpctl config show)" = "$want" ] || die "config show: $(dtcpctl config show)"
jq -e '.node_id == 3 and .tunnel_port == 7400 and .vip == null and .cluster_key_set and .peers == []' \
    <<<"$(dtcpctl config show -j)" >/dev/null || die "config show -j: $(dtcpctl config show -j)"

# Bad usage: exit 2, configuration unchanged.
dtcpctl config set --node-id 0 2>/dev/null; [ $? -eq 2 ] || die "node id 0 not refused as usage error"
dtcpctl config set 2>/dev/null; [ $? -eq 2 ] || die "empty config set not refused"
dtcpctl frobnicate 2>/dev/null; [ $? -eq 2 ] || die "unknown subcommand not refused"
echo "not-a-key" > "$keyf"
err=$(dtcpctl config set --key-file "$keyf" 2>&1); [ $? -eq 1 ] || die "bad key accepted"
grep -q 'hex digits' <<<"$err" || die "bad key message: $err"
jq -e '.node_id == 3 and .tunnel_port == 7400' <<<"$(dtcpctl -j status)" >/dev/null ||
    die "refused changes altered the configuration"

# Unprivileged users may read but not change.
setpriv --reuid=65534 --regid=65534 --clear-groups "$BUILD/userspace/dtcpctl/dtcpctl" status >/dev/null ||
    die "unprivileged status failed"
err=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$BUILD/userspace/dtcpctl/dtcpctl" config set --node-id 5 2>&1)
[ $? -eq 1 ] || die "unprivileged config set not refused"
grep -q CAP_NET_ADMIN <<<"$err" || die "unprivileged refusal message: $err"
rm -f "$keyf"
check_counters_zero
module_unload
log "ok"
