#include "actors/network.hpp"

#include "actors/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

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

// OpenSSL's reason for a TLS error, else the error as cause() words it.
std::string tls_reason(const boost::system::error_code& ec) {
  auto text = tls::reason(ec);
  return text.empty() ? cause(ec) : text;
}

using tls::is_tls_error;
using tls::received_alert;
using tls::refusal_hint;

} // namespace

network::network() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {
}

network::~network() {
  work_.reset();
  io_.stop();
  if (thread_.joinable())
    thread_.join();
}

tcp_session::tcp_session(asio::io_context& io, session_events events, size_t max_frame_size,
                         std::shared_ptr<const tls_config> tls)
  : io_(io), socket_(io), resolver_(io), connect_timer_(io), events_(std::move(events)), frames_(max_frame_size),
    tls_(std::move(tls)) {
}

tcp_session::~tcp_session() = default;

void tcp_session::connect(std::string host, uint16_t port, std::chrono::milliseconds timeout) {
  asio::post(io_, [self = shared_from_this(), host = std::move(host), port, timeout]() mutable {
    self->start_connect(std::move(host), port, timeout);
  });
}

void tcp_session::start_connect(std::string host, uint16_t port, std::chrono::milliseconds timeout) {
  host_ = host;
  // socket.connection.setup.timeout.ms covers the TLS handshake too: a port that accepts and then
  // says nothing must not hold the connection forever.
  connect_timer_.expires_after(timeout);
  connect_timer_.async_wait([self = shared_from_this(), timeout](const boost::system::error_code& ec) {
    if (!ec && !self->connected_)
      self->fail("connection setup timed out after " + std::to_string(timeout.count()) + " ms"
                 + (self->tls_stream_ ? " (in the TLS handshake)" : ""));
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
        boost::system::error_code ignored;
        self->socket_.set_option(tcp::no_delay(true), ignored);
        self->events_.connected();
        if (self->tls_)
          self->start_handshake();
        else
          self->on_ready();
      });
    });
}

void tcp_session::start_handshake() {
  std::string error;
  tls_context_ = tls::make_context(*tls_, error);
  if (!tls_context_) {
    fail("TLS set-up failed: " + error, session_failure::tls);
    return;
  }
  tls_stream_ = std::make_unique<asio::ssl::stream<tcp::socket&>>(socket_, *tls_context_);
  SSL* ssl = tls_stream_->native_handle();
  boost::system::error_code not_ip;
  asio::ip::make_address(host_, not_ip);
  // SNI names the host (never an IP address, RFC 6066), as Java's client does.
  if (not_ip)
    SSL_set_tlsext_host_name(ssl, host_.c_str());
  if (tls_->verify_hostname) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (not_ip) {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      X509_VERIFY_PARAM_set1_host(param, host_.c_str(), host_.size());
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(param, host_.c_str());
    }
  }
  // OpenSSL decides; this only remembers the first check that failed, to name it.
  tls_stream_->set_verify_callback([this](bool preverified, asio::ssl::verify_context& vc) {
    if (!preverified && !verify_failure_) {
      X509_STORE_CTX* store = vc.native_handle();
      verify_failure f;
      f.error = X509_STORE_CTX_get_error(store);
      f.depth = X509_STORE_CTX_get_error_depth(store);
      if (X509* cert = X509_STORE_CTX_get_current_cert(store)) {
        f.subject = tls::name_text(X509_get_subject_name(cert));
        f.issuer = tls::name_text(X509_get_issuer_name(cert));
        f.names = tls::names_of(cert);
      }
      verify_failure_ = std::move(f);
    }
    return preverified;
  });
  tls_stream_->async_handshake(asio::ssl::stream_base::client,
                               [self = shared_from_this()](const boost::system::error_code& ec) {
                                 if (self->closed_)
                                   return;
                                 if (ec) {
                                   auto kind = session_failure::network;
                                   auto reason = self->handshake_failure(ec, kind);
                                   self->fail(reason, kind);
                                   return;
                                 }
                                 self->events_.secured();
                                 self->on_ready();
                               });
}

std::string tcp_session::handshake_failure(const boost::system::error_code& ec, session_failure& kind) const {
  if (verify_failure_) {
    kind = session_failure::tls;
    auto& f = *verify_failure_;
    if (f.error == X509_V_ERR_HOSTNAME_MISMATCH || f.error == X509_V_ERR_IP_ADDRESS_MISMATCH) {
      std::string names;
      for (auto& n : f.names)
        names += (names.empty() ? "" : ", ") + n;
      return "TLS handshake failed: hostname mismatch: the certificate is for " + (names.empty() ? "no name" : names)
             + ", not " + host_ + " (ssl.endpoint.identification.algorithm=https checks it; empty turns the check off)";
    }
    return "TLS handshake failed: certificate verify failed: " + std::string(X509_verify_cert_error_string(f.error))
           + " (" + (f.depth == 0 ? "the broker's certificate " : "a certificate of its chain ") + f.subject
           + ", issued by " + f.issuer + "; trusted: "
           + (!tls_->ca_file.empty()     ? tls_->ca_file
              : !tls_->ca_pem.empty() ? std::string("ssl.truststore.certificates")
                                      : std::string("the system's CAs"))
           + ")";
  }
  if (ec == asio::ssl::error::stream_truncated || ec == asio::error::eof || ec == asio::error::connection_reset)
    return "the broker closed the connection during the TLS handshake (" + cause(ec)
           + "): is this port a PLAINTEXT or SASL_PLAINTEXT listener?";
  if (is_tls_error(ec)) {
    int reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG)
      return "the broker does not answer in TLS (" + tls_reason(ec) + "): is this port a PLAINTEXT or SASL_PLAINTEXT listener?";
    kind = session_failure::tls;
    auto hint = refusal_hint(received_alert(ec));
    return "TLS handshake failed: " + tls_reason(ec) + (hint ? " (" + *hint + ")" : "");
  }
  return "TLS handshake failed: " + cause(ec);
}

void tcp_session::on_ready() {
  connected_ = true;
  connect_timer_.cancel();
  start_read();
  start_write();
}

void tcp_session::start_read() {
  with_stream([this](auto& stream) {
    stream.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](const boost::system::error_code& ec,
                                                                                   size_t n) {
      if (self->closed_)
        return;
      if (ec) {
        if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
          self->fail("the broker closed the connection");
        } else if (auto hint = refusal_hint(received_alert(ec))) {
          // TLS 1.3: the broker checks our certificate after our side finished the handshake, so
          // its refusal arrives with the first read.
          self->fail("the broker refused the TLS connection: " + tls_reason(ec) + " (" + *hint + ")", session_failure::tls);
        } else {
          self->fail(tls_reason(ec));
        }
        return;
      }
      self->frames_.feed(protocol::byte_span{self->read_buffer_.data(), n});
      protocol::byte_buffer frame;
      while (self->frames_.next(frame))
        self->events_.frame(std::move(frame));
      if (self->frames_.tls_record()) {
        self->fail("the broker answered in TLS (" + self->frames_.error()
                   + "): is this port an SSL or SASL_SSL listener?");
        return;
      }
      if (!self->frames_.error().empty()) {
        self->shut();
        self->events_.garbled(self->frames_.error());
        return;
      }
      self->start_read();
    });
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
  // Gather every queued frame into one write: no syscall per request (with TLS, a record per
  // buffer, still one write op).
  std::vector<asio::const_buffer> buffers;
  writing_last_id_ = unreported;
  while (!queued_.empty()) {
    writing_.push_back(std::move(queued_.front().first));
    if (queued_.front().second != unreported)
      writing_last_id_ = queued_.front().second;
    queued_.pop_front();
  }
  buffers.reserve(writing_.size());
  for (auto& b : writing_)
    buffers.emplace_back(asio::buffer(b));
  with_stream([&](auto& stream) {
    asio::async_write(stream, buffers, [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
      if (self->closed_)
        return;
      if (ec) {
        self->fail("write failed: " + tls_reason(ec));
        return;
      }
      self->writing_.clear();
      if (self->writing_last_id_ != unreported)
        self->events_.written(self->writing_last_id_);
      self->start_write();
    });
  });
}

void tcp_session::fail(const std::string& reason, session_failure kind) {
  if (closed_)
    return;
  shut();
  events_.closed(reason, kind);
}

void tcp_session::shut() {
  closed_ = true;
  boost::system::error_code ignored;
  connect_timer_.cancel();
  resolver_.cancel();
  socket_.close(ignored); // a TLS session ends without close_notify: Kafka needs none
}

void tcp_session::close() {
  asio::post(io_, [self = shared_from_this()] {
    if (!self->closed_)
      self->shut();
  });
}

} // namespace cafka
