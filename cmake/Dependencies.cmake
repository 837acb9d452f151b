# Finds jouleval's dependencies other than llama.cpp and exposes them as these targets:
#   jouleval::cli11  jouleval::json  jouleval::toml  jouleval::fmt  jouleval::sqlite3  jouleval::crypto
#   jouleval::httplib (cpp-httplib, the HTTP client of src/endpoint/)
# On Debian they come from packages (scripts/setup.sh installs them). With JOULEVAL_VENDOR_DIR
# (made by scripts/pack-gpu.sh) they come from bundled headers and static SQLite and libcrypto.

if(JOULEVAL_VENDOR_DIR)
  set(_v "${JOULEVAL_VENDOR_DIR}")
  foreach(_name cli11 json toml)
    add_library(jouleval::${_name} INTERFACE IMPORTED GLOBAL)
    set_target_properties(jouleval::${_name} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_v}/include")
  endforeach()
  add_library(jouleval::fmt INTERFACE IMPORTED GLOBAL)
  set_target_properties(jouleval::fmt PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_v}/include" INTERFACE_COMPILE_DEFINITIONS "FMT_HEADER_ONLY=1")
  add_library(jouleval::crypto STATIC IMPORTED GLOBAL)
  set_target_properties(jouleval::crypto PROPERTIES
    IMPORTED_LOCATION "${_v}/lib/libcrypto.a" INTERFACE_INCLUDE_DIRECTORIES "${_v}/include"
    INTERFACE_LINK_LIBRARIES "dl;pthread")
  # cpp-httplib: the copy vendored in llama.cpp (plain HTTP only).
  add_library(jouleval_httplib STATIC "${JOULEVAL_LLAMA_DIR}/vendor/cpp-httplib/httplib.cpp")
  target_include_directories(jouleval_httplib SYSTEM PUBLIC "${JOULEVAL_LLAMA_DIR}/vendor/cpp-httplib")
  target_link_libraries(jouleval_httplib PUBLIC pthread)
  add_library(jouleval::httplib ALIAS jouleval_httplib)
  add_library(jouleval::sqlite3 STATIC IMPORTED GLOBAL)
  set_target_properties(jouleval::sqlite3 PROPERTIES
    IMPORTED_LOCATION "${_v}/lib/libsqlite3.a" INTERFACE_INCLUDE_DIRECTORIES "${_v}/include"
    INTERFACE_LINK_LIBRARIES "m;dl;pthread")
else()
  find_package(CLI11 2.1 REQUIRED CONFIG)
  find_package(nlohmann_json 3.10 REQUIRED CONFIG)
  find_package(tomlplusplus 3.3 REQUIRED CONFIG)
  find_package(fmt 9 REQUIRED CONFIG)
  find_package(SQLite3 3.35 REQUIRED)
  find_package(OpenSSL 3 REQUIRED COMPONENTS Crypto)
  add_library(jouleval::cli11 ALIAS CLI11::CLI11)
  add_library(jouleval::json ALIAS nlohmann_json::nlohmann_json)
  add_library(jouleval::toml ALIAS tomlplusplus::tomlplusplus)
  add_library(jouleval::fmt ALIAS fmt::fmt)
  add_library(jouleval::sqlite3 ALIAS SQLite::SQLite3)
  add_library(jouleval::crypto ALIAS OpenSSL::Crypto)
  # Debian's libcpp-httplib-dev: a header and a shared library, with the definitions of its pkg-config file.
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(CPP_HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib>=0.11)
  add_library(jouleval::httplib ALIAS PkgConfig::CPP_HTTPLIB)
endif()

find_package(Threads REQUIRED)
