#pragma once
// Shape: the part of an AWS service model that the awsQuery codec needs to translate between the
// JSON document a service works with and form parameters / XML (member location names, flattened
// lists and maps, scalar types). Services declare their shapes once; the codec is generic.
#include <deque>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace mallard::protocol {

enum class ShapeKind : unsigned char { String, Integer, Long, Boolean, Double, Blob, Timestamp, Structure, List, Map };

struct Shape;

struct ShapeMember {
  std::string name;           // JSON member name
  std::string location_name;  // wire name in awsQuery/XML; empty = same as name
  const Shape* shape = nullptr;
  const std::string& WireName() const { return location_name.empty() ? name : location_name; }
};

struct Shape {
  ShapeKind kind = ShapeKind::String;
  std::vector<ShapeMember> members;          // Structure
  const Shape* element = nullptr;            // List
  std::string element_location_name;         // List: "member" unless named
  const Shape* key = nullptr;                // Map
  const Shape* value = nullptr;              // Map
  std::string key_location_name = "key";
  std::string value_location_name = "value";
  bool flattened = false;                    // List/Map

  const ShapeMember* FindMember(const std::string& json_name) const {
    for (const auto& member : members) {
      if (member.name == json_name) return &member;
    }
    return nullptr;
  }
};

// Owns shapes so that a service's model can be declared with stable pointers.
class ShapeArena {
 public:
  const Shape* Scalar(ShapeKind kind);
  const Shape* Structure(std::vector<ShapeMember> members);
  const Shape* List(const Shape* element, std::string element_location_name = "member", bool flattened = false);
  const Shape* Map(const Shape* key, const Shape* value, std::string key_location_name,
                   std::string value_location_name, bool flattened);

 private:
  std::deque<Shape> shapes_;
};

// One operation's input and output shapes (nullptr = no members).
struct OperationShapes {
  const Shape* input = nullptr;
  const Shape* output = nullptr;
};

}  // namespace mallard::protocol
