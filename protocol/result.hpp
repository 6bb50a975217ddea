// A value or the reason there is none: what every decoder and codec in protocol/ returns. Shaped
// like std::expected<T, std::string> (has_value, *, ->, error), which clang 14 - the compiler of
// the fuzz targets - cannot use with GCC 12's library.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace cafka::protocol {

struct unexpected {
  std::string reason;
  explicit unexpected(std::string why) : reason(std::move(why)) {}
};

template <class T>
class result {
public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  result(unexpected failure) : v_(std::in_place_index<1>, std::move(failure.reason)) {}

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const std::string& error() const { return std::get<1>(v_); }

private:
  std::variant<T, std::string> v_;
};

template <>
class result<void> {
public:
  result() = default;
  result(unexpected failure) : error_(std::move(failure.reason)), failed_(true) {}

  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  const std::string& error() const { return error_; }

private:
  std::string error_;
  bool failed_ = false;
};

} // namespace cafka::protocol
