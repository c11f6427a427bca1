# Netlink validation (malformed requests) and /dev/dtcp ioctls, via Catch2.
. "$DTCP_ROOT/tests/vm/lib.sh"
module_load
"$BUILD/tests/vm/dtcp-kapi-tests" || die "kernel interface tests failed"
check_counters_zero
module_unload
