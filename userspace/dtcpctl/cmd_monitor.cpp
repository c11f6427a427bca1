// dtcpctl monitor: the module's events, live, until SIGINT or SIGTERM.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/core.h>

#include "dtcpctl.hpp"
#include "format.hpp"

namespace dtcpctl {

int cmd_monitor(const Options& opt)
{
    // The signals arrive on a descriptor, so the loop ends cleanly.  A
    // shell starts background jobs with SIGINT ignored; an ignored signal
    // never reaches the descriptor, so take the default disposition back.
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &sigs, nullptr) < 0)
        return fail("monitor", dtcp::Error{errno, "cannot block SIGINT and SIGTERM"});
    int sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
    if (sig_fd < 0)
        return fail("monitor", dtcp::Error{errno, "signalfd"});

    auto ev = dtcp::EventStream::open();
    if (!ev) {
        close(sig_fd);
        if (ev.error().code == ENOENT)
            fmt::print(stderr, "dtcpctl: {}; load it with 'modprobe dtcp'\n", ev.error().message);
        else
            fail("monitor", ev.error());
        return kError;
    }

    int rc = kOk;
    for (;;) {
        pollfd fds[2] = {{sig_fd, POLLIN, 0}, {ev->fd(), POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            rc = fail("monitor", dtcp::Error{errno, "poll"});
            break;
        }
        if (fds[0].revents & POLLIN)
            break;  // SIGINT or SIGTERM: a normal end
        if (!(fds[1].revents & (POLLIN | POLLERR)))
            continue;
        auto r = ev->drain([&](const dtcp::Result<dtcp::Event>& e) {
            std::string now = timestamp_now();
            if (!e)
                fmt::print(stderr, "dtcpctl: monitor: undecodable event: {}\n", e.error().describe());
            else if (opt.json)
                fmt::print("{}\n", event_json(*e, now).dump());
            else
                fmt::print("{}\n", event_line(*e, now));
        });
        std::fflush(stdout);
        if (!r && r.error().code == ENOBUFS) {
            fmt::print(stderr, "dtcpctl: monitor: events were lost (the receive buffer overflowed)\n");
            continue;
        }
        if (!r) {
            rc = fail("monitor", r.error());
            break;
        }
        if (std::ferror(stdout)) {
            rc = kError;  // the reader went away
            break;
        }
    }
    close(sig_fd);
    return rc;
}

}  // namespace dtcpctl
