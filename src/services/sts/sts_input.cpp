#include "services/sts/sts_input.hpp"

#include <cctype>

#include "common/encoding.hpp"

namespace mallard::sts {
namespace json = boost::json;

namespace {

std::string LowerCamel(const char* member) {
  std::string name(member);
  // "SAMLAssertion" -> "sAMLAssertion": AWS lower-cases only the first letter.
  if (!name.empty()) name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
  return name;
}

const char* PatternText(StsPattern pattern) {
  switch (pattern) {
    case StsPattern::NameCharacters: return "[\\w+=,.@-]*";
    case StsPattern::WordCharacters: return "[\\w]*";
    case StsPattern::ArnCharacters:
      return "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+";
    case StsPattern::PolicyCharacters: return "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+";
    case StsPattern::None: break;
  }
  return "";
}

bool IsWordByte(unsigned char c) { return std::isalnum(c) || c == '_'; }

bool Matches(const std::string& text, StsPattern pattern) {
  switch (pattern) {
    case StsPattern::None: return true;
    case StsPattern::NameCharacters:
      for (unsigned char c : text) {
        if (!IsWordByte(c) && std::string_view("+=,.@-").find(static_cast<char>(c)) == std::string_view::npos) return false;
      }
      return true;
    case StsPattern::WordCharacters:
      for (unsigned char c : text) {
        if (!IsWordByte(c)) return false;
      }
      return true;
    case StsPattern::ArnCharacters:
    case StsPattern::PolicyCharacters: {
      if (text.empty()) return false;
      for (std::size_t i = 0; i < text.size();) {
        Utf8Step step = DecodeUtf8At(text, i);
        if (!step.valid) return false;
        const char32_t c = step.code_point;
        bool ok = c == 0x09 || c == 0x0A || c == 0x0D;
        if (pattern == StsPattern::PolicyCharacters) {
          ok = ok || (c >= 0x20 && c <= 0xFF);
        } else {
          ok = ok || (c >= 0x20 && c <= 0x7E) || c == 0x85 || (c >= 0xA0 && c <= 0xD7FF) ||
               (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
        }
        if (!ok) return false;
        i += step.length;
      }
      return true;
    }
  }
  return true;
}

// Smithy lengths count characters, not UTF-8 bytes.
std::size_t CharacterCount(const std::string& text) {
  std::size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

}  // namespace

void StsConstraints::Add(const std::string& value_part, const char* member, const std::string& constraint) {
  problems_.push_back("Value " + value_part + "at '" + LowerCamel(member) + "' failed to satisfy constraint: " +
                      constraint);
}

std::optional<std::string> StsConstraints::String(const char* member, bool required, std::size_t min, std::size_t max,
                                                  StsPattern pattern, bool sensitive) {
  const auto* value = input_.if_contains(member);
  if (!value || value->is_null()) {
    if (required) Add("null ", member, "Member must not be null");
    return std::nullopt;
  }
  std::string text = value->is_string() ? std::string(value->get_string()) : json::serialize(*value);
  const std::string shown = sensitive ? std::string() : "'" + text + "' ";
  const auto length = CharacterCount(text);
  if (length < min) Add(shown, member, "Member must have length greater than or equal to " + std::to_string(min));
  if (length > max) Add(shown, member, "Member must have length less than or equal to " + std::to_string(max));
  if (!Matches(text, pattern)) {
    Add(shown, member, std::string("Member must satisfy regular expression pattern: ") + PatternText(pattern));
  }
  return text;
}

std::optional<std::int64_t> StsConstraints::Integer(const char* member, std::int64_t min, std::int64_t max) {
  const auto* value = input_.if_contains(member);
  if (!value || value->is_null()) return std::nullopt;
  if (!value->is_int64()) {
    Add("'" + json::serialize(*value) + "' ", member, "Member must be an integer");
    return std::nullopt;
  }
  const auto number = value->get_int64();
  const std::string shown = "'" + std::to_string(number) + "' ";
  if (number < min) Add(shown, member, "Member must have value greater than or equal to " + std::to_string(min));
  if (number > max) Add(shown, member, "Member must have value less than or equal to " + std::to_string(max));
  return number;
}

void StsConstraints::ListLength(const char* member, std::size_t max) {
  const auto* value = input_.if_contains(member);
  if (!value || !value->is_array() || value->get_array().size() <= max) return;
  Add("", member, "Member must have length less than or equal to " + std::to_string(max));
}

Status<> StsConstraints::Verdict() const {
  if (problems_.empty()) return Done{};
  std::string message = std::to_string(problems_.size()) +
                        (problems_.size() == 1 ? " validation error detected: " : " validation errors detected: ");
  for (std::size_t i = 0; i < problems_.size(); ++i) message += (i ? "; " : "") + problems_[i];
  return Fail(StsValidationError(std::move(message)));
}

std::optional<IamArn> ParseIamArn(const std::string& arn, std::string_view kind) {
  const std::string prefix = "arn:aws:iam::";
  if (arn.rfind(prefix, 0) != 0 || arn.size() < prefix.size() + 13) return std::nullopt;
  std::string account = arn.substr(prefix.size(), 12);
  if (account.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  std::string_view rest = std::string_view(arn).substr(prefix.size() + 12);
  if (rest.size() < kind.size() + 3 || rest[0] != ':' || rest.substr(1, kind.size()) != kind ||
      rest[kind.size() + 1] != '/') {
    return std::nullopt;
  }
  std::string name(rest.substr(rest.rfind('/') + 1));
  if (name.empty()) return std::nullopt;
  return IamArn{std::move(account), std::move(name)};
}

}  // namespace mallard::sts
