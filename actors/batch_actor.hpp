// Spawns the batch actor of one partition (see batch_actor in actors/interfaces.hpp).
#pragma once

#include "actors/interfaces.hpp"
#include "cafka/interceptor.hpp"
#include "protocol/compression.hpp"

#include <chrono>
#include <memory>

namespace cafka {

struct batch_settings {
  std::string topic;
  protocol::uuid topic_id; // follows the topic's metadata: a re-created topic gets a new one
  int32_t partition = -1;
  int32_t batch_size = 16384;
  std::chrono::milliseconds linger{5};
  protocol::compression_codec codec = protocol::compression_codec::none;
  int compression_level = 0;
  std::chrono::milliseconds delivery_timeout{120000};
  std::chrono::milliseconds retry_backoff{100};
  std::chrono::milliseconds retry_backoff_max{1000};
  int32_t retries = INT32_MAX;
  int32_t max_in_flight = 5;
  bool idempotent = false;
  // A transactional producer's batches: marked transactional, epochs come from the transaction
  // actor only (never bumped here, KIP-360 is the coordinator's), and a transactions v1 producer's
  // go with Produce below v12.
  bool transactional = false;
  int16_t max_version = protocol::produce_request::max_version;
  producer_identity identity;
  connection_actor leader; // may be empty: asked from metadata then
  metadata_actor metadata;
  producer_internal_actor producer; // receives batch_done reports
  std::shared_ptr<const interceptor_list> interceptors;
};

batch_actor spawn_batch(caf::actor_system& sys, batch_settings settings);

} // namespace cafka
