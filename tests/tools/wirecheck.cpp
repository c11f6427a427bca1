#include "wirecheck.hpp"

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <fmt/core.h>

#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>

namespace dtcp::test {

namespace {

// Serial-number order (RFC 1982 for 32 bits).
bool before(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) < 0; }

}  // namespace

void FlowChecker::violation(const Segment& s, std::string what)
{
    violations_.push_back(fmt::format("segment {} (seq {} len {} ack {} win {}): {}", n_, s.seq, s.payload, s.ack,
                                      s.window, what));
}

void FlowChecker::client_sent(const Segment& s)
{
    if (s.syn && !s.ack_flag) {
        client_syn_ = true;
        client_tsvals_.clear();
    }
    if (s.tsval)
        client_tsvals_.insert(*s.tsval);
}

void FlowChecker::check_echo(const Segment& s)
{
    if (!echo_check_ || !s.tsval || !s.tsecr)
        return;
    n_ecr_++;
    if (client_syn_ && !client_tsvals_.count(*s.tsecr))
        violation(s, fmt::format("TSecr {} echoes no TSval the client sent", *s.tsecr));
    if (tsecr_ && before(*s.tsecr, *tsecr_))
        violation(s, fmt::format("TSecr went back from {} to {}", *tsecr_, *s.tsecr));
    if (!tsecr_ || !before(*s.tsecr, *tsecr_))
        tsecr_ = s.tsecr;
}

void FlowChecker::feed(const Segment& s)
{
    n_++;
    if (!s.rst)
        check_echo(s);  // a reset carries no timestamp
    if (s.syn) {
        shift_ = peer_ws_ && s.wscale ? std::min<uint8_t>(*s.wscale, 14) : 0;
        syn_seen_ = true;
        if (s.tsval)
            tsval_ = s.tsval;
        return;  // a SYN's window is never scaled
    }
    if (s.rst) {
        if (clean_close_)
            violation(s, "the server side reset the connection");
        return;  // a reset carries no timestamp and may acknowledge anything
    }
    if (s.fin && clean_close_ && !peer_fin_)
        violation(s, "the server side sent FIN before the client did");
    if (s.tsval) {
        n_ts_++;
        if (tsval_ && before(*s.tsval, *tsval_))
            violation(s, fmt::format("TSval went back from {} to {} (IP ids {} then {})", *tsval_, *s.tsval,
                                     tsval_id_, s.ip_id));
        if (!tsval_ || !before(*s.tsval, *tsval_)) {
            tsval_ = s.tsval;
            tsval_id_ = s.ip_id;
        }
    }
    if (!s.ack_flag)
        return;
    if (ack_ && before(s.ack, *ack_))
        violation(s, fmt::format("acknowledgement went back from {} to {}", *ack_, s.ack));
    if (!ack_ || !before(s.ack, *ack_))
        ack_ = s.ack;
    if (!syn_seen_)
        return;  // the window scale is unknown without the handshake
    uint32_t edge = s.ack + (static_cast<uint32_t>(s.window) << shift_);
    if (edge_ && before(edge, *edge_))
        violation(s, fmt::format("receive window shrank: right edge from {} to {}", *edge_, edge));
    if (!edge_ || !before(edge, *edge_))
        edge_ = edge;
}

namespace {

struct Parsed {
    Endpoint src, dst;
    Segment seg;
};

uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

// IPv4 + TCP from @p (the network header); false for anything else.
bool parse_ip(const uint8_t* p, size_t len, Parsed& out)
{
    if (len < 20 || (p[0] >> 4) != 4)
        return false;
    size_t ihl = size_t(p[0] & 0x0f) * 4;
    if (ihl < 20 || len < ihl + 20 || p[9] != 6 /* TCP */ || (be16(p + 6) & 0x1fff) != 0)
        return false;
    // From the header: a capture may keep only the first bytes of a packet.
    size_t total = be16(p + 2);
    out.seg.ip_id = be16(p + 4);
    std::memcpy(&out.src.addr, p + 12, 4);
    std::memcpy(&out.dst.addr, p + 16, 4);
    const uint8_t* t = p + ihl;
    size_t doff = size_t(t[12] >> 4) * 4;
    if (doff < 20 || ihl + doff > len)
        return false;
    out.src.port = be16(t);
    out.dst.port = be16(t + 2);
    Segment& s = out.seg;
    s.seq = be32(t + 4);
    s.ack = be32(t + 8);
    uint8_t flags = t[13];
    s.syn = flags & 0x02;
    s.rst = flags & 0x04;
    s.fin = flags & 0x01;
    s.ack_flag = flags & 0x10;
    s.window = be16(t + 14);
    s.payload = total > ihl + doff ? static_cast<uint32_t>(total - ihl - doff) : 0;
    for (size_t i = 20; i < doff;) {
        uint8_t kind = t[i];
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= doff || t[i + 1] < 2 || i + t[i + 1] > doff)
            break;
        if (kind == 8 && t[i + 1] == 10) {
            s.tsval = be32(t + i + 2);
            s.tsecr = be32(t + i + 6);
        }
        else if (kind == 3 && t[i + 1] == 3)
            s.wscale = t[i + 2];
        i += t[i + 1];
    }
    return true;
}

}  // namespace

FlowReports check_capture(const std::string& path, Endpoint server, bool clean_close, bool echo_check)
{
    char err[PCAP_ERRBUF_SIZE] = {};
    std::unique_ptr<pcap_t, decltype(&pcap_close)> pc(pcap_open_offline(path.c_str(), err), &pcap_close);
    if (!pc)
        throw std::runtime_error(fmt::format("{}: {}", path, err));
    int link = pcap_datalink(pc.get());
    size_t l2;
    if (link == DLT_EN10MB)
        l2 = 14;
    else if (link == DLT_LINUX_SLL)
        l2 = 16;
    else if (link == DLT_RAW)
        l2 = 0;
    else
        throw std::runtime_error(fmt::format("{}: link type {} is not supported", path, link));

    std::map<Endpoint, FlowChecker> flows;
    // A connection first seen mid-way (no SYN in the capture) is checked too.
    auto flow = [&flows, clean_close, echo_check](const Endpoint& ep) -> FlowChecker& {
        auto [it, fresh] = flows.try_emplace(ep);
        if (fresh) {
            it->second.set_clean_close(clean_close);
            it->second.set_echo_check(echo_check);
        }
        return it->second;
    };
    FlowReports out;
    auto report = [&out](const Endpoint& ep, const FlowChecker& f) {
        out.emplace_back(ep, FlowReport{f.segments(), f.checked_tsvals(), f.checked_echoes(), f.violations()});
    };
    pcap_pkthdr* h;
    const u_char* data;
    int r;
    while ((r = pcap_next_ex(pc.get(), &h, &data)) == 1) {
        if (h->caplen < l2)
            continue;
        if (link == DLT_EN10MB && be16(data + 12) != 0x0800)
            continue;
        if (link == DLT_LINUX_SLL && be16(data + 14) != 0x0800)
            continue;
        Parsed p;
        if (!parse_ip(data + l2, h->caplen - l2, p))
            continue;
        if (p.dst.addr == server.addr && p.dst.port == server.port) {
            // The client's SYN: says whether it offers window scaling.
            if (p.seg.syn && !p.seg.ack_flag) {
                FlowChecker fresh;
                fresh.set_peer_offered_wscale(p.seg.wscale.has_value());
                fresh.set_clean_close(clean_close);
                fresh.set_echo_check(echo_check);
                // The port again: the earlier connection ended; its report stays.
                auto it = flows.find(p.src);
                if (it != flows.end() && it->second.segments())
                    report(it->first, it->second);
                flows[p.src] = fresh;
            } else if (p.seg.fin) {
                flow(p.src).peer_fin();
            }
            flow(p.src).client_sent(p.seg);
            continue;
        }
        if (p.src.addr != server.addr || p.src.port != server.port)
            continue;
        flow(p.dst).feed(p.seg);
    }
    if (r == -1)
        throw std::runtime_error(fmt::format("{}: {}", path, pcap_geterr(pc.get())));
    for (const auto& [ep, f] : flows)
        report(ep, f);
    return out;
}

}  // namespace dtcp::test
