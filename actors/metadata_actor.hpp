// Spawns the metadata actor (see metadata_actor in actors/interfaces.hpp).
#pragma once

#include "actors/config.hpp"
#include "actors/connection_actor.hpp"
#include "actors/interfaces.hpp"
#include "actors/network.hpp"

namespace cafka {

// connection_factory makes the connection for a broker; tests pass one that returns a fake.
using connection_factory = std::function<connection_actor(caf::local_actor* parent, const connection_settings&)>;

// The default factory: real connection actors over `net`, linked to their parent; each counts into
// `counters` (may be null): requests in flight, connection attempts, authentications.
connection_factory real_connections(std::shared_ptr<network> net,
                                    std::shared_ptr<connection_counters> counters = nullptr);

// `listener` (may be empty) hears of every topic whose leaders a refresh changed.
metadata_actor spawn_metadata(caf::actor_system& sys, producer_config config, connection_factory connect,
                              metadata_listener listener = {});

} // namespace cafka
