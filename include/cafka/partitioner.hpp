// Choosing a record's partition, as Java's producer does: an explicit partition wins; a keyed record
// goes to (murmur2(key) & 0x7fffffff) % partitions, byte-identical to Java; a record without a key
// (or with partitioner.ignore.keys) goes to the topic's sticky partition (KIP-794). A user's
// partitioner replaces all of it.
#pragma once

#include "cafka/bytes.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace cafka {

// Java's org.apache.kafka.common.utils.Utils.murmur2.
int32_t murmur2(byte_span data);

// The partition Java's default partitioner gives a keyed record.
inline int32_t partition_for_key(byte_span key, int32_t partition_count) {
  return (murmur2(key) & 0x7fffffff) % partition_count;
}

// A user's replacement: (topic, key or null, value or null, partition count) -> partition. A result
// outside [0, partition count) fails the record with INVALID_RECORD.
using custom_partitioner = std::function<int32_t(const std::string& topic, std::optional<byte_span> key,
                                                 std::optional<byte_span> value, int32_t partition_count)>;

} // namespace cafka
