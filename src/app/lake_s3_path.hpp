#pragma once
// A lake whose data path is `s3://bucket/prefix` on Mallard's own S3: the lake writes its Parquet
// files through the S3 file store's paths (`DIR/bucket/prefix/…`, where `--backend-s3 file://DIR`),
// so they are S3 objects the moment they exist (the file store lists files written beside it), and
// the SQL engine reads them as local files.
#include <string>

#include "common/result.hpp"
#include "lake/lake.hpp"

namespace mallard::app {

// Rewrites `options.data_path` when it is `s3://…`: `s3_store_spec` must be `file://DIR` (a
// temporary or memory store has no lasting paths), and the bucket must be one of DIR's (created
// through S3). DuckDB's spill directory goes outside the bucket (else its files would be objects).
Result<Done, std::string> ResolveLakeS3Path(lake::LakeOptions& options, const std::string& s3_store_spec);

}  // namespace mallard::app
