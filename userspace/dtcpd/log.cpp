#include "log.hpp"

#include <cstdio>
#include <cstdlib>

namespace dtcpd {

namespace {
Level g_max = Level::Info;
}

void set_log_level(Level max)
{
    g_max = max;
}

void log(Level level, const std::string& message)
{
    if (static_cast<int>(level) > static_cast<int>(g_max))
        return;
    static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
    static const char* names[] = {"", "", "", "error: ", "warning: ", "", "", "debug: "};
    if (journal)
        std::fprintf(stderr, "<%d>%s\n", static_cast<int>(level), message.c_str());
    else
        std::fprintf(stderr, "dtcpd: %s%s\n", names[static_cast<int>(level)], message.c_str());
    std::fflush(stderr);
}

}  // namespace dtcpd
