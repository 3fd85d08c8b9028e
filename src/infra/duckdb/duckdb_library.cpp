#include "infra/duckdb/duckdb_library.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>

#if MALLARD_DUCKDB_LAZY
#include <dlfcn.h>
#endif

namespace mallard::duckdb {

#if MALLARD_DUCKDB_LAZY

namespace {

struct LoadedLibrary {
  void* handle = nullptr;
  std::string error;
};

LoadedLibrary& Library() {
  static LoadedLibrary library;
  return library;
}

std::once_flag& LoadOnce() {
  static std::once_flag once;
  return once;
}

void Load(LoadedLibrary& library) {
  // By soname first, so the executable's RUNPATH ($ORIGIN/_deps/duckdb/lib) decides, as it did when
  // the library was linked; then the build tree's absolute path (test and bench executables).
  // RTLD_NOW: an incomplete library fails here, where it is reported, rather than at a later call.
  std::string errors;
  for (const char* candidate : {"libduckdb.so", MALLARD_DUCKDB_LIBRARY_PATH}) {
    library.handle = dlopen(candidate, RTLD_NOW | RTLD_LOCAL);
    if (library.handle != nullptr) break;
    const char* why = dlerror();
    errors += std::string(errors.empty() ? "" : "; ") + (why != nullptr ? why : candidate);
  }
  if (library.handle == nullptr) {
    library.error = "cannot load libduckdb: " + errors;
    return;
  }
  using VersionFunction = const char* (*)();
  auto version = reinterpret_cast<VersionFunction>(dlsym(library.handle, "duckdb_library_version"));
  std::string loaded = version != nullptr && version() != nullptr ? version() : "an unknown version";
  if (loaded != MALLARD_DUCKDB_VERSION) {
    // The trampolines were generated from the pinned duckdb.h; another version may change a
    // signature they call through.
    library.error = "libduckdb is " + loaded + ", but Mallard was built against " + MALLARD_DUCKDB_VERSION;
    dlclose(library.handle);
    library.handle = nullptr;
  }
}

}  // namespace

const std::string& LoadDuckDbLibrary() {
  std::call_once(LoadOnce(), [] { Load(Library()); });
  return Library().error;
}

bool DuckDbLibraryLoaded() { return LoadDuckDbLibrary().empty(); }

void* RequireDuckDbSymbol(const char* name) {
  const std::string& error = LoadDuckDbLibrary();
  if (!error.empty()) {
    std::fprintf(stderr, "mallard: DuckDB function %s called, but %s\n", name, error.c_str());
    std::abort();
  }
  void* symbol = dlsym(Library().handle, name);
  if (symbol == nullptr) {
    std::fprintf(stderr, "mallard: libduckdb has no function %s\n", name);
    std::abort();
  }
  return symbol;
}

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
