// MemorySnsStore runs the SnsStore conformance suite; links services_sns_memory alone.
#include "services/sns/memory/memory_sns_store.hpp"
#include "../sns_store_conformance.hpp"

namespace mallard::sns::conformance {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, SnsStoreConformance,
                         ::testing::Values(SnsStoreFactory{"Memory", [] {
                           return StorePair{std::make_unique<MemorySnsStore>(), nullptr};
                         }}),
                         FactoryName);

TEST(MemorySnsStore, NameIsMemory) { EXPECT_EQ(MemorySnsStore().Name(), "memory"); }

}  // namespace
}  // namespace mallard::sns::conformance
