#pragma once
// S3's XML: documents out (XmlWriter: elements in order, text escaped, the S3 namespace on the
// root) and documents in (ParseXml: pugixml, with S3's MalformedXML for anything that is not a
// well-formed document). pugixml does no DTD or entity expansion beyond XML's five, so a hostile
// body cannot expand or reach files.
#include <pugixml.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/aws_error.hpp"
#include "common/result.hpp"

namespace mallard::s3 {

inline constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

class XmlWriter {
 public:
  // Starts the document with the XML declaration and opens `root` (with xmlns when given).
  explicit XmlWriter(std::string_view root, std::string_view xmlns = kS3Namespace);
  void Open(std::string_view name);
  void Close();
  // <name>text</name>, text escaped.
  void Element(std::string_view name, std::string_view text);
  void Element(std::string_view name, std::int64_t value);
  void Element(std::string_view name, bool value) { Element(name, std::string_view(value ? "true" : "false")); }
  void Element(std::string_view name, const char* text) { Element(name, std::string_view(text)); }
  // Only when set.
  void Optional(std::string_view name, const std::string& text) {
    if (!text.empty()) Element(name, text);
  }
  // Writes a fragment that is already XML (a stored configuration document's children).
  void Raw(std::string_view xml) { out_.append(xml); }
  // Closes what is open and returns the document.
  std::string Finish();

 private:
  std::string out_;
  std::vector<std::string> open_;
};

// A parsed request body. Absent or empty bodies are MalformedXML where S3 requires a document.
struct XmlDocument {
  std::shared_ptr<pugi::xml_document> document;
  pugi::xml_node Root() const { return document->document_element(); }
};
Result<XmlDocument, AwsError> ParseXml(std::string_view body);

// Child element text (first match by local name, namespace prefixes ignored); nullopt when absent.
std::optional<std::string> ChildText(pugi::xml_node node, std::string_view name);
// Every child element with that local name.
std::vector<pugi::xml_node> Children(pugi::xml_node node, std::string_view name);
// The node's local name (without a namespace prefix).
std::string_view LocalName(pugi::xml_node node);
// A node and its subtree serialised without declaration or indentation (stored configurations).
std::string InnerXml(pugi::xml_node node);

}  // namespace mallard::s3
