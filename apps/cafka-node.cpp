// cafka-node: a CAF node that runs one producer and publishes it, so that other CAF nodes (and
// `cafka-produce --node`, `cafka-perf --node`) send through it with CAF's middleman.
//
//   cafka-node -b BROKERS [-X PROP=VALUE]... [-F FILE] [--port PORT] [--bind ADDRESS]
//              [--tls-cert PEM --tls-key PEM --tls-ca PEM]
//
// Binds 127.0.0.1 unless --bind says otherwise; --port 0 (the default) picks a free port. Prints
// "cafka-node: producer published on ADDRESS:PORT" once ready. Runs until SIGINT or SIGTERM, then
// closes the producer (flushing for at most 30 s) and exits 0.
#include "actors/producer.hpp"

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
  std::string cert, key, ca;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "cafka-node: " << problem << "\n"
            << "usage: cafka-node -b BROKERS [-X PROP=VALUE]... [-F FILE] [--port PORT] [--bind ADDRESS]\n"
            << "                  [--tls-cert PEM --tls-key PEM --tls-ca PEM]\n";
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  properties from_file;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "-b")
      o.props["bootstrap.servers"] = value();
    else if (a == "-X") {
      auto v = value();
      auto eq = v.find('=');
      if (eq == std::string::npos)
        usage("-X: '" + v + "' is not PROP=VALUE");
      o.props[v.substr(0, eq)] = v.substr(eq + 1);
    } else if (a == "-F") {
      auto loaded = load_properties_file(value());
      if (!loaded)
        usage("-F: " + loaded.error());
      from_file = std::move(*loaded);
    } else if (a == "--port") {
      auto v = value();
      try {
        size_t used = 0;
        auto p = std::stoul(v, &used);
        if (used != v.size() || p > 65535)
          throw std::out_of_range(v);
        o.port = static_cast<uint16_t>(p);
      } catch (const std::exception&) {
        usage("--port: '" + v + "' is not a port");
      }
    } else if (a == "--bind")
      o.bind = value();
    else if (a == "--tls-cert")
      o.cert = value();
    else if (a == "--tls-key")
      o.key = value();
    else if (a == "--tls-ca")
      o.ca = value();
    else
      usage("unknown option " + a);
  }
  for (auto& [k, v] : from_file)
    o.props.emplace(k, v);
  if (!o.props.count("bootstrap.servers"))
    usage("-b BROKERS is required");
  bool tls = !o.cert.empty() || !o.key.empty() || !o.ca.empty();
  if (tls && (o.cert.empty() || o.key.empty() || o.ca.empty()))
    usage("TLS needs --tls-cert, --tls-key and --tls-ca together");
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

  bool tls = !o.cert.empty();
  caf::actor_system_config cfg;
  register_types(cfg);
  recommended_scheduler(cfg);
  cfg.load<caf::io::middleman>();
  if (tls) {
    cfg.load<caf::openssl::manager>();
    cfg.openssl_certificate = o.cert;
    cfg.openssl_key = o.key;
    cfg.openssl_cafile = o.ca;
  }
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
