// The records of one batch that wait for their outcome, kept small: a batch actor holds one entry per
// record from its append until the broker's answer, so at 100-byte records these entries are a large
// share of the producer's memory. A record keeps its own facts (32 bytes); who hears of its outcome is
// kept once for the consecutive records of one append message that share it.
#pragma once

#include "actors/collected_runs.hpp"
#include "cafka/producer_actor.hpp"
#include "cafka/records.hpp"

#include "caf/all.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace cafka {

// Who hears of a record's outcome: `single` (an append's promise), `group` by the record's index
// (an append_many's answer), or `sink` as a record_ack named by the record's id
// (append_to: credit pushes and one-way sends).
struct reply_target {
  caf::typed_response_promise<record_metadata> single;
  std::shared_ptr<collected_runs> group;
  delivery_sink sink;

  // Records of one append_many share its group, records of one sink share the sink; a promise is
  // one record's own.
  bool shareable_with(const reply_target& other) const {
    if (group)
      return group == other.group;
    return sink && !other.group && sink.address() == other.sink.address();
  }
};

struct pending_record {
  uint64_t slot = 0;      // the index in the group's append_many, or the id the sink knows the record by
  int64_t timestamp = -1;
  int32_t key_size = -1;
  int32_t value_size = -1;
  uint32_t target = 0;    // in the batch's targets
};

class pending_records {
public:
  // Appends a record whose outcome goes to `to`, which the record before it may share.
  void add(pending_record r, reply_target to) {
    if (targets_.empty() || !targets_.back().shareable_with(to))
      targets_.push_back(std::move(to));
    r.target = static_cast<uint32_t>(targets_.size() - 1);
    records_.push_back(r);
  }

  size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  size_t targets() const { return targets_.size(); }

  // Calls f(index, record, target) for every record, in the order they were added.
  template <class F>
  void for_each(F&& f) {
    for (size_t i = 0; i < records_.size(); ++i)
      f(i, records_[i], targets_[records_[i].target]);
  }

  void clear() {
    records_.clear();
    targets_.clear();
  }

private:
  std::vector<pending_record> records_;
  std::vector<reply_target> targets_;
};

} // namespace cafka
