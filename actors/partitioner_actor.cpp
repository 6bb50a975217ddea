#include "actors/partitioner_actor.hpp"

#include <algorithm>

namespace cafka {

struct partitioner_state {
  partitioner_settings settings;
  std::optional<sticky_partitioner> sticky;

  static inline const char* name = "cafka.partitioner";
};

namespace {

using self_ptr = partitioner_actor::stateful_pointer<partitioner_state>;

} // namespace

static partitioner_actor::behavior_type partitioner(self_ptr self, partitioner_settings settings) {
  self->state.settings = settings;
  self->state.sticky.emplace(settings.sticky);
  return {
    [=](sticky_atom, std::string& topic, int32_t partition_count, std::vector<int32_t>& available,
        std::vector<int64_t>& queued_bytes) -> sticky_lease {
      auto& st = self->state;
      sticky_lease lease;
      lease.topic = std::move(topic);
      lease.bytes_each = std::max(st.settings.batch_size, 1);
      if (partition_count <= 0)
        return lease;
      for (int32_t i = 0; i < std::max(st.settings.choices_per_lease, 1); ++i)
        lease.partitions.push_back(st.sticky->next(lease.topic, partition_count, available, queued_bytes));
      return lease;
    },
  };
}

partitioner_actor spawn_partitioner(caf::actor_system& sys, partitioner_settings settings) {
  return sys.spawn(partitioner, settings);
}

} // namespace cafka
