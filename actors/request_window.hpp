// When a broker connection may put another request on the wire: while fewer than
// max.in.flight.requests.per.connection await their answers, and not while the broker throttles
// this client. KIP-219: a broker that throttles answers at once with throttle_time_ms and expects
// the client to send nothing more for that long (Java's NetworkClient and librdkafka hold back);
// below the versions that say so (Request::client_throttles_from) it delays the answer itself.
// A plain class, so that tests drive it with their own clock.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace cafka {

class request_window {
public:
  using clock = std::chrono::steady_clock;

  explicit request_window(size_t max_in_flight = 5) : max_in_flight_(max_in_flight) {}

  // Whether a request that expects an answer may go now, with `in_flight` others awaiting theirs.
  bool can_send(size_t in_flight, clock::time_point now) const {
    return in_flight < max_in_flight_ && !throttled(now);
  }

  // Whether the broker asked this client to hold back until later than now (also requests without
  // an answer, acks=0 Produce, wait).
  bool throttled(clock::time_point now) const { return now < throttled_until_; }

  // When the current throttle ends (in the past when there is none).
  clock::time_point throttled_until() const { return throttled_until_; }

  // A response of a version that leaves throttling to the client said throttle_time_ms. A shorter
  // throttle never ends a longer one early.
  void throttle(clock::time_point now, int32_t throttle_time_ms) {
    if (throttle_time_ms > 0)
      throttled_until_ = std::max(throttled_until_, now + std::chrono::milliseconds{throttle_time_ms});
  }

private:
  size_t max_in_flight_;
  clock::time_point throttled_until_{};
};

} // namespace cafka
