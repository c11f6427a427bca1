// Generic-netlink client on libmnl: message building, attribute parsing,
// family resolution, requests with extended-ack errors, multicast events.
#pragma once

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dtcp/result.hpp"

namespace dtcp::nl {

// Call f(const nlattr*) for each attribute in [data, data + len).
// (libmnl's iteration macros are C-only.)
template <typename F>
void for_each_attr(const void* data, size_t len, F&& f)
{
    const auto* start = static_cast<const char*>(data);
    const auto* a = static_cast<const nlattr*>(data);
    while (mnl_attr_ok(a, static_cast<int>(len - (reinterpret_cast<const char*>(a) - start)))) {
        f(a);
        a = mnl_attr_next(a);
    }
}

// Call f(const nlattr*) for each attribute nested in @nest.
template <typename F>
void for_each_nested(const nlattr* nest, F&& f)
{
    for_each_attr(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), std::forward<F>(f));
}

// A netlink message under construction.  The buffer grows as attributes are
// added, so a message is never truncated; nests are tracked by offset so a
// reallocation cannot leave a dangling pointer.
class Message {
public:
    Message(uint16_t type, uint16_t flags, uint8_t cmd, uint8_t version);

    void put_u8(uint16_t type, uint8_t v) { put(type, &v, sizeof(v)); }
    void put_u16(uint16_t type, uint16_t v) { put(type, &v, sizeof(v)); }
    void put_u32(uint16_t type, uint32_t v) { put(type, &v, sizeof(v)); }
    void put_u64(uint16_t type, uint64_t v) { put(type, &v, sizeof(v)); }
    void put_string(uint16_t type, std::string_view s);  // NUL-terminated
    void put(uint16_t type, const void* data, size_t len);
    size_t nest_start(uint16_t type);
    void nest_end(size_t token);

    nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
    const nlmsghdr* header() const { return reinterpret_cast<const nlmsghdr*>(buf_.data()); }
    size_t size() const { return header()->nlmsg_len; }
    std::span<const uint8_t> bytes() const { return {buf_.data(), size()}; }

private:
    void reserve_more(size_t extra);
    std::vector<uint8_t> buf_;
};

// Attributes of one level, indexed by type.  Types above the table's size
// (attributes newer than this program) are ignored: forward compatible.
class Attrs {
public:
    Attrs() = default;
    // Parse the attributes following a generic-netlink header.
    static Result<Attrs> parse_genl(const nlmsghdr* nlh, uint16_t max,
                                    const std::map<uint16_t, mnl_attr_data_type>& types = {});
    // Parse the attributes nested in @nest.
    static Result<Attrs> parse_nested(const nlattr* nest, uint16_t max,
                                      const std::map<uint16_t, mnl_attr_data_type>& types = {});

    const nlattr* get(uint16_t type) const { return type < tb_.size() ? tb_[type] : nullptr; }
    bool has(uint16_t type) const { return get(type) != nullptr; }
    std::optional<uint8_t> u8(uint16_t type) const;
    std::optional<uint16_t> u16(uint16_t type) const;
    std::optional<uint32_t> u32(uint16_t type) const;
    std::optional<uint64_t> u64(uint16_t type) const;
    std::optional<std::string> str(uint16_t type) const;

private:
    std::vector<const nlattr*> tb_;
};

// The parts of a kernel error reply (NLMSG_ERROR) that a caller needs.
struct AckInfo {
    int error = 0;            // 0 for a plain ACK, else a positive errno
    std::string message;      // NLMSGERR_ATTR_MSG, if the kernel sent one
    uint32_t bad_offset = 0;  // NLMSGERR_ATTR_OFFS, 0 if absent
};
// Decode an NLMSG_ERROR message, with or without NLM_F_CAPPED / NLM_F_ACK_TLVS.
Result<AckInfo> parse_ack(const nlmsghdr* nlh);

struct FamilyInfo {
    uint16_t id = 0;
    uint32_t version = 0;
    uint32_t max_attr = 0;
    std::vector<uint32_t> ops;
    std::map<std::string, uint32_t> mcast_groups;
};
// The error code carried by an NLMSG_DONE message (0 when none, else a
// positive errno).
int done_error(const nlmsghdr* nlh);

// Decode a CTRL_CMD_NEWFAMILY reply.
Result<FamilyInfo> parse_family(const nlmsghdr* nlh);

// A NETLINK_GENERIC socket bound to one family (RAII).
class GenlSocket {
public:
    using Callback = std::function<int(const nlmsghdr*)>;  // MNL_CB_OK / _STOP / _ERROR

    // Open a socket and resolve @family.  ENOENT: no such family (module not loaded).
    static Result<GenlSocket> open(const std::string& family);

    GenlSocket(GenlSocket&&) noexcept = default;
    GenlSocket& operator=(GenlSocket&&) noexcept = default;

    const FamilyInfo& family() const { return family_; }
    Message message(uint8_t cmd, uint16_t flags = 0) const;

    // Send @msg with NLM_F_ACK, call @cb for each reply until the ACK or DONE.
    // An error reply becomes an Error carrying the extended-ack message.
    Result<void> request(Message& msg, const Callback& cb = {});
    // Send @msg as a dump request (NLM_F_DUMP) and call @cb for each message
    // until NLMSG_DONE.  *@interrupted is set when any message of the dump,
    // NLMSG_DONE included, carries NLM_F_DUMP_INTR (the set changed while it
    // was dumped: the caller should start again).
    Result<void> dump(Message& msg, const Callback& cb, bool* interrupted);

    Result<void> subscribe(const std::string& group);
    // Receive notifications until @cb returns MNL_CB_STOP or an error occurs.
    Result<void> listen(const Callback& cb);
    int fd() const;

private:
    struct Closer {
        void operator()(mnl_socket* s) const { mnl_socket_close(s); }
    };
    GenlSocket() = default;
    Result<void> send_and_receive(Message& msg, const Callback& cb, uint16_t expect_type,
                                  bool* interrupted = nullptr);

    std::unique_ptr<mnl_socket, Closer> sock_;
    uint32_t portid_ = 0;
    uint32_t seq_ = 0;
    FamilyInfo family_;
};

}  // namespace dtcp::nl
