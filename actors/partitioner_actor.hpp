// Spawns the partitioner actor (see partitioner_actor in actors/interfaces.hpp).
#pragma once

#include "actors/interfaces.hpp"
#include "actors/sticky_partitioner.hpp"

namespace cafka {

struct partitioner_settings {
  int32_t batch_size = 16384; // bytes per sticky partition before the next (KIP-794)
  int32_t choices_per_lease = 8;
  sticky_partitioner::settings sticky;
};

partitioner_actor spawn_partitioner(caf::actor_system& sys, partitioner_settings settings);

} // namespace cafka
