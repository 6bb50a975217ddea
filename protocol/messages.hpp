// The requests a producer sends and the responses it reads, described field by field after Kafka's
// message schemas (clients/src/main/resources/common/message/*.json). Each request names its API
// key, the versions cafka speaks, the first flexible version, and its response type.
#pragma once

#include "protocol/bytes.hpp"
#include "protocol/writer.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cafka::protocol {

enum class api_key : int16_t {
  produce = 0,
  metadata = 3,
  find_coordinator = 10,
  sasl_handshake = 17,
  api_versions = 18,
  init_producer_id = 22,
  add_partitions_to_txn = 24,
  add_offsets_to_txn = 25,
  end_txn = 26,
  txn_offset_commit = 28,
  sasl_authenticate = 36,
};

// ---- ApiVersions --------------------------------------------------------------------------------

struct api_versions_response {
  struct api_version {
    int16_t api_key = 0;
    int16_t min_version = 0;
    int16_t max_version = 0;
  };
  // Features this broker could run at (v3+). Before v4 a broker leaves out features whose min is 0.
  struct supported_feature_key {
    std::string name;
    int16_t min_version = 0;
    int16_t max_version = 0;
  };
  // Feature levels the whole cluster runs at (v3+), e.g. transaction.version (KIP-890).
  struct finalized_feature_key {
    std::string name;
    int16_t max_version_level = 0;
    int16_t min_version_level = 0;
  };
  int16_t error_code = 0;
  std::vector<api_version> api_keys;
  int32_t throttle_time_ms = 0;
  // Tagged fields (v3+), absent when the broker did not send them.
  std::optional<std::vector<supported_feature_key>> supported_features; // tag 0
  std::optional<int64_t> finalized_features_epoch;                      // tag 1; absent means -1
  std::optional<std::vector<finalized_feature_key>> finalized_features; // tag 2
  std::optional<bool> zk_migration_ready;                               // tag 3 (KRaft controllers)
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
void describe(F& f, api_versions_response::supported_feature_key& m) {
  f(m.name);
  f(m.min_version);
  f(m.max_version);
}
template <class F>
void describe(F& f, api_versions_response::finalized_feature_key& m) {
  f(m.name);
  f(m.max_version_level);
  f(m.min_version_level);
}
template <class F>
void describe(F& f, api_versions_response& m) {
  f(m.error_code);
  f(m.api_keys);
  f.since(1, m.throttle_time_ms);
  f.tagged(3, 0, m.supported_features);
  f.tagged(3, 1, m.finalized_features_epoch);
  f.tagged(3, 2, m.finalized_features);
  f.tagged(3, 3, m.zk_migration_ready);
}

// The feature whose finalized level decides the transaction protocol: 2 or more means transactions
// v2 (KIP-890 part 2: Produce v12+ adds partitions implicitly, EndTxn v5 bumps the epoch, no
// AddOffsetsToTxn), below 2 or absent means v1. Java takes the level from the ApiVersions answer
// with the highest FinalizedFeaturesEpoch, at initTransactions and when a transaction ends, never
// in the middle of one.
inline constexpr std::string_view transaction_version_feature = "transaction.version";
inline constexpr int16_t transaction_version_2 = 2;

// The cluster-wide finalized max version level of a feature, or nothing when the broker did not
// finalize it (not listed, or the answer's FinalizedFeaturesEpoch is absent or negative: the schema
// makes the list valid only for an epoch >= 0). An absent feature is at level 0 (disabled).
inline std::optional<int16_t> finalized_feature(const api_versions_response& r, std::string_view name) {
  if (!r.finalized_features || r.finalized_features_epoch.value_or(-1) < 0)
    return std::nullopt;
  for (auto& feature : *r.finalized_features)
    if (feature.name == name)
      return feature.max_version_level;
  return std::nullopt;
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
  // Transactions v2 (KIP-890 part 2): from v12 a broker adds a transaction's partitions itself; a
  // transactions v1 producer stays below (Java's LAST_BEFORE_TRANSACTION_V2_VERSION = 11).
  static constexpr int16_t txn_v2_min_version = 12;
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
};

// An idempotent producer sends a null transactional id; a transactional producer sends its
// transactional.id and transaction.timeout.ms to the transaction coordinator (FindCoordinator key
// type 1), which fences older producers of that id by bumping the epoch.
//
// v5 at most, on purpose. v6 (KIP-939, two-phase commit) adds Enable2Pc and KeepPreparedTxn to the
// request and OngoingTxnProducerId/Epoch to the response. Kafka 4.4.0 still marks it
// latestVersionUnstable, so a broker lists v6 only with unstable.api.versions.enable, and v6 with
// both flags false is v5: cafka needs it only if it ever offers 2PC (initTransactions(keepPrepared)).
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
}

// ---- FindCoordinator ----------------------------------------------------------------------------

// Whose coordinator to find: a consumer group's (for TxnOffsetCommit) or a transactional id's.
enum class coordinator_type : int8_t {
  group = 0,
  transaction = 1,
  share = 2, // v6+ (KIP-932)
};

struct find_coordinator_response {
  struct coordinator {
    std::string key;
    int32_t node_id = -1;
    std::string host;
    int32_t port = 0;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
  };
  int32_t throttle_time_ms = 0;
  // v0-v3: one coordinator, for the request's key.
  int16_t error_code = 0;
  std::optional<std::string> error_message;
  int32_t node_id = -1;
  std::string host;
  int32_t port = 0;
  // v4+ (KIP-699): one entry per requested key.
  std::vector<coordinator> coordinators;
};

// v1+: v0 has no KeyType and finds group coordinators only. 4.x brokers still speak v0-v6 (KIP-896
// kept v0; KAFKA-18270 took back its deprecation). v4+ batches keys; v5 may answer
// TRANSACTION_ABORTABLE; v6 adds key type 2 (share groups), the same wire form as v4.
struct find_coordinator_request {
  static constexpr auto key = api_key::find_coordinator;
  static constexpr int16_t min_version = 1, max_version = 6, flexible_from = 3;
  static constexpr int16_t batched_min_version = 4;
  static constexpr int16_t client_throttles_from = 2; // KIP-219, as Java's FindCoordinatorResponse
  using response_type = find_coordinator_response;
  std::string coordinator_key;               // v0-v3
  int8_t key_type = 0;                       // v1+: a coordinator_type
  std::vector<std::string> coordinator_keys; // v4+
};

// A request for one key that encodes right at every version: v1-v3 send Key, v4+ CoordinatorKeys.
inline find_coordinator_request find_coordinator_for(coordinator_type type, std::string key) {
  find_coordinator_request req;
  req.key_type = static_cast<int8_t>(type);
  req.coordinator_keys.push_back(key);
  req.coordinator_key = std::move(key);
  return req;
}

// The answer as a list at every version, as Java's FindCoordinatorResponse.coordinators(): the v4+
// list when there is one, else the v0-v3 top-level fields as a single entry (with an empty key).
inline std::vector<find_coordinator_response::coordinator> coordinators_of(const find_coordinator_response& r) {
  if (!r.coordinators.empty())
    return r.coordinators;
  return {{{}, r.node_id, r.host, r.port, r.error_code, r.error_message}};
}

template <class F>
void describe(F& f, find_coordinator_request& m) {
  f.between(0, 3, m.coordinator_key);
  f.since(1, m.key_type);
  f.since(4, m.coordinator_keys);
}
template <class F>
void describe(F& f, find_coordinator_response::coordinator& m) {
  f(m.key);
  f(m.node_id);
  f(m.host);
  f(m.port);
  f(m.error_code);
  f(m.error_message);
}
template <class F>
void describe(F& f, find_coordinator_response& m) {
  f.since(1, m.throttle_time_ms);
  f.between(0, 3, m.error_code);
  f.between(1, 3, m.error_message);
  f.between(0, 3, m.node_id);
  f.between(0, 3, m.host);
  f.between(0, 3, m.port);
  f.since(4, m.coordinators);
}

// ---- AddPartitionsToTxn -------------------------------------------------------------------------

struct add_partitions_to_txn_response {
  struct partition_result {
    int32_t partition_index = 0;
    int16_t partition_error_code = 0;
  };
  struct topic_result {
    std::string name;
    std::vector<partition_result> results_by_partition;
  };
  int32_t throttle_time_ms = 0;
  std::vector<topic_result> results_by_topic; // ResultsByTopicV3AndBelow
};

// Transactions v1 only: under v2 (transaction.version >= 2) Produce v12+ adds partitions implicitly.
// v3 at most, on purpose: the schema keeps "versions 3 and below ... exclusively [for] clients and
// versions 4 and above ... [for] brokers" (v4+ batches several transactional ids with VerifyOnly,
// KIP-890 part 1), and Java's AddPartitionsToTxnRequest.Builder.forClient caps at
// LAST_CLIENT_VERSION = 3. A 4.x broker lists v0-v5; negotiation picks v3.
struct add_partitions_to_txn_request {
  static constexpr auto key = api_key::add_partitions_to_txn;
  static constexpr int16_t min_version = 0, max_version = 3, flexible_from = 3;
  static constexpr int16_t client_throttles_from = 1; // KIP-219
  using response_type = add_partitions_to_txn_response;
  struct topic {
    std::string name;
    std::vector<int32_t> partitions;
  };
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  std::vector<topic> topics;
};

template <class F>
void describe(F& f, add_partitions_to_txn_request::topic& m) {
  f(m.name);
  f(m.partitions);
}
template <class F>
void describe(F& f, add_partitions_to_txn_request& m) {
  f(m.transactional_id); // the V3AndBelow* fields: every version cafka speaks
  f(m.producer_id);
  f(m.producer_epoch);
  f(m.topics);
}
template <class F>
void describe(F& f, add_partitions_to_txn_response::partition_result& m) {
  f(m.partition_index);
  f(m.partition_error_code);
}
template <class F>
void describe(F& f, add_partitions_to_txn_response::topic_result& m) {
  f(m.name);
  f(m.results_by_partition);
}
template <class F>
void describe(F& f, add_partitions_to_txn_response& m) {
  f(m.throttle_time_ms);
  f(m.results_by_topic);
}

// ---- AddOffsetsToTxn ----------------------------------------------------------------------------

struct add_offsets_to_txn_response {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
};

// Adds the group's __consumer_offsets partition to the transaction, before TxnOffsetCommit. Only
// with transactions v1: under v2 Java sends TxnOffsetCommit v5+ straight away (it includes this).
// v2 may answer PRODUCER_FENCED, v3 is flexible, v4 may answer TRANSACTION_ABORTABLE.
struct add_offsets_to_txn_request {
  static constexpr auto key = api_key::add_offsets_to_txn;
  static constexpr int16_t min_version = 0, max_version = 4, flexible_from = 3;
  static constexpr int16_t client_throttles_from = 1; // KIP-219
  using response_type = add_offsets_to_txn_response;
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  std::string group_id;
};

template <class F>
void describe(F& f, add_offsets_to_txn_request& m) {
  f(m.transactional_id);
  f(m.producer_id);
  f(m.producer_epoch);
  f(m.group_id);
}
template <class F>
void describe(F& f, add_offsets_to_txn_response& m) {
  f(m.throttle_time_ms);
  f(m.error_code);
}

// ---- EndTxn -------------------------------------------------------------------------------------

struct end_txn_response {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  // v5+ (KIP-890 part 2): the coordinator bumps the epoch at every commit or abort and answers with
  // the identity to use next (a new producer id with epoch 0 when the epoch would overflow).
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
};

// v2 may answer PRODUCER_FENCED, v3 is flexible, v4 may answer TRANSACTION_ABORTABLE, v5 is
// transactions v2. Java sends v5 only when transaction.version >= 2 (EndTxnRequest.Builder caps
// at 4 otherwise): a transactions v1 producer must stay at txn_v2_min_version - 1.
struct end_txn_request {
  static constexpr auto key = api_key::end_txn;
  static constexpr int16_t min_version = 0, max_version = 5, flexible_from = 3;
  static constexpr int16_t txn_v2_min_version = 5;
  using response_type = end_txn_response;
  static constexpr int16_t client_throttles_from = 1; // KIP-219
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  bool committed = false; // true commits, false aborts
};

template <class F>
void describe(F& f, end_txn_request& m) {
  f(m.transactional_id);
  f(m.producer_id);
  f(m.producer_epoch);
  f(m.committed);
}
template <class F>
void describe(F& f, end_txn_response& m) {
  f(m.throttle_time_ms);
  f(m.error_code);
  f.since(5, m.producer_id);
  f.since(5, m.producer_epoch);
}

// ---- TxnOffsetCommit ----------------------------------------------------------------------------

struct txn_offset_commit_response {
  struct partition {
    int32_t partition_index = 0;
    int16_t error_code = 0;
  };
  struct topic {
    std::string name; // v0-v5
    uuid topic_id;    // v6+ (KIP-1319)
    std::vector<partition> partitions;
  };
  int32_t throttle_time_ms = 0;
  std::vector<topic> topics;
};

// Commits consumed offsets inside the transaction, sent to the group coordinator (FindCoordinator
// key type 0). v2 adds the committed leader epoch; v3 adds the consumer's group metadata (member id,
// generation, group instance id; ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID); v3 is
// flexible; v4 may answer TRANSACTION_ABORTABLE; v5 is transactions v2 (it also adds the offsets
// partition, no AddOffsetsToTxn first): with transactions v1 a client must stay at v4 or lower
// within a transaction. v6 (Kafka 4.4, KIP-1319) names topics by id only: Java sends it when every
// topic's id is known and transactions v2 is on, v5 at most otherwise.
struct txn_offset_commit_request {
  static constexpr auto key = api_key::txn_offset_commit;
  static constexpr int16_t min_version = 0, max_version = 6, flexible_from = 3;
  static constexpr int16_t group_metadata_min_version = 3;
  static constexpr int16_t txn_v2_min_version = 5;
  static constexpr int16_t topic_id_min_version = 6;
  using response_type = txn_offset_commit_response;
  static constexpr int16_t client_throttles_from = 1; // KIP-219
  struct partition {
    int32_t partition_index = 0;
    int64_t committed_offset = -1;
    int32_t committed_leader_epoch = -1;                           // v2+
    std::optional<std::string> committed_metadata = std::string{}; // nullable
  };
  struct topic {
    std::string name; // v0-v5
    uuid topic_id;    // v6+
    std::vector<partition> partitions;
  };
  std::string transactional_id;
  std::string group_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  // v3+: the consumer's group metadata (Java's ConsumerGroupMetadata).
  int32_t generation_id = -1; // GenerationIdOrMemberEpoch: a member epoch under KIP-848 groups
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<topic> topics;
};

template <class F>
void describe(F& f, txn_offset_commit_request::partition& m) {
  f(m.partition_index);
  f(m.committed_offset);
  f.since(2, m.committed_leader_epoch);
  f(m.committed_metadata);
}
template <class F>
void describe(F& f, txn_offset_commit_request::topic& m) {
  f.between(0, 5, m.name);
  f.since(6, m.topic_id);
  f(m.partitions);
}
template <class F>
void describe(F& f, txn_offset_commit_request& m) {
  f(m.transactional_id);
  f(m.group_id);
  f(m.producer_id);
  f(m.producer_epoch);
  f.since(3, m.generation_id);
  f.since(3, m.member_id);
  f.since(3, m.group_instance_id);
  f(m.topics);
}
template <class F>
void describe(F& f, txn_offset_commit_response::partition& m) {
  f(m.partition_index);
  f(m.error_code);
}
template <class F>
void describe(F& f, txn_offset_commit_response::topic& m) {
  f.between(0, 5, m.name);
  f.since(6, m.topic_id);
  f(m.partitions);
}
template <class F>
void describe(F& f, txn_offset_commit_response& m) {
  f(m.throttle_time_ms);
  f(m.topics);
}

// ---- SaslHandshake ------------------------------------------------------------------------------
// The first request on a SASL_PLAINTEXT or SASL_SSL connection (after ApiVersions): names the
// mechanism; the broker answers with the mechanisms it has enabled. v0 and v1 are the same bytes,
// but v0 means raw SASL tokens follow (no Kafka header); v1 means they travel in SaslAuthenticate
// requests (KIP-152), which is what cafka does. Never flexible (KAFKA-9577).

struct sasl_handshake_response {
  int16_t error_code = 0; // UNSUPPORTED_SASL_MECHANISM (33): `mechanisms` lists what the broker offers
  std::vector<std::string> mechanisms;
};

struct sasl_handshake_request {
  static constexpr auto key = api_key::sasl_handshake;
  static constexpr int16_t min_version = 0, max_version = 1, flexible_from = INT16_MAX;
  using response_type = sasl_handshake_response;
  std::string mechanism; // "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"
};

template <class F>
void describe(F& f, sasl_handshake_request& m) {
  f(m.mechanism);
}
template <class F>
void describe(F& f, sasl_handshake_response& m) {
  f(m.error_code);
  f(m.mechanisms);
}

// ---- SaslAuthenticate ---------------------------------------------------------------------------
// One step of the mechanism's exchange (protocol/sasl.hpp makes the bytes). v1 adds the session
// lifetime (KIP-368: re-authenticate before it ends), v2 is flexible.

struct sasl_authenticate_response {
  int16_t error_code = 0; // SASL_AUTHENTICATION_FAILED (58) with the broker's reason in error_message
  std::optional<std::string> error_message;
  byte_buffer auth_bytes;
  int64_t session_lifetime_ms = 0; // v1+; 0: the broker does not ask for re-authentication
};

struct sasl_authenticate_request {
  static constexpr auto key = api_key::sasl_authenticate;
  static constexpr int16_t min_version = 0, max_version = 2, flexible_from = 2;
  using response_type = sasl_authenticate_response;
  byte_buffer auth_bytes;
};

template <class F>
void describe(F& f, sasl_authenticate_request& m) {
  f(m.auth_bytes);
}
template <class F>
void describe(F& f, sasl_authenticate_response& m) {
  f(m.error_code);
  f(m.error_message);
  f(m.auth_bytes);
  f.since(1, m.session_lifetime_ms);
}

} // namespace cafka::protocol
