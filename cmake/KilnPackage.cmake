# KilnPackage.cmake - what `cmake --install` (and `make install`) puts in a
# prefix, the pkg-config files and CMake package that let C hosts use it,
# and the .deb (`cpack -G DEB`).  Included at the end of CMakeLists.txt.
#
#   bin/kiln
#   lib/libkiln_rt.a libkiln_ir.a         the runtime, and the module helpers it
#                                          shares with the compiler: link rt, then ir
#   lib/libkiln_wasi.a libkiln_wasi_main.a WASI, and the main() of `kiln build`
#   include/kiln.h kiln_abi.h kiln_wasi.h
#   lib/libkiln_wasm.so include/wasm.h     the standard wasm-c-api (capi/): compiler
#                                          and runtime in one shared library
#   lib/pkgconfig/kiln.pc kiln-wasi.pc kiln-wasm.pc
#   lib/cmake/kiln/                        find_package(kiln), kiln_add_wasm_library,
#                                          kiln::wasm (find_package(kiln COMPONENTS wasm))
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The package's names exist in this tree too, so examples/host builds
# here exactly as it does against an installed kiln.
add_executable(kiln::kiln ALIAS kiln)
add_library(kiln::runtime ALIAS kiln_rt)
add_library(kiln::wasi ALIAS kiln_wasi)
add_library(kiln::wasi_main ALIAS kiln_wasi_main)
add_library(kiln::wasm ALIAS kiln_wasm)
include(${CMAKE_CURRENT_LIST_DIR}/KilnWasmLibrary.cmake)

install(TARGETS kiln RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS kiln_wasi_main kiln_wasi kiln_rt kiln_ir ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS kiln_wasm LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/kiln.h ${PROJECT_SOURCE_DIR}/include/kiln_abi.h
              ${PROJECT_SOURCE_DIR}/include/kiln_wasi.h ${PROJECT_SOURCE_DIR}/include/wasm.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# pkg-config: paths relative to the .pc file (${pcfiledir}), which stay
# right under `cmake --install --prefix`, DESTDIR and CPack alike.
set(KILN_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH KILN_PC_TO_PREFIX /prefix/${KILN_PC_DIR} /prefix)
string(REGEX REPLACE "/$" "" KILN_PC_TO_PREFIX "${KILN_PC_TO_PREFIX}")
foreach(dir INCLUDEDIR LIBDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(KILN_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(KILN_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
foreach(pc kiln kiln-wasi kiln-wasm)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/${pc}.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/${pc}.pc DESTINATION ${KILN_PC_DIR})
endforeach()

# find_package(kiln): relocatable as well (PACKAGE_PREFIX_DIR).
set(KILN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/kiln)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/kilnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/kilnConfig.cmake
  INSTALL_DESTINATION ${KILN_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/kilnConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/kilnConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/kilnConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/KilnWasmLibrary.cmake
        DESTINATION ${KILN_CMAKE_DIR})

# `cpack -G DEB` in the build directory: kiln_<version>_<arch>.deb, files
# under /usr.  The library dependencies (libLLVM) come from dpkg-shlibdeps;
# kiln build and parallel kiln compile run the system C compiler.
set(KILN_PACKAGE_CONTACT "kiln developers <kiln@localhost>" CACHE STRING
    "Maintainer field of the packages cpack makes")
set(CPACK_PACKAGE_NAME kiln)
set(CPACK_PACKAGE_VENDOR kiln)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Ahead-of-time WebAssembly compiler (LLVM) with a sandboxing C runtime")
set(CPACK_PACKAGE_CONTACT "${KILN_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "gcc | c-compiler")
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/\\.git/" "/build[^/]*/")
# cpack packages what is built rather than building everything first (so
# does `make install` here; kiln's top-level Makefile builds first).
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
include(CPack)
