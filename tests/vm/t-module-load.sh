# dtcp.ko loads and unloads cleanly ten times; nothing is left behind.
. "$DTCP_ROOT/tests/vm/lib.sh"
for i in $(seq 1 10); do
    module_load
    wait_for 5 test -c /dev/dtcp || die "/dev/dtcp did not appear (round $i)"
    dtcpctl status >/dev/null || die "dtcpctl status failed (round $i)"
    # Open and close the device once per round: the files counter must return to 0.
    exec 3<>/dev/dtcp; exec 3>&-
    check_counters_zero
    module_unload
    [ ! -e /dev/dtcp ] || die "/dev/dtcp still present after unload (round $i)"
done
# The family is gone with the module.
out=$(dtcpctl status 2>&1) && die "dtcpctl status succeeded without the module"
log "ok: 10 load/unload rounds"
