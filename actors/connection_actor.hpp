// Spawns the actor for one broker connection (see connection_actor in actors/interfaces.hpp).
#pragma once

#include "actors/config.hpp"
#include "actors/interfaces.hpp"
#include "actors/network.hpp"
#include "protocol/sasl.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace cafka {

// What a producer's connections count together, for its metrics: atomics, since each connection
// actor adds to them on whichever worker runs it. Never a secret in here.
struct connection_counters {
  std::atomic<int64_t> in_flight{0};                  // requests awaiting a response
  std::atomic<uint64_t> connection_attempts{0};       // connects begun (bootstrap addresses too)
  std::atomic<uint64_t> authentications{0};           // SASL authentications that succeeded, first ones
  std::atomic<uint64_t> reauthentications{0};         // KIP-368 re-authentications that succeeded
  std::atomic<uint64_t> authentication_failures{0};   // TLS or SASL set-ups that failed
};

struct connection_settings {
  int32_t node_id = -1; // -1 for a bootstrap address
  std::string host;
  uint16_t port = 0;
  std::string client_id;
  int32_t max_in_flight = 5;
  int16_t acks = -1;
  int32_t max_request_size = 1048576;
  std::chrono::milliseconds request_timeout{30000};
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds reconnect_backoff{50};
  std::chrono::milliseconds reconnect_backoff_max{1000};
  std::string transactional_id; // Produce requests carry it; empty: not transactional
  // security.protocol: TLS settings for SSL and SASL_SSL, SASL settings for SASL_PLAINTEXT and
  // SASL_SSL (null otherwise). They hold secrets: never logged, never in an error.
  std::shared_ptr<const tls_config> tls;
  std::shared_ptr<const protocol::sasl_settings> sasl;
  // Summed over the producer's connections (its metrics); may be null.
  std::shared_ptr<connection_counters> counters;
};

connection_actor spawn_connection(caf::actor_system& sys, connection_settings settings, std::shared_ptr<network> net);

} // namespace cafka
