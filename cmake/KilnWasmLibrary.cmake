# kiln_add_wasm_library(<name> <file.wasm> [OPT_LEVEL 0|1|2|3] [PREFIX <prefix>]
#                       [BOUNDS_CHECKS guard|explicit] [FLAGS <kiln compile flag>...])
#
# Compiles <file.wasm> at build time with `kiln compile --header` into a
# static library target <name>.  Whatever links <name> gets the header
# <name>.h on its include path (the descriptor <prefix>_module, typed
# wrappers for the exports and helpers for the imports; see
# docs/embedding.md) and the kiln runtime, kiln::runtime.  <prefix>
# defaults to <name> as a C identifier.  A relative <file.wasm> is taken
# from the current source directory; it may be the OUTPUT of a custom
# command of the same directory.  FLAGS go to `kiln compile` as they are
# (--enable-tail-call, --cpu native, -j 1, ...).
#
# Used by the installed package (kilnConfig.cmake) and by kiln's own
# build, where kiln::kiln and kiln::runtime are aliases of its targets.
function(kiln_add_wasm_library name wasm)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "OPT_LEVEL;PREFIX;BOUNDS_CHECKS" "FLAGS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "kiln_add_wasm_library(${name}): unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(DEFINED arg_PREFIX)
    set(prefix "${arg_PREFIX}")
  else()
    string(MAKE_C_IDENTIFIER "${name}" prefix)
  endif()
  string(MAKE_C_IDENTIFIER "${prefix}" c_prefix)
  if(NOT prefix STREQUAL c_prefix)
    message(FATAL_ERROR "kiln_add_wasm_library(${name}): PREFIX '${prefix}' is not a C identifier")
  endif()
  set(flags --prefix ${prefix})
  if(DEFINED arg_OPT_LEVEL)
    if(NOT arg_OPT_LEVEL MATCHES "^[0-3]$")
      message(FATAL_ERROR "kiln_add_wasm_library(${name}): OPT_LEVEL must be 0, 1, 2 or 3")
    endif()
    list(APPEND flags -O${arg_OPT_LEVEL})
  endif()
  if(DEFINED arg_BOUNDS_CHECKS)
    if(NOT arg_BOUNDS_CHECKS MATCHES "^(guard|explicit)$")
      message(FATAL_ERROR "kiln_add_wasm_library(${name}): BOUNDS_CHECKS must be guard or explicit")
    endif()
    list(APPEND flags --bounds-checks=${arg_BOUNDS_CHECKS})
  endif()
  get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  if("C" IN_LIST languages)
    set(linker_language C)
  elseif("CXX" IN_LIST languages)
    set(linker_language CXX)
  else()
    message(FATAL_ERROR "kiln_add_wasm_library(${name}): the project must enable C or CXX")
  endif()

  get_filename_component(wasm "${wasm}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/kiln/${name}")
  add_custom_command(OUTPUT "${dir}/${name}.o" "${dir}/${name}.h"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${dir}"
    COMMAND "$<TARGET_FILE:kiln::kiln>" compile "${wasm}" -o "${dir}/${name}.o"
            --header "${dir}/${name}.h" ${flags} ${arg_FLAGS}
    DEPENDS "${wasm}" "$<TARGET_FILE:kiln::kiln>"
    COMMENT "kiln compile ${wasm} (${name})"
    VERBATIM)
  set_source_files_properties("${dir}/${name}.o" PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  add_library(${name} STATIC "${dir}/${name}.o" "${dir}/${name}.h")
  set_target_properties(${name} PROPERTIES LINKER_LANGUAGE ${linker_language})
  target_include_directories(${name} PUBLIC "${dir}")
  target_link_libraries(${name} PUBLIC kiln::runtime)
endfunction()
