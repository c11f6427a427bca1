// The DESIGN 4.2 invariants as the client sees them, checked on a packet
// capture taken at the client: on every connection, what the server side
// sends (whichever back-end sends it) never goes backwards.
//  - TSval never decreases (else the client's PAWS check drops segments);
//  - the acknowledgement number never decreases;
//  - the right edge of the advertised receive window (ack + window << scale)
//    never moves left (a shrinking window).
//  - TSecr echoes a TSval the client sent on the connection (ts_recent
//    travels: a socket that took the connection over without it would
//    echo 0) and never decreases (the client's PAWS clock moves forward).
//    Judged once the client's SYN was seen (the client's TSvals before the
//    capture started are unknown); needs a capture that missed none of the
//    client's segments.
// A frozen socket that leaked a segment would show as one of these (its
// TSval, ack and window are those of the moment it froze).
// With the clean-close check on (a client that closes every connection
// itself, after its last response):
//  - the server side sends no RST;
//  - the server side sends no FIN before the client's FIN.
// A hand-off mechanism that let a socket it discards reset or close the
// connection would show here.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace dtcp::test {

struct Segment {
    uint32_t seq = 0, ack = 0;
    uint16_t window = 0;  // as on the wire (unscaled)
    bool syn = false, ack_flag = false, rst = false, fin = false;
    std::optional<uint32_t> tsval, tsecr;  // timestamp option
    std::optional<uint8_t> wscale;  // window scale option (SYN only)
    uint32_t payload = 0;
    uint16_t ip_id = 0;  // the sending socket's counter: tells reordering apart
};

// Checks the segments one direction of one connection sends, in order.
class FlowChecker {
public:
    void feed(const Segment& s);
    // Whether the other side offered window scaling (in its SYN): only then
    // does this side's own shift apply.
    void set_peer_offered_wscale(bool on) { peer_ws_ = on; }
    // Whether a server RST, or a server FIN before the client's, is a
    // violation (the client closes every connection itself).
    void set_clean_close(bool on) { clean_close_ = on; }
    // The client sent its FIN: from now on a server FIN is the answer to it.
    void peer_fin() { peer_fin_ = true; }
    // A segment the client sent (in capture order): its TSval is one the
    // server side may echo; its SYN starts the set of them.
    void client_sent(const Segment& s);
    // Whether TSecr is judged (off: a capture that may have missed some of
    // the client's segments).
    void set_echo_check(bool on) { echo_check_ = on; }
    const std::vector<std::string>& violations() const { return violations_; }
    uint64_t segments() const { return n_; }
    uint64_t checked_tsvals() const { return n_ts_; }
    uint64_t checked_echoes() const { return n_ecr_; }

private:
    void violation(const Segment& s, std::string what);
    void check_echo(const Segment& s);
    uint64_t n_ = 0, n_ts_ = 0, n_ecr_ = 0;
    bool peer_ws_ = false, syn_seen_ = false, clean_close_ = false, peer_fin_ = false;
    bool echo_check_ = true, client_syn_ = false;
    uint8_t shift_ = 0;
    std::optional<uint32_t> tsval_, ack_, edge_, tsecr_;
    std::set<uint32_t> client_tsvals_;
    uint16_t tsval_id_ = 0;  // IP id of the segment that carried tsval_
    std::vector<std::string> violations_;
};

struct Endpoint {
    uint32_t addr = 0;  // network order
    uint16_t port = 0;  // host order
    bool operator<(const Endpoint& o) const { return addr != o.addr ? addr < o.addr : port < o.port; }
};

struct FlowReport {
    uint64_t segments = 0, tsvals = 0, echoes = 0;
    std::vector<std::string> violations;
};

// Reads a capture (Ethernet or Linux cooked) and checks every connection to
// @server: the segments the server side sends.  One report per connection,
// by client endpoint, in the order the connections were last opened; a
// client port used again (a new SYN) starts a new connection, the earlier
// one keeps its report.  Throws std::runtime_error when the file cannot be
// read.  @clean_close turns on the clean-close check for every connection.
using FlowReports = std::vector<std::pair<Endpoint, FlowReport>>;
// @echo_check: judge TSecr (see FlowChecker::set_echo_check()).
FlowReports check_capture(const std::string& path, Endpoint server, bool clean_close = false,
                          bool echo_check = true);

}  // namespace dtcp::test
