// Kafka's error codes as one table: code, name, whether a retry may succeed, and the broker's text.
#pragma once

#include <cstdint>
#include <string_view>

namespace cafka::protocol {

struct error_code_info {
  int16_t code;
  std::string_view name;
  bool retriable;
  std::string_view message;
};

// The entry for code; codes this table does not know come back as UNKNOWN_SERVER_ERROR's entry
// with the code kept, named "UNKNOWN_ERROR_CODE".
error_code_info error_info(int16_t code);

// Named codes the producer acts on (numbers checked against Kafka 4.4.0's Errors).
namespace errc {
constexpr int16_t unknown_server_error = -1;
constexpr int16_t none = 0;
constexpr int16_t corrupt_message = 2;
constexpr int16_t unknown_topic_or_partition = 3;
constexpr int16_t leader_not_available = 5;
constexpr int16_t not_leader_or_follower = 6;
constexpr int16_t request_timed_out = 7;
constexpr int16_t message_too_large = 10;
constexpr int16_t network_exception = 13;
constexpr int16_t not_enough_replicas = 19;
constexpr int16_t not_enough_replicas_after_append = 20;
constexpr int16_t invalid_required_acks = 21;
constexpr int16_t topic_authorization_failed = 29;
constexpr int16_t unsupported_version = 35;
constexpr int16_t out_of_order_sequence_number = 45;
constexpr int16_t duplicate_sequence_number = 46;
constexpr int16_t invalid_producer_epoch = 47;
constexpr int16_t unsupported_for_message_format = 43;
constexpr int16_t unknown_producer_id = 59;
constexpr int16_t producer_fenced = 90;
constexpr int16_t unknown_topic_id = 100;

// Authentication (SaslHandshake, SaslAuthenticate): Java's AuthenticationException subclasses.
constexpr int16_t unsupported_sasl_mechanism = 33;
constexpr int16_t illegal_sasl_state = 34;
constexpr int16_t sasl_authentication_failed = 58;

// Transactions, as Java 4.4's TransactionManager treats them.
// Retriable: find the coordinator again (not_coordinator, coordinator_not_available) or retry.
constexpr int16_t coordinator_load_in_progress = 14;
constexpr int16_t coordinator_not_available = 15;
constexpr int16_t not_coordinator = 16;
constexpr int16_t concurrent_transactions = 51; // the last EndTxn is still completing
// Fatal for the transactional producer (as are producer_fenced and invalid_producer_epoch).
constexpr int16_t cluster_authorization_failed = 31;
constexpr int16_t invalid_txn_state = 48;
constexpr int16_t invalid_transaction_timeout = 50; // above the broker's transaction.max.timeout.ms
constexpr int16_t transactional_id_authorization_failed = 53;
// Abortable: abort the transaction, then go on with the same transactional id. unknown_producer_id
// and invalid_producer_id_mapping need an epoch bump (InitProducerId v3+), else they are fatal.
constexpr int16_t group_authorization_failed = 30;
constexpr int16_t invalid_producer_id_mapping = 49;
constexpr int16_t transaction_abortable = 120; // KIP-890; Produce v11+, the txn APIs' KIP-890 versions
// TxnOffsetCommit v3+: the consumer's group metadata is stale; abortable (Java's
// CommitFailedException, FencedInstanceIdException for fenced_instance_id).
constexpr int16_t illegal_generation = 22;
constexpr int16_t unknown_member_id = 25;
constexpr int16_t group_id_not_found = 69; // v6+
constexpr int16_t fenced_instance_id = 82;
constexpr int16_t stale_member_epoch = 113; // v6+
// AddPartitionsToTxn: not an error of its own, the partition was skipped because another failed.
constexpr int16_t operation_not_attempted = 55;
} // namespace errc

} // namespace cafka::protocol
