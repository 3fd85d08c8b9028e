// S3's CORS (see s3_cors.hpp).
#include "services/s3/s3_cors.hpp"

#include <algorithm>

#include "services/s3/s3_call.hpp"
#include "services/s3/s3_configuration_common.hpp"
#include "services/s3/xml/s3_errors.hpp"
#include "services/s3/xml/s3_xml.hpp"

namespace mallard::s3 {

namespace {

constexpr std::string_view kVary = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

bool IsCorsMethod(std::string_view method) {
  return method == "GET" || method == "PUT" || method == "POST" || method == "DELETE" || method == "HEAD";
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualText(std::string_view a, std::string_view b, bool case_insensitive) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (case_insensitive ? Lower(a[i]) != Lower(b[i]) : a[i] != b[i]) return false;
  }
  return true;
}

std::string Join(const std::vector<std::string>& items) {
  std::string joined;
  for (const auto& item : items) {
    if (!joined.empty()) joined += ", ";
    joined += item;
  }
  return joined;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Access-Control-Request-Headers: a comma-separated list; names compared in lower case.
std::vector<std::string> RequestedHeaders(const std::string* header) {
  std::vector<std::string> names;
  if (header == nullptr) return names;
  std::string_view rest = *header;
  while (true) {
    auto comma = rest.find(',');
    std::string_view name = Trim(rest.substr(0, comma));
    if (!name.empty()) {
      std::string lower(name);
      std::transform(lower.begin(), lower.end(), lower.begin(), Lower);
      names.push_back(std::move(lower));
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return names;
}

// The headers a matching rule adds, preflight or not.
void AddRuleHeaders(const CorsRule& rule, std::string_view origin, http::HttpResponse& response) {
  bool any_origin = std::find(rule.allowed_origins.begin(), rule.allowed_origins.end(), "*") != rule.allowed_origins.end();
  // A rule that allows every origin answers "*" (and no credentials); otherwise the origin itself.
  response.SetHeader("Access-Control-Allow-Origin", any_origin ? std::string("*") : std::string(origin));
  if (!any_origin) response.SetHeader("Access-Control-Allow-Credentials", "true");
  response.SetHeader("Access-Control-Allow-Methods", Join(rule.allowed_methods));
  if (!rule.expose_headers.empty()) response.SetHeader("Access-Control-Expose-Headers", Join(rule.expose_headers));
  if (rule.max_age_seconds) response.SetHeader("Access-Control-Max-Age", std::to_string(*rule.max_age_seconds));
  response.SetHeader("Vary", std::string(kVary));
}

AwsError Forbidden(std::string message, std::string_view method, const S3Call& call) {
  return S3Error("AccessForbidden", 403, "CORSResponse: " + message,
                 {{"Method", std::string(method)}, {"ResourceType", call.key().empty() ? "BUCKET" : "OBJECT"}});
}

void PutBucketCors(const std::shared_ptr<S3Call>& call) {
  // The document is limited to 64 KB (AWS's PutBucketCors reference).
  if (call->http().body.size() > 64 * 1024) {
    return call->Fail(S3Error("MaxMessageLengthExceeded", 400, "Your request was too big.",
                              {{"MaxMessageLengthBytes", std::to_string(64 * 1024)}}));
  }
  auto document = config::ParseRoot(*call, "CORSConfiguration");
  if (!document) return call->Fail(document.error());
  auto rule_nodes = Children(document.value().Root(), "CORSRule");
  if (rule_nodes.empty() || rule_nodes.size() > 100) return call->Fail(errors::MalformedXml());
  XmlWriter xml("CORSConfiguration");
  for (pugi::xml_node node : rule_nodes) {
    auto texts = [&](std::string_view name) {
      std::vector<std::string> values;
      for (pugi::xml_node child : Children(node, name)) values.emplace_back(child.text().get());
      return values;
    };
    auto ids = texts("ID");
    auto headers = texts("AllowedHeader");
    auto methods = texts("AllowedMethod");
    auto origins = texts("AllowedOrigin");
    auto exposed = texts("ExposeHeader");
    auto max_ages = texts("MaxAgeSeconds");
    if (methods.empty() || origins.empty() || ids.size() > 1 || max_ages.size() > 1) {
      return call->Fail(errors::MalformedXml());
    }
    if (!ids.empty() && ids.front().size() > 255) {
      return call->Fail(errors::InvalidArgument("The ID of a CORS rule cannot be longer than 255 characters", "ID",
                                                ids.front()));
    }
    for (const auto& method : methods) {
      if (!IsCorsMethod(method)) {
        return call->Fail(errors::InvalidRequest("Found unsupported HTTP method in CORS config. Unsupported method is " + method));
      }
    }
    for (const auto& origin : origins) {
      if (std::count(origin.begin(), origin.end(), '*') > 1) {
        return call->Fail(errors::InvalidRequest("AllowedOrigin \"" + origin + "\" can not have more than one wildcard."));
      }
    }
    for (const auto& header : headers) {
      if (std::count(header.begin(), header.end(), '*') > 1) {
        return call->Fail(errors::InvalidRequest("AllowedHeader \"" + header + "\" can not have more than one wildcard."));
      }
    }
    std::optional<std::int64_t> max_age;
    if (!max_ages.empty()) {
      const std::string& text = max_ages.front();
      bool digits = !text.empty() && text.size() <= 10 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits || std::stoll(text) > 2147483647) return call->Fail(errors::MalformedXml());
      max_age = std::stoll(text);
    }
    xml.Open("CORSRule");
    if (!ids.empty()) xml.Element("ID", ids.front());
    for (const auto& header : headers) xml.Element("AllowedHeader", header);
    for (const auto& method : methods) xml.Element("AllowedMethod", method);
    for (const auto& origin : origins) xml.Element("AllowedOrigin", origin);
    for (const auto& header : exposed) xml.Element("ExposeHeader", header);
    if (max_age) xml.Element("MaxAgeSeconds", *max_age);
    xml.Close();
  }
  config::Store(call, "cors", xml.Finish());
}

AwsError NoSuchCorsConfiguration(std::string_view bucket) {
  return config::NotConfigured("NoSuchCORSConfiguration", "The CORS configuration does not exist", bucket);
}

void GetBucketCors(const std::shared_ptr<S3Call>& call) { config::Return(call, "cors", NoSuchCorsConfiguration); }
void DeleteBucketCors(const std::shared_ptr<S3Call>& call) { config::Remove(call, "cors"); }

// The browser's preflight: OPTIONS with Origin and Access-Control-Request-Method (+Headers).
void OptionsObject(const std::shared_ptr<S3Call>& call) {
  const std::string* origin = call->Header("origin");
  if (origin == nullptr) {
    return call->Fail(S3Error("BadRequest", 400, "Insufficient information. Origin request header needed."));
  }
  const std::string* requested_method = call->Header("access-control-request-method");
  std::string method = requested_method != nullptr ? *requested_method : std::string("OPTIONS");
  call->Run([call, origin = *origin, method, has_method = requested_method != nullptr] {
    auto bucket = call->store().GetBucket(call->bucket());
    if (!bucket) {
      if (bucket.error().code == StoreErrc::BucketNotFound) return call->Fail(Forbidden("Bucket not found", method, *call));
      return call->Fail(bucket.error());
    }
    const std::string* stored = bucket.value().Configuration("cors");
    if (stored == nullptr) return call->Fail(Forbidden("CORS is not enabled for this bucket.", method, *call));
    auto rules = ParseCorsRules(*stored);
    auto requested_headers = RequestedHeaders(call->Header("access-control-request-headers"));
    auto matched = has_method ? MatchCorsRule(rules, origin, method, requested_headers) : std::nullopt;
    if (!matched) {
      return call->Fail(Forbidden("This CORS request is not allowed. This is usually because the evalution of Origin, "
                                  "request method / Access-Control-Request-Method or Access-Control-Request-Headers "
                                  "are not whitelisted by the resource's CORS spec.",
                                  method, *call));
    }
    http::HttpResponse response;
    response.status = 200;
    AddRuleHeaders(rules[*matched], origin, response);
    if (!requested_headers.empty()) response.SetHeader("Access-Control-Allow-Headers", Join(requested_headers));
    call->Reply(std::move(response));
  });
}

}  // namespace

bool CorsWildcardMatch(std::string_view pattern, std::string_view text, bool case_insensitive) {
  auto star = pattern.find('*');
  if (star == std::string_view::npos) return EqualText(pattern, text, case_insensitive);
  std::string_view head = pattern.substr(0, star);
  std::string_view tail = pattern.substr(star + 1);
  if (text.size() < head.size() + tail.size()) return false;
  return EqualText(head, text.substr(0, head.size()), case_insensitive) &&
         EqualText(tail, text.substr(text.size() - tail.size()), case_insensitive);
}

std::vector<CorsRule> ParseCorsRules(std::string_view stored_document) {
  std::vector<CorsRule> rules;
  auto document = ParseXml(stored_document);
  if (!document) return rules;
  for (pugi::xml_node node : Children(document.value().Root(), "CORSRule")) {
    CorsRule rule;
    for (pugi::xml_node child : node.children()) {
      if (child.type() != pugi::node_element) continue;
      std::string_view name = LocalName(child);
      std::string text = child.text().get();
      if (name == "ID") rule.id = text;
      else if (name == "AllowedHeader") rule.allowed_headers.push_back(text);
      else if (name == "AllowedMethod") rule.allowed_methods.push_back(text);
      else if (name == "AllowedOrigin") rule.allowed_origins.push_back(text);
      else if (name == "ExposeHeader") rule.expose_headers.push_back(text);
      else if (name == "MaxAgeSeconds") rule.max_age_seconds = std::stoll(text);
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

std::optional<std::size_t> MatchCorsRule(const std::vector<CorsRule>& rules, std::string_view origin,
                                         std::string_view method, const std::vector<std::string>& request_headers) {
  for (std::size_t index = 0; index < rules.size(); ++index) {
    const CorsRule& rule = rules[index];
    bool origin_allowed = std::any_of(rule.allowed_origins.begin(), rule.allowed_origins.end(),
                                      [&](const std::string& pattern) { return CorsWildcardMatch(pattern, origin, false); });
    if (!origin_allowed) continue;
    if (std::find(rule.allowed_methods.begin(), rule.allowed_methods.end(), method) == rule.allowed_methods.end()) continue;
    bool headers_allowed = std::all_of(request_headers.begin(), request_headers.end(), [&](const std::string& header) {
      return std::any_of(rule.allowed_headers.begin(), rule.allowed_headers.end(),
                         [&](const std::string& pattern) { return CorsWildcardMatch(pattern, header, true); });
    });
    if (headers_allowed) return index;
  }
  return std::nullopt;
}

void ApplyCors(const S3Call& call, http::HttpResponse& response) {
  const std::string* origin = call.Header("origin");
  if (origin == nullptr || call.bucket().empty() || call.operation() == "OptionsObject") return;
  auto bucket = call.store().GetBucket(call.bucket());
  if (!bucket) return;
  const std::string* stored = bucket.value().Configuration("cors");
  if (stored == nullptr) return;
  auto rules = ParseCorsRules(*stored);
  // S3 matches an actual request's Access-Control-Request-Headers too when a client sends them.
  auto matched = MatchCorsRule(rules, *origin, call.http().method, RequestedHeaders(call.Header("access-control-request-headers")));
  if (!matched) return;
  AddRuleHeaders(rules[*matched], *origin, response);
}

std::vector<S3Operation> CorsOperations() {
  return {
      {"PutBucketCors", PutBucketCors},
      {"GetBucketCors", GetBucketCors},
      {"DeleteBucketCors", DeleteBucketCors},
      {"OptionsObject", OptionsObject},
  };
}

}  // namespace mallard::s3
