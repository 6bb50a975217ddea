// A batch actor's answer to one append_many, collected as its records resolve (in any order across
// batches) and delivered once, when the last one came in. Consecutive records with the same outcome
// share a run, so an acknowledged batch costs one entry instead of a report per record.
#pragma once

#include "actors/interfaces.hpp"

#include "caf/all.hpp"

#include <algorithm>
#include <cstdint>

namespace cafka {

class collected_runs {
public:
  collected_runs(caf::typed_response_promise<append_outcome> promise, size_t records)
    : promise_(std::move(promise)), remaining_(records) {}

  // The record at `index` resolved: acknowledged at `offset` (-1: none), with the broker's
  // LogAppendTime (-1: not used), or failed with `err`.
  void fill(uint32_t index, int64_t offset, int64_t log_append_time, const caf::error& err) {
    auto& runs = outcome_.runs;
    if (runs.empty() || !continues(runs.back(), index, offset, log_append_time, err))
      runs.push_back(record_run{index, 0, offset, log_append_time, err});
    ++runs.back().count;
    if (--remaining_ == 0) {
      std::sort(runs.begin(), runs.end(), [](auto& a, auto& b) { return a.first < b.first; });
      promise_.deliver(std::move(outcome_));
    }
  }

private:
  // Whether the record extends the run: next by index, next by offset (or neither has one), the same
  // LogAppendTime, and the same failure (one error, as copies of it share their context) or none.
  static bool continues(const record_run& run, uint32_t index, int64_t offset, int64_t log_append_time,
                        const caf::error& err) {
    if (index != run.first + run.count || log_append_time != run.log_append_time)
      return false;
    bool offsets_follow = offset < 0 ? run.base_offset < 0 : offset == run.base_offset + run.count;
    return offsets_follow && same_failure(run.error, err);
  }

  static bool same_failure(const caf::error& a, const caf::error& b) {
    if (!a || !b)
      return !a && !b;
    return a.compare(b) == 0 && a.context().cvals() == b.context().cvals();
  }

  caf::typed_response_promise<append_outcome> promise_;
  append_outcome outcome_;
  size_t remaining_;
};

} // namespace cafka
