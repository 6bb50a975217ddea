// How a send_batch's records and its reply's reports (a credit sender's pushes and acks too) cross
// CAF nodes: each vector travels as one block of bytes in a compact, Kafka-like form (varints,
// nullable bytes as length + 1, a topic named once for a run of records that share it). CAF 0.17's
// field-by-field form makes a virtual call and a caf::error per field, which cost more than the
// records' own bytes (perf put caf::error's destructor alone at 11-15 % of both nodes' samples).
//
// Block format 1, records:  u8 format, uvarint count + 1, then per record
//   topic (uvarint 0: the previous record's; else length + 1, bytes), varint partition,
//   key and value (uvarint 0: null; else length + 1, bytes), uvarint header count + 1,
//   per header (uvarint key length + 1, key, value as above), varlong timestamp.
// Outcomes, reports and acks: u8 format, uvarint count + 1, then per entry
//   (acks: uvarint id), topic (as above), varint partition, varlong offset, varlong timestamp,
//   varint key size, varint value size, u8 failed; then, after the block, the failed entries'
//   caf::errors in order, in CAF's own form (their context is a caf::message of any types).
#include "cafka/records.hpp"

#include "protocol/reader.hpp"
#include "protocol/writer.hpp"

#include <string_view>

namespace cafka {

namespace {

constexpr uint8_t block_format = 1;
// The fewest bytes an entry can take, which bounds the count a block may claim.
constexpr size_t min_record_bytes = 6;
constexpr size_t min_outcome_bytes = 7;
// A thread keeps its scratch buffer between messages unless one was larger than this.
constexpr size_t kept_scratch_bytes = size_t{4} << 20;

// One scratch buffer per thread: a thread (de)serializes one message at a time.
class scratch_buffer {
public:
  scratch_buffer() { buffer().clear(); }
  ~scratch_buffer() {
    if (buffer().capacity() > kept_scratch_bytes)
      byte_buffer{}.swap(buffer());
  }
  scratch_buffer(const scratch_buffer&) = delete;
  scratch_buffer& operator=(const scratch_buffer&) = delete;

  static byte_buffer& buffer() {
    thread_local byte_buffer bytes;
    return bytes;
  }
};

caf::error malformed(std::string_view what, const std::string& why) {
  return caf::make_error(caf::sec::malformed_basp_message,
                         "cafka: malformed " + std::string(what) + " block from another node: " + why);
}

// Topics: a record that shares its predecessor's topic names it with one byte.
void write_topic(protocol::writer& w, const std::string& topic, const std::string* previous) {
  if (previous && *previous == topic)
    w.uvarint(0);
  else
    w.compact_string(topic);
}

void read_topic(protocol::reader& r, std::string& topic, const std::string* previous) {
  auto n = r.uvarint32();
  if (n == 0) {
    if (!previous)
      r.fail("the first entry refers to a previous topic");
    else
      topic = *previous;
    return;
  }
  topic = std::string(as_chars(r.take(n - 1)));
}

void write_nullable(protocol::writer& w, const nullable_bytes& b) {
  if (b.is_null)
    w.uvarint(0);
  else
    w.compact_bytes(b.data);
}

nullable_bytes read_nullable(protocol::reader& r) {
  auto b = r.compact_nullable_bytes();
  if (!b)
    return nullable_bytes::null();
  return {false, byte_buffer(b->begin(), b->end())};
}

size_t count_of(protocol::reader& r, size_t min_entry_bytes) {
  auto n = r.compact_array_length(min_entry_bytes);
  if (!n && r.ok())
    r.fail("null where a count is required");
  return n.value_or(0);
}

void check_format(protocol::reader& r) {
  if (auto format = r.i8(); r.ok() && format != block_format)
    r.fail("block format " + std::to_string(format) + ", this node reads " + std::to_string(block_format));
}

void write_record(protocol::writer& w, const producer_record& x, const std::string* previous_topic) {
  write_topic(w, x.topic, previous_topic);
  w.varint(x.partition);
  write_nullable(w, x.key);
  write_nullable(w, x.value);
  w.uvarint(x.headers.size() + 1);
  for (auto& h : x.headers) {
    w.compact_string(h.key);
    write_nullable(w, h.value);
  }
  w.varlong(x.timestamp);
}

void read_record(protocol::reader& r, producer_record& x, const std::string* previous_topic) {
  read_topic(r, x.topic, previous_topic);
  x.partition = r.varint();
  x.key = read_nullable(r);
  x.value = read_nullable(r);
  auto headers = count_of(r, 2);
  x.headers.resize(headers);
  for (auto& h : x.headers) {
    h.key = r.compact_string();
    h.value = read_nullable(r);
  }
  x.timestamp = r.varlong();
}

void write_metadata(protocol::writer& w, const record_metadata& m, const std::string* previous_topic) {
  write_topic(w, m.topic, previous_topic);
  w.varint(m.partition);
  w.varlong(m.offset);
  w.varlong(m.timestamp);
  w.varint(m.serialized_key_size);
  w.varint(m.serialized_value_size);
}

void read_metadata(protocol::reader& r, record_metadata& m, const std::string* previous_topic) {
  read_topic(r, m.topic, previous_topic);
  m.partition = r.varint();
  m.offset = r.varlong();
  m.timestamp = r.varlong();
  m.serialized_key_size = r.varint();
  m.serialized_value_size = r.varint();
}

// Outcomes (reports and acks): the entry's fields, then whether it failed; a failed entry's error
// follows the block.
void write_outcome(protocol::writer& w, const delivery_report& x, const std::string* previous_topic) {
  write_metadata(w, x.metadata, previous_topic);
  w.boolean(static_cast<bool>(x.error));
}

void write_outcome(protocol::writer& w, const record_ack& x, const std::string* previous_topic) {
  w.uvarint(x.id);
  write_metadata(w, x.metadata, previous_topic);
  w.boolean(static_cast<bool>(x.error));
}

// Returns whether the entry failed.
bool read_outcome(protocol::reader& r, delivery_report& x, const std::string* previous_topic) {
  read_metadata(r, x.metadata, previous_topic);
  return r.boolean();
}

bool read_outcome(protocol::reader& r, record_ack& x, const std::string* previous_topic) {
  x.id = r.uvarint();
  read_metadata(r, x.metadata, previous_topic);
  return r.boolean();
}

template <class T, class Write>
caf::error save_block(caf::serializer& f, const std::vector<T>& xs, Write write_entry) {
  scratch_buffer scratch;
  auto& bytes = scratch.buffer();
  protocol::writer w{bytes};
  w.i8(block_format);
  w.uvarint(xs.size() + 1);
  const std::string* previous_topic = nullptr;
  for (auto& x : xs)
    previous_topic = write_entry(w, x, previous_topic);
  return f(bytes);
}

// Reads a block into xs: read_entry(r, x, previous_topic) reads one entry and returns its topic.
template <class T, class Read>
caf::error load_block(caf::deserializer& f, std::vector<T>& xs, size_t min_entry_bytes, const char* what,
                      Read read_entry) {
  scratch_buffer scratch;
  auto& bytes = scratch.buffer();
  if (auto err = f(bytes))
    return err;
  protocol::reader r{bytes};
  check_format(r);
  xs.clear();
  xs.resize(count_of(r, min_entry_bytes));
  const std::string* previous_topic = nullptr;
  for (auto& x : xs)
    previous_topic = read_entry(r, x, previous_topic);
  if (r.ok() && !r.at_end())
    r.fail(std::to_string(r.remaining()) + " bytes after the last " + what);
  if (!r.ok()) {
    xs.clear();
    return malformed(what, r.error());
  }
  return caf::none;
}

// Reports and acks: the block, then the failed entries' errors in order.
template <class T>
caf::error save_outcomes(caf::serializer& f, std::vector<T>& xs) {
  if (auto err = save_block(f, xs, [](protocol::writer& w, const T& x, const std::string* previous) {
        write_outcome(w, x, previous);
        return &x.metadata.topic;
      }))
    return err;
  for (auto& x : xs)
    if (x.error)
      if (auto err = f(x.error))
        return err;
  return caf::none;
}

template <class T>
caf::error load_outcomes(caf::deserializer& f, std::vector<T>& xs) {
  std::vector<size_t> failed;
  auto read_entry = [&](protocol::reader& r, T& x, const std::string* previous) {
    if (read_outcome(r, x, previous))
      failed.push_back(static_cast<size_t>(&x - xs.data()));
    return &x.metadata.topic;
  };
  if (auto err = load_block(f, xs, min_outcome_bytes, "outcome", read_entry))
    return err;
  for (auto i : failed) {
    if (auto err = f(xs[i].error)) {
      xs.clear();
      return err;
    }
    if (!xs[i].error) {
      xs.clear();
      return malformed("outcome", "a failed entry's error is empty");
    }
  }
  return caf::none;
}

} // namespace

caf::error inspect(caf::serializer& f, std::vector<producer_record>& xs) {
  return save_block(f, xs, [](protocol::writer& w, const producer_record& x, const std::string* previous) {
    write_record(w, x, previous);
    return &x.topic;
  });
}

caf::error inspect(caf::deserializer& f, std::vector<producer_record>& xs) {
  return load_block(f, xs, min_record_bytes, "record",
                    [](protocol::reader& r, producer_record& x, const std::string* previous) {
                      read_record(r, x, previous);
                      return &x.topic;
                    });
}

caf::error inspect(caf::serializer& f, std::vector<delivery_report>& xs) { return save_outcomes(f, xs); }
caf::error inspect(caf::deserializer& f, std::vector<delivery_report>& xs) { return load_outcomes(f, xs); }
caf::error inspect(caf::serializer& f, std::vector<record_ack>& xs) { return save_outcomes(f, xs); }
caf::error inspect(caf::deserializer& f, std::vector<record_ack>& xs) { return load_outcomes(f, xs); }

} // namespace cafka
