// Spawns the transaction actor of a transactional producer (see transaction_actor in
// actors/interfaces.hpp).
#pragma once

#include "actors/interfaces.hpp"

#include <chrono>
#include <string>

namespace cafka {

struct transaction_settings {
  std::string transactional_id;
  std::chrono::milliseconds transaction_timeout{60000};
  std::chrono::milliseconds max_block{60000};     // how long a call waits before it fails (retriable)
  std::chrono::milliseconds retry_backoff{100};   // before a retriable coordinator exchange goes again
  metadata_actor metadata; // connections: any broker's (FindCoordinator, features), the coordinator's
  transaction_host host;   // the producer: flushes before EndTxn, hears every status change
};

transaction_actor spawn_transaction(caf::actor_system& sys, transaction_settings settings);

} // namespace cafka
