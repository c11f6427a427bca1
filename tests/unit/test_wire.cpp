// The tunnel codec (module/wire.c, compiled here unchanged).
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cstring>
#include <vector>

extern "C" {
#include <dtcp/wire.h>
}

namespace {

std::vector<uint8_t> message(uint8_t type, const std::vector<uint8_t>& payload, uint16_t sender = 2,
                             uint16_t origin = 1)
{
    std::vector<uint8_t> b(DTCP_WIRE_HDR_LEN + payload.size());
    REQUIRE(dtcp_wire_put_hdr(b.data(), b.size(), type, sender, origin, 77, payload.size(), 5) ==
            int(DTCP_WIRE_HDR_LEN));
    std::memcpy(b.data() + DTCP_WIRE_HDR_LEN, payload.data(), payload.size());
    return b;
}

template <typename T>
void append(std::vector<uint8_t>& v, const T& x)
{
    auto* p = reinterpret_cast<const uint8_t*>(&x);
    v.insert(v.end(), p, p + sizeof(x));
}

dtcp_state sample_state()
{
    dtcp_state s{};
    s.snd_nxt = 1000;
    s.rcv_nxt = 2000;
    s.snd_wnd = 65535;
    s.rcv_wnd = 29200;
    s.tsval = 123456;
    s.ts_recent = 654321;
    s.mss = 1448;
    s.snd_wscale = 7;
    s.rcv_wscale = 7;
    s.flags = DTCP_ST_SACK | DTCP_ST_TSTAMP | DTCP_ST_WSCALE;
    return s;
}

std::vector<uint8_t> handoff(const std::string& req, dtcp_state st = sample_state())
{
    std::vector<uint8_t> p;
    dtcp_wire_tuple t{htonl(0xc6120102), htonl(0xc6120064), htons(40000), htons(80)};
    append(p, t);
    dtcp_wire_state ws;
    dtcp_wire_put_state(&ws, &st);
    append(p, ws);
    uint32_t len = htonl(uint32_t(req.size()));
    append(p, len);
    p.insert(p.end(), req.begin(), req.end());
    return message(DTCP_MSG_HANDOFF, p);
}

std::vector<uint8_t> ret(uint32_t flags, uint32_t total, uint32_t offset, size_t chunk)
{
    std::vector<uint8_t> p;
    append(p, htonl(flags));
    dtcp_wire_state ws;
    auto st = sample_state();
    dtcp_wire_put_state(&ws, &st);
    append(p, ws);
    append(p, htonl(total));
    append(p, htonl(offset));
    p.insert(p.end(), chunk, 'x');
    return message(DTCP_MSG_RETURN, p);
}

}  // namespace

TEST_CASE("HANDOFF round trip", "[wire]")
{
    auto b = handoff("GET 2 1000 7\n");
    dtcp_msg m;
    REQUIRE(dtcp_wire_decode(b.data(), b.size(), &m) == 0);
    CHECK(m.type == DTCP_MSG_HANDOFF);
    CHECK(m.sender == 2);
    CHECK(m.origin == 1);
    CHECK(m.hid == 77);
    CHECK(m.seq == 5);
    CHECK(ntohs(m.cport) == 40000);
    CHECK(m.state.snd_nxt == 1000);
    CHECK(m.state.ts_recent == 654321);
    CHECK(m.state.mss == 1448);
    CHECK(std::string(reinterpret_cast<const char*>(m.data), m.data_len) == "GET 2 1000 7\n");
    CHECK(m.state.flags == (DTCP_ST_SACK | DTCP_ST_TSTAMP | DTCP_ST_WSCALE));
}

TEST_CASE("An acknowledgement due travels in the state's flags", "[wire]")
{
    auto st = sample_state();
    st.flags |= DTCP_ST_ACK_DUE;
    auto b = handoff("x", st);
    dtcp_msg m;
    REQUIRE(dtcp_wire_decode(b.data(), b.size(), &m) == 0);
    CHECK(m.state.flags == (DTCP_ST_SACK | DTCP_ST_TSTAMP | DTCP_ST_WSCALE | DTCP_ST_ACK_DUE));
    st.flags |= 0x10;   // the first bit no version defines
    b = handoff("x", st);
    CHECK(dtcp_wire_decode(b.data(), b.size(), &m) == -EBADMSG);
}

TEST_CASE("Every truncation of a valid message is refused", "[wire]")
{
    for (const auto& b : {handoff("GET x\n"), ret(DTCP_RETURN_SERVED | (10u << DTCP_RETURN_TAIL_SHIFT), 10, 0, 10),
                          message(DTCP_MSG_NACK, {0, 0, 0, 111})}) {
        dtcp_msg m;
        REQUIRE(dtcp_wire_decode(b.data(), b.size(), &m) == 0);
        for (size_t n = 0; n < b.size(); n++)
            CHECK(dtcp_wire_decode(b.data(), n, &m) == -EBADMSG);
    }
}

TEST_CASE("Header checks: magic, version, lengths, node ids", "[wire]")
{
    dtcp_msg m;
    auto b = message(DTCP_MSG_PING, {});
    REQUIRE(dtcp_wire_decode(b.data(), b.size(), &m) == 0);

    auto bad = b;
    bad[0] ^= 1;
    CHECK(dtcp_wire_decode(bad.data(), bad.size(), &m) == -EBADMSG);
    bad = b;
    bad[2] = DTCP_WIRE_VERSION + 1;
    CHECK(dtcp_wire_decode(bad.data(), bad.size(), &m) == -EPROTONOSUPPORT);
    bad = b;
    bad[3] = 200;
    CHECK(dtcp_wire_decode(bad.data(), bad.size(), &m) == -EOPNOTSUPP);
    bad = b;
    bad.push_back(0);  // length field says 0, one byte more arrived
    CHECK(dtcp_wire_decode(bad.data(), bad.size(), &m) == -EBADMSG);
    auto zero_sender = message(DTCP_MSG_PING, {}, 0, 1);
    CHECK(dtcp_wire_decode(zero_sender.data(), zero_sender.size(), &m) == -EBADMSG);
    auto ack_with_payload = message(DTCP_MSG_HANDOFF_ACK, {1});
    CHECK(dtcp_wire_decode(ack_with_payload.data(), ack_with_payload.size(), &m) == -EBADMSG);
}

TEST_CASE("State fields are validated", "[wire]")
{
    dtcp_msg m;
    auto st = sample_state();
    st.snd_wscale = 15;
    auto b = handoff("x", st);
    CHECK(dtcp_wire_decode(b.data(), b.size(), &m) == -EBADMSG);
    st = sample_state();
    st.flags |= 0x80;
    b = handoff("x", st);
    CHECK(dtcp_wire_decode(b.data(), b.size(), &m) == -EBADMSG);
    st = sample_state();
    st.flags &= ~DTCP_ST_WSCALE;
    b = handoff("x", st);
    CHECK(dtcp_wire_decode(b.data(), b.size(), &m) == -EBADMSG);
    st = sample_state();
    st.mss = 10;
    b = handoff("x", st);
    CHECK(dtcp_wire_decode(b.data(), b.size(), &m) == -EBADMSG);
}

TEST_CASE("RETURN chunks must tile the tail", "[wire]")
{
    dtcp_msg m;
    const uint32_t len = DTCP_WIRE_CHUNK + 5;
    auto ok = ret(DTCP_RETURN_SERVED | DTCP_RETURN_FIN | (len << DTCP_RETURN_TAIL_SHIFT), len,
                  DTCP_WIRE_CHUNK, 5);
    REQUIRE(dtcp_wire_decode(ok.data(), ok.size(), &m) == 0);
    CHECK(m.total == len);
    CHECK(m.offset == DTCP_WIRE_CHUNK);
    CHECK(m.data_len == 5);
    CHECK(m.code == (DTCP_RETURN_SERVED | DTCP_RETURN_FIN));

    auto none = ret(0, 0, 0, 0);
    CHECK(dtcp_wire_decode(none.data(), none.size(), &m) == 0);
    auto unaligned = ret(100u << DTCP_RETURN_TAIL_SHIFT, 100, 10, 90);
    CHECK(dtcp_wire_decode(unaligned.data(), unaligned.size(), &m) == -EBADMSG);
    auto short_chunk = ret((DTCP_WIRE_CHUNK * 2u) << DTCP_RETURN_TAIL_SHIFT, DTCP_WIRE_CHUNK * 2, 0, 100);
    CHECK(dtcp_wire_decode(short_chunk.data(), short_chunk.size(), &m) == -EBADMSG);
    auto bad_flags = ret(0x10, 0, 0, 0);
    CHECK(dtcp_wire_decode(bad_flags.data(), bad_flags.size(), &m) == -EBADMSG);
}

TEST_CASE("A RETURN's tail length is the flags word's upper half, and all of its data", "[wire]")
{
    dtcp_msg m;
    auto tail = ret(DTCP_RETURN_SERVED | (1060u << DTCP_RETURN_TAIL_SHIFT), 1060, 0, 1060);
    REQUIRE(dtcp_wire_decode(tail.data(), tail.size(), &m) == 0);
    CHECK(m.code == DTCP_RETURN_SERVED);
    CHECK(m.tail_len == 1060);
    CHECK(m.total == 1060);

    /* Client bytes do not travel back (the active node kept them). */
    auto with_client_bytes = ret(DTCP_RETURN_SERVED | (1050u << DTCP_RETURN_TAIL_SHIFT), 1060, 0, 1060);
    CHECK(dtcp_wire_decode(with_client_bytes.data(), with_client_bytes.size(), &m) == -EBADMSG);

    auto all_tail = ret(0xffffu << DTCP_RETURN_TAIL_SHIFT, 0xffff, DTCP_WIRE_CHUNK * 3,
                        0xffff - DTCP_WIRE_CHUNK * 3);
    REQUIRE(dtcp_wire_decode(all_tail.data(), all_tail.size(), &m) == 0);
    CHECK(m.tail_len == 0xffff);
    CHECK(m.code == 0);

    auto longer = ret(11u << DTCP_RETURN_TAIL_SHIFT, 10, 0, 10);
    CHECK(dtcp_wire_decode(longer.data(), longer.size(), &m) == -EBADMSG);
    auto bad_low = ret((10u << DTCP_RETURN_TAIL_SHIFT) | 0x8, 10, 0, 10);
    CHECK(dtcp_wire_decode(bad_low.data(), bad_low.size(), &m) == -EBADMSG);
}

TEST_CASE("NACK and ABORT carry an errno", "[wire]")
{
    dtcp_msg m;
    auto nack = message(DTCP_MSG_NACK, {0, 0, 0, 111});
    REQUIRE(dtcp_wire_decode(nack.data(), nack.size(), &m) == 0);
    CHECK(m.code == 111);
    auto zero = message(DTCP_MSG_ABORT, {0, 0, 0, 0});
    CHECK(dtcp_wire_decode(zero.data(), zero.size(), &m) == -EBADMSG);
}

TEST_CASE("Encoders refuse what does not fit", "[wire]")
{
    uint8_t small[8];
    CHECK(dtcp_wire_put_hdr(small, sizeof(small), DTCP_MSG_PING, 1, 1, 1, 0, 1) == -EMSGSIZE);
    std::vector<uint8_t> b(DTCP_WIRE_HDR_LEN);
    CHECK(dtcp_wire_put_hdr(b.data(), b.size(), DTCP_MSG_SEGMENT, 1, 1, 1, DTCP_WIRE_MAX_PAYLOAD + 1, 1) ==
          -EMSGSIZE);
}
