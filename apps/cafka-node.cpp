// cafka-node: a CAF node that runs one producer and publishes it, so that other CAF nodes (and
// `cafka-produce --node`, `cafka-perf --node`) send through it with CAF's middleman.
//
//   cafka-node -b BROKERS [-X PROP=VALUE]... [-F FILE] [--port PORT] [--bind ADDRESS]
//              [--tls-cert PEM --tls-key PEM --tls-ca PEM]
//
// Binds 127.0.0.1 unless --bind says otherwise; --port 0 (the default) picks a free port. Prints
// "cafka-node: producer published on ADDRESS:PORT" once ready. Runs until SIGINT or SIGTERM, then
// closes the producer (flushing for at most 30 s) and exits 0.
#include "apps/cli.hpp"
#include "cafka/producer.hpp"

#include "caf/io/all.hpp"
#include "caf/openssl/all.hpp"

#include <csignal>
#include <iostream>

namespace {

using namespace cafka;

struct options {
  properties props;
  uint16_t port = 0;
  std::string bind = "127.0.0.1";
  cli::tls_flags tls;
};

constexpr cli::program program{
  "cafka-node",
  "usage: cafka-node -b BROKERS [-X PROP=VALUE]... [-F FILE] [--port PORT] [--bind ADDRESS]\n"
  "                  [--tls-cert PEM --tls-key PEM --tls-ca PEM]\n"
  "Publishes one producer to other CAF nodes on ADDRESS:PORT (127.0.0.1, a free port by default);\n"
  "runs until SIGINT or SIGTERM, then closes the producer and exits 0.\n"};

options parse(int argc, char** argv) {
  options o;
  cli::arguments args{argc, argv, program};
  cli::producer_flags producer;
  while (args.next()) {
    if (producer.take(args) || o.tls.take(args))
      continue;
    if (args.flag() == "--port") {
      auto v = args.value();
      auto parsed = cli::parse_host_port("any:" + v);
      if (!parsed && v != "0")
        args.fail("--port: '" + v + "' is not a port");
      o.port = parsed ? parsed->second : 0;
    } else if (args.flag() == "--bind")
      o.bind = args.value();
    else
      args.fail("unknown option " + args.flag());
  }
  o.props = producer.merged();
  if (!o.props.count("bootstrap.servers"))
    args.fail("-b BROKERS is required");
  o.tls.check(args);
  return o;
}

} // namespace

int main(int argc, char** argv) {
  auto o = parse(argc, argv);
  // Block the stop signals before CAF starts its threads, so that only sigwait below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  bool tls = o.tls.enabled();
  caf::actor_system_config cfg;
  register_types(cfg);
  recommended_scheduler(cfg);
  cfg.load<caf::io::middleman>();
  o.tls.apply(cfg);
  caf::actor_system sys{cfg};
  auto producer = spawn_producer(sys, o.props);
  if (!producer) {
    std::cerr << "cafka-node: " << sys.render(producer.error()) << "\n";
    return 2;
  }
  auto port = tls ? caf::openssl::publish(*producer, o.port, o.bind.c_str(), true)
                  : sys.middleman().publish(*producer, o.port, o.bind.c_str(), true);
  if (!port) {
    std::cerr << "cafka-node: cannot publish on " << o.bind << ":" << o.port << ": " << sys.render(port.error())
              << "\n";
    caf::anon_send_exit(*producer, caf::exit_reason::user_shutdown);
    return 1;
  }
  std::cout << "cafka-node: producer published on " << o.bind << ":" << *port << (tls ? " (TLS)" : "") << std::endl;

  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::cerr << "cafka-node: " << (signal == SIGINT ? "SIGINT" : "SIGTERM") << ", closing the producer\n";
  {
    caf::scoped_actor self{sys};
    self->request(*producer, std::chrono::seconds{35}, close_atom::value, caf::timespan{std::chrono::seconds{30}})
      .receive([](ok_atom) {}, [&](caf::error& err) {
        std::cerr << "cafka-node: close: " << sys.render(err) << "\n";
      });
  }
  sys.middleman().unpublish(*producer, *port);
  return 0;
}
