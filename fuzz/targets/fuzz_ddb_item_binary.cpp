// The DynamoDB memory store's compact item form (services/dynamodb/model/ddb_item_binary.hpp).
//
// Input layout: byte 0 picks the mode. Even: the rest is taken as encoded bytes; decoding must fail
// with an error or give an item that encodes and decodes back to the same item (compared as
// DynamoDB JSON). Odd: the rest is a DynamoDB JSON item; if it is one, encoding and decoding it
// must give it back exactly.
#include <boost/json.hpp>

#include <cstdlib>

#include "services/dynamodb/model/ddb_item_binary.hpp"

namespace json = boost::json;
using namespace mallard::dynamodb;

namespace {

[[noreturn]] void Broken(const char* what) {
  std::fprintf(stderr, "fuzz_ddb_item_binary: %s\n", what);
  std::abort();
}

void RoundTrips(const Item& item) {
  auto decoded = DecodeItemBinary(EncodeItemBinary(item));
  if (!decoded.ok()) Broken("an encoded item does not decode");
  if (json::serialize(MapToJson(*decoded)) != json::serialize(MapToJson(item))) Broken("an item changed in a round trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    if (auto decoded = DecodeItemBinary(rest); decoded.ok()) RoundTrips(*decoded);
    return 0;
  }
  json::parse_options options;
  options.max_depth = 128;
  boost::system::error_code error;
  json::value parsed = json::parse(rest, error, {}, options);
  if (error || !parsed.is_object()) return 0;
  auto item = MapFromJson(parsed.get_object());
  if (item.ok()) RoundTrips(*item);
  return 0;
}
