// POST Object's form: the incremental multipart/form-data parser and the POST policy (apart from
// the handler, s3_post_object.cpp, so the fuzz target builds them alone).
#include "services/s3/s3_post_form.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>

#include "common/encoding.hpp"
#include "services/s3/xml/s3_errors.hpp"

namespace mallard::s3 {

namespace errors {
AwsError MalformedPostRequest() {
  return S3Error("MalformedPOSTRequest", 400, "The body of your POST request is not well-formed multipart/form-data.");
}
AwsError PostMissingField(std::string_view field) {
  return InvalidArgument("Bucket POST must contain a field named '" + std::string(field) +
                             "'.  If it is specified, please check the order of the fields.",
                         field, "");
}
}  // namespace errors

namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

AwsError PostFileCount(std::string_view count) {
  return errors::InvalidArgument("POST requires exactly one file upload per request.", "file", count);
}

// Splits `name=value; name="quoted value"` parameters (Content-Type, Content-Disposition) after
// the first ';'. Calls `take(name, value)`; false when the syntax is broken.
template <typename Take>
bool ForEachParameter(std::string_view text, Take take) {
  auto semicolon = text.find(';');
  if (semicolon == std::string_view::npos) return true;
  std::string_view rest = text.substr(semicolon + 1);
  while (true) {
    rest = Trim(rest);
    if (rest.empty()) return true;
    auto equals = rest.find('=');
    if (equals == std::string_view::npos) return false;
    std::string name = Lower(Trim(rest.substr(0, equals)));
    rest = Trim(rest.substr(equals + 1));
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      std::size_t i = 1;
      bool closed = false;
      for (; i < rest.size(); ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) {
          value.push_back(rest[++i]);
        } else if (rest[i] == '"') {
          closed = true;
          break;
        } else {
          value.push_back(rest[i]);
        }
      }
      if (!closed) return false;
      rest = Trim(rest.substr(i + 1));
      if (!rest.empty() && rest.front() != ';') return false;
    } else {
      auto end = rest.find(';');
      value = std::string(Trim(rest.substr(0, end)));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    }
    take(name, std::move(value));
    if (rest.empty()) return true;
    rest.remove_prefix(1);  // ';'
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// multipart/form-data

PostFormParser::PostFormParser(std::string boundary) : delimiter_("\r\n--" + boundary), buffer_("\r\n") {}

Result<PostFormParser> PostFormParser::ForContentType(std::string_view content_type) {
  std::string_view type = Trim(content_type.substr(0, content_type.find(';')));
  if (!IEquals(type, "multipart/form-data")) return Fail(errors::MalformedPostRequest());
  std::optional<std::string> boundary;
  bool well_formed = ForEachParameter(content_type, [&](const std::string& name, std::string value) {
    if (name == "boundary") boundary = std::move(value);
  });
  // RFC 2046: 1 to 70 characters, not ending in a space.
  if (!well_formed || !boundary || boundary->empty() || boundary->size() > 70 || boundary->back() == ' ') {
    return Fail(errors::MalformedPostRequest());
  }
  return PostFormParser(std::move(*boundary));
}

Result<Done> PostFormParser::Feed(std::string_view bytes, const Events& events) {
  buffer_.append(bytes);
  while (true) {
    switch (state_) {
      case State::kPreamble: {
        auto found = buffer_.find(delimiter_);
        if (found == std::string::npos) {
          std::size_t keep = std::min(buffer_.size(), delimiter_.size() - 1);
          preamble_bytes_ += buffer_.size() - keep;
          if (preamble_bytes_ > kMaxPostPreambleBytes) return Fail(errors::MalformedPostRequest());
          buffer_.erase(0, buffer_.size() - keep);
          return Done{};
        }
        buffer_.erase(0, found + delimiter_.size());
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kAfterDelimiter: {
        // "--" closes the body; otherwise optional transport padding and CRLF begin a part.
        if (buffer_.size() < 2) return Done{};
        if (buffer_.compare(0, 2, "--") == 0) {
          if (auto ended = EndPart(); !ended) return ended;
          state_ = State::kEpilogue;
          break;
        }
        std::size_t i = 0;
        while (i < buffer_.size() && (buffer_[i] == ' ' || buffer_[i] == '\t')) ++i;
        if (i > 256) return Fail(errors::MalformedPostRequest());
        if (buffer_.size() < i + 2) return Done{};
        if (buffer_.compare(i, 2, "\r\n") != 0) return Fail(errors::MalformedPostRequest());
        if (auto ended = EndPart(); !ended) return ended;
        buffer_.erase(0, i + 2);
        state_ = State::kHeaders;
        break;
      }
      case State::kHeaders: {
        std::size_t block_end;
        std::size_t consumed;
        if (buffer_.size() >= 2 && buffer_.compare(0, 2, "\r\n") == 0) {
          block_end = 0;  // a part without headers (and so without a name: refused below)
          consumed = 2;
        } else {
          auto found = buffer_.find("\r\n\r\n");
          if (found == std::string::npos) {
            if (buffer_.size() > kMaxPostPartHeaderBytes) return Fail(errors::MalformedPostRequest());
            return Done{};
          }
          block_end = found;
          consumed = found + 4;
        }
        if (block_end > kMaxPostPartHeaderBytes) return Fail(errors::MalformedPostRequest());
        std::string block = buffer_.substr(0, block_end);
        buffer_.erase(0, consumed);
        if (auto parsed = ParsePartHeaders(block, events); !parsed) return parsed;
        state_ = State::kBody;
        break;
      }
      case State::kBody: {
        auto found = buffer_.find(delimiter_);
        if (found == std::string::npos) {
          // Keep a tail that may be the start of a delimiter split across pieces.
          std::size_t keep = std::min(buffer_.size(), delimiter_.size() - 1);
          if (auto emitted = Emit(std::string_view(buffer_).substr(0, buffer_.size() - keep), events); !emitted) {
            return emitted;
          }
          buffer_.erase(0, buffer_.size() - keep);
          return Done{};
        }
        if (auto emitted = Emit(std::string_view(buffer_).substr(0, found), events); !emitted) return emitted;
        buffer_.erase(0, found + delimiter_.size());
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kEpilogue:
        buffer_.clear();  // whatever follows the closing delimiter is ignored
        return Done{};
    }
  }
}

Result<Done> PostFormParser::ParsePartHeaders(std::string_view block, const Events& events) {
  current_ = PostFormField{};
  in_part_ = true;
  bool has_name = false;
  bool form_data = false;
  while (!block.empty()) {
    auto end = block.find("\r\n");
    std::string_view line = block.substr(0, end);
    block = end == std::string_view::npos ? std::string_view() : block.substr(end + 2);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return Fail(errors::MalformedPostRequest());
    std::string_view name = Trim(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    if (IEquals(name, "content-disposition")) {
      form_data = IEquals(Trim(value.substr(0, value.find(';'))), "form-data");
      bool well_formed = ForEachParameter(value, [&](const std::string& parameter, std::string parameter_value) {
        if (parameter == "name") {
          current_.name = std::move(parameter_value);
          has_name = true;
        } else if (parameter == "filename") {
          current_.filename = std::move(parameter_value);
        }
      });
      if (!well_formed) return Fail(errors::MalformedPostRequest());
    } else if (IEquals(name, "content-type")) {
      current_.content_type = std::string(value);
    }
  }
  if (!form_data || !has_name || current_.name.empty()) return Fail(errors::MalformedPostRequest());
  if (IEquals(current_.name, "file")) {
    if (saw_file_) return Fail(PostFileCount("2"));
    saw_file_ = true;
    part_ = PartKind::kFile;
    if (events.file_start) return events.file_start(current_);
    return Done{};
  }
  // Fields after the file are ignored, as S3 ignores them.
  part_ = after_file_ ? PartKind::kIgnored : PartKind::kField;
  if (part_ == PartKind::kField) {
    pre_data_bytes_ += current_.name.size();
    if (pre_data_bytes_ > kMaxPostPreDataBytes) {
      return Fail(S3Error("MaxPostPreDataLengthExceeded", 400,
                          "Your POST request fields preceeding the upload file was too large.",
                          {{"MaxPostPreDataLength", std::to_string(kMaxPostPreDataBytes)}}));
    }
  }
  return Done{};
}

Result<Done> PostFormParser::Emit(std::string_view bytes, const Events& events) {
  if (bytes.empty()) return Done{};
  switch (part_) {
    case PartKind::kField:
      pre_data_bytes_ += bytes.size();
      if (pre_data_bytes_ > kMaxPostPreDataBytes) {
        return Fail(S3Error("MaxPostPreDataLengthExceeded", 400,
                            "Your POST request fields preceeding the upload file was too large.",
                            {{"MaxPostPreDataLength", std::to_string(kMaxPostPreDataBytes)}}));
      }
      current_.value.append(bytes);
      return Done{};
    case PartKind::kFile:
      file_size_ += bytes.size();
      if (events.file_bytes) return events.file_bytes(bytes);
      return Done{};
    case PartKind::kIgnored:
      return Done{};
  }
  return Done{};
}

Result<Done> PostFormParser::EndPart() {
  // The first delimiter ends the preamble, not a part.
  if (!in_part_) return Done{};
  in_part_ = false;
  if (part_ == PartKind::kField) fields_.push_back(std::move(current_));
  if (part_ == PartKind::kFile) after_file_ = true;
  part_ = PartKind::kIgnored;
  current_ = PostFormField{};
  return Done{};
}

Result<Done> PostFormParser::Finish() const {
  if (state_ != State::kEpilogue) return Fail(errors::MalformedPostRequest());
  if (!saw_file_) return Fail(PostFileCount("0"));
  return Done{};
}

// ---------------------------------------------------------------------------------------------
// The policy

std::optional<std::int64_t> ParsePolicyExpiration(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fff…]Z
  auto digits = [&](std::size_t at, std::size_t count) -> std::optional<int> {
    if (at + count > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  auto hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  std::size_t at = 19;
  int millis = 0;
  if (at < text.size() && text[at] == '.') {
    ++at;
    std::size_t start = at;
    int scale = 100;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      millis += (text[at] - '0') * scale;
      scale /= 10;
      ++at;
    }
    if (at == start) return std::nullopt;
  }
  if (at + 1 != text.size() || (text[at] != 'Z' && text[at] != 'z')) return std::nullopt;
  std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                                   std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  std::int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  return ((days * 24 + *hour) * 60 + *minute) * 60'000LL + *second * 1000LL + millis;
}

namespace {

AwsError InvalidPolicy(std::string_view detail) {
  return S3Error("InvalidPolicyDocument", 400, "Invalid Policy: " + std::string(detail));
}

AwsError PolicyDenied(std::string_view detail) {
  return S3Error("AccessDenied", 403, "Invalid according to Policy: " + std::string(detail));
}

// A JSON scalar as S3 quotes it in a failed condition: strings as they are, numbers as text.
std::string ScalarText(const boost::json::value& value) {
  if (value.is_string()) return std::string(value.get_string());
  if (value.is_int64()) return std::to_string(value.get_int64());
  if (value.is_uint64()) return std::to_string(value.get_uint64());
  if (value.is_double()) return boost::json::serialize(value);
  if (value.is_bool()) return value.get_bool() ? "true" : "false";
  return boost::json::serialize(value);
}

std::string Render(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += "\"" + items[i] + "\"";
  }
  return out + "]";
}

std::optional<std::uint64_t> LengthBound(const boost::json::value& value) {
  if (value.is_int64()) return value.get_int64() < 0 ? std::nullopt : std::optional<std::uint64_t>(value.get_int64());
  if (value.is_uint64()) return value.get_uint64();
  if (value.is_string()) {
    std::string_view text = value.get_string();
    if (text.empty() || text.size() > 19) return std::nullopt;
    std::uint64_t number = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return std::nullopt;
      number = number * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return number;
  }
  return std::nullopt;
}

// Fields no condition has to name: the signature's own and the file (and x-ignore-* by design).
bool ExemptFromPolicy(std::string_view lower_name) {
  return lower_name == "awsaccesskeyid" || lower_name == "signature" || lower_name == "x-amz-signature" ||
         lower_name == "file" || lower_name == "policy" || lower_name.rfind("x-ignore-", 0) == 0;
}

}  // namespace

Result<PostPolicy> PostPolicy::Parse(std::string_view base64_policy) {
  auto decoded = Base64Decode(base64_policy);
  if (!decoded) return Fail(InvalidPolicy("Invalid Base64 data."));
  boost::json::parse_options options;
  options.max_depth = 64;
  std::error_code parse_error;
  boost::json::value document = boost::json::parse(*decoded, parse_error, {}, options);
  if (parse_error || !document.is_object()) return Fail(InvalidPolicy("Invalid JSON."));
  const auto& root = document.get_object();
  PostPolicy policy;
  const auto* expiration = root.if_contains("expiration");
  if (expiration == nullptr) return Fail(InvalidPolicy("Policy missing expiration."));
  std::optional<std::int64_t> millis;
  if (expiration->is_string()) millis = ParsePolicyExpiration(expiration->get_string());
  if (!millis) return Fail(InvalidPolicy("Invalid 'expiration' value: '" + ScalarText(*expiration) + "'"));
  policy.expiration_millis_ = *millis;
  const auto* conditions = root.if_contains("conditions");
  if (conditions == nullptr) return Fail(InvalidPolicy("Policy missing conditions."));
  if (!conditions->is_array()) return Fail(InvalidPolicy("Invalid JSON."));
  for (const auto& entry : conditions->get_array()) {
    Condition condition;
    if (entry.is_object()) {
      const auto& object = entry.get_object();
      if (object.size() != 1) {
        return Fail(InvalidPolicy("Invalid Simple-Condition: Simple-Conditions must have exactly one property specified."));
      }
      const auto& [name, value] = *object.begin();
      if (!value.is_string()) return Fail(InvalidPolicy("Invalid Simple-Condition: value must be a string."));
      std::string field(name);
      if (!field.empty() && field.front() == '$') field.erase(0, 1);
      condition.field = Lower(field);
      condition.value = std::string(value.get_string());
      condition.rendered = Render({"eq", std::string(name), condition.value});
    } else if (entry.is_array()) {
      const auto& items = entry.get_array();
      std::vector<std::string> texts;
      for (const auto& item : items) texts.push_back(ScalarText(item));
      condition.rendered = Render(texts);
      condition.kind = Condition::Kind::kMalformed;
      std::string operation = !items.empty() && items[0].is_string() ? Lower(items[0].get_string()) : std::string();
      if (operation == "content-length-range" && items.size() == 3) {
        condition.kind = Condition::Kind::kLengthRange;
        condition.min = LengthBound(items[1]);
        condition.max = LengthBound(items[2]);
      } else if ((operation == "eq" || operation == "starts-with") && items.size() == 3 && items[1].is_string() &&
                 items[2].is_string() && !items[1].get_string().empty() && items[1].get_string().front() == '$') {
        condition.kind = operation == "eq" ? Condition::Kind::kEquals : Condition::Kind::kStartsWith;
        condition.field = Lower(std::string_view(items[1].get_string()).substr(1));
        condition.value = std::string(items[2].get_string());
      }
    } else {
      return Fail(InvalidPolicy("Invalid Condition: a condition must be an object or an array."));
    }
    policy.conditions_.push_back(std::move(condition));
  }
  return policy;
}

Result<Done> PostPolicy::CheckFields(const std::vector<PostFormField>& fields, std::string_view bucket,
                                     std::int64_t now_millis) const {
  if (now_millis >= expiration_millis_) return Fail(PolicyDenied("Policy expired."));
  auto value_of = [&](const std::string& field) -> std::string {
    if (field == "bucket") return std::string(bucket);
    for (const auto& entry : fields) {
      if (IEquals(entry.name, field)) return entry.value;
    }
    return {};
  };
  for (const auto& condition : conditions_) {
    if (condition.kind == Condition::Kind::kLengthRange) continue;
    bool holds = false;
    if (condition.kind == Condition::Kind::kEquals) {
      holds = value_of(condition.field) == condition.value;
    } else if (condition.kind == Condition::Kind::kStartsWith) {
      std::string value = value_of(condition.field);
      if (condition.field == "content-type") {
        // A Content-Type with commas is a list: every member must start with the prefix.
        holds = true;
        std::string_view rest = value;
        while (true) {
          auto comma = rest.find(',');
          if (Trim(rest.substr(0, comma)).rfind(condition.value, 0) != 0) holds = false;
          if (comma == std::string_view::npos) break;
          rest.remove_prefix(comma + 1);
        }
      } else {
        holds = value.rfind(condition.value, 0) == 0;
      }
    }
    if (!holds) return Fail(PolicyDenied("Policy Condition failed: " + condition.rendered));
  }
  for (const auto& entry : fields) {
    std::string name = Lower(entry.name);
    if (ExemptFromPolicy(name)) continue;
    bool named = std::any_of(conditions_.begin(), conditions_.end(), [&](const Condition& condition) {
        return (condition.kind == Condition::Kind::kEquals || condition.kind == Condition::Kind::kStartsWith) &&
             condition.field == name;
    });
    if (!named) return Fail(PolicyDenied("Extra input fields: " + entry.name));
  }
  return Done{};
}

Result<Done> PostPolicy::CheckLength(std::uint64_t size) const {
  for (const auto& condition : conditions_) {
    if (condition.kind != Condition::Kind::kLengthRange) continue;
    if (!condition.min || !condition.max) return Fail(PolicyDenied("Policy Condition failed: " + condition.rendered));
    if (size > *condition.max) return Fail(errors::EntityTooLarge(size, *condition.max));
    if (size < *condition.min) {
      return Fail(S3Error("EntityTooSmall", 400, "Your proposed upload is smaller than the minimum allowed size",
                          {{"ProposedSize", std::to_string(size)}, {"MinSizeAllowed", std::to_string(*condition.min)}}));
    }
  }
  return Done{};
}

std::optional<std::uint64_t> PostPolicy::MaxLength() const {
  std::optional<std::uint64_t> smallest;
  for (const auto& condition : conditions_) {
    if (condition.kind != Condition::Kind::kLengthRange || !condition.max) continue;
    smallest = smallest ? std::min(*smallest, *condition.max) : *condition.max;
  }
  return smallest;
}

}  // namespace mallard::s3
