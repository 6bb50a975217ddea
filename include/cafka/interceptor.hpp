// Producer interceptors, as in Java: on_send sees (and may change) each record before it is
// partitioned; on_acknowledgement sees each record's outcome. An interceptor that throws is
// reported on stderr and skipped; the record goes on. Batch actors on several scheduler threads
// call on_acknowledgement, so interceptors must be thread-safe.
#pragma once

#include "cafka/records.hpp"

#include <memory>
#include <vector>

namespace cafka {

class producer_interceptor {
public:
  virtual ~producer_interceptor() = default;
  virtual void on_send(producer_record&) {
  }
  // metadata carries topic and partition (offset -1) when error is set.
  virtual void on_acknowledgement(const record_metadata&, const caf::error&) {
  }
};

using interceptor_list = std::vector<std::shared_ptr<producer_interceptor>>;

void run_on_send(const interceptor_list& interceptors, producer_record& record);
void run_on_acknowledgement(const interceptor_list& interceptors, const record_metadata& metadata,
                            const caf::error& error);

} // namespace cafka
