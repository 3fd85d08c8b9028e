#include "protocol/shape.hpp"

namespace mallard::protocol {

const Shape* ShapeArena::Scalar(ShapeKind kind) {
  Shape& shape = shapes_.emplace_back();
  shape.kind = kind;
  return &shape;
}

const Shape* ShapeArena::Structure(std::vector<ShapeMember> members) {
  Shape& shape = shapes_.emplace_back();
  shape.kind = ShapeKind::Structure;
  shape.members = std::move(members);
  return &shape;
}

const Shape* ShapeArena::List(const Shape* element, std::string element_location_name, bool flattened) {
  Shape& shape = shapes_.emplace_back();
  shape.kind = ShapeKind::List;
  shape.element = element;
  shape.element_location_name = std::move(element_location_name);
  shape.flattened = flattened;
  return &shape;
}

const Shape* ShapeArena::Map(const Shape* key, const Shape* value, std::string key_location_name,
                             std::string value_location_name, bool flattened) {
  Shape& shape = shapes_.emplace_back();
  shape.kind = ShapeKind::Map;
  shape.key = key;
  shape.value = value;
  shape.key_location_name = std::move(key_location_name);
  shape.value_location_name = std::move(value_location_name);
  shape.flattened = flattened;
  return &shape;
}

}  // namespace mallard::protocol
