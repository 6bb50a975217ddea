// One reply for many records (send_batch): a report per record, filled as each record resolves, in
// any order, and delivered once, when the last one came in. A record's facts are written when it
// goes to its batch actor (partition, timestamp, sizes), so the batch actor's answer only needs to
// say offset and error, a run of records at a time (record_run). Until the reply goes, a record
// costs a 40-byte slot naming its topic by index, not a delivery_report (72 bytes and a topic
// string each): records wait here for as long as they wait for their batch.
#pragma once

#include "cafka/records.hpp"

#include "caf/all.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cafka {

class collected_reports {
public:
  collected_reports(caf::typed_response_promise<std::vector<delivery_report>> promise, size_t records)
    : promise_(std::move(promise)), slots_(records), remaining_(records) {}

  // The record at `index` went to its batch actor with these facts; its offset is still unknown.
  void describe(size_t index, const std::string& topic, int32_t partition, int64_t timestamp, int32_t key_size,
                int32_t value_size) {
    auto& s = slots_[index];
    s.topic = topic_index(topic);
    s.partition = partition;
    s.timestamp = timestamp;
    s.key_size = key_size;
    s.value_size = value_size;
  }

  // The record at `index` resolved with this report.
  void fill(size_t index, delivery_report report) {
    auto& md = report.metadata;
    describe(index, md.topic, md.partition, md.timestamp, md.serialized_key_size, md.serialized_value_size);
    slots_[index].offset = md.offset;
    slots_[index].error = std::move(report.error);
    settled();
  }

  // The described record at `index` resolved: acknowledged at `offset` (-1: none) with the broker's
  // LogAppendTime (-1: it keeps its own timestamp), or failed with `err`.
  void fill(size_t index, int64_t offset, int64_t log_append_time, const caf::error& err) {
    auto& s = slots_[index];
    s.offset = offset;
    if (log_append_time >= 0)
      s.timestamp = log_append_time;
    s.error = err;
    settled();
  }

private:
  struct slot {
    int64_t offset = -1;
    int64_t timestamp = -1;
    int32_t partition = -1;
    int32_t key_size = -1;
    int32_t value_size = -1;
    uint32_t topic = 0; // in topics_
    caf::error error;
  };

  // A send_batch names one topic or a few: the last one is checked first.
  uint32_t topic_index(const std::string& topic) {
    if (!topics_.empty() && topics_[last_topic_] == topic)
      return last_topic_;
    for (uint32_t i = 0; i < topics_.size(); ++i)
      if (topics_[i] == topic)
        return last_topic_ = i;
    topics_.push_back(topic);
    return last_topic_ = static_cast<uint32_t>(topics_.size() - 1);
  }

  void settled() {
    if (--remaining_ != 0)
      return;
    std::vector<delivery_report> reports(slots_.size());
    for (size_t i = 0; i < slots_.size(); ++i) {
      auto& s = slots_[i];
      auto& md = reports[i].metadata;
      md = record_metadata{s.topic < topics_.size() ? topics_[s.topic] : std::string{}, s.partition, s.offset,
                           s.timestamp, s.key_size, s.value_size};
      reports[i].error = std::move(s.error);
    }
    std::vector<slot>{}.swap(slots_);
    promise_.deliver(std::move(reports));
  }

  caf::typed_response_promise<std::vector<delivery_report>> promise_;
  std::vector<slot> slots_;
  std::vector<std::string> topics_;
  uint32_t last_topic_ = 0;
  size_t remaining_;
};

// Where the reports of an append_many's records go, in the order of its records: runs of
// consecutive slots of one send_batch's reply (a send_batch's records for one partition mostly go
// together), so a record costs a few bytes here rather than a reply target of its own.
class report_slots {
public:
  void add(const std::shared_ptr<collected_reports>& reply, size_t index) {
    if (runs_.empty() || runs_.back().reply != reply || runs_.back().first + runs_.back().count != index)
      runs_.push_back({reply, index, 0});
    ++runs_.back().count;
  }

  // Calls f(record, reply, index) for every record: its position in the append_many, and its slot.
  template <class F>
  void for_each(F&& f) const {
    size_t record = 0;
    for (auto& r : runs_)
      for (size_t i = 0; i < r.count; ++i)
        f(record++, *r.reply, r.first + i);
  }

private:
  struct slot_run {
    std::shared_ptr<collected_reports> reply;
    size_t first = 0;
    size_t count = 0;
  };
  std::vector<slot_run> runs_;
};

} // namespace cafka
