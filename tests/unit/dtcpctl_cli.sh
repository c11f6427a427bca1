#!/bin/bash
# dtcpctl's command line without the kernel: usage errors exit 2 before any
# netlink traffic, --help exits 0 and names every command, and the bash
# completion offers the commands and options.
# Usage: dtcpctl_cli.sh DTCPCTL COMPLETION_FILE
set -u
D=${1:?usage: dtcpctl_cli.sh DTCPCTL COMPLETION}
COMP=${2:?usage: dtcpctl_cli.sh DTCPCTL COMPLETION}
die() { echo "FAIL: $*" >&2; exit 1; }

usage_error() {
    "$D" "$@" >/dev/null 2>&1
    local rc=$?
    [ $rc -eq 2 ] || die "'dtcpctl $*' exited $rc, want 2"
}
usage_error
usage_error frobnicate
usage_error peer
usage_error peer set
usage_error peer set 2
usage_error peer set 0 10.0.0.1
usage_error peer set 65536 10.0.0.1
usage_error peer set 2 10.0.0
usage_error peer set 2 10.0.0.1 --port 0
usage_error peer set 2 10.0.0.1 --port 70000
usage_error peer del
usage_error peer del 0
usage_error peers --bogus
usage_error conns extra
usage_error config set
usage_error config set --vip 1.2.3
usage_error config set --vip 1.2.3.4.5
usage_error stats -x
usage_error monitor extra
usage_error monitor --count 3
usage_error config show extra

help=$("$D" --help) || die "--help failed"
for cmd in status config peers peer conns stats monitor; do
    grep -Eq "^  $cmd " <<<"$help" || die "--help does not list $cmd"
done
"$D" peer set --help | grep -q -- '--down' || die "peer set --help does not mention --down"
"$D" config set --help | grep -q -- '--vip' || die "config set --help does not mention --vip"
"$D" monitor --help | grep -q 'SIGINT' || die "monitor --help does not say how it ends"
"$D" config show --help | grep -q 'peers' || die "config show --help does not mention peers"

# shellcheck disable=SC1090
source "$COMP"
complete_words() {
    COMP_WORDS=("$@")
    COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMPREPLY=()
    _dtcpctl
    echo "${COMPREPLY[*]}"
}
[ "$(complete_words dtcpctl pe)" = "peers peer" ] || die "completion of 'pe': $(complete_words dtcpctl pe)"
[ "$(complete_words dtcpctl peer '')" = "set del" ] || die "completion of 'peer'"
[ "$(complete_words dtcpctl mo)" = "monitor" ] || die "completion of 'mo': $(complete_words dtcpctl mo)"
[ "$(complete_words dtcpctl monitor --j)" = "--json" ] || die "completion of 'monitor --j'"
[ "$(complete_words dtcpctl config show -)" = "-j --json --help" ] || die "completion of 'config show -'"
[ "$(complete_words dtcpctl -j config set --v)" = "--vip" ] || die "completion of 'config set --v'"
[ "$(complete_words dtcpctl peer set 2 10.0.0.2 --d)" = "--down" ] || die "completion of 'peer set --d'"
echo ok
