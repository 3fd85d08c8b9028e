#include "protocol/aws_query.hpp"

#include <boost/json.hpp>

#include <charconv>

#include "common/encoding.hpp"
#include "protocol/aws_json.hpp"

namespace mallard::protocol {
namespace json = boost::json;

namespace {

AwsError BadValue(const std::string& key, const std::string& value) {
  return common_errors::InvalidParameterValue("Value " + value + " for parameter " + key + " is invalid.");
}

// Collects the distinct 1-based indexes that appear right after `prefix.` in the parameters.
std::vector<int> IndexesUnder(const FormParameters& params, const std::string& prefix) {
  std::vector<int> indexes;
  std::string start = prefix + ".";
  for (auto it = params.lower_bound(start); it != params.end() && it->first.compare(0, start.size(), start) == 0; ++it) {
    std::string_view rest = std::string_view(it->first).substr(start.size());
    int index = 0;
    auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), index);
    if (error != std::errc() || index < 1) continue;
    if (end != rest.data() + rest.size() && *end != '.') continue;
    if (indexes.empty() || indexes.back() != index) indexes.push_back(index);
  }
  std::sort(indexes.begin(), indexes.end());
  indexes.erase(std::unique(indexes.begin(), indexes.end()), indexes.end());
  return indexes;
}

bool AnyUnder(const FormParameters& params, const std::string& prefix) {
  if (params.count(prefix)) return true;
  std::string start = prefix + ".";
  auto it = params.lower_bound(start);
  return it != params.end() && it->first.compare(0, start.size(), start) == 0;
}

Result<std::optional<json::value>> Decode(const FormParameters& params, const Shape* shape, const std::string& prefix);

Result<std::optional<json::value>> DecodeScalar(const FormParameters& params, const Shape* shape,
                                                const std::string& prefix) {
  auto found = params.find(prefix);
  if (found == params.end()) return std::optional<json::value>();
  const std::string& text = found->second;
  switch (shape->kind) {
    case ShapeKind::Integer:
    case ShapeKind::Long: {
      std::int64_t number = 0;
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
      if (error != std::errc() || end != text.data() + text.size()) return Fail(BadValue(prefix, text));
      return std::optional<json::value>(json::value(number));
    }
    case ShapeKind::Double: {
      try {
        std::size_t used = 0;
        double number = std::stod(text, &used);
        if (used != text.size()) return Fail(BadValue(prefix, text));
        return std::optional<json::value>(json::value(number));
      } catch (const std::exception&) {
        return Fail(BadValue(prefix, text));
      }
    }
    case ShapeKind::Boolean:
      if (text == "true" || text == "True" || text == "TRUE") return std::optional<json::value>(json::value(true));
      if (text == "false" || text == "False" || text == "FALSE") return std::optional<json::value>(json::value(false));
      return Fail(BadValue(prefix, text));
    default:
      return std::optional<json::value>(json::value(json::string(text)));
  }
}

Result<std::optional<json::value>> DecodeList(const FormParameters& params, const Shape* shape, const std::string& prefix) {
  std::string element_prefix = prefix + "." + shape->element_location_name;
  if (shape->flattened) {
    // Flattened items replace the member's own name with the element's: "Entries" -> "X.Entry".
    auto dot = prefix.rfind('.');
    element_prefix = (dot == std::string::npos ? std::string() : prefix.substr(0, dot + 1)) + shape->element_location_name;
  }
  if (!AnyUnder(params, element_prefix)) {
    // An explicitly empty list is sent as "Prefix=" by botocore.
    if (params.count(prefix)) return std::optional<json::value>(json::array());
    return std::optional<json::value>();
  }
  json::array items;
  for (int index : IndexesUnder(params, element_prefix)) {
    MALLARD_ASSIGN_OR_RETURN(auto item, Decode(params, shape->element, element_prefix + "." + std::to_string(index)));
    if (item) items.push_back(std::move(*item));
  }
  return std::optional<json::value>(std::move(items));
}

Result<std::optional<json::value>> DecodeMap(const FormParameters& params, const Shape* shape, const std::string& prefix) {
  std::string entry_prefix = shape->flattened ? prefix : prefix + ".entry";
  if (!AnyUnder(params, entry_prefix)) return std::optional<json::value>();
  json::object entries;
  for (int index : IndexesUnder(params, entry_prefix)) {
    std::string base = entry_prefix + "." + std::to_string(index) + ".";
    auto key = params.find(base + shape->key_location_name);
    if (key == params.end()) continue;
    MALLARD_ASSIGN_OR_RETURN(auto value, Decode(params, shape->value, base + shape->value_location_name));
    entries[key->second] = value ? std::move(*value) : json::value(json::string());
  }
  return std::optional<json::value>(std::move(entries));
}

Result<std::optional<json::value>> DecodeStructure(const FormParameters& params, const Shape* shape,
                                                   const std::string& prefix) {
  json::object object;
  bool any = false;
  for (const auto& member : shape->members) {
    std::string key = prefix.empty() ? member.WireName() : prefix + "." + member.WireName();
    MALLARD_ASSIGN_OR_RETURN(auto value, Decode(params, member.shape, key));
    if (value) {
      object[member.name] = std::move(*value);
      any = true;
    }
  }
  if (!any && !prefix.empty()) return std::optional<json::value>();
  return std::optional<json::value>(std::move(object));
}

Result<std::optional<json::value>> Decode(const FormParameters& params, const Shape* shape, const std::string& prefix) {
  switch (shape->kind) {
    case ShapeKind::Structure: return DecodeStructure(params, shape, prefix);
    case ShapeKind::List: return DecodeList(params, shape, prefix);
    case ShapeKind::Map: return DecodeMap(params, shape, prefix);
    default: return DecodeScalar(params, shape, prefix);
  }
}

void AppendElement(std::string& out, const std::string& name, const json::value& value, const Shape* shape);

void AppendScalarText(std::string& out, const json::value& value) {
  if (value.is_string()) {
    AppendXmlEscaped(out, value.get_string());
  } else if (value.is_bool()) {
    out += value.get_bool() ? "true" : "false";
  } else if (value.is_int64()) {
    out += std::to_string(value.get_int64());
  } else if (value.is_uint64()) {
    out += std::to_string(value.get_uint64());
  } else if (value.is_double()) {
    out += json::serialize(value);
  }
}

void AppendChildren(std::string& out, const json::value& value, const Shape* shape) {
  if (shape->kind == ShapeKind::Structure && value.is_object()) {
    const auto& object = value.get_object();
    for (const auto& member : shape->members) {
      auto found = object.find(member.name);
      if (found == object.end() || found->value().is_null()) continue;
      AppendElement(out, member.WireName(), found->value(), member.shape);
    }
  } else {
    AppendScalarText(out, value);
  }
}

void AppendElement(std::string& out, const std::string& name, const json::value& value, const Shape* shape) {
  if (shape->kind == ShapeKind::List && value.is_array()) {
    if (shape->flattened) {
      for (const auto& item : value.get_array()) AppendElement(out, shape->element_location_name, item, shape->element);
    } else {
      out += "<" + name + ">";
      for (const auto& item : value.get_array()) AppendElement(out, shape->element_location_name, item, shape->element);
      out += "</" + name + ">";
    }
    return;
  }
  if (shape->kind == ShapeKind::Map && value.is_object()) {
    auto append_entry = [&](const std::string& entry_name, const json::key_value_pair& entry) {
      out += "<" + entry_name + ">";
      out += "<" + shape->key_location_name + ">";
      AppendXmlEscaped(out, entry.key());
      out += "</" + shape->key_location_name + ">";
      AppendElement(out, shape->value_location_name, entry.value(), shape->value);
      out += "</" + entry_name + ">";
    };
    if (shape->flattened) {
      for (const auto& entry : value.get_object()) append_entry(name, entry);
    } else {
      out += "<" + name + ">";
      for (const auto& entry : value.get_object()) append_entry("entry", entry);
      out += "</" + name + ">";
    }
    return;
  }
  out += "<" + name + ">";
  AppendChildren(out, value, shape);
  out += "</" + name + ">";
}

}  // namespace

Status<> ParseFormInto(std::string_view text, FormParameters& params) {
  while (!text.empty()) {
    auto amp = text.find('&');
    std::string_view pair = text.substr(0, amp);
    text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
    if (pair.empty()) continue;
    auto equals = pair.find('=');
    auto key = FormUrlDecode(pair.substr(0, equals));
    auto value = FormUrlDecode(equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1));
    if (!key || !value) {
      return Fail(AwsError::Make("MalformedQueryString", 400,
                                 "The query string contains a malformed percent-encoded sequence: " +
                                     std::string(Utf8Prefix(pair, 64))));
    }
    params[std::move(*key)] = std::move(*value);
  }
  return Done{};
}

Result<json::object> FormToJson(const FormParameters& params, const Shape* input) {
  if (input == nullptr) return json::object();
  MALLARD_ASSIGN_OR_RETURN(auto decoded, DecodeStructure(params, input, ""));
  if (!decoded || !decoded->is_object()) return json::object();
  return std::move(decoded->as_object());
}

http::HttpResponse RenderQueryResult(const std::string& operation, const json::object& output,
                                     const Shape* output_shape, const QueryStyle& style, const std::string& request_id) {
  std::string body;
  body.reserve(512);
  body += "<?xml version=\"1.0\"?><" + operation + "Response xmlns=\"" + style.xmlns + "\">";
  if (output_shape != nullptr) {
    body += "<" + operation + "Result>";
    AppendChildren(body, json::value(output), output_shape);
    body += "</" + operation + "Result>";
  }
  body += "<ResponseMetadata><RequestId>" + request_id + "</RequestId></ResponseMetadata></" + operation + "Response>";
  http::HttpResponse response;
  response.headers.emplace_back("Content-Type", "text/xml");
  response.headers.emplace_back("x-amzn-RequestId", request_id);
  response.body = std::move(body);
  return response;
}

http::HttpResponse RenderQueryError(const AwsError& error, const QueryStyle& style, const std::string& request_id) {
  std::string body = "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"" + style.xmlns + "\"><Error><Type>";
  body += error.fault == FaultSide::Sender ? "Sender" : "Receiver";
  body += "</Type><Code>";
  AppendXmlEscaped(body, error.query_code.empty() ? error.code : error.query_code);
  body += "</Code><Message>";
  AppendXmlEscaped(body, error.message);
  body += "</Message><Detail/></Error><RequestId>" + request_id + "</RequestId></ErrorResponse>";
  http::HttpResponse response;
  response.status = error.http_status;
  response.headers.emplace_back("Content-Type", "text/xml");
  response.headers.emplace_back("x-amzn-RequestId", request_id);
  response.body = std::move(body);
  return response;
}

http::HttpResponse RenderQueryResultAsJson(const std::string& operation, const json::object& output,
                                           const std::string& request_id) {
  json::object body;
  body[operation + "Response"] = json::object{{operation + "Result", output},
                                              {"ResponseMetadata", json::object{{"RequestId", request_id}}}};
  http::HttpResponse response;
  response.headers.emplace_back("Content-Type", "application/json");
  response.headers.emplace_back("x-amzn-RequestId", request_id);
  response.body = SerializeJson(body);
  return response;
}

http::HttpResponse RenderQueryErrorAsJson(const AwsError& error, const std::string& request_id) {
  json::object body{{"Error", json::object{{"Code", error.query_code.empty() ? error.code : error.query_code},
                                           {"Message", error.message},
                                           {"Type", error.fault == FaultSide::Sender ? "Sender" : "Receiver"}}},
                    {"RequestId", request_id}};
  http::HttpResponse response;
  response.status = error.http_status;
  response.headers.emplace_back("Content-Type", "application/json");
  response.headers.emplace_back("x-amzn-RequestId", request_id);
  response.body = SerializeJson(body);
  return response;
}

}  // namespace mallard::protocol
