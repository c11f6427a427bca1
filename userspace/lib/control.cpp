// Client of the dtcp generic-netlink family.
#include "dtcp/control.hpp"

#include <cctype>

namespace dtcp {

bool Counters::all_zero() const
{
    for (const auto& [name, v] : values)
        if (v)
            return false;
    return true;
}

std::optional<uint32_t> Counters::get(const std::string& name) const
{
    for (const auto& [n, v] : values)
        if (n == name)
            return v;
    return std::nullopt;
}

std::string counter_name(uint16_t type)
{
    switch (type) {
    case DTCP_CNT_FILES: return "files";
    case DTCP_CNT_CONNS: return "conns";
    case DTCP_CNT_HANDOFFS: return "handoffs";
    case DTCP_CNT_PEERS: return "peers";
    default: return "counter-" + std::to_string(type);
    }
}

Result<Status> decode_status(const nlmsghdr* nlh)
{
    auto a = nl::Attrs::parse_genl(nlh, DTCP_A_MAX,
                                   {{DTCP_A_ABI_VERSION, MNL_TYPE_U32},
                                    {DTCP_A_MODULE_VERSION, MNL_TYPE_NUL_STRING},
                                    {DTCP_A_NODE_ID, MNL_TYPE_U32},
                                    {DTCP_A_TUNNEL_PORT, MNL_TYPE_U16},
                                    {DTCP_A_KEY_SET, MNL_TYPE_U8},
                                    {DTCP_A_COUNTERS, MNL_TYPE_NESTED}});
    if (!a)
        return a.error();
    Status s;
    auto abi = a->u32(DTCP_A_ABI_VERSION);
    auto ver = a->str(DTCP_A_MODULE_VERSION);
    if (!abi || !ver)
        return Error{EPROTO, "status reply without a version"};
    s.abi_version = *abi;
    s.module_version = *ver;
    s.node_id = a->u32(DTCP_A_NODE_ID);
    s.tunnel_port = a->u16(DTCP_A_TUNNEL_PORT);
    s.key_set = a->u8(DTCP_A_KEY_SET).value_or(0) != 0;
    if (const nlattr* nest = a->get(DTCP_A_COUNTERS)) {
        bool bad = false;
        nl::for_each_nested(nest, [&](const nlattr* pos) {
            if (mnl_attr_validate(pos, MNL_TYPE_U32) < 0)
                bad = true;
            else
                s.live.values.emplace_back(counter_name(mnl_attr_get_type(pos)), mnl_attr_get_u32(pos));
        });
        if (bad)
            return Error{EPROTO, "malformed counter in status reply"};
    }
    return s;
}

void encode_config(nl::Message& msg, const ConfigUpdate& u)
{
    if (u.node_id)
        msg.put_u32(DTCP_A_NODE_ID, *u.node_id);
    if (u.tunnel_port)
        msg.put_u16(DTCP_A_TUNNEL_PORT, *u.tunnel_port);
    if (u.cluster_key)
        msg.put(DTCP_A_CLUSTER_KEY, u.cluster_key->data(), u.cluster_key->size());
}

Result<std::array<uint8_t, DTCP_KEY_LEN>> parse_key_hex(const std::string& text)
{
    size_t b = 0, e = text.size();
    while (b < e && std::isspace(static_cast<unsigned char>(text[b])))
        b++;
    while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1])))
        e--;
    if (e - b != 2 * DTCP_KEY_LEN)
        return Error{EINVAL, "a cluster key is " + std::to_string(2 * DTCP_KEY_LEN) +
                                 " hex digits, got " + std::to_string(e - b) + " characters"};
    std::array<uint8_t, DTCP_KEY_LEN> key{};
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    for (size_t i = 0; i < DTCP_KEY_LEN; i++) {
        int hi = nibble(text[b + 2 * i]), lo = nibble(text[b + 2 * i + 1]);
        if (hi < 0 || lo < 0)
            return Error{EINVAL, "a cluster key has only hex digits"};
        key[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return key;
}

Result<Control> Control::open()
{
    auto s = nl::GenlSocket::open(DTCP_GENL_NAME);
    if (!s) {
        Error e = s.error();
        if (e.code == ENOENT)
            e.message = "the dtcp kernel module is not loaded (generic netlink family \"dtcp\" not found)";
        return e;
    }
    return Control(std::move(s.value()));
}

Result<Status> Control::status()
{
    auto msg = sock_.message(DTCP_CMD_GET_STATUS);
    std::optional<Result<Status>> st;
    auto r = sock_.request(msg, [&](const nlmsghdr* nlh) {
        st = decode_status(nlh);
        return MNL_CB_OK;
    });
    if (!r)
        return r.error();
    if (!st)
        return Error{EPROTO, "no status reply"};
    return std::move(*st);
}

Result<void> Control::set_config(const ConfigUpdate& u)
{
    auto msg = sock_.message(DTCP_CMD_SET_CONFIG);
    encode_config(msg, u);
    return sock_.request(msg);
}

}  // namespace dtcp
