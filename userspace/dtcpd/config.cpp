// dtcpd configuration parsing and validation (toml++).
#include "config.hpp"

#include <arpa/inet.h>
#include <grp.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "dtcp/control.hpp"

namespace dtcpd {

const PeerConfig* Config::find_peer(uint32_t id) const
{
    for (const auto& p : peers)
        if (p.id == id)
            return &p;
    return nullptr;
}

std::string ipv4_to_string(uint32_t be_addr)
{
    char buf[INET_ADDRSTRLEN];
    in_addr a{be_addr};
    inet_ntop(AF_INET, &a, buf, sizeof(buf));
    return buf;
}

std::optional<uint32_t> parse_ipv4(const std::string& s)
{
    in_addr a{};
    if (inet_pton(AF_INET, s.c_str(), &a) != 1)
        return std::nullopt;
    return a.s_addr;
}

namespace {

// Thrown inside the parser only; turned into a Result at the boundary.
struct ConfigError {
    std::string message;
};

class Reader {
public:
    explicit Reader(std::string path) : path_(std::move(path)) {}

    [[noreturn]] void fail(int line, const std::string& key, const std::string& what) const
    {
        throw ConfigError{path_ + ":" + std::to_string(line > 0 ? line : 1) + ": " + key + ": " + what};
    }
    static int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

    // Reject keys of @t not in @allowed.
    void only_keys(const toml::table& t, const std::string& prefix, std::initializer_list<const char*> allowed) const
    {
        for (auto&& [k, v] : t) {
            std::string name(k.str());
            if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return name == a; }))
                fail(static_cast<int>(k.source().begin.line), prefix + name,
                     "unknown key (allowed: " + join(allowed) + ")");
        }
    }

    // An integer in [lo, hi]; nullopt when absent.
    std::optional<int64_t> integer(const toml::table& t, const std::string& prefix, const char* key,
                                   int64_t lo, int64_t hi) const
    {
        const toml::node* n = t.get(key);
        if (!n)
            return std::nullopt;
        auto v = n->value_exact<int64_t>();
        if (!v)
            fail(line_of(*n), prefix + key, std::string("must be an integer, not ") + type_name(*n));
        if (*v < lo || *v > hi)
            fail(line_of(*n), prefix + key,
                 std::to_string(*v) + " is out of range " + std::to_string(lo) + ".." + std::to_string(hi));
        return *v;
    }

    std::optional<std::string> string(const toml::table& t, const std::string& prefix, const char* key) const
    {
        const toml::node* n = t.get(key);
        if (!n)
            return std::nullopt;
        auto v = n->value_exact<std::string>();
        if (!v)
            fail(line_of(*n), prefix + key, std::string("must be a string, not ") + type_name(*n));
        return *v;
    }

    std::optional<uint32_t> address(const toml::table& t, const std::string& prefix, const char* key) const
    {
        auto s = string(t, prefix, key);
        if (!s)
            return std::nullopt;
        auto a = parse_ipv4(*s);
        if (!a)
            fail(line_of(*t.get(key)), prefix + key, "\"" + *s + "\" is not an IPv4 address");
        return a;
    }

    const toml::table* table(const toml::table& root, const char* key) const
    {
        const toml::node* n = root.get(key);
        if (!n)
            return nullptr;
        if (!n->is_table())
            fail(line_of(*n), key, std::string("must be a table ([") + key + "]), not " + type_name(*n));
        return n->as_table();
    }

    const std::string& path() const { return path_; }

private:
    static std::string join(std::initializer_list<const char*> l)
    {
        std::string s;
        for (const char* a : l)
            s += (s.empty() ? "" : ", ") + std::string(a);
        return s;
    }
    static const char* type_name(const toml::node& n)
    {
        switch (n.type()) {
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        default: return "a date/time";
        }
    }
    std::string path_;
};

Key read_key_file(const Reader& r, int line, const std::string& file)
{
    std::filesystem::path p(file);
    if (p.is_relative())
        p = std::filesystem::path(r.path()).parent_path() / p;
    std::ifstream in(p);
    if (!in)
        r.fail(line, "node.cluster_key_file", "cannot read " + p.string());
    std::stringstream ss;
    ss << in.rdbuf();
    auto k = dtcp::parse_key_hex(ss.str());
    if (!k)
        r.fail(line, "node.cluster_key_file", p.string() + ": " + k.error().message);
    return *k;
}

Config parse(const toml::table& root, const Reader& r)
{
    Config c;
    c.path = r.path();
    r.only_keys(root, "", {"node", "heartbeat", "directory", "metrics", "peer"});

    const toml::table* node = r.table(root, "node");
    if (!node)
        r.fail(1, "node", "missing table [node] (node.id is required)");
    r.only_keys(*node, "node.", {"id", "tunnel_port", "vip", "cluster_key", "cluster_key_file"});
    auto id = r.integer(*node, "node.", "id", 1, DTCP_NODE_ID_MAX);
    if (!id)
        r.fail(Reader::line_of(*node), "node.id", "missing (a node id 1.." + std::to_string(DTCP_NODE_ID_MAX) + " is required)");
    c.node_id = static_cast<uint32_t>(*id);
    if (auto v = r.integer(*node, "node.", "tunnel_port", 1, 65535))
        c.tunnel_port = static_cast<uint16_t>(*v);
    c.vip = r.address(*node, "node.", "vip");
    auto key = r.string(*node, "node.", "cluster_key");
    auto key_file = r.string(*node, "node.", "cluster_key_file");
    if (key && key_file)
        r.fail(Reader::line_of(*node->get("cluster_key_file")), "node.cluster_key_file",
               "give either cluster_key or cluster_key_file, not both");
    if (key) {
        auto k = dtcp::parse_key_hex(*key);
        if (!k)
            r.fail(Reader::line_of(*node->get("cluster_key")), "node.cluster_key", k.error().message);
        c.cluster_key = *k;
    } else if (key_file) {
        c.cluster_key = read_key_file(r, Reader::line_of(*node->get("cluster_key_file")), *key_file);
    }

    if (const toml::table* hb = r.table(root, "heartbeat")) {
        r.only_keys(*hb, "heartbeat.", {"address", "port", "interval_ms", "timeout_ms"});
        if (auto a = r.address(*hb, "heartbeat.", "address"))
            c.hb_bind = *a;
        if (auto v = r.integer(*hb, "heartbeat.", "port", 1, 65535))
            c.hb_port = static_cast<uint16_t>(*v);
        if (auto v = r.integer(*hb, "heartbeat.", "interval_ms", 10, 60000))
            c.hb_interval_ms = static_cast<uint32_t>(*v);
        if (auto v = r.integer(*hb, "heartbeat.", "timeout_ms", 20, 600000))
            c.hb_timeout_ms = static_cast<uint32_t>(*v);
        if (c.hb_timeout_ms < 2 * c.hb_interval_ms)
            r.fail(Reader::line_of(hb->get("timeout_ms") ? *hb->get("timeout_ms") : *hb), "heartbeat.timeout_ms",
                   std::to_string(c.hb_timeout_ms) + " must be at least twice interval_ms (" +
                       std::to_string(c.hb_interval_ms) + ")");
    }
    if (c.hb_port == c.tunnel_port && c.hb_bind == 0)
        r.fail(Reader::line_of(*node), "heartbeat.port", "must differ from node.tunnel_port (" +
                                                             std::to_string(c.tunnel_port) + ")");

    if (const toml::table* d = r.table(root, "directory")) {
        r.only_keys(*d, "directory.", {"socket", "group", "capacity", "summary_bits", "hashes", "imbalance"});
        if (auto g = r.string(*d, "directory.", "group")) {
            std::vector<char> buf(16384);
            group gr{}, *res = nullptr;
            if (getgrnam_r(g->c_str(), &gr, buf.data(), buf.size(), &res) != 0 || !res)
                r.fail(Reader::line_of(*d->get("group")), "directory.group", "no such group \"" + *g + "\"");
            c.socket_gid = res->gr_gid;
        }
        if (auto s = r.string(*d, "directory.", "socket")) {
            if (s->empty() || s->size() >= 108 || (*s)[0] != '/')
                r.fail(Reader::line_of(*d->get("socket")), "directory.socket",
                       "must be an absolute path shorter than 108 bytes");
            c.socket_path = *s;
        }
        if (auto v = r.integer(*d, "directory.", "capacity", 1, 16 * 1024 * 1024))
            c.dir_capacity = static_cast<uint32_t>(*v);
        if (auto v = r.integer(*d, "directory.", "summary_bits", 1024, 262144)) {
            if (*v & (*v - 1))
                r.fail(Reader::line_of(*d->get("summary_bits")), "directory.summary_bits",
                       std::to_string(*v) + " is not a power of two");
            c.dir_summary_bits = static_cast<uint32_t>(*v);
        }
        if (auto v = r.integer(*d, "directory.", "hashes", 1, 16))
            c.dir_hashes = static_cast<uint32_t>(*v);
        if (auto v = r.integer(*d, "directory.", "imbalance", 0, 1000000))
            c.dir_imbalance = static_cast<uint32_t>(*v);
    }

    if (const toml::table* m = r.table(root, "metrics")) {
        r.only_keys(*m, "metrics.", {"address", "port"});
        if (auto a = r.address(*m, "metrics.", "address"))
            c.metrics_bind = *a;
        if (auto v = r.integer(*m, "metrics.", "port", 0, 65535))
            c.metrics_port = static_cast<uint16_t>(*v);
    }

    if (const toml::node* pn = root.get("peer")) {
        const toml::array* arr = pn->as_array();
        if (!arr)
            r.fail(Reader::line_of(*pn), "peer", "must be an array of tables ([[peer]])");
        if (arr->size() > DTCP_MAX_PEERS)
            r.fail(Reader::line_of(*pn), "peer", "more than " + std::to_string(DTCP_MAX_PEERS) + " peers");
        std::set<uint32_t> ids;
        std::set<std::pair<uint32_t, uint16_t>> endpoints;
        for (size_t i = 0; i < arr->size(); i++) {
            const toml::node& el = *arr->get(i);
            std::string prefix = "peer[" + std::to_string(i) + "].";
            const toml::table* t = el.as_table();
            if (!t)
                r.fail(Reader::line_of(el), "peer[" + std::to_string(i) + "]", "must be a table");
            r.only_keys(*t, prefix, {"id", "address", "tunnel_port", "heartbeat_port"});
            PeerConfig p;
            p.line = Reader::line_of(*t);
            auto pid = r.integer(*t, prefix, "id", 1, DTCP_NODE_ID_MAX);
            if (!pid)
                r.fail(p.line, prefix + "id", "missing");
            p.id = static_cast<uint32_t>(*pid);
            int id_line = Reader::line_of(*t->get("id"));
            if (p.id == c.node_id)
                r.fail(id_line, prefix + "id", std::to_string(p.id) + " is this node's own id");
            if (!ids.insert(p.id).second)
                r.fail(id_line, prefix + "id", "duplicate peer id " + std::to_string(p.id));
            auto addr = r.address(*t, prefix, "address");
            if (!addr)
                r.fail(p.line, prefix + "address", "missing");
            p.addr = *addr;
            if (auto v = r.integer(*t, prefix, "tunnel_port", 1, 65535))
                p.tunnel_port = static_cast<uint16_t>(*v);
            if (auto v = r.integer(*t, prefix, "heartbeat_port", 1, 65535))
                p.heartbeat_port = static_cast<uint16_t>(*v);
            if (!endpoints.insert({p.addr, c.peer_hb_port(p)}).second)
                r.fail(Reader::line_of(*t->get("address")), prefix + "address",
                       "another peer already uses " + ipv4_to_string(p.addr) + " heartbeat port " +
                           std::to_string(c.peer_hb_port(p)));
            c.peers.push_back(p);
        }
    }
    return c;
}

// The key (or [table]) a syntax error is about: the one written on its line.
std::string key_on_line(const std::string& text, int line)
{
    std::istringstream in(text);
    std::string l;
    for (int i = 1; i <= line && std::getline(in, l); i++) {
    }
    size_t b = l.find_first_not_of(" \t");
    if (b == std::string::npos)
        return "(syntax)";
    if (l[b] == '[') {
        size_t e = l.find(']', b);
        return l.substr(b, e == std::string::npos ? std::string::npos : e - b + 1);
    }
    size_t e = l.find_first_of(" \t=", b);
    std::string k = l.substr(b, e == std::string::npos ? std::string::npos : e - b);
    return k.empty() || k[0] == '#' ? "(syntax)" : k;
}

}  // namespace

dtcp::Result<Config> parse_config(const std::string& text, const std::string& path)
{
    Reader r(path);
    try {
        toml::table root = toml::parse(text, path);
        return parse(root, r);
    } catch (const toml::parse_error& e) {
        auto line = static_cast<int>(e.source().begin.line);
        return dtcp::Error{EINVAL, path + ":" + std::to_string(line) + ": " + key_on_line(text, line) + ": " +
                                       std::string(e.description())};
    } catch (const ConfigError& e) {
        return dtcp::Error{EINVAL, e.message};
    }
}

dtcp::Result<Config> load_config(const std::string& path)
{
    errno = 0;
    std::ifstream in(path);
    if (!in) {
        int e = errno ? errno : ENOENT;
        return dtcp::Error{e, "cannot read configuration " + path + ": " + std::strerror(e)};
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_config(ss.str(), path);
}

ConfigDiff diff_configs(const Config& from, const Config& to)
{
    ConfigDiff d;
    d.node_id = from.node_id != to.node_id;
    d.tunnel_port = from.tunnel_port != to.tunnel_port;
    d.vip = from.vip != to.vip;
    d.cluster_key = from.cluster_key != to.cluster_key;
    for (const auto& p : to.peers) {
        const PeerConfig* old = from.find_peer(p.id);
        if (!old)
            d.added.push_back(p);
        // A peer's effective tunnel port follows the node's when not set.
        else if (!(*old == p) || from.peer_tunnel_port(*old) != to.peer_tunnel_port(p) ||
                 from.peer_hb_port(*old) != to.peer_hb_port(p))
            d.changed.push_back(p);
    }
    for (const auto& p : from.peers)
        if (!to.find_peer(p.id))
            d.removed.push_back(p.id);
    if (from.hb_bind != to.hb_bind || from.hb_port != to.hb_port)
        d.need_restart.push_back("heartbeat address/port");
    if (from.socket_path != to.socket_path || from.socket_gid != to.socket_gid)
        d.need_restart.push_back("directory.socket/group");
    if (from.metrics_bind != to.metrics_bind || from.metrics_port != to.metrics_port)
        d.need_restart.push_back("metrics address/port");
    if (from.dir_summary_bits != to.dir_summary_bits || from.dir_hashes != to.dir_hashes ||
        from.dir_capacity != to.dir_capacity)
        d.need_restart.push_back("directory.capacity/summary_bits/hashes");
    return d;
}

}  // namespace dtcpd
