// MemorySqsStore runs the SqsStore conformance suite; links services_sqs_memory alone.
#include "services/sqs/memory/memory_sqs_store.hpp"
#include "../sqs_store_conformance.hpp"

namespace mallard::sqs::conformance {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, SqsStoreConformance,
                         ::testing::Values(SqsStoreFactory{"Memory", [] {
                           return StorePair{std::make_unique<MemorySqsStore>(), nullptr};
                         }}),
                         FactoryName);

}  // namespace
}  // namespace mallard::sqs::conformance
