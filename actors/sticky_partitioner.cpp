#include "actors/sticky_partitioner.hpp"

#include <algorithm>

namespace cafka {

sticky_partitioner::sticky_partitioner(settings s) : settings_(s), random_(s.seed) {
}

int32_t sticky_partitioner::next(const std::string& topic, int32_t partition_count,
                                 const std::vector<int32_t>& available, const std::vector<int64_t>& queued_bytes) {
  auto& previous = previous_.try_emplace(topic, -1).first->second;
  previous = pick(partition_count, available, queued_bytes, previous);
  return previous;
}

int32_t sticky_partitioner::pick(int32_t partition_count, const std::vector<int32_t>& available,
                                 const std::vector<int64_t>& queued_bytes, int32_t previous) {
  candidates_.clear();
  if (available.empty())
    for (int32_t p = 0; p < partition_count; ++p)
      candidates_.push_back(p);
  else
    candidates_ = available;
  if (candidates_.size() > 1 && previous >= 0)
    std::erase(candidates_, previous);
  if (candidates_.empty())
    return 0;
  if (settings_.adaptive && queued_bytes.size() == static_cast<size_t>(partition_count)) {
    // KIP-794: the less a partition has queued, the likelier it is chosen.
    int64_t max_queued = 0;
    for (auto p : candidates_)
      max_queued = std::max(max_queued, queued_bytes[static_cast<size_t>(p)]);
    std::vector<double> weights;
    weights.reserve(candidates_.size());
    for (auto p : candidates_)
      weights.push_back(static_cast<double>(max_queued - queued_bytes[static_cast<size_t>(p)] + 1));
    std::discrete_distribution<size_t> draw(weights.begin(), weights.end());
    return candidates_[draw(random_)];
  }
  std::uniform_int_distribution<size_t> draw(0, candidates_.size() - 1);
  return candidates_[draw(random_)];
}

} // namespace cafka
