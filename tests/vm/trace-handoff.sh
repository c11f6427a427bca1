# Where a hand-off's time goes (scripts/trace-handoff): the function-graph
# tracer on the module's functions and the kernel functions it calls on the
# critical path, during hand-offs of one keep-alive connection whose owners
# alternate; per function, the number of calls and their mean and longest
# duration.  Tracing slows every traced call: the figures are upper bounds.
# Then the function tracer (entry times only, much lighter) on the points
# that mark a hand-off's phases; per phase, the median and 90th percentile
# over the traced hand-offs (tests/vm/timeline.awk).
#   TRACE_SIZE      object size (100k)
#   TRACE_REQUESTS  requests traced (30)
. "$DTCP_ROOT/tests/vm/lib.sh"
. "$DTCP_ROOT/tests/vm/handoff-lib.sh"
SIZE=${TRACE_SIZE:-100k}
T=/sys/kernel/tracing
[ -d "$T/events" ] || mount -t tracefs nodev "$T" || skip "tracefs is not available"
[ -w "$T/set_ftrace_filter" ] || skip "this kernel has no function tracer"
cluster_up 3
servers_up dtcp
client --conns 1 --requests 20 --owners 1,2,3 --sizes "$SIZE" >/dev/null || die "warm-up failed"
echo function_graph > "$T/current_tracer"
echo ':mod:dtcp' > "$T/set_ftrace_filter"
for f in synchronize_rcu_expedited __sock_create kernel_bind kernel_connect tcp_done; do
    echo "$f" >> "$T/set_ftrace_filter"
done
echo 1 > "$T/options/funcgraph-tail"
echo 16384 > "$T/buffer_size_kb"
echo > "$T/trace"
echo 1 > "$T/tracing_on"
out=$(client --conns 1 --requests "${TRACE_REQUESTS:-30}" --owners 1,2,3 --sizes "$SIZE" --json) ||
    die "traced transfer failed"
echo 0 > "$T/tracing_on"
echo "traced: ${TRACE_REQUESTS:-30} requests of $SIZE after 20 untraced;" \
     "hand-offs in all: $(sum_srv_stat handoffs); traced latency p50 $(jq -r .latency_ms.p50 <<<"$out") ms"
printf '%-28s %6s %9s %9s\n' function calls mean_us max_us
# A duration is on the line that ends the call: "name();" for a leaf,
# "} /* name */" for a call with traced callees.
for f in dtcp_do_handoff synchronize_rcu_expedited dtcp_passive_build dtcp_state_build \
         __sock_create kernel_bind kernel_connect dtcp_passive_finish tcp_done dtcp_active_apply_conn \
         dtcp_tunnel_rcv dtcp_forward_one dtcp_mac dtcp_hooks_need; do
    grep -E "(\\b$f( \\[dtcp\\])?\\(\\);|/\\* $f( \\[dtcp\\])? \\*/)" "$T/trace" |
        sed -E 's/^[^|]*\) *[+!#@*$]? *([0-9.]+) us.*/\1/' |
        awk -v f="$f" '{ s += $1; n++; if ($1 > m) m = $1 }
            END { if (n) printf "%-28s %6d %9.1f %9.1f\n", f, n, s / n, m }'
done
echo nop > "$T/current_tracer"

# Phases.  The filter is set before the tracer: an empty filter traces every
# function, which stalls an emulated guest.
first=">"
for f in dtcp_active_handoff dtcp_send_handoff dtcp_passive_build sock_alloc_file tcp_sendmsg dtcp_passive_finish \
         dtcp_send_return dtcp_active_apply_conn dtcp_unfreeze tcp_recvmsg dtcp_forward_one; do
    if [ "$first" = ">" ]; then echo "$f" > "$T/set_ftrace_filter"; else echo "$f" >> "$T/set_ftrace_filter"; fi ||
        die "cannot trace $f (inlined in this build?)"
    first=">>"
done
echo function > "$T/current_tracer"
echo > "$T/trace"
echo 1 > "$T/tracing_on"
client --conns 1 --requests "${TRACE_REQUESTS:-30}" --owners 1,2,3 --sizes "$SIZE" >/dev/null ||
    die "traced transfer failed"
echo 0 > "$T/tracing_on"
echo
echo "phases of the hand-offs among another ${TRACE_REQUESTS:-30} requests (function tracer):"
awk -f "$DTCP_ROOT/tests/vm/timeline.awk" "$T/trace"
# The active node forwards a client segment in the softirq of the packet's
# arrival, which runs in whatever task sent it on this one machine: the
# client's own, for its ACKs.
echo
echo "client segments the active node forwarded, by the task whose time it used:"
grep ' dtcp_forward_one ' "$T/trace" |
    awk '{ c = $1; sub(/-[0-9]+$/, "", c); n[c]++ } END { for (k in n) printf "  %-24s %d\n", k, n[k] }' | sort
echo nop > "$T/current_tracer"	# clears the trace
echo > "$T/set_ftrace_filter"
cluster_down
