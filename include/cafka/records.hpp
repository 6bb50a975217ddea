// What a user hands the producer and what comes back. Every type here can cross CAF nodes: each has
// an inspect() and is registered by cafka::register_types (cafka/producer.hpp).
#pragma once

#include "cafka/bytes.hpp"

#include "caf/all.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace cafka {

// Java's ProducerRecord: null key and empty key differ, a null value is a tombstone, headers keep
// their order and may repeat.
struct producer_record {
  std::string topic;
  int32_t partition = -1;  // -1: let the partitioner choose
  nullable_bytes key;
  nullable_bytes value;
  std::vector<record_header> headers;
  int64_t timestamp = -1;  // -1: the time of send, in ms since the epoch
};

// Java's RecordMetadata.
struct record_metadata {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;     // -1 with acks=0
  int64_t timestamp = -1;  // the record's, or the broker's LogAppendTime where the topic uses it
  int32_t serialized_key_size = -1;   // -1 for a null key
  int32_t serialized_value_size = -1; // -1 for a null value
};

// One record's outcome in a send_batch reply: metadata when error is empty.
struct delivery_report {
  record_metadata metadata;
  caf::error error;
};

// One record's outcome for a credit sender (cafka/producer_actor.hpp: push), named by the id the
// sender gave it: metadata when error is empty.
struct record_ack {
  uint64_t id = 0;
  record_metadata metadata;
  caf::error error;
};

struct partition_info {
  std::string topic;
  int32_t partition = -1;
  int32_t leader = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> in_sync_replicas;
};

// A consumed position committed with a transaction (send_offsets_to_transaction): the offset of
// the next record to read, as Java's OffsetAndMetadata.
struct offset_to_commit {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  int32_t leader_epoch = -1; // -1: unknown
  std::string metadata;
};

// The consumer group whose offsets a transaction commits (Java's ConsumerGroupMetadata): a group
// without members has generation -1 and no member id.
struct consumer_group_metadata {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::string group_instance_id; // empty: none (dynamic membership)
};

// Counters since the producer started.
struct producer_metrics {
  uint64_t records_sent = 0;     // acknowledged
  uint64_t records_failed = 0;
  uint64_t records_retried = 0;  // records in batches that were sent again
  uint64_t batches_sent = 0;
  uint64_t bytes_sent = 0;       // record batch bytes as sent (compressed)
  uint64_t uncompressed_bytes = 0;
  double compression_ratio = 1.0; // bytes_sent / uncompressed_bytes
  double request_latency_avg_ms = 0;
  double request_latency_max_ms = 0;
  int64_t buffer_bytes_in_use = 0; // records in batches (buffer.memory), plus credit granted and unused
  int64_t waiting_bytes = 0;       // records a send holds while they wait (max.blocked.bytes)
  int64_t in_flight_requests = 0;
  uint64_t epoch_bumps = 0;      // KIP-360: new epochs after the broker lost our sequence state
  int64_t active_topics = 0;     // topics with state in the producer (idle ones leave after metadata.max.idle.ms)
  int64_t active_partitions = 0; // partitions with a batch actor
  // Broker connections (Java's connection-creation-total, successful-authentication-total,
  // successful-reauthentication-total, failed-authentication-total):
  uint64_t connection_attempts = 0;     // connects begun, to bootstrap addresses and brokers
  uint64_t authentications = 0;         // SASL authentications that succeeded on new connections
  uint64_t reauthentications = 0;       // KIP-368: SASL sessions renewed on a live connection
  uint64_t authentication_failures = 0; // TLS or SASL set-ups that failed (the reason is in the errors)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, producer_record& x) {
  return f(caf::meta::type_name("cafka::producer_record"), x.topic, x.partition, x.key, x.value, x.headers,
           x.timestamp);
}
// Across nodes, a send_batch's records and its reply's reports (and a credit sender's pushes and
// acks) travel as one compact block per vector (actors/node_codec.cpp) instead of CAF's form, which
// costs a virtual call and a caf::error per field. Other inspectors (CAF's to_string) see the
// vectors element by element.
caf::error inspect(caf::serializer& f, std::vector<producer_record>& xs);
caf::error inspect(caf::deserializer& f, std::vector<producer_record>& xs);
caf::error inspect(caf::serializer& f, std::vector<delivery_report>& xs);
caf::error inspect(caf::deserializer& f, std::vector<delivery_report>& xs);
caf::error inspect(caf::serializer& f, std::vector<record_ack>& xs);
caf::error inspect(caf::deserializer& f, std::vector<record_ack>& xs);

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_metadata& x) {
  return f(caf::meta::type_name("cafka::record_metadata"), x.topic, x.partition, x.offset, x.timestamp,
           x.serialized_key_size, x.serialized_value_size);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, delivery_report& x) {
  return f(caf::meta::type_name("cafka::delivery_report"), x.metadata, x.error);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_ack& x) {
  return f(caf::meta::type_name("cafka::record_ack"), x.id, x.metadata, x.error);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_info& x) {
  return f(caf::meta::type_name("cafka::partition_info"), x.topic, x.partition, x.leader, x.replicas,
           x.in_sync_replicas);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, offset_to_commit& x) {
  return f(caf::meta::type_name("cafka::offset_to_commit"), x.topic, x.partition, x.offset, x.leader_epoch,
           x.metadata);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, consumer_group_metadata& x) {
  return f(caf::meta::type_name("cafka::consumer_group_metadata"), x.group_id, x.generation_id, x.member_id,
           x.group_instance_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, producer_metrics& x) {
  return f(caf::meta::type_name("cafka::producer_metrics"), x.records_sent, x.records_failed,
           x.records_retried, x.batches_sent, x.bytes_sent, x.uncompressed_bytes, x.compression_ratio,
           x.request_latency_avg_ms, x.request_latency_max_ms, x.buffer_bytes_in_use, x.waiting_bytes,
           x.in_flight_requests, x.epoch_bumps, x.active_topics, x.active_partitions, x.connection_attempts,
           x.authentications, x.reauthentications, x.authentication_failures);
}

} // namespace cafka
