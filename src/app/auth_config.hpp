#pragma once
// --auth, --credentials-file and --credential: which keys `mallard serve` accepts when it verifies
// SigV4 signatures, and the accounts they belong to.
//
// The credentials file is the AWS shared-credentials format (~/.aws/credentials), so the file an
// SDK signs with can be the one Mallard verifies with; an optional `aws_account_id` per profile (the
// key botocore reads too) names the key's account:
//   [dev]
//   aws_access_key_id = AKIAIOSFODNN7EXAMPLE
//   aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
//   aws_account_id = 111122223333
#include <map>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "gateway/gateway.hpp"

namespace mallard::app {

struct AccessKeyCredential {
  std::string access_key_id;
  std::string secret_access_key;
  std::string account_id;  // empty: the --account map, or the default account
};

// Parses the credentials file's text; returns an error message or "". Profiles without both keys
// are skipped (a profile may use SSO or a role); other keys (region, aws_session_token) are ignored.
std::string ParseCredentialsFile(const std::string& text, const std::string& path, std::vector<AccessKeyCredential>& out);
// Parses one --credential ACCESS_KEY:SECRET[:ACCOUNT]; returns an error message or "".
std::string ParseCredentialFlag(const std::string& flag, AccessKeyCredential& out);
// Reads the auth options into the gateway options: secrets for --auth sigv4, and each credential's
// account into the account map (also without --auth, so that accounts stay consistent). Returns an
// error message or "".
std::string ApplyAuthOptions(const ServeConfig& config, gateway::GatewayOptions& options);

}  // namespace mallard::app
