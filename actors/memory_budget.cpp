#include "actors/memory_budget.hpp"

#include <algorithm>

namespace cafka {

memory_budget::memory_budget(int64_t buffer_memory, int64_t max_blocked, int64_t grant_unit, int64_t largest_record)
  : buffer_memory_(buffer_memory), max_blocked_(max_blocked), grant_unit_(std::max<int64_t>(grant_unit, 1)),
    largest_record_(std::min(largest_record, buffer_memory)) {
}

bool memory_budget::has_room(int64_t bytes) const {
  // Java lets one record larger than what is free into an empty buffer (it is checked against
  // buffer.memory itself before); so does this.
  bool empty = in_batches_ == 0 && pushed_ == 0 && credit_ == 0;
  return empty || free_bytes() >= bytes;
}

void memory_budget::attach(const delivery_sink& sink) {
  sessions_.try_emplace(sink.address(), session{sink, 0});
}

void memory_budget::detach(const caf::actor_addr& sender) {
  auto i = sessions_.find(sender);
  if (i == sessions_.end())
    return;
  credit_ -= i->second.credit;
  sessions_.erase(i);
}

bool memory_budget::spend(const caf::actor_addr& sender, int64_t bytes) {
  auto i = sessions_.find(sender);
  if (i == sessions_.end() || i->second.credit < bytes)
    return false;
  i->second.credit -= bytes;
  credit_ -= bytes;
  pushed_ += bytes;
  return true;
}

std::vector<std::pair<delivery_sink, int64_t>> memory_budget::grants() {
  std::vector<std::pair<delivery_sink, int64_t>> out;
  if (sessions_.empty())
    return out;
  // An equal part of the buffer each, but never less than the largest record: a sender with nothing
  // outstanding can always push its next record, once the buffer has room.
  int64_t share = std::max(buffer_memory_ / static_cast<int64_t>(sessions_.size()), largest_record_);
  for (auto& [_, s] : sessions_) {
    int64_t free = free_bytes();
    int64_t grant = std::min(share - s.credit, free);
    // Not a message per freed record: a grant is worth sending when it is a batch's worth, tops the
    // sender up to its share, or the sender is running low (less than a batch's worth left).
    bool worth_it = grant >= grant_unit_ || grant == share - s.credit || s.credit < grant_unit_;
    if (grant <= 0 || !worth_it)
      continue;
    s.credit += grant;
    credit_ += grant;
    out.emplace_back(s.sink, grant);
  }
  return out;
}

std::vector<delivery_sink> memory_budget::senders() const {
  std::vector<delivery_sink> out;
  for (auto& [_, s] : sessions_)
    out.push_back(s.sink);
  return out;
}

} // namespace cafka
