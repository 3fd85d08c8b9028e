#pragma once
// A compact binary form of an item, for stores that keep items in their own memory: about the
// size of the item's data, where the decoded `Item` (a std::map of AttributeValue, ~300 bytes an
// attribute) takes 5-8 times that. Lossless: numbers keep their exact digits, sets their order.
//
// Not a wire or file format: it never leaves the process and may change with any build; snapshots
// and the journal use DynamoDB's JSON. Decoding still checks every length and tag, and fails with
// an error value (never reads out of bounds, never recurses without limit) on bytes it did not make.
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "services/dynamodb/model/ddb_value.hpp"

namespace mallard::dynamodb {

std::string EncodeItemBinary(const Item& item);
// Appends the encoding to `out` (a reused buffer).
void AppendItemBinary(const Item& item, std::string& out);
Result<Item, std::string> DecodeItemBinary(std::string_view bytes);

}  // namespace mallard::dynamodb
