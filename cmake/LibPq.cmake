# LibPq.cmake — provides the target `mallard::libpq`: libpq-fe.h, and libpq loaded on first use
# (MALLARD_LIBPQ_LAZY, the default; see src/infra/libpq/pq_library.hpp) or linked as usual (OFF).
# Needs pkg_check_modules(LIBPQ ... IMPORTED_TARGET libpq) first.
include_guard(GLOBAL)

option(MALLARD_LIBPQ_LAZY "Load libpq on first use instead of at start-up" ON)
set(_mallard_libpq_src "${CMAKE_CURRENT_LIST_DIR}/../src")
get_filename_component(_mallard_libpq_src "${_mallard_libpq_src}" ABSOLUTE)
include("${CMAKE_CURRENT_LIST_DIR}/LazyLibrary.cmake")
if(MALLARD_LIBPQ_LAZY)
  find_file(MALLARD_LIBPQ_HEADER libpq-fe.h PATHS ${LIBPQ_INCLUDE_DIRS} NO_DEFAULT_PATH REQUIRED)
  message(STATUS "libpq: loaded on first use (MALLARD_LIBPQ_LAZY)")
endif()
mallard_lazy_library(
  TARGET mallard_libpq_loader
  SOURCE "${_mallard_libpq_src}/infra/libpq/pq_library.cpp"
  MACRO MALLARD_LIBPQ_LAZY
  LAZY ${MALLARD_LIBPQ_LAZY}
  LINKED PkgConfig::LIBPQ
  INCLUDES "${_mallard_libpq_src}" ${LIBPQ_INCLUDE_DIRS}
  LAZY_DEFINITIONS MALLARD_LIBPQ_SONAME="libpq.so.5"
  HEADER "${MALLARD_LIBPQ_HEADER}"
  PREFIX "extern[ \t]+"
  INCLUDE "<libpq-fe.h>"
  LOADER "infra/libpq/pq_library.hpp"
  RESOLVER "mallard::libpq::RequireLibPqSymbol"
  SYMBOLS "${_mallard_libpq_src}/infra/libpq/pq_lazy_symbols.txt"
  OUTPUT "${CMAKE_BINARY_DIR}/generated/libpq_trampolines.cpp")
add_library(mallard::libpq ALIAS mallard_libpq_loader)
