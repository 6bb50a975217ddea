// The smallest complete use of cafka from a CAF application:
//
//   cafka-example BOOTSTRAP TOPIC
//
// spawns a producer in the application's own actor system, sends records from an actor with
// request(...).then(...), handles an error reply (a record too large on purpose), flushes, closes.
#include "cafka/producer.hpp"

#include <iostream>

using namespace cafka;

namespace {

// An ordinary event-based actor of the application that produces through cafka.
caf::behavior app(caf::event_based_actor* self, producer_actor producer, std::string topic) {
  // 1. Typed records: the key and value serializers turn std::string / integers into bytes.
  for (int i = 0; i < 3; ++i) {
    auto record = make_record(topic, "user-" + std::to_string(i), "signed up", {{"source", nullable_bytes::of("example")}});
    self->request(producer, std::chrono::seconds{30}, send_atom::value, std::move(record))
      .then(
        [=](record_metadata& md) {
          std::cout << "acknowledged: " << md.topic << "-" << md.partition << "@" << md.offset << "\n";
        },
        [=](caf::error& err) { std::cout << "failed: " << self->system().render(err) << "\n"; });
  }
  // 2. An error reply: larger than max.request.size (1 MiB by default). The reply names the cause.
  auto huge = make_record(topic, std::string("big"), std::string(2 << 20, 'x'));
  self->request(producer, std::chrono::seconds{30}, send_atom::value, std::move(huge))
    .then([=](record_metadata&) { std::cout << "unexpected: the huge record went through\n"; },
          [=](caf::error& err) { std::cout << "refused as expected: " << self->system().render(err) << "\n"; });
  // 3. Flush: replies once every record sent before it resolved. Then close, bounded.
  self->request(producer, std::chrono::seconds{60}, flush_atom::value)
    .then([=](ok_atom) {
      std::cout << "flushed\n";
      self->request(producer, std::chrono::seconds{60}, close_atom::value, caf::timespan{std::chrono::seconds{10}})
        .then([=](ok_atom) {
          std::cout << "closed\n";
          self->quit();
        });
    });
  return {};
}

} // namespace

int main(int argc, char** argv) {
  const char* usage = "usage: cafka-example BOOTSTRAP TOPIC\n"
                      "Sends three records and one too large on purpose, flushes and closes.\n";
  if (argc == 2 && (std::string_view{argv[1]} == "-h" || std::string_view{argv[1]} == "--help")) {
    std::cout << usage;
    return 0;
  }
  if (argc != 3) {
    std::cerr << usage;
    return 2;
  }
  caf::actor_system_config cfg;
  register_types(cfg);       // message types and error names
  recommended_scheduler(cfg);
  caf::actor_system sys{cfg};
  auto producer = spawn_producer(sys, {{"bootstrap.servers", argv[1]}, {"linger.ms", "10"}});
  if (!producer) {           // a bad property fails here, naming it
    std::cerr << sys.render(producer.error()) << "\n";
    return 2;
  }
  sys.spawn(app, *producer, std::string{argv[2]});
  // The actor system's destructor waits for the app actor, which quits after close.
}
