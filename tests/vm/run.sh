#!/bin/bash
# Runs the VM scenarios (tests/vm/t-*.sh, or those named) inside the guest.
# Each scenario exits 0 (pass), 77 (skip: it says why) or anything else (fail).
# Prints one line per scenario and a closing "N passed, N failed, N skipped".
cd "$DTCP_ROOT" || exit 1
[ $# -gt 0 ] || set -- tests/vm/t-*.sh
pass=0 fail=0 skipped=0
results=${DTCP_OUT:-/tmp}/results
: > "$results"
for t in "$@"; do
    [ -f "$t" ] || t=tests/vm/${t%.sh}.sh
    name=$(basename "$t" .sh)
    log=$(mktemp)
    start=$(date +%s%N)
    timeout -k 5 "${DTCP_TEST_TIMEOUT:-600}" bash "$t" >"$log" 2>&1
    rc=$?
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    secs=$(printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)))
    # Nothing may stay loaded or configured between scenarios.
    # Processes the scenario killed may still be closing their files: poll.
    for _ in $(seq 1 100); do
        grep -q '^dtcp ' /proc/modules || break
        rmmod dtcp 2>/dev/null && break
        sleep 0.1
    done
    if grep -q '^dtcp ' /proc/modules && ! rmmod dtcp 2>>"$log"; then
        echo "rmmod after the scenario failed" >>"$log"
        rc=1
    fi
    case $rc in
        0) pass=$((pass + 1)); verdict=PASS ;;
        77) skipped=$((skipped + 1)); verdict=SKIP ;;
        *) fail=$((fail + 1)); verdict=FAIL ;;
    esac
    printf '%-4s %-40s %6ss\n' "$verdict" "$DTCP_KVER/$name" "$secs"
    echo "$verdict $DTCP_KVER/$name" >> "$results"
    if [ $rc -ne 0 ] || [ "${DTCP_VERBOSE:-0}" = 1 ]; then
        sed 's/^/    | /' "$log"
    fi
    rm -f "$log"
done
echo "$pass passed, $fail failed, $skipped skipped"
[ $fail -eq 0 ]
