#include "services/s3/xml/s3_xml.hpp"

#include <sstream>

#include "common/encoding.hpp"
#include "services/s3/xml/s3_errors.hpp"

namespace mallard::s3 {

XmlWriter::XmlWriter(std::string_view root, std::string_view xmlns) {
  out_.reserve(512);
  out_.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
  out_.append(root);
  if (!xmlns.empty()) {
    out_.append(" xmlns=\"");
    out_.append(xmlns);
    out_.push_back('"');
  }
  out_.push_back('>');
  open_.emplace_back(root);
}

void XmlWriter::Open(std::string_view name) {
  out_.push_back('<');
  out_.append(name);
  out_.push_back('>');
  open_.emplace_back(name);
}

void XmlWriter::Close() {
  if (open_.empty()) return;
  out_.append("</");
  out_.append(open_.back());
  out_.push_back('>');
  open_.pop_back();
}

void XmlWriter::Element(std::string_view name, std::string_view text) {
  out_.push_back('<');
  out_.append(name);
  out_.push_back('>');
  AppendXmlEscaped(out_, text);
  out_.append("</");
  out_.append(name);
  out_.push_back('>');
}

void XmlWriter::Element(std::string_view name, std::int64_t value) { Element(name, std::string_view(std::to_string(value))); }

std::string XmlWriter::Finish() {
  while (!open_.empty()) Close();
  return std::move(out_);
}

Result<XmlDocument, AwsError> ParseXml(std::string_view body) {
  XmlDocument parsed{std::make_shared<pugi::xml_document>()};
  // parse_default without parse_escapes' numeric forms would reject &#x..; that S3 accepts; no
  // DOCTYPE: pugixml never fetches or expands external entities.
  auto outcome = parsed.document->load_buffer(body.data(), body.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!outcome || !parsed.document->document_element()) return Fail(errors::MalformedXml());
  return parsed;
}

std::string_view LocalName(pugi::xml_node node) {
  std::string_view name = node.name();
  auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::optional<std::string> ChildText(pugi::xml_node node, std::string_view name) {
  for (auto child : node.children()) {
    if (child.type() == pugi::node_element && LocalName(child) == name) return std::string(child.text().get());
  }
  return std::nullopt;
}

std::vector<pugi::xml_node> Children(pugi::xml_node node, std::string_view name) {
  std::vector<pugi::xml_node> found;
  for (auto child : node.children()) {
    if (child.type() == pugi::node_element && LocalName(child) == name) found.push_back(child);
  }
  return found;
}

std::string InnerXml(pugi::xml_node node) {
  std::ostringstream out;
  node.print(out, "", pugi::format_raw | pugi::format_no_declaration);
  return out.str();
}

}  // namespace mallard::s3
