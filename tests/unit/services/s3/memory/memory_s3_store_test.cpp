// MemoryS3Store runs the S3Store conformance suite; links services_s3_memory alone.
#include "services/s3/memory/memory_s3_store.hpp"

#include <map>

#include "../s3_store_conformance.hpp"

namespace mallard::s3::conformance {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, S3StoreConformance,
                         ::testing::Values(S3StoreFactory{"Memory", [] {
                           return std::shared_ptr<S3Store>(std::make_shared<MemoryS3Store>());
                         }}),
                         FactoryName);

TEST(MemoryS3Store, NameIsMemoryAndThereIsNoRootDirectory) {
  MemoryS3Store store;
  EXPECT_EQ(store.Name(), "memory");
  EXPECT_FALSE(store.RootDirectory().has_value());
}

// The store's listings rely on std::string ordering bytes as unsigned char (S3's UTF-8 binary
// order), whatever the signedness of char on this platform.
TEST(MemoryS3Store, StdStringOrdersBytesUnsigned) {
  EXPECT_LT(std::string("\x7f"), std::string("\x80"));
  EXPECT_LT(std::string("z"), std::string("\xc3\xa9"));
  EXPECT_LT(std::string("\xef\xbf\xbf"), std::string("\xf0\x9f\x98\x80"));
  std::map<std::string, int, std::less<>> keys{{"\xff", 0}, {"\x01", 1}, {"a", 2}, {"\x80", 3}};
  std::string order;
  for (const auto& [key, value] : keys) order += std::to_string(value);
  EXPECT_EQ(order, "1230");
}

// A body from another store's NewBody is refused, not committed.
TEST(MemoryS3Store, RefusesAWriterItDidNotMake) {
  MemoryS3Store one, two;
  ASSERT_TRUE(one.CreateBucket({"b", "1", "us-east-1", 0, Versioning::Unversioned, {}}).ok());
  ASSERT_TRUE(two.CreateBucket({"b", "1", "us-east-1", 0, Versioning::Unversioned, {}}).ok());
  auto body = two.NewBody("b");
  ASSERT_TRUE(body.ok());
  ObjectRecord record;
  record.key = "k";
  auto put = one.PutObject("b", record, std::move(*body), {});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, StoreErrc::StorageFailed);
}

// The record's size must be what was written.
TEST(MemoryS3Store, RefusesASizeThatWasNotWritten) {
  MemoryS3Store store;
  ASSERT_TRUE(store.CreateBucket({"b", "1", "us-east-1", 0, Versioning::Unversioned, {}}).ok());
  auto body = store.NewBody("b");
  ASSERT_TRUE(body.ok());
  ASSERT_TRUE((*body)->Append("abc").ok());
  ObjectRecord record;
  record.key = "k";
  record.size = 4;
  EXPECT_FALSE(store.PutObject("b", record, std::move(*body), {}).ok());
  EXPECT_EQ(store.GetObject("b", "k", "", false).ok(), false);
}

}  // namespace
}  // namespace mallard::s3::conformance
