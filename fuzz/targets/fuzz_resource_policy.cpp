// Resource-based policies (services/kit/resource_policy): ResourcePolicy::Parse over arbitrary text,
// then Evaluate against a request made from the rest of the input; WildcardMatch and ArnMatch over
// input-made patterns.
// Properties beyond "no crash, no hang": a refusal has a message; evaluation is deterministic and a
// copied policy answers the same; the answer does not change when the action or the condition keys
// change case (IAM compares both case-insensitively); the same document with a Deny-everything
// statement appended parses and answers ExplicitDeny; StatementIds never outnumber the statements;
// on ASCII, WildcardMatch agrees with a dynamic-programming reference, and a pattern without
// wildcards matches itself.
//
// Input layout: "<policy>\n<account>\n<principal arn>\n<service principal>\n<action>\n<resource>\n"
// followed by "key=value" lines for the condition context; missing lines are empty.
#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/targets/strict_checks.hpp"
#include "services/kit/resource_policy.hpp"

namespace json = boost::json;
using namespace mallard;
using namespace mallard::services::kit;

namespace {

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    std::size_t newline = text.find('\n');
    lines.push_back(text.substr(0, newline));
    if (newline == std::string_view::npos) break;
    text.remove_prefix(newline + 1);
  }
  return lines;
}

bool IsAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool ReferenceMatch(std::string_view pattern, std::string_view text) {
  std::vector<std::vector<char>> matches(pattern.size() + 1, std::vector<char>(text.size() + 1, 0));
  matches[0][0] = 1;
  for (std::size_t i = 1; i <= pattern.size(); ++i) {
    matches[i][0] = matches[i - 1][0] && pattern[i - 1] == '*';
    for (std::size_t j = 1; j <= text.size(); ++j) {
      char p = pattern[i - 1];
      matches[i][j] = p == '*' ? (matches[i - 1][j] || matches[i][j - 1])
                               : (matches[i - 1][j - 1] && (p == '?' || p == text[j - 1]));
    }
  }
  return matches[pattern.size()][text.size()];
}

std::string Upper(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return upper;
}

void CheckWildcards(std::string_view pattern, std::string_view text, std::string_view input) {
  bool match = WildcardMatch(pattern, text);
  if (pattern.size() <= 64 && text.size() <= 256 && IsAscii(pattern) && IsAscii(text) &&
      match != ReferenceMatch(pattern, text)) {
    fuzz::FailCheck("WildcardMatch disagrees with the reference", input);
  }
  if (match && !WildcardMatch(pattern, text, true)) fuzz::FailCheck("a case-sensitive match fails ignoring case", input);
  if (pattern.find_first_of("*?") == std::string_view::npos && !WildcardMatch(pattern, pattern)) {
    fuzz::FailCheck("a literal pattern does not match itself", input);
  }
  if (!WildcardMatch("*", text) || !ArnMatch("*", text)) fuzz::FailCheck("\"*\" refused a text", input);
  (void)ArnMatch(pattern, text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines = Lines(input);
  auto line = [&](std::size_t i) { return i < lines.size() ? lines[i] : std::string_view(); };

  PolicyRequest request;
  request.principal_account = line(1);
  request.principal_arn = line(2);
  request.service_principal = line(3);
  request.action = line(4);
  request.resource = line(5);
  for (std::size_t i = 6; i < lines.size(); ++i) {
    std::size_t equals = lines[i].find('=');
    request.context[std::string(lines[i].substr(0, equals))] =
        equals == std::string_view::npos ? std::string() : std::string(lines[i].substr(equals + 1));
  }
  CheckWildcards(request.action, request.resource, input);
  CheckWildcards(request.principal_arn, request.resource, input);

  auto parsed = ResourcePolicy::Parse(line(0));
  if (!parsed.ok()) {
    if (parsed.error().message.empty()) fuzz::FailCheck("a refusal without a message", input);
    return 0;
  }
  const ResourcePolicy& policy = *parsed;
  const ResourcePolicy copy = policy;
  const PolicyDecision decision = policy.Evaluate(request);
  if (copy.Evaluate(request) != decision || policy.Evaluate(request) != decision) {
    fuzz::FailCheck("evaluation is not deterministic", input);
  }
  if (policy.StatementIds().size() > policy.statement_count()) fuzz::FailCheck("more Sids than statements", input);

  PolicyRequest shouted = request;
  shouted.action = Upper(request.action);
  shouted.context.clear();
  bool keys_collide = false;
  for (const auto& [key, value] : request.context) {
    keys_collide = keys_collide || !shouted.context.emplace(Upper(key), value).second;
  }
  if (!keys_collide && policy.Evaluate(shouted) != decision) {
    fuzz::FailCheck("the action's or a condition key's case changed the answer", input);
  }

  // Whatever the document allows, an appended Deny of everything to everyone wins.
  json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code error;
  json::value document = json::parse(line(0), error, json::storage_ptr(), options);
  if (error || !document.is_object()) fuzz::FailCheck("Parse accepted what Boost.JSON refuses", input);
  json::value& statements = document.get_object()["Statement"];
  if (!statements.is_array()) statements = json::array{statements};
  statements.get_array().push_back(json::object{{"Effect", "Deny"}, {"Principal", "*"}, {"Action", "*"}});
  std::string denied_text = json::serialize(document);
  auto denied = ResourcePolicy::Parse(denied_text);
  if (!denied.ok()) fuzz::FailCheck("appending a Deny statement made the policy invalid: " + denied.error().message, input);
  if (denied->Evaluate(request) != PolicyDecision::ExplicitDeny) fuzz::FailCheck("an appended Deny did not win", input);
  return 0;
}
