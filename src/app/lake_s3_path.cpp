#include "app/lake_s3_path.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <system_error>

namespace mallard::app {
namespace fs = std::filesystem;

Result<Done, std::string> ResolveLakeS3Path(lake::LakeOptions& options, const std::string& s3_store_spec) {
  const std::string path = options.data_path;
  if (path.rfind("s3://", 0) != 0) return Done{};
  std::string location = path.substr(5);
  auto slash = location.find('/');
  std::string bucket = location.substr(0, slash);
  std::string prefix = slash == std::string::npos ? std::string() : location.substr(slash + 1);
  if (bucket.empty()) return Fail("--lake-data-path " + path + ": no bucket named");
  if (prefix.find("..") != std::string::npos) return Fail("--lake-data-path " + path + ": '..' is not allowed");
  if (s3_store_spec.rfind("file://", 0) != 0 || s3_store_spec.size() <= 7) {
    return Fail("--lake-data-path " + path + " needs --backend-s3 file://DIR (the lake writes through the S3 file "
                "store's paths; got '" + s3_store_spec + "')");
  }
  fs::path root = s3_store_spec.substr(7);
  std::error_code error;
  if (!fs::is_directory(root / bucket, error)) {
    return Fail("--lake-data-path " + path + ": no bucket '" + bucket + "' in " + root.string() +
                " (create it first: aws s3 mb s3://" + bucket + ")");
  }
  fs::path data = root / bucket / prefix;
  fs::create_directories(data, error);
  if (error) return Fail("--lake-data-path " + path + ": cannot create " + data.string() + ": " + error.message());
  std::string local = data.string();
  if (local.back() != '/') local.push_back('/');
  options.data_path = local;
  if (options.work_temp_directory.empty()) {
    options.work_temp_directory = (fs::temp_directory_path(error) / ("mallard-lake-spill-" + bucket)).string();
  }
  spdlog::info("lake data path {} is {} (S3 file store)", path, local);
  return Done{};
}

}  // namespace mallard::app
