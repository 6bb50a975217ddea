#include "actors/partitioner.hpp"

namespace cafka {

int32_t murmur2(protocol::byte_span data) {
  // Unsigned arithmetic gives Java's wrapping int multiplication and >>> shifts.
  const uint32_t m = 0x5bd1e995;
  const int r = 24;
  const uint32_t length = static_cast<uint32_t>(data.size());
  uint32_t h = 0x9747b28c ^ length;
  const size_t blocks = length / 4;
  for (size_t i = 0; i < blocks; ++i) {
    const uint8_t* p = data.data() + i * 4;
    uint32_t k = uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }
  const uint8_t* tail = data.data() + blocks * 4;
  switch (length % 4) {
    case 3: h ^= uint32_t{tail[2]} << 16; [[fallthrough]];
    case 2: h ^= uint32_t{tail[1]} << 8; [[fallthrough]];
    case 1:
      h ^= tail[0];
      h *= m;
  }
  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

partitioner::partitioner(settings s, custom_partitioner custom)
  : settings_(s), custom_(std::move(custom)), random_(s.seed) {
}

int32_t partitioner::partition(const std::string& topic, std::optional<protocol::byte_span> key,
                               std::optional<protocol::byte_span> value, int32_t partition_count,
                               const std::vector<int32_t>& available, const std::vector<int64_t>& queued_bytes) {
  if (custom_)
    return custom_(topic, key, value, partition_count);
  if (key && !settings_.ignore_keys)
    return partition_for_key(*key, partition_count);
  auto& state = sticky_[topic];
  if (state.partition < 0 || state.partition >= partition_count)
    state.partition = next_sticky(partition_count, available, queued_bytes, state.previous);
  return state.partition;
}

void partitioner::on_appended(const std::string& topic, int32_t partition, size_t bytes) {
  auto i = sticky_.find(topic);
  if (i == sticky_.end() || i->second.partition != partition)
    return;
  i->second.produced_bytes += static_cast<int64_t>(bytes);
  if (i->second.produced_bytes >= settings_.batch_size) {
    // The next record picks a new partition; the choice needs the current view, so defer it.
    i->second.previous = partition;
    i->second.partition = -1;
    i->second.produced_bytes = 0;
  }
}

int32_t partitioner::next_sticky(int32_t partition_count, const std::vector<int32_t>& available,
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
    std::discrete_distribution<size_t> pick(weights.begin(), weights.end());
    return candidates_[pick(random_)];
  }
  std::uniform_int_distribution<size_t> pick(0, candidates_.size() - 1);
  return candidates_[pick(random_)];
}

} // namespace cafka
