// The network side of broker connections: one Boost.Asio io_context thread serves every TCP session
// of a producer. Sessions know nothing of CAF; they report through callbacks that run on the io
// thread, which the connection actor turns into messages to itself.
#pragma once

#include "protocol/bytes.hpp"
#include "protocol/framing.hpp"

#include <utility> // Boost.Asio 1.74 under C++20+ needs <utility> before it
#include <boost/asio.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace cafka {

class network {
public:
  network();
  ~network(); // stops the io_context and joins its thread; never call from the io thread
  network(const network&) = delete;
  network& operator=(const network&) = delete;

  boost::asio::io_context& io() { return io_; }

private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

struct session_events {
  std::function<void()> connected;
  std::function<void(protocol::byte_buffer frame)> frame; // one whole response, size prefix removed
  std::function<void(std::string reason)> closed;         // by the peer or an error, not by close()
  std::function<void(std::string what)> garbled;          // the peer sent bytes that are no frames; closed
  std::function<void(uint64_t write_id)> written;         // every write up to write_id is on the wire
};

class tcp_session : public std::enable_shared_from_this<tcp_session> {
public:
  tcp_session(boost::asio::io_context& io, session_events events, size_t max_frame_size);

  // All of these may be called from any thread: they post to the io thread.
  void connect(std::string host, uint16_t port, std::chrono::milliseconds timeout);
  void write(protocol::byte_buffer frame, uint64_t write_id);
  void close();

private:
  void start_connect(std::string host, uint16_t port, std::chrono::milliseconds timeout);
  void start_read();
  void start_write();
  void fail(const std::string& reason);
  void shut();

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer connect_timer_;
  session_events events_;
  protocol::frame_assembler frames_;
  std::array<uint8_t, 65536> read_buffer_;
  std::deque<std::pair<protocol::byte_buffer, uint64_t>> queued_;
  std::vector<protocol::byte_buffer> writing_; // kept alive until the gather write completes
  uint64_t writing_last_id_ = 0;
  bool connected_ = false;
  bool closed_ = false;
};

} // namespace cafka
