#include "simulator.hpp"

#include <algorithm>
#include <array>
#include <queue>
#include <stdexcept>

#include "dtcp/policy.hpp"

namespace dtcp::sim {

std::optional<Policy> policy_from_name(std::string_view name)
{
    if (name == "wrr")
        return Policy::wrr;
    if (name == "lard")
        return Policy::lard;
    if (name == "bef")
        return Policy::bef;
    if (name == "dtcp")
        return Policy::dtcp;
    return std::nullopt;
}

std::string_view policy_name(Policy p)
{
    switch (p) {
    case Policy::wrr: return "wrr";
    case Policy::lard: return "lard";
    case Policy::bef: return "bef";
    case Policy::dtcp: return "dtcp";
    }
    return "?";
}

std::string_view policy_label(Policy p)
{
    switch (p) {
    case Policy::wrr: return "Weighted round-robin";
    case Policy::lard: return "LARD, no hand-off";
    case Policy::bef: return "LARD + back-end forwarding";
    case Policy::dtcp: return "DTCP partial hand-off";
    }
    return "?";
}

std::int64_t Costs::transmit_ns(std::uint64_t bytes) const
{
    return static_cast<std::int64_t>((bytes * static_cast<std::uint64_t>(transmit_ns_per_512) + 256) / 512);
}

std::int64_t Costs::disk_ns(std::uint64_t bytes) const
{
    return disk_seek_ns + static_cast<std::int64_t>(static_cast<double>(bytes) * 1e9 / disk_bytes_per_s + 0.5);
}

std::int64_t Costs::wire_ns(std::uint64_t bytes) const
{
    return static_cast<std::int64_t>(static_cast<double>(bytes) * 8e9 / adaptor_bits_per_s + 0.5);
}

namespace {

enum Res : std::uint8_t { cpu = 0, disk = 1, in = 2, out = 3 };

// An FCFS station with one or two identical servers.  Service times are known on
// arrival, so a job's completion time is fixed when it joins the queue.
struct Station {
    std::array<std::int64_t, 2> free_at{0, 0};
    std::uint8_t servers = 1;
    std::uint32_t queued = 0; // jobs waiting or in service
    std::int64_t busy_ns = 0;

    std::int64_t enqueue(std::int64_t now, std::int64_t service)
    {
        std::size_t s = 0;
        if (servers == 2 && free_at[1] < free_at[0])
            s = 1;
        const std::int64_t done = std::max(now, free_at[s]) + service;
        free_at[s] = done;
        busy_ns += service;
        ++queued;
        return done;
    }
};

struct Node {
    std::array<Station, 4> st;
    LruCache cache;
    NodeStats stats;
    Node(std::uint64_t cache_bytes, std::uint64_t max_obj) : cache(cache_bytes, max_obj)
    {
        st[in].servers = st[out].servers = 2;
    }
};

struct Step {
    std::int64_t service;
    std::uint32_t node;
    Res res;
};

struct Flow {
    std::uint32_t conn = 0;
    std::uint32_t pos = 0; // index of the current request within the connection
    NodeId active = 0, serve = 0;
    std::int64_t issued = 0;
    std::array<Step, 12> plan{};
    std::uint8_t steps = 0, step = 0;
};

struct Event {
    std::int64_t time;
    std::uint64_t seq;
    std::uint32_t flow;
    bool issue; // true: issue the flow's next request; false: current step done
    bool operator>(const Event& o) const { return time != o.time ? time > o.time : seq > o.seq; }
};

class Engine {
public:
    Engine(const Trace& t, const Connections& c, const Config& cfg)
        : trace_(t), conns_(c), cfg_(cfg), costs_(cfg.costs), selector_(cfg.imbalance),
          wrr_(cfg.weights.empty() ? std::vector<std::uint32_t>(cfg.nodes, 1) : cfg.weights),
          loads_(cfg.nodes)
    {
        nodes_.reserve(cfg.nodes);
        for (std::uint32_t i = 0; i < cfg.nodes; ++i)
            nodes_.emplace_back(cfg.cache_bytes, cfg.max_cached_bytes);
    }

    Result run();

private:
    std::uint32_t conn_len(std::uint32_t c) const { return conns_.offsets[c + 1] - conns_.offsets[c]; }
    const Request& request_of(const Flow& f) const
    {
        return trace_.requests[conns_.requests[conns_.offsets[f.conn] + f.pos]];
    }
    std::int64_t trace_time(const Request& r) const
    {
        return static_cast<std::int64_t>(static_cast<double>(r.time_ms - t0_) * 1e6 / cfg_.time_scale);
    }
    void push(std::int64_t t, std::uint32_t flow, bool issue) { events_.push({t, seq_++, flow, issue}); }
    void add(Flow& f, std::uint32_t node, Res res, std::int64_t service)
    {
        f.plan[f.steps++] = Step{service, node, res};
    }
    Selection choose(ObjectId obj);
    bool cache_access(NodeId n, const Request& r);
    void plan_request(Flow& f, std::int64_t now);
    void start_step(std::uint32_t id, std::int64_t now);
    void step_done(std::uint32_t id, std::int64_t now);
    void request_done(std::uint32_t id, std::int64_t now);
    bool start_connection(std::uint32_t id, std::int64_t now);
    void load_change(const Step& s, int d);

    const Trace& trace_;
    const Connections& conns_;
    const Config& cfg_;
    const Costs& costs_;
    NodeSelector selector_;
    WeightedRoundRobin wrr_;
    std::vector<Node> nodes_;
    std::vector<NodeLoad> loads_;
    std::vector<NodeId> set_;
    std::vector<Flow> flows_;
    std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
    std::uint64_t seq_ = 0;
    std::uint32_t next_conn_ = 0;
    std::int64_t t0_ = 0;
    std::uint64_t completed_ = 0, remote_ = 0, backend_bytes_ = 0;
    std::int64_t warm_time_ = 0, last_done_ = 0;
    double response_sum_ns_ = 0;
};

Selection Engine::choose(ObjectId obj)
{
    // The simulated front-end knows every cache exactly (the paper's "optimal"
    // front-end), so the server set is read from the caches.
    set_.clear();
    for (NodeId n = 0; n < nodes_.size(); ++n)
        if (nodes_[n].cache.contains(obj))
            set_.push_back(n);
    return selector_.select(set_, [&](NodeId n) { return nodes_[n].cache.contains(obj); }, loads_);
}

// Returns whether node n serves the request from memory, updating its cache.
// Empty responses (304s) need no file data and leave the cache alone.
bool Engine::cache_access(NodeId n, const Request& r)
{
    if (r.bytes == 0)
        return true;
    const bool hit = nodes_[n].cache.access(r.object, trace_.object_size[r.object]);
    ++(hit ? nodes_[n].stats.hits : nodes_[n].stats.misses);
    return hit;
}

void Engine::plan_request(Flow& f, std::int64_t now)
{
    const Request& r = request_of(f);
    const bool first = f.pos == 0;
    const bool last = f.pos + 1 == conn_len(f.conn);
    f.issued = now;
    f.steps = f.step = 0;

    NodeId serve;
    if (first) {
        f.active = cfg_.policy == Policy::wrr ? wrr_.next() : choose(r.object).node;
        ++nodes_[f.active].stats.connections;
        serve = f.active;
    } else if (cfg_.policy == Policy::wrr || cfg_.policy == Policy::lard) {
        serve = f.active;
    } else {
        serve = choose(r.object).node;
    }
    const NodeId a = f.active;
    f.serve = serve;
    ++loads_[serve].requests;
    if (serve != a)
        ++loads_[a].requests;
    const std::int64_t setup = first ? costs_.conn_setup_ns : 0;
    const std::int64_t teardown = last ? costs_.conn_teardown_ns : 0;
    const std::uint64_t b = r.bytes;
    ++nodes_[serve].stats.served;

    add(f, a, in, costs_.wire_ns(costs_.request_bytes));
    if (serve == a) {
        if (!cache_access(a, r))
            add(f, a, disk, costs_.disk_ns(b));
        add(f, a, cpu, setup + costs_.transmit_ns(b) + teardown);
        add(f, a, out, costs_.wire_ns(b));
        return;
    }
    const NodeId p = serve;
    ++remote_;
    if (cfg_.policy == Policy::bef) {
        // A asks P for the object, P returns it, A relays it and caches it.
        const std::uint64_t req = costs_.request_bytes;
        add(f, a, cpu, setup + costs_.transmit_ns(req));
        add(f, a, out, costs_.wire_ns(req));
        add(f, p, in, costs_.wire_ns(req));
        if (!cache_access(p, r))
            add(f, p, disk, costs_.disk_ns(b));
        add(f, p, cpu, costs_.transmit_ns(req) + costs_.transmit_ns(b));
        add(f, p, out, costs_.wire_ns(b));
        add(f, a, in, costs_.wire_ns(b));
        add(f, a, cpu,
            static_cast<std::int64_t>(costs_.bef_charge * static_cast<double>(costs_.transmit_ns(b))) +
                teardown);
        add(f, a, out, costs_.wire_ns(b));
        if (b > 0)
            nodes_[a].cache.insert(r.object, trace_.object_size[r.object]);
        backend_bytes_ += req + b;
        return;
    }
    // DTCP: A hands the connection to P, P answers the client directly and hands the
    // connection back; A forwards the client's ACKs meanwhile.
    const std::uint64_t segs = (b + costs_.segment_bytes - 1) / costs_.segment_bytes;
    const std::uint64_t acks = (segs + 1) / 2 * costs_.ack_bytes;
    add(f, a, cpu, setup + costs_.transmit_ns(costs_.handoff_bytes));
    add(f, a, out, costs_.wire_ns(costs_.handoff_bytes));
    add(f, p, in, costs_.wire_ns(costs_.handoff_bytes + acks));
    if (!cache_access(p, r))
        add(f, p, disk, costs_.disk_ns(b));
    add(f, p, cpu,
        costs_.transmit_ns(costs_.handoff_bytes) + costs_.transmit_ns(acks) + costs_.transmit_ns(b) +
            costs_.transmit_ns(costs_.handback_bytes));
    add(f, p, out, costs_.wire_ns(b + costs_.handback_bytes));
    add(f, a, in, costs_.wire_ns(costs_.handback_bytes));
    add(f, a, cpu, costs_.transmit_ns(costs_.handback_bytes) + costs_.transmit_ns(acks) + teardown);
    backend_bytes_ += costs_.handoff_bytes + acks + costs_.handback_bytes;
}

void Engine::load_change(const Step& s, int d)
{
    auto& l = loads_[s.node];
    if (s.res == cpu || s.res == in)
        l.processing = static_cast<std::uint32_t>(static_cast<int>(l.processing) + d);
    else if (s.res == disk)
        l.disk = static_cast<std::uint32_t>(static_cast<int>(l.disk) + d);
}

void Engine::start_step(std::uint32_t id, std::int64_t now)
{
    Flow& f = flows_[id];
    const Step& s = f.plan[f.step];
    const std::int64_t done = nodes_[s.node].st[s.res].enqueue(now, s.service);
    load_change(s, +1);
    push(done, id, false);
}

void Engine::step_done(std::uint32_t id, std::int64_t now)
{
    Flow& f = flows_[id];
    const Step& s = f.plan[f.step];
    --nodes_[s.node].st[s.res].queued;
    load_change(s, -1);
    if (++f.step < f.steps)
        start_step(id, now);
    else
        request_done(id, now);
}

bool Engine::start_connection(std::uint32_t id, std::int64_t now)
{
    if (next_conn_ >= conns_.count())
        return false;
    Flow& f = flows_[id];
    f.conn = next_conn_++;
    f.pos = 0;
    plan_request(f, now);
    start_step(id, now);
    return true;
}

void Engine::request_done(std::uint32_t id, std::int64_t now)
{
    Flow& f = flows_[id];
    --loads_[f.serve].requests;
    if (f.serve != f.active)
        --loads_[f.active].requests;
    ++completed_;
    last_done_ = now;
    response_sum_ns_ += static_cast<double>(now - f.issued);
    if (completed_ == cfg_.warmup_requests)
        warm_time_ = now;
    if (f.pos + 1 < conn_len(f.conn)) {
        ++f.pos;
        if (cfg_.mode == ClientMode::closed) {
            plan_request(f, now);
            start_step(id, now);
        } else {
            push(std::max(now, trace_time(request_of(f))), id, true);
        }
        return;
    }
    if (cfg_.mode == ClientMode::closed)
        start_connection(id, now);
}

Result Engine::run()
{
    const std::size_t n_conns = conns_.count();
    if (!trace_.requests.empty())
        t0_ = trace_.requests.front().time_ms;
    if (cfg_.mode == ClientMode::closed) {
        const std::size_t clients = std::min<std::size_t>(
            static_cast<std::size_t>(cfg_.clients_per_node) * cfg_.nodes, n_conns);
        flows_.resize(clients);
        for (std::uint32_t i = 0; i < clients; ++i)
            start_connection(i, 0);
    } else {
        // One flow per connection, started at its first request's trace time.
        for (std::uint32_t c = 0; c < n_conns; ++c) {
            const Request& r = trace_.requests[conns_.requests[conns_.offsets[c]]];
            flows_.push_back(Flow{});
            flows_.back().conn = c;
            push(trace_time(r), c, true);
        }
    }
    while (!events_.empty()) {
        const Event e = events_.top();
        events_.pop();
        if (e.issue) {
            Flow& f = flows_[e.flow];
                    plan_request(f, e.time);
            start_step(e.flow, e.time);
        } else {
            step_done(e.flow, e.time);
        }
    }

    Result res;
    res.policy = cfg_.policy;
    res.nodes = cfg_.nodes;
    res.requests = completed_;
    res.makespan_s = static_cast<double>(last_done_) * 1e-9;
    const std::uint64_t counted = completed_ > cfg_.warmup_requests ? completed_ - cfg_.warmup_requests : 0;
    const double span_s = static_cast<double>(last_done_ - warm_time_) * 1e-9;
    res.throughput_rps = span_s > 0 ? static_cast<double>(counted) / span_s : 0;
    res.backend_bytes = backend_bytes_;
    res.remote = remote_;
    res.mean_response_ms = completed_ ? response_sum_ns_ / static_cast<double>(completed_) * 1e-6 : 0;
    std::uint64_t hits = 0, misses = 0;
    for (auto& n : nodes_) {
        const double span = static_cast<double>(std::max<std::int64_t>(last_done_, 1));
        n.stats.cpu_util = static_cast<double>(n.st[cpu].busy_ns) / span;
        n.stats.disk_util = static_cast<double>(n.st[disk].busy_ns) / span;
        n.stats.cpu_busy_s = static_cast<double>(n.st[cpu].busy_ns) * 1e-9;
        n.stats.disk_busy_s = static_cast<double>(n.st[disk].busy_ns) * 1e-9;
        n.stats.in_util = static_cast<double>(n.st[in].busy_ns) / (2 * span);
        n.stats.out_util = static_cast<double>(n.st[out].busy_ns) / (2 * span);
        hits += n.stats.hits;
        misses += n.stats.misses;
        res.node.push_back(n.stats);
    }
    res.hit_rate = hits + misses ? static_cast<double>(hits) / static_cast<double>(hits + misses) : 0;
    return res;
}

} // namespace

Result simulate(const Trace& trace, const Connections& conns, const Config& cfg)
{
    if (cfg.nodes == 0 || cfg.nodes > 1024)
        throw std::invalid_argument("nodes must be between 1 and 1024");
    if (!cfg.weights.empty() && cfg.weights.size() != cfg.nodes)
        throw std::invalid_argument("need one weighted round-robin weight per node");
    if (cfg.mode == ClientMode::closed && cfg.clients_per_node == 0)
        throw std::invalid_argument("closed-loop mode needs at least one client per node");
    if (cfg.time_scale <= 0)
        throw std::invalid_argument("time scale must be positive");
    if (cfg.costs.disk_bytes_per_s <= 0 || cfg.costs.adaptor_bits_per_s <= 0 || cfg.costs.segment_bytes == 0)
        throw std::invalid_argument("disk rate, adaptor rate and segment size must be positive");
    Engine e(trace, conns, cfg);
    return e.run();
}

} // namespace dtcp::sim
