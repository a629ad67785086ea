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
