#pragma once
// Object bytes through the service without holding them: ReceiveBody pulls an upload from the
// connection a piece at a time (aws-chunked framing decoded, every declared digest computed on the
// way) into a store BodyWriter on the module's pool; StoreBodySource feeds a download from a store
// BodyReader a piece at a time as the connection drains it.
#include <functional>
#include <memory>

#include "common/http_types.hpp"
#include "common/result.hpp"
#include "services/s3/codec/content_checksums.hpp"
#include "services/s3/model/s3_store.hpp"

namespace mallard::s3 {

class S3Call;
class S3Service;

struct ReceivedBody {
  std::unique_ptr<BodyWriter> writer;
  std::shared_ptr<codec::UploadDigests> digests;  // size, MD5, the checksum
  codec::Trailers trailers;
};

// Reads the request body (streamed or buffered) into `writer` and verifies what the request
// declared; called on the pool, and `done` runs once, on the pool. Bytes past `max_bytes` fail with EntityTooLarge.
void ReceiveBody(const std::shared_ptr<S3Call>& call, std::unique_ptr<BodyWriter> writer,
                 const codec::DeclaredChecksums& declared, codec::ExpectedDigestForm md5_form, std::uint64_t max_bytes,
                 std::function<void(Result<ReceivedBody>)> done);

// Bytes [offset, offset + length) of an opened version, read on the service's pool.
std::shared_ptr<http::ResponseBodySource> StoreBodySource(std::shared_ptr<const S3Service> service,
                                                          std::shared_ptr<BodyReader> reader, std::uint64_t offset,
                                                          std::uint64_t length);

}  // namespace mallard::s3
