# DuckDB.cmake — provides the target `mallard::duckdb` (DuckDB C API: duckdb.h + libduckdb.so,
# loaded on first use unless MALLARD_DUCKDB_LAZY=OFF or bundled; see the end of this file).
#
# Included by the top-level CMakeLists.txt when MALLARD_WITH_DUCKDB=ON. Two modes:
#
#   MALLARD_DUCKDB_BUNDLED=OFF (default)
#       Prebuilt libduckdb.so from the npm package @duckdb/node-bindings-linux-x64 and duckdb.h
#       from the npm package duckdb, both pinned and sha512-verified by scripts/fetch-duckdb.sh,
#       which is run here at configure time (a silent no-op when already fetched). Files land in
#       ${CMAKE_BINARY_DIR}/_deps/duckdb/{lib,include}.
#
#   MALLARD_DUCKDB_BUNDLED=ON
#       DuckDB compiled from the source tree bundled in the npm package `duckdb`
#       (${CMAKE_BINARY_DIR}/_deps/duckdb-src, fetched with --source-only). The translation units,
#       include directories and defines are read from that package's binding.gyp, so the build
#       matches what the Node addon compiles: the core plus the statically linked parquet, json,
#       icu and core_functions extensions. Produces a shared libduckdb.so in
#       ${CMAKE_BINARY_DIR}/_deps/duckdb-build/lib. Expect roughly an hour on 2 cores.
#
# Either way, executables find libduckdb.so without LD_LIBRARY_PATH: the build RPATH (RUNPATH)
# holds $ORIGIN/_deps/duckdb[-build]/lib (for ${CMAKE_BINARY_DIR}/mallard) and the absolute
# library directory (for test/bench executables in sub-directories of the build tree).
include_guard(GLOBAL)

set(MALLARD_DUCKDB_FETCH_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/../scripts/fetch-duckdb.sh")
get_filename_component(MALLARD_DUCKDB_FETCH_SCRIPT "${MALLARD_DUCKDB_FETCH_SCRIPT}" ABSOLUTE)
set(MALLARD_DUCKDB_DEPS_DIR "${CMAKE_BINARY_DIR}/_deps")
# Re-run configure (and so the fetch script) when the pins in the script change.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${MALLARD_DUCKDB_FETCH_SCRIPT}")

function(_mallard_fetch_duckdb)
  find_program(MALLARD_BASH bash REQUIRED)
  execute_process(
    COMMAND "${MALLARD_BASH}" "${MALLARD_DUCKDB_FETCH_SCRIPT}" ${ARGN} "${CMAKE_BINARY_DIR}"
    RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR
      "scripts/fetch-duckdb.sh ${ARGN} ${CMAKE_BINARY_DIR} failed (exit ${_rc}); see the message above. "
      "Configure with -DMALLARD_WITH_DUCKDB=OFF to build without DuckDB.")
  endif()
endfunction()

if(NOT MALLARD_DUCKDB_BUNDLED)
  # ---------------------------------------------------------------- prebuilt libduckdb.so -------
  _mallard_fetch_duckdb()
  set(MALLARD_DUCKDB_LIB_DIR "${MALLARD_DUCKDB_DEPS_DIR}/duckdb/lib")
  set(MALLARD_DUCKDB_ORIGIN_LIB_DIR "$ORIGIN/_deps/duckdb/lib")
  foreach(_f "${MALLARD_DUCKDB_LIB_DIR}/libduckdb.so" "${MALLARD_DUCKDB_DEPS_DIR}/duckdb/include/duckdb.h")
    if(NOT EXISTS "${_f}")
      message(FATAL_ERROR "DuckDB: ${_f} is missing after running scripts/fetch-duckdb.sh")
    endif()
  endforeach()

  add_library(mallard_duckdb_prebuilt SHARED IMPORTED GLOBAL)
  set_target_properties(mallard_duckdb_prebuilt PROPERTIES
    IMPORTED_LOCATION "${MALLARD_DUCKDB_LIB_DIR}/libduckdb.so"
    IMPORTED_SONAME "libduckdb.so"
    INTERFACE_INCLUDE_DIRECTORIES "${MALLARD_DUCKDB_DEPS_DIR}/duckdb/include")
  set(_mallard_duckdb_library mallard_duckdb_prebuilt)
  message(STATUS "DuckDB: prebuilt ${MALLARD_DUCKDB_LIB_DIR}/libduckdb.so")
else()
  # ---------------------------------------------------------------- bundled source build --------
  _mallard_fetch_duckdb(--source-only)
  set(_src "${MALLARD_DUCKDB_DEPS_DIR}/duckdb-src")
  set(MALLARD_DUCKDB_LIB_DIR "${MALLARD_DUCKDB_DEPS_DIR}/duckdb-build/lib")
  set(MALLARD_DUCKDB_ORIGIN_LIB_DIR "$ORIGIN/_deps/duckdb-build/lib")

  file(READ "${_src}/binding.gyp" _gyp)
  string(JSON _target GET "${_gyp}" targets 0)

  # Paths in binding.gyp are relative to the npm package root and start with src/duckdb/.
  # The Node glue (src/*.cpp) and node-addon-api include dir are skipped.
  set(_sources "")
  string(JSON _n LENGTH "${_target}" sources)
  math(EXPR _last "${_n} - 1")
  foreach(_i RANGE ${_last})
    string(JSON _s GET "${_target}" sources ${_i})
    if(_s MATCHES "^src/duckdb/(.+)$")
      list(APPEND _sources "${_src}/${CMAKE_MATCH_1}")
    endif()
  endforeach()

  set(_includes "")
  string(JSON _n LENGTH "${_target}" include_dirs)
  math(EXPR _last "${_n} - 1")
  foreach(_i RANGE ${_last})
    string(JSON _s GET "${_target}" include_dirs ${_i})
    if(_s MATCHES "^src/duckdb/(.+)$")
      list(APPEND _includes "${_src}/${CMAKE_MATCH_1}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES _includes)

  set(_defines "")
  string(JSON _n LENGTH "${_target}" defines)
  math(EXPR _last "${_n} - 1")
  foreach(_i RANGE ${_last})
    string(JSON _s GET "${_target}" defines ${_i})
    # Node-API defines are dropped; extension auto-install/auto-load defaults are forced off below,
    # because this machine (and Mallard's rule) allows no extension downloads at run time.
    if(NOT _s MATCHES "^NAPI_" AND NOT _s MATCHES "^DUCKDB_EXTENSION_AUTO(INSTALL|LOAD)_DEFAULT")
      list(APPEND _defines "${_s}")
    endif()
  endforeach()

  list(LENGTH _sources _nsrc)
  if(_nsrc LESS 100)
    message(FATAL_ERROR "DuckDB (bundled): only ${_nsrc} sources found in ${_src}/binding.gyp; layout changed?")
  endif()
  foreach(_ext parquet json icu core_functions)
    if(NOT _sources MATCHES "/extension/${_ext}/|ub_extension_${_ext}_")
      message(WARNING "DuckDB (bundled): binding.gyp lists no sources for the ${_ext} extension")
    endif()
  endforeach()

  add_library(mallard_duckdb_bundled SHARED ${_sources})
  target_include_directories(mallard_duckdb_bundled
    PUBLIC "${_src}/src/include"
    PRIVATE ${_includes})
  target_compile_definitions(mallard_duckdb_bundled PRIVATE ${_defines}
    DUCKDB_EXTENSION_AUTOINSTALL_DEFAULT=0 DUCKDB_EXTENSION_AUTOLOAD_DEFAULT=0)
  # DuckDB is C++11 code; the project-wide C++20 setting must not apply to it. Its own build
  # silences warnings in the amalgamated/unity sources, and debug info for these unity TUs runs
  # into gigabytes, so none is generated.
  target_compile_options(mallard_duckdb_bundled PRIVATE -w -g0 -frtti -fexceptions)
  target_link_libraries(mallard_duckdb_bundled PRIVATE Threads::Threads ${CMAKE_DL_LIBS})
  set_target_properties(mallard_duckdb_bundled PROPERTIES
    OUTPUT_NAME duckdb
    CXX_STANDARD 11
    CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF
    POSITION_INDEPENDENT_CODE ON
    LIBRARY_OUTPUT_DIRECTORY "${MALLARD_DUCKDB_LIB_DIR}")
  set(_mallard_duckdb_library mallard_duckdb_bundled)
  message(STATUS "DuckDB: bundled build of ${_nsrc} translation units from ${_src}")
endif()

# ------------------------------------------------------------------ mallard::duckdb ------------
# What every DuckDB user links: duckdb.h and src/infra/duckdb/duckdb_library.cpp. With
# MALLARD_DUCKDB_LAZY (the default for the prebuilt library) executables do not link libduckdb at
# all: generated trampolines dlopen it on the first C API call (see duckdb_library.hpp); the
# bundled build links its library as before.
option(MALLARD_DUCKDB_LAZY "Load the prebuilt libduckdb on first use instead of at start-up" ON)
file(STRINGS "${MALLARD_DUCKDB_FETCH_SCRIPT}" _pin REGEX "^DUCKDB_VERSION=")
string(REGEX REPLACE "^DUCKDB_VERSION=" "" _pin "${_pin}")
set(_mallard_duckdb_src "${CMAKE_CURRENT_LIST_DIR}/../src")
get_filename_component(_mallard_duckdb_src "${_mallard_duckdb_src}" ABSOLUTE)
set(_lazy OFF)
if(MALLARD_DUCKDB_LAZY AND NOT MALLARD_DUCKDB_BUNDLED)
  set(_lazy ON)
  message(STATUS "DuckDB: loaded on first use (MALLARD_DUCKDB_LAZY)")
endif()
include("${CMAKE_CURRENT_LIST_DIR}/LazyLibrary.cmake")
mallard_lazy_library(
  TARGET mallard_duckdb_loader
  SOURCE "${_mallard_duckdb_src}/infra/duckdb/duckdb_library.cpp"
  MACRO MALLARD_DUCKDB_LAZY
  LAZY ${_lazy}
  LINKED ${_mallard_duckdb_library}
  INCLUDES "${_mallard_duckdb_src}" "${MALLARD_DUCKDB_DEPS_DIR}/duckdb/include"
  LAZY_DEFINITIONS MALLARD_DUCKDB_LIBRARY_PATH="${MALLARD_DUCKDB_LIB_DIR}/libduckdb.so"
  HEADER "${MALLARD_DUCKDB_DEPS_DIR}/duckdb/include/duckdb.h"
  PREFIX "DUCKDB_C_API "
  INCLUDE "<duckdb.h>"
  LOADER "infra/duckdb/duckdb_library.hpp"
  RESOLVER "mallard::duckdb::RequireDuckDbSymbol"
  SYMBOLS "${_mallard_duckdb_src}/infra/duckdb/duckdb_lazy_symbols.txt"
  OUTPUT "${CMAKE_BINARY_DIR}/generated/duckdb_trampolines.cpp")
target_compile_definitions(mallard_duckdb_loader PUBLIC MALLARD_DUCKDB_VERSION="v${_pin}")
add_library(mallard::duckdb ALIAS mallard_duckdb_loader)

# RUNPATH for every target defined after this point (the mallard binary, tests, benchmarks).
list(APPEND CMAKE_BUILD_RPATH "${MALLARD_DUCKDB_ORIGIN_LIB_DIR}" "${MALLARD_DUCKDB_LIB_DIR}")
list(APPEND CMAKE_INSTALL_RPATH "${MALLARD_DUCKDB_ORIGIN_LIB_DIR}" "$ORIGIN/../lib")
# Emit DT_RUNPATH rather than the deprecated DT_RPATH (binutils' default differs by distribution).
add_link_options("LINKER:--enable-new-dtags")
