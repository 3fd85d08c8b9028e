#pragma once
// S3Service: S3's REST-XML API on an S3Store. The gateway hands it whole HTTP requests (S3 has no
// operation name on the wire: wire/s3_routing finds it); each operation reads its inputs from the
// path, query and headers, keeps S3's rules here, its state in the store, and answers in S3's
// shape (xml/). Object bodies stream in both directions: an upload is read from the connection a
// piece at a time and written to the store on the module's pool; a download is read from the
// store a piece at a time as the connection drains it.
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "services/kit/service.hpp"
#include "services/kit/service_context.hpp"
#include "services/s3/model/s3_store.hpp"

namespace mallard::s3 {

class S3Call;

struct S3Options {
  // The store answers without I/O (memory): small operations run inline; otherwise on the pool.
  bool store_in_process = false;
  // S3's limits: a single PUT (5 GiB), a part (5 GiB), the smallest part but the last (5 MiB).
  std::uint64_t max_object_size = 5ULL * 1024 * 1024 * 1024;
  std::uint64_t min_part_size = 5ULL * 1024 * 1024;
  // Bytes read from the store per piece of a download.
  std::size_t read_piece = 1024 * 1024;
};

class S3Service final : public services::Service, public std::enable_shared_from_this<S3Service> {
 public:
  using Handler = void (*)(const std::shared_ptr<S3Call>& call);

  S3Service(std::shared_ptr<S3Store> store, services::ServiceContext context, S3Options options);

  const services::ServiceDescriptor& Descriptor() const override;
  const protocol::OperationShapes* QueryShapes(std::string_view) const override { return nullptr; }
  // The other services' way in (s3_peer.cpp): PutObject, GetObject, HeadObject, DeleteObject,
  // ListObjectsV2, HeadBucket with JSON input, Body as a string.
  void Invoke(protocol::OperationRequest request, protocol::OperationCallback done) override;
  void Reset() override;
  std::string StoreName() const override { return store_->Name(); }
  bool ClaimsRequest(const http::HttpRequest& request) const override;
  std::string VirtualHostedBucket(const http::HttpRequest& request) const override;
  http::BodyReading BodyReadingFor(const http::HttpRequest& request) const override;
  void HandleRest(services::RestRequest request, http::Responder respond) override;

  S3Store& store() const { return *store_; }
  const S3Options& options() const { return options_; }
  const services::ServiceContext& context() const { return context_; }
  // Runs store work: inline for an in-process store, else on the module's pool.
  void Run(std::function<void()> work) const;
  // Runs work that moves bytes (always on the pool: a large body must never hold a network thread).
  void RunBlocking(std::function<void()> work) const;
  // Requests received and not answered yet (S3Call counts them): with few in flight, handing a
  // small in-process operation to the pool costs more than it spares the network thread.
  void CallStarted() const { calls_in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void CallAnswered() const { calls_in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  int CallsInFlight() const { return calls_in_flight_.load(std::memory_order_relaxed); }

 private:
  std::shared_ptr<S3Store> store_;
  services::ServiceContext context_;
  S3Options options_;
  std::unordered_map<std::string_view, Handler> handlers_;
  mutable std::atomic<int> calls_in_flight_{0};
};

// The operation tables of each part of the service (s3_buckets.cpp, s3_objects.cpp, ...): name and
// handler. S3Service joins them; an operation in none is NotImplemented.
struct S3Operation {
  std::string_view name;
  S3Service::Handler handler;
};
std::vector<S3Operation> BucketOperations();
std::vector<S3Operation> ObjectOperations();
std::vector<S3Operation> ListingOperations();
std::vector<S3Operation> MultipartOperations();
std::vector<S3Operation> CopyOperations();
std::vector<S3Operation> ConfigurationOperations();
std::vector<S3Operation> VersionOperations();
std::vector<S3Operation> PostObjectOperations();
std::vector<S3Operation> NotificationOperations();

}  // namespace mallard::s3
