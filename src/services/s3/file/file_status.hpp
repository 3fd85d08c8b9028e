#pragma once
// The one place the file store spells "succeeded" for a StoreResult<void>.
#include "services/s3/model/s3_store.hpp"

namespace mallard::s3::file {

inline StoreResult<void> Succeeded() { return {}; }

}  // namespace mallard::s3::file
