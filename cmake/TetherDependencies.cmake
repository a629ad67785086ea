# Every dependency is a Debian 12 package installed by scripts/setup.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)

# mbedTLS >= 3.6 (TLS 1.3): from Debian 13 on Debian 12 (scripts/setup), linked
# statically into every binary, so the packages need no mbedTLS package on the
# target and each binary's --version names the copy it carries.
set(TETHER_MBEDTLS_MIN_VERSION 3.6.0)
find_path(MBEDTLS_INCLUDE_DIR mbedtls/version.h REQUIRED)
set(_mbedtls_version_header ${MBEDTLS_INCLUDE_DIR}/mbedtls/build_info.h)
if(NOT EXISTS ${_mbedtls_version_header})  # 2.x keeps it in version.h
  set(_mbedtls_version_header ${MBEDTLS_INCLUDE_DIR}/mbedtls/version.h)
endif()
file(STRINGS ${_mbedtls_version_header} _mbedtls_version_line
     REGEX "#define MBEDTLS_VERSION_STRING +\"")
string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" MBEDTLS_VERSION "${_mbedtls_version_line}")
if(MBEDTLS_VERSION VERSION_LESS TETHER_MBEDTLS_MIN_VERSION)
  message(FATAL_ERROR
    "Tether needs mbedTLS ${TETHER_MBEDTLS_MIN_VERSION} or newer (TLS 1.3); "
    "${MBEDTLS_INCLUDE_DIR} has ${MBEDTLS_VERSION}. On Debian 12, run "
    "scripts/setup: it installs libmbedtls-dev from Debian 13 (see docs/install.md).")
endif()
message(STATUS "mbedTLS ${MBEDTLS_VERSION} (static) in ${MBEDTLS_INCLUDE_DIR}")
find_library(MBEDTLS_LIBRARY NAMES libmbedtls.a REQUIRED)
find_library(MBEDX509_LIBRARY NAMES libmbedx509.a REQUIRED)
find_library(MBEDCRYPTO_LIBRARY NAMES libmbedcrypto.a REQUIRED)
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
# Clusters: the relay store on PostgreSQL (libpq), the cluster directory on
# Redis (hiredis: 0.14 on Debian 12, 1.x on Debian 13).
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)

# relay/web/: the web console. HTTP/1.1 parsing by Node's http_parser
# (libhttp-parser-dev ships no pkg-config file), JSON by nlohmann/json, the
# TOTP enrolment's QR code by libqrencode.
find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h REQUIRED)
find_library(HTTP_PARSER_LIBRARY http_parser REQUIRED)
add_library(tether_http_parser INTERFACE)
target_include_directories(tether_http_parser SYSTEM INTERFACE ${HTTP_PARSER_INCLUDE_DIR})
target_link_libraries(tether_http_parser INTERFACE ${HTTP_PARSER_LIBRARY})
find_package(nlohmann_json 3.11 REQUIRED)
pkg_check_modules(QRENCODE REQUIRED IMPORTED_TARGET libqrencode)

# What only the apps (and their tests) use: not looked for in a relay-only
# build (TETHER_BUILD_APPS=OFF).
if(NOT TETHER_BUILD_APPS)
  return()
endif()

# desktop/: X11 capture and input over xcb.
pkg_check_modules(XCB REQUIRED IMPORTED_TARGET xcb)
pkg_check_modules(XCB_SHM REQUIRED IMPORTED_TARGET xcb-shm)
pkg_check_modules(XCB_DAMAGE REQUIRED IMPORTED_TARGET xcb-damage)
pkg_check_modules(XCB_XFIXES REQUIRED IMPORTED_TARGET xcb-xfixes)
pkg_check_modules(XCB_RANDR REQUIRED IMPORTED_TARGET xcb-randr)
pkg_check_modules(XCB_XTEST REQUIRED IMPORTED_TARGET xcb-xtest)
# desktop/portal/: Wayland through xdg-desktop-portal (D-Bus with GDBus)
# and PipeWire. Their headers are C with casts our warnings would flag:
# included as system headers.
pkg_check_modules(GIO REQUIRED IMPORTED_TARGET gio-2.0 gio-unix-2.0)
pkg_check_modules(PIPEWIRE REQUIRED IMPORTED_TARGET libpipewire-0.3)
foreach(target PkgConfig::GIO PkgConfig::PIPEWIRE)
  get_target_property(dirs ${target} INTERFACE_INCLUDE_DIRECTORIES)
  set_target_properties(${target} PROPERTIES
    INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${dirs}")
endforeach()

# codec/: libvpx (VP8/VP9) and libyuv (colour conversion). Debian 12's
# libyuv-dev ships no pkg-config file; look it up directly.
pkg_check_modules(VPX REQUIRED IMPORTED_TARGET vpx)
# Lossless pictures of screen areas (codec/lossless_image.h).
pkg_check_modules(WEBP REQUIRED IMPORTED_TARGET libwebp)
find_path(LIBYUV_INCLUDE_DIR libyuv.h REQUIRED)
find_library(LIBYUV_LIBRARY yuv REQUIRED)
