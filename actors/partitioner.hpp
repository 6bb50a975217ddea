// Choosing a record's partition, as Java's producer does: an explicit partition wins; a keyed record
// goes to (murmur2(key) & 0x7fffffff) % partitions, byte-identical to Java; a record without a key
// (or with partitioner.ignore.keys) goes to the topic's sticky partition, which moves on after
// batch.size bytes (KIP-794 uniform sticky), weighted towards less loaded partitions when adaptive
// partitioning is on.
//
// It is a plain object owned by the producer actor: the policy and its state live in one place,
// and consulting it costs no message per record.
#pragma once

#include "protocol/bytes.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace cafka {

// Java's org.apache.kafka.common.utils.Utils.murmur2.
int32_t murmur2(protocol::byte_span data);

// The partition Java's default partitioner gives a keyed record.
inline int32_t partition_for_key(protocol::byte_span key, int32_t partition_count) {
  return (murmur2(key) & 0x7fffffff) % partition_count;
}

// A user's replacement: (topic, key or null, value or null, partition count) -> partition.
using custom_partitioner = std::function<int32_t(const std::string& topic, std::optional<protocol::byte_span> key,
                                                 std::optional<protocol::byte_span> value, int32_t partition_count)>;

class partitioner {
public:
  struct settings {
    int32_t batch_size = 16384;
    bool ignore_keys = false;
    bool adaptive = true;
    uint64_t seed = std::random_device{}();
  };

  explicit partitioner(settings s, custom_partitioner custom = {});

  // The partition for a record of the topic; `available` lists the partitions that have a leader
  // (empty: all count as available), `queued_bytes` what each partition still has waiting (for the
  // adaptive choice; may be empty).
  int32_t partition(const std::string& topic, std::optional<protocol::byte_span> key,
                    std::optional<protocol::byte_span> value, int32_t partition_count,
                    const std::vector<int32_t>& available = {}, const std::vector<int64_t>& queued_bytes = {});

  // Tells the sticky policy that `bytes` were appended to `partition` of `topic` for a record
  // without a key; after batch.size bytes the next sticky partition is chosen.
  void on_appended(const std::string& topic, int32_t partition, size_t bytes);

private:
  struct sticky_state {
    int32_t partition = -1;
    int32_t previous = -1;
    int64_t produced_bytes = 0;
  };
  int32_t next_sticky(int32_t partition_count, const std::vector<int32_t>& available,
                      const std::vector<int64_t>& queued_bytes, int32_t previous);

  settings settings_;
  custom_partitioner custom_;
  std::unordered_map<std::string, sticky_state> sticky_;
  std::mt19937_64 random_;
  std::vector<int32_t> candidates_; // scratch space for next_sticky

};

} // namespace cafka
