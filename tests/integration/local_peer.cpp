#include "integration/local_peer.hpp"

#include "caf/test/unit_test.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cafka::test {

namespace {

// A TCP socket bound to 127.0.0.1:port (0: any free port); returns the socket and its port.
std::pair<int, uint16_t> bind_loopback(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    CAF_FAIL("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    CAF_FAIL("bind() failed");
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return {fd, ntohs(addr.sin_port)};
}

} // namespace

local_peer::local_peer(std::function<void(int fd)> serve) : serve_(std::move(serve)) {
  std::tie(listener_, port_) = bind_loopback(0);
  if (::listen(listener_, 16) != 0)
    CAF_FAIL("listen() failed");
  acceptor_ = std::thread([this] { accept_loop(); });
}

local_peer::~local_peer() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR); // wakes the blocked accept()
  acceptor_.join();
  ::close(listener_);
  {
    std::lock_guard<std::mutex> guard{mutex_};
    for (int fd : connections_)
      ::shutdown(fd, SHUT_RDWR); // wakes blocked reads; each thread closes its own socket
  }
  for (auto& t : threads_)
    t.join();
}

void local_peer::accept_loop() {
  for (;;) {
    int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_)
        return;
      continue;
    }
    ++accepted_;
    std::lock_guard<std::mutex> guard{mutex_};
    connections_.push_back(fd);
    threads_.emplace_back([this, fd] {
      serve_(fd);
      ::shutdown(fd, SHUT_RDWR);
      std::lock_guard<std::mutex> inner{mutex_};
      std::erase(connections_, fd);
      ::close(fd);
    });
  }
}

uint16_t free_port() {
  auto [fd, port] = bind_loopback(0);
  ::close(fd);
  return port;
}

void drain(int fd) {
  char buffer[4096];
  while (::read(fd, buffer, sizeof buffer) > 0) {
  }
}

bool write_all(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0)
      return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

} // namespace cafka::test
