#define CAF_SUITE integration.throttle
#include "caf/test/unit_test.hpp"

#include "actors/connection_actor.hpp"
#include "cafka/error.hpp"
#include "integration/local_peer.hpp"
#include "integration/producer_session.hpp"
#include "protocol/reader.hpp"
#include "protocol/schema.hpp"

#include <mutex>
#include <unistd.h>

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono;

// KIP-219 on a real connection actor. librdkafka 2.0.2's mock cluster always answers
// throttle_time_ms 0, so the broker here is a fake that speaks just enough Kafka: ApiVersions, and
// Produce answered as a success with a throttle time.

namespace {

struct broker_log {
  std::mutex mutex;
  std::vector<steady_clock::time_point> produce_arrived;  // when each Produce request was read
  std::vector<steady_clock::time_point> produce_answered; // when each answer was written
};

bool read_exact(int fd, uint8_t* out, size_t n) {
  while (n > 0) {
    auto got = ::read(fd, out, n);
    if (got <= 0)
      return false;
    out += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

// Answers ApiVersions with Produce v3 up to `produce_max` (non-flexible, so at most v8), and every
// Produce request for t-0 with success and `throttle_ms`.
void fake_broker(int fd, int16_t produce_max, int32_t throttle_ms, std::shared_ptr<broker_log> log) {
  for (;;) {
    uint8_t size_bytes[4];
    if (!read_exact(fd, size_bytes, 4))
      return;
    protocol::reader size_reader{protocol::byte_span{size_bytes, 4}};
    protocol::byte_buffer request(static_cast<size_t>(size_reader.i32()));
    if (!read_exact(fd, request.data(), request.size()))
      return;
    auto arrived = steady_clock::now();
    protocol::reader header{request};
    auto api = header.i16();
    auto version = header.i16();
    auto correlation_id = header.i32();
    protocol::byte_buffer response;
    protocol::writer w{response};
    w.i32(0); // size, patched below
    w.i32(correlation_id);
    if (api == static_cast<int16_t>(protocol::api_key::api_versions)) {
      protocol::api_versions_response r;
      r.api_keys = {{0, 3, produce_max}, {3, 1, 8}, {18, 0, 2}, {22, 0, 1}};
      protocol::field_encoder enc{w, version, version >= protocol::api_versions_request::flexible_from};
      enc(r);
    } else if (api == static_cast<int16_t>(protocol::api_key::produce)) {
      protocol::produce_response r;
      r.responses.push_back({"t", {}, {{0, 0, 0, -1, -1, {}, std::nullopt, std::nullopt}}});
      r.throttle_time_ms = throttle_ms;
      protocol::field_encoder enc{w, version, false};
      enc(r);
    } else {
      return; // not spoken here
    }
    w.patch_i32(0, static_cast<int32_t>(response.size() - 4));
    bool is_produce = api == static_cast<int16_t>(protocol::api_key::produce);
    if (is_produce) {
      std::lock_guard<std::mutex> guard{log->mutex}; // before the answer, which the test waits for
      log->produce_arrived.push_back(arrived);
    }
    if (!write_all(fd, std::string(response.begin(), response.end())))
      return;
    if (is_produce) {
      std::lock_guard<std::mutex> guard{log->mutex};
      log->produce_answered.push_back(steady_clock::now());
    }
  }
}

struct fixture {
  producer_session session;
  caf::scoped_actor self{*session.sys};
  std::shared_ptr<network> net = std::make_shared<network>();
  std::shared_ptr<broker_log> log = std::make_shared<broker_log>();

  connection_actor spawn(uint16_t port) {
    connection_settings s;
    s.node_id = 1;
    s.host = "127.0.0.1";
    s.port = port;
    s.client_id = "throttle-test";
    s.acks = 1;
    return spawn_connection(*session.sys, s, net);
  }

  // Sends one Produce request for t-0 and waits for its answer.
  void produce(connection_actor conn) {
    produce_batch b{"t", {}, 0, std::make_shared<const protocol::byte_buffer>(100, uint8_t{0}), 1};
    self->request(conn, seconds{20}, produce_atom::value, b)
      .receive([](produce_result& r) { CAF_CHECK_EQUAL(r.error_code, 0); },
               [&](caf::error& err) { CAF_FAIL("produce failed: " << session.sys->render(err)); });
  }

  // How long after the first answer the second Produce request arrived.
  milliseconds gap() {
    std::lock_guard<std::mutex> guard{log->mutex};
    CAF_REQUIRE_EQUAL(log->produce_arrived.size(), 2u);
    return duration_cast<milliseconds>(log->produce_arrived[1] - log->produce_answered[0]);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(throttle_tests, fixture)

// Produce v6+: the broker answered at once and expects the client to wait.
CAF_TEST(a throttled produce answer holds the next request back for the throttle time) {
  local_peer broker([log = log](int fd) { fake_broker(fd, 8, 300, log); });
  auto conn = spawn(broker.port());
  produce(conn);
  produce(conn);
  auto waited = gap();
  CAF_MESSAGE("the second request came " << waited.count() << " ms after the throttled answer");
  CAF_CHECK_GREATER_OR_EQUAL(waited, milliseconds{300});
  caf::anon_send_exit(conn, caf::exit_reason::user_shutdown);
}

// Produce v5: the broker already held its answer back for the throttle time; waiting again would
// throttle twice.
CAF_TEST(an old version produce answer holds nothing back) {
  local_peer broker([log = log](int fd) { fake_broker(fd, 5, 5000, log); });
  auto conn = spawn(broker.port());
  produce(conn);
  produce(conn);
  auto waited = gap();
  CAF_MESSAGE("the second request came " << waited.count() << " ms after the answer");
  CAF_CHECK_LESS(waited, milliseconds{5000});
  caf::anon_send_exit(conn, caf::exit_reason::user_shutdown);
}

CAF_TEST_FIXTURE_SCOPE_END()
