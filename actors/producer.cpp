#include "cafka/producer.hpp"

#include "actors/producer_front.hpp"
#include "protocol/record_batch.hpp"

#include <algorithm>
#include <cstdlib>
#include <thread>

namespace cafka {

caf::expected<producer_actor> spawn_producer(caf::actor_system& sys, const properties& props,
                                             producer_options options) {
  auto config = parse_config(props, static_cast<bool>(options.oauthbearer_token));
  if (!config)
    return make_error(errc::invalid_config, config.error());
  if (options.oauthbearer_token && config->security.sasl)
    config->security.sasl->oauthbearer_token_provider =
      [provider = std::move(options.oauthbearer_token)]() -> protocol::result<std::string> {
      auto token = provider();
      if (!token)
        return protocol::unexpected(std::move(token.error()));
      return std::move(*token);
    };
  front_settings fs;
  fs.config = std::move(*config);
  fs.interceptors = std::move(options.interceptors);
  fs.partitioner = std::move(options.partitioner);
  // One io thread for this producer's connections; it stops when the last connection is gone.
  auto counters = std::make_shared<connection_counters>();
  fs.connections = real_connections(std::make_shared<network>(), counters);
  fs.counters = counters;
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
  // Workers: half the cores, one or two. A producer's actor work goes mostly through one actor (the
  // front); the other cores are for its network thread, CAF's clock and the application. On 2 cores
  // a second worker cost 9 % more CPU per record unthrottled and more peak RSS (BENCHMARKS.md).
  auto workers = std::clamp(std::thread::hardware_concurrency() / 2, 1u, 2u);
  cfg.set("scheduler.max-threads", static_cast<int>(workers));
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
