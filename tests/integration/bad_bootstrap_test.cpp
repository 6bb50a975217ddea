#define CAF_SUITE integration.bad_bootstrap
#include "caf/test/unit_test.hpp"

#include "cafka/error.hpp"
#include "cafka/producer.hpp"
#include "integration/local_peer.hpp"
#include "integration/producer_session.hpp"
#include "integration/send_all.hpp"

#include <chrono>
#include <random>

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono;

// A producer bootstrapped at an address where no Kafka broker answers fails each send after
// max.block.ms, and says which broker it tried and what went wrong there. No broker is needed:
// the peers are made here.

namespace {

constexpr milliseconds max_block{2000};

struct outcome {
  caf::error error;
  std::string text;
  milliseconds took{0};
};

// Sends one record through a producer bootstrapped at `address` (max.block.ms = 2000).
outcome send_one(const std::string& address, properties props = {}) {
  producer_session session;
  props.emplace("bootstrap.servers", address);
  props.emplace("max.block.ms", std::to_string(max_block.count()));
  auto producer = session.spawn(props);
  auto start = steady_clock::now();
  auto reports = send_all(*session.sys, producer, {make_record("t", std::string("k"), std::string("v"))},
                          send_mode::one_by_one, seconds{20});
  outcome out;
  out.took = duration_cast<milliseconds>(steady_clock::now() - start);
  CAF_REQUIRE_EQUAL(reports.size(), 1u);
  out.error = reports[0].error;
  out.text = session.sys->render(out.error);
  CAF_MESSAGE(address << " -> " << out.text << " after " << out.took.count() << " ms");
  session.close(producer);
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Failed within max.block.ms and a margin, not much before it, with a cafka error naming the broker.
void check_failed_in_time(const outcome& out, const std::string& address) {
  CAF_REQUIRE(out.error);
  CAF_CHECK_EQUAL(out.error.category(), error_category);
  CAF_CHECK_EQUAL(out.error.code(), static_cast<uint8_t>(errc::metadata_timeout));
  CAF_CHECK(contains(out.text, "broker -1 (" + address + ")"));
  CAF_CHECK_GREATER_OR_EQUAL(out.took, max_block - milliseconds{250});
  CAF_CHECK_LESS(out.took, max_block + milliseconds{1500});
}

} // namespace

CAF_TEST(a port where nothing listens fails sends with connection refused) {
  auto address = "127.0.0.1:" + std::to_string(free_port());
  auto out = send_one(address);
  check_failed_in_time(out, address);
  CAF_CHECK(contains(out.text, "broker -1 (" + address + "): connection refused"));
  // Without idempotence no producer id is awaited: the topic's metadata wait says the same.
  auto plain = send_one(address, {{"enable.idempotence", "false"}, {"acks", "1"}});
  check_failed_in_time(plain, address);
  CAF_CHECK(contains(plain.text, "Topic t not present in metadata after 2000 ms: broker -1 (" + address
                                   + "): connection refused"));
}

// An HTTP server's answer read as a Kafka frame: "HTTP" is a size of 1213486160 bytes.
CAF_TEST(a peer that answers garbage fails sends with not a kafka broker) {
  local_peer web_server([](int fd) {
    std::mt19937 random{std::random_device{}()};
    std::string reply = "HTTP/1.1 400 Bad Request\r\n\r\n";
    for (int i = 0; i < 512; ++i)
      reply += static_cast<char>(random());
    if (write_all(fd, reply))
      drain(fd);
  });
  auto out = send_one(web_server.address());
  check_failed_in_time(out, web_server.address());
  CAF_CHECK(contains(out.text, "broker -1 (" + web_server.address() + "): not a Kafka broker: a frame of 1213486160 bytes (\"HTTP\")"));
  CAF_CHECK_GREATER(web_server.accepted(), 0);
}

CAF_TEST(a host that does not resolve fails sends with host not found) {
  auto out = send_one("nonexistent.invalid:9092");
  check_failed_in_time(out, "nonexistent.invalid:9092");
  CAF_CHECK(contains(out.text, "not found") || contains(out.text, "resolve"));
  CAF_CHECK(contains(out.text, "nonexistent.invalid"));
}
