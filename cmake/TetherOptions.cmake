# Warnings and sanitizers for every Tether target. Third-party headers are
# included as SYSTEM so their warnings never break -Werror.
add_library(tether_options INTERFACE)
target_compile_options(tether_options INTERFACE -Wall -Wextra -Wpedantic
  -Wshadow -Wnon-virtual-dtor -Wcast-align -Wnull-dereference)
if(TETHER_WERROR)
  target_compile_options(tether_options INTERFACE -Werror)
endif()
target_compile_definitions(tether_options INTERFACE
  TETHER_VERSION="${PROJECT_VERSION}")

set(TETHER_SANITIZERS "" CACHE STRING "Sanitizers, e.g. address,undefined")
if(TETHER_SANITIZERS)
  add_compile_options(-fsanitize=${TETHER_SANITIZERS} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${TETHER_SANITIZERS})
endif()

# Fuzz builds instrument all of our code for coverage; only the fuzz targets
# link the libFuzzer main (tests/fuzz/CMakeLists.txt).
if(TETHER_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# What the packages are built with (the release preset; docs/install.md,
# "Hardening and reproducible builds"). Both are off by default in sanitizer
# and fuzz builds, which are never shipped: the fortified copies of memcpy and
# friends would check what ASan already checks (and _FORTIFY_SOURCE needs the
# optimisation the asan preset's Debug lacks), and sanitizer reports are
# easier to follow with the sources' own paths.
if(TETHER_SANITIZERS OR TETHER_FUZZ)
  set(_tether_shipped_default OFF)
else()
  set(_tether_shipped_default ON)
endif()
option(TETHER_HARDENING
  "Fortified libc calls, stack protector and clash protection, CET, full RELRO, PIE"
  ${_tether_shipped_default})
option(TETHER_REPRODUCIBLE
  "No build paths in the binaries; a warning on __DATE__ and __TIME__"
  ${_tether_shipped_default})

# For every target, libraries included (a fortified executable that links an
# unfortified library of ours is not fortified where it matters).
if(TETHER_HARDENING)
  include(CheckPIESupported)
  check_pie_supported(OUTPUT_VARIABLE _tether_pie_output LANGUAGES C CXX)
  if(NOT CMAKE_CXX_LINK_PIE_SUPPORTED)
    message(FATAL_ERROR "TETHER_HARDENING: the linker cannot make position-"
                        "independent executables: ${_tether_pie_output}")
  endif()
  # -fPIE for executables, -fPIC for libraries, -pie when linking.
  set(CMAKE_POSITION_INDEPENDENT_CODE ON)
  add_compile_options(-fstack-protector-strong)
  # Also what Debian 13 builds its own packages with (dpkg-buildflags'
  # stackclash and branch), where the compiler has them (-fcf-protection is
  # x86 only); hardening-check looks for both.
  include(CheckCompilerFlag)
  foreach(_flag IN ITEMS -fstack-clash-protection -fcf-protection)
    string(MAKE_C_IDENTIFIER "TETHER_HAS${_flag}" _var)
    check_compiler_flag(CXX ${_flag} ${_var})
    if(${_var})
      add_compile_options(${_flag})
    endif()
  endforeach()
  # Only with optimisation (glibc warns otherwise, an error under -Werror),
  # and not when the flags from outside already choose a level (Debian's
  # dpkg-buildflags put -D_FORTIFY_SOURCE=2 in CPPFLAGS, others =3).
  string(TOUPPER "${CMAKE_BUILD_TYPE}" _tether_config)
  if(NOT "${CMAKE_C_FLAGS} ${CMAKE_CXX_FLAGS} ${CMAKE_C_FLAGS_${_tether_config}} ${CMAKE_CXX_FLAGS_${_tether_config}}"
     MATCHES "_FORTIFY_SOURCE")
    add_compile_definitions(
      $<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:_FORTIFY_SOURCE=2>)
  endif()
  # Full RELRO: relocations done at start, then the tables are read-only.
  add_link_options(LINKER:-z,relro LINKER:-z,now)
endif()

# Two builds of the same commit in different folders make the same bytes
# (scripts/package-check --reproducible): paths in debug information and
# __FILE__ are relative to the source tree, and generated sources to
# "build". The build folder is mapped last: it may be inside the sources
# (build/release), and the last matching map wins. Nothing needs the build's
# time: SOURCE_DATE_EPOCH is for the packages (packaging/CMakeLists.txt).
if(TETHER_REPRODUCIBLE)
  add_compile_options(-ffile-prefix-map=${PROJECT_SOURCE_DIR}=.
                      -ffile-prefix-map=${PROJECT_BINARY_DIR}=build
                      -Wdate-time)
endif()
