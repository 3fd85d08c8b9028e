#pragma once
// STS input rules from its service model (botocore sts service-2.json): required members, lengths,
// patterns and ranges, reported as STS's front end reports them: every violation in one
// ValidationError ("2 validation errors detected: Value 'x' at 'roleSessionName' failed to satisfy
// constraint: ...; ..."). Sensitive members (tokens, assertions) are named without their value.
#include <boost/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/aws_error.hpp"
#include "common/result.hpp"

namespace mallard::sts {

inline AwsError StsValidationError(std::string message) {
  return AwsError::Make("ValidationError", 400, std::move(message));
}

// Character classes of the model's patterns, checked without regular expressions.
enum class StsPattern {
  None,
  NameCharacters,   // [\w+=,.@-]*  (session names, federated user names)
  WordCharacters,   // [\w]*        (access key ids)
  ArnCharacters,    // [\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+
  PolicyCharacters  // [\u0009\u000A\u000D\u0020-\u00FF]+
};

class StsConstraints {
 public:
  explicit StsConstraints(const boost::json::object& input) : input_(input) {}

  // A string member: nullopt when absent. `member` is the input name ("RoleArn"); messages use
  // its lowerCamel form ("roleArn") as AWS does.
  std::optional<std::string> String(const char* member, bool required, std::size_t min, std::size_t max,
                                    StsPattern pattern, bool sensitive = false);
  std::optional<std::int64_t> Integer(const char* member, std::int64_t min, std::int64_t max);
  // A list member's length (Tags: at most 50).
  void ListLength(const char* member, std::size_t max);
  // The ValidationError naming every violation, or Done.
  Status<> Verdict() const;

 private:
  void Add(const std::string& value_part, const char* member, const std::string& constraint);

  const boost::json::object& input_;
  std::vector<std::string> problems_;
};

// arn:aws:iam::ACCOUNT:<kind>/[PATH/]NAME with a 12-digit account: {account, name}; nullopt otherwise.
struct IamArn {
  std::string account;
  std::string name;
};
std::optional<IamArn> ParseIamArn(const std::string& arn, std::string_view kind);

}  // namespace mallard::sts
