// Stand-ins for the actors around the one under test, for CAF's deterministic test coordinator:
// a connection that keeps each Produce request for the test to answer, a metadata actor that
// always names that connection as leader, and a producer that records batch reports.
#pragma once

#include "actors/connection_actor.hpp"
#include "actors/interfaces.hpp"

#include <map>
#include <optional>
#include <set>
#include <memory>
#include <utility>
#include <vector>

namespace cafka::test {

struct fake_log {
  std::vector<std::pair<produce_batch, caf::typed_response_promise<produce_result>>> produced;
  std::vector<caf::actor_addr> produced_by; // a promise may only be delivered by its own actor
  std::vector<batch_outcome> outcomes;
  int metadata_refreshes = 0;
  std::vector<caf::expected<record_metadata>> replies;     // to send / append, in arrival order
  std::vector<std::vector<delivery_report>> group_replies; // to send_batch
  std::vector<append_outcome> append_answers;              // to append_many
  std::map<std::string, int32_t> topics;                   // what the fake cluster's metadata lists
  std::map<std::pair<std::string, int32_t>, int32_t> leaders; // a partition's leader when not node 1
  std::vector<caf::actor> connections;                     // spawned through fake_connections()
  std::vector<producer_identity> bump_requests;             // identities batch actors asked to replace
  std::vector<producer_identity> identity_requests;         // InitProducerId requests (id, epoch) seen
  int16_t new_producer_epoch = 0;                           // the epoch InitProducerId answers with
  int metadata_requests = 0;                                // Metadata requests the fake brokers answered
  std::vector<std::vector<std::string>> metadata_topics;    // the topics each of them asked for
  int lease_requests = 0;                                  // sticky leases the fake partitioner gave out
  std::vector<leader_hint> leader_hints;                    // KIP-951 hints the metadata actor got
  caf::actor hinted_leader;                                 // where the fake metadata sends them
  protocol::uuid topic_id;                                  // the id the fake metadata gives every topic
  std::vector<int64_t> credit;                              // grants a fake sink received
  std::vector<record_ack> acks;                             // outcomes a fake sink received
  std::optional<int64_t> largest_record;                    // what attach answered a fake sink
  caf::error broker_error;          // when set, fake connections answer Metadata and InitProducerId with it
  std::map<int32_t, int32_t> ports; // a node's port in Metadata answers when not 9091 + N
};

// A user of the actor under test: forwards what the test hands it and keeps the replies, so the
// test never blocks on a scoped actor's receive (which the test clock would never time out).
inline caf::behavior fake_client(caf::event_based_actor* self, caf::actor target, std::shared_ptr<fake_log> log) {
  // Error replies to a plain send arrive through the error handler, not the behavior.
  self->set_error_handler([=](caf::error& err) { log->replies.emplace_back(std::move(err)); });
  return {
    [=](append_atom a, producer_record& r, int32_t n) { self->send(target, a, std::move(r), n); },
    [=](append_many_atom a, std::vector<producer_record>& r, std::vector<int32_t>& n) {
      self->send(target, a, std::move(r), std::move(n));
    },
    [=](send_atom a, producer_record& r) { self->send(target, a, std::move(r)); },
    [=](send_batch_atom a, std::vector<producer_record>& r) { self->send(target, a, std::move(r)); },
    [=](record_metadata& md) { log->replies.emplace_back(std::move(md)); },
    [=](std::vector<delivery_report>& reports) { log->group_replies.push_back(std::move(reports)); },
    [=](append_outcome& outcome) { log->append_answers.push_back(std::move(outcome)); },
  };
}

using answer_atom = caf::atom_constant<caf::atom("answer")>;

// A credit sender (cafka/producer_actor.hpp): attaches to `producer` when told (attach_atom), pushes
// what the test hands it, and keeps what comes back.
inline caf::behavior fake_sink(caf::event_based_actor* self, caf::actor producer, std::shared_ptr<fake_log> log) {
  return {
    [=](attach_atom) {
      self->request(producer, caf::infinite, attach_atom::value, caf::actor_cast<delivery_sink>(self))
        .then([=](int64_t largest) { log->largest_record = largest; });
    },
    [=](push_atom a, uint64_t first, std::vector<producer_record>& records) {
      self->send(producer, a, first, std::move(records));
    },
    [=](detach_atom a) { self->send(producer, a); },
    [=](send_atom a, uint64_t id, producer_record& r) { self->send(producer, a, id, std::move(r)); },
    [=](credit_atom, int64_t bytes) { log->credit.push_back(bytes); },
    [=](delivered_atom, std::vector<record_ack>& acks) {
      for (auto& a : acks)
        log->acks.push_back(std::move(a));
    },
  };
}

// What a broker answers for one partition of a Produce request.
inline produce_result broker_answer(int16_t error_code, int64_t base_offset = -1, int64_t log_append_time = -1,
                                    std::string message = {}, leader_hint new_leader = {}) {
  return produce_result{error_code, base_offset, log_append_time, std::move(message), std::move(new_leader)};
}

inline caf::behavior fake_connection(caf::event_based_actor* self, std::shared_ptr<fake_log> log);

// A connection factory for the metadata actor that hands out fake connections.
inline std::function<connection_actor(caf::local_actor*, const struct connection_settings&)>
fake_connections(std::shared_ptr<fake_log> log) {
  return [log](caf::local_actor* parent, const connection_settings&) {
    auto c = parent->system().spawn(fake_connection, log);
    log->connections.push_back(c);
    return caf::actor_cast<connection_actor>(c);
  };
}

// Untyped, so that the test can also tell it (answer, index, result) to resolve the index-th
// Produce request from inside the actor; actor_cast it to connection_actor for the others.
inline caf::behavior fake_connection(caf::event_based_actor* self, std::shared_ptr<fake_log> log) {
  return {
    // Node 1 leads every partition not in log->leaders (node N listens on port 9091 + N unless
    // log->ports says otherwise); a topic not in log->topics is unknown.
    [=](protocol::metadata_request& req) -> caf::result<protocol::metadata_response> {
      if (log->broker_error)
        return log->broker_error;
      ++log->metadata_requests;
      log->metadata_topics.emplace_back();
      for (auto& t : req.topics.value_or(std::vector<protocol::metadata_request::topic>{}))
        log->metadata_topics.back().push_back(t.name.value_or(""));
      protocol::metadata_response r;
      std::set<int32_t> nodes{1};
      for (auto& [_, node] : log->leaders)
        nodes.insert(node);
      for (auto node : nodes)
        r.brokers.push_back({node, "127.0.0.1", log->ports.count(node) ? log->ports[node] : 9091 + node, std::nullopt});
      for (auto& t : req.topics.value_or(std::vector<protocol::metadata_request::topic>{})) {
        protocol::metadata_response::topic out;
        out.name = t.name;
        auto known = log->topics.find(t.name.value_or(""));
        if (known == log->topics.end())
          out.error_code = 3; // UNKNOWN_TOPIC_OR_PARTITION
        else
          for (int32_t p = 0; p < known->second; ++p) {
            auto moved = log->leaders.find({known->first, p});
            int32_t leader = moved == log->leaders.end() ? 1 : moved->second;
            out.partitions.push_back({0, p, leader, leader == 1 ? 0 : 1, {leader}, {leader}, {}});
          }
        r.topics.push_back(std::move(out));
      }
      return r;
    },
    // The n-th new producer id is n, at epoch log->new_producer_epoch.
    [=](protocol::init_producer_id_request& req) -> caf::result<protocol::init_producer_id_response> {
      if (log->broker_error)
        return log->broker_error;
      log->identity_requests.push_back({req.producer_id, req.producer_epoch});
      return protocol::init_producer_id_response{0, 0, static_cast<int64_t>(log->identity_requests.size()),
                                                 log->new_producer_epoch};
    },
    [=](produce_atom, produce_batch& b) {
      auto rp = self->make_response_promise<produce_result>();
      log->produced.emplace_back(std::move(b), rp);
      log->produced_by.push_back(self->address());
      return rp;
    },
    [=](answer_atom, size_t index, produce_result& r) { log->produced.at(index).second.deliver(std::move(r)); },
    // Every Produce request so far succeeds, offsets counted from 0.
    [=](answer_atom) {
      int64_t offset = 0;
      for (size_t i = 0; i < log->produced.size(); ++i) {
        auto& [batch, rp] = log->produced[i];
        if (log->produced_by[i] == self->address() && rp.pending())
          rp.deliver(broker_answer(0, offset, -1));
        offset += batch.record_count;
      }
    },
  };
}

inline metadata_actor::behavior_type fake_metadata(metadata_actor::pointer, connection_actor leader,
                                                   std::shared_ptr<fake_log> log) {
  return {
    [=](topic_atom, std::string& topic, bool stale) -> caf::result<topic_metadata> {
      if (stale)
        ++log->metadata_refreshes;
      topic_metadata md;
      md.topic = topic;
      md.topic_id = log->topic_id;
      md.partitions.push_back({0, 1, 0, leader, {1}, {1}});
      return md;
    },
    [](producer_id_atom, producer_identity) -> caf::result<producer_identity> { return producer_identity{1, 0}; },
    // A KIP-951 hint leads to log->hinted_leader when the test set one.
    [=](leader_atom, std::string&, int32_t, leader_hint& hint) -> caf::result<connection_actor> {
      log->leader_hints.push_back(hint);
      if (!log->hinted_leader)
        return caf::make_error(caf::sec::invalid_argument, "unknown broker");
      return caf::actor_cast<connection_actor>(log->hinted_leader);
    },
    [=](connection_atom) -> caf::result<connection_actor> { return leader; },
    [=](connection_atom, int32_t, std::string&, int32_t) -> caf::result<connection_actor> { return leader; },
    [](refresh_atom) {},
    [](expire_atom) {},
  };
}

// Leases two partitions at a time, walking round the topic: 0 1, 2 0, 1 2, ... (1000 bytes each).
inline partitioner_actor::behavior_type fake_partitioner(partitioner_actor::pointer, std::shared_ptr<fake_log> log) {
  return {
    [=](sticky_atom, std::string& topic, int32_t count, std::vector<int32_t>&, std::vector<int64_t>&) -> sticky_lease {
      auto first = (2 * log->lease_requests++) % count;
      return sticky_lease{topic, {first, (first + 1) % count}, 1000};
    },
  };
}

inline producer_internal_actor::behavior_type fake_producer(producer_internal_actor::pointer,
                                                            std::shared_ptr<fake_log> log) {
  auto unused = [] { return caf::make_error(caf::sec::unexpected_message); };
  return {
    [=](send_atom, producer_record&) -> caf::result<record_metadata> { return unused(); },
    [](send_atom, uint64_t, producer_record&) {},
    [=](send_batch_atom, std::vector<producer_record>&) -> caf::result<std::vector<delivery_report>> {
      return unused();
    },
    [=](flush_atom) -> caf::result<ok_atom> { return unused(); },
    [=](close_atom, caf::timespan) -> caf::result<ok_atom> { return unused(); },
    [=](partitions_atom, std::string&) -> caf::result<std::vector<partition_info>> { return unused(); },
    [=](metrics_atom) -> caf::result<producer_metrics> { return unused(); },
    [=](attach_atom, delivery_sink&) -> caf::result<int64_t> { return unused(); },
    [](push_atom, uint64_t, std::vector<producer_record>&) {},
    [](detach_atom) {},
    [=](batch_done_atom, std::string&, int32_t, batch_outcome& o) { log->outcomes.push_back(o); },
    [=](bump_epoch_atom, producer_identity seen) { log->bump_requests.push_back(seen); },
    [](producer_id_atom) {},
    [](topic_atom, topic_metadata&) {},
    [](expire_atom) {},
    [](sweep_atom) {},
    [](dispatch_atom) {},
    [=](init_txn_atom) -> caf::result<ok_atom> { return unused(); },
    [=](begin_txn_atom) -> caf::result<ok_atom> { return unused(); },
    [=](commit_txn_atom) -> caf::result<ok_atom> { return unused(); },
    [=](abort_txn_atom) -> caf::result<ok_atom> { return unused(); },
    [=](send_txn_atom, std::vector<producer_record>&) -> caf::result<std::vector<record_metadata>> {
      return unused();
    },
    [=](send_offsets_atom, std::vector<offset_to_commit>&, consumer_group_metadata&) -> caf::result<ok_atom> {
      return unused();
    },
    [](txn_status_atom, transaction_status&) {},
    [=](unsent_atom, caf::error&) -> caf::result<ok_atom> { return unused(); },
  };
}

} // namespace cafka::test
