#define CAF_SUITE integration.connection_exit
#include "caf/test/unit_test.hpp"

#include "actors/connection_actor.hpp"
#include "cafka/error.hpp"
#include "integration/local_peer.hpp"
#include "integration/producer_session.hpp"

#include <atomic>
#include <future>
#include <sys/socket.h>

using namespace cafka;
using namespace cafka::test;
using namespace std::chrono_literals;

// CAF 0.17 never answers a promise whose holder died: a connection actor that stops must answer
// every request it holds itself. These run real connection actors (Boost.Asio) against local peers
// that are no broker, so the requests stay held: nothing answers them but the actor's exit.

namespace {

// A peer that accepts, reads and never answers; `heard` is ready once the first bytes (the
// connection's ApiVersions request) arrived.
struct silent_peer {
  std::shared_ptr<std::promise<void>> first_bytes = std::make_shared<std::promise<void>>();
  std::future<void> heard = first_bytes->get_future();
  std::shared_ptr<std::atomic<bool>> told = std::make_shared<std::atomic<bool>>(false);
  local_peer peer{[bytes = first_bytes, told = told](int fd) {
    char c;
    if (::recv(fd, &c, 1, MSG_PEEK) > 0 && !told->exchange(true))
      bytes->set_value();
    drain(fd);
  }};
};

struct fixture {
  producer_session session;
  caf::scoped_actor self{*session.sys};
  std::shared_ptr<network> net = std::make_shared<network>();

  connection_actor spawn(uint16_t port, std::chrono::milliseconds reconnect_backoff = 50ms,
                         std::chrono::milliseconds request_timeout = 30s) {
    connection_settings s;
    s.request_timeout = request_timeout;
    s.node_id = 7;
    s.host = "127.0.0.1";
    s.port = port;
    s.client_id = "connection-exit-test";
    s.reconnect_backoff = reconnect_backoff;
    s.reconnect_backoff_max = reconnect_backoff;
    return spawn_connection(*session.sys, s, net);
  }

  static produce_batch batch() {
    return produce_batch{"t", {}, 0, std::make_shared<const protocol::byte_buffer>(100, uint8_t{0}), 1};
  }

  // The error a request's answer carries ("no answer" when none came within 10 s).
  template <class Answer, class Handle>
  caf::error answer_of(Handle& h) {
    caf::error out = make_error(errc::request_timeout, "no answer");
    h.receive([&](Answer&) { out = caf::error{}; }, [&](caf::error& err) { out = std::move(err); });
    return out;
  }

  std::string text(const caf::error& err) {
    return session.sys->render(err);
  }
};

bool is_network_error(const caf::error& err) {
  return err.category() == error_category && err.code() == static_cast<uint8_t>(errc::network_error);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(connection_exit_tests, fixture)

// exit_reason::kill skips any exit handler: what the actor held is answered as its state goes.
CAF_TEST(a killed connection answers the requests it holds) {
  silent_peer quiet;
  auto conn = spawn(quiet.peer.port());
  auto metadata = self->request(conn, 10s, protocol::metadata_request{});
  auto produce = self->request(conn, 10s, produce_atom::value, batch());
  CAF_REQUIRE(quiet.heard.wait_for(10s) == std::future_status::ready); // ApiVersions in flight
  caf::anon_send_exit(conn, caf::exit_reason::kill);
  auto expected = "NETWORK_ERROR: connection to broker 7 (" + quiet.peer.address() + ") closed: its actor was killed";
  auto metadata_error = answer_of<protocol::metadata_response>(metadata);
  CAF_CHECK(is_network_error(metadata_error));
  CAF_CHECK_EQUAL(text(metadata_error), expected);
  auto produce_error = answer_of<produce_result>(produce);
  CAF_CHECK(is_network_error(produce_error));
  CAF_CHECK_EQUAL(text(produce_error), expected);
}

// The metadata actor links every connection to itself (real_connections); when the producer goes,
// so does the metadata actor, and its exit reaches the connection.
CAF_TEST(a connection whose parent exits answers the requests it holds) {
  silent_peer quiet;
  auto conn = spawn(quiet.peer.port());
  auto produce = self->request(conn, 10s, produce_atom::value, batch());
  CAF_REQUIRE(quiet.heard.wait_for(10s) == std::future_status::ready);
  auto parent = session.sys->spawn(
    [](caf::event_based_actor* p, connection_actor child) -> caf::behavior {
      p->link_to(child);
      return {[](ok_atom) {}};
    },
    conn);
  caf::anon_send_exit(parent, caf::exit_reason::user_shutdown);
  auto err = answer_of<produce_result>(produce);
  CAF_CHECK(is_network_error(err));
  CAF_CHECK_EQUAL(text(err), "NETWORK_ERROR: connection to broker 7 (" + quiet.peer.address()
                               + ") closed: the producer is shutting down");
}

// Nothing listens: the first request fails at once (connection refused), the next waits out the
// reconnect backoff; the metadata actor stops it as it does when the broker's address changed.
CAF_TEST(a connection stopped while backing off answers the request it holds) {
  auto port = free_port();
  auto conn = spawn(port, 60s);
  auto first = self->request(conn, 10s, protocol::metadata_request{});
  auto refused = answer_of<protocol::metadata_response>(first);
  CAF_CHECK(is_network_error(refused));
  CAF_CHECK_EQUAL(text(refused), "NETWORK_ERROR: broker 7 (127.0.0.1:" + std::to_string(port) + "): connection refused");
  auto waiting = self->request(conn, 10s, protocol::metadata_request{});
  self->send_exit(conn, make_error(errc::network_error, "its address changed")); // as the metadata actor does
  auto err = answer_of<protocol::metadata_response>(waiting);
  CAF_CHECK(is_network_error(err));
  CAF_CHECK_EQUAL(text(err), "NETWORK_ERROR: connection to broker 7 (127.0.0.1:" + std::to_string(port)
                               + ") closed: its address changed");
}

// A peer that takes the connection and never answers: the request in flight (the connection's own
// ApiVersions) runs out of request.timeout.ms, which ends the session and answers what it held;
// the next request's new session has a timer too.
CAF_TEST(a silent peer fails the requests after request timeout in each session) {
  silent_peer quiet;
  auto conn = spawn(quiet.peer.port(), 50ms, 300ms);
  auto expected = "REQUEST_TIMEOUT: broker 7 (" + quiet.peer.address()
                  + "): no response within request.timeout.ms (300 ms) (during ApiVersions)";
  for (int round = 1; round <= 2; ++round) {
    auto started = std::chrono::steady_clock::now();
    auto request = self->request(conn, 10s, protocol::metadata_request{});
    auto err = answer_of<protocol::metadata_response>(request);
    CAF_CHECK_EQUAL(text(err), expected);
    CAF_CHECK(std::chrono::steady_clock::now() - started >= 300ms);
  }
  CAF_CHECK_EQUAL(quiet.peer.accepted(), 2);
  self->send_exit(conn, caf::exit_reason::user_shutdown);
}

CAF_TEST_FIXTURE_SCOPE_END()
