// STS input rules (sts_input.hpp): the model's constraints, reported all at once in STS's words.
#include "services/sts/sts_input.hpp"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace mallard::sts {
namespace json = boost::json;

namespace {

std::string VerdictOf(const char* input_text, bool sensitive_token = true) {
  auto input = json::parse(input_text).as_object();
  StsConstraints constraints(input);
  constraints.String("RoleArn", true, 20, 2048, StsPattern::ArnCharacters);
  constraints.String("RoleSessionName", true, 2, 64, StsPattern::NameCharacters);
  constraints.String("WebIdentityToken", true, 4, 20000, StsPattern::None, sensitive_token);
  constraints.Integer("DurationSeconds", 900, 43200);
  auto verdict = constraints.Verdict();
  return verdict.ok() ? "OK" : verdict.error().code + ": " + verdict.error().message;
}

}  // namespace

TEST(StsInputTest, ValidInputPasses) {
  EXPECT_EQ(VerdictOf(R"({"RoleArn":"arn:aws:iam::111122223333:role/r","RoleSessionName":"a.b@c=d,e+f-g_h",
                          "WebIdentityToken":"abcd","DurationSeconds":900})"),
            "OK");
}

TEST(StsInputTest, EveryViolationInOneMessageInMemberOrder) {
  EXPECT_EQ(VerdictOf(R"({"RoleSessionName":"x","WebIdentityToken":"ab","DurationSeconds":899})"),
            "ValidationError: 4 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: "
            "Member must not be null; Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have "
            "length greater than or equal to 2; Value at 'webIdentityToken' failed to satisfy constraint: Member must "
            "have length greater than or equal to 4; Value '899' at 'durationSeconds' failed to satisfy constraint: "
            "Member must have value greater than or equal to 900");
}

TEST(StsInputTest, PatternsWithoutRegularExpressions) {
  EXPECT_EQ(VerdictOf(R"({"RoleArn":"arn:aws:iam::111122223333:role/r","RoleSessionName":"has space",
                          "WebIdentityToken":"abcd"})"),
            "ValidationError: 1 validation error detected: Value 'has space' at 'roleSessionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
  // A control character is outside the ARN character class.
  EXPECT_NE(VerdictOf("{\"RoleArn\":\"arn:aws:iam::111122223333:role/\\u0001r\",\"RoleSessionName\":\"ok\","
                      "\"WebIdentityToken\":\"abcd\"}")
                .find("at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern"),
            std::string::npos);
  // Lengths count characters: 64 two-byte characters are 64, not 128.
  std::string long_name;
  for (int i = 0; i < 64; ++i) long_name += "\xC3\xA9";
  auto input = json::object{{"Name", long_name}};
  StsConstraints constraints(input);
  constraints.String("Name", true, 2, 64, StsPattern::None);
  EXPECT_TRUE(constraints.Verdict().ok());
}

TEST(StsInputTest, IamArns) {
  auto role = ParseIamArn("arn:aws:iam::111122223333:role/path/to/deployer", "role");
  ASSERT_TRUE(role.has_value());
  EXPECT_EQ(role->account, "111122223333");
  EXPECT_EQ(role->name, "deployer");
  EXPECT_TRUE(ParseIamArn("arn:aws:iam::111122223333:saml-provider/corp", "saml-provider").has_value());
  EXPECT_FALSE(ParseIamArn("arn:aws:iam::111122223333:role/r", "saml-provider").has_value());
  EXPECT_FALSE(ParseIamArn("arn:aws:iam::12:role/r", "role").has_value());
  EXPECT_FALSE(ParseIamArn("arn:aws:iam::11112222333x:role/r", "role").has_value());
  EXPECT_FALSE(ParseIamArn("arn:aws:iam::111122223333:role/", "role").has_value());
}

}  // namespace mallard::sts
