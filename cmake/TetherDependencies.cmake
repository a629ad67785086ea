# Every dependency is a Debian 12 package installed by scripts/setup.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)

# mbedTLS 2.28 (Debian 12) ships no CMake config; look the libraries up directly.
find_path(MBEDTLS_INCLUDE_DIR mbedtls/ssl.h REQUIRED)
find_library(MBEDTLS_LIBRARY mbedtls REQUIRED)
find_library(MBEDX509_LIBRARY mbedx509 REQUIRED)
find_library(MBEDCRYPTO_LIBRARY mbedcrypto REQUIRED)
add_library(tether_mbedtls INTERFACE)
target_include_directories(tether_mbedtls SYSTEM INTERFACE ${MBEDTLS_INCLUDE_DIR})
target_link_libraries(tether_mbedtls INTERFACE
  ${MBEDTLS_LIBRARY} ${MBEDX509_LIBRARY} ${MBEDCRYPTO_LIBRARY})

pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)
pkg_check_modules(OATH REQUIRED IMPORTED_TARGET liboath)

if(TETHER_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()

# Event loops (protocol/, relay/, apps); relay store, config, command line.
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
find_package(SQLite3 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(CLI11 REQUIRED)

# desktop/: X11 capture and input over xcb.
pkg_check_modules(XCB REQUIRED IMPORTED_TARGET xcb)
pkg_check_modules(XCB_SHM REQUIRED IMPORTED_TARGET xcb-shm)
pkg_check_modules(XCB_DAMAGE REQUIRED IMPORTED_TARGET xcb-damage)
pkg_check_modules(XCB_XFIXES REQUIRED IMPORTED_TARGET xcb-xfixes)
pkg_check_modules(XCB_RANDR REQUIRED IMPORTED_TARGET xcb-randr)
pkg_check_modules(XCB_XTEST REQUIRED IMPORTED_TARGET xcb-xtest)

# codec/: libvpx (VP8/VP9) and libyuv (colour conversion). Debian 12's
# libyuv-dev ships no pkg-config file; look it up directly.
pkg_check_modules(VPX REQUIRED IMPORTED_TARGET vpx)
find_path(LIBYUV_INCLUDE_DIR libyuv.h REQUIRED)
find_library(LIBYUV_LIBRARY yuv REQUIRED)
