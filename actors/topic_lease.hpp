// A topic's sticky partitions as the partitioner actor leased them to the producer actor: used in
// turn, batch.size bytes each (KIP-794); the next lease is asked for halfway through, so that a
// steady stream never waits for one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cafka {

struct topic_lease {
  std::vector<int32_t> partitions;
  size_t current = 0;
  int64_t bytes_each = 0;
  int64_t remaining = 0; // bytes before the next partition is due
  bool renewing = false; // a lease request is out

  // Whether the current partition may take more records (the last one, once full, may not).
  bool usable() const { return !partitions.empty() && (remaining > 0 || current + 1 < partitions.size()); }

  // Whether it is time to ask for the next lease.
  bool running_low() const { return current * 2 >= partitions.size(); }

  // The partition for a record of `size` bytes; call only when usable().
  int32_t take(int64_t size) {
    if (remaining <= 0 && current + 1 < partitions.size()) {
      // The current partition had its batch.size bytes: the next one takes over.
      ++current;
      remaining = bytes_each;
    }
    remaining -= size;
    return partitions[current];
  }

  // Appends a new lease's partitions after the ones not used up yet.
  void extend(std::vector<int32_t> more, int64_t bytes) {
    partitions.erase(partitions.begin(), partitions.begin() + static_cast<std::ptrdiff_t>(current));
    current = 0;
    bytes_each = bytes;
    if (partitions.empty() || remaining <= 0) {
      if (!partitions.empty())
        partitions.erase(partitions.begin());
      remaining = bytes;
    }
    partitions.insert(partitions.end(), more.begin(), more.end());
  }
};

} // namespace cafka
