// The network side of broker connections: one Boost.Asio io_context thread serves every session of
// a producer, plain TCP or TLS (OpenSSL through Boost.Asio's ssl::stream). Sessions know nothing of
// CAF; they report through callbacks that run on the io thread, which the connection actor turns
// into messages to itself. Boost.Asio and OpenSSL stay in this header and network.cpp.
#pragma once

#include "actors/config.hpp"
#include "protocol/bytes.hpp"
#include "protocol/framing.hpp"

#include <utility> // Boost.Asio 1.74 under C++20+ needs <utility> before it
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
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

// Why a session ended, for what the owner does next.
enum class session_failure {
  network, // refused, reset, timed out, closed by the peer: another try after a backoff may work
  tls,     // a TLS check failed, ours (the broker's certificate, its host name) or the broker's
           // (it refused our certificate or our protocol versions): trying again will not help
};

struct session_events {
  std::function<void()> connected; // TCP is up (with TLS, the handshake starts now)
  std::function<void()> secured;   // the TLS handshake is done (TLS sessions only); bytes may flow
  std::function<void(protocol::byte_buffer frame)> frame; // one whole response, size prefix removed
  std::function<void(std::string reason, session_failure kind)> closed; // by the peer or an error, not by close()
  std::function<void(std::string what)> garbled;  // the peer sent bytes that are no frames; closed
  std::function<void(uint64_t write_id)> written; // every write up to write_id is on the wire
};

// A connection to one broker, over a plain socket or TLS. With TLS, the handshake follows the TCP
// connect on the io thread; the broker's certificate chain is verified against tls_config's CAs and,
// unless turned off, its names against the host connected to (DNS name or IP address, RFC 6125 as
// OpenSSL checks it). A failed check is reported with OpenSSL's X509 verify reason and which check
// failed ("certificate verify failed: unable to get local issuer certificate ...", "hostname
// mismatch: the certificate is for localhost, not 127.0.0.1"). TLS files are loaded at every
// connect, so a renewed certificate is taken without a restart.
class tcp_session : public std::enable_shared_from_this<tcp_session> {
public:
  // tls: nullptr for PLAINTEXT and SASL_PLAINTEXT.
  tcp_session(boost::asio::io_context& io, session_events events, size_t max_frame_size,
              std::shared_ptr<const tls_config> tls = nullptr);
  ~tcp_session();

  // All of these may be called from any thread: they post to the io thread.
  void connect(std::string host, uint16_t port, std::chrono::milliseconds timeout);
  // `written` reports write_id once the frame is on the wire, unless it is `unreported`.
  static constexpr uint64_t unreported = 0;
  void write(protocol::byte_buffer frame, uint64_t write_id);
  void close();

  // The first certificate check that failed during a TLS handshake (io thread only).
  struct verify_failure {
    int error = 0;  // X509_V_ERR_*
    int depth = 0;  // 0: the broker's own certificate
    std::string subject, issuer;
    std::vector<std::string> names; // what the certificate is for: its DNS and IP SANs, else its CN
  };

private:
  void start_connect(std::string host, uint16_t port, std::chrono::milliseconds timeout);
  void start_handshake();
  void on_ready();
  void start_read();
  void start_write();
  void fail(const std::string& reason, session_failure kind = session_failure::network);
  void shut();
  std::string handshake_failure(const boost::system::error_code& ec, session_failure& kind) const;
  template <class F>
  void with_stream(F&& f) {
    if (tls_stream_)
      f(*tls_stream_);
    else
      f(socket_);
  }

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer connect_timer_;
  session_events events_;
  protocol::frame_assembler frames_;
  std::shared_ptr<const tls_config> tls_;
  std::unique_ptr<boost::asio::ssl::context> tls_context_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_stream_;
  std::string host_; // as the owner named it: what the broker's certificate must be for
  std::optional<verify_failure> verify_failure_;
  std::array<uint8_t, 65536> read_buffer_;
  std::deque<std::pair<protocol::byte_buffer, uint64_t>> queued_;
  std::vector<protocol::byte_buffer> writing_; // kept alive until the gather write completes
  uint64_t writing_last_id_ = unreported; // the last reported id in writing_, if any
  bool connected_ = false; // ready for frames: TCP is up, and with TLS the handshake is done
  bool closed_ = false;
};

} // namespace cafka
