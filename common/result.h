#pragma once
// The one idiom for expected failures (doc/CODING_STYLE.md, "Errors"): a call whose caller
// decides what to do about a failure returns a Result, the value or the failure in words for the
// user. Exceptions are kept for start-up-fatal errors and for slothctl's exit.
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sloth {

// What went wrong, said for the user: what, where, and what to do about it.
struct Failure {
  std::string message;
};

template <class T, class E = Failure>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(E error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // Only when !ok().
  const E& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, E> state_;
};

// Success without a value, or the failure.
template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(E error) : error_(std::move(error)) {}

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  // Only when !ok().
  const E& error() const { return *error_; }

 private:
  std::optional<E> error_;
};

}  // namespace sloth
