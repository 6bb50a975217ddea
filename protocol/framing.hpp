// Size-prefixed frames: requests with header v1 (classic) or v2 (flexible), responses with header v0
// or v1 (ApiVersions answers with v0 always, so that any client can read it).
#pragma once

#include "protocol/messages.hpp"
#include "protocol/reader.hpp"
#include "protocol/schema.hpp"
#include "protocol/writer.hpp"

#include "protocol/result.hpp"
#include <string>
#include <string_view>

namespace cafka::protocol {

template <class Request>
constexpr bool is_flexible(int16_t version) {
  return version >= Request::flexible_from;
}

// Appends one whole request frame, size prefix included, to out.
template <class Request>
void encode_request(byte_buffer& out, const Request& request, int16_t version, int32_t correlation_id,
                    std::string_view client_id) {
  writer w{out};
  size_t start = w.size();
  w.i32(0); // size, patched below
  w.i16(static_cast<int16_t>(Request::key));
  w.i16(version);
  w.i32(correlation_id);
  w.string(client_id); // the header's client id is never compact, even in header v2
  bool flexible = is_flexible<Request>(version);
  if (flexible)
    w.uvarint(0); // header v2: no tagged fields
  field_encoder enc{w, version, flexible};
  enc(request);
  w.patch_i32(start, static_cast<int32_t>(w.size() - start - 4));
}

template <class Request>
byte_buffer encode_request(const Request& request, int16_t version, int32_t correlation_id,
                           std::string_view client_id) {
  byte_buffer out;
  encode_request(out, request, version, correlation_id, client_id);
  return out;
}

// The correlation id that opens every response frame (size prefix already removed).
inline result<int32_t> correlation_id_of(byte_span frame) {
  reader r{frame};
  int32_t id = r.i32();
  if (!r.ok())
    return unexpected("response frame too short for a correlation id");
  return id;
}

// Decodes a response frame (size prefix already removed) of the given request's API and version.
template <class Request>
result<typename Request::response_type> decode_response(byte_span frame, int16_t version) {
  reader r{frame};
  r.i32(); // correlation id
  bool flexible = is_flexible<Request>(version);
  field_decoder dec{r, version, flexible};
  if (flexible && Request::key != api_key::api_versions) // header v1
    dec.skip_tag_section();
  typename Request::response_type response;
  dec(response);
  if (!r.ok())
    return unexpected(r.error());
  return response;
}

// Cuts a byte stream into frames. Feed whatever the socket read; pop whole frames.
class frame_assembler {
public:
  explicit frame_assembler(size_t max_frame_size = 100 * 1024 * 1024) : max_frame_size_(max_frame_size) {}

  // Appends received bytes. Returns false (and stays failed) on an impossible size prefix.
  bool feed(byte_span bytes);
  // Moves the next complete frame (without its size prefix) into frame; false if none is complete.
  bool next(byte_buffer& frame);
  const std::string& error() const { return error_; }
  // Whether the impossible size prefix was the start of a TLS record: the peer speaks TLS.
  bool tls_record() const { return tls_record_; }

private:
  byte_buffer buffer_;
  size_t read_pos_ = 0;
  size_t max_frame_size_;
  std::string error_;
  bool tls_record_ = false;
};

// Whether bytes open a TLS record (a TLS port's alert or handshake where a Kafka frame was due): a
// record type (change_cipher_spec, alert, handshake, application_data), then version 3.0 to 3.4.
// As a size prefix that is 335 MB or more, beyond any response.
bool looks_like_tls_record(byte_span prefix);

} // namespace cafka::protocol
