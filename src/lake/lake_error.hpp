#pragma once
// Errors of the lake module, as values. Callers (SQL engine, CDC pipeline, CLI) decide what a
// code means to them; kConflict is the one a caller is expected to retry.
#include <string>

#include "common/result.hpp"

namespace mallard::lake {

enum class LakeErrorCode {
  kNotFound,       // schema, table, column or snapshot does not exist
  kAlreadyExists,  // create of a name that is taken
  kInvalid,        // bad argument: unsupported type, empty column list, bad name
  kConflict,       // another committer changed what this transaction depends on
  kCatalog,        // the catalog database failed (connection lost, SQL error)
  kIo,             // writing or reading a data file failed
  kUnsupported,    // a catalog feature Mallard does not read (e.g. inlined data)
};

struct LakeError {
  LakeErrorCode code = LakeErrorCode::kCatalog;
  std::string message;
};

template <typename T>
using LakeResult = Result<T, LakeError>;
using LakeStatus = Result<Done, LakeError>;

inline Unexpected<LakeError> LakeFail(LakeErrorCode code, std::string message) {
  return Fail(LakeError{code, std::move(message)});
}

const char* LakeErrorCodeName(LakeErrorCode code);

}  // namespace mallard::lake
