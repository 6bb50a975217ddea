// The delay a delayed_send needs to arrive once `left` has passed: whole milliseconds, never
// negative, one more so that a timer never fires just before its deadline (the cast truncates).
#pragma once

#include <algorithm>
#include <chrono>

namespace cafka {

template <class Rep, class Period>
std::chrono::milliseconds timer_delay(std::chrono::duration<Rep, Period> left) {
  using std::chrono::milliseconds;
  return std::max(std::chrono::duration_cast<milliseconds>(left), milliseconds{0}) + milliseconds{1};
}

} // namespace cafka
