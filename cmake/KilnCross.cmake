# KilnCross.cmake - kiln's runtime for other targets (`kiln build --target`).
#
# For each triple of KILN_CROSS_TARGETS whose Debian cross compiler
# (TRIPLE-gcc, package gcc-TRIPLE) is installed, a separate CMake build of
# cmake/cross/ (ExternalProject, compiler TRIPLE-gcc) makes the libraries
# `kiln build` links (libkiln_wasi_main.a, libkiln_wasi.a, libkiln_rt.a,
# libkiln_ir.a) and installs them into kiln-cross/TRIPLE/ of this build
# directory, which is where `kiln build --target TRIPLE` looks: next to the
# host runtime (compiler/cross.h).  It also builds kiln-spec for TRIPLE,
# which `make test-cross` runs under qemu-user.  The source lists are the
# host targets' own, read here and handed over in a generated file, so they
# stay written down once.  Included at the end of CMakeLists.txt, once
# every target has its sources.
#
# Targets: kiln-cross-runtimes (all of them), kiln-runtime-TRIPLE (one).

include(ExternalProject)
include(GNUInstallDirs)

set(KILN_CROSS_TARGETS "aarch64-linux-gnu;riscv64-linux-gnu" CACHE STRING
    "Debian triples to build kiln's runtime for, when TRIPLE-gcc is installed")
option(KILN_CROSS_RUNTIMES "Build the cross runtimes as part of the default build" ON)

# A target's SOURCES (relative to its SOURCE_DIR) as absolute paths.
function(kiln_cross_sources_of target out)
  get_target_property(sources ${target} SOURCES)
  get_target_property(dir ${target} SOURCE_DIR)
  set(absolute)
  foreach(s IN LISTS sources)
    cmake_path(ABSOLUTE_PATH s BASE_DIRECTORY "${dir}" OUTPUT_VARIABLE s)
    list(APPEND absolute "${s}")
  endforeach()
  set(${out} "${absolute}" PARENT_SCOPE)
endfunction()

set(KILN_CROSS_SOURCES_FILE ${CMAKE_BINARY_DIR}/kiln-cross/sources.cmake)
set(kiln_cross_vars "set(KILN_SOURCE_DIR \"${CMAKE_SOURCE_DIR}\")\n")
foreach(target kiln_ir kiln_front kiln_rt kiln_wasi kiln_wasi_main kiln_spec_json kiln-spec)
  kiln_cross_sources_of(${target} sources)
  string(MAKE_C_IDENTIFIER "${target}" var)
  string(TOUPPER "${var}" var)
  string(APPEND kiln_cross_vars "set(${var}_SOURCES \"${sources}\")\n")
endforeach()
# The warnings of the host build, without sanitizers (no cross libasan).
get_directory_property(kiln_cross_options DIRECTORY ${CMAKE_SOURCE_DIR} COMPILE_OPTIONS)
list(FILTER kiln_cross_options EXCLUDE REGEX "^-fsanitize|^-fno-omit-frame-pointer")
string(APPEND kiln_cross_vars "set(KILN_COMPILE_OPTIONS \"${kiln_cross_options}\")\n")
file(CONFIGURE OUTPUT ${KILN_CROSS_SOURCES_FILE} CONTENT "${kiln_cross_vars}")

add_custom_target(kiln-cross-runtimes)
if(KILN_CROSS_RUNTIMES)
  set(exclude OFF)
else()
  set(exclude ON)
endif()
foreach(triple IN LISTS KILN_CROSS_TARGETS)
  string(REGEX REPLACE "-.*" "" arch "${triple}")
  if(arch STREQUAL CMAKE_SYSTEM_PROCESSOR)
    continue()   # the host runtime is this build's own
  endif()
  find_program(KILN_CROSS_CC_${arch} ${triple}-gcc)
  if(NOT KILN_CROSS_CC_${arch})
    message(STATUS "kiln: no ${triple}-gcc, so no runtime for `kiln build --target ${triple}` "
                   "(scripts/install-deps installs the cross toolchains)")
    continue()
  endif()
  ExternalProject_Add(kiln-runtime-${triple}
    SOURCE_DIR ${CMAKE_SOURCE_DIR}/cmake/cross
    PREFIX ${CMAKE_BINARY_DIR}/kiln-cross/build
    BINARY_DIR ${CMAKE_BINARY_DIR}/kiln-cross/build/${triple}
    INSTALL_DIR ${CMAKE_BINARY_DIR}/kiln-cross/${triple}
    CMAKE_ARGS -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR=${arch}
               -DCMAKE_C_COMPILER=${KILN_CROSS_CC_${arch}}
               -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE}
               -DCMAKE_INSTALL_PREFIX=<INSTALL_DIR>
               -DKILN_CROSS_TRIPLE=${triple}
               -DKILN_CROSS_SOURCES=${KILN_CROSS_SOURCES_FILE}
    # The sub-build tracks its own sources; rerunning it costs a make check.
    BUILD_ALWAYS ON
    EXCLUDE_FROM_ALL ${exclude})
  add_dependencies(kiln-cross-runtimes kiln-runtime-${triple})
  # Installed next to the host runtime, where an installed kiln looks too.
  install(DIRECTORY ${CMAKE_BINARY_DIR}/kiln-cross/${triple}
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/kiln-cross OPTIONAL)
endforeach()
