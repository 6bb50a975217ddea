// One reply for many records (send_batch): a report per record, filled as each record resolves, in
// any order, and delivered once, when the last one came in. A record's report is written when it
// goes to its batch actor (topic, partition, timestamp, sizes), so the batch actor's answer only
// needs to say offset and error, a run of records at a time (record_run).
#pragma once

#include "cafka/records.hpp"

#include "caf/all.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace cafka {

class collected_reports {
public:
  collected_reports(caf::typed_response_promise<std::vector<delivery_report>> promise, size_t records)
    : promise_(std::move(promise)), reports_(records), remaining_(records) {}

  // The record at `index` went to its batch actor with these facts; its offset is still unknown.
  void describe(size_t index, record_metadata md) { reports_[index].metadata = std::move(md); }

  // The record at `index` resolved with this report.
  void fill(size_t index, delivery_report report) {
    reports_[index] = std::move(report);
    settled();
  }

  // The described record at `index` resolved: acknowledged at `offset` (-1: none) with the broker's
  // LogAppendTime (-1: it keeps its own timestamp), or failed with `err`.
  void fill(size_t index, int64_t offset, int64_t log_append_time, const caf::error& err) {
    auto& md = reports_[index].metadata;
    md.offset = offset;
    if (log_append_time >= 0)
      md.timestamp = log_append_time;
    reports_[index].error = err;
    settled();
  }

private:
  void settled() {
    if (--remaining_ == 0)
      promise_.deliver(std::move(reports_));
  }

  caf::typed_response_promise<std::vector<delivery_report>> promise_;
  std::vector<delivery_report> reports_;
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
