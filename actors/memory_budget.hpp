// The producer's memory bound: buffer.memory for records in batches and for the credit granted to
// credit senders (cafka/producer_actor.hpp: attach/push), and max.blocked.bytes for records a plain
// send holds while they wait for their topic's metadata, the producer id or room in the buffer.
//
//   in batches + granted credit + pushed records still waiting <= buffer.memory
//   waiting records of plain sends                             <= max.blocked.bytes
//
// Credit is memory set aside: a pushed record never waits for room, only (perhaps) for metadata.
// Plain sends are served first when memory frees (they hold a max.block.ms deadline); what is left
// tops the credit senders up, each towards an equal share of buffer.memory.
#pragma once

#include "cafka/producer_actor.hpp"

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace cafka {

class memory_budget {
public:
  // grant_unit: the smallest grant worth a message (batch.size), unless a sender has none left;
  // largest_record: what the largest record costs, which every sender's share covers.
  memory_budget(int64_t buffer_memory, int64_t max_blocked, int64_t grant_unit, int64_t largest_record);

  // ---- Records of plain sends ----
  // Whether the buffer has room for them now (a record alone always fits an empty buffer).
  bool has_room(int64_t bytes) const;
  // Whether max.blocked.bytes lets them wait.
  bool may_wait(int64_t bytes) const { return waiting_ + bytes <= max_blocked_; }
  void wait(int64_t bytes) { waiting_ += bytes; }
  void stop_waiting(int64_t bytes) { waiting_ -= bytes; }
  // They went to a batch actor.
  void enter_batches(int64_t bytes) { in_batches_ += bytes; }

  // ---- Either kind ----
  // A batch actor released them (acknowledged or failed).
  void release(int64_t bytes) { in_batches_ -= bytes; }

  // ---- Credit senders ----
  void attach(const delivery_sink& sink);
  bool attached(const caf::actor_addr& sender) const { return sessions_.count(sender) > 0; }
  // The sender's unused credit goes back to the buffer.
  void detach(const caf::actor_addr& sender);
  // A push of `bytes`: taken from the sender's credit; false, and nothing taken, beyond it.
  bool spend(const caf::actor_addr& sender, int64_t bytes);
  // Pushed records went to a batch actor, or failed before one.
  void pushed_enter_batches(int64_t bytes) {
    pushed_ -= bytes;
    in_batches_ += bytes;
  }
  void pushed_dropped(int64_t bytes) { pushed_ -= bytes; }
  // The credit to send now, to each sender below its share.
  std::vector<std::pair<delivery_sink, int64_t>> grants();
  // Every sender, for telling them the producer closed.
  std::vector<delivery_sink> senders() const;

  int64_t in_batches() const { return in_batches_; }
  int64_t waiting() const { return waiting_; }
  int64_t credit_outstanding() const { return credit_; }
  int64_t pushed() const { return pushed_; }

private:
  struct session {
    delivery_sink sink;
    int64_t credit = 0;
  };

  int64_t free_bytes() const { return buffer_memory_ - in_batches_ - pushed_ - credit_; }

  int64_t buffer_memory_;
  int64_t max_blocked_;
  int64_t grant_unit_;
  int64_t largest_record_;
  int64_t in_batches_ = 0;
  int64_t waiting_ = 0;
  int64_t pushed_ = 0; // pushed records not in a batch actor yet (waiting for metadata)
  int64_t credit_ = 0; // granted and not pushed yet, all senders
  std::map<caf::actor_addr, session> sessions_;
};

} // namespace cafka
