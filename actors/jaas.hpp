// Java's JAAS configuration syntax, as sasl.jaas.config takes it (Kafka's JaasConfig):
//
//   org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cret";
//
// One or more entries, each a login module class, a control flag (required, requisite, sufficient,
// optional; any case) and options name=value, closed by ';'. Values are words or quoted with " or ';
// inside quotes a backslash escapes the next character (\" \' \\) and \n \t \r \b \f \a \v and octal
// \ooo are Java's escapes. // and /* */ comments are skipped.
//
// Where cafka differs from Java's StreamTokenizer, it refuses rather than guesses: an unterminated
// quote (Java ends it at the line's end), a lone '/' (Java drops the rest of the line). It is more
// lenient in one place: an unquoted value may start with a digit (password=123), which Java reads
// as a number and then reports as missing.
//
// Option values are secrets (passwords): no error text contains any of them, nor any token that
// could be part of one. Errors say where (the character's position, from 1) and what was expected.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cafka {

struct jaas_entry {
  std::string login_module;
  std::string control_flag; // lower case
  std::vector<std::pair<std::string, std::string>> options; // in the given order, names may repeat
};

std::expected<std::vector<jaas_entry>, std::string> parse_jaas_config(std::string_view text);

} // namespace cafka
