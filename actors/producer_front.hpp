// The front producer actor (producer_actor in actors/interfaces.hpp): interceptors, metadata wait
// bounded by max.block.ms, partitioning, size and buffer.memory checks, hand-off to batch actors.
#pragma once

#include "actors/batch_actor.hpp"
#include "actors/config.hpp"
#include "actors/interfaces.hpp"
#include "actors/metadata_actor.hpp"
#include "actors/partitioner_actor.hpp"
#include "cafka/partitioner.hpp"

namespace cafka {

struct front_settings {
  producer_config config;
  interceptor_list interceptors;
  custom_partitioner partitioner;
  connection_factory connections; // how the metadata actor reaches brokers
  std::shared_ptr<const connection_counters> counters; // kept up to date by the connections
  partitioner_actor sticky_partitions; // empty: the producer spawns its own partitioner actor
};

producer_internal_actor spawn_producer_front(caf::actor_system& sys, front_settings settings);

} // namespace cafka
