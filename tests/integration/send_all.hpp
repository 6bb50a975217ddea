// Sends records through a producer from inside an actor (request/then, as a user would) and
// collects one delivery report per record, in sending order.
#pragma once

#include "cafka/producer.hpp"

#include <vector>

namespace cafka::test {

enum class send_mode { one_by_one, batched };

// Blocks the calling thread until every record resolved (or the timeout passed: then the missing
// reports carry sec::request_timeout).
std::vector<delivery_report> send_all(caf::actor_system& sys, producer_actor producer,
                                      std::vector<producer_record> records, send_mode mode = send_mode::one_by_one,
                                      caf::timespan timeout = std::chrono::seconds{120});

} // namespace cafka::test
