#include "cafka/producer.hpp"

#include "actors/producer_front.hpp"
#include "protocol/record_batch.hpp"

#include <cstdlib>

namespace cafka {

caf::expected<producer_actor> spawn_producer(caf::actor_system& sys, const properties& props,
                                             producer_options options) {
  auto config = parse_config(props);
  if (!config)
    return make_error(errc::invalid_config, config.error());
  // Issue #13: the security settings are parsed and checked, but the connection actor does not
  // speak TLS or SASL yet. Refuse rather than connect in plaintext; remove with that change.
  if (config->security.protocol != security_protocol::plaintext)
    return make_error(errc::invalid_config, "security.protocol: " + std::string(name_of(config->security.protocol))
                                              + " is not supported by the connection yet (issue #13)");
  front_settings fs;
  fs.config = std::move(*config);
  fs.interceptors = std::move(options.interceptors);
  fs.partitioner = std::move(options.partitioner);
  // One io thread for this producer's connections; it stops when the last connection is gone.
  auto in_flight = std::make_shared<std::atomic<int64_t>>(0);
  fs.connections = real_connections(std::make_shared<network>(), in_flight);
  fs.in_flight_requests = in_flight;
  auto front = spawn_producer_front(sys, std::move(fs));
  return caf::actor_cast<producer_actor>(front);
}

int64_t credit_cost(const producer_record& r) {
  return static_cast<int64_t>(protocol::record_batch_header_size
                              + protocol::record_batch_builder::record_size(0, 0, r.key.view(), r.value.view(),
                                                                            r.headers));
}

void recommended_scheduler(caf::actor_system_config& cfg) {
  // CAFKA_SCHEDULER=sharing or =caf-default picks the alternatives BENCHMARKS.md compares.
  const char* choice = std::getenv("CAFKA_SCHEDULER");
  std::string policy = choice ? choice : "stealing";
  if (policy == "caf-default")
    return;
  cfg.set("scheduler.max-threads", 2);
  if (policy == "sharing") {
    cfg.set("scheduler.policy", caf::atom("sharing"));
    return;
  }
  cfg.set("work-stealing.moderate-poll-attempts", 0);
  // An idle worker sleeps on its condition variable and wakes for work enqueued to it (the network
  // and timer threads' messages); the timeout only paces its attempts to steal from the other
  // worker. CAF's 10 ms made an idle producer wake 200 times a second (0.4 % of a core).
  cfg.set("work-stealing.relaxed-sleep-duration", caf::timespan{std::chrono::milliseconds{100}});
}

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<producer_record>("cafka::producer_record");
  cfg.add_message_type<record_metadata>("cafka::record_metadata");
  cfg.add_message_type<delivery_report>("cafka::delivery_report");
  cfg.add_message_type<partition_info>("cafka::partition_info");
  cfg.add_message_type<producer_metrics>("cafka::producer_metrics");
  cfg.add_message_type<record_ack>("cafka::record_ack");
  cfg.add_message_type<offset_to_commit>("cafka::offset_to_commit");
  cfg.add_message_type<consumer_group_metadata>("cafka::consumer_group_metadata");
  cfg.add_message_type<delivery_sink>("cafka::delivery_sink");
  add_error_category(cfg);
}

} // namespace cafka
