# cafka's dependencies as imported targets, all from Debian's packages. The top-level CMakeLists.txt
# and the installed package config (cafka-config.cmake) both include this file, so an application
# that finds cafka gets the same targets cafka was built against.
#
# CAF 0.17.6 ships neither a CMake package nor a pkg-config file: its headers and libraries are
# wrapped here as CAF::core, CAF::io and CAF::openssl. The codecs are wrapped as cafka_dep::zstd,
# cafka_dep::lz4 and cafka_dep::snappy (lz4 has no CMake package on Debian 12).
include_guard(GLOBAL)
include(CMakeFindDependencyMacro)

find_dependency(Threads)
find_dependency(Boost 1.74)
find_dependency(ZLIB)
find_dependency(OpenSSL)

if(NOT TARGET CAF::core)
  find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
  foreach(part core io openssl)
    find_library(CAF_${part}_LIBRARY caf_${part} REQUIRED)
    add_library(CAF::${part} SHARED IMPORTED)
    set_target_properties(CAF::${part} PROPERTIES
      IMPORTED_LOCATION "${CAF_${part}_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}")
  endforeach()
  # caf_io and caf_openssl must precede caf_core on the link line.
  set_property(TARGET CAF::io APPEND PROPERTY INTERFACE_LINK_LIBRARIES CAF::core)
  set_property(TARGET CAF::openssl APPEND PROPERTY INTERFACE_LINK_LIBRARIES CAF::io OpenSSL::SSL)
endif()

foreach(codec zstd lz4 snappy)
  if(NOT TARGET cafka_dep::${codec})
    find_library(CAFKA_${codec}_LIBRARY ${codec} REQUIRED)
    add_library(cafka_dep::${codec} SHARED IMPORTED)
    set_target_properties(cafka_dep::${codec} PROPERTIES IMPORTED_LOCATION "${CAFKA_${codec}_LIBRARY}")
  endif()
endforeach()
