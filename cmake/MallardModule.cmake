# mallard_module(NAME SRCS ... DEPS ...) — one static library per module, include paths rooted at src/.
function(mallard_module name)
  cmake_parse_arguments(MOD "" "" "SRCS;DEPS" ${ARGN})
  add_library(mallard_${name} STATIC ${MOD_SRCS})
  target_include_directories(mallard_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(mallard_${name} PUBLIC ${MOD_DEPS})
  set_target_properties(mallard_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()
