#include "services/s3/s3_module.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "services/kit/s3_local_files.hpp"
#include "services/s3/file/file_s3_store.hpp"
#include "services/s3/memory/memory_s3_store.hpp"
#include "services/s3/s3_lifecycle.hpp"
#include "services/s3/s3_service.hpp"

namespace mallard::s3 {

namespace kit = services::kit;
namespace fs = std::filesystem;

namespace {

const std::vector<kit::StoreKind>& Stores() {
  static const std::vector<kit::StoreKind> stores = {
      {"file", "file://DIR (or file: a temporary directory removed at exit)"},
      {"memory", "memory"},
  };
  return stores;
}

// A directory of its own under the system's temporary directory, for a server started without one.
Result<fs::path, std::string> MakeTemporaryRoot() {
  std::error_code error;
  fs::path base = fs::temp_directory_path(error);
  if (error) base = "/tmp";
  std::string pattern = (base / "mallard-s3-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return Fail("cannot create a temporary directory for S3 under " + base.string());
  return fs::path(pattern);
}

Result<kit::OpenedModule, std::string> Open(const kit::SettingValues& settings, const kit::ModuleResources&) {
  const std::string spec = settings.at("store");
  const std::string scheme = kit::StoreScheme(spec);
  std::shared_ptr<S3Store> store;
  kit::OpenedModule opened;
  S3Options options;
  if (scheme == "memory") {
    store = std::make_shared<MemoryS3Store>();
    options.store_in_process = true;
    opened.store_description = "memory";
    opened.s3_files = std::make_shared<services::S3LocalFiles>();
  } else if (scheme == "file") {
    std::string rest = spec.size() > 4 ? spec.substr(4) : std::string();
    bool temporary = rest.empty() || rest == ":" || rest == "://";
    fs::path root;
    if (temporary) {
      MALLARD_ASSIGN_OR_RETURN(root, MakeTemporaryRoot());
      spdlog::info("S3 objects are kept in {} (a temporary directory, removed at exit; --backend-s3 file://DIR keeps them)",
                   root.string());
    } else {
      if (rest.rfind("://", 0) != 0) return Fail("invalid S3 backend '" + spec + "': expected file://DIR");
      root = rest.substr(3);
      if (root.empty()) return Fail("invalid S3 backend '" + spec + "': file:// needs a directory");
      std::error_code error;
      fs::create_directories(root, error);
      if (error) return Fail("cannot create the S3 directory " + root.string() + ": " + error.message());
    }
    // A temporary root is deleted at exit, so syncing it to disk buys nothing; a named root is
    // durable: a committed object survives a crash.
    file::FileS3StoreOptions store_options;
    store_options.durable = !temporary;
    auto file_store = file::FileS3Store::Open(root, store_options);
    if (!file_store) {
      if (temporary) {
        std::error_code ignored;
        fs::remove_all(root, ignored);
      }
      return Fail("cannot open the S3 store in " + root.string() + ": " + file_store.error().detail);
    }
    file::FileS3Store* file_raw = file_store.value().get();
    S3Store* raw = file_store.value().release();
    // A temporary root goes with the store: removed once the last user of the store is gone.
    store = std::shared_ptr<S3Store>(raw, [root, temporary](S3Store* doomed) {
      delete doomed;
      if (temporary) {
        std::error_code ignored;
        fs::remove_all(root, ignored);
      }
    });
    // In process, but it can fail: after a commit that kept failing it refuses every change until
    // restarted, and health says so. The probe holds the store weakly: it may outlive the server.
    opened.probe = [weak = std::weak_ptr<S3Store>(store), file_raw]() -> std::optional<std::string> {
      auto held = weak.lock();
      if (!held) return std::nullopt;
      return file_raw->FailureReason();
    };
    opened.s3_files = std::make_shared<services::S3LocalFiles>(root);
    opened.store_description = temporary ? "file (temporary: " + root.string() + ")" : "file://" + root.string();
  } else {
    return Fail(kit::UnknownStoreMessage("S3 backend", spec, Stores()));
  }
  // The TOML value never passes the option parser's range check: checked here too.
  const std::string& interval_text = settings.at("lifecycle_interval_seconds");
  char* interval_end = nullptr;
  long long interval_seconds = std::strtoll(interval_text.c_str(), &interval_end, 10);
  if (interval_text.empty() || *interval_end != '\0' || interval_seconds < 1 || interval_seconds > 86400) {
    return Fail("invalid S3 lifecycle interval '" + interval_text + "': expected seconds from 1 to 86400");
  }
  auto sweep_interval = std::chrono::seconds(interval_seconds);
  opened.build = [store, options, sweep_interval](const services::ServiceContext& context) {
    auto service = std::make_shared<S3Service>(store, context, options);
    StartLifecycleSweep(service, sweep_interval);
    return std::vector<std::shared_ptr<services::Service>>{service};
  };
  return opened;
}

}  // namespace

kit::ServiceModule S3Module() {
  kit::ServiceModule module;
  module.name = "s3";
  module.service_names = {"s3"};
  module.stores = Stores();
  // Object bytes move on the pool: a few threads keep several uploads and downloads going at disk speed.
  module.pool_threads = 8;
  module.settings = {
      {
          .key = "store",
          .flag = "--backend-s3",
          .env = "MALLARD_BACKEND_S3",
          .toml_table = "backends",
          .toml_key = "s3",
          .default_value = "file",
          .help = "S3 backend: file://DIR (each object's current version a plain file DIR/bucket/key, readable by "
                  "DuckDB), file (a temporary directory removed at exit), or memory",
          .integer_range = std::nullopt,
      },
      {
          .key = "lifecycle_interval_seconds",
          .flag = "--s3-lifecycle-interval-seconds",
          .env = "MALLARD_S3_LIFECYCLE_INTERVAL_SECONDS",
          .toml_table = "s3",
          .toml_key = "lifecycle_interval_seconds",
          .default_value = "60",
          .help = "Seconds between S3 lifecycle sweeps (expiring objects, versions and uploads as buckets' "
                  "lifecycle rules say)",
          .integer_range = kit::ModuleSetting::Range{1, 86400},
      },
  };
  module.open = Open;
  return module;
}

}  // namespace mallard::s3
