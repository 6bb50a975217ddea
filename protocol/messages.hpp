// The requests a producer sends and the responses it reads, described field by field after Kafka's
// message schemas (clients/src/main/resources/common/message/*.json). Each request names its API
// key, the versions cafka speaks, the first flexible version, and its response type.
#pragma once

#include "protocol/bytes.hpp"
#include "protocol/writer.hpp"

#include <optional>
#include <string>
#include <vector>

namespace cafka::protocol {

enum class api_key : int16_t {
  produce = 0,
  metadata = 3,
  api_versions = 18,
  init_producer_id = 22,
};

// ---- ApiVersions --------------------------------------------------------------------------------

struct api_versions_response {
  struct api_version {
    int16_t api_key = 0;
    int16_t min_version = 0;
    int16_t max_version = 0;
  };
  int16_t error_code = 0;
  std::vector<api_version> api_keys;
  int32_t throttle_time_ms = 0;
};

struct api_versions_request {
  static constexpr auto key = api_key::api_versions;
  static constexpr int16_t min_version = 0, max_version = 4, flexible_from = 3;
  static constexpr int16_t client_throttles_from = 2; // see produce_request
  using response_type = api_versions_response;
  std::string client_software_name = "cafka";
  std::string client_software_version = "0.1.0";
};

template <class F>
void describe(F& f, api_versions_request& m) {
  f.since(3, m.client_software_name);
  f.since(3, m.client_software_version);
}
template <class F>
void describe(F& f, api_versions_response::api_version& m) {
  f(m.api_key);
  f(m.min_version);
  f(m.max_version);
}
template <class F>
void describe(F& f, api_versions_response& m) {
  f(m.error_code);
  f(m.api_keys);
  f.since(1, m.throttle_time_ms);
  // Tagged SupportedFeatures / FinalizedFeatures (v3+) are not needed by a producer: skipped.
}

// ---- Metadata -----------------------------------------------------------------------------------

struct metadata_response {
  struct broker {
    int32_t node_id = -1;
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack;
  };
  struct partition {
    int16_t error_code = 0;
    int32_t partition_index = 0;
    int32_t leader_id = -1;
    int32_t leader_epoch = -1;
    std::vector<int32_t> replica_nodes;
    std::vector<int32_t> isr_nodes;
    std::vector<int32_t> offline_replicas;
  };
  struct topic {
    int16_t error_code = 0;
    std::optional<std::string> name;
    uuid topic_id;
    bool is_internal = false;
    std::vector<partition> partitions;
    int32_t topic_authorized_operations = INT32_MIN;
  };
  int32_t throttle_time_ms = 0;
  std::vector<broker> brokers;
  std::optional<std::string> cluster_id;
  int32_t controller_id = -1;
  std::vector<topic> topics;
  int32_t cluster_authorized_operations = INT32_MIN;
  int16_t error_code = 0;
};

struct metadata_request {
  static constexpr auto key = api_key::metadata;
  // v0 cannot ask for "no topics"; librdkafka 2.0.2's mock cluster speaks v0-v2, a 4.x broker v0-v13.
  static constexpr int16_t min_version = 1, max_version = 13, flexible_from = 9;
  static constexpr int16_t client_throttles_from = 6; // see produce_request
  using response_type = metadata_response;
  struct topic {
    uuid topic_id;
    std::optional<std::string> name;
  };
  std::optional<std::vector<topic>> topics; // null: every topic
  bool allow_auto_topic_creation = false;
  bool include_cluster_authorized_operations = false;
  bool include_topic_authorized_operations = false;
};

template <class F>
void describe(F& f, metadata_request::topic& m) {
  f.since(10, m.topic_id);
  f(m.name);
}
template <class F>
void describe(F& f, metadata_request& m) {
  f(m.topics);
  f.since(4, m.allow_auto_topic_creation);
  f.between(8, 10, m.include_cluster_authorized_operations);
  f.since(8, m.include_topic_authorized_operations);
}
template <class F>
void describe(F& f, metadata_response::broker& m) {
  f(m.node_id);
  f(m.host);
  f(m.port);
  f.since(1, m.rack);
}
template <class F>
void describe(F& f, metadata_response::partition& m) {
  f(m.error_code);
  f(m.partition_index);
  f(m.leader_id);
  f.since(7, m.leader_epoch);
  f(m.replica_nodes);
  f(m.isr_nodes);
  f.since(5, m.offline_replicas);
}
template <class F>
void describe(F& f, metadata_response::topic& m) {
  f(m.error_code);
  f(m.name);
  f.since(10, m.topic_id);
  f.since(1, m.is_internal);
  f(m.partitions);
  f.since(8, m.topic_authorized_operations);
}
template <class F>
void describe(F& f, metadata_response& m) {
  f.since(3, m.throttle_time_ms);
  f(m.brokers);
  f.since(2, m.cluster_id);
  f.since(1, m.controller_id);
  f(m.topics);
  f.between(8, 10, m.cluster_authorized_operations);
  f.since(13, m.error_code);
}

// ---- Produce ------------------------------------------------------------------------------------

struct produce_response {
  struct leader_id_and_epoch {
    int32_t leader_id = -1;
    int32_t leader_epoch = -1;
  };
  struct batch_index_and_error_message {
    int32_t batch_index = 0;
    std::optional<std::string> batch_index_error_message;
  };
  struct partition {
    int32_t index = 0;
    int16_t error_code = 0;
    int64_t base_offset = -1;
    int64_t log_append_time_ms = -1;
    int64_t log_start_offset = -1;
    std::vector<batch_index_and_error_message> record_errors;
    std::optional<std::string> error_message;
    std::optional<leader_id_and_epoch> current_leader; // KIP-951 hint on NOT_LEADER errors
  };
  struct topic {
    std::string name; // v0-v12
    uuid topic_id;    // v13+ (KIP-516)
    std::vector<partition> partition_responses;
  };
  struct node_endpoint {
    int32_t node_id = -1;
    std::string host;
    int32_t port = 0;
    std::optional<std::string> rack;
  };
  std::vector<topic> responses;
  int32_t throttle_time_ms = 0;
  std::optional<std::vector<node_endpoint>> node_endpoints; // KIP-951: where new leaders live
};

struct produce_request {
  static constexpr auto key = api_key::produce;
  // A 4.x broker rejects v0-v2; v13 (Kafka 4.1+) names topics by id (KIP-516).
  static constexpr int16_t min_version = 3, max_version = 13, flexible_from = 9;
  static constexpr int16_t topic_id_min_version = 13;
  // Brokers refuse zstd-compressed batches below v7 (UNSUPPORTED_COMPRESSION_TYPE).
  static constexpr int16_t zstd_min_version = 7;
  // KIP-219: from this version a throttling broker answers at once with throttle_time_ms and the
  // client holds back that long; before it, the broker delays its answer itself.
  static constexpr int16_t client_throttles_from = 6;
  using response_type = produce_response;
  struct partition {
    int32_t index = 0;
    std::optional<byte_span> records; // one or more finished record batches, owned by the caller
  };
  struct topic {
    std::string name; // v3-v12
    uuid topic_id;    // v13+
    std::vector<partition> partition_data;
  };
  std::optional<std::string> transactional_id;
  int16_t acks = -1;
  int32_t timeout_ms = 30000;
  std::vector<topic> topic_data;
};

template <class F>
void describe(F& f, produce_request::partition& m) {
  f(m.index);
  f(m.records);
}
template <class F>
void describe(F& f, produce_request::topic& m) {
  f.between(0, 12, m.name);
  f.since(13, m.topic_id);
  f(m.partition_data);
}
template <class F>
void describe(F& f, produce_request& m) {
  f(m.transactional_id);
  f(m.acks);
  f(m.timeout_ms);
  f(m.topic_data);
}
template <class F>
void describe(F& f, produce_response::leader_id_and_epoch& m) {
  f(m.leader_id);
  f(m.leader_epoch);
}
template <class F>
void describe(F& f, produce_response::batch_index_and_error_message& m) {
  f(m.batch_index);
  f(m.batch_index_error_message);
}
template <class F>
void describe(F& f, produce_response::partition& m) {
  f(m.index);
  f(m.error_code);
  f(m.base_offset);
  f.since(2, m.log_append_time_ms);
  f.since(5, m.log_start_offset);
  f.since(8, m.record_errors);
  f.since(8, m.error_message);
  f.tagged(10, 0, m.current_leader);
}
template <class F>
void describe(F& f, produce_response::topic& m) {
  f.between(0, 12, m.name);
  f.since(13, m.topic_id);
  f(m.partition_responses);
}
template <class F>
void describe(F& f, produce_response::node_endpoint& m) {
  f(m.node_id);
  f(m.host);
  f(m.port);
  f(m.rack);
}
template <class F>
void describe(F& f, produce_response& m) {
  f(m.responses);
  f.since(1, m.throttle_time_ms);
  f.tagged(10, 0, m.node_endpoints);
}

// ---- InitProducerId -----------------------------------------------------------------------------

struct init_producer_id_response {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int64_t ongoing_txn_producer_id = -1;
  int16_t ongoing_txn_producer_epoch = -1;
};

struct init_producer_id_request {
  static constexpr auto key = api_key::init_producer_id;
  static constexpr int16_t min_version = 0, max_version = 5, flexible_from = 2;
  static constexpr int16_t client_throttles_from = 1; // see produce_request
  using response_type = init_producer_id_response;
  std::optional<std::string> transactional_id;
  int32_t transaction_timeout_ms = -1;
  // v3+: the current id and epoch, to bump the epoch instead of taking a new id (KIP-360).
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
};

template <class F>
void describe(F& f, init_producer_id_request& m) {
  f(m.transactional_id);
  f(m.transaction_timeout_ms);
  f.since(3, m.producer_id);
  f.since(3, m.producer_epoch);
}
template <class F>
void describe(F& f, init_producer_id_response& m) {
  f(m.throttle_time_ms);
  f(m.error_code);
  f(m.producer_id);
  f(m.producer_epoch);
  f.since(6, m.ongoing_txn_producer_id);
  f.since(6, m.ongoing_txn_producer_epoch);
}

} // namespace cafka::protocol
