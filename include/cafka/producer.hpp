// cafka's public API: the one header a user includes.
//
//   caf::actor_system_config cfg;
//   cafka::register_types(cfg);
//   caf::actor_system sys{cfg};
//   auto producer = cafka::spawn_producer(sys, {{"bootstrap.servers", "127.0.0.1:9092"}});
//   if (!producer) ...; // names the bad property
//   self->request(*producer, caf::infinite, cafka::send_atom::value, cafka::make_record("orders", "k", "v"))
//     .then([](cafka::record_metadata& md) { ... }, [](caf::error& err) { ... });
#pragma once

#include "cafka/config.hpp"
#include "cafka/error.hpp"
#include "cafka/interceptor.hpp"
#include "cafka/partitioner.hpp"
#include "cafka/producer_actor.hpp"
#include "cafka/records.hpp"
#include "cafka/serializer.hpp"

#include "caf/all.hpp"

#include <expected>
#include <functional>
#include <string>

namespace cafka {

// An OAUTHBEARER token (a JWT, RFC 6750's b64token) or why there is none. Asked for at every
// authentication and re-authentication (KIP-368), on whichever CAF worker runs the connection: it
// must be thread-safe and quick (hand out a cached token; renew it elsewhere). An error fails that
// authentication with the text (never put the token in it).
using oauthbearer_token_provider = std::function<std::expected<std::string, std::string>()>;

struct producer_options {
  interceptor_list interceptors;
  custom_partitioner partitioner; // empty: Java's default (murmur2 / uniform sticky)
  // With sasl.mechanism=OAUTHBEARER: where tokens come from, instead of sasl.oauthbearer.token.file
  // or an unsecured JWT in sasl.jaas.config (then sasl.jaas.config may be left out).
  oauthbearer_token_provider oauthbearer_token;
};

// Validates the properties and spawns the producer; a bad property is an INVALID_CONFIG error whose
// text starts with the property's name.
caf::expected<producer_actor> spawn_producer(caf::actor_system& sys, const properties& props,
                                             producer_options options = {});

// Scheduler settings for a producer process: CAF's work-stealing scheduler with two workers (CAF
// starts at least four otherwise, even on two cores) that do not poll-spin when idle, and try to
// steal work from each other every 100 ms when idle (CAF's 10 ms cost an idle producer 0.25 % of a
// core; new work wakes a worker either way). The
// environment variable CAFKA_SCHEDULER=sharing or =caf-default selects the alternatives measured in
// BENCHMARKS.md.
void recommended_scheduler(caf::actor_system_config& cfg);

// Registers cafka's message types (needed for remote use) and its error category (for rendering).
void register_types(caf::actor_system_config& cfg);

// A record from typed key and value, serialized with serializer<K> / serializer<V>.
template <class K, class V>
producer_record make_record(std::string topic, const K& key, const V& value,
                            std::vector<record_header> headers = {}, int32_t partition = -1,
                            int64_t timestamp = -1) {
  producer_record r;
  r.topic = std::move(topic);
  r.key = serializer<K>::serialize(key);
  r.value = serializer<V>::serialize(value);
  r.headers = std::move(headers);
  r.partition = partition;
  r.timestamp = timestamp;
  return r;
}

} // namespace cafka
