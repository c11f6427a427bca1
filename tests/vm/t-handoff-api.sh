# The hand-off application API against the live module: ioctl validation,
# errno contract of <linux/dtcp.h>, failed hand-offs leave the connection
# usable, counters back to zero.  Skips until the module has the ioctls.
. "$DTCP_ROOT/tests/vm/lib.sh"
module_load
"$BUILD/tests/vm/dtcp-handoff-api-tests"
rc=$?
[ $rc -eq 77 ] && skip "the module does not implement the hand-off ioctls yet"
[ $rc -eq 0 ] || die "hand-off API tests failed"
check_counters_zero
module_unload
log "ok"
