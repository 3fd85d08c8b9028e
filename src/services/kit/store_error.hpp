#pragma once
// Store errors: what a store call returns instead of throwing. A service declares its own codes
// (SQS: NotFound, InvalidReceipt, …; DynamoDB: TableNotFound, InvalidStartKey, …) and gets the
// error, result and failure types from here, so every store speaks the same shape and every
// service maps it to AWS errors in one place (its errors file).
#include <string>
#include <utility>

#include "common/result.hpp"

namespace mallard::services::kit {

// Every store's codes include these two, with these meanings, because every service must tell
// them apart from its own "not found": a store that cannot be reached is a 5xx, never "no such
// queue"; a lost optimistic race is retried, never reported.
template <typename Code>
concept StoreErrorCodes = requires {
  Code::Conflict;     // a concurrent change won; retry
  Code::Unavailable;  // the store cannot be reached (the detail says why, without secrets)
};

template <StoreErrorCodes Code>
struct StoreError {
  Code code;
  std::string detail;
};

template <typename T, StoreErrorCodes Code>
using StoreResult = Result<T, StoreError<Code>>;

template <StoreErrorCodes Code>
Unexpected<StoreError<Code>> StoreFail(Code code, std::string detail = {}) {
  return {StoreError<Code>{code, std::move(detail)}};
}

}  // namespace mallard::services::kit
