// S3 POST Object's form: PostFormParser over an arbitrary Content-Type and body, fed whole and in
// pieces of a size the input chooses, and PostPolicy over the form's `policy` field.
// Properties beyond "no crash": the outcome (error code, fields, file bytes, filename) does not
// depend on where the body was split; every error is one of S3's codes for a form; the fields
// before the file stay within S3's 20 KB; a policy either parses or is InvalidPolicyDocument, and
// its checks answer AccessDenied / EntityTooSmall / EntityTooLarge or pass.
//
// Input layout: byte 0 = piece size - 1, then "<content-type>\n<body>".
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/s3/s3_post_form.hpp"

using namespace mallard;
using namespace mallard::s3;

namespace {

struct Outcome {
  std::string error;  // code; empty when the form parsed
  std::vector<PostFormField> fields;
  std::string file;
  std::optional<std::string> filename;
  bool file_started = false;
};

Outcome Parse(std::string_view content_type, std::string_view body, std::size_t piece) {
  Outcome outcome;
  auto parser = PostFormParser::ForContentType(content_type);
  if (!parser) {
    outcome.error = parser.error().code;
    return outcome;
  }
  PostFormParser::Events events;
  events.file_start = [&](const PostFormField& file) -> Result<Done> {
    if (outcome.file_started) std::abort();  // a second file must be refused before it starts
    outcome.file_started = true;
    outcome.filename = file.filename;
    return Done{};
  };
  events.file_bytes = [&](std::string_view bytes) -> Result<Done> {
    if (!outcome.file_started) std::abort();
    outcome.file.append(bytes);
    return Done{};
  };
  for (std::size_t at = 0; at < body.size(); at += piece) {
    if (auto fed = parser.value().Feed(body.substr(at, piece), events); !fed) {
      outcome.error = fed.error().code;
      return outcome;
    }
  }
  if (auto finished = parser.value().Finish(); !finished) {
    outcome.error = finished.error().code;
    return outcome;
  }
  outcome.fields = parser.value().fields();
  if (outcome.file.size() != parser.value().file_size()) std::abort();
  return outcome;
}

bool IsFormError(const std::string& code) {
  return code.empty() || code == "MalformedPOSTRequest" || code == "InvalidArgument" ||
         code == "MaxPostPreDataLengthExceeded";
}

bool SameFields(const std::vector<PostFormField>& a, const std::vector<PostFormField>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].value != b[i].value || a[i].filename != b[i].filename) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t piece = static_cast<std::size_t>(data[0]) + 1;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  auto newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  std::string_view content_type = input.substr(0, newline);
  std::string_view body = input.substr(newline + 1);

  Outcome whole = Parse(content_type, body, body.size() + 1);
  Outcome pieces = Parse(content_type, body, piece);
  Outcome bytes = Parse(content_type, body, 1);
  for (const Outcome* other : {&pieces, &bytes}) {
    // A file refused at its start (a second file) may have begun in one split and not another only
    // if the outcome differs: it must not.
    if (other->error != whole.error) std::abort();
    if (whole.error.empty() && (!SameFields(other->fields, whole.fields) || other->file != whole.file ||
                                other->filename != whole.filename)) {
      std::abort();
    }
  }
  if (!IsFormError(whole.error)) std::abort();
  if (!whole.error.empty()) return 0;
  std::size_t pre_data = 0;
  for (const auto& field : whole.fields) pre_data += field.name.size() + field.value.size();
  if (pre_data > kMaxPostPreDataBytes) std::abort();

  for (const auto& field : whole.fields) {
    if (field.name != "policy") continue;
    auto policy = PostPolicy::Parse(field.value);
    if (!policy) {
      if (policy.error().code != "InvalidPolicyDocument") std::abort();
      continue;
    }
    auto checked = policy.value().CheckFields(whole.fields, "bucket", 1'767'225'600'000);
    if (!checked && checked.error().code != "AccessDenied") std::abort();
    auto length = policy.value().CheckLength(whole.file.size());
    if (!length && length.error().code != "AccessDenied" && length.error().code != "EntityTooSmall" &&
        length.error().code != "EntityTooLarge") {
      std::abort();
    }
    if (auto max = policy.value().MaxLength(); max && whole.file.size() > *max && length) std::abort();
  }
  return 0;
}
