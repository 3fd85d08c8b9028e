#pragma once
// The one place the file store spells "succeeded" for a StoreResult<void> and turns an I/O error
// text into StorageFailed.
#include <string>

#include "services/s3/file/file_io.hpp"
#include "services/s3/model/s3_store.hpp"

namespace mallard::s3::file {

inline StoreResult<void> Succeeded() { return {}; }

inline StoreError StorageError(std::string detail) { return StoreError{StoreErrc::StorageFailed, std::move(detail)}; }

}  // namespace mallard::s3::file
