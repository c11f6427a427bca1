// dtcpctl: pure formatting of what the commands print (unit-tested).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dtcp/control.hpp"

namespace dtcpctl {

// The running configuration: identity, tunnel, VIP, key and peers.
nlohmann::json config_json(const dtcp::Status& st, const std::vector<dtcp::Peer>& peers);
std::string config_table(const dtcp::Status& st, const std::vector<dtcp::Peer>& peers);

// One module event, stamped with @time: a line of text (no newline) or a
// JSON object.
std::string event_line(const dtcp::Event& e, const std::string& time);
nlohmann::json event_json(const dtcp::Event& e, const std::string& time);

// Local time with milliseconds and UTC offset: 2026-01-31T12:00:00.123+0100.
std::string timestamp_now();

}  // namespace dtcpctl
