#pragma once
// The DynamoDbStore conformance suite: behaviour every DynamoDbStore must share — ordering, paging,
// indexes, atomic write units, stream records, the in-process subscription, table changes, backups
// and restores. A store instantiates it in its own test file with a factory
// (tests/unit/services/dynamodb/<store>/…); the cases live in ddb_store_conformance.cpp, compiled
// into each store's test executable.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "services/dynamodb/model/ddb_key_encoding.hpp"
#include "services/dynamodb/model/ddb_store.hpp"

namespace mallard::dynamodb::conformance {

// A store and a second view of the same state (another server on the same store; for the
// in-memory store, the same instance).
struct StorePair {
  std::shared_ptr<DynamoDbStore> store;
  std::shared_ptr<DynamoDbStore> peer;
};
struct DynamoDbStoreFactory {
  std::string name;
  std::function<StorePair()> make;
};

inline std::string FactoryName(const ::testing::TestParamInfo<DynamoDbStoreFactory>& info) { return info.param.name; }

inline AttributeValue Num(const std::string& text) { return AttributeValue::Number(Decimal::Parse(text).value()); }
inline AttributeValue Str(const std::string& text) { return AttributeValue::String(text); }
inline AttributeValue NumSet(const std::string& text) {
  AttributeValue set;
  set.type = AttrType::NS;
  set.number_set = {Decimal::Parse(text).value()};
  return set;
}

inline TableDefinition MakeTable(const std::string& name, bool stream) {
  TableDefinition table;
  table.name = name;
  table.arn = "arn:aws:dynamodb:us-east-1:000000000000:table/" + name;
  table.keys.partition = {"pk", AttrType::S};
  table.keys.sort = KeyElement{"sk", AttrType::N};
  table.attribute_definitions = {{"pk", AttrType::S}, {"sk", AttrType::N}, {"g", AttrType::S}};
  IndexDefinition by_g;
  by_g.name = "by_g";
  by_g.keys.partition = {"g", AttrType::S};
  by_g.projection.type = ProjectionType::KeysOnly;
  table.indexes.push_back(by_g);
  if (stream) {
    table.stream = {true, "NEW_AND_OLD_IMAGES", "2026-01-01T00:00:00.000"};
  }
  return table;
}

class DynamoDbStoreConformance : public ::testing::TestWithParam<DynamoDbStoreFactory> {
 protected:
  void SetUp() override {
    auto pair = GetParam().make();
    ASSERT_TRUE(pair.store) << GetParam().name << ": the factory made no store";
    store_ = pair.store;
    peer_ = pair.peer;
    auto created = store_->CreateTable(scope_, MakeTable("t", true));
    ASSERT_TRUE(created.ok()) << created.error().detail;
  }

  void Put(Item item, const std::string& table = "t") {
    const Item key = ExtractKey(MakeTable("t", false).keys, item);
    auto written = store_->WriteItems(
        scope_, {ItemRef{table, key}},
        [&](const std::vector<const Item*>&) -> Result<std::vector<ItemWrite>> {
          return std::vector<ItemWrite>{{ItemWrite::Kind::Put, item}};
        },
        {1000, false});
    ASSERT_TRUE(written.ok() && written->ok());
  }

  std::vector<std::string> SortKeys(const Page& page) {
    std::vector<std::string> keys;
    for (const auto& item : page.items) keys.push_back(item.at("sk").number.ToString());
    return keys;
  }

  Scope scope_{"000000000000", "us-east-1"};
  std::shared_ptr<DynamoDbStore> store_;
  std::shared_ptr<DynamoDbStore> peer_;
};

}  // namespace mallard::dynamodb::conformance
