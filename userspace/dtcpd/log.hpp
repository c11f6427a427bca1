// Logging to stderr; under systemd (JOURNAL_STREAM set) each line carries a
// syslog priority prefix that journald understands.
#pragma once

#include <string>

namespace dtcpd {

enum class Level { Error = 3, Warning = 4, Notice = 5, Info = 6, Debug = 7 };

void set_log_level(Level max);
void log(Level level, const std::string& message);

}  // namespace dtcpd
