// Every internal actor's typed interface and the messages they exchange, in one place (the public
// producer_actor is in cafka/producer_actor.hpp).
//
//   user ──send──▶ producer (front) ──delegate──▶ batch actor (one per partition) ──produce──▶
//   connection actor (one per broker) ──TCP──▶ Kafka; the reply to `send` comes from the batch
//   actor once the broker acknowledged the batch. The metadata actor owns the cluster view and the
//   broker connections; the front and the batch actors ask it for topic leaders. The partitioner
//   actor leases the front its sticky partition choices.
#pragma once

#include "cafka/producer_actor.hpp"
#include "protocol/bytes.hpp"
#include "protocol/messages.hpp"

#include "caf/all.hpp"

#include <memory>
#include <string>
#include <vector>

namespace cafka {

// ---- Internal atoms (at most 10 characters); the public ones are in cafka/producer_actor.hpp ----

using append_atom = caf::atom_constant<caf::atom("append")>;
using append_many_atom = caf::atom_constant<caf::atom("append_n")>;
using append_to_atom = caf::atom_constant<caf::atom("append_to")>;
using batch_done_atom = caf::atom_constant<caf::atom("batch_done")>;
using linger_atom = caf::atom_constant<caf::atom("linger")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using dispatch_atom = caf::atom_constant<caf::atom("dispatch")>;
using topic_atom = caf::atom_constant<caf::atom("topic")>;
using producer_id_atom = caf::atom_constant<caf::atom("pid")>;
using bump_epoch_atom = caf::atom_constant<caf::atom("bump_epoch")>;
using produce_atom = caf::atom_constant<caf::atom("produce")>;
using refresh_atom = caf::atom_constant<caf::atom("refresh")>;
using leader_atom = caf::atom_constant<caf::atom("leader")>;
using sticky_atom = caf::atom_constant<caf::atom("sticky")>;
using net_up_atom = caf::atom_constant<caf::atom("net_up")>;
using net_frame_atom = caf::atom_constant<caf::atom("net_frame")>;
using net_down_atom = caf::atom_constant<caf::atom("net_down")>;
using net_sent_atom = caf::atom_constant<caf::atom("net_sent")>;
using net_junk_atom = caf::atom_constant<caf::atom("net_junk")>;
using net_secure_atom = caf::atom_constant<caf::atom("net_secure")>;
using reauth_atom = caf::atom_constant<caf::atom("reauth")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
using timeout_atom = caf::atom_constant<caf::atom("timeout")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using feature_atom = caf::atom_constant<caf::atom("feature")>;
using connection_atom = caf::atom_constant<caf::atom("conn")>;
using add_partition_atom = caf::atom_constant<caf::atom("add_part")>;
using record_failed_atom = caf::atom_constant<caf::atom("rec_failed")>;
using txn_status_atom = caf::atom_constant<caf::atom("txn_status")>;
using deadline_atom = caf::atom_constant<caf::atom("deadline")>;
using unsent_atom = caf::atom_constant<caf::atom("unsent")>;
using produce_version_atom = caf::atom_constant<caf::atom("prod_vers")>;

// ---- Broker connections ------------------------------------------------------------------------

// A finished record batch for one partition. The bytes are shared, not copied, between the batch
// actor (which keeps them for retries) and the connection that writes them.
struct produce_batch {
  std::string topic;
  protocol::uuid topic_id; // all zero when unknown (Metadata before v10): then Produce v12 at most
  int32_t partition = -1;
  std::shared_ptr<const protocol::byte_buffer> bytes;
  int32_t record_count = 0;
  // The highest Produce version the batch may go with: a transactions v1 producer's batches stay
  // below protocol::produce_request::txn_v2_min_version (KIP-890 part 2).
  int16_t max_version = protocol::produce_request::max_version;
};

// KIP-951: where a partition's leadership moved, as a NOT_LEADER_OR_FOLLOWER answer tells it.
struct leader_hint {
  int32_t node_id = -1; // -1: no hint
  int32_t leader_epoch = -1;
  std::string host;     // from the response's node endpoints; empty when the broker gave none
  int32_t port = -1;
};

// The broker's answer for one partition of a Produce request.
struct produce_result {
  int16_t error_code = 0;
  int64_t base_offset = -1;
  int64_t log_append_time = -1;
  std::string error_message;
  leader_hint new_leader;
};

// One actor per broker: connects (Boost.Asio; TLS for SSL and SASL_SSL), negotiates versions
// (ApiVersions), authenticates (SaslHandshake, SaslAuthenticate for SASL_PLAINTEXT and SASL_SSL, and
// again before the broker's session lifetime ends, KIP-368), pipelines up to
// max.in.flight.requests.per.connection requests (none while the broker throttles it, KIP-219),
// coalesces the batches waiting for it into one Produce request (with the producer's
// transactional.id), fails what is in flight as retriable when the connection drops, and answers
// everything it holds before it stops.
using connection_actor = caf::typed_actor<
  caf::replies_to<protocol::metadata_request>::with<protocol::metadata_response>,
  caf::replies_to<protocol::init_producer_id_request>::with<protocol::init_producer_id_response>,
  caf::replies_to<produce_atom, produce_batch>::with<produce_result>,
  // Transactions: the int16_t caps the version (a transactions v1 producer keeps EndTxn and
  // TxnOffsetCommit below their txn_v2_min_version).
  caf::replies_to<protocol::find_coordinator_request>::with<protocol::find_coordinator_response>,
  caf::replies_to<protocol::add_partitions_to_txn_request>::with<protocol::add_partitions_to_txn_response>,
  caf::replies_to<protocol::add_offsets_to_txn_request>::with<protocol::add_offsets_to_txn_response>,
  caf::replies_to<protocol::end_txn_request, int16_t>::with<protocol::end_txn_response>,
  caf::replies_to<protocol::txn_offset_commit_request, int16_t>::with<protocol::txn_offset_commit_response>,
  // a feature's finalized level in the broker's ApiVersions answer (0: not finalized), once connected
  caf::replies_to<feature_atom, std::string>::with<int16_t>,
  // from the network thread (generation tells a stale connection's events apart)
  caf::reacts_to<net_up_atom, uint64_t>,     // TCP connected
  caf::reacts_to<net_secure_atom, uint64_t>, // the TLS handshake completed
  caf::reacts_to<net_frame_atom, uint64_t, protocol::byte_buffer>,
  caf::reacts_to<net_down_atom, uint64_t, std::string, bool>, // why; true: a TLS check failed (not retriable)
  caf::reacts_to<net_sent_atom, uint64_t, uint64_t>,
  caf::reacts_to<net_junk_atom, uint64_t, std::string>, // bytes that are no frames; the session closed
  // to itself
  caf::reacts_to<connect_atom>,
  caf::reacts_to<resume_atom>,                // a broker's throttle time (KIP-219) passed
  caf::reacts_to<reauth_atom, uint64_t>,      // the SASL session nears its end (KIP-368)
  caf::reacts_to<timeout_atom>>;              // the oldest request in flight may be past request.timeout.ms

// ---- Metadata ----------------------------------------------------------------------------------

struct partition_leader {
  int32_t partition = -1;
  int32_t leader_id = -1; // -1: no leader right now
  int32_t leader_epoch = -1;
  connection_actor leader;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
};

struct topic_metadata {
  std::string topic;
  protocol::uuid topic_id; // KIP-516; all zero when the broker gave none
  std::vector<partition_leader> partitions; // indexed by partition id
};

struct producer_identity {
  int64_t id = -1;
  int16_t epoch = -1;

  bool operator==(const producer_identity&) const = default;
};

// Who hears about fresh topic views: the metadata actor pushes a topic's metadata whenever a
// refresh (asked for by anyone) changed one of its partitions' leaders.
using metadata_listener = caf::typed_actor<caf::reacts_to<topic_atom, topic_metadata>>;

// The cluster view: topic metadata on request (cached until metadata.max.age.ms, refreshed when a
// caller says it is stale, concurrent refreshes coalesced), broker connections, producer ids.
using metadata_actor = caf::typed_actor<
  // (topic, stale) -> metadata once the topic exists with leaders; stale forces a refresh
  caf::replies_to<topic_atom, std::string, bool>::with<topic_metadata>,
  // -1/-1 -> a new producer id (InitProducerId). Passing the current identity lets a broker bump a
  // transactional producer's epoch; an idempotent producer bumps its epoch itself (KIP-360).
  caf::replies_to<producer_id_atom, producer_identity>::with<producer_identity>,
  // (topic, partition, hint) -> the hinted leader's connection, now the partition's leader in the
  // cached view; an error when the hint names a broker nobody knows the address of
  caf::replies_to<leader_atom, std::string, int32_t, leader_hint>::with<connection_actor>,
  // a connection to any broker (e.g. for FindCoordinator)
  caf::replies_to<connection_atom>::with<connection_actor>,
  // (node id, host, port) -> that broker's connection, made when new (a coordinator FindCoordinator named)
  caf::replies_to<connection_atom, int32_t, std::string, int32_t>::with<connection_actor>,
  caf::reacts_to<refresh_atom>,
  caf::reacts_to<expire_atom>>; // to itself: a wait's max.block.ms ran out

// ---- Transactions ------------------------------------------------------------------------------

// Java TransactionManager's states (its names in error messages: UNINITIALIZED, INITIALIZING, READY,
// IN_TRANSACTION, COMMITTING_TRANSACTION, ABORTING_TRANSACTION, ABORTABLE_ERROR, FATAL_ERROR).
enum class transaction_state : uint8_t {
  uninitialized,
  initializing,
  ready,
  in_transaction,
  committing,
  aborting,
  abortable_error,
  fatal_error,
};

const char* name_of(transaction_state s);

// What the producer front needs to know of the transaction, pushed at every change: whether records
// are taken (in_transaction) or what they fail with, the identity to stamp batches with, and whether
// partitions join implicitly (transactions v2).
struct transaction_status {
  transaction_state state = transaction_state::uninitialized;
  producer_identity identity;
  bool v2 = false;
  uint64_t transaction = 0; // counts begin_transaction: a new transaction has no partitions yet
  caf::error error;         // abortable_error, fatal_error: what the state's calls and records get
};

// The transaction actor's view of the producer: a flush before EndTxn (commit), the failing of what
// is not sent yet before EndTxn (abort), send_transaction's records, and where status goes.
using transaction_host = caf::typed_actor<
  caf::replies_to<flush_atom>::with<ok_atom>,
  // abort_transaction: every record not sent yet fails with the error; ok once what was sent is answered
  caf::replies_to<unsent_atom, caf::error>::with<ok_atom>,
  caf::replies_to<send_batch_atom, std::vector<producer_record>>::with<std::vector<delivery_report>>,
  caf::reacts_to<txn_status_atom, transaction_status>>;

// One per transactional producer: the state machine of Java's TransactionManager, talking to the
// transaction coordinator (FindCoordinator, InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn,
// EndTxn) and to consumer groups' coordinators (TxnOffsetCommit).
using transaction_actor = caf::typed_actor<
  caf::replies_to<init_txn_atom>::with<ok_atom>,
  caf::replies_to<begin_txn_atom>::with<ok_atom>,
  caf::replies_to<commit_txn_atom>::with<ok_atom>,
  caf::replies_to<abort_txn_atom>::with<ok_atom>,
  caf::replies_to<send_txn_atom, std::vector<producer_record>>::with<std::vector<record_metadata>>,
  caf::replies_to<send_offsets_atom, std::vector<offset_to_commit>, consumer_group_metadata>::with<ok_atom>,
  // (topic, partition) -> ok once the partition is in the transaction: AddPartitionsToTxn under
  // transactions v1, at once under v2 (its first Produce adds it)
  caf::replies_to<add_partition_atom, std::string, int32_t>::with<ok_atom>,
  // a record of the transaction failed: it can only abort now (or the producer was fenced)
  caf::reacts_to<record_failed_atom, caf::error>,
  // to itself: try the coordinator exchange again after a backoff (stale numbers are ignored)
  caf::reacts_to<retry_atom, uint64_t>,
  // to itself: a waiting call's max.block.ms ran out (it fails; the operation goes on)
  caf::reacts_to<deadline_atom, uint64_t>>;

// ---- Partitioning ------------------------------------------------------------------------------

// The next sticky partitions of a topic for records without a key, leased to the producer actor:
// each takes `bytes_each` bytes of records (batch.size) before the next one is due, so choosing
// costs a message per lease, not per record.
struct sticky_lease {
  std::string topic;
  std::vector<int32_t> partitions;
  int64_t bytes_each = 0;
};

// Owns the sticky partitioning state of every topic (KIP-794 uniform sticky, adaptive weighting
// by queued bytes). Keyed records need no state: the producer actor applies Java's murmur2 rule
// (or the user's partitioner) itself.
using partitioner_actor = caf::typed_actor<
  // (topic, partition count, partitions with a leader, queued bytes per partition) -> the next lease
  caf::replies_to<sticky_atom, std::string, int32_t, std::vector<int32_t>, std::vector<int64_t>>::with<sticky_lease>>;

// ---- Batches -----------------------------------------------------------------------------------

// Reported to the producer actor when a batch resolved: what it frees and what it counts.
struct batch_outcome {
  int64_t released_bytes = 0; // buffer.memory accounting
  int32_t records = 0;
  int32_t failed = 0;
  int32_t retried = 0;
  int64_t sent_bytes = 0;
  int64_t uncompressed_bytes = 0;
  int64_t latency_us = 0; // request latency: the acknowledged attempt's send to its answer
  caf::error error;       // why records failed (the first of the batch): a transaction aborts on it
};

// The answer to an append_many: what became of its records, as runs of consecutive records with
// the same outcome rather than a report per record (the producer actor has each record's facts).
struct record_run {
  uint32_t first = 0;           // the run's first record, by its index in the append_many
  uint32_t count = 0;
  int64_t base_offset = -1;     // the first record's offset; the others follow it (-1: none)
  int64_t log_append_time = -1; // the broker's timestamp where the topic uses LogAppendTime
  caf::error error;             // why the records failed
};
struct append_outcome {
  std::vector<record_run> runs; // by `first`, covering every record once
};

// One actor per partition: appends records into the open batch, closes it at batch.size or after
// linger.ms, sends it to the leader's connection, retries retriable failures in order until
// delivery.timeout.ms, and resolves every record's promise exactly once.
using batch_actor = caf::typed_actor<
  caf::replies_to<append_atom, producer_record, int32_t>::with<record_metadata>,
  caf::replies_to<append_many_atom, std::vector<producer_record>, std::vector<int32_t>>::with<append_outcome>,
  // records whose outcomes go to a sender as record_acks (sink, their ids, records, accounted bytes)
  caf::reacts_to<append_to_atom, delivery_sink, std::vector<uint64_t>, std::vector<producer_record>,
                 std::vector<int32_t>>,
  caf::reacts_to<flush_atom>,
  // the transaction aborts: the records not sent yet fail with the error, what was sent is awaited
  caf::reacts_to<unsent_atom, caf::error>,
  // the partition's leader moved (a refresh another partition asked for showed it)
  caf::reacts_to<leader_atom, connection_actor>,
  // the producer's identity changed (KIP-360 epoch bump): unacknowledged batches are restamped
  caf::reacts_to<producer_id_atom, producer_identity>,
  // the transaction protocol changed between transactions (v1 <-> v2): the highest Produce version
  caf::reacts_to<produce_version_atom, int16_t>,
  // the producer is closing: fail whatever is not acknowledged yet, then stop
  caf::reacts_to<close_atom>,
  caf::reacts_to<linger_atom, uint64_t>,
  caf::reacts_to<retry_atom>,
  caf::reacts_to<expire_atom>>;

// The producer as its batch actors see it: the public interface plus their reports, and their
// requests for a new epoch when the broker lost or rejected the producer's sequence state (KIP-360).
using producer_internal_actor = producer_actor::extend<
  caf::reacts_to<batch_done_atom, std::string, int32_t, batch_outcome>,
  caf::reacts_to<topic_atom, topic_metadata>, // pushed by the metadata actor (metadata_listener)
  caf::reacts_to<bump_epoch_atom, producer_identity>,
  caf::reacts_to<producer_id_atom>, // ask for the first producer id again (the last try failed)
  caf::reacts_to<expire_atom>,  // a held record's max.block.ms may have run out
  caf::reacts_to<sweep_atom>,   // topics idle for metadata.max.idle.ms leave
  caf::reacts_to<dispatch_atom>, // send what the messages before this one produced
  caf::reacts_to<txn_status_atom, transaction_status>, // from the transaction actor
  caf::replies_to<unsent_atom, caf::error>::with<ok_atom>>; // from the transaction actor: it aborts

} // namespace cafka

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::produce_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::produce_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::leader_hint)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::sticky_lease)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::topic_metadata)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::producer_identity)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::batch_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::append_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::transaction_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::protocol::metadata_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::protocol::metadata_response)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::protocol::init_producer_id_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::protocol::init_producer_id_response)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::protocol::find_coordinator_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::protocol::find_coordinator_response)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::protocol::add_partitions_to_txn_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::protocol::add_partitions_to_txn_response)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::protocol::add_offsets_to_txn_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::protocol::add_offsets_to_txn_response)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::protocol::end_txn_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::protocol::end_txn_response)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::protocol::txn_offset_commit_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cafka::protocol::txn_offset_commit_response)
