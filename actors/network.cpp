#include "actors/network.hpp"

#include <cctype>

namespace cafka {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// An error as the end of a sentence that already names the peer: "connection refused".
std::string cause(const boost::system::error_code& ec) {
  auto text = ec.message();
  if (!text.empty())
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

} // namespace

network::network() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {
}

network::~network() {
  work_.reset();
  io_.stop();
  if (thread_.joinable())
    thread_.join();
}

tcp_session::tcp_session(asio::io_context& io, session_events events, size_t max_frame_size)
  : io_(io), socket_(io), resolver_(io), connect_timer_(io), events_(std::move(events)),
    frames_(max_frame_size) {
}

void tcp_session::connect(std::string host, uint16_t port, std::chrono::milliseconds timeout) {
  asio::post(io_, [self = shared_from_this(), host = std::move(host), port, timeout]() mutable {
    self->start_connect(std::move(host), port, timeout);
  });
}

void tcp_session::start_connect(std::string host, uint16_t port, std::chrono::milliseconds timeout) {
  connect_timer_.expires_after(timeout);
  connect_timer_.async_wait([self = shared_from_this(), timeout](const boost::system::error_code& ec) {
    if (!ec && !self->connected_)
      self->fail("connection setup timed out after " + std::to_string(timeout.count()) + " ms");
  });
  resolver_.async_resolve(
    host, std::to_string(port),
    [self = shared_from_this(), host](const boost::system::error_code& ec, tcp::resolver::results_type results) {
      if (self->closed_)
        return;
      if (ec) {
        self->fail(ec == asio::error::host_not_found ? "host not found (" + host + ")"
                                                     : "cannot resolve " + host + ": " + cause(ec));
        return;
      }
      // The owner names host and port: the reason is only what went wrong ("connection refused").
      asio::async_connect(self->socket_, results, [self](const boost::system::error_code& cec, const tcp::endpoint&) {
        if (self->closed_)
          return;
        if (cec) {
          self->fail(cause(cec));
          return;
        }
        self->connected_ = true;
        self->connect_timer_.cancel();
        boost::system::error_code ignored;
        self->socket_.set_option(tcp::no_delay(true), ignored);
        self->events_.connected();
        self->start_read();
        self->start_write();
      });
    });
}

void tcp_session::start_read() {
  socket_.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](
                                                        const boost::system::error_code& ec, size_t n) {
    if (self->closed_)
      return;
    if (ec) {
      self->fail(ec == asio::error::eof ? "the broker closed the connection" : cause(ec));
      return;
    }
    self->frames_.feed(protocol::byte_span{self->read_buffer_.data(), n});
    protocol::byte_buffer frame;
    while (self->frames_.next(frame))
      self->events_.frame(std::move(frame));
    if (!self->frames_.error().empty()) {
      self->shut();
      self->events_.garbled(self->frames_.error());
      return;
    }
    self->start_read();
  });
}

void tcp_session::write(protocol::byte_buffer frame, uint64_t write_id) {
  asio::post(io_, [self = shared_from_this(), frame = std::move(frame), write_id]() mutable {
    if (self->closed_)
      return;
    self->queued_.emplace_back(std::move(frame), write_id);
    self->start_write();
  });
}

void tcp_session::start_write() {
  if (!connected_ || closed_ || !writing_.empty() || queued_.empty())
    return;
  // Gather every queued frame into one write: no syscall per request.
  std::vector<asio::const_buffer> buffers;
  while (!queued_.empty()) {
    writing_.push_back(std::move(queued_.front().first));
    writing_last_id_ = queued_.front().second;
    queued_.pop_front();
  }
  buffers.reserve(writing_.size());
  for (auto& b : writing_)
    buffers.emplace_back(asio::buffer(b));
  asio::async_write(socket_, buffers, [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
    if (self->closed_)
      return;
    if (ec) {
      self->fail("write failed: " + cause(ec));
      return;
    }
    self->writing_.clear();
    self->events_.written(self->writing_last_id_);
    self->start_write();
  });
}

void tcp_session::fail(const std::string& reason) {
  if (closed_)
    return;
  shut();
  events_.closed(reason);
}

void tcp_session::shut() {
  closed_ = true;
  boost::system::error_code ignored;
  connect_timer_.cancel();
  resolver_.cancel();
  socket_.close(ignored);
}

void tcp_session::close() {
  asio::post(io_, [self = shared_from_this()] {
    if (!self->closed_)
      self->shut();
  });
}

} // namespace cafka
