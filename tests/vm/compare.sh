# Two or more builds of dtcp.ko side by side in one VM run
# (scripts/compare-modules), every CPU shared: per round, forwarding and
# the hand-off with each build loaded in turn, in an order that rotates from
# round to round, each REQUESTS requests of SIZE on one keep-alive
# connection whose owners alternate.  The builds must share the netlink ABI
# of this tree's dtcpctl.
#   COMPARE_MODULES   LABEL=PATH ... (at least one; the first is the base
#                     the others are compared with)
#   COMPARE_SIZE      object size (100k)
#   COMPARE_REQUESTS  requests per mode and round (60)
#   COMPARE_ROUNDS    rounds (5)
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
SIZE=${COMPARE_SIZE:-100k}
REQS=${COMPARE_REQUESTS:-60}
ROUNDS=${COMPARE_ROUNDS:-5}
[[ $REQS =~ ^[1-9][0-9]*$ ]] || die "COMPARE_REQUESTS=$REQS: not a positive number"
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "COMPARE_ROUNDS=$ROUNDS: not a positive number"
declare -A KO
labels=()
for spec in ${COMPARE_MODULES:-}; do
    label=${spec%%=*} path=${spec#*=}
    [[ $spec == *=* && -n $label && $label != forward ]] || die "COMPARE_MODULES: '$spec' is not LABEL=PATH (LABEL not 'forward')"
    [ -z "${KO[$label]:-}" ] || die "COMPARE_MODULES: label '$label' given twice"
    [ -r "$path" ] || die "COMPARE_MODULES: $label: no module at $path"
    modinfo "$path" >/dev/null 2>&1 || die "COMPARE_MODULES: $label: $path is not a kernel module"
    KO[$label]=$path
    labels+=("$label")
done
(( ${#labels[@]} )) || die "COMPARE_MODULES is empty: give LABEL=PATH for each build"

# use LABEL: that build loaded and the cluster configured with it.
loaded=""
use() {
    [ "$loaded" = "$1" ] && return 0
    if [ -n "$loaded" ]; then
        cluster_down
        module_unload
    fi
    DTCP_MODULE=${KO[$1]}
    module_load
    require_handoff_abi
    cluster_config 3
    loaded=$1
}

DTCP_MODULE=${KO[${labels[0]}]}
cluster_up 3
loaded=${labels[0]}
declare -A P50 P99
modes=(forward "${labels[@]}")
for (( r=1; r<=ROUNDS; r++ )); do
    read -r -a order <<<"$(rotate $((r - 1)) "${modes[@]}")"
    for m in "${order[@]}"; do
        if [ "$m" = forward ]; then
            servers_up forward
        else
            use "$m"
            servers_up dtcp
        fi
        client --conns 1 --requests 6 --owners 1,2,3 --sizes "$SIZE" >/dev/null || die "$m: warm-up failed"
        before=$(sum_mod_stat handoff_done)
        out=$(client --conns 1 --requests "$REQS" --owners 1,2,3 --sizes "$SIZE" --json) || die "$m: client failed"
        done_=$(( $(sum_mod_stat handoff_done) - before ))
        # Two thirds of the requests are for another node's object.
        if [ "$m" = forward ]; then
            (( done_ == 0 )) || die "forward: $done_ hand-offs while forwarding"
        else
            (( done_ * 3 >= REQS )) || die "$m: only $done_ hand-offs for $REQS requests"
        fi
        P50[$m]+="$(jq -r .latency_ms.p50 <<<"$out") "
        P99[$m]+="$(jq -r .latency_ms.p99 <<<"$out") "
        servers_down
    done
done
cluster_down
echo "$REQS requests of $SIZE per mode and round, $ROUNDS rounds, every CPU shared"
printf '%-12s %10s %10s %12s  %s\n' mode p50_ms p99_ms "/forward" "p50 of each round"
for m in "${modes[@]}"; do
    # shellcheck disable=SC2086  # the lists split on purpose
    printf '%-12s %10.3f %10.3f %12.3f  %s\n' "$m" "$(median ${P50[$m]})" "$(median ${P99[$m]})" \
        "$(jq -n "$(median ${P50[$m]}) / $(median ${P50[forward]})")" "$(printf '%.2f ' ${P50[$m]})"
done
# Each build against the first, round by round (same round: least
# disturbed by the machine's drift).
base=${labels[0]}
for m in "${labels[@]:1}"; do
    # shellcheck disable=SC2206
    a=(${P50[$m]}) b=(${P50[$base]})
    won=0 ratios=()
    for (( i=0; i<${#a[@]}; i++ )); do
        awk -v x="${a[i]}" -v y="${b[i]}" 'BEGIN { exit !(x < y) }' && won=$((won + 1))
        ratios+=("$(jq -n "${a[i]} / ${b[i]}")")
    done
    printf '%s / %s: median of the rounds'"'"' p50 ratios %.3f; %s lower in %d of %d rounds\n' \
        "$m" "$base" "$(median "${ratios[@]}")" "$m" "$won" "${#a[@]}"
done
