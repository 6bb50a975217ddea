// TCP peers on 127.0.0.1 for tests that need no Kafka broker: a server that runs a function on
// every connection it accepts (a web server's answer, silence, a fake broker), and a port where
// nothing listens.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cafka::test {

class local_peer {
public:
  // `serve` runs on a thread of its own per connection, with the connected socket; it may return
  // early (the socket is closed then) or block in reads until the client goes.
  explicit local_peer(std::function<void(int fd)> serve);
  // Stops accepting, shuts every connection down, joins every thread.
  ~local_peer();
  local_peer(const local_peer&) = delete;
  local_peer& operator=(const local_peer&) = delete;

  uint16_t port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // How many connections it accepted so far.
  int accepted() const { return accepted_; }

private:
  void accept_loop();

  std::function<void(int fd)> serve_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::mutex mutex_;
  std::vector<int> connections_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

// A port on 127.0.0.1 that nothing listens on: bound, its number read, closed again.
uint16_t free_port();

// Reads from fd until the peer closes it (or it is shut down); what was read is dropped.
void drain(int fd);

// Writes all of `bytes`; false when the peer went away first.
bool write_all(int fd, const std::string& bytes);

} // namespace cafka::test
