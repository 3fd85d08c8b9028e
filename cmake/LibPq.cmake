# LibPq.cmake — provides the target `mallard::libpq`: libpq-fe.h, and libpq loaded on first use
# (MALLARD_LIBPQ_LAZY, the default; see src/infra/libpq/pq_library.hpp) or linked as usual (OFF).
# Needs pkg_check_modules(LIBPQ ... IMPORTED_TARGET libpq) first.
include_guard(GLOBAL)

option(MALLARD_LIBPQ_LAZY "Load libpq on first use instead of at start-up" ON)
set(_mallard_libpq_src "${CMAKE_CURRENT_LIST_DIR}/../src")
get_filename_component(_mallard_libpq_src "${_mallard_libpq_src}" ABSOLUTE)
if(MALLARD_LIBPQ_LAZY)
  include("${CMAKE_CURRENT_LIST_DIR}/LazyLibrary.cmake")
  find_file(MALLARD_LIBPQ_HEADER libpq-fe.h PATHS ${LIBPQ_INCLUDE_DIRS} NO_DEFAULT_PATH REQUIRED)
  set(_trampolines "${CMAKE_BINARY_DIR}/generated/libpq_trampolines.cpp")
  mallard_lazy_trampolines(
    HEADER "${MALLARD_LIBPQ_HEADER}"
    PREFIX "extern[ \t]+"
    INCLUDE "<libpq-fe.h>"
    LOADER "infra/libpq/pq_library.hpp"
    RESOLVER "mallard::libpq::RequireLibPqSymbol"
    SYMBOLS "${_mallard_libpq_src}/infra/libpq/pq_lazy_symbols.txt"
    OUTPUT "${_trampolines}")
  add_library(mallard_libpq_loader STATIC "${_mallard_libpq_src}/infra/libpq/pq_library.cpp" "${_trampolines}")
  target_include_directories(mallard_libpq_loader PUBLIC ${LIBPQ_INCLUDE_DIRS})
  target_compile_definitions(mallard_libpq_loader
    PUBLIC MALLARD_LIBPQ_LAZY=1
    PRIVATE MALLARD_LIBPQ_SONAME="libpq.so.5")
  target_link_libraries(mallard_libpq_loader PUBLIC ${CMAKE_DL_LIBS})
  message(STATUS "libpq: loaded on first use (MALLARD_LIBPQ_LAZY)")
else()
  add_library(mallard_libpq_loader STATIC "${_mallard_libpq_src}/infra/libpq/pq_library.cpp")
  target_compile_definitions(mallard_libpq_loader PUBLIC MALLARD_LIBPQ_LAZY=0)
  target_link_libraries(mallard_libpq_loader PUBLIC PkgConfig::LIBPQ)
endif()
target_include_directories(mallard_libpq_loader PUBLIC "${_mallard_libpq_src}")
set_target_properties(mallard_libpq_loader PROPERTIES POSITION_INDEPENDENT_CODE ON)
add_library(mallard::libpq ALIAS mallard_libpq_loader)
