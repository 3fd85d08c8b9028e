#include "app/auth_config.hpp"

#include <fstream>
#include <sstream>

namespace mallard::app {
namespace {

std::string Trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  auto end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

bool IsAccountId(const std::string& text) {
  return text.size() == 12 && text.find_first_not_of("0123456789") == std::string::npos;
}

// Secrets and keys are printed masked: the first four characters are enough to tell keys apart.
std::string Masked(const std::string& key) { return key.substr(0, 4) + "…"; }

}  // namespace

std::string ParseCredentialsFile(const std::string& text, const std::string& path, std::vector<AccessKeyCredential>& out) {
  std::istringstream lines(text);
  std::string line, profile;
  AccessKeyCredential current;
  int line_number = 0;
  auto finish_profile = [&]() -> std::string {
    if (!current.account_id.empty() && !IsAccountId(current.account_id)) {
      return path + ": profile [" + profile + "]: aws_account_id must be 12 digits";
    }
    if (!current.access_key_id.empty() && !current.secret_access_key.empty()) out.push_back(current);
    current = {};
    return {};
  };
  while (std::getline(lines, line)) {
    ++line_number;
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return path + ":" + std::to_string(line_number) + ": a profile header is [name]";
      if (auto error = finish_profile(); !error.empty()) return error;
      profile = Trim(line.substr(1, line.size() - 2));
      continue;
    }
    auto equals = line.find('=');
    if (equals == std::string::npos) return path + ":" + std::to_string(line_number) + ": expected key = value";
    if (profile.empty()) return path + ":" + std::to_string(line_number) + ": a setting before the first [profile]";
    std::string key = Trim(line.substr(0, equals));
    std::string value = Trim(line.substr(equals + 1));
    if (key == "aws_access_key_id") current.access_key_id = value;
    if (key == "aws_secret_access_key") current.secret_access_key = value;
    if (key == "aws_account_id") current.account_id = value;
  }
  return finish_profile();
}

std::string ParseCredentialFlag(const std::string& flag, AccessKeyCredential& out) {
  auto first = flag.find(':');
  if (first == std::string::npos || first == 0 || first + 1 == flag.size()) {
    return "bad --credential (want ACCESS_KEY:SECRET[:ACCOUNT])";
  }
  out.access_key_id = flag.substr(0, first);
  std::string rest = flag.substr(first + 1);
  auto second = rest.find(':');
  out.secret_access_key = rest.substr(0, second);
  out.account_id = second == std::string::npos ? std::string() : rest.substr(second + 1);
  if (out.secret_access_key.empty()) return "bad --credential for " + Masked(out.access_key_id) + ": empty secret";
  if (second != std::string::npos && !IsAccountId(out.account_id)) {
    return "bad --credential for " + Masked(out.access_key_id) + ": the account must be 12 digits";
  }
  return {};
}

std::string ApplyAuthOptions(const ServeConfig& config, gateway::GatewayOptions& options) {
  std::vector<AccessKeyCredential> credentials;
  if (!config.credentials_file.empty()) {
    std::ifstream file(config.credentials_file);
    if (!file) return "cannot read credentials file " + config.credentials_file;
    std::stringstream text;
    text << file.rdbuf();
    if (auto error = ParseCredentialsFile(text.str(), config.credentials_file, credentials); !error.empty()) return error;
  }
  for (const auto& flag : config.credentials) {
    AccessKeyCredential credential;
    if (auto error = ParseCredentialFlag(flag, credential); !error.empty()) return error;
    credentials.push_back(std::move(credential));
  }
  for (const auto& credential : credentials) {
    auto [secret, inserted] = options.secret_by_access_key.emplace(credential.access_key_id, credential.secret_access_key);
    if (!inserted && secret->second != credential.secret_access_key) {
      return "access key " + Masked(credential.access_key_id) + " is given twice with different secrets";
    }
    if (credential.account_id.empty()) continue;
    auto [account, added] = options.account_by_access_key.emplace(credential.access_key_id, credential.account_id);
    if (!added && account->second != credential.account_id) {
      return "access key " + Masked(credential.access_key_id) + " belongs to account " + account->second +
             " (--account) and " + credential.account_id + " (its credential)";
    }
  }
  options.verify_signatures = config.auth == "sigv4";
  if (options.verify_signatures && options.secret_by_access_key.empty()) {
    return "--auth sigv4 needs credentials: --credentials-file FILE or --credential ACCESS_KEY:SECRET[:ACCOUNT]";
  }
  if (!options.verify_signatures) options.secret_by_access_key.clear();
  return {};
}

}  // namespace mallard::app
