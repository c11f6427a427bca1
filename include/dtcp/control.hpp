// Client of the dtcp generic-netlink family: status, configuration, peers,
// connections and statistics.
// Shared by dtcpd and dtcpctl.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <linux/dtcp.h>

#include "dtcp/netlink.hpp"
#include "dtcp/result.hpp"

namespace dtcp {

// Live-object counters, in the module's order (enum dtcp_counter_attr).
struct Counters {
    std::vector<std::pair<std::string, uint32_t>> values;
    bool all_zero() const;
    std::optional<uint32_t> get(const std::string& name) const;
};

// Monotonic statistics, in the module's order (enum dtcp_stat_attr).
struct Stats {
    std::vector<std::pair<std::string, uint64_t>> values;
    std::optional<uint64_t> get(const std::string& name) const;
};

// IPv4 addresses are kept in network byte order (as on the wire, be32).
using Ip4 = uint32_t;

struct Status {
    uint32_t abi_version = 0;
    std::string module_version;
    std::optional<uint32_t> node_id;
    std::optional<uint16_t> tunnel_port;
    bool key_set = false;
    std::optional<std::string> mac_driver;  // the crypto driver of the tunnel's MAC, while a key is set
    // the CPU's CBC-AES that runs the MAC's blocks a chunk per FPU section, where there is one
    std::optional<std::string> mac_blocks_driver;
    std::optional<Ip4> vip;
    std::optional<bool> daemon;  // absent from modules that do not report it
    Counters live;
    Stats stats;                 // empty when the module sends none
};

struct ConfigUpdate {
    std::optional<uint32_t> node_id;
    std::optional<uint16_t> tunnel_port;
    std::optional<std::array<uint8_t, DTCP_KEY_LEN>> cluster_key;
    std::optional<Ip4> vip;
    bool empty() const { return !node_id && !tunnel_port && !cluster_key && !vip; }
};

// A peer as the module reports it (GET_PEERS).
struct Peer {
    uint32_t id = 0;
    Ip4 addr = 0;
    std::optional<uint16_t> port;  // absent: this node's tunnel port
    bool up = false;
    uint64_t tx = 0;
    uint64_t rx = 0;
};

// A peer to add or update (SET_PEER).
struct PeerUpdate {
    uint32_t id = 0;
    Ip4 addr = 0;
    std::optional<uint16_t> port;
    std::optional<bool> up;
};

// A connection entry (GET_CONNS).
struct Conn {
    uint32_t id = 0;
    uint32_t origin = 0;
    uint8_t role = 0;   // enum dtcp_conn_role
    uint8_t state = 0;  // enum dtcp_conn_state
    Ip4 client = 0;
    uint16_t client_port = 0;
    Ip4 local = 0;
    uint16_t local_port = 0;
    uint32_t peer = 0;
    uint32_t handoffs = 0;
    uint64_t bytes = 0;
};

// A module notification (DTCP_CMD_EVENT on the "events" multicast group).
struct Event {
    uint32_t type = 0;  // enum dtcp_event
    std::optional<uint32_t> node_id;
    std::optional<bool> daemon;       // DTCP_A_DAEMON, if the event carries it
    std::optional<uint32_t> peer_id;  // from a PEER nest
    std::optional<bool> peer_up;
    std::optional<uint32_t> conn_id;  // from a CONN nest
    std::optional<uint32_t> conn_origin;
    std::optional<uint32_t> conn_peer;
    std::optional<Ip4> client;
    std::optional<uint16_t> client_port;
};

// Name of a live-object counter (enum dtcp_counter_attr), "counter-N" if unknown.
std::string counter_name(uint16_t type);
// Name of a statistic (enum dtcp_stat_attr), "stat-N" if unknown.
std::string stat_name(uint16_t type);
// "active"/"passive", "role-N" if unknown.
std::string role_name(uint8_t role);
// "freezing", "handed-out", ...; "state-N" if unknown.
std::string conn_state_name(uint8_t state);
// "config-changed", "peer-changed", "handoff-failed", "daemon-up",
// "daemon-gone"; "event-N" if unknown.
std::string event_name(uint32_t type);
// One line for a log: "configuration changed", "peer changed peer 2 down",
// "hand-off failed conn 17 with node 3", "daemon gone", ...
std::string event_text(const Event& e);
// Dotted quad of a be32 address, and back (EINVAL on anything else).
std::string ip4_str(Ip4 addr);
Result<Ip4> parse_ip4(const std::string& text);

// Pure codecs, unit-tested without a kernel.
Result<Status> decode_status(const nlmsghdr* nlh);
void encode_config(nl::Message& msg, const ConfigUpdate& update);
void encode_peer(nl::Message& msg, const PeerUpdate& peer);  // SET_PEER
void encode_peer_id(nl::Message& msg, uint32_t id);          // DEL_PEER
// One message of a GET_PEERS / GET_CONNS dump: one PEER / CONN nest.
Result<Peer> decode_peer(const nlmsghdr* nlh);
Result<Conn> decode_conn(const nlmsghdr* nlh);
Result<Event> decode_event(const nlmsghdr* nlh);
void encode_daemon(nl::Message& msg, bool on);               // SET_DAEMON
// Parse a cluster key written as 64 hex digits (whitespace around it ignored).
Result<std::array<uint8_t, DTCP_KEY_LEN>> parse_key_hex(const std::string& text);

class Control {
public:
    // ENOENT (with a message saying so) when the module is not loaded.
    static Result<Control> open();

    Result<Status> status();
    Result<void> set_config(const ConfigUpdate& update);
    Result<void> set_peer(uint32_t id, Ip4 addr, std::optional<uint16_t> port = std::nullopt,
                          std::optional<bool> up = std::nullopt);
    Result<void> set_peer(const PeerUpdate& peer);
    Result<void> del_peer(uint32_t id);
    // Register this socket as the namespace's daemon (on) or unregister it.
    // The module forgets the registration when the socket is closed.
    Result<void> set_daemon(bool on = true);
    // Dumps; restarted (a few times) when the kernel flags NLM_F_DUMP_INTR.
    Result<std::vector<Peer>> peers();
    Result<std::vector<Conn>> conns();
    nl::GenlSocket& socket() { return sock_; }

private:
    template <typename T>
    Result<std::vector<T>> dump(uint8_t cmd, Result<T> (*decode)(const nlmsghdr*));
    explicit Control(nl::GenlSocket s) : sock_(std::move(s)) {}
    nl::GenlSocket sock_;
};

// A socket subscribed to the module's "events" group, non-blocking: poll
// fd() for POLLIN, then drain().
class EventStream {
public:
    // ENOENT (with a message saying so) when the module is not loaded.
    static Result<EventStream> open();

    int fd() const { return sock_.fd(); }
    // Decode every pending event, calling @cb for each (an undecodable one
    // as an Error), until none is left.  ENOBUFS: events were lost because
    // the socket's buffer overflowed (the stream stays usable).
    Result<void> drain(const std::function<void(const Result<Event>&)>& cb);

private:
    explicit EventStream(nl::GenlSocket s) : sock_(std::move(s)) {}
    nl::GenlSocket sock_;
};

}  // namespace dtcp
