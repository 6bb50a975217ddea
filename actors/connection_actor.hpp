// Spawns the actor for one broker connection (see connection_actor in actors/interfaces.hpp).
#pragma once

#include "actors/interfaces.hpp"
#include "actors/network.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

namespace cafka {

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
  // Requests awaiting a response, summed over the producer's connections (its in-flight metric).
  std::shared_ptr<std::atomic<int64_t>> in_flight_gauge;
};

connection_actor spawn_connection(caf::actor_system& sys, connection_settings settings, std::shared_ptr<network> net);

} // namespace cafka
