#pragma once
// Typed access to an operation's JSON input with the AWS (Smithy) constraint messages that Athena
// and Redshift Data both answer with ("1 validation error detected: Value '0' at 'maxResults'
// failed to satisfy constraint: ..."); each service supplies the error shape.
#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace mallard::services::kit {

class ApiInput {
 public:
  using ErrorMaker = AwsError (*)(std::string message);
  ApiInput(const boost::json::object& input, ErrorMaker make_error) : input_(input), make_error_(make_error) {}

  Result<std::string> Required(const char* name, std::size_t max_length = 1 << 20) const;
  Result<std::optional<std::string>> Optional(const char* name, std::size_t max_length = 1 << 20) const;
  Result<std::optional<std::int64_t>> Int(const char* name, std::int64_t min, std::int64_t max) const;
  Result<bool> Bool(const char* name, bool fallback) const;
  Result<std::vector<std::string>> Strings(const char* name, std::size_t min_items, std::size_t max_items) const;
  Result<boost::json::object> Object(const char* name) const;
  Result<boost::json::array> Array(const char* name) const;
  AwsError Invalid(const char* name, const std::string& value, const std::string& constraint) const;

 private:
  const boost::json::object& input_;
  ErrorMaker make_error_;
};

// Athena's BatchGet* shape: {found_member: [described items in request order], unprocessed_member:
// [{id_member: id, ErrorCode, ErrorMessage} for each key not found]}. `describe(key)` returns the
// described item or std::nullopt; `not_found(key)` the error message.
template <typename Describe, typename NotFound>
boost::json::object BatchGet(const std::vector<std::string>& keys, const char* found_member,
                             const char* unprocessed_member, const char* id_member, const char* error_code,
                             Describe describe, NotFound not_found) {
  boost::json::array found;
  boost::json::array unprocessed;
  for (const auto& key : keys) {
    std::optional<boost::json::object> item = describe(key);
    if (item) {
      found.push_back(std::move(*item));
    } else {
      unprocessed.push_back(
          boost::json::object{{id_member, key}, {"ErrorCode", error_code}, {"ErrorMessage", not_found(key)}});
    }
  }
  return boost::json::object{{found_member, std::move(found)}, {unprocessed_member, std::move(unprocessed)}};
}

// Milliseconds since the epoch as an awsJson timestamp (epoch seconds with a fraction).
inline double EpochSeconds(std::int64_t millis) { return static_cast<double>(millis) / 1000.0; }

}  // namespace mallard::services::kit

namespace mallard::services::kit {

// Opaque paging tokens: where the next page starts, bound to what is being paged (a query id, a
// listing) so that a token from one listing is refused by another.
std::string EncodePageToken(const std::string& scope, std::size_t offset);
std::optional<std::size_t> DecodePageToken(const std::string& scope, const std::string& token);

// The window [start, end) of a listing of `total` items that a request asks for, and the token
// for the page after it (when there is one).
struct PageWindow {
  std::size_t start = 0;
  std::size_t end = 0;
  std::optional<std::string> next_token;
};
Result<PageWindow> PageOf(std::size_t total, const std::optional<std::string>& token, std::size_t limit,
                          const std::string& scope, ApiInput::ErrorMaker make_error);

}  // namespace mallard::services::kit
