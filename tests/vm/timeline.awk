# Per hand-off phases from a function-tracer log (tests/vm/trace-handoff.sh):
# one keep-alive connection, so hand-offs follow one another.  Each line:
# "comm-pid [cpu] flags seconds: function <-caller".  Prints, per phase, the
# number of hand-offs measured and the median and 90th percentile in us.
# "Next request" is the client's first send after the response began; the
# active application has acted on it when it hands the connection off again
# or writes a response itself.  For comparison, the same span after a
# response the active application wrote itself (no hand-off to return).
# (*) includes waiting for the client when the return came first.
function ts(line) { match(line, /[0-9]+\.[0-9]+:/); return substr(line, RSTART, RLENGTH - 1) * 1e6 }
function who(line,   w) { split(line, w, " "); return w[1] }
function add(i, v) { n[i]++; val[i, n[i]] = v }
function first(k, line) { if (!(k in t)) t[k] = ts(line) }
function done_cycle() {
    add(1, t["sent"] - t["call"]); add(2, t["build"] - t["sent"]); add(3, t["accept"] - t["build"])
    add(12, t["write"] - t["accept"]); add(4, t["write"] - t["call"])
    add(5, t["finish"] - t["next"]); add(6, t["ret"] - t["finish"]); add(7, t["apply"] - t["ret"])
    add(8, t["unfreeze"] - t["apply"]); add(9, t["acted"] - t["unfreeze"]); add(10, t["acted"] - t["next"])
}
BEGIN {
    name[1] = "hand-off call -> HANDOFF sent"; name[2] = "HANDOFF sent -> build starts"
    name[3] = "build starts -> passive app accepts"; name[12] = "accept -> first response write"
    name[4] = "total: call -> first response write"
    name[5] = "next request sent -> finish starts"; name[6] = "finish starts -> RETURN sent"
    name[7] = "RETURN sent -> apply starts"; name[8] = "apply starts -> unfreeze"
    name[9] = "unfreeze -> active app acts (*)"; name[10] = "total: next request -> app acts"
    name[11] = "after a local response: next -> app acts"
}
# The baseline: the active application answered a request itself.
active != "" && !("call" in t) && / tcp_sendmsg <-__sock_sendmsg/ && who($0) == active {
    if ("next" in l) add(11, ts($0) - l["next"])
    delete l; l["wrote"] = 1
}
("wrote" in l) && / tcp_sendmsg / && /dtcp-testcli/ && !("next" in l) { l["next"] = ts($0) }
# The active application acts on the next request: this hand-off ends.
(/ dtcp_active_handoff / || (/ tcp_sendmsg <-__sock_sendmsg/ && who($0) == apid)) && ("next" in t) && ("unfreeze" in t) {
    t["acted"] = ts($0); done_cycle(); delete t; apid = ""
}
/ dtcp_active_handoff / {
    if ("next" in l) add(11, ts($0) - l["next"])
    delete t; delete l; t["call"] = ts($0); active = apid = who($0); next }
!("call" in t) { next }
/ dtcp_send_handoff / { first("sent", $0); next }
/ dtcp_passive_build / && ("sent" in t) { first("build", $0); next }
# The accepted socket gets its file (a blocked accept entered long before).
/ sock_alloc_file <-dtcp_passive_accept/ && ("build" in t) { first("accept", $0); next }
/ tcp_sendmsg <-__sock_sendmsg/ && /dtcp-testsrv/ && who($0) != apid && ("accept" in t) { first("write", $0); next }
/ tcp_sendmsg / && /dtcp-testcli/ && ("write" in t) { first("next", $0); next }
/ dtcp_passive_finish / && ("write" in t) { first("finish", $0); next }
/ dtcp_send_return / && ("finish" in t) { first("ret", $0); next }
/ dtcp_active_apply_conn / && ("ret" in t) { first("apply", $0); next }
/ dtcp_unfreeze / && ("apply" in t) { first("unfreeze", $0); next }
END {
    printf "%-40s %5s %9s %9s\n", "phase", "n", "p50_us", "p90_us"
    split("1 2 3 12 4 5 6 7 8 9 10 11", order, " ")
    for (o = 1; o <= 12; o++) {
        i = order[o]
        if (!n[i]) continue
        m = n[i]
        for (a = 1; a <= m; a++) s[a] = val[i, a]
        for (a = 2; a <= m; a++) { x = s[a]; for (b = a - 1; b >= 1 && s[b] > x; b--) s[b + 1] = s[b]; s[b + 1] = x }
        printf "%-40s %5d %9.0f %9.0f\n", name[i], m, s[int((m + 1) / 2)], s[int(0.9 * (m - 1)) + 1]
    }
}
