#include "infra/libpq/pq_library.hpp"

#include <cstdio>
#include <cstdlib>

#if MALLARD_LIBPQ_LAZY
#include "common/lazy_library.hpp"
#endif

namespace mallard::libpq {

#if MALLARD_LIBPQ_LAZY

namespace {

LazyLibrary& Library() {
  // libpq's soname has been libpq.so.5 since PostgreSQL 8.2; Debian installs it on the default path.
  static LazyLibrary library("libpq", {MALLARD_LIBPQ_SONAME});
  return library;
}

}  // namespace

const std::string& LoadLibPq() { return Library().Load(); }

void* RequireLibPqSymbol(const char* name) { return Library().Require(name); }

#else  // linked at build time

const std::string& LoadLibPq() {
  static const std::string kLoaded;
  return kLoaded;
}

void* RequireLibPqSymbol(const char* name) {
  std::fprintf(stderr, "mallard: %s resolved lazily in a build that links libpq\n", name);
  std::abort();
}

#endif

}  // namespace mallard::libpq
