// The producer's typed interface: what a user's actor (on this node or another) sends it.
#pragma once

#include "cafka/records.hpp"

#include "caf/all.hpp"

#include <string>
#include <vector>

namespace cafka {

// Atoms are at most 10 characters (CAF 0.17).
using send_atom = caf::atom_constant<caf::atom("send")>;
using send_batch_atom = caf::atom_constant<caf::atom("send_batch")>;
using flush_atom = caf::atom_constant<caf::atom("flush")>;
using close_atom = caf::atom_constant<caf::atom("close")>;
using partitions_atom = caf::atom_constant<caf::atom("partitions")>;
using metrics_atom = caf::atom_constant<caf::atom("metrics")>;
using attach_atom = caf::atom_constant<caf::atom("attach")>;
using detach_atom = caf::atom_constant<caf::atom("detach")>;
using push_atom = caf::atom_constant<caf::atom("push")>;
using credit_atom = caf::atom_constant<caf::atom("credit")>;
using delivered_atom = caf::atom_constant<caf::atom("delivered")>;
using init_txn_atom = caf::atom_constant<caf::atom("init_txn")>;
using begin_txn_atom = caf::atom_constant<caf::atom("begin_txn")>;
using commit_txn_atom = caf::atom_constant<caf::atom("commit_txn")>;
using abort_txn_atom = caf::atom_constant<caf::atom("abort_txn")>;
using send_txn_atom = caf::atom_constant<caf::atom("send_txn")>;
using send_offsets_atom = caf::atom_constant<caf::atom("send_offs")>;
using ok_atom = caf::ok_atom;

// A credit sender: the actor that pushes records to a producer it attached to. The producer grants
// it credit in bytes (a record costs its serialized size plus a batch header's share: what
// buffer.memory counts) as its buffer frees, and sends each record's outcome back by id.
using delivery_sink = caf::typed_actor<
  // `bytes` more may be pushed
  caf::reacts_to<credit_atom, int64_t>,
  // outcomes of pushed records, a message per batch or so, in no order across partitions
  caf::reacts_to<delivered_atom, std::vector<record_ack>>>;

// send: one record, replied to with its metadata once acknowledged (or an error); send with an id
// first: one record, one way: no reply, its outcome comes back to the sender as a record_ack with
// that id in a (delivered, acks) message (the sender handles delivery_sink's messages; no reply
// handler per record: the fast way to send records one at a time);
// send_batch: many records in one message, one report each; flush: replies once every record sent
// before it resolved; close: flush (bounded), then stop (later calls fail with PRODUCER_CLOSED);
// partitions: a topic's partitions; metrics.
//
// Credit-based back-pressure (no reply handler per record, memory bounded by what was granted):
// attach(sink) opens a credit session for the sink (the sender), which gets credit messages, and
// replies with the largest record cost the producer accepts at all (credit_cost below): a record
// costing more fails with RECORD_TOO_LARGE and is never charged, so push it without waiting for
// credit; up to that size, a sender with nothing outstanding is always granted enough in time.
// push(first_id, records) sends records within the credit, the i-th named first_id + i in its
// record_ack; detach (or the sink's end) closes the session. Works across CAF nodes.
//
// Transactions (a producer with a transactional.id; README's "Transactions"), as Java's
// KafkaProducer: init_transactions once, then begin_transaction, records, commit_transaction (which
// flushes first) or abort_transaction. A call the transaction's state does not allow fails with
// ILLEGAL_STATE; every error's KIP-1050 category is cafka::transaction_error_category(err). Records
// are taken only inside a transaction. send_transaction: records in a transaction of their own,
// from a ready producer; the reply comes after the commit with each record's metadata, or after the
// abort with the error that made it abort (TRANSACTION_ABORTED naming the failed record's error).
// send_offsets_to_transaction (consume-transform-produce): the consumer group's offsets commit with
// the transaction, inside it; commit and abort wait until it answered.
using producer_actor = caf::typed_actor<
  caf::replies_to<send_atom, producer_record>::with<record_metadata>,
  caf::reacts_to<send_atom, uint64_t, producer_record>,
  caf::replies_to<send_batch_atom, std::vector<producer_record>>::with<std::vector<delivery_report>>,
  caf::replies_to<flush_atom>::with<ok_atom>,
  caf::replies_to<close_atom, caf::timespan>::with<ok_atom>,
  caf::replies_to<partitions_atom, std::string>::with<std::vector<partition_info>>,
  caf::replies_to<metrics_atom>::with<producer_metrics>,
  caf::replies_to<attach_atom, delivery_sink>::with<int64_t>,
  caf::reacts_to<push_atom, uint64_t, std::vector<producer_record>>,
  caf::reacts_to<detach_atom>,
  caf::replies_to<init_txn_atom>::with<ok_atom>,
  caf::replies_to<begin_txn_atom>::with<ok_atom>,
  caf::replies_to<commit_txn_atom>::with<ok_atom>,
  caf::replies_to<abort_txn_atom>::with<ok_atom>,
  caf::replies_to<send_txn_atom, std::vector<producer_record>>::with<std::vector<record_metadata>>,
  caf::replies_to<send_offsets_atom, std::vector<offset_to_commit>, consumer_group_metadata>::with<ok_atom>>;

// What a record costs against credit (and buffer.memory): its size in a record batch plus a batch
// header's share.
int64_t credit_cost(const producer_record& record);

} // namespace cafka
