#include "dtcp/policy.hpp"

#include <stdexcept>

namespace dtcp {

LruCache::LruCache(std::uint64_t capacity_bytes, std::uint64_t max_object_bytes)
    : capacity_(capacity_bytes), max_object_(max_object_bytes)
{
}

void LruCache::unlink(std::uint32_t s)
{
    Slot& x = slots_[s];
    if (x.prev != nil)
        slots_[x.prev].next = x.next;
    else
        head_ = x.next;
    if (x.next != nil)
        slots_[x.next].prev = x.prev;
    else
        tail_ = x.prev;
    x.prev = x.next = nil;
}

void LruCache::push_front(std::uint32_t s)
{
    Slot& x = slots_[s];
    x.prev = nil;
    x.next = head_;
    if (head_ != nil)
        slots_[head_].prev = s;
    head_ = s;
    if (tail_ == nil)
        tail_ = s;
}

void LruCache::evict_one()
{
    const std::uint32_t s = tail_;
    unlink(s);
    used_ -= slots_[s].size;
    index_.erase(slots_[s].id);
    free_.push_back(s);
    ++evictions_;
}

bool LruCache::touch(ObjectId id)
{
    auto it = index_.find(id);
    if (it == index_.end())
        return false;
    if (head_ != it->second) {
        unlink(it->second);
        push_front(it->second);
    }
    return true;
}

bool LruCache::insert(ObjectId id, std::uint64_t size)
{
    if (size > max_object_ || size > capacity_)
        return false;
    auto it = index_.find(id);
    if (it != index_.end()) {
        const std::uint32_t s = it->second;
        unlink(s);
        used_ -= slots_[s].size;
        slots_[s].size = size;
        // Make room without evicting the object itself.
        while (used_ + size > capacity_ && tail_ != nil)
            evict_one();
        used_ += size;
        push_front(s);
        return true;
    }
    while (used_ + size > capacity_ && tail_ != nil)
        evict_one();
    std::uint32_t s;
    if (!free_.empty()) {
        s = free_.back();
        free_.pop_back();
        slots_[s] = Slot{id, size, nil, nil};
    } else {
        s = static_cast<std::uint32_t>(slots_.size());
        slots_.push_back(Slot{id, size, nil, nil});
    }
    index_.emplace(id, s);
    used_ += size;
    push_front(s);
    return true;
}

bool LruCache::access(ObjectId id, std::uint64_t size)
{
    if (touch(id))
        return true;
    insert(id, size);
    return false;
}

std::vector<ObjectId> LruCache::mru_order() const
{
    std::vector<ObjectId> out;
    out.reserve(index_.size());
    for (std::uint32_t s = head_; s != nil; s = slots_[s].next)
        out.push_back(slots_[s].id);
    return out;
}

WeightedRoundRobin::WeightedRoundRobin(std::vector<std::uint32_t> weights)
    : weights_(std::move(weights)), current_(weights_.size(), 0)
{
    for (auto w : weights_)
        total_ += w;
    if (total_ == 0)
        throw std::invalid_argument("weighted round-robin needs at least one positive weight");
}

NodeId WeightedRoundRobin::next()
{
    std::size_t best = 0;
    for (std::size_t i = 0; i < weights_.size(); ++i) {
        current_[i] += weights_[i];
        if (current_[i] > current_[best])
            best = i;
    }
    current_[best] -= total_;
    return static_cast<NodeId>(best);
}

} // namespace dtcp
