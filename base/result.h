#pragma once

// tether::Result<T, E>: the subset of C++23 std::expected that Tether uses,
// with the same names (has_value, value, error, operator*, operator->,
// explicit bool), so it can become an alias of std::expected once every
// toolchain we build with has <expected> (clang-16 with libstdc++ 12, used
// for fuzzing, does not).

#include <cstdlib>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace tether {

// The error most Tether functions return. `kind` separates failures worth
// retrying (a busy resource, a network hiccup) from those that are not, and
// both from a person's "no" (a system dialog cancelled), which callers
// report as a refusal rather than a fault.
struct Error {
  enum class Kind { kPermanent, kTemporary, kDeclined };

  std::string message;
  Kind kind = Kind::kPermanent;

  bool temporary() const { return kind == Kind::kTemporary; }
  bool declined() const { return kind == Kind::kDeclined; }
};

template <typename E>
class Unexpected {
 public:
  explicit Unexpected(E error) : error_(std::move(error)) {}
  E& error() & { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
};

template <typename E>
Unexpected(E) -> Unexpected<E>;

// Shorthands for the common error type.
inline Unexpected<Error> MakeError(std::string message) {
  return Unexpected(Error{std::move(message), Error::Kind::kPermanent});
}
inline Unexpected<Error> MakeTemporaryError(std::string message) {
  return Unexpected(Error{std::move(message), Error::Kind::kTemporary});
}
inline Unexpected<Error> MakeDeclinedError(std::string message) {
  return Unexpected(Error{std::move(message), Error::Kind::kDeclined});
}

namespace internal {
[[noreturn]] inline void BadResultAccess() {
  // Reading the value of a failed Result is a bug in our code, never a
  // consequence of bad input: abort loudly.
  std::abort();
}
}  // namespace internal

template <typename T, typename E = Error>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  Result() requires std::is_default_constructible_v<T>
      : storage_(std::in_place_index<0>) {}
  template <typename U = T>
  requires std::is_constructible_v<T, U&&> &&
      (!std::is_same_v<std::remove_cvref_t<U>, Result>)Result(
          U&& value)  // NOLINT(google-explicit-constructor): like std::expected
      : storage_(std::in_place_index<0>, std::forward<U>(value)) {}
  template <typename G>
  Result(Unexpected<G> error)  // NOLINT(google-explicit-constructor)
      : storage_(std::in_place_index<1>, std::move(error).error()) {}

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return Checked(), std::get<0>(storage_); }
  const T& value() const& { return Checked(), std::get<0>(storage_); }
  T&& value() && { return Checked(), std::get<0>(std::move(storage_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  E& error() & { return ErrorChecked(), std::get<1>(storage_); }
  const E& error() const& { return ErrorChecked(), std::get<1>(storage_); }
  E&& error() && { return ErrorChecked(), std::get<1>(std::move(storage_)); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(storage_)
                       : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void Checked() const {
    if (!has_value())
      internal::BadResultAccess();
  }
  void ErrorChecked() const {
    if (has_value())
      internal::BadResultAccess();
  }

  std::variant<T, E> storage_;
};

// Result<void, E>: success carries nothing.
template <typename E>
class [[nodiscard]] Result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Result() = default;
  template <typename G>
  Result(Unexpected<G> error)  // NOLINT(google-explicit-constructor)
      : failed_(true), error_(std::move(error).error()) {}

  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  void value() const {
    if (failed_)
      internal::BadResultAccess();
  }

  E& error() & { return ErrorChecked(), error_; }
  const E& error() const& { return ErrorChecked(), error_; }
  E&& error() && { return ErrorChecked(), std::move(error_); }

 private:
  void ErrorChecked() const {
    if (!failed_)
      internal::BadResultAccess();
  }

  bool failed_ = false;
  E error_{};
};

}  // namespace tether

// Passing a failure up, the one way it is written (std::expected has no
// `?` operator; Abseil's RETURN_IF_ERROR / ASSIGN_OR_RETURN are the model).
// Both return the error as it is, so the caller's Result<...> may hold
// another value type. Variadic because `expr` may contain commas.
//
//   TETHER_RETURN_IF_ERROR(file.Flush());
//     -- returns Flush()'s error, if any.
//   TETHER_TRY(key, LoadKey(path));
//     -- declares `key` = LoadKey(path) (a Result) and returns its error,
//        if any; afterwards *key is the value.
#define TETHER_RETURN_IF_ERROR(...)                                   \
  do {                                                                \
    if (auto tether_result_ = (__VA_ARGS__); !tether_result_)         \
      return ::tether::Unexpected(std::move(tether_result_).error()); \
  } while (false)

#define TETHER_TRY(name, ...) \
  auto name = (__VA_ARGS__);  \
  if (!name)                  \
  return ::tether::Unexpected(std::move(name).error())
