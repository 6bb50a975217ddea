// The producer's configuration parsed: Java's property names and Java 4.x's defaults, validated once
// at spawn so that a wrong name or value fails there, naming the property.
#pragma once

#include "cafka/config.hpp"
#include "protocol/compression.hpp"

#include <chrono>
#include <cstdint>
#include <expected>
#include <string>
#include <vector>

namespace cafka {

struct broker_address {
  std::string host;
  uint16_t port = 0;
};

struct producer_config {
  std::vector<broker_address> bootstrap_servers;
  std::string client_id;
  int16_t acks = -1; // "all"
  bool enable_idempotence = true;
  std::chrono::milliseconds linger{5};
  int32_t batch_size = 16384;
  int64_t buffer_memory = 33554432;
  // cafka's own: bytes of records a send may hold while they wait (at most max.block.ms) for their
  // topic's metadata, the producer id or room in buffer.memory; past it a send fails at once with
  // BUFFER_EXHAUSTED. Java blocks the sending thread instead; an actor must not. -1: buffer.memory.
  int64_t max_blocked_bytes = -1;
  std::chrono::milliseconds max_block{60000};
  std::chrono::milliseconds delivery_timeout{120000};
  std::chrono::milliseconds request_timeout{30000};
  int32_t retries = INT32_MAX;
  std::chrono::milliseconds retry_backoff{100};
  std::chrono::milliseconds retry_backoff_max{1000};
  int32_t max_in_flight = 5;
  int32_t max_request_size = 1048576;
  protocol::compression_codec compression = protocol::compression_codec::none;
  int compression_level = 0; // the level of the chosen codec
  int gzip_level = -1, lz4_level = 9, zstd_level = 3;
  std::chrono::milliseconds metadata_max_age{300000};
  std::chrono::milliseconds metadata_max_idle{300000};
  bool partitioner_ignore_keys = false;
  bool partitioner_adaptive = true;
  std::chrono::milliseconds partitioner_availability_timeout{0};
  std::chrono::milliseconds reconnect_backoff{50};
  std::chrono::milliseconds reconnect_backoff_max{1000};
  std::chrono::milliseconds socket_connection_setup_timeout{10000};
};

// The error says which property and why ("linger.ms: 'abc' is not an integer").
std::expected<producer_config, std::string> parse_config(const properties& props);

// "host:port[,host:port...]".
std::expected<std::vector<broker_address>, std::string> parse_bootstrap_servers(const std::string& list);

} // namespace cafka
