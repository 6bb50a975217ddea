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
using ok_atom = caf::ok_atom;

// send: one record, replied to with its metadata once acknowledged (or an error);
// send_batch: many records in one message, one report each; flush: replies once every record sent
// before it resolved; close: flush (bounded), then stop; partitions: a topic's partitions; metrics.
using producer_actor = caf::typed_actor<
  caf::replies_to<send_atom, producer_record>::with<record_metadata>,
  caf::replies_to<send_batch_atom, std::vector<producer_record>>::with<std::vector<delivery_report>>,
  caf::replies_to<flush_atom>::with<ok_atom>,
  caf::replies_to<close_atom, caf::timespan>::with<ok_atom>,
  caf::replies_to<partitions_atom, std::string>::with<std::vector<partition_info>>,
  caf::replies_to<metrics_atom>::with<producer_metrics>>;

} // namespace cafka
