#include "infra/duckdb/duckdb_library.hpp"

#include <cstdio>
#include <cstdlib>

#if MALLARD_DUCKDB_LAZY
#include "common/lazy_library.hpp"
#endif

namespace mallard::duckdb {

#if MALLARD_DUCKDB_LAZY

namespace {

// The trampolines were generated from the pinned duckdb.h: another version may change a signature
// they call through, so it is refused.
std::string CheckVersion(void* handle) {
  using VersionFunction = const char* (*)();
  auto version = reinterpret_cast<VersionFunction>(dlsym(handle, "duckdb_library_version"));
  std::string loaded = version != nullptr && version() != nullptr ? version() : "an unknown version";
  if (loaded == MALLARD_DUCKDB_VERSION) return {};
  return "libduckdb is " + loaded + ", but Mallard was built against " + MALLARD_DUCKDB_VERSION;
}

LazyLibrary& Library() {
  // By soname first, so the executable's RUNPATH ($ORIGIN/_deps/duckdb/lib) decides, as it did when
  // the library was linked; then the build tree's absolute path (test and bench executables).
  static LazyLibrary library("libduckdb", {"libduckdb.so", MALLARD_DUCKDB_LIBRARY_PATH}, CheckVersion);
  return library;
}

}  // namespace

const std::string& LoadDuckDbLibrary() { return Library().Load(); }

bool DuckDbLibraryLoaded() { return LoadDuckDbLibrary().empty(); }

void* RequireDuckDbSymbol(const char* name) { return Library().Require(name); }

#else  // linked at build time

const std::string& LoadDuckDbLibrary() {
  static const std::string kLoaded;
  return kLoaded;
}

bool DuckDbLibraryLoaded() { return true; }

void* RequireDuckDbSymbol(const char* name) {
  std::fprintf(stderr, "mallard: %s resolved lazily in a build that links libduckdb\n", name);
  std::abort();
}

#endif

}  // namespace mallard::duckdb
