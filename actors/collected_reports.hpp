// One reply for many records (send_batch, append_many): a report per record, filled as each record
// resolves, in any order, and delivered once, when the last one came in.
#pragma once

#include "cafka/records.hpp"

#include "caf/all.hpp"

#include <memory>
#include <vector>

namespace cafka {

class collected_reports {
public:
  collected_reports(caf::typed_response_promise<std::vector<delivery_report>> promise, size_t records)
    : promise_(std::move(promise)), reports_(records), remaining_(records) {}

  void fill(size_t index, delivery_report report) {
    reports_[index] = std::move(report);
    if (--remaining_ == 0)
      promise_.deliver(std::move(reports_));
  }

private:
  caf::typed_response_promise<std::vector<delivery_report>> promise_;
  std::vector<delivery_report> reports_;
  size_t remaining_;
};

} // namespace cafka
