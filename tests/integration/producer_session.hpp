// An actor system with cafka's types registered, and the producer calls integration tests make;
// each fails the test when the producer answers with an error.
#pragma once

#include "cafka/producer.hpp"

#include "caf/test/unit_test.hpp"

#include <chrono>
#include <memory>

namespace cafka::test {

struct producer_session {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  producer_session() {
    register_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  producer_actor spawn(const properties& props) {
    auto p = spawn_producer(*sys, props);
    if (!p)
      CAF_FAIL("spawn failed: " << sys->render(p.error()));
    return *p;
  }

  producer_metrics metrics(producer_actor p) {
    producer_metrics out;
    caf::scoped_actor self{*sys};
    self->request(p, std::chrono::seconds{10}, metrics_atom::value)
      .receive([&](producer_metrics& m) { out = m; },
               [&](caf::error& err) { CAF_FAIL("metrics failed: " << sys->render(err)); });
    return out;
  }

  // Flushes for at most 10 s, then stops the producer.
  void close(producer_actor p) {
    caf::scoped_actor self{*sys};
    self->request(p, std::chrono::seconds{30}, close_atom::value, caf::timespan{std::chrono::seconds{10}})
      .receive([](ok_atom) {}, [&](caf::error& err) { CAF_FAIL("close failed: " << sys->render(err)); });
  }
};

} // namespace cafka::test
