// cafka-produce: a console producer with kcat -P habits.
//
//   cafka-produce -b 127.0.0.1:9092 -t orders [-p 2] [-K :] [-H name=value]... [-X prop=value]...
//                 [-z zstd] [-F producer.properties] [-v] [FILE...]
//   cafka-produce --node HOST:PORT -t orders ...   (send through a producer a cafka-node publishes)
//
// Each line of the files (or of stdin) is one record; with -K the line splits at the first
// delimiter into key and value. -v prints one delivery report per record. A summary goes to stderr
// at the end; the exit status is 0 when every record was acknowledged, 1 when any failed, 2 on
// bad usage.
#include "apps/cli.hpp"
#include "cafka/producer.hpp"

#include "caf/io/all.hpp"
#include "caf/openssl/all.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

namespace {

using namespace cafka;

struct options {
  properties props;
  std::string topic;
  int32_t partition = -1;
  std::string key_delimiter;
  std::vector<record_header> headers;
  bool verbose = false;
  std::vector<std::string> files;
  std::optional<std::pair<std::string, uint16_t>> node; // --node: a remote producer instead of a local one
  cli::tls_flags tls;
};

constexpr cli::program program{
  "cafka-produce",
  "usage: cafka-produce -b BROKERS -t TOPIC [-p PARTITION] [-K DELIM] [-H NAME=VALUE]...\n"
  "                     [-X PROP=VALUE]... [-z CODEC] [-F CONFIG_FILE] [-v] [FILE...]\n"
  "       cafka-produce --node HOST:PORT [--tls-cert PEM --tls-key PEM --tls-ca PEM] -t TOPIC ...\n"
  "Each input line (FILE or stdin) is one record; -K DELIM splits it into key and value. -X takes any\n"
  "producer property (Java's names), -F a properties file; -v prints a report per record.\n"
  "Exit status: 0 every record acknowledged, 1 some failed, 2 bad usage.\n"};

options parse(int argc, char** argv) {
  options o;
  cli::arguments args{argc, argv, program};
  cli::producer_flags producer;
  while (args.next()) {
    auto& a = args.flag();
    if (producer.take(args) || o.tls.take(args))
      continue;
    if (a == "-t")
      o.topic = args.value();
    else if (a == "-p") {
      auto v = args.value();
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 9)
        args.fail("-p: '" + v + "' is not a partition number");
      o.partition = std::stoi(v);
    } else if (a == "-K")
      o.key_delimiter = args.value();
    else if (a == "-H") {
      auto v = args.value();
      auto eq = v.find('=');
      if (eq == std::string::npos)
        args.fail("-H: '" + v + "' is not NAME=VALUE");
      o.headers.push_back({v.substr(0, eq), nullable_bytes::of(v.substr(eq + 1))});
    } else if (a == "-z")
      producer.given["compression.type"] = args.value();
    else if (a == "-v")
      o.verbose = true;
    else if (a == "--node") {
      auto v = args.value();
      o.node = cli::parse_host_port(v);
      if (!o.node)
        args.fail("--node: '" + v + "' is not HOST:PORT");
    } else if (!a.empty() && a[0] == '-' && a != "-")
      args.fail("unknown option " + a);
    else
      o.files.push_back(a);
  }
  o.props = producer.merged();
  if (!o.props.count("bootstrap.servers") && !o.node)
    args.fail("-b BROKERS is required");
  if (o.topic.empty())
    args.fail("-t TOPIC is required");
  o.tls.check(args);
  return o;
}

producer_record to_record(const options& o, const std::string& line) {
  producer_record r;
  r.topic = o.topic;
  r.partition = o.partition;
  r.headers = o.headers;
  if (!o.key_delimiter.empty()) {
    auto at = line.find(o.key_delimiter);
    if (at != std::string::npos) {
      r.key = nullable_bytes::of(line.substr(0, at));
      r.value = nullable_bytes::of(line.substr(at + o.key_delimiter.size()));
      return r;
    }
  }
  r.value = nullable_bytes::of(line);
  return r;
}

std::vector<std::string> read_lines(const options& o) {
  std::vector<std::string> lines;
  auto read = [&](std::istream& in) {
    std::string line;
    while (std::getline(in, line))
      lines.push_back(line);
  };
  if (o.files.empty() || (o.files.size() == 1 && o.files[0] == "-")) {
    read(std::cin);
    return lines;
  }
  for (auto& f : o.files) {
    std::ifstream in{f};
    if (!in) {
      std::cerr << "cafka-produce: cannot open " << f << "\n";
      std::exit(2);
    }
    read(in);
  }
  return lines;
}

using done_atom = caf::atom_constant<caf::atom("done")>;

// Sends every record (at most `window` awaiting replies at once) and prints reports in order.
struct sender_state {
  producer_actor producer;
  std::vector<producer_record> records;
  bool verbose = false;
  std::optional<caf::timespan> timeout; // per request; none: the producer's own timeouts bound them
  caf::actor done_to;
  size_t next = 0;
  size_t resolved = 0;
  size_t failed = 0;
  std::map<std::string, size_t> reasons;
};

using sender_ptr = caf::stateful_actor<sender_state>*;

constexpr size_t window = 10000;

void finish(sender_ptr self) {
  auto& st = self->state;
  self->send(st.done_to, done_atom::value, st.records.size(), st.failed);
  for (auto& [why, n] : st.reasons)
    std::cerr << "cafka-produce: " << n << " record(s) failed: " << why << "\n";
  self->quit();
}

void count_failure(sender_ptr self, const std::string& why, size_t n) {
  auto& st = self->state;
  st.failed += n;
  st.reasons[why] += n;
  st.resolved += n;
}

void send_more(sender_ptr self) {
  auto& st = self->state;
  while (st.next < st.records.size() && st.next - st.resolved < window) {
    size_t i = st.next++;
    auto ask = [&](auto bound) { return self->request(st.producer, bound, send_atom::value, st.records[i]); };
    (st.timeout ? ask(*st.timeout) : ask(caf::infinite))
      .then(
        [=](record_metadata& md) {
          if (self->state.verbose)
            std::cout << "delivered record " << i << " to " << md.topic << " partition " << md.partition
                      << " offset " << md.offset << " timestamp " << md.timestamp << "\n";
          ++self->state.resolved;
          send_more(self);
        },
        [=](caf::error& err) {
          auto why = self->system().render(err);
          std::cout << "failed record " << i << ": " << why << "\n";
          count_failure(self, why, 1);
          send_more(self);
        });
  }
  if (st.resolved == st.records.size())
    finish(self);
}

caf::behavior sender(sender_ptr self, producer_actor producer, std::vector<producer_record> records, bool verbose,
                     std::optional<caf::timespan> timeout, caf::actor done_to) {
  auto& st = self->state;
  st.producer = std::move(producer);
  st.records = std::move(records);
  st.verbose = verbose;
  st.timeout = timeout;
  st.done_to = std::move(done_to);
  // A remote producer may vanish: fail what is outstanding at once rather than at the timeout.
  self->monitor(st.producer);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& s = self->state;
    auto why = "the producer went away (" + self->system().render(dm.reason) + ")";
    size_t lost = s.records.size() - s.resolved;
    std::cout << "failed " << lost << " record(s): " << why << "\n";
    count_failure(self, why, lost);
    finish(self);
  });
  send_more(self);
  return {[](done_atom) {}};
}

} // namespace

int main(int argc, char** argv) {
  auto o = parse(argc, argv);
  bool remote = o.node.has_value();
  caf::actor_system_config cfg;
  register_types(cfg);
  recommended_scheduler(cfg);
  if (remote)
    cfg.load<caf::io::middleman>();
  o.tls.apply(cfg);
  caf::actor_system sys{cfg};
  auto obtained = cli::obtain_producer(sys, "cafka-produce", o.node, o.tls, o.props);
  if (obtained.exit_status != 0)
    return obtained.exit_status;
  auto producer = &obtained.producer;
  std::vector<producer_record> records;
  for (auto& line : read_lines(o))
    records.push_back(to_record(o, line));
  // Locally the producer's own timeouts bound every request; between nodes a lost reply must not
  // hang us: wait at most delivery.timeout.ms's default plus a margin.
  std::optional<caf::timespan> timeout;
  if (remote)
    timeout = std::chrono::seconds{130};
  size_t total = 0, failed = 0;
  {
    caf::scoped_actor self{sys};
    self->spawn(sender, *producer, std::move(records), o.verbose, timeout, caf::actor{self});
    self->receive([&](done_atom, size_t n, size_t f) {
      total = n;
      failed = f;
    });
    if (!remote) // a published producer belongs to its node
      self->request(*producer, caf::infinite, close_atom::value, caf::timespan{std::chrono::seconds{30}})
        .receive([](ok_atom) {}, [](caf::error&) {});
  }
  std::cerr << "cafka-produce: " << (total - failed) << " of " << total << " record(s) delivered to " << o.topic;
  if (failed)
    std::cerr << ", " << failed << " failed";
  std::cerr << "\n";
  return failed ? 1 : 0;
}
