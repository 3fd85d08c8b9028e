// SNS filter policies: FilterPolicy::Parse over arbitrary text in both scopes, then Matches and
// MatchesBody against a message made from the rest of the input.
// Properties beyond "no crash": every refusal is InvalidParameter with both AWS message forms
// ("Invalid parameter: ..." and its Subscribe variant) carrying the same reason; the same policy
// tree spelled differently (whitespace, escapes, number spelling) gets the same answer; the empty policy
// matches everything; matching is deterministic, a copied policy answers the same, and
// MatchesParsedBody agrees with MatchesBody.
//
// Input layout: byte 0 picks the scope (bit 0: MessageBody); the rest is "<policy>\n<message>",
// where the message is used as the body (MessageBody) and, when it is a JSON object, turned into
// message attributes (strings -> String, numbers -> Number, arrays -> String.Array, other values ->
// String of their JSON, objects {"Type","Value"} -> that attribute as given).
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/targets/strict_checks.hpp"
#include "services/sns/filter/filter_policy.hpp"

namespace json = boost::json;
using namespace mallard;

namespace {

std::map<std::string, sns::FilterAttribute, std::less<>> AttributesFrom(std::string_view message) {
  std::map<std::string, sns::FilterAttribute, std::less<>> attributes;
  json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code error;
  json::value parsed = json::parse(message, error, json::storage_ptr(), options);
  if (error || !parsed.is_object()) return attributes;
  for (const auto& member : parsed.get_object()) {
    const json::value& value = member.value();
    sns::FilterAttribute attribute;
    if (value.is_string()) {
      attribute = {"String", std::string(value.get_string())};
    } else if (value.is_number()) {
      attribute = {"Number", json::serialize(value)};
    } else if (value.is_array()) {
      attribute = {"String.Array", json::serialize(value)};
    } else if (value.is_object() && value.get_object().contains("Type") && value.get_object().contains("Value") &&
               value.get_object().at("Type").is_string() && value.get_object().at("Value").is_string()) {
      attribute = {std::string(value.get_object().at("Type").get_string()),
                   std::string(value.get_object().at("Value").get_string())};
    } else {
      attribute = {"String", json::serialize(value)};
    }
    attributes[std::string(member.key())] = std::move(attribute);
  }
  return attributes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto scope = (data[0] & 1) ? sns::FilterPolicyScope::MessageBody : sns::FilterPolicyScope::MessageAttributes;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::size_t newline = input.find('\n');
  std::string_view policy_text = input.substr(0, newline);
  std::string_view message = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);

  auto parsed = sns::FilterPolicy::Parse(policy_text, scope);
  // SNS compiles the parsed tree, not the text: the same tree written differently (Boost's
  // spelling: other escapes, 1.5E0 for 1.5) must give the same answer, refusal text included.
  {
    boost::system::error_code error;
    json::parse_options options;
    options.max_depth = 32;
    json::stream_parser first(json::storage_ptr(), options);
    first.write_some(policy_text.data(), policy_text.size(), error);
    if (!error && !first.done()) first.finish(error);
    if (!error && first.done()) {
      json::value tree = first.release();
      std::string respelled = json::serialize(tree);
      boost::system::error_code reparse_error;
      // Only when the respelling is the same tree: "Infinity" is not JSON, and Boost's number
      // parsing is not exact for long mantissas, so a respelled double may come back one ulp off.
      json::value reparsed = json::parse(respelled, reparse_error);
      if (!reparse_error && reparsed == tree) {
        auto again = sns::FilterPolicy::Parse(respelled, scope);
        if (again.ok() != parsed.ok() || (!again.ok() && again.error().message != parsed.error().message)) {
          fuzz::FailCheck("the same policy tree spelled differently answered differently: " + respelled, input);
        }
      }
    }
  }
  if (!parsed.ok()) {
    const auto& error = parsed.error();
    if (error.code != "InvalidParameter") fuzz::FailCheck("refusal with code " + error.code, input);
    constexpr std::string_view kPrefix = "Invalid parameter: ";
    constexpr std::string_view kSubscribePrefix = "Invalid parameter: Attributes Reason: ";
    if (!error.message.starts_with(kPrefix) || !error.subscribe_message.starts_with(kSubscribePrefix) ||
        error.message.substr(kPrefix.size()) != error.subscribe_message.substr(kSubscribePrefix.size())) {
      fuzz::FailCheck("refusal messages disagree: " + error.message + " / " + error.subscribe_message, input);
    }
    return 0;
  }
  const sns::FilterPolicy& policy = *parsed;
  const sns::FilterPolicy copy = policy;
  auto attributes = AttributesFrom(message);
  bool by_attributes = policy.Matches(attributes);
  bool by_body = policy.MatchesBody(message);
  if (by_attributes != copy.Matches(attributes) || by_body != copy.MatchesBody(message)) {
    fuzz::FailCheck("matching is not deterministic", input);
  }
  if (policy.matches_everything() && !(by_attributes && by_body)) fuzz::FailCheck("{} refused a message", input);
  json::parse_options options;
  options.max_depth = 64;  // within MatchesBody's own bound, so both parse or neither matters
  boost::system::error_code error;
  json::value parsed_body = json::parse(message, error, json::storage_ptr(), options);
  if (!error && policy.MatchesParsedBody(parsed_body) != by_body) {
    fuzz::FailCheck("MatchesParsedBody disagrees with MatchesBody", input);
  }
  if (!policy.matches_everything()) {
    // A policy of one scope never matches through the other.
    bool other = scope == sns::FilterPolicyScope::MessageBody ? by_attributes : by_body;
    if (other) fuzz::FailCheck("a policy matched through the other scope", input);
  }
  return 0;
}
