// The state endpoints (issue 18): POST /_mallard/state/save answers a snapshot of the server's
// state, POST /_mallard/state/load loads one sent as the body, GET /_mallard/state/inspect counts
// what the server holds and POST /_mallard/state/inspect what a sent snapshot holds. Snapshots pass
// through temporary files on the gateway's worker pool: never held whole in memory, never on a
// network thread.
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/encoding.hpp"
#include "common/ids.hpp"
#include "gateway/gateway.hpp"
#include "gateway/gateway_admin.hpp"
#include "state/snapshot.hpp"

namespace mallard::gateway {
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

constexpr std::size_t kPiece = 256 * 1024;
constexpr std::string_view kSnapshotContentType = "application/x-ndjson";

fs::path TemporarySnapshotPath() {
  std::error_code ec;
  fs::path base = fs::temp_directory_path(ec);
  if (ec) base = "/tmp";
  return base / ("mallard-state-" + NewUuid() + ".jsonl");
}

// A file sent as a response body, read on the worker pool; removed once sent (or abandoned).
class SnapshotFileBody final : public http::ResponseBodySource {
 public:
  SnapshotFileBody(fs::path path, std::uint64_t length, boost::asio::thread_pool& pool)
      : path_(std::move(path)), length_(length), in_(path_, std::ios::binary), pool_(pool) {}
  ~SnapshotFileBody() override {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  std::uint64_t Length() const override { return length_; }
  void Read(http::BodyReadDone done) override {
    boost::asio::post(pool_, [this, done = std::move(done)] {
      std::string piece(kPiece, '\0');
      in_.read(piece.data(), static_cast<std::streamsize>(piece.size()));
      piece.resize(static_cast<std::size_t>(in_.gcount()));
      done(std::move(piece), in_.bad() ? "cannot read the snapshot file" : "");
    });
  }

 private:
  fs::path path_;
  std::uint64_t length_;
  std::ifstream in_;
  boost::asio::thread_pool& pool_;
};

// Copies a streamed request body into a file, piece by piece on the pool, then calls `finished`
// with an error message ("" when the whole body is in the file).
class BodyToFile : public std::enable_shared_from_this<BodyToFile> {
 public:
  BodyToFile(std::shared_ptr<http::RequestBodyStream> body, fs::path path, boost::asio::thread_pool& pool,
             std::function<void(std::string error)> finished)
      : body_(std::move(body)), out_(path, std::ios::binary | std::ios::trunc), pool_(pool), finished_(std::move(finished)) {}
  void Start() {
    if (!out_) return finished_("cannot create a temporary file for the snapshot");
    ReadNext();
  }

 private:
  void ReadNext() {
    auto self = shared_from_this();
    body_->Read([self](std::string bytes, std::string error) {
      boost::asio::post(self->pool_, [self, bytes = std::move(bytes), error = std::move(error)] {
        if (!error.empty()) return self->finished_("the request body could not be read: " + error);
        if (bytes.empty()) {
          self->out_.close();
          return self->finished_(self->out_ ? "" : "cannot write the snapshot to a temporary file");
        }
        self->out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!self->out_) return self->finished_("cannot write the snapshot to a temporary file");
        self->ReadNext();
      });
    });
  }
  std::shared_ptr<http::RequestBodyStream> body_;
  std::ofstream out_;
  boost::asio::thread_pool& pool_;
  std::function<void(std::string)> finished_;
};

// services=, accounts=, regions= and merge= from the query string.
Result<std::map<std::string, std::string>, std::string> QueryParameters(std::string_view query) {
  std::map<std::string, std::string> parameters;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto equals = pair.find('=');
    auto name = FormUrlDecode(pair.substr(0, equals));
    auto value = FormUrlDecode(equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1));
    if (!name || !value) return Fail("a malformed escape in the query string");
    if (*name != "services" && *name != "accounts" && *name != "regions" && *name != "merge")
      return Fail("unknown parameter '" + *name + "' (services, accounts, regions, merge)");
    parameters[*name] = *value;
  }
  return parameters;
}

bool IsSnapshotBody(const http::HttpRequest& request) {
  const std::string* type = request.Header("content-type");
  return type != nullptr && type->compare(0, kSnapshotContentType.size(), kSnapshotContentType) == 0;
}

}  // namespace

bool Gateway::IsStatePath(std::string_view path) { return path.substr(0, 16) == "/_mallard/state/"; }

http::BodyReading Gateway::StateBodyReading(const http::HttpRequest& request) {
  // A snapshot may be large: it goes to a file as it arrives, never whole into memory.
  return request.method == "POST" && (request.path == "/_mallard/state/load" || request.path == "/_mallard/state/inspect")
             ? http::BodyReading::kStreamed
             : http::BodyReading::kBuffered;
}

void Gateway::HandleState(http::HttpRequest request, http::Responder respond) {
  const std::string& path = request.path;
  std::string allow;
  if (path == "/_mallard/state/save" || path == "/_mallard/state/load") allow = "POST";
  if (path == "/_mallard/state/inspect") allow = "GET, HEAD, POST";
  if (allow.empty()) return respond(AdminError(404, "no such admin endpoint"));
  if (allow.find(request.method) == std::string::npos || request.method.empty()) {
    auto response = AdminError(405, "this endpoint takes " + allow);
    response.SetHeader("Allow", allow);
    return respond(std::move(response));
  }
  auto parameters = QueryParameters(request.query);
  if (!parameters) return respond(AdminError(400, parameters.error()));
  auto filter = state::StateFilter::Parse((*parameters)["services"], (*parameters)["accounts"], (*parameters)["regions"]);
  if (!filter) return respond(AdminError(400, filter.error()));
  bool reads_live = request.method != "POST" && path == "/_mallard/state/inspect";
  // A snapshot holds all data, and a load replaces it: both need the admin token when one is set.
  if (!reads_live) {
    if (auto refused = StateChangeRefusal(request, options_.admin_token)) return respond(std::move(*refused));
  }
  state::ServiceList services = services_;
  auto& pool = *workers_;
  if (reads_live) {
    return boost::asio::post(pool, [services, filter = *filter, version = options_.version, respond = std::move(respond)] {
      auto summary = state::InspectLive(services, filter, version);
      if (!summary) return respond(AdminError(500, summary.error()));
      respond(JsonResponse(200, json::parse(state::SummaryJson(*summary)).as_object()));
    });
  }
  if (path == "/_mallard/state/save") {
    return boost::asio::post(pool, [services, filter = *filter, version = options_.version, &pool,
                                    respond = std::move(respond)] {
      auto file = TemporarySnapshotPath();
      auto summary = state::SaveSnapshot(services, filter, file, version);
      if (!summary) {
        std::error_code ec;
        fs::remove(file, ec);
        spdlog::error("state save failed: {}", summary.error());
        return respond(AdminError(500, "the state could not be saved: " + summary.error()));
      }
      std::error_code ec;
      auto length = fs::file_size(file, ec);
      http::HttpResponse response;
      response.SetHeader("Content-Type", std::string(kSnapshotContentType));
      response.SetHeader("Content-Disposition", "attachment; filename=\"mallard-state.jsonl\"");
      response.body_source = std::make_shared<SnapshotFileBody>(file, ec ? 0 : length, pool);
      spdlog::info("state saved: {} sections, {} records", summary->sections.size(), summary->records);
      respond(std::move(response));
    });
  }
  // load, or inspect of a sent snapshot: the body is the snapshot. Its type is not one a page on
  // another origin can send without a preflight, which admin paths never allow.
  if (!IsSnapshotBody(request) || !request.body_stream)
    return respond(AdminError(415, "send the snapshot as the body with Content-Type: application/x-ndjson"));
  std::optional<state::MergeStrategy> strategy;
  if (path == "/_mallard/state/load") {
    auto parsed = state::ParseMergeStrategy((*parameters).contains("merge") ? (*parameters)["merge"] : "overwrite");
    if (!parsed) return respond(AdminError(400, parsed.error()));
    strategy = *parsed;
  }
  auto file = TemporarySnapshotPath();
  auto shared_respond = std::make_shared<http::Responder>(std::move(respond));
  auto copy = std::make_shared<BodyToFile>(
      request.body_stream, file, pool,
      [services, filter = *filter, strategy, file, shared_respond](std::string error) {
        auto finish = [&](http::HttpResponse response) {
          std::error_code ec;
          fs::remove(file, ec);
          (*shared_respond)(std::move(response));
        };
        if (!error.empty()) return finish(AdminError(400, error));
        auto summary = strategy ? state::LoadSnapshot(services, file, *strategy, filter) : state::InspectSnapshot(file);
        if (!summary) return finish(AdminError(400, summary.error()));
        if (strategy) {
          spdlog::info("state loaded ({}): {} sections, {} records", state::MergeStrategyName(*strategy),
                       summary->sections.size(), summary->records);
        }
        finish(JsonResponse(200, json::parse(state::SummaryJson(*summary)).as_object()));
      });
  copy->Start();
}

}  // namespace mallard::gateway
