#include "cafka/interceptor.hpp"

#include <cstdio>
#include <exception>

namespace cafka {

namespace {

template <class F>
void guarded(const char* what, F f) {
  try {
    f();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cafka: interceptor %s threw, skipped: %s\n", what, e.what());
  } catch (...) {
    std::fprintf(stderr, "cafka: interceptor %s threw, skipped\n", what);
  }
}

} // namespace

void run_on_send(const interceptor_list& interceptors, producer_record& record) {
  for (auto& i : interceptors)
    guarded("on_send", [&] { i->on_send(record); });
}

void run_on_acknowledgement(const interceptor_list& interceptors, const record_metadata& metadata,
                            const caf::error& error) {
  for (auto& i : interceptors)
    guarded("on_acknowledgement", [&] { i->on_acknowledgement(metadata, error); });
}

} // namespace cafka
