// A user's program: it knows cafka only through the installed package (#include <cafka/producer.hpp>).
//
//   outside_app BOOTSTRAP TOPIC COUNT
//
// sends COUNT keyed records with a header in one send_batch, prints "delivered N of COUNT", closes
// the producer and exits 0 when every record was acknowledged.
#include <cafka/producer.hpp>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: outside_app BOOTSTRAP TOPIC COUNT\n";
    return 2;
  }
  caf::actor_system_config cfg;
  cafka::register_types(cfg);
  cafka::recommended_scheduler(cfg);
  caf::actor_system sys{cfg};
  auto producer = cafka::spawn_producer(sys, {{"bootstrap.servers", argv[1]}, {"compression.type", "zstd"}});
  if (!producer) {
    std::cerr << sys.render(producer.error()) << "\n";
    return 2;
  }
  std::vector<cafka::producer_record> records;
  int count = std::stoi(argv[3]);
  for (int i = 0; i < count; ++i)
    records.push_back(cafka::make_record(argv[2], "key-" + std::to_string(i), "value-" + std::to_string(i),
                                         {{"origin", cafka::nullable_bytes::of("outside")}}));
  size_t delivered = 0;
  caf::scoped_actor self{sys};
  self->request(*producer, std::chrono::seconds{60}, cafka::send_batch_atom::value, std::move(records))
    .receive(
      [&](std::vector<cafka::delivery_report>& reports) {
        for (auto& r : reports)
          if (r.error)
            std::cerr << "failed: " << sys.render(r.error) << "\n";
          else
            ++delivered;
      },
      [&](caf::error& err) { std::cerr << "send_batch failed: " << sys.render(err) << "\n"; });
  self->request(*producer, std::chrono::seconds{60}, cafka::close_atom::value, caf::timespan{std::chrono::seconds{10}})
    .receive([](cafka::ok_atom) {}, [](caf::error&) {});
  std::cout << "delivered " << delivered << " of " << count << "\n";
  return delivered == static_cast<size_t>(count) ? 0 : 1;
}
