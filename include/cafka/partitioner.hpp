// Choosing a record's partition, as Java's producer does: an explicit partition wins; a keyed record
// goes to (murmur2(key) & 0x7fffffff) % partitions, byte-identical to Java; a record without a key
// (or with partitioner.ignore.keys) goes to the topic's sticky partition, which moves on after
// batch.size bytes (KIP-794 uniform sticky), weighted towards less loaded partitions when adaptive
// partitioning is on. A user's partitioner replaces all of it.
//
// The keyed rule and a user's partitioner are functions of the record alone, applied where the
// record is. The sticky choice has state (the current partition per topic, a random source): the
// partitioner actor owns it (actors/partitioner_actor.hpp) and leases each choice for batch.size
// bytes, so that no record costs a message.
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

// KIP-794's choice of the next sticky partition of each topic.
class sticky_partitioner {
public:
  struct settings {
    bool adaptive = true;
    uint64_t seed = std::random_device{}();
  };

  explicit sticky_partitioner(settings s);

  // The topic's next sticky partition: never the previous one while another is available;
  // `available` lists the partitions that have a leader (empty: all count as available),
  // `queued_bytes` what each partition still has waiting (adaptive weighting; may be empty).
  int32_t next(const std::string& topic, int32_t partition_count, const std::vector<int32_t>& available = {},
               const std::vector<int64_t>& queued_bytes = {});

private:
  int32_t pick(int32_t partition_count, const std::vector<int32_t>& available,
               const std::vector<int64_t>& queued_bytes, int32_t previous);

  settings settings_;
  std::unordered_map<std::string, int32_t> previous_;
  std::mt19937_64 random_;
  std::vector<int32_t> candidates_; // scratch space
};

} // namespace cafka
