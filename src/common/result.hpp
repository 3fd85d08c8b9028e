#pragma once
// Result<T, E>: a value or an error, the one return type of every fallible call in Mallard.
// Errors are values (Redpanda, RocksDB): exceptions are reserved for bugs and are turned into
// InternalFailure once, at the dispatch boundary.
#include <cassert>
#include <utility>
#include <variant>

#include "common/aws_error.hpp"

namespace mallard {

template <typename E>
struct Unexpected {
  E error;
};
template <typename E>
Unexpected<std::decay_t<E>> Fail(E&& error) {
  return {std::forward<E>(error)};
}

template <typename T, typename E = AwsError>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  template <typename F>
  Result(Unexpected<F> failure) : state_(std::in_place_index<1>, E(std::move(failure.error))) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const E& error() const& { return std::get<1>(state_); }
  E&& error() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, E> state_;
};

// Success with nothing to return, or an error (the S3 store contract's StoreResult<void>):
// `return {};` succeeds.
template <typename E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  template <typename F>
  Result(Unexpected<F> failure) : error_(E(std::move(failure.error))), failed_(true) {}

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const E& error() const& { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_{};
  bool failed_ = false;
};

struct Done {};
template <typename E = AwsError>
using Status = Result<Done, E>;
inline Result<Done> Ok() { return Done{}; }

}  // namespace mallard

// Propagates the error of a Result-returning expression; binds its value otherwise.
#define MALLARD_CONCAT_INNER(a, b) a##b
#define MALLARD_CONCAT(a, b) MALLARD_CONCAT_INNER(a, b)
#define MALLARD_TRY_IMPL(tmp, decl, expr)           \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return ::mallard::Fail(std::move(tmp).error()); \
  decl = std::move(tmp).value()
#define MALLARD_ASSIGN_OR_RETURN(decl, expr) MALLARD_TRY_IMPL(MALLARD_CONCAT(try_tmp_, __LINE__), decl, expr)
#define MALLARD_RETURN_IF_ERROR(expr)                                  \
  do {                                                                 \
    auto status_tmp = (expr);                                          \
    if (!status_tmp.ok()) return ::mallard::Fail(std::move(status_tmp).error()); \
  } while (0)
