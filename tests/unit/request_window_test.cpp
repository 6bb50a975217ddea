#define CAF_SUITE actors.request_window
#include "caf/test/unit_test.hpp"

#include "actors/request_window.hpp"
#include "protocol/messages.hpp"

using namespace cafka;
using namespace std::chrono_literals;

namespace {

// The tests' clock: a fixed origin, moved by hand.
const request_window::clock::time_point t0 = request_window::clock::time_point{} + 1h;

} // namespace

CAF_TEST(requests go while fewer than the in flight limit await answers) {
  request_window w{2};
  CAF_CHECK(w.can_send(0, t0));
  CAF_CHECK(w.can_send(1, t0));
  CAF_CHECK(!w.can_send(2, t0));
  CAF_CHECK(!w.throttled(t0));
}

CAF_TEST(a throttle holds every request back until its time passed) {
  request_window w{5};
  w.throttle(t0, 500);
  CAF_CHECK(w.throttled(t0));
  CAF_CHECK(!w.can_send(0, t0));
  CAF_CHECK(!w.can_send(0, t0 + 499ms));
  CAF_CHECK(w.can_send(0, t0 + 500ms));
  CAF_CHECK(!w.can_send(5, t0 + 500ms)); // the in-flight limit still holds
  CAF_CHECK(w.throttled_until() == t0 + 500ms);
}

CAF_TEST(a shorter throttle does not end a longer one early) {
  request_window w{5};
  w.throttle(t0, 500);
  w.throttle(t0 + 100ms, 100);
  CAF_CHECK(!w.can_send(0, t0 + 300ms));
  w.throttle(t0 + 400ms, 300);
  CAF_CHECK(!w.can_send(0, t0 + 600ms));
  CAF_CHECK(w.can_send(0, t0 + 700ms));
}

CAF_TEST(no throttle time is no throttle) {
  request_window w{5};
  w.throttle(t0, 0);
  w.throttle(t0, -1);
  CAF_CHECK(w.can_send(0, t0));
}

// KIP-219: the versions from which a broker answers at once and leaves the waiting to the client.
CAF_TEST(clients throttle themselves from the versions kip 219 names) {
  CAF_CHECK_EQUAL(protocol::produce_request::client_throttles_from, 6);
  CAF_CHECK_EQUAL(protocol::metadata_request::client_throttles_from, 6);
  CAF_CHECK_EQUAL(protocol::init_producer_id_request::client_throttles_from, 1);
  CAF_CHECK_EQUAL(protocol::api_versions_request::client_throttles_from, 2);
  CAF_CHECK_EQUAL(protocol::find_coordinator_request::client_throttles_from, 2);
  CAF_CHECK_EQUAL(protocol::add_partitions_to_txn_request::client_throttles_from, 1);
  CAF_CHECK_EQUAL(protocol::add_offsets_to_txn_request::client_throttles_from, 1);
  CAF_CHECK_EQUAL(protocol::end_txn_request::client_throttles_from, 1);
  CAF_CHECK_EQUAL(protocol::txn_offset_commit_request::client_throttles_from, 1);
}
