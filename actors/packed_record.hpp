// A record kept small while it waits in the producer actor (for its topic's metadata, a sticky
// lease or room in buffer.memory): key, value and headers in one exact allocation, and the topic
// left to the queue that holds it. At start-up a producer may hold every record a sender gave it
// before the first metadata came; a producer_record costs 136 bytes beside a separate allocation
// for each of its key, value and headers, this costs 32 beside one.
#pragma once

#include "cafka/records.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace cafka {

class packed_record {
public:
  packed_record() = default;

  // Takes the record's key, value and headers apart from its topic.
  static packed_record pack(producer_record&& r);

  // The record again, under `topic`.
  producer_record unpack(const std::string& topic) &&;

  int32_t partition() const { return partition_; }
  bool key_is_null() const { return key_is_null_; }

private:
  std::unique_ptr<uint8_t[]> bytes_; // key, value, headers: each length-prefixed (-1: null)
  int64_t timestamp_ = -1;
  uint32_t size_ = 0;
  int32_t partition_ = -1;
  bool key_is_null_ = true;
};

} // namespace cafka
