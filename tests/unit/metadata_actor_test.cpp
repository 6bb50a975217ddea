#define CAF_SUITE actors.metadata
#include "caf/all.hpp"
#define FAIL(msg) CAF_FAIL(msg) // CAF 0.17.6's dsl.hpp uses an undefined FAIL
#include "caf/test/dsl.hpp"

#include "actors/metadata_actor.hpp"
#include "cafka/error.hpp"
#include "unit/fake_actors.hpp"

#include <optional>

using namespace cafka;
using namespace std::chrono_literals;
using namespace cafka::test;

namespace {

struct answers {
  std::vector<caf::expected<topic_metadata>> topics;
  std::vector<caf::expected<producer_identity>> identities;
  std::vector<std::string> order; // "topic" or "pid", as the answers arrived
  std::vector<caf::error> downs;  // exit reasons of the actors a watcher monitors
};

// Asks the metadata actor as the producer actor does, with max.block.ms as its own request timeout,
// or with another timeout (batch actors ask with none).
caf::behavior asker(caf::event_based_actor* self, metadata_actor meta, caf::duration timeout,
                    std::shared_ptr<answers> got) {
  return {
    [=](topic_atom, std::string& topic, bool stale) {
      self->request(meta, timeout, topic_atom::value, std::move(topic), stale)
        .then(
          [=](topic_metadata& md) {
            got->topics.emplace_back(std::move(md));
            got->order.push_back("topic");
          },
          [=](caf::error& err) {
            got->topics.emplace_back(std::move(err));
            got->order.push_back("topic");
          });
    },
    [=](producer_id_atom) {
      self->request(meta, timeout, producer_id_atom::value, producer_identity{})
        .then(
          [=](producer_identity& id) {
            got->identities.emplace_back(id);
            got->order.push_back("pid");
          },
          [=](caf::error& err) {
            got->identities.emplace_back(std::move(err));
            got->order.push_back("pid");
          });
    },
  };
}

// Records why the watched actor exited.
caf::behavior watcher(caf::event_based_actor* self, caf::actor watched, std::shared_ptr<answers> got) {
  self->monitor(watched);
  self->set_down_handler([=](caf::down_msg& msg) { got->downs.push_back(msg.reason); });
  return {[](ok_atom) {}};
}

struct fixture : test_coordinator_fixture<> {
  std::shared_ptr<fake_log> log = std::make_shared<fake_log>();
  std::shared_ptr<answers> got = std::make_shared<answers>();
  std::vector<caf::actor> spawned;
  metadata_actor meta;
  caf::actor client;

  fixture() {
    add_error_category(cfg);
  }

  ~fixture() override {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    for (auto& c : log->connections)
      caf::anon_send_exit(c, caf::exit_reason::kill);
    consume_messages();
  }

  // The metadata actor under test (bootstrapping to 127.0.0.1:9092, over fake connections) and a
  // client that asks it without a timeout of its own, as the producer actor does, unless told one.
  void spawn(properties props, std::optional<caf::duration> asker_timeout = std::nullopt) {
    props.emplace("bootstrap.servers", "127.0.0.1:9092");
    auto config = parse_config(props);
    CAF_REQUIRE(config.has_value());
    meta = spawn_metadata(sys, *config, fake_connections(log));
    spawned.push_back(caf::actor_cast<caf::actor>(meta));
    client = sys.spawn(asker, meta, asker_timeout.value_or(caf::duration{caf::infinite}), got);
    spawned.push_back(client);
    consume_messages();
  }

  // Lets time pass in 10 ms steps, delivering what each step brings.
  void pass(caf::timespan total) {
    for (caf::timespan done{0}; done < total; done += 10ms) {
      advance_time(10ms);
      consume_messages();
    }
  }

  static bool has_code(const caf::error& err, errc code) {
    return err.category() == error_category && err.code() == static_cast<uint8_t>(code);
  }

  static std::string text(const caf::error& err) {
    return err.context().match_elements<std::string>() ? err.context().get_as<std::string>(0) : to_string(err);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(metadata_actor_tests, fixture)

// The producer actor asks without a timeout of its own: the metadata actor answers at max.block.ms,
// with what the brokers said meanwhile.
CAF_TEST(a topic wait that runs out names why the broker failed) {
  log->broker_error = make_error(errc::network_error, "broker -1 (127.0.0.1:9092): connection refused");
  spawn({{"max.block.ms", "1000"}});
  self->send(client, topic_atom::value, std::string{"t"}, false);
  consume_messages();
  pass(990ms);
  CAF_CHECK_EQUAL(got->topics.size(), 0u);
  pass(20ms); // max.block.ms passed
  CAF_REQUIRE_EQUAL(got->topics.size(), 1u);
  CAF_REQUIRE(!got->topics[0]);
  auto& err = got->topics[0].error();
  CAF_CHECK(has_code(err, errc::metadata_timeout));
  CAF_CHECK_EQUAL(text(err), "Topic t not present in metadata after 1000 ms: broker -1 (127.0.0.1:9092): connection refused");
}

CAF_TEST(a producer id wait that runs out names why the broker failed) {
  log->broker_error = make_error(errc::network_error, "broker -1 (127.0.0.1:9092): connection refused");
  spawn({{"max.block.ms", "1000"}});
  self->send(client, producer_id_atom::value);
  consume_messages();
  pass(990ms);
  CAF_CHECK_EQUAL(got->identities.size(), 0u);
  pass(20ms);
  CAF_REQUIRE_EQUAL(got->identities.size(), 1u);
  CAF_REQUIRE(!got->identities[0]);
  auto& err = got->identities[0].error();
  CAF_CHECK(has_code(err, errc::metadata_timeout));
  CAF_CHECK_EQUAL(text(err), "no producer id (InitProducerId) after 1000 ms: broker -1 (127.0.0.1:9092): connection refused");
}

CAF_TEST(a producer id comes once the broker answers within max block ms) {
  log->broker_error = make_error(errc::network_error, "broker -1 (127.0.0.1:9092): connection refused");
  spawn({{"max.block.ms", "1000"}});
  self->send(client, producer_id_atom::value);
  consume_messages();
  pass(500ms);
  log->broker_error = caf::error{};
  pass(200ms); // the next retry.backoff.ms tick asks again
  CAF_REQUIRE_EQUAL(got->identities.size(), 1u);
  CAF_REQUIRE(got->identities[0].engaged());
  CAF_CHECK_EQUAL(got->identities[0]->id, 1);
}

// Brokers that answer but do not list the topic: the wait takes the whole max.block.ms, as in Java
// (only a cause the asker's own timeout cannot tell makes the answer come early).
CAF_TEST(a topic the brokers do not list waits the whole max block ms) {
  log->topics["t"] = 1;
  spawn({{"max.block.ms", "1000"}}, caf::duration{10s});
  self->send(client, topic_atom::value, std::string{"absent"}, false);
  consume_messages();
  pass(990ms);
  CAF_CHECK_EQUAL(got->topics.size(), 0u);
  pass(20ms);
  CAF_REQUIRE_EQUAL(got->topics.size(), 1u);
  CAF_REQUIRE(!got->topics[0]);
  CAF_CHECK_EQUAL(text(got->topics[0].error()),
                  "Topic absent not present in metadata after 1000 ms: UNKNOWN_TOPIC_OR_PARTITION");
}

// Once the broker answers, its earlier failure no longer explains anything: the topic is missing.
CAF_TEST(a broker that answers again is not blamed for a missing topic) {
  log->broker_error = make_error(errc::network_error, "broker -1 (127.0.0.1:9092): connection refused");
  spawn({{"max.block.ms", "1000"}}, caf::duration{10s});
  self->send(client, topic_atom::value, std::string{"absent"}, false);
  consume_messages();
  pass(300ms);
  log->broker_error = caf::error{};
  pass(710ms);
  CAF_REQUIRE_EQUAL(got->topics.size(), 1u);
  CAF_REQUIRE(!got->topics[0]);
  CAF_CHECK_EQUAL(text(got->topics[0].error()),
                  "Topic absent not present in metadata after 1000 ms: UNKNOWN_TOPIC_OR_PARTITION");
}

// A connection belongs to one address: when Metadata moves a broker, the connection to its old
// address stops (and answers what it held, see the connection actor), rather than linger forever.
CAF_TEST(a broker whose address changed has its old connection stopped) {
  log->topics["t"] = 1;
  spawn({});
  self->send(client, topic_atom::value, std::string{"t"}, false);
  consume_messages();
  CAF_REQUIRE_EQUAL(got->topics.size(), 1u);
  CAF_REQUIRE_EQUAL(log->connections.size(), 2u); // the bootstrap address and node 1 at 9092
  auto old = log->connections[1];
  spawned.push_back(sys.spawn(watcher, old, got));
  consume_messages();
  log->ports[1] = 9999;
  self->send(client, topic_atom::value, std::string{"t"}, true); // asked of node 1, which moved
  consume_messages();
  CAF_REQUIRE_EQUAL(got->topics.size(), 2u);
  CAF_REQUIRE_EQUAL(log->connections.size(), 3u);
  CAF_REQUIRE_EQUAL(got->downs.size(), 1u);
  CAF_CHECK(has_code(got->downs[0], errc::network_error));
  CAF_CHECK_EQUAL(text(got->downs[0]), "its address changed");
  CAF_REQUIRE(got->topics[1].engaged());
  CAF_CHECK(got->topics[1]->partitions.at(0).leader == caf::actor_cast<connection_actor>(log->connections[2]));
}

CAF_TEST_FIXTURE_SCOPE_END()
