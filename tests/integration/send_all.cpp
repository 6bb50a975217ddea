#include "integration/send_all.hpp"

namespace cafka::test {

namespace {

using done_atom = caf::atom_constant<caf::atom("done")>;

struct sender_state {
  std::vector<delivery_report> reports;
  size_t remaining = 0;
};

caf::behavior sender(caf::stateful_actor<sender_state>* self, producer_actor producer,
                     std::vector<producer_record> records, send_mode mode, caf::timespan timeout,
                     caf::actor reply_to) {
  auto& st = self->state;
  st.reports.resize(records.size());
  st.remaining = records.size();
  auto finish = [=] {
    if (self->state.remaining == 0) {
      self->send(reply_to, done_atom::value, self->state.reports);
      self->quit();
    }
  };
  if (records.empty()) {
    finish();
    return {};
  }
  if (mode == send_mode::one_by_one) {
    for (size_t i = 0; i < records.size(); ++i) {
      self->request(producer, timeout, send_atom::value, std::move(records[i]))
        .then(
          [=](record_metadata& md) {
            self->state.reports[i].metadata = std::move(md);
            --self->state.remaining;
            finish();
          },
          [=](caf::error& err) {
            self->state.reports[i].error = std::move(err);
            --self->state.remaining;
            finish();
          });
    }
  } else {
    size_t n = records.size();
    self->request(producer, timeout, send_batch_atom::value, std::move(records))
      .then(
        [=](std::vector<delivery_report>& got) {
          self->state.reports = std::move(got);
          self->state.remaining = 0;
          finish();
        },
        [=](caf::error& err) {
          for (size_t i = 0; i < n; ++i)
            self->state.reports[i].error = err;
          self->state.remaining = 0;
          finish();
        });
  }
  return {[](done_atom) {}}; // stays alive for the replies
}

} // namespace

std::vector<delivery_report> send_all(caf::actor_system& sys, producer_actor producer,
                                      std::vector<producer_record> records, send_mode mode, caf::timespan timeout) {
  caf::scoped_actor self{sys};
  size_t n = records.size();
  self->spawn(sender, producer, std::move(records), mode, timeout, caf::actor{self});
  std::vector<delivery_report> out(n);
  self->receive([&](done_atom, std::vector<delivery_report>& reports) { out = std::move(reports); },
                caf::after(timeout + std::chrono::seconds{10}) >> [&] {
                  for (auto& r : out)
                    if (!r.error && r.metadata.offset < 0)
                      r.error = caf::sec::request_timeout;
                });
  return out;
}

} // namespace cafka::test
