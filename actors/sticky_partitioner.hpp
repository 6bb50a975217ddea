// KIP-794's uniform sticky choice for records without a key: a topic's sticky partition moves on after
// batch.size bytes, weighted towards less loaded partitions when adaptive partitioning is on.
//
// The choice has state (the current partition per topic, a random source): the partitioner actor
// owns it (actors/partitioner_actor.hpp) and leases each choice for batch.size bytes, so that no
// record costs a message. Keyed records and a user's partitioner (cafka/partitioner.hpp) need no
// state and are applied where the record is.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace cafka {

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
