#pragma once
// What DynamoDB's exports to S3 and imports from S3 share: the registry of their descriptions
// (DescribeExport/ListExports, DescribeImport/ListImports read it; the background job updates it),
// and a blocking call of S3 through the peer directory for the job's pool thread.
#include <boost/json.hpp>

#include <future>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/request_context.hpp"
#include "protocol/operation.hpp"
#include "services/kit/peer_directory.hpp"

namespace mallard::dynamodb::transfer {

// Descriptions by ARN, in creation order, held by this server process (not by the store: an
// export or import is a job this server runs, and ends with it).
struct TransferJobs {
  std::mutex mutex;
  std::map<std::string, boost::json::object> exports;  // ExportArn -> ExportDescription
  std::vector<std::string> export_order;
  std::map<std::string, std::string> export_tokens;    // ClientToken -> ExportArn
  std::map<std::string, std::string> export_fingerprints;  // ExportArn -> its request, for ClientToken reuse
  std::map<std::string, boost::json::object> imports;  // ImportArn -> ImportTableDescription
  std::vector<std::string> import_order;
  std::map<std::string, std::string> import_tokens;    // ClientToken -> ImportArn
  std::map<std::string, std::string> import_fingerprints;

  void Clear() {
    std::lock_guard lock(mutex);
    exports.clear();
    export_order.clear();
    export_tokens.clear();
    export_fingerprints.clear();
    imports.clear();
    import_order.clear();
    import_tokens.clear();
    import_fingerprints.clear();
  }
};

// Runs one S3 operation as `caller` and waits for it. Only on a pool thread of DynamoDB's own:
// S3 answers peers on its own pool, so the wait never holds a thread S3 needs.
inline protocol::OperationResult CallS3(const services::PeerDirectory* peers, std::string operation,
                                        boost::json::object input, const RequestContext& caller) {
  if (peers == nullptr || !peers->Has("s3"))
    return Fail(AwsError::Make("InternalFailure", 500, "S3 is not part of this server"));
  auto promise = std::make_shared<std::promise<protocol::OperationResult>>();
  auto future = promise->get_future();
  peers->Invoke("s3", std::move(operation), std::move(input), caller,
                [promise](protocol::OperationResult result) { promise->set_value(std::move(result)); });
  return future.get();
}

}  // namespace mallard::dynamodb::transfer
