#include "actors/jaas.hpp"

#include <algorithm>
#include <cctype>

namespace cafka {

namespace {

struct token {
  enum kind_t { end, word, quoted, equals, semicolon } kind = end;
  std::string text;
  size_t position = 0; // of its first character, from 1
};

class tokenizer {
public:
  explicit tokenizer(std::string_view in) : in_(in) {}

  std::expected<token, std::string> next() {
    if (auto skipped = skip_space_and_comments(); !skipped)
      return std::unexpected(skipped.error());
    token t;
    t.position = pos_ + 1;
    if (pos_ == in_.size())
      return t;
    char c = in_[pos_];
    if (c == '=' || c == ';') {
      ++pos_;
      t.kind = c == '=' ? token::equals : token::semicolon;
      return t;
    }
    if (c == '"' || c == '\'')
      return quoted(t);
    if (word_char(c)) {
      t.kind = token::word;
      while (pos_ < in_.size() && word_char(in_[pos_]))
        t.text += in_[pos_++];
      return t;
    }
    return std::unexpected("unexpected character at position " + std::to_string(t.position));
  }

private:
  static bool word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' || c == '-' || c == '.'
           || static_cast<unsigned char>(c) >= 0x80;
  }

  std::expected<void, std::string> skip_space_and_comments() {
    while (pos_ < in_.size()) {
      char c = in_[pos_];
      if (static_cast<unsigned char>(c) <= ' ') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < in_.size() && in_[pos_ + 1] == '/') {
        while (pos_ < in_.size() && in_[pos_] != '\n' && in_[pos_] != '\r')
          ++pos_;
      } else if (c == '/' && pos_ + 1 < in_.size() && in_[pos_ + 1] == '*') {
        auto close = in_.find("*/", pos_ + 2);
        if (close == std::string_view::npos)
          return std::unexpected("unterminated /* comment at position " + std::to_string(pos_ + 1));
        pos_ = close + 2;
      } else {
        return {};
      }
    }
    return {};
  }

  std::expected<token, std::string> quoted(token t) {
    char quote = in_[pos_++];
    t.kind = token::quoted;
    while (pos_ < in_.size()) {
      char c = in_[pos_++];
      if (c == quote)
        return t;
      if (c == '\n' || c == '\r')
        break;
      if (c != '\\') {
        t.text += c;
        continue;
      }
      if (pos_ == in_.size())
        break;
      char e = in_[pos_++];
      switch (e) {
        case 'a': t.text += '\a'; break;
        case 'b': t.text += '\b'; break;
        case 'f': t.text += '\f'; break;
        case 'n': t.text += '\n'; break;
        case 'r': t.text += '\r'; break;
        case 't': t.text += '\t'; break;
        case 'v': t.text += '\v'; break;
        default:
          if (e >= '0' && e <= '7') {
            // Java's octal escape: up to three digits, the first of three at most 3 (one byte).
            int v = e - '0';
            int max_digits = e <= '3' ? 3 : 2;
            for (int k = 1; k < max_digits && pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '7'; ++k)
              v = v * 8 + (in_[pos_++] - '0');
            t.text += static_cast<char>(v);
          } else {
            t.text += e; // \" \' \\ and any other character stand for themselves
          }
      }
    }
    return std::unexpected("the quoted value opened at position " + std::to_string(t.position)
                           + " is not closed on its line");
  }

  std::string_view in_;
  size_t pos_ = 0;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

} // namespace

std::expected<std::vector<jaas_entry>, std::string> parse_jaas_config(std::string_view text) {
  tokenizer in{text};
  std::vector<jaas_entry> entries;
  while (true) {
    auto module = in.next();
    if (!module)
      return std::unexpected(module.error());
    if (module->kind == token::end)
      break;
    if (module->kind != token::word && module->kind != token::quoted)
      return std::unexpected("expected a login module class at position " + std::to_string(module->position));
    jaas_entry entry;
    entry.login_module = module->text;
    auto flag = in.next();
    if (!flag)
      return std::unexpected(flag.error());
    static const std::string flags[] = {"required", "requisite", "sufficient", "optional"};
    // The flag is named only when it is a known one: a wrong token here may be anything.
    if (flag->kind != token::word || std::find(std::begin(flags), std::end(flags), lower(flag->text)) == std::end(flags))
      return std::unexpected("expected a control flag (required, requisite, sufficient or optional) after the login module, at position "
                             + std::to_string(flag->position));
    entry.control_flag = lower(flag->text);
    while (true) {
      auto name = in.next();
      if (!name)
        return std::unexpected(name.error());
      if (name->kind == token::semicolon)
        break;
      if (name->kind == token::end)
        return std::unexpected("the login module's entry is not closed by ';'");
      if (name->kind != token::word)
        return std::unexpected("expected an option name or ';' at position " + std::to_string(name->position));
      auto equals = in.next();
      if (!equals)
        return std::unexpected(equals.error());
      // Without '=', the word may be a piece of a value (an unquoted password with a space): unnamed.
      if (equals->kind != token::equals)
        return std::unexpected("expected '=' after the option name at position " + std::to_string(name->position));
      auto value = in.next();
      if (!value)
        return std::unexpected(value.error());
      if (value->kind != token::word && value->kind != token::quoted)
        return std::unexpected("option '" + name->text + "' has no value");
      entry.options.emplace_back(std::move(name->text), std::move(value->text));
    }
    entries.push_back(std::move(entry));
  }
  if (entries.empty())
    return std::unexpected("no login module given");
  return entries;
}

} // namespace cafka
